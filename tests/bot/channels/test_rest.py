"""The REST channel's door: off by default, token required, bodies checked (bot/channels/rest.py).

The whole channel inside the real Rasa server is in tests/e2e/test_rest_conversation.py.
"""

import json

import pytest

from bot.channels.rest import MAX_BODY_BYTES, RequestRefused, RestInput, check_token, parse_call
from bot.rasa_retries import CLIENT_MESSAGE_ID
from bot.settings import ConfigError, load_settings

BASE = "http://127.0.0.1:5010"
JSON = "application/json"


def refused(content_type, body: bytes) -> RequestRefused:
    with pytest.raises(RequestRefused) as caught:
        parse_call(content_type, body, BASE)
    return caught.value


@pytest.mark.parametrize("body,reason", [
    (b"", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b'"hello"', "JSON object"),
    (b"null", "JSON object"),
    (b"\xff\xfe", "not valid JSON"),
    (b'{"sender": "a", "message": 5}', "message must be a string"),
    (b'{"sender": "a", "message": null}', "message must be a string"),
    (b'{"sender": "a"}', "message must be a string"),
    (b'{"message": "hi"}', "sender is required"),
    (b'{"sender": "", "message": "hi"}', "sender is required"),
    (b'{"sender": 7, "message": "hi"}', "sender is required"),
    (b'{"sender": "sms-0123456789abcdef0123", "message": "hi"}', "another channel"),
    (b'{"sender": "0123456789abcdef0123456789abcdef", "message": "hi"}', "another channel"),
])
def test_bad_calls_get_a_400_with_a_reason(body, reason):
    error = refused(JSON, body)
    assert error.status == 400 and reason in error.reason


def test_only_json_bodies_are_read():
    # text/plain is what any web page may post cross-site without a preflight.
    assert refused("text/plain", b'{"sender": "a", "message": "hi"}').status == 415
    assert refused(None, b'{"sender": "a", "message": "hi"}').status == 415
    assert parse_call("application/json; charset=utf-8", b'{"sender": "a", "message": "hi"}', BASE)[:2] == ("a", "hi")


def test_a_huge_body_is_refused_before_it_is_parsed():
    body = json.dumps({"sender": "a", "message": "x" * MAX_BODY_BYTES}).encode()
    assert refused(JSON, body).status == 413


def test_metadata_passes_the_web_chats_allow_list():
    metadata = {"phone": "+447700900999", "media_urls": ["https://attacker.example/x.jpg"],
                "uploads": ["0123456789abcdef0123456789abcdef.jpg", "../../council.db"],
                "location": {"latitude": 51.5, "longitude": -0.1}, "guard": {"original_text": "x"}}
    _, _, kept, _ = parse_call(JSON, json.dumps({"sender": "a", "message": "hi", "metadata": metadata}).encode(), BASE)
    assert "phone" not in kept and "guard" not in kept
    assert kept["location"] == {"latitude": 51.5, "longitude": -0.1}
    assert all(url.startswith(f"{BASE}/chat/uploads/") for url in kept.get("media_urls", []))


@pytest.mark.parametrize("header,status", [
    (None, 401), ("", 401), ("token", 401), ("Bearer wrong", 403), ("Bearer tokenx", 403),
])
def test_calls_need_the_api_token(header, status):
    with pytest.raises(RequestRefused) as caught:
        check_token(header, "token")
    assert caught.value.status == status
    check_token("Bearer token", "token")


def test_it_is_off_unless_switched_on():
    channel = RestInput(load_settings({}))
    blueprint = channel.blueprint(lambda message: None)  # type: ignore[arg-type, return-value]
    assert blueprint._future_routes == set()  # no routes: every REST URL is a 404


def test_switched_on_without_an_api_token_it_refuses_to_start():
    with pytest.raises(ConfigError, match="RASA_API_TOKEN"):
        RestInput(load_settings({"REST_CHANNEL_ENABLED": "true"}))


def test_photo_ids_that_were_never_uploaded_are_dropped(tmp_path):
    """As on the web chat: only photos in our own uploads folder reach a case."""
    from bot.web.uploads import photo_path

    real = "0123456789abcdef0123456789abcdef.jpg"
    missing = "fedcba9876543210fedcba9876543210.jpg"
    (tmp_path / real).write_bytes(b"\xff\xd8 a photo")
    assert photo_path(tmp_path, real) is not None
    metadata = {"uploads": [real, missing]}
    body = json.dumps({"sender": "a", "message": "hi", "metadata": metadata}).encode()
    _, _, kept, _ = parse_call(JSON, body, BASE, tmp_path)
    assert kept["media_urls"] == [f"{BASE}/chat/uploads/{real}"]


@pytest.mark.parametrize("message_id", ["7f3c2a90-1b2c-4d5e-8f90-0a1b2c3d4e5f", "turn.12", "a"])
def test_a_clients_own_message_id_is_kept_and_marked(message_id):
    body = json.dumps({"sender": "a", "message": "hi", "message_id": message_id}).encode()
    _, _, metadata, kept = parse_call(JSON, body, BASE)
    assert kept == message_id and metadata[CLIENT_MESSAGE_ID] is True


@pytest.mark.parametrize("message_id", ["", "x" * 65, "a b", "<script>", 7, ["a"], {"a": 1}])
def test_a_bad_message_id_is_refused(message_id):
    body = json.dumps({"sender": "a", "message": "hi", "message_id": message_id}).encode()
    with pytest.raises(RequestRefused) as refused:
        parse_call(JSON, body, BASE)
    assert refused.value.status == 400 and "message_id" in refused.value.reason


def test_without_a_message_id_rasa_chooses_one_and_nothing_is_marked():
    _, _, metadata, kept = parse_call(JSON, b'{"sender": "a", "message": "hi", "metadata": {"client_message_id": true}}', BASE)
    assert kept is None and CLIENT_MESSAGE_ID not in metadata
