"""benchmarks.asking applies a policy to parsed rankings exactly as the pipeline would."""

from benchmarks.asking import AS_BEFORE, CHOSEN, measure


def _row(text, ranking, accepted, told=(), forced=None):
    return {"text": text, "accepted": accepted, "told": list(told), "forced": forced,
            "ranking": [{"name": n, "confidence": c} for n, c in ranking]}


CLOSE = _row("bags and a broken chair by the bins", [("report_flytipping", 0.6), ("report_litter", 0.35)],
             ("report_litter",))
LONG_ANSWER = _row("a mattress two chairs and a fridge on the grass outside 14 Mill Lane",
                   [("inform", 0.5), ("report_flytipping", 0.3), ("report_litter", 0.1)], ("report_flytipping",))


def test_the_chosen_policy_asks_where_the_old_one_guessed():
    assert AS_BEFORE.decide(CLOSE) == ("report_flytipping", [])
    assert CHOSEN.decide(CLOSE) == ("nlu_fallback", ["report_flytipping", "report_litter"])
    assert AS_BEFORE.decide(LONG_ANSWER)[0] == "inform"
    assert CHOSEN.decide(LONG_ANSWER) == ("nlu_fallback", ["report_flytipping", "report_litter"])


def test_rasa_fallback_and_rule_classifiers_come_first_and_last():
    weak = _row("hmm", [("out_of_scope", 0.25), ("report_tree", 0.05)], ("out_of_scope",))
    assert CHOSEN.decide(weak) == ("nlu_fallback", [])
    urgent = _row("gas leak", [("report_other_problem", 0.4), ("report_litter", 0.3)], ("emergency",),
                  forced="emergency")
    assert CHOSEN.decide(urgent) == ("emergency", [])


def test_outcomes_count_a_right_choice_as_after_one_question():
    sets = {"real": [CLOSE, LONG_ANSWER], "holdout": [CLOSE], "holdout_cy": [CLOSE],
            "out_of_scope": [_row("passport", [("out_of_scope", 0.9)], ("out_of_scope",))]}
    before, chosen = measure(AS_BEFORE, sets), measure(CHOSEN, sets)
    assert (before["right first time"], before["wrong"]) == (0.0, 1.0)
    assert (chosen["after one question"], chosen["asked"], chosen["out-of-scope recall"]) == (1.0, 1.0, 1.0)


def test_a_welsh_message_is_decided_at_the_welsh_threshold_and_margin():
    """0.45 against 0.3: unsure in English (threshold 0.5), sure enough in Welsh (0.3, margin 0.15),
    as UnsureReportFallback decides (config.yml)."""
    ranking = [("report_missed_bin", 0.45), ("report_litter", 0.25)]
    welsh = _row("mae'r biniau heb gael eu casglu ers wythnos ar Heol y Bont", ranking, ("report_missed_bin",))
    english = _row("the bins have not been collected for a week on Bridge Road", ranking, ("report_missed_bin",))
    assert CHOSEN.decide(welsh) == ("report_missed_bin", [])
    assert CHOSEN.decide(english)[0] == "nlu_fallback"
