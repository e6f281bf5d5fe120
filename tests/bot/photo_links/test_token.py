"""The upload link's token: signed, short, expiring, and refusing anything altered."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest

from bot.photo_links import token as tokens

SECRET = "a test secret that is long enough"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def test_a_signed_token_verifies_to_its_link_and_expiry_and_is_short_and_url_safe():
    link_id = tokens.new_link_id()
    signed = tokens.sign(SECRET, link_id, NOW + timedelta(hours=24))
    assert len(signed) == tokens.TOKEN_CHARS == 32
    assert set(signed) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    claims = tokens.verify(SECRET, signed)
    assert claims.link_id == link_id
    assert claims.expires_at == NOW + timedelta(hours=24)
    assert not claims.expired(NOW) and claims.expired(NOW + timedelta(hours=24))


def test_two_links_never_share_a_token():
    assert len({tokens.sign(SECRET, tokens.new_link_id(), NOW) for _ in range(200)}) == 200


def test_another_secret_does_not_verify():
    signed = tokens.sign(SECRET, tokens.new_link_id(), NOW)
    with pytest.raises(tokens.InvalidToken):
        tokens.verify("some other secret entirely", signed)


@pytest.mark.parametrize("position", range(32))
def test_changing_any_character_is_refused(position: int):
    signed = tokens.sign(SECRET, tokens.new_link_id(), NOW + timedelta(hours=1))
    replacement = "A" if signed[position] != "A" else "B"
    altered = signed[:position] + replacement + signed[position + 1:]
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(SECRET, altered)


def test_moving_the_expiry_is_refused():
    raw = bytearray(base64.urlsafe_b64decode(tokens.sign(SECRET, tokens.new_link_id(), NOW) + "=="[:0]))
    raw[tokens.ID_BYTES + 3] ^= 0x01  # one second later... or earlier
    later = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(tokens.InvalidToken) as refused:
        tokens.verify(SECRET, later)
    assert refused.value.reason == "bad signature"


@pytest.mark.parametrize("bad", ["", "short", "x" * 31, "x" * 33, "!" * 32, "/../../etc/passwd" + "a" * 15, None, 12])
def test_malformed_tokens_are_refused_not_crashed_on(bad):
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(SECRET, bad)


def test_no_secret_neither_signs_nor_verifies():
    with pytest.raises(ValueError):
        tokens.sign("", tokens.new_link_id(), NOW)
    with pytest.raises(tokens.InvalidToken):
        tokens.verify("", tokens.sign(SECRET, tokens.new_link_id(), NOW))


def test_the_token_says_nothing_but_the_link_id_and_expiry():
    link_id = tokens.new_link_id()
    raw = base64.urlsafe_b64decode(tokens.sign(SECRET, link_id, NOW))
    assert raw[:tokens.ID_BYTES].hex() == link_id and len(raw) == 24
