"""Tables of our own database (Rasa keeps its trackers in its own tables).

SQLAlchemy Core tables, used with the 2.0-style API (``select()``,
``engine.begin()``). ``create_schema`` is idempotent and runs at start-up.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(9), nullable=False, unique=True),
    # Same conversation + same confirming message => same case (see CaseStore.create).
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("category", String(50), nullable=False),
    Column("status", String(30), nullable=False),
    Column("location_text", Text),
    Column("postcode", String(10)),
    Column("latitude", String(20)),
    Column("longitude", String(20)),
    Column("description", Text),
    # Category-specific answers (bin type, vehicle registration, ...).
    Column("details", JSON, nullable=False, default=dict),
    Column("contact_phone", String(32)),
    Column("contact_email", String(254)),
    Column("contact_consent", Boolean, nullable=False, default=False),
    Column("media_urls", JSON, nullable=False, default=list),
    Column("channel", String(30), nullable=False),
    Column("conversation_id", String(255), nullable=False),
    # Which back office the case was routed to, and its own reference there.
    Column("backoffice", String(80)),
    Column("backoffice_reference", String(120)),
    # Set when delivery keeps failing or the case otherwise needs a person.
    Column("needs_attention", Boolean, nullable=False, default=False),
    Column("attention_reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_cases_conversation", cases.c.conversation_id)
Index("ix_cases_postcode", cases.c.postcode)

# Every status a case has been through, newest last.
case_updates = Table(
    "case_updates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(30), nullable=False),
    Column("note", Text),
    Column("source", String(50), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_case_updates_case", case_updates.c.case_id)

# Transactional outbox: written in the same transaction as the case, read by
# the delivery worker (python -m bot.outbox).
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("state", String(20), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_outbox_due", outbox.c.state, outbox.c.next_attempt_at)

# ----- SMS channel (issue 4; bot/storage/sms.py) -------------------------------
# One row per resident phone number: the pseudonymous conversation id Rasa
# sees (so numbers stay out of URLs and logs) and the numbered options of the
# last message we sent, so a reply "1" means that option.
sms_conversations = Table(
    "sms_conversations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("phone", String(32), nullable=False, unique=True),
    Column("conversation_id", String(64), nullable=False, unique=True),
    Column("options", JSON, nullable=False, default=list),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Every SMS in and out. Inbound rows de-duplicate on Twilio's MessageSid and
# carry the message until it has been processed (so nothing accepted is lost);
# outbound rows carry the delivery status, which only ever moves forward.
sms_messages = Table(
    "sms_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sid", String(64), unique=True),  # NULL for sends we blocked ourselves
    Column("direction", String(10), nullable=False),  # inbound | outbound
    Column("conversation_id", String(64)),
    # inbound: received | processing | processed | ignored | failed
    # outbound: queued | sending | sent | delivered | undelivered | failed | blocked
    Column("status", String(20), nullable=False),
    Column("status_rank", Integer, nullable=False, default=0),
    Column("body", Text),
    Column("media", JSON, nullable=False, default=list),
    Column("segments", Integer),
    Column("error_code", String(10)),
    Column("error_message", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_sms_messages_conversation", sms_messages.c.conversation_id, sms_messages.c.id)
Index("ix_sms_messages_pending", sms_messages.c.direction, sms_messages.c.status)

# Numbers that texted STOP (or that Twilio says opted out): nothing is sent to
# them until they text START again.
sms_suppressions = Table(
    "sms_suppressions",
    metadata,
    Column("phone", String(32), primary_key=True),
    Column("keyword", String(20), nullable=False),
    Column("source", String(20), nullable=False),  # resident | twilio
    Column("created_at", DateTime(timezone=True), nullable=False),
)
