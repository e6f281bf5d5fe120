"""Email back offices: for services with no case system, a structured email to a team inbox.

Each case becomes one email with a plain-text body people read and a
``case.json`` attachment a mailbox rule or script can read. Sent over SMTP
with STARTTLS (required unless a back office explicitly turns it off for a
local relay) and authentication when a username is configured.

The Message-ID is derived from our reference, so if a retry ever sends an
email twice the inbox (and any script reading it) sees the same id.
smtplib is blocking, so it runs in a worker thread, never in the event loop.
"""

from __future__ import annotations

import asyncio
import json
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional

from bot.backoffice.base import BaseCaseSystem, Capabilities, FurtherReport, LiveProblem
from bot.backoffice.errors import DeliveryError, Rejected, TemporaryFailure, Uncertain
from bot.backoffice.registry import Adapter, BuildContext, check_bool, check_positive, check_secret_env, text_or_none
from bot.cases.model import SENT, Case, StatusUpdate, Submission
from bot.categories import BY_KEY

SCHEMA = "anytown-case/1"  # the machine-readable part's format, for whoever parses it


@dataclass(frozen=True)
class EmailConfig:
    name: str
    host: str
    port: int = 587
    to_address: str = ""
    from_address: str = ""
    username: Optional[str] = None
    password: Optional[str] = None  # the value, read from the env var routing.yml names
    starttls: bool = True
    ca_file: Optional[str] = None  # extra CA to trust (a council's internal relay)
    timeout_seconds: float = 30.0
    subject_prefix: str = "[Report]"


def case_document(case: Case, backoffice: str) -> Dict[str, Any]:
    """The machine-readable part: every field of the case, with a schema name."""
    title = BY_KEY[case.category].title if case.category in BY_KEY else case.category
    return {
        "schema": SCHEMA,
        "backoffice": backoffice,
        "reference": case.reference,
        "category": case.category,
        "category_title": title,
        "created_at": case.created_at.isoformat() if case.created_at else None,
        "location": {
            "text": case.location_text,
            "postcode": case.postcode,
            "latitude": case.latitude,
            "longitude": case.longitude,
            # The street in the council's gazetteer (bot/places), when it was found there.
            "usrn": case.usrn,
            "street_latitude": case.place_latitude,
            "street_longitude": case.place_longitude,
            "note": case.place_note,
        },
        "description": case.description,
        "details": case.details,
        "contact": {
            "consent": case.contact_consent,
            "phone": case.contact_phone if case.contact_consent else None,
            "email": case.contact_email if case.contact_consent else None,
        },
        "media_urls": case.media_urls,
        "channel": case.channel,
    }


def build_message(case: Case, config: EmailConfig) -> EmailMessage:
    doc = case_document(case, config.name)
    lines = [
        f"New {doc['category_title']} report, reference {case.reference}.",
        "",
        f"Where: {', '.join(p for p in (case.location_text, case.postcode) if p) or 'not given'}",
    ]
    if case.latitude and case.longitude:
        lines.append(f"Map position: {case.latitude}, {case.longitude}")
    elif case.place_latitude and case.place_longitude:
        lines.append(f"Map position (the street's): {case.place_latitude}, {case.place_longitude}")
    if case.usrn:
        lines.append(f"USRN: {case.usrn}")
    if case.place_note:
        lines.append(f"Place: {case.place_note}")
    lines.append(f"What: {case.description or 'see details'}")
    for key, value in sorted(case.details.items()):
        lines.append(f"{key.replace('_', ' ').capitalize()}: {value}")
    for url in case.media_urls:
        lines.append(f"Photo: {url}")
    if case.contact_consent:
        lines.append(f"Contact the resident: phone {case.contact_phone or 'not given'}, email {case.contact_email or 'not given'}")
    else:
        lines.append("The resident did not ask to be contacted.")
    lines += ["", "Please quote the reference in any reply. The attached case.json holds the same details for systems."]

    message = EmailMessage()
    message["Subject"] = f"{config.subject_prefix} {doc['category_title']} {case.reference}"
    message["From"] = config.from_address
    message["To"] = config.to_address
    message["Date"] = formatdate(localtime=False)
    domain = config.from_address.rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<{case.reference}.{config.name}@{domain}>"
    message["X-Case-Reference"] = case.reference
    message.set_content("\n".join(lines))
    message.add_attachment(
        json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8"),
        maintype="application",
        subtype="json",
        filename="case.json",
    )
    return message


def build_further_report(case: Case, report: FurtherReport, config: EmailConfig) -> EmailMessage:
    """Another resident reported the same problem: an email about the case, in its thread."""
    title = BY_KEY[case.category].title if case.category in BY_KEY else case.category
    lines = [
        f"Another resident has reported the same {title} as case {case.reference}"
        + (f" (your reference {case.backoffice_reference})" if case.backoffice_reference else "") + ".",
        "",
        f"Reported: {report.reported_at.isoformat() if report.reported_at else 'now'}, by {report.channel}",
        f"Where they said: {report.location_text or 'not given'}",
        f"What they said: {report.description or 'nothing more'}",
        f"Residents now following this case: {report.followers}",
        "",
        "We send them the case's updates; their contact details are not passed on.",
        f"Reference: {case.reference}",
    ]
    domain = config.from_address.rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["Subject"] = f"{config.subject_prefix} {title} {case.reference}: reported again"
    message["From"] = config.from_address
    message["To"] = config.to_address
    message["Date"] = formatdate(localtime=False)
    # Fixed per follower, so a retried send is recognisably the same email; threaded under the case.
    message["Message-ID"] = f"<{case.reference}.{config.name}.further-{report.follower_id}@{domain}>"
    message["In-Reply-To"] = f"<{case.reference}.{config.name}@{domain}>"
    message["References"] = message["In-Reply-To"]
    message["X-Case-Reference"] = case.reference
    message.set_content("\n".join(lines))
    return message


class EmailCaseSystem(BaseCaseSystem):
    """:class:`~bot.backoffice.base.CaseSystem` that emails each case to a team inbox."""

    # An inbox has no status to read and cannot be searched; an email sent twice
    # carries the same Message-ID, so sending again after an uncertain attempt is safe.
    # A further report ("me too") is one more email about the case, with its own fixed Message-ID.
    capabilities = Capabilities(idempotent_submit=True, polls_status=False, stores_contact=True, adds_reports=True)

    def __init__(self, config: EmailConfig) -> None:
        self.name = config.name
        self.config = config

    @property
    def timeout_seconds(self) -> float:  # type: ignore[override]
        return self.config.timeout_seconds

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.config.ca_file:
            context.load_verify_locations(cafile=self.config.ca_file)
        return context

    def _send(self, message: EmailMessage) -> None:
        """Blocking SMTP conversation (runs in a thread). Errors become DeliveryErrors."""
        self._converse(lambda smtp: smtp.send_message(message))

    def _converse(self, then: Callable[[smtplib.SMTP], Any]) -> None:
        """Connect, STARTTLS, log in, then ``then(smtp)``; errors become DeliveryErrors."""
        cfg = self.config
        where = f"{cfg.name} (SMTP {cfg.host}:{cfg.port})"
        try:
            with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds) as smtp:
                smtp.ehlo()
                if cfg.starttls:
                    if not smtp.has_extn("starttls"):
                        raise Rejected(f"{where} does not offer STARTTLS; refusing to send personal data in clear text")
                    smtp.starttls(context=self._tls_context())
                    smtp.ehlo()
                if cfg.username:
                    smtp.login(cfg.username, cfg.password or "")
                then(smtp)
        except smtplib.SMTPAuthenticationError as error:
            raise Rejected(f"{where} refused the login (SMTP {error.smtp_code}); check the username and password") from None
        except smtplib.SMTPRecipientsRefused:
            raise Rejected(f"{where} refused the recipient address") from None
        except smtplib.SMTPSenderRefused as error:
            raise Rejected(f"{where} refused the sender address (SMTP {error.smtp_code})") from None
        except smtplib.SMTPNotSupportedError as error:
            raise Rejected(f"{where}: {error}") from None
        except smtplib.SMTPDataError as error:
            if 400 <= error.smtp_code < 500:
                raise TemporaryFailure(f"{where} deferred the message (SMTP {error.smtp_code})") from None
            raise Rejected(f"{where} refused the message (SMTP {error.smtp_code})") from None
        except smtplib.SMTPServerDisconnected:
            raise Uncertain(f"{where} closed the connection") from None
        except smtplib.SMTPResponseException as error:
            cls = TemporaryFailure if 400 <= error.smtp_code < 500 else Rejected
            raise cls(f"{where} answered SMTP {error.smtp_code}") from None
        except ssl.SSLError as error:
            raise Rejected(f"{where}: TLS failed ({error.reason or type(error).__name__}); check the certificate") from None
        except (socket.timeout, TimeoutError):
            raise Uncertain(f"{where} did not answer within {cfg.timeout_seconds:g} s") from None
        except OSError as error:
            raise TemporaryFailure(f"cannot connect to {where} ({type(error).__name__})") from None

    async def submit(self, case: Case) -> Submission:
        await asyncio.to_thread(self._send, build_message(case, self.config))
        return Submission(backoffice_reference=None, status=SENT)

    async def add_report(self, case: Case, report: FurtherReport) -> None:
        await asyncio.to_thread(self._send, build_further_report(case, report, self.config))

    async def fetch_status(self, case: Case) -> Optional[StatusUpdate]:
        return None

    async def close(self) -> None:
        """Nothing to close: each delivery uses its own SMTP connection."""

    async def check_live(self) -> List[LiveProblem]:
        """Connect, STARTTLS and log in as a delivery would, then NOOP: nothing is sent."""
        try:
            await asyncio.to_thread(self._converse, lambda smtp: smtp.noop())
        except DeliveryError as error:
            return [LiveProblem(error.reason)]
        return []


# ----- the routing file's options for this adapter ---------------------------------------------
OPTIONS = frozenset({
    "host", "port", "username", "password_env", "from", "to", "starttls", "ca_file", "timeout_seconds", "subject_prefix",
})


def check_options(name: str, opts: Mapping[str, Any], environ: Optional[Mapping[str, str]], problems: List[str]) -> None:
    where = f"backoffices.{name}"
    for key in ("host", "from", "to"):
        if not opts.get(key):
            problems.append(f"{where}: needs {key}")
    for key in ("from", "to"):
        if opts.get(key) and "@" not in str(opts[key]):
            problems.append(f"{where}.{key}: {opts[key]!r} is not an email address")
    check_secret_env(where, opts, "password", "password_env", environ, problems)
    if opts.get("username") and not opts.get("password_env"):
        problems.append(f"{where}: username is set but password_env is not")
    if "port" in opts and (isinstance(opts["port"], bool) or not isinstance(opts["port"], int) or not 0 < opts["port"] < 65536):
        problems.append(f"{where}.port: must be a port number")
    if opts.get("ca_file") and not Path(str(opts["ca_file"])).is_file():
        problems.append(f"{where}.ca_file: {opts['ca_file']} does not exist")
    check_positive(where, opts, ["timeout_seconds"], problems)
    check_bool(where, opts, ["starttls"], problems)


def build(context: BuildContext) -> EmailCaseSystem:
    opts, environ = context.options, context.environ
    return EmailCaseSystem(EmailConfig(
        name=context.name,
        host=opts["host"],
        port=int(opts.get("port", 587)),
        to_address=opts["to"],
        from_address=opts["from"],
        username=text_or_none(opts.get("username")),
        password=environ.get(opts["password_env"]) if opts.get("password_env") else None,
        starttls=bool(opts.get("starttls", True)),
        ca_file=text_or_none(opts.get("ca_file")),
        timeout_seconds=float(opts.get("timeout_seconds", 30)),
        subject_prefix=str(opts.get("subject_prefix", "[Report]")),
    ))


ADAPTER = Adapter(key="email", summary="structured email over SMTP", options=OPTIONS, check=check_options, build=build)
