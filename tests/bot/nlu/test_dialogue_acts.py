"""Dialogue acts lose to a problem in a long message, not in a short one."""

import numpy as np
import pytest

from bot.nlu.dialogue_acts import DIALOGUE_ACTS, act_columns, demote

CLASSES = ["inform", "report_missed_bin", "thank"]


def test_act_columns_are_the_dialogue_acts():
    assert act_columns(CLASSES).tolist() == [0, 2]
    assert act_columns(["report_pothole"]).size == 0
    assert {"inform", "thank", "affirm", "deny", "cancel", "greet", "goodbye"} == DIALOGUE_ACTS


def test_a_long_message_read_as_an_act_becomes_the_problem_behind_it():
    rows = np.array([[0.1, 0.3, 0.6]])
    text = "Hi there I think our bin was missed by accident today please can it be collected"
    out = demote(rows, act_columns(CLASSES), [text], penalty=2.0, min_words=6)
    assert out[0].argmax() == 1
    assert out[0].sum() == pytest.approx(1.0)
    # The acts keep their order between themselves.
    assert out[0, 2] / out[0, 0] == pytest.approx(6.0)


def test_a_short_message_is_left_as_read():
    rows = np.array([[0.1, 0.3, 0.6]])
    out = demote(rows, act_columns(CLASSES), ["thanks a lot"], penalty=2.0, min_words=6)
    assert out.tolist() == rows.tolist()


def test_a_clear_act_still_wins_a_long_message():
    rows = np.array([[0.02, 0.01, 0.97]])
    text = "thank you so much for all of your help today"
    assert demote(rows, act_columns(CLASSES), [text], 2.0, 6)[0].argmax() == 2


def test_only_the_long_rows_change_and_the_input_is_not_modified():
    rows = np.array([[0.1, 0.3, 0.6], [0.1, 0.3, 0.6]])
    before = rows.copy()
    out = demote(rows, act_columns(CLASSES), ["yes", "it has been there since saturday by the bus stop"], 2.0, 6)
    assert out[0].tolist() == before[0].tolist()
    assert out[1].argmax() == 1
    assert rows.tolist() == before.tolist()


def test_no_penalty_changes_nothing():
    rows = np.array([[0.1, 0.3, 0.6]])
    assert demote(rows, act_columns(CLASSES), ["a b c d e f g"], 0.0, 6) is rows
