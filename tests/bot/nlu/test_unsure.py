"""An uncertain reading of a problem becomes a question; dialogue acts and clear reports do not."""

from rasa.shared.nlu.training_data.message import Message

from bot.nlu.unsure import UnsureReportFallback, report_behind_answer, unsure


def _ranking(*pairs):
    return [{"name": n, "confidence": c} for n, c in pairs]


def test_a_weak_or_close_reading_of_a_report_is_unsure():
    assert unsure(_ranking(("report_flytipping", 0.45), ("report_litter", 0.2)), set(), 0.5, 0.2)
    assert unsure(_ranking(("report_flytipping", 0.55), ("report_litter", 0.4)), set(), 0.5, 0.2)
    assert not unsure(_ranking(("report_flytipping", 0.8), ("report_litter", 0.1)), set(), 0.5, 0.2)


def test_dialogue_acts_and_other_intents_are_never_questioned():
    assert not unsure(_ranking(("affirm", 0.35), ("report_pothole", 0.3)), set(), 0.5, 0.2)
    # A rival that is not a problem is no doubt about which problem it is.
    assert not unsure(_ranking(("report_pothole", 0.6), ("inform", 0.3)), set(), 0.5, 0.2)


def test_a_second_problem_the_message_also_reports_is_no_doubt():
    ranking = _ranking(("report_missed_bin", 0.6), ("report_streetlight", 0.5))
    assert unsure(ranking, set(), 0.5, 0.2)
    assert not unsure(ranking, {"report_streetlight"}, 0.5, 0.2)


def test_the_component_sets_nlu_fallback_and_keeps_the_ranking():
    component = UnsureReportFallback({"threshold": 0.5, "margin": 0.2})
    ranking = _ranking(("report_flytipping", 0.45), ("report_litter", 0.3))
    message = Message(data={"text": "stuff on the pavement", "intent": ranking[0], "intent_ranking": ranking})
    component.process([message])
    assert message.get("intent")["name"] == "nlu_fallback"
    assert [r["name"] for r in message.get("intent_ranking")] == ["nlu_fallback", "report_flytipping", "report_litter"]
    clear = Message(data={"text": "yes", "intent": {"name": "affirm", "confidence": 0.4},
                          "intent_ranking": _ranking(("affirm", 0.4))})
    component.process([clear])
    assert clear.get("intent")["name"] == "affirm"


def test_a_report_within_the_configured_margin_is_questioned():
    """config.yml's margin is 0.3 (docs/nlu-evaluation.md, "When unsure, ask"): fly-tipping 0.6
    against litter 0.35 is asked about; with the old 0.2 it was taken as fly-tipping."""
    component = UnsureReportFallback({})
    assert component.margin == 0.3
    ranking = _ranking(("report_flytipping", 0.6), ("report_litter", 0.35))
    message = Message(data={"text": "bags and a broken chair by the bins", "intent": ranking[0],
                            "intent_ranking": ranking})
    component.process([message])
    assert message.get("intent")["name"] == "nlu_fallback"


def test_a_long_message_read_as_a_form_answer_with_a_report_close_behind_is_questioned():
    ranking = _ranking(("inform", 0.5), ("report_flytipping", 0.3), ("report_litter", 0.1))
    long_text = "a mattress two chairs and a fridge on the grass outside 14 Mill Lane"
    assert report_behind_answer(ranking, len(long_text.split()), 8, 0.5)
    component = UnsureReportFallback({})
    message = Message(data={"text": long_text, "intent": ranking[0], "intent_ranking": ranking})
    component.process([message])
    assert message.get("intent")["name"] == "nlu_fallback"
    assert [r["name"] for r in message.get("intent_ranking")][:2] == ["nlu_fallback", "inform"]


def test_short_answers_and_answers_with_no_report_near_are_left_alone():
    component = UnsureReportFallback({})
    close = _ranking(("inform", 0.5), ("report_flytipping", 0.3))
    far = _ranking(("inform", 0.9), ("report_flytipping", 0.05))
    for text, ranking in (("14 Mill Lane", close), ("it is on the corner of Mill Lane by the old post office", far)):
        message = Message(data={"text": text, "intent": ranking[0], "intent_ranking": ranking})
        component.process([message])
        assert message.get("intent")["name"] == "inform", text
    # Nothing likely enough to offer: a question would only say "I didn't understand".
    assert not report_behind_answer(_ranking(("inform", 0.5), ("report_flytipping", 0.06)), 12, 8, 0.5)
    # Other dialogue acts are never questioned, however long.
    thanks = _ranking(("thank", 0.5), ("report_litter", 0.4))
    assert not report_behind_answer(thanks, 12, 8, 0.5)


def test_a_welsh_report_has_its_own_threshold():
    """config.yml's welsh_threshold (0.3): a Welsh report read at 0.45 is taken, an English one
    at 0.45 is still asked about, and below 0.3 a Welsh one is asked about too."""
    import yaml

    from bot.settings import PROJECT_ROOT

    pipeline = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text())["pipeline"]
    config = next(c for c in pipeline if c["name"] == "bot.nlu.unsure.UnsureReportFallback")
    component = UnsureReportFallback(config)
    assert component.welsh_threshold == 0.3

    def read(text, confidence):
        ranking = _ranking(("report_streetlight", confidence), ("report_other_problem", 0.1))
        message = Message(data={"text": text, "intent": ranking[0], "intent_ranking": ranking})
        component.process([message])
        return message.get("intent")["name"]

    assert read("mae'r golau stryd tu allan i'r ysgol wedi diffodd", 0.45) == "report_streetlight"
    assert read("the street light outside the school has gone off", 0.45) == "nlu_fallback"
    assert read("mae'r golau stryd tu allan i'r ysgol wedi diffodd", 0.25) == "nlu_fallback"
    # welsh_margin (0.15): a Welsh report 0.25 ahead of the next kind is taken, an English one asked about.
    assert component.welsh_margin == 0.15

    def read_close(text):
        ranking = _ranking(("report_streetlight", 0.6), ("report_other_problem", 0.35))
        message = Message(data={"text": text, "intent": ranking[0], "intent_ranking": ranking})
        component.process([message])
        return message.get("intent")["name"]

    assert read_close("mae'r golau stryd tu allan i'r ysgol wedi diffodd") == "report_streetlight"
    assert read_close("the street light outside the school has gone off") == "nlu_fallback"
    # Without Welsh settings, Welsh is read as English is.
    plain = UnsureReportFallback({})
    assert (plain.welsh_threshold, plain.welsh_margin) == (plain.threshold, plain.margin)
