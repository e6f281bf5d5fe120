"""Each channel's conversation ids have their own shape, and REST may not use another's."""

import pytest

from bot.channels.web import new_session_id, session_for_subject
from bot.conversations import belongs_to, owner, rest_sender_problem
from bot.storage.database import create_schema, make_engine
from bot.storage.sms import SmsStore


def test_the_ids_the_channels_issue_have_their_channels_shape(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'sms.db'}")
    create_schema(engine)
    sms = SmsStore(engine).conversation_for("+447700900123")
    assert owner(sms) == "sms" and belongs_to("sms", sms)
    for web in (new_session_id(), session_for_subject("resident@example.com")):
        assert owner(web) == "web" and belongs_to("web", web)
        assert not belongs_to("rest", web) and not belongs_to("sms", web)
    assert not belongs_to("rest", sms) and not belongs_to("web", sms)


@pytest.mark.parametrize("sender", [
    None, "", 42, ["x"], {"a": 1},
    "sms-0123456789abcdef0123",  # an SMS resident's conversation
    "SMS-anything", "sms-", "0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789ABCDEF",  # web's
    "a" * 65, "has space", "../../etc", "-leading-dash", "émile",
])
def test_rest_refuses_senders_that_are_not_its_own(sender):
    assert rest_sender_problem(sender) is not None


@pytest.mark.parametrize("sender", ["resident-1", "e2e-1a2b3c4d", "bench-" + "a" * 32, "warm-up", "a", "x@y.z"])
def test_rest_accepts_ordinary_senders(sender):
    assert rest_sender_problem(sender) is None
    assert belongs_to("rest", sender) and owner(sender) is None


def test_channels_that_are_not_ours_own_nothing():
    assert not belongs_to("socketio", "resident-1") and not belongs_to(None, "resident-1")
