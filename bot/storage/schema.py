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
