"""The email adapter against a real local SMTP server (aiosmtpd) with STARTTLS and AUTH."""

from __future__ import annotations

import json
import random
import ssl
import subprocess
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any, Iterator, List

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from bot.backoffice.email import EmailCaseSystem, EmailConfig
from bot.backoffice.errors import Rejected, TemporaryFailure
from bot.storage.outbox import DELIVERED, OutboxStore
from bot.outbox.worker import DeliveryWorker
from bot.routing import load_routing
from bot.settings import PROJECT_ROOT, load_settings
from tests.bot.backoffice.test_open311 import make_case
from tests.support.delivery import FakeClock, free_port, new_case

USER, PASSWORD = "chatbot", "s3cret-pass"


class Inbox:
    def __init__(self) -> None:
        self.messages: List[Any] = []
        self.sessions: List[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        self.sessions.append({"tls": session.ssl is not None, "authenticated": session.authenticated, "to": envelope.rcpt_tos})
        return "250 Message accepted"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == USER.encode() and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
        check=True, capture_output=True,
    )
    return folder


def _server(certificate: Path, tls: bool = True) -> Iterator[Any]:
    inbox = Inbox()
    context = None
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate / "cert.pem", certificate / "key.pem")
    controller = Controller(
        inbox, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=tls,
        authenticator=_authenticate, auth_require_tls=tls, auth_exclude_mechanism=["CRAM-MD5"],
    )
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp(certificate: Path) -> Iterator[Any]:
    yield from _server(certificate)


@pytest.fixture
def plain_smtp(certificate: Path) -> Iterator[Any]:
    yield from _server(certificate, tls=False)


def config(controller: Any, certificate: Path, **changes: Any) -> EmailConfig:
    values = dict(
        name="envhealth", host="127.0.0.1", port=controller.port, to_address="envhealth@anytown.gov.uk",
        from_address="chatbot@anytown.gov.uk", username=USER, password=PASSWORD,
        ca_file=str(certificate / "cert.pem"), timeout_seconds=5,
    )
    values.update(changes)
    return EmailConfig(**values)


async def test_a_case_arrives_as_text_plus_json_over_starttls_with_login(smtp, certificate):
    controller, inbox = smtp
    case = make_case(media_urls=["http://x/photo.jpg"])
    submission = await EmailCaseSystem(config(controller, certificate)).submit(case)
    assert submission.backoffice_reference is None

    assert inbox.sessions == [{"tls": True, "authenticated": True, "to": ["envhealth@anytown.gov.uk"]}]
    message = inbox.messages[0]
    assert message["Subject"] == "[Report] pothole or damaged path AB7K-3FQ2"
    assert message["Message-ID"] == "<AB7K-3FQ2.envhealth@anytown.gov.uk>"  # stable: a resend is recognisable
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "reference AB7K-3FQ2" in text and "12 Mill Lane, AN1 4GT" in text and "Photo: http://x/photo.jpg" in text
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "case.json" and attachment.get_content_type() == "application/json"
    document = json.loads(attachment.get_content())
    assert document["schema"] == "anytown-case/1" and document["reference"] == "AB7K-3FQ2"
    assert document["details"] == {"defect_surface": "road", "defect_size": "large"}
    assert document["contact"] == {"consent": True, "phone": "07700 900123", "email": "resident@example.com"}


async def test_a_wrong_password_is_a_rejection_naming_the_cause(smtp, certificate):
    controller, _ = smtp
    with pytest.raises(Rejected, match="refused the login"):
        await EmailCaseSystem(config(controller, certificate, password="wrong")).submit(make_case())


async def test_no_starttls_means_no_personal_data_sent(plain_smtp, certificate):
    controller, inbox = plain_smtp
    with pytest.raises(Rejected, match="does not offer STARTTLS"):
        await EmailCaseSystem(config(controller, certificate, username=None)).submit(make_case())
    assert inbox.messages == []


async def test_an_untrusted_certificate_is_refused(smtp, certificate):
    controller, inbox = smtp
    with pytest.raises(Rejected, match="TLS failed"):
        await EmailCaseSystem(config(controller, certificate, ca_file=None)).submit(make_case())
    assert inbox.messages == []


async def test_no_server_is_a_temporary_failure(certificate):
    class Closed:
        port = free_port()

    with pytest.raises(TemporaryFailure, match="cannot connect"):
        await EmailCaseSystem(config(Closed(), certificate)).submit(make_case())


async def test_the_worker_delivers_by_email_when_routing_says_so(smtp, certificate, case_store, tmp_path):
    controller, inbox = smtp
    data = yaml.safe_load((PROJECT_ROOT / "council" / "routing.yml").read_text())
    data["backoffices"]["envhealth"] = {
        "adapter": "email", "host": "127.0.0.1", "port": controller.port, "username": USER,
        "password_env": "ENVHEALTH_SMTP_PASSWORD", "from": "chatbot@anytown.gov.uk", "to": "envhealth@anytown.gov.uk",
        "ca_file": str(certificate / "cert.pem"),
    }
    data["routes"]["noise"] = {"backoffice": "envhealth"}
    path = tmp_path / "routing.yml"
    path.write_text(yaml.safe_dump(data))
    env = {"OPEN311_SANDBOX_API_KEY": "k", "ENVHEALTH_SMTP_PASSWORD": PASSWORD}
    routing = load_routing(path, env)
    clock = FakeClock()
    worker = DeliveryWorker(OutboxStore(case_store.engine, clock), case_store, routing, routing.build(env),
                            load_settings({"VAR_DIR": str(tmp_path)}), clock=clock, rng=random.Random(1))
    case = case_store.create(new_case(category="noise", details={"noise_type": "music"}), "conv:noise")
    await worker.run_once()
    await worker.close()
    assert len(inbox.messages) == 1 and inbox.messages[0]["X-Case-Reference"] == case.reference
    row = worker.store.row(case.id)
    assert row["state"] == DELIVERED and row["next_poll_at"] is None  # an inbox has no status to poll
    assert case_store.get(case.id).backoffice == "envhealth"


async def test_the_live_check_logs_in_and_sends_nothing(smtp, plain_smtp, certificate):
    controller, inbox = smtp
    assert await EmailCaseSystem(config(controller, certificate)).check_live() == []
    [wrong] = await EmailCaseSystem(config(controller, certificate, password="wrong")).check_live()
    assert wrong.fatal and "refused the login" in wrong.what and "wrong" not in wrong.what
    plain, _ = plain_smtp
    [clear] = await EmailCaseSystem(config(plain, certificate)).check_live()
    assert "does not offer STARTTLS" in clear.what
    assert inbox.messages == []
