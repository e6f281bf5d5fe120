"""The whole path as `make run` runs it: conversation -> case -> worker -> sandbox back office -> status back.

Real Rasa server, action server, delivery worker and Open311 sandbox processes.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Callable

import pytest
from sqlalchemy import select

from bot.cases.model import CLOSED, OPEN
from bot.storage.cases import CaseStore
from bot.storage.database import make_engine
from bot.storage.schema import notifications
from tests.support.delivery import http_json

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the worker")


def report_a_missed_bin(stack, me: str) -> str:
    for text in ("my bin wasn't collected", "14 Foxglove Way, AN1 4GT", "the blue one", "tuesday", "yes",
                 "07700 900123", "skip"):
        stack.say_text(me, text)
    reply = stack.say_text(me, "yes")
    return REFERENCE.search(reply).group(0)


def test_a_report_reaches_the_back_office_and_its_progress_comes_back(stack):
    me = f"e2e-delivery-{uuid.uuid4().hex[:8]}"
    reference = report_a_missed_bin(stack, me)
    store = CaseStore(make_engine(stack.settings.database_url))
    sandbox = f"http://{stack.settings.bind_host}:{stack.settings.open311_sandbox_port}"

    wait_for(lambda: (store.get_by_reference(reference).status == OPEN))  # delivered, then accepted
    case = store.get_by_reference(reference)
    assert case.backoffice == "waste"
    stored = [r for r in http_json(f"{sandbox}/admin/requests") if r["attributes"].get("council_reference") == reference]
    assert len(stored) == 1
    request = stored[0]
    assert request["service_code"] == "WASTE_MISSED_BIN"
    assert request["attributes"]["bin_type"] == "recycling" and request["attributes"]["usual_collection_day"] == "Tuesday"
    assert case.backoffice_reference == request["service_request_id"]

    http_json(f"{sandbox}/admin/requests/{request['service_request_id']}", {"status": "closed", "status_notes": "Collected today"})
    wait_for(lambda: store.get_by_reference(reference).status == CLOSED)

    reply = stack.say_text(f"e2e-other-{uuid.uuid4().hex[:8]}", f"what's happening with {reference}?")
    assert reference in reply and "closed" in reply
    assert f"The team's own reference is {request['service_request_id']}" in reply

    # The resident agreed to contact, but talked over the REST API, which cannot
    # carry a message we start: both notifications are recorded as not deliverable.
    with store.engine.connect() as conn:
        rows = conn.execute(select(notifications).where(notifications.c.case_id == case.id)).mappings().all()
    assert sorted((r["kind"], r["state"], r["channel"]) for r in rows) == [
        ("accepted", "no_push_channel", "rest"), ("closed", "no_push_channel", "rest"),
    ]
