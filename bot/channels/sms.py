"""Our SMS channel (Twilio): POST /webhooks/sms/webhook, replies via the REST API.

Why not Rasa's built-in Twilio channel: it does not check Twilio's signature,
blocks the event loop, splits replies on blank lines (so they can arrive out
of order) and drops photos. This channel:

1. checks ``X-Twilio-Signature`` against PUBLIC_BASE_URL (forged, missing or
   tampered: 403, nothing recorded);
2. records the message under its MessageSid (a retried webhook is one turn,
   and a message accepted before a restart is processed after it), answers
   Twilio at once with empty TwiML, and does the conversation afterwards;
3. processes each number's messages strictly one after another, in the
   order they arrived, also when Twilio's webhooks reach different replicas
   (a lock per number in Redis with REDIS_URL), and picks up messages a
   stopped replica left unfinished;
4. handles the carrier keywords (STOP..., START..., HELP) before any NLU, and
   answers "I've got a photo" with a one-time upload link (sms_photos.py);
5. fetches MMS photos, checks and stores them, and passes our URLs on as
   ``metadata["media_urls"]``; the resident's number stays out of the tracker
   (looked up by conversation id in bot/storage/sms.py when needed);
6. sends all replies of a turn as one SMS body (so they arrive in order), or,
   when that would pass 3 segments, as few texts as fit, in order
   (sms_text.turn_messages); rendered to GSM-7 with buttons as numbered
   options, never to a number that opted out;
7. takes signed delivery receipts at /webhooks/sms/status; statuses only
   move forward.

Rasa sees a pseudonymous conversation id ("sms-..."), never the number.
Credentials and URLs come from bot/settings.py, not from credentials.yml.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Set, Text, Union
from urllib.parse import parse_qsl

from multidict import MultiDict
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot import messages
from bot.channels.guard import OnNewMessage, guard_messages
from bot.channels.sms_media import CONTENT_TYPES, MediaRejected, MediaStore
from bot.channels.sms_photos import SmsPhotoLinks
from bot.channels.sms_text import chosen_option, render_message, render_turn, segments, split_message, turn_messages
from bot.channels.twilio_client import OPTED_OUT, SendResult, TwilioClient
from bot.language import current as current_language
from bot.photos import in_photo_pool
from bot.redaction import mask_financial
from bot.settings import Settings, load_settings, team_name_in
from bot.shared_state import KeyedLocks, shared_state
from bot.storage.database import create_schema, make_engine
from bot.storage.sms import InboundMessage, SmsStore

logger = logging.getLogger(__name__)

# Carrier keywords, as Twilio's own opt-out handling defines them: one word,
# any case. Opt-in words only mean "opt in" from a number that opted out;
# otherwise "yes" is an ordinary answer.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
OPT_OUT_TYPES = frozenset({"STOP", "START", "HELP"})
# CYMORTH: Welsh for help. Safe to read here: it only ever asks for the HELP text, never opts out.
HELP_WORDS = frozenset({"HELP", "CYMORTH"})
# Welsh for STOP and UNSUBSCRIBE. Only Twilio can opt a number out (its Advanced Opt-Out,
# where a council may add them: then its verdict says "stop"); without that, the resident
# is told, in Welsh, to send STOP, rather than the words going to the conversation.
WELSH_STOP_WORDS = frozenset({"STOPIO", "DAD-DANYSGRIFIO", "DADDANYSGRIFIO"})
MAX_MEDIA = 10  # Twilio sends at most 10 attachments per message
# How often each replica looks for messages left unfinished (a replica stopped
# mid-turn; its number's lock lapses within LOCK_LEASE_SECONDS).
RESUME_SECONDS = 15.0
# Twilio's message SIDs: SM (text) or MM (with media) and 32 hex digits. Anything
# else is refused even when signed: Twilio signs the concatenated keys and values,
# so a captured webhook re-split ("MessageSid=SM...NumMedia0", without NumMedia)
# keeps a valid signature but would be a new message id.
MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-f]{32}$")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# What the keywords answer: bot/messages/catalogue.yml (sms.*). The opt-out
# confirmation says how to come back; it is sent before the number is
# suppressed, and only when Twilio did not mark the message as an opt-out
# itself (with Advanced Opt-Out, Twilio sends its own confirmation: docs/sms.md).
# The names below are the unfilled English texts, for the SMS length lints.
HELP_TEXT = messages.template("sms.help")
OPTED_OUT_TEXT = messages.template("sms.opted_out")
OPTED_IN_TEXT = messages.template("sms.opted_in")
FAILURE_TEXT = messages.template("sms.failure")
MEDIA_REJECTED_TEXT = messages.template("sms.media_rejected")


def keyword(text: str, opt_out_type: Optional[str] = None) -> Optional[str]:
    """ "stop", "start" or "help" when the message is just that keyword ("how_to_stop" for a
    Welsh word for stop that Twilio did not act on).

    ``opt_out_type`` is Twilio's own verdict (the webhook's ``OptOutType``,
    sent when Advanced Opt-Out is on): it also covers keywords the council
    added there, such as Welsh ones, so it wins over our word list.
    """
    if opt_out_type in OPT_OUT_TYPES:
        return opt_out_type.lower()
    word = re.sub(r"[.!\s]+$", "", (text or "").strip()).upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    if word in WELSH_STOP_WORDS:
        return "how_to_stop"
    return None


class SmsSender:
    """Sends SMS through Twilio, in order, never to a number that opted out."""

    def __init__(self, client: TwilioClient, store: SmsStore, from_number: str, status_callback: str) -> None:
        self.client = client
        self.store = store
        self.from_number = from_number
        self.status_callback = status_callback

    async def send(self, conversation_id: Optional[str], phone: str, body: str) -> List[SendResult]:
        """Send one reply (several messages if very long), each after the last succeeded."""
        results: List[SendResult] = []
        for part in split_message(body):
            suppression = await asyncio.to_thread(self.store.suppression, phone)
            if suppression:
                # Enforced here, so worker and console pushes are blocked too; the
                # row tells staff why the resident did not get the message.
                reason = f"not sent: the resident opted out ({suppression['keyword']}, {suppression['source']})"
                await asyncio.to_thread(
                    self.store.record_outbound, conversation_id, part, segments(part), "blocked", None, "OPTOUT", reason
                )
                logger.info("SMS to %s not sent: recipient opted out", conversation_id)
                results.append(SendResult(False, status="blocked", error_code="OPTOUT", error_message=reason))
                break
            result = await self.client.send_message(phone, self.from_number, part, self.status_callback)
            await asyncio.to_thread(
                self.store.record_outbound,
                conversation_id,
                part,
                segments(part),
                (result.status or "queued") if result.ok else "failed",
                result.sid,
                result.error_code,
                result.error_message,
            )
            results.append(result)
            if not result.ok:
                logger.warning("SMS to %s failed: %s %s", conversation_id, result.error_code, result.error_message)
                if result.error_code == str(OPTED_OUT):
                    await asyncio.to_thread(self.store.suppress, phone, "STOP", "twilio")
                break  # later parts would make no sense without this one
        return results


class SmsTurnOutput(OutputChannel):
    """Collects the bot's replies to one message, then sends them as one SMS."""

    def __init__(self, sender: SmsSender, conversation_id: str, phone: str) -> None:
        self.sender = sender
        self.conversation_id = conversation_id
        self.phone = phone
        self.messages: List[Dict[str, Any]] = []

    @classmethod
    def name(cls) -> Text:
        return "sms"  # selects the `channel: sms` response variants in the domain

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.messages.append(dict(message))

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self.messages.append({"text": text})

    async def flush(self) -> List[SendResult]:
        # Numbered options in the conversation's language, as this server's language step last decided it.
        rendered = render_turn(self.messages, current_language.latest(self.conversation_id) or "en")
        self.messages = []
        await asyncio.to_thread(self.sender.store.set_options, self.conversation_id, rendered.options)
        results: List[SendResult] = []
        for text in turn_messages(rendered):  # one text, or several in order when one would pass 3 segments
            sent = await self.sender.send(self.conversation_id, self.phone, text)
            results += sent
            if not sent or not sent[-1].ok:
                break  # later replies would make no sense without this one
        return results


class SmsPushOutput(OutputChannel):
    """Sends each message at once: used when the worker or console speaks first."""

    def __init__(self, sender: SmsSender, team_name: Union[str, Mapping[str, str], None] = None) -> None:
        self.sender = sender
        self.team_name = team_name

    @classmethod
    def name(cls) -> Text:
        return "sms"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        phone = await asyncio.to_thread(self.sender.store.phone_for, recipient_id)
        if phone is None:
            logger.warning("No phone number known for conversation %s; message not sent", recipient_id)
            return
        message = dict(message)
        # Looked up once: with REDIS_URL each look-up is a round trip (bot/language/current.py).
        language = current_language.latest(recipient_id)
        team = team_name_in(self.team_name, language)
        if message.get("from_staff") and team and message.get("text"):
            # Staff speaking (a reply, a hand-back, a case update): say who, not the assistant.
            # In the conversation's language when this server knows it (bot/language/current.py).
            message["text"] = messages.text("sms.from_staff", language or "en", team=team, text=message["text"])
        rendered = render_message(message, language or "en")
        if rendered.options:
            await asyncio.to_thread(self.sender.store.set_options, recipient_id, rendered.options)
        if rendered.body:
            await self.sender.send(recipient_id, phone, rendered.body)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, "from_staff": kwargs.get("from_staff")})


class OrderedWork:
    """Each number's messages handled strictly one after another, in the order they arrived,
    whichever replica Twilio's webhook reached.

    ``put(phone)`` after a message is recorded. A task then holds the number's lock
    (``KeyedLocks``: shared by every Rasa replica with REDIS_URL, bot/shared_state.py)
    and handles the number's unfinished messages from the database, oldest first,
    until none is left. A message recorded by another replica meanwhile is handled by
    whoever holds the lock then, after the ones before it. A message left
    unfinished by a replica that stopped mid-turn (its lock lapses) is handled again
    by the next holder: retried, not lost.
    """

    def __init__(self, handler: Callable[[InboundMessage], Awaitable[None]],
                 pending: Callable[[str], Awaitable[List[InboundMessage]]], locks: KeyedLocks) -> None:
        self.handler = handler
        self.pending = pending
        self.locks = locks
        self._wanted: Dict[str, bool] = {}
        self._tasks: Dict[str, "asyncio.Task[None]"] = {}

    def put(self, key: str) -> None:
        self._wanted[key] = True
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._drain(key))

    async def _drain(self, key: str) -> None:
        tried: Set[int] = set()  # a message that could not even be marked waits for the next sweep
        try:
            while True:
                self._wanted[key] = False
                async with self.locks.hold(key):
                    while True:
                        waiting = [item for item in await self.pending(key) if item.id not in tried]
                        if not waiting:
                            break
                        tried.add(waiting[0].id)
                        try:
                            await self.handler(waiting[0])
                        except Exception:  # e.g. the database was unreachable; the row stays unfinished
                            logger.exception("SMS %s left unfinished; it is retried later", waiting[0].sid)
                if not self._wanted[key]:  # no await between this check and forgetting the task
                    return
        except Exception:  # the database or Redis unreachable: the sweep comes back to it
            logger.exception("SMS messages of a number left waiting; they are retried later")
        finally:
            del self._tasks[key], self._wanted[key]

    @property
    def busy(self) -> int:
        return len(self._tasks)


class SmsInput(InputChannel):
    """Twilio SMS/MMS in; replies out through Twilio's REST API."""

    @classmethod
    def name(cls) -> Text:
        return "sms"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SmsInput":
        # Deliberately ignores credentials.yml: secrets only come from the environment.
        return cls(load_settings())

    def __init__(self, settings: Settings) -> None:
        settings.require("twilio_account_sid", "twilio_auth_token", "twilio_number", "public_base_url")
        self.settings = settings
        base = str(settings.public_base_url)
        self.webhook_prefix = f"{base}/webhooks/{self.name()}"
        self.validator = RequestValidator(str(settings.twilio_auth_token))
        # Pooled: every text is stored and looked up; see bot/storage/database.py.
        engine = make_engine(settings.database_url, pooled=True)
        create_schema(engine)
        self.store = SmsStore(engine)
        self.client = TwilioClient(
            str(settings.twilio_account_sid), str(settings.twilio_auth_token), settings.twilio_api_base_url
        )
        self.sender = SmsSender(self.client, self.store, str(settings.twilio_number), f"{self.webhook_prefix}/status")
        self.media = MediaStore(settings.sms_media_dir, base, settings.sms_media_max_bytes)
        # "I've got a photo": a one-time upload link, as MMS does not reach us in the UK.
        self.photo_links = SmsPhotoLinks(engine, settings)
        # Per number, in arrival order, across replicas (REDIS_URL: bot/shared_state.py).
        self.work = OrderedWork(self._process, self._pending, shared_state(settings).locks("sms-number"))
        self._sweeper: Optional["asyncio.Task[None]"] = None
        # Rasa predicts on its event loop, so unbounded concurrent turns make every
        # webhook acknowledgement queue behind them; a small cap keeps them fast
        # while the CPU stays busy (SMS_MAX_CONCURRENT_TURNS; docs/benchmarks.md).
        self._turns = asyncio.Semaphore(settings.sms_max_concurrent_turns)
        self._on_new_message: Optional[OnNewMessage] = None

    def get_output_channel(self) -> Optional[OutputChannel]:
        return SmsPushOutput(self.sender, self.settings.team_names())

    # -- HTTP ------------------------------------------------------------------
    @staticmethod
    def _form(request: Request) -> "MultiDict[str]":
        """The posted form, blank values included.

        Sanic's ``request.form`` drops blank fields, but Twilio signs them
        (a photo-only MMS has ``Body=``), so we parse the body ourselves.
        """
        if not request.content_type.startswith("application/x-www-form-urlencoded"):
            return MultiDict()
        try:
            return MultiDict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            return MultiDict()

    def _signed(self, request: Request, form: "MultiDict[str]") -> bool:
        """True when X-Twilio-Signature matches the public URL and the form."""
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature:
            return False
        url = f"{self.webhook_prefix}{request.path.split('/webhooks/' + self.name(), 1)[-1]}"
        if request.query_string:
            url += "?" + request.query_string
        return bool(self.validator.validate(url, form, signature))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        self._on_new_message = guard_messages(on_new_message, self.settings.max_message_chars)
        sms = Blueprint("sms_webhook", url_prefix="/webhooks/sms")

        @sms.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "conversations_in_progress": self.work.busy})

        @sms.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            form = self._form(request)
            if not self._signed(request, form):
                logger.warning("Rejected an SMS webhook with a missing or invalid signature")
                return response.text("Forbidden", status=403)
            sid = message_sid(form)
            phone = (form.get("From") or "").strip()
            if sid is None or not phone or len(phone) > 32:
                return response.text("A valid MessageSid and From are required", status=400)
            media = _media_list(form)
            opt_out_type = (form.get("OptOutType") or "").strip().upper()
            # Card numbers, bank details and NI numbers are never recorded (bot/redaction.py).
            body = mask_financial(form.get("Body") or "")[0]
            inbound = await asyncio.to_thread(
                self.store.accept_inbound, sid, phone, body, media,
                opt_out_type if opt_out_type in OPT_OUT_TYPES else None,
            )
            # MessageSid is unique in the database every replica shares: a retry reaching
            # any replica is one turn.
            if inbound is None:
                logger.info("Duplicate SMS webhook %s ignored", sid)
            else:
                self.work.put(phone)
            # Acknowledge now; the conversation happens after (replies via the API).
            return response.text(EMPTY_TWIML, content_type="text/xml")

        @sms.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            form = self._form(request)
            if not self._signed(request, form):
                logger.warning("Rejected a delivery receipt with a missing or invalid signature")
                return response.text("Forbidden", status=403)
            sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
            state = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
            if not sid or not state or len(sid) > 64:
                return response.text("MessageSid and MessageStatus are required", status=400)
            error_code = (form.get("ErrorCode") or "").strip()[:10] or None
            changed = await asyncio.to_thread(
                self.store.record_status, sid, state, error_code, (form.get("ErrorMessage") or None)
            )
            if state in ("undelivered", "failed"):
                logger.warning("SMS %s %s (error %s)", sid, state, error_code)
            return response.json({"updated": changed})

        @sms.route("/media/<name>", methods=["GET"])
        async def media_file(_request: Request, name: str) -> HTTPResponse:
            path = self.media.path_for(name)
            if path is None:
                return response.text("Not found", status=404)
            return await response.file(
                path,
                mime_type=CONTENT_TYPES[path.suffix.lstrip(".")],
                headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400"},
            )

        @sms.listener("after_server_start")
        async def resume_unfinished(_app: Any, _loop: Any) -> None:
            self._sweeper = asyncio.create_task(self._sweep())

        @sms.listener("before_server_stop")
        async def close_client(_app: Any, _loop: Any) -> None:
            if self._sweeper is not None:
                self._sweeper.cancel()
            await self.client.close()

        return sms

    # -- after the acknowledgement --------------------------------------------------
    async def _pending(self, phone: str) -> List[InboundMessage]:
        return await asyncio.to_thread(self.store.unfinished_inbound, phone)

    async def _sweep(self) -> None:
        """At start and then every RESUME_SECONDS: messages acknowledged but never answered
        (this or another replica stopped mid-way) go back to their number's queue."""
        while True:
            try:
                for phone in dict.fromkeys(m.phone for m in await asyncio.to_thread(self.store.unfinished_inbound)):
                    self.work.put(phone)
            except Exception as error:  # the database unreachable: /ready says so; try again later
                logger.warning("Could not look for unfinished SMS: %s", type(error).__name__)
            await asyncio.sleep(RESUME_SECONDS)

    async def _process(self, inbound: InboundMessage) -> None:
        await asyncio.to_thread(self.store.mark_inbound, inbound.id, "processing")
        try:
            async with self._turns:
                outcome = await self._handle(inbound)
            await asyncio.to_thread(self.store.mark_inbound, inbound.id, outcome)
        except Exception as error:  # one bad message must not stop the number's queue
            logger.exception("SMS %s could not be processed", inbound.sid)
            await asyncio.to_thread(self.store.mark_inbound, inbound.id, "failed", type(error).__name__)
            try:  # never leave the resident waiting in silence
                await self.sender.send(inbound.conversation_id, inbound.phone,
                                       self._text("sms.failure", inbound.conversation_id))
            except Exception:
                logger.exception("Could not tell conversation %s about the failure", inbound.conversation_id)

    def _language(self, conversation_id: Optional[str]) -> str:
        """The conversation's language as the language step last decided it in this server
        (bot/language/current.py), else the council's default: keyword replies are sent
        before the dialogue, so they cannot read the slot."""
        languages = self.settings.council_languages
        latest = current_language.latest(conversation_id) if conversation_id else None
        return latest if latest in languages else languages[0]

    def _text(self, message_id: str, conversation_id: Optional[str] = None, language: Optional[str] = None) -> str:
        s = self.settings
        return messages.text(
            message_id,
            language or self._language(conversation_id),
            council_name=s.council_name,
            council_phone=s.council_phone,
            council_website=s.council_website,
            privacy_url=s.web_privacy_url,
            max_mb=s.sms_media_max_bytes // (1024 * 1024),
        )

    async def _handle(self, inbound: InboundMessage) -> str:
        """Keywords first, then the conversation. Returns the row's final status."""
        conversation, phone = inbound.conversation_id, inbound.phone
        word = keyword(inbound.body, inbound.opt_out_type)
        if word == "stop":
            if not inbound.opt_out_type and not await asyncio.to_thread(self.store.suppression, phone):
                await self.sender.send(conversation, phone, self._text("sms.opted_out", conversation))
            await asyncio.to_thread(self.store.suppress, phone, inbound.body.strip().upper()[:20], "resident")
            logger.info("Conversation %s opted out of SMS", conversation)
            return "processed"
        if await asyncio.to_thread(self.store.suppression, phone):
            if word == "start":
                await asyncio.to_thread(self.store.unsuppress, phone)
                logger.info("Conversation %s opted back in to SMS", conversation)
                await self.sender.send(conversation, phone, self._text("sms.opted_in", conversation))
                return "processed"
            return "ignored"  # opted out: no reply, no NLU
        if word == "help":
            await self.sender.send(conversation, phone, self._text("sms.help", conversation))
            return "processed"
        if word == "how_to_stop":
            welsh = "cy" if "cy" in self.settings.council_languages else None
            await self.sender.send(conversation, phone, self._text("sms.how_to_stop", conversation, welsh))
            return "processed"
        if self.photo_links.wanted(inbound.body, len(inbound.media)):
            reply = await asyncio.to_thread(self.photo_links.reply, conversation, self._language(conversation))
            await self.sender.send(conversation, phone, reply)
            logger.info("Conversation %s asked to send a photo: answered with a link or how to get one", conversation)
            return "processed"

        output = SmsTurnOutput(self.sender, conversation, phone)
        media_urls, rejected = await self._fetch_media(inbound)
        if rejected:
            output.messages.append({"text": self._text("sms.media_rejected", conversation)})
        text = inbound.body
        # Not the phone number: Rasa's tracker never holds it. Whoever needs it
        # (actions asking for a contact number, the console) looks it up by
        # the conversation id in bot/storage/sms.py.
        metadata: Dict[str, Any] = {}
        options = await asyncio.to_thread(self.store.options, conversation)
        choice = chosen_option(text, options)
        if choice is not None:
            metadata["sms_option"] = text.strip()
            text = choice
        if media_urls:
            metadata["media_urls"] = media_urls
        if text.strip() or media_urls or not rejected:
            assert self._on_new_message is not None
            await self._on_new_message(
                UserMessage(
                    text,
                    output,
                    conversation,
                    input_channel=self.name(),
                    message_id=inbound.sid,
                    metadata=metadata,
                )
            )
        await output.flush()
        return "processed"

    async def _fetch_media(self, inbound: InboundMessage) -> "tuple[List[str], int]":
        """Our URLs for the photos we accepted, and how many we turned down."""
        urls: List[str] = []
        rejected = 0
        for item in inbound.media:
            try:
                data, served_type = await self.client.fetch_media(item["url"], self.media.max_bytes)
                # Decoded in the shared photo pool: a few at a time, however many arrive.
                urls.append(await in_photo_pool(self.media.store, data, item.get("content_type") or served_type))
            except (MediaRejected, ValueError, OSError, asyncio.TimeoutError) as error:
                logger.warning("Photo on SMS %s not accepted: %s", inbound.sid, error)
                rejected += 1
            except Exception as error:  # aiohttp errors: treat as a photo we could not get
                logger.warning("Photo on SMS %s could not be fetched: %s", inbound.sid, type(error).__name__)
                rejected += 1
        return urls, rejected


def message_sid(form: Any) -> Optional[str]:
    """The webhook's MessageSid if it is a real Twilio SID (and agrees with SmsMessageSid), else None."""
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    if not MESSAGE_SID.match(sid):
        return None
    legacy = form.get("SmsMessageSid")
    if legacy is not None and legacy != sid:
        return None
    return sid


def _media_list(form: Any) -> List[Dict[str, str]]:
    """MediaUrl0..n and MediaContentType0..n from Twilio's form (at most 10)."""
    try:
        count = min(int(form.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    media = []
    for index in range(max(count, 0)):
        url = (form.get(f"MediaUrl{index}") or "").strip()
        if url.startswith(("https://", "http://")) and len(url) <= 1000:
            media.append({"url": url, "content_type": (form.get(f"MediaContentType{index}") or "")[:100]})
    return media
