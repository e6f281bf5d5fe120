"""Dialogue acts lose to a problem in a long message, not in a short one, and to nothing else."""

import numpy as np
import pytest

from bot.nlu.dialogue_acts import DIALOGUE_ACTS, act_columns, demote, problem_columns

CLASSES = ["deny", "inform", "report_missed_bin", "talk_to_human", "thank"]
ACTS, PROBLEMS = act_columns(CLASSES), problem_columns(CLASSES)
LONG = "Hi there I think our bin was missed by accident today please can it be collected"


def _demote(rows, texts, penalty=2.0, min_words=6):
    return demote(np.array(rows, dtype=float), ACTS, PROBLEMS, texts, penalty, min_words)


def test_the_columns_of_acts_and_problems():
    assert ACTS.tolist() == [0, 1, 4] and PROBLEMS.tolist() == [2]
    assert {"inform", "thank", "affirm", "deny", "cancel", "greet", "goodbye"} == DIALOGUE_ACTS


def test_a_long_message_read_as_an_act_becomes_the_problem_behind_it():
    out = _demote([[0.0, 0.1, 0.3, 0.0, 0.6]], [LONG])
    assert out[0].argmax() == 2 and out[0].sum() == pytest.approx(1.0)
    # The odds of each act against the problem fall by e^2; the acts keep their order.
    assert (out[0, 4] / out[0, 2]) / (0.6 / 0.3) == pytest.approx(np.exp(-2))
    assert out[0, 4] / out[0, 1] == pytest.approx(6.0)


def test_a_short_message_is_left_as_read():
    rows = [[0.0, 0.1, 0.3, 0.0, 0.6]]
    assert _demote(rows, ["thanks a lot"]).tolist() == rows


def test_a_clear_act_still_wins_a_long_message():
    assert _demote([[0.0, 0.02, 0.01, 0.0, 0.97]], ["thank you so much for all of your help today"])[0].argmax() == 4


def test_an_act_does_not_lose_to_another_intent_that_is_not_a_problem():
    """"no I don't want to be contacted thanks" stays deny, not a wish to talk to a person."""
    rows = [[0.41, 0.05, 0.04, 0.35, 0.15]]
    assert _demote(rows, ["no I don't want to be contacted thanks"]).tolist() == rows


def test_only_the_changed_rows_change_and_the_input_is_not_modified():
    rows = np.array([[0.0, 0.1, 0.3, 0.0, 0.6], [0.0, 0.1, 0.3, 0.0, 0.6]])
    before = rows.copy()
    out = demote(rows, ACTS, PROBLEMS, ["yes", "it has been there since saturday by the bus stop"], 2.0, 6)
    assert out[0].tolist() == before[0].tolist() and out[1].argmax() == 2
    assert rows.tolist() == before.tolist()


def test_no_penalty_changes_nothing():
    rows = np.array([[0.0, 0.1, 0.3, 0.0, 0.6]])
    assert demote(rows, ACTS, PROBLEMS, [LONG], 0.0, 6) is rows
