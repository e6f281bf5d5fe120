"""A resident who reported by SMS is texted when the back office accepts and closes the case.

Real Rasa server, action server, Twilio stand-in, delivery worker and Open311
sandbox: the worker's notification goes through Rasa's API to the SMS channel
and out through the (stand-in) Twilio API to the resident's phone.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Iterator

import pytest

from bot.cases.model import OPEN
from bot.launcher import delivery_services, twilio_sandbox_service
from bot.storage.cases import CaseStore
from bot.storage.database import make_engine
from tests.support.delivery import http_json
from tests.support.sms import SmsClient
from tests.support.stack import Stack, free_port

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")


@pytest.fixture(scope="module")
def sms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmsClient]:
    stack = Stack(Path(tmp_path_factory.mktemp("notify-stack")), env={
        "TWILIO_SANDBOX_PORT": str(free_port()),
        "OPEN311_SANDBOX_PORT": str(free_port()),
        "OUTBOX_WORKER_PORT": str(free_port()),
        "OUTBOX_STATUS_POLL_SECONDS": "1",
    })
    stack.start(extra=[twilio_sandbox_service(stack.settings), *delivery_services(stack.settings)])
    try:
        yield SmsClient(stack)
    finally:
        stack.stop()


def test_consenting_sms_resident_is_told_when_the_case_is_accepted_and_closed(sms: SmsClient):
    phone = "+447700900321"
    answers = ["my bin wasn't collected", "14 Foxglove Way, AN1 4GT", "the blue one", "tuesday",
               "yes", "skip", "yes"]
    for count, text in enumerate(answers, start=1):
        sms.send_via_network(phone, text)
        sms.wait_for_replies(phone, count)
    confirmation = sms.replies(phone)[-1]["body"]
    reference = REFERENCE.search(confirmation).group(0)

    accepted = sms.wait_for_text(phone, lambda body: reference in body and "accepted" in body)
    assert "Update on your missed bin collection report" in accepted

    sandbox = f"http://{sms.settings.bind_host}:{sms.settings.open311_sandbox_port}"
    [request] = [r for r in http_json(f"{sandbox}/admin/requests")
                 if r["attributes"].get("council_reference") == reference]
    http_json(f"{sandbox}/admin/requests/{request['service_request_id']}", {"status": "closed"})
    closed = sms.wait_for_text(phone, lambda body: reference in body and "closed" in body)
    assert closed.startswith("Your missed bin collection report")


def test_resident_who_declined_contact_is_not_texted(sms: SmsClient):
    phone = "+447700900322"
    answers = ["my bin wasn't collected", "14 Foxglove Way, AN1 4GT", "the black one", "monday", "no", "yes"]
    for count, text in enumerate(answers, start=1):
        sms.send_via_network(phone, text)
        sms.wait_for_replies(phone, count)
    reference = REFERENCE.search(sms.replies(phone)[-1]["body"]).group(0)
    store = CaseStore(make_engine(sms.settings.database_url))
    deadline = time.monotonic() + 45
    while store.get_by_reference(reference).status != OPEN and time.monotonic() < deadline:
        time.sleep(0.3)
    assert store.get_by_reference(reference).status == OPEN  # accepted: a consenting resident would be told now
    time.sleep(3)  # longer than the worker's notification round (1 s poll)
    assert not [r for r in sms.replies(phone) if reference in r["body"] and "accepted" in r["body"]]
