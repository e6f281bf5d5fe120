"""The web chat channel's own rules: what a browser may put in metadata, signed sessions."""

from __future__ import annotations

import time

import jwt
import pytest

from bot.channels import web

BASE = "https://www.anytown.gov.uk"
PHOTO = "0123456789abcdef0123456789abcdef.jpg"


def test_a_shared_location_and_our_own_photos_pass_through() -> None:
    metadata = web.safe_metadata(
        {"location": {"latitude": "51.5", "longitude": -0.12}, "uploads": [PHOTO, PHOTO]}, BASE
    )
    assert metadata == {
        "location": {"latitude": 51.5, "longitude": -0.12},
        "media_urls": [f"{BASE}/chat/uploads/{PHOTO}"],
    }


def test_photo_ids_nobody_uploaded_are_not_attached(tmp_path) -> None:
    """An id that looks right but was never stored would reach a back office as a photo."""
    stored = "fedcba9876543210fedcba9876543210.png"
    (tmp_path / stored).write_bytes(b"a stored photo")
    metadata = web.safe_metadata({"uploads": [PHOTO, stored]}, BASE, tmp_path)
    assert metadata == {"media_urls": [f"{BASE}/chat/uploads/{stored}"]}
    assert web.safe_metadata({"uploads": [PHOTO]}, BASE, tmp_path) == {}
    assert web.safe_metadata({"uploads": [PHOTO]}, BASE, tmp_path / "missing") == {}


def test_a_browser_cannot_claim_a_phone_number_or_other_channel_data() -> None:
    forged = {"phone": "+447700900123", "guard": {"x": 1}, "media_urls": ["https://evil.example/x.jpg"]}
    assert web.safe_metadata(forged, BASE) == {}


@pytest.mark.parametrize(
    "raw",
    [
        None, "text", [1, 2], {"location": "here"}, {"location": {"latitude": 91, "longitude": 0}},
        {"location": {"latitude": "nan", "longitude": 0}}, {"location": {"latitude": 1e309, "longitude": 0}},
        {"location": {"latitude": 1}}, {"uploads": "x.jpg"},
        {"uploads": ["../../secrets.jpg", "https://evil.example/a.jpg", PHOTO.replace(".jpg", ".svg"), 7]},
    ],
)
def test_malformed_metadata_is_dropped_without_error(raw: object) -> None:
    assert web.safe_metadata(raw, BASE) == {}


def test_at_most_five_photos_per_message() -> None:
    ids = [f"{n:032x}.png" for n in range(9)]
    assert len(web.safe_metadata({"uploads": ids}, BASE)["media_urls"]) == web.MAX_PHOTOS_PER_MESSAGE


def token(secret: str, **claims: object) -> str:
    return jwt.encode({"exp": int(time.time()) + 600, **claims}, secret, algorithm="HS256")


def test_a_signed_token_names_the_resident() -> None:
    assert web.verified_subject(token("s3cret", sub="resident-42"), "s3cret") == "resident-42"
    assert web.verified_subject("Bearer " + token("s3cret", sub="resident-42"), "s3cret") == "resident-42"


@pytest.mark.parametrize(
    "bad",
    [
        None, "", 42, "not-a-jwt",
        token("other-secret", sub="resident-42"),  # forged
        token("s3cret"),  # no subject
        jwt.encode({"sub": "resident-42", "exp": int(time.time()) - 10}, "s3cret", algorithm="HS256"),  # expired
        jwt.encode({"sub": "resident-42"}, "s3cret", algorithm="HS256"),  # never expires: refused
        jwt.encode({"sub": "r", "exp": int(time.time()) + 60}, None, algorithm="none"),  # unsigned
    ],
    # Named, not by value: the tokens hold the time, and every test process must collect the same ids.
    ids=["none", "empty", "number", "not-a-jwt", "forged", "no-subject", "expired", "never-expires", "unsigned"],
)
def test_a_bad_token_is_refused(bad: object) -> None:
    assert web.verified_subject(bad, "s3cret") is None


def test_a_signed_in_resident_keeps_one_conversation_that_looks_like_any_other() -> None:
    first, again = web.session_for_subject("resident-42"), web.session_for_subject("resident-42")
    assert first == again and web.SESSION_ID.match(first)
    assert web.session_for_subject("resident-43") != first


class RecordingSocketServer:
    """What WebChatOutput needs of python-socketio's server: emit to a room."""

    def __init__(self) -> None:
        self.emitted: list = []

    async def emit(self, event: str, data: object, room: str) -> None:
        self.emitted.append((event, data, room))


async def test_staff_messages_carry_the_teams_name_and_the_bots_do_not() -> None:
    from bot.channels.web import WebChatOutput
    from bot.channels.web_replay import ReplayBuffer

    sio = RecordingSocketServer()
    output = WebChatOutput(sio, "bot_uttered", ReplayBuffer(), "Anytown Borough Council team")  # type: ignore[arg-type]
    room = "0" * 32
    # As Rasa passes a staff reply's event metadata (bot/escalation/handoff.py) to the output channel.
    await output.send_response(room, {"text": "Hi, Jo here.", "from_staff": True, "staff_name": "Jo"})
    await output.send_response(room, {"text": "What can I help with?"})
    staff, bot = (data for _event, data, _room in sio.emitted)
    assert staff["text"] == "Hi, Jo here." and staff["sender"] == "Anytown Borough Council team"
    assert bot["text"] == "What can I help with?" and "sender" not in bot


async def test_a_staff_message_in_a_welsh_conversation_carries_the_teams_welsh_name() -> None:
    from bot.channels.web import WebChatOutput
    from bot.channels.web_replay import ReplayBuffer
    from bot.language import current
    from bot.settings import load_settings

    settings = load_settings({"COUNCIL_NAME": "Cyngor Sir Ynys Môn", "COUNCIL_LANGUAGES": "cy,en"})
    sio = RecordingSocketServer()
    output = WebChatOutput(sio, "bot_uttered", ReplayBuffer(), settings.team_names())  # type: ignore[arg-type]
    welsh, english, unknown = "1" * 32, "2" * 32, "3" * 32
    current.remember(welsh, "cy")
    current.remember(english, "en")
    for room in (welsh, english, unknown):
        await output.send_response(room, {"text": "Helo", "from_staff": True})
    senders = [data["sender"] for _event, data, _room in sio.emitted]
    # Not known: the council's default language (Welsh first here).
    assert senders == ["Tîm Cyngor Sir Ynys Môn", "Cyngor Sir Ynys Môn team", "Tîm Cyngor Sir Ynys Môn"]


def test_the_widgets_language_choice_passes_through_and_nothing_else_like_it() -> None:
    assert web.safe_metadata({"language": "cy"}, BASE) == {"language": "cy"}
    for forged in ("cymraeg", "<b>", 7, ["cy"], "c"):
        assert web.safe_metadata({"language": forged}, BASE) == {}


async def test_replies_are_marked_with_the_conversations_language_when_it_is_known() -> None:
    from bot.channels.web import WebChatOutput
    from bot.channels.web_replay import ReplayBuffer
    from bot.language import current

    sio = RecordingSocketServer()
    output = WebChatOutput(sio, "bot_uttered", ReplayBuffer())  # type: ignore[arg-type]
    welsh, unknown = "c" * 32, "d" * 32
    current.remember(welsh, "cy")  # as the language step does each turn (bot/language/rasa_hook.py)
    await output.send_response(welsh, {"text": "Diolch!"})
    await output.send_response(unknown, {"text": "Thanks!"})
    marked, unmarked = (data for _event, data, _room in sio.emitted)
    assert marked["lang"] == "cy" and "lang" not in unmarked
