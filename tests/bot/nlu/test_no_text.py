import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.no_text import NoTextClassifier, has_words


@pytest.mark.parametrize("text,expected", [("", False), ("   ", False), ("😡😡😡", False), ("?!...", False),
                                           ("___", False), ("ok", True), ("7", True), ("¿Dónde?", True),
                                           ("bin 😡", True)])
def test_has_words(text, expected):
    assert has_words(text) is expected


def test_wordless_message_gets_the_no_text_intent_and_others_are_untouched():
    wordless = Message({"text": "🙂", "intent": {"name": "greet", "confidence": 0.6}})
    normal = Message({"text": "hello", "intent": {"name": "greet", "confidence": 0.9}})
    NoTextClassifier().process([wordless, normal])
    assert wordless.get("intent") == {"name": "no_text", "confidence": 1.0}
    assert normal.get("intent")["name"] == "greet"
