"""domain.yml and the rules agree with bot/categories.py, the one list of report kinds."""


import yaml

from bot.categories import CATEGORIES, REPORT_SLOTS
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
