"""domain.yml and the rules agree with bot/categories.py, the one list of report kinds."""


import yaml

from bot.categories import CATEGORIES, REPORT_SLOTS, likeliest
from bot.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())


def test_every_category_has_its_form_intent_and_validator():
    for category in CATEGORIES:
        assert DOMAIN["forms"][category.form]["required_slots"] == list(category.required_slots), category.key
        assert category.intent in DOMAIN["intents"]
        assert f"validate_{category.form}" in DOMAIN["actions"]


def test_every_report_slot_is_in_the_domain():
    for slot in REPORT_SLOTS:
        assert slot in DOMAIN["slots"], slot


def test_every_form_has_start_and_finish_rules():
    rules = yaml.safe_load((PROJECT_ROOT / "data" / "rules" / "reports.yml").read_text())["rules"]
    started = {r["steps"][1]["action"] for r in rules if r["steps"][0].get("intent")}
    finished = {r["condition"][0]["active_loop"] for r in rules if r.get("condition")}
    assert started == finished == {c.form for c in CATEGORIES}


def test_every_question_a_form_asks_has_a_response_or_action():
    responses = set(DOMAIN["responses"])
    for category in CATEGORIES:
        for slot in category.required_slots:
            asked = {f"utter_ask_{slot}", f"utter_ask_{category.form}_{slot}"} & responses
            assert asked or f"action_ask_{slot}" in DOMAIN["actions"], f"{category.form} cannot ask {slot}"


def _ranking(*pairs):
    return [{"name": n, "confidence": c} for n, c in pairs]


def test_the_choices_are_the_likeliest_reports_below_a_likely_first_one():
    """A second or third reading under 0.1 is still offered once the first is likely enough: on the real
    reports the right kind was often one of them (docs/nlu-evaluation.md, "When unsure, ask")."""
    ranking = _ranking(("inform", 0.4), ("report_flytipping", 0.3), ("thank", 0.2), ("report_litter", 0.06),
                       ("report_dog_fouling", 0.03), ("report_tree", 0.01))
    assert likeliest(ranking) == ["report_flytipping", "report_litter", "report_dog_fouling"]


def test_no_choices_when_no_report_is_likely_and_never_dialogue_acts_or_vanishing_ones():
    assert likeliest(_ranking(("out_of_scope", 0.6), ("report_tree", 0.08), ("report_litter", 0.05))) == []
    assert likeliest(_ranking(("report_pothole", 0.5), ("affirm", 0.3), ("report_tree", 0.01))) == ["report_pothole"]
    assert likeliest([]) == []


def test_the_bin_day_is_offered_in_its_place_among_likely_reports_but_never_alone():
    ranking = _ranking(("nlu_fallback", 0.5), ("request_new_bin", 0.38), ("bin_day_enquiry", 0.26),
                       ("report_missed_bin", 0.13))
    assert likeliest(ranking) == ["request_new_bin", "bin_day_enquiry", "report_missed_bin"]
    # No kind of report likely: nothing is offered (the bin day alone is not a question worth asking).
    assert likeliest(_ranking(("bin_day_enquiry", 0.4), ("report_tree", 0.05))) == []
    # Other questions (a case's status) are never among the choices.
    assert likeliest(_ranking(("report_pothole", 0.4), ("case_status", 0.3))) == ["report_pothole"]
