"""Tables of our own database (Rasa keeps its trackers in its own tables).

SQLAlchemy Core tables, used with the 2.0-style API (``select()``,
``engine.begin()``). Every change here needs a migration in
``bot/storage/migrations/versions`` (docs/operations.md, "Upgrades");
``tests/bot/storage/test_upgrade.py`` fails until the migrations build exactly
these tables. ``create_schema`` applies them at start-up.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
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
    # The conversation's language when the case was made ("en", "cy"): its updates and
    # notifications are written in it (migration 0002; NULL before: the council's default).
    Column("language", String(10)),
    # Which back office the case was routed to, and its own reference there.
    Column("backoffice", String(80)),
    Column("backoffice_reference", String(120)),
    # Set when delivery keeps failing or the case otherwise needs a person.
    Column("needs_attention", Boolean, nullable=False, default=False),
    Column("attention_reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Where it is, for finding reports of the same problem (bot/storage/duplicates.py):
    # the geohash of its coordinates as an integer (bot/geocell.py) and the street its
    # place names, normalised (bot/street_key.py).
    Column("geocell", BigInteger),
    Column("street_key", String(120)),
    # The resident said their report differs from this open case, which looked the same:
    # staff see it on the case page.
    Column("duplicate_of", Integer, ForeignKey("cases.id", ondelete="SET NULL")),
    # The place in the council's gazetteer (bot/places): the street's USRN and position,
    # or a note for staff when the place was not found there (shown on the case page).
    Column("usrn", String(12)),
    Column("place_latitude", String(20)),
    Column("place_longitude", String(20)),
    Column("place_note", Text),
)
Index("ix_cases_conversation", cases.c.conversation_id)
# Duplicate lookups: same category, then nearby cells (ranges) or the same street.
Index("ix_cases_geocell", cases.c.category, cases.c.geocell)
Index("ix_cases_street", cases.c.category, cases.c.street_key)
Index("ix_cases_usrn", cases.c.category, cases.c.usrn)
Index("ix_cases_postcode", cases.c.postcode)
# The console's case list (bot/storage/case_list.py): one index led by each filter it offers
# (then the date, for newest first), each also carrying every other filter column, so
# combined filters and the count are decided inside the index and only matching cases
# are read (benchmarks/cases.py: 100,000 cases; measured in docs/benchmarks.md).
_LIST_FILTERS = ("status", "category", "backoffice", "channel", "needs_attention", "postcode")


def _list_index(name: str, *lead: str) -> Index:
    rest = [c for c in _LIST_FILTERS + ("created_at",) if c not in lead]
    return Index(name, *(cases.c[c] for c in (*lead, *rest)))


_list_index("ix_cases_list_created", "created_at")
_list_index("ix_cases_list_status", "status", "created_at")
_list_index("ix_cases_list_category", "category", "created_at")
_list_index("ix_cases_list_backoffice", "backoffice", "created_at")
_list_index("ix_cases_list_channel", "channel", "created_at")
_list_index("ix_cases_list_attention", "needs_attention", "created_at")
_list_index("ix_cases_list_district", "postcode")
Index("ix_cases_updated", cases.c.updated_at)

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

# Staff's internal notes on a case (the console's case page; never sent to the resident).
case_notes = Table(
    "case_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    Column("staff_id", Integer, ForeignKey("staff.id")),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_case_notes_case", case_notes.c.case_id)

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
    # A worker's lease on the row while it delivers it (bot/storage/outbox.py):
    # another worker may take the row over only once the lease has run out.
    Column("claimed_by", String(80)),
    Column("claimed_until", DateTime(timezone=True)),
    # Some Open311 servers answer a new request with a token only; the worker
    # polls tokens/{token} for the real id (kept here until it has one).
    Column("backoffice_token", String(120)),
    # When the worker next asks the back office for this case's status.
    Column("next_poll_at", DateTime(timezone=True)),
    # The latest attempts and how each ended ([{attempt, at, outcome, error}], at most 20), for staff.
    Column("attempt_log", JSON(none_as_null=True)),
    # Set when an attempt may have reached the back office (time-out after
    # sending, unreadable reply): the case is then only looked up, never sent
    # again by the worker; counts the look-ups that found nothing (NULL: certain).
    Column("uncertain_lookups", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_outbox_due", outbox.c.state, outbox.c.next_attempt_at)
Index("ix_outbox_poll", outbox.c.state, outbox.c.next_poll_at)

# Messages the worker sent (or could not send) to a resident about their case;
# one row per case and kind, so a resident is never told the same thing twice.
notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),  # accepted | closed
    Column("channel", String(30), nullable=False),
    Column("state", String(20), nullable=False),  # sending | sent | no_push_channel | failed
    Column("detail", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # What we tell the resident, kept so a failed notification can be retried
    # as it was first written; attempts so far and when to try again
    # (empty once sent, or when no more attempts are due).
    Column("text", Text),
    Column("attempts", Integer),
    Column("next_attempt_at", DateTime(timezone=True)),
    # Set when the message went to a follower of the case (kind then names the follower).
    Column("follower_id", Integer, ForeignKey("followers.id", ondelete="CASCADE")),
    UniqueConstraint("case_id", "kind", name="uq_notifications_case_kind"),
)
Index("ix_notifications_retry", notifications.c.state, notifications.c.next_attempt_at)

# Residents who said "me too" to an open case (bot/storage/followers.py): each gets the
# case's updates on their own channel, and the back office hears of each as an extra report.
followers = Table(
    "followers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    Column("conversation_id", String(255), nullable=False),
    Column("channel", String(30), nullable=False),
    Column("language", String(10)),  # for updates in the follower's language (not used yet)
    # What the follower told us about the place and the problem (for the back office).
    Column("location_text", Text),
    Column("description", Text),
    # The extra report's way to the back office: pending | sent | not_supported | failed.
    Column("backoffice_state", String(20), nullable=False),
    Column("backoffice_detail", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("case_id", "conversation_id", name="uq_followers_case_conversation"),
)
Index("ix_followers_conversation", followers.c.conversation_id)
Index("ix_followers_backoffice", followers.c.backoffice_state)

# One-time photo upload links sent by SMS (bot/photo_links; issue 13): one row per
# link, for one case. The link's token (signed, in the URL) carries only the id and
# its expiry; the row says which case it is for and whether it has been used.
photo_links = Table(
    "photo_links",
    metadata,
    Column("id", String(16), primary_key=True),  # 8 random bytes, hex
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    # Set, in the same transaction that adds the photos to the case, when it is used.
    Column("used_at", DateTime(timezone=True)),
    Column("photos", Integer),
)
Index("ix_photo_links_case", photo_links.c.case_id)
Index("ix_photo_links_expires", photo_links.c.expires_at)

# ----- escalation to people and the staff console (issue 6) -----------------
# Staff accounts of the console. Passwords are argon2 hashes; never plain text.
staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),  # stored lower-case
    Column("display_name", String(120), nullable=False),
    Column("role", String(20), nullable=False),  # agent | supervisor | admin
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    # Lock-out: consecutive failed sign-ins, and until when the account is locked.
    Column("failed_sign_ins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Signed-in console sessions. Only a hash of the session token is stored, so a
# copy of the database does not let anyone sign in.
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("staff_id", Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# The queue: conversations the bot handed to people. At most one open
# (waiting or claimed) escalation per conversation.
escalations = Table(
    "escalations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_id", String(255), nullable=False),
    Column("channel", String(30), nullable=False),
    # The conversation's language when it was queued: staff see it in the queue (migration 0002).
    Column("language", String(10)),
    # talk_to_human | repeated_fallback | complaint | urgent
    Column("reason", String(30), nullable=False),
    # For urgent escalations: self_harm, gas, abuse, ... (bot/escalation/urgent.py)
    Column("urgent_category", String(30)),
    Column("priority", String(10), nullable=False),  # urgent | normal
    Column("state", String(20), nullable=False),  # waiting | claimed | handed_back | closed
    # The message that caused it (shown to staff, escaped).
    Column("trigger_text", Text),
    # The resident's number when the channel gives it (SMS); for search.
    Column("phone", String(32)),
    # The report the resident had started when a form handed over (its slots), so staff can
    # make the case from it (bot/console/new_case.py) instead of asking everything again.
    Column("draft", JSON(none_as_null=True)),
    Column("claimed_by", Integer, ForeignKey("staff.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("claimed_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_escalations_state", escalations.c.state, escalations.c.priority, escalations.c.created_at)
Index("ix_escalations_conversation", escalations.c.conversation_id)
Index("ix_escalations_phone", escalations.c.phone)

# Internal notes staff write about an escalation (never sent to the resident).
escalation_notes = Table(
    "escalation_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("escalation_id", Integer, ForeignKey("escalations.id", ondelete="CASCADE"), nullable=False),
    Column("staff_id", Integer, ForeignKey("staff.id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_escalation_notes_escalation", escalation_notes.c.escalation_id)

# Every staff action in the console, newest last.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("staff_id", Integer, ForeignKey("staff.id")),  # None: before sign-in
    Column("action", String(40), nullable=False),
    Column("target", String(255)),
    Column("detail", JSON, nullable=False, default=dict),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_audit_log_created", audit_log.c.created_at)

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
    # inbound: Twilio's OptOutType (STOP | START | HELP) when its Advanced
    # Opt-Out recognised the message as a keyword, including custom ones.
    Column("opt_out_type", String(10)),
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

# ----- service analytics (issue 12; bot/analytics/rollup.py owns these) ---------
# One row per conversation (a Rasa session with at least one resident message),
# summarised from Rasa's events table, so the dashboard never reads millions of
# events. No words and no contact details: the resident is a one-way hash of
# the conversation id (to recognise a return within 7 days), times are epoch
# seconds (UTC) so intervals and hour buckets are plain arithmetic on any database.
analytics_conversations = Table(
    "analytics_conversations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("resident", String(32), nullable=False),
    Column("session_at", Float, nullable=False),  # the session's first event
    Column("started_at", Float),  # the first resident message (NULL: none yet, not counted)
    Column("last_at", Float, nullable=False),
    Column("channel", String(10), nullable=False),
    Column("messages", Integer, nullable=False, default=0),
    Column("fallbacks", Integer, nullable=False, default=0),
    # Resident messages by NLU confidence of the chosen intent: [0, 0.1), ..., [0.9, 1].
    *[Column(f"confidence_{n}", Integer, nullable=False, default=0) for n in range(10)],
    Column("cases", Integer, nullable=False, default=0),  # cases the bot made
    Column("answers", Integer, nullable=False, default=0),  # FAQ answers, bin days, case statuses
    # What it was about first (a report category, bin_day, faq, ...) and everything it touched.
    Column("topic", String(60)),
    Column("topics", String(400), nullable=False, default=""),
    Column("escalated_at", Float),  # first hand-over to staff
    Column("first_staff_reply_at", Float),  # first staff message after it
    Column("last_event_id", Integer, nullable=False),
    # The same resident came back about its topic within 7 days (set when the later one is summarised).
    Column("came_back", Boolean),
)
Index("ix_analytics_conversations_started", analytics_conversations.c.started_at, analytics_conversations.c.channel)
Index("ix_analytics_conversations_resident", analytics_conversations.c.resident, analytics_conversations.c.started_at)

# The conversation rows summed per UTC hour and channel, kept up to date as rows change, so a year's
# figures add up 26,000 small rows instead of 100,000 conversations (the council's days are whole hours).
analytics_hours = Table(
    "analytics_hours",
    metadata,
    Column("hour", Integer, primary_key=True),  # hours since 1970, UTC
    Column("channel", String(10), primary_key=True),
    Column("conversations", Integer, nullable=False),
    Column("messages", Integer, nullable=False),
    Column("fallbacks", Integer, nullable=False),
    Column("escalated", Integer, nullable=False),
    Column("served", Integer, nullable=False),  # a case or an answer, and not escalated
    Column("came_back", Integer, nullable=False),  # of those, the resident came back within 7 days
    *[Column(f"confidence_{n}", Integer, nullable=False) for n in range(10)],
)

# Cases counted per UTC hour, channel and category (what never changes about a case), added as cases
# arrive: a year's cases per day and category mix are then ~9,000 small rows, not 50,000 cases read
# per page. Cases newer than the rollup's mark (analytics_state 'cases') are counted from ``cases``.
analytics_case_hours = Table(
    "analytics_case_hours",
    metadata,
    Column("hour", Integer, primary_key=True),  # hours since 1970, UTC
    Column("channel", String(30), primary_key=True),
    Column("category", String(50), primary_key=True),
    Column("cases", Integer, nullable=False),
)

# Per case, how long the back office took to accept it and to close it (from case_updates, read
# incrementally): the medians over a year are then one indexed range read. No personal data.
analytics_cases = Table(
    "analytics_cases",
    metadata,
    Column("case_id", Integer, primary_key=True),  # no foreign key: kept when a case is erased
    Column("created_at", Float, nullable=False),  # epoch seconds
    Column("category", String(50), nullable=False),
    Column("accepted_after", Float),  # seconds from receipt to the first status at or beyond open
    Column("closed_after", Float),  # seconds from receipt to the first closed
)
Index("ix_analytics_cases_created", analytics_cases.c.created_at, analytics_cases.c.category,
      analytics_cases.c.accepted_after, analytics_cases.c.closed_after)

# How far the rollup has read Rasa's events table (the last event id summarised, and its time),
# and case_updates (its last id).
analytics_state = Table(
    "analytics_state",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
