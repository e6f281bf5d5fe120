"""By SMS, a Welsh conversation's numbered options are in Welsh and keep their letters; English as before."""

import asyncio
from typing import List, Tuple

from bot.channels.sms import SmsTurnOutput
from bot.language import current as current_language


class _Store:
    def __init__(self) -> None:
        self.options: List[str] = []

    def set_options(self, conversation_id: str, options: List[str]) -> None:
        self.options = options


class _Sender:
    """Records what would be texted (the real SmsSender talks to Twilio)."""

    def __init__(self) -> None:
        self.store = _Store()
        self.sent: List[Tuple[str, str]] = []

    async def send(self, conversation_id: str, phone: str, body: str) -> list:
        self.sent.append((conversation_id, body))
        return []


def _turn(conversation_id: str) -> Tuple[str, List[str]]:
    sender = _Sender()
    output = SmsTurnOutput(sender, conversation_id, "+447700900123")

    async def speak() -> None:
        await output.send_response(conversation_id, {
            "text": "Ydy'n achosi perygl uniongyrchol i bobl neu gerbydau? Siarad â pherson",
            "buttons": [{"title": "Ie", "payload": "ie"}, {"title": "Na", "payload": "na"}]})
        await output.flush()

    asyncio.run(speak())
    [(_, body)] = sender.sent
    return body, sender.store.options


def test_a_welsh_conversations_options_are_in_welsh():
    current_language.remember("sms-welsh-options", "cy")
    body, options = _turn("sms-welsh-options")
    assert body.endswith("\nAtebwch 1: Ie, 2: Na.") and "Siarad â pherson" in body
    assert options == ["ie", "na"]


def test_an_english_conversations_options_are_as_before():
    body, _ = _turn("sms-english-options")
    assert body.endswith("\nReply 1 for Ie, 2 for Na.")
