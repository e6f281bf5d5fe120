"""Subject access and erasure (bot/privacy) over real stores: SQLite databases, Rasa's own
tracker store, photo files. The end-to-end version through the running system is
tests/e2e/test_privacy.py."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest
from rasa.shared.core.domain import Domain
from sqlalchemy import MetaData, select
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.cases.model import CLOSED, NewCase
from bot.outbox.notify import RasaNotifier  # noqa: F401  (the notifications table's writer)
from bot.privacy import __main__ as cli
from bot.privacy.archive import export_subject
from bot.privacy.erasure import erase_subject
from bot.privacy.subject import DataStores, Selector, SelectorError, find_subject
from bot.settings import PROJECT_ROOT, load_settings
from bot.storage.audit import AuditLog
from bot.storage import tracker_events
from bot.storage.cases import CaseStore
from bot.storage.escalations import EscalationStore
from bot.storage.rasa_stores import CouncilTrackerStore
from bot.storage.schema import notifications
from bot.storage.sms import SmsStore
from bot.storage.staff import StaffStore
from bot.storage.times import utcnow
from tests.support.postgres import module_cluster, new_database, ThrowawayPostgres

PHONE, EMAIL = "+447700900123", "jo.resident@example.com"
OTHER_PHONE = "+447700900999"
SECRET_TEXT = "there is a dead fox <script>alert(1)</script> outside number 12"


class World:
    """One resident who used SMS and web chat, was handed to staff, and sent photos; and a stranger."""

    def __init__(self, var_dir: Path, monkeypatch: pytest.MonkeyPatch, database_url: Optional[str] = None) -> None:
        monkeypatch.setenv("VAR_DIR", str(var_dir))
        for name in ("DATABASE_URL", "TRACKER_STORE_URL"):
            if database_url:  # PostgreSQL: both in one database, as a small deployment might
                monkeypatch.setenv(name, database_url)
            else:
                monkeypatch.delenv(name, raising=False)
        self.sqlite = database_url is None
        self.settings = load_settings()
        self.stores = DataStores.from_settings(self.settings)
        self.cases = CaseStore(self.stores.engine)
        self.sms = SmsStore(self.stores.engine)
        self.escalations = EscalationStore(self.stores.engine)
        self.audit = AuditLog(self.stores.engine)
        self.trackers = CouncilTrackerStore(domain=Domain.load(str(PROJECT_ROOT / "domain.yml")))
        staff = StaffStore(self.stores.engine).create("agent@anytown.gov.uk", "Alex Agent", "agent", "pw 1234567890")
        self.staff_id = staff.id

        # SMS: messages in and out, an MMS photo, a case, an escalation with a staff note.
        self.sms_conversation = self.sms.conversation_for(PHONE)
        self.sms.accept_inbound("SM" + "1" * 32, PHONE, SECRET_TEXT, [])
        self.sms.record_outbound(self.sms_conversation, "Thanks. Where is it?", 1, "delivered", "SM" + "2" * 32)
        self.sms_photo = self.photo(self.settings.sms_media_dir, "A" * 32 + ".png")
        self.save_conversation(self.sms_conversation, "sms", SECRET_TEXT,
                               [f"{self.settings.public_base_url}/webhooks/sms/media/{self.sms_photo.name}"])
        self.sms_case = self.case(self.sms_conversation, "sms", contact_phone=PHONE,
                                  media=[f"https://x/webhooks/sms/media/{self.sms_photo.name}"])
        escalation = self.escalations.open(self.sms_conversation, "sms", "talk_to_human", "normal",
                                           trigger_text="I want a person", phone=PHONE)
        self.escalations.add_note(escalation.id, self.staff_id, "Called Jo back about the fox")
        self.audit.record(self.staff_id, "claim", self.sms_conversation, escalation_id=escalation.id)

        # Web chat: gave an email address, uploaded a photo, made a case.
        self.web_conversation = "ab" * 16
        self.web_photo = self.photo(self.settings.uploads_dir, "b" * 32 + ".jpg")
        self.save_conversation(self.web_conversation, "web", "my bin was not emptied",
                               [f"http://127.0.0.1:5010/chat/uploads/{self.web_photo.name}"],
                               slots={"contact_email": EMAIL})
        self.web_case = self.case(self.web_conversation, "web", contact_email=EMAIL.upper(),
                                  media=[f"http://127.0.0.1:5010/chat/uploads/{self.web_photo.name}"])
        with self.stores.engine.begin() as conn:
            conn.execute(notifications.insert().values(case_id=self.web_case.id, kind="accepted", channel="web",
                                                       state="sent", text="Your report was accepted",
                                                       created_at=utcnow()))
        self.audit.record(self.staff_id, "view_conversation", self.web_conversation)

        # A stranger, whose data must survive.
        self.other_conversation = self.sms.conversation_for(OTHER_PHONE)
        self.save_conversation(self.other_conversation, "sms", "stranger's pothole on Mill Lane", [])
        self.other_case = self.case(self.other_conversation, "sms", contact_phone=OTHER_PHONE,
                                    description="stranger's pothole on Mill Lane")
        self.other_photo = self.photo(self.settings.uploads_dir, "c" * 32 + ".jpg")

    @staticmethod
    def photo(directory: Path, name: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        path.write_bytes(b"\x89PNG fake but stored " + name.encode())
        return path

    def save_conversation(self, sender: str, channel: str, text: str, media: List[str],
                          slots: Dict[str, str] = {}) -> None:
        events = [ActionExecuted("action_listen"),
                  UserUttered(text, {"name": "report_problem", "confidence": 0.9}, input_channel=channel,
                              metadata={"media_urls": media}),
                  *[SlotSet(name, value) for name, value in slots.items()],
                  BotUttered("Thanks, I've got that."), ActionExecuted("action_listen")]
        asyncio.run(self.trackers.save(DialogueStateTracker.from_events(sender, events)))

    def case(self, conversation: str, channel: str, media: List[str] = [], description: str = SECRET_TEXT,
             **contact: str):  # type: ignore[no-untyped-def]
        return self.cases.create(NewCase(category="pothole", conversation_id=conversation, channel=channel,
                                         location_text="12 Mill Lane", postcode="AN1 4GT", description=description,
                                         contact_consent=True, media_urls=media, **contact),
                                 idempotency_key=f"{conversation}:{len(media)}:{sorted(contact.items())}")

    def close_cases(self) -> None:
        for case in (self.sms_case, self.web_case):
            self.cases.record_status(case.id, CLOSED, "test")

    def subject(self, kind: str, value: str):  # type: ignore[no-untyped-def]
        return find_subject(self.stores, Selector.parse(kind, value))

    def checkpoint(self) -> None:
        if not self.sqlite:
            return
        for path in self.settings.var_dir.glob("*.db"):
            with sqlite3.connect(path) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def database_rows(self) -> str:
        """Every row of every table of both databases, as text."""
        if not self.sqlite:
            return _all_rows(self.stores.engine)
        text = []
        for path in (self.settings.var_dir / "council.db", self.settings.var_dir / "tracker.db"):
            with sqlite3.connect(path) as conn:
                tables = [t for (t,) in conn.execute("select name from sqlite_master where type='table'")]
                for table in tables:
                    text += [repr(row) for row in conn.execute(f'select * from "{table}"')]
        return "\n".join(text)


def _all_rows(engine) -> str:  # type: ignore[no-untyped-def]
    reflected = MetaData()
    reflected.reflect(engine)
    with engine.connect() as conn:
        return "\n".join(repr(tuple(row)) for table in reflected.sorted_tables for row in conn.execute(select(table)))


@pytest.fixture(scope="module")
def postgres() -> Iterator[Optional[ThrowawayPostgres]]:
    yield from module_cluster()


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    if request.param == "sqlite":
        return World(tmp_path, monkeypatch)
    return World(tmp_path, monkeypatch, new_database(request, "privacy"))


def test_each_selector_finds_what_it_links_to_and_nothing_of_the_stranger(world: World) -> None:
    by_phone = world.subject("phone", "07700 900123")  # as typed; stored as +447700900123
    assert by_phone.conversation_ids == {world.sms_conversation}
    assert by_phone.case_ids == [world.sms_case.id] and by_phone.references == {world.sms_case.reference}
    by_email = world.subject("email", "Jo.Resident@example.com")
    assert by_email.conversation_ids == {world.web_conversation} and by_email.case_ids == [world.web_case.id]
    # A reference typed in lower case with a space: its case, conversation and the email given there.
    by_reference = world.subject("reference", world.web_case.reference.lower().replace("-", " "))
    assert by_reference.conversation_ids == {world.web_conversation} and by_reference.emails == {EMAIL}


def test_one_case_with_both_contact_details_joins_the_channels(world: World) -> None:
    world.cases.create(NewCase(category="graffiti", conversation_id=world.web_conversation, channel="web",
                               contact_phone=PHONE, contact_consent=True), idempotency_key="join")
    subject = world.subject("phone", PHONE)
    assert subject.conversation_ids == {world.sms_conversation, world.web_conversation}
    assert EMAIL in subject.emails and world.other_case.id not in subject.case_ids


def test_export_holds_every_kind_of_data_and_the_summary_escapes_what_was_typed(world: World, tmp_path: Path) -> None:
    # Joined through the case: the SMS case's contact phone and the web case's email are one person's.
    world.cases.create(NewCase(category="graffiti", conversation_id=world.web_conversation, channel="web",
                               contact_phone=PHONE, contact_consent=True), idempotency_key="join")
    subject = world.subject("phone", "07700900123")
    out = tmp_path / "access.zip"
    content, counts = export_subject(world.stores, subject, "Anytown", out)
    assert out.read_bytes() == content and oct(out.stat().st_mode & 0o777) == "0o600"
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = set(archive.namelist())
    assert {"data.json", "summary.html", f"photos/{world.sms_photo.name}", f"photos/{world.web_photo.name}"} <= names
    assert f"photos/{world.other_photo.name}" not in names
    data = json.loads(archive.read("data.json"))
    texts = [e.get("text") for c in data["conversations"] for e in c["events"]]
    assert SECRET_TEXT in texts and "my bin was not emptied" in texts
    assert {c["channel"] for c in data["conversations"]} == {"sms", "web"}
    assert "stranger's pothole on Mill Lane" not in json.dumps(data)
    assert {c["reference"] for c in data["cases"]} >= {world.sms_case.reference, world.web_case.reference}
    assert any(u["status"] == "received" for c in data["cases"] for u in c["updates"])
    assert [n["text"] for c in data["cases"] for n in c["notifications"]] == ["Your report was accepted"]
    assert [m["body"] for m in data["sms"]["messages"]] == [SECRET_TEXT, "Thanks. Where is it?"]
    assert data["sms"]["numbers"][0]["phone"] == PHONE
    [escalation] = data["escalations"]
    assert escalation["notes"][0]["text"] == "Called Jo back about the fox"
    assert {a["action"] for a in data["audit"]} >= {"claim", "view_conversation"}
    assert counts["photos"] == 2 and counts["staff notes"] == 1

    summary = archive.read("summary.html").decode()
    assert "<script>alert(1)</script>" not in summary
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in summary
    assert "Called Jo back about the fox" in summary and world.web_case.reference in summary
    assert f'src="photos/{world.web_photo.name}"' in summary
    assert "(text messages)" in summary and "(web chat)" in summary


def test_erasure_is_held_while_a_case_is_open(world: World) -> None:
    subject = world.subject("phone", PHONE)
    report = erase_subject(world.stores, subject, world.staff_id, "Alex", dry_run=False, force=False)
    assert report.held == [world.sms_case.reference] and not report.erased
    assert PHONE in world.database_rows() and world.sms_photo.exists()
    assert world.audit.recent(1)[0].action == "privacy_erase_held"


def test_dry_run_counts_and_removes_nothing(world: World) -> None:
    before = world.database_rows()
    report = erase_subject(world.stores, world.subject("phone", PHONE), None, "cli", dry_run=True)
    assert report.counts["cases"] == 1 and report.counts["sms messages"] == 2 and report.counts["photos"] == 1
    assert report.counts["conversation events"] > 0
    after = world.database_rows()
    assert after.count(PHONE) == before.count(PHONE) and world.sms_photo.exists()


def test_erasure_leaves_nothing_about_the_person_and_keeps_the_stranger(world: World) -> None:
    world.close_cases()
    world.cases.create(NewCase(category="graffiti", conversation_id=world.web_conversation, channel="web",
                               contact_phone=PHONE, contact_consent=False), idempotency_key="join")
    world.cases.record_status(world.cases.get_by_idempotency_key("join").id, CLOSED, "test")
    references = [world.sms_case.reference, world.web_case.reference]
    world.checkpoint()  # as in a running system: the rows are in the database files, not only the log
    report = erase_subject(world.stores, world.subject("phone", PHONE), world.staff_id, "Alex")
    assert report.erased and report.counts["cases"] == 3 and report.counts["staff notes"] == 1
    rows = world.database_rows()
    for trace in [PHONE, "07700 900123", EMAIL, EMAIL.upper(), SECRET_TEXT, "dead fox", "Called Jo back",
                  world.sms_conversation, world.web_conversation, *references]:
        assert trace not in rows, trace
    assert not world.sms_photo.exists() and not world.web_photo.exists()
    # Not in the files' bytes either (free pages, the write-ahead log).
    files = b"" if not world.sqlite else b"".join(f.read_bytes() for f in world.settings.var_dir.glob("*.db*"))
    for trace in [PHONE, EMAIL, "dead fox", "Called Jo back", world.sms_conversation, *references]:
        assert trace.encode() not in files, trace
    # Nothing is found by the searches either.
    for kind, value in (("phone", PHONE), ("email", EMAIL), ("reference", references[0])):
        assert not world.subject(kind, value).found
    # The stranger is untouched.
    assert OTHER_PHONE in rows and "stranger's pothole" in rows and world.other_photo.exists()
    assert world.cases.get(world.other_case.id) is not None
    # The audit log says who erased what, without the data.
    entry = world.audit.recent(1)[0]
    assert entry.action == "privacy_erase" and entry.staff_name == "Alex Agent"
    assert entry.detail["selector"] == "phone" and entry.detail["counts"]["cases"] == 3
    assert entry.detail["subject"] == Selector.parse("phone", PHONE).digest()


def test_the_stop_list_entry_of_an_opted_out_number_is_kept(world: World) -> None:
    world.close_cases()
    world.sms.suppress(PHONE, "STOP", "resident")
    erase_subject(world.stores, world.subject("phone", PHONE), None, "cli")
    assert world.sms.suppression(PHONE)["keyword"] == "STOP"
    assert world.sms.conversation_of(PHONE) is None and world.sms.messages(world.sms_conversation) == []


def test_force_erases_an_open_case(world: World) -> None:
    report = erase_subject(world.stores, world.subject("phone", PHONE), None, "cli", force=True)
    assert report.erased and world.cases.get(world.sms_case.id) is None
    assert world.audit.recent(1)[0].detail["forced"] is True


@pytest.mark.parametrize("kind, value", [("phone", "12"), ("email", "not an email"), ("reference", "AB7K"),
                                         ("name", "Jo")])
def test_unreadable_selectors_are_refused(kind: str, value: str) -> None:
    with pytest.raises(SelectorError):
        Selector.parse(kind, value)


def test_command_line_exports_then_erases(world: World, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "subject.zip"
    assert cli.main(["export", "--email", EMAIL, "--out", str(out)]) == 0
    assert "data.json" in zipfile.ZipFile(out).namelist()
    assert cli.main(["erase", "--email", EMAIL]) == 1  # the web case is open
    assert "still open" in capsys.readouterr().out
    assert cli.main(["erase", "--email", EMAIL, "--dry-run"]) == 0
    assert "Would remove" in capsys.readouterr().out
    assert cli.main(["erase", "--email", EMAIL, "--force"]) == 0
    assert EMAIL not in world.database_rows()
    actions = [e.action for e in world.audit.recent(10)]
    assert actions[:2] == ["privacy_erase", "privacy_erase_dry_run"] and "privacy_export" in actions
    assert all(EMAIL not in json.dumps(e.detail) for e in world.audit.recent(10))
    assert cli.main(["erase", "--phone", "not a phone"]) == 2


def test_numbers_older_versions_put_in_the_tracker_are_stripped(world: World) -> None:
    # As the SMS channel stored messages before the number was kept out of the tracker.
    events = [ActionExecuted("action_listen"),
              UserUttered("old message", {"name": "greet", "confidence": 0.9}, input_channel="sms",
                          metadata={"phone": PHONE, "sms_option": "1"})]
    asyncio.run(world.trackers.save(DialogueStateTracker.from_events("sms-00000000000000000000", events)))
    world.checkpoint()
    assert cli.main(["strip-tracker-phones", "--dry-run"]) == 0
    assert PHONE in world.database_rows()
    assert cli.main(["strip-tracker-phones"]) == 0
    assert PHONE not in _tracker_rows(world), [r for r in _tracker_rows(world).splitlines() if PHONE in r]
    if world.sqlite:
        assert PHONE.encode() not in (world.settings.var_dir / "tracker.db").read_bytes()
    [stored] = [e for e in tracker_events.export(world.stores.tracker_engine, ["sms-00000000000000000000"])
                ["sms-00000000000000000000"] if e["event"] == "user"]
    assert stored["metadata"] == {"sms_option": "1"} and stored["text"] == "old message"


def _tracker_rows(world: World) -> str:
    with world.stores.tracker_engine.connect() as conn:
        return "\n".join(repr(tuple(r)) for r in conn.exec_driver_sql("select * from events"))
