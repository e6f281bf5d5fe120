"""A resident who did not follow is not understood, whatever the model reads (bot/nlu/confused.py)."""

from rasa.shared.nlu.training_data.message import Message

from bot.nlu.confused import ConfusedClassifier


def test_the_component_makes_confusion_not_understood_and_keeps_other_readings():
    huh, yes = Message(data={"text": "huh?"}), Message(data={"text": "yes"})
    for message in (huh, yes):
        message.set("intent", {"name": "affirm", "confidence": 0.85}, add_to_output=True)
        message.set("intent_ranking", [{"name": "affirm", "confidence": 0.85}], add_to_output=True)
    ConfusedClassifier.create({}, None, None, None).process([huh, yes])  # type: ignore[arg-type]
    assert huh.get("intent") == {"name": "nlu_fallback", "confidence": 1.0}
    assert yes.get("intent")["name"] == "affirm"
