"""Staff's closing words and the hand-back notice reach a resident in their conversation's language
(the console against a stand-in for Rasa's conversation API, speaking its wire protocol)."""

from __future__ import annotations

import asyncio
import threading
from typing import Iterator, List

import pytest
from aiohttp import web

from bot.escalation.handoff import closing_message, handed_back_notice
from bot.launcher import stop_all
from tests.bot.console.test_console_security import Console

AGENT = ("agent@anytown.gov.uk", "agent password 123")


class RasaConversationApi:
    """Rasa's POST /conversations/{id}/tracker/events, recording what the console appends, in a thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.appended: List[dict] = []
        self.loop = asyncio.new_event_loop()
        self.runner: web.AppRunner

    async def events(self, request: web.Request) -> web.Response:
        self.appended.append({"conversation": request.match_info["conversation"], "events": await request.json()})
        return web.json_response({"sender_id": request.match_info["conversation"], "events": []})

    def start(self) -> None:
        app = web.Application()
        app.router.add_post("/conversations/{conversation}/tracker/events", self.events)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)

    def texts(self, conversation: str) -> List[str]:
        return [e["text"] for call in self.appended if call["conversation"] == conversation
                for e in call["events"] if e.get("event") == "bot"]


@pytest.fixture(scope="module")
def welsh_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    running = Console(tmp_path_factory.mktemp("console-language"), {"COUNCIL_LANGUAGES": "cy,en"})
    running.staff.create(*AGENT[:1], "Alex Agent", "agent", AGENT[1])
    rasa = RasaConversationApi(running.settings.rasa_port)
    rasa.start()
    yield running, rasa
    rasa.stop()
    stop_all([running.service])


def signed_in(console: Console):  # type: ignore[no-untyped-def]
    client = console.client()
    assert client.sign_in(*AGENT).status_code == 303
    return client


@pytest.mark.parametrize("language,ending,expected", [
    ("en", "close", closing_message("en")), ("cy", "close", closing_message("cy")),
    (None, "close", closing_message("cy")),  # queued before languages were kept: the council's default
    ("cy", "hand-back", handed_back_notice("cy")),
])
def test_closing_words_and_the_hand_back_notice_are_in_the_conversations_language(welsh_console, language, ending,
                                                                                   expected) -> None:
    console, rasa = welsh_console
    conversation = f"web-{language}-{ending}"
    escalation = console.escalations.open(conversation, "web", "talk_to_human", "normal", "help", language=language)
    staff = signed_in(console)
    assert staff.post(f"/escalations/{escalation.id}/claim").status_code == 303
    assert staff.post(f"/escalations/{escalation.id}/{ending}").status_code == 303
    assert rasa.texts(conversation) == [expected]
    assert closing_message("cy") != closing_message("en") and handed_back_notice("cy") != handed_back_notice("en")
