"""'Me too' reports passed on to back offices: by email, recorded for the built-in store, and
recorded as not supported for Open311 (GeoReport v2 has no call for it)."""

from __future__ import annotations

from sqlalchemy import update

from bot.backoffice.builtin import BuiltinCaseSystem
from bot.backoffice.email import EmailCaseSystem
from bot.cases.model import SENT
from bot.outbox.further_reports import FurtherReports
from bot.storage.followers import NOT_SUPPORTED, PENDING, SENT as PASSED_ON, FollowerStore
from bot.storage.schema import cases, followers
from tests.bot.backoffice.test_email import certificate, config, smtp  # noqa: F401
from tests.support.delivery import new_case


def _delivered(case_store, key: str, backoffice: str):
    case = case_store.create(new_case(conversation=f"reporter-{key}"), key)
    case_store.record_status(case.id, SENT, source=backoffice, backoffice_reference=f"BO-{key}")
    with case_store.engine.begin() as conn:
        conn.execute(update(cases).where(cases.c.id == case.id).values(backoffice=backoffice))
    return case_store.get(case.id)


def _state(case_store, follower_id):
    with case_store.engine.connect() as conn:
        return conn.execute(followers.select().where(followers.c.id == follower_id)).mappings().one()


async def test_a_follower_reaches_an_email_back_office_once_as_a_threaded_email(case_store, smtp, certificate):  # noqa: F811
    controller, inbox = smtp
    store = FollowerStore(case_store.engine)
    case = _delivered(case_store, "mail", "envhealth")
    follower = store.add(case.id, "sms-follower", "twilio", location_text="by the gate", description="sofa and bags")
    passing = FurtherReports(store, case_store, routing=None, systems={"envhealth": EmailCaseSystem(
        config(controller, certificate))})
    assert await passing.pass_on() == 1
    assert await passing.pass_on(force=True) == 0  # once
    [message] = inbox.messages
    assert message["Subject"].endswith(f"{case.reference}: reported again")
    assert message["In-Reply-To"] == f"<{case.reference}.envhealth@anytown.gov.uk>"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "by the gate" in text and "sofa and bags" in text and "following this case: 1" in text
    assert f"your reference BO-mail" in text
    assert "sms-follower" not in text  # nothing that identifies the follower
    assert _state(case_store, follower.id)["backoffice_state"] == PASSED_ON


async def test_open311_cannot_take_them_so_staff_are_relied_on(case_store, make_worker):
    store = FollowerStore(case_store.engine)
    worker = make_worker()
    name = worker.routing.backoffice_for("pothole")
    case = _delivered(case_store, "o311", name)
    follower = store.add(case.id, "web-follower", "socketio")
    waiting = case_store.create(new_case(conversation="reporter-waiting"), "waiting")  # not yet delivered
    early = store.add(waiting.id, "web-follower", "socketio")
    assert await worker.further_reports.pass_on() == 1
    row = _state(case_store, follower.id)
    assert row["backoffice_state"] == NOT_SUPPORTED and "case page" in row["backoffice_detail"]
    assert _state(case_store, early.id)["backoffice_state"] == PENDING  # waits for its case to be delivered


async def test_the_builtin_store_has_them_already(case_store):
    store = FollowerStore(case_store.engine)
    case = _delivered(case_store, "builtin", "council")
    follower = store.add(case.id, "web-follower", "socketio")
    passing = FurtherReports(store, case_store, routing=None, systems={"council": BuiltinCaseSystem(case_store)})
    assert await passing.pass_on() == 1
    assert _state(case_store, follower.id)["backoffice_state"] == PASSED_ON
