"""Web chat: Rasa's socket.io channel, hardened for a public website.

The browser widget (bot/web/static/widget.js) speaks Rasa's socket.io
protocol: ``session_request`` -> ``session_confirm`` -> ``user_uttered`` ->
``bot_uttered``. Differences from Rasa's own ``SocketIOInput``, and why:

* Session persistence is always on, and the session id is bound to the
  socket on the server: a page reload, another page of the site or a
  reconnect after a dropped connection continues the same conversation
  (also in the middle of a form), and the bot's replies, staff replies and
  status notifications (pushed through Rasa's API with
  ``output_channel=latest``) reach every socket in that session's room.
* Session ids are 32 lowercase hex characters issued by us; anything else a
  browser sends is replaced by a fresh id. That keeps a web visitor from
  naming another channel's conversation (an SMS thread is keyed by a phone
  number) and taking it over.
* With ``WEB_CHAT_JWT_SECRET`` set, a socket must present a signed token and
  the conversation is derived from the token's ``sub`` claim, so a signed-in
  resident gets the same conversation on every device.
* Message metadata is rebuilt from an allow-list: a browser may share a
  location (validated numbers) and photos it uploaded to our own website
  (validated ids, turned into our own URLs). Anything else, such as a forged
  ``{"phone": ...}``, is dropped (the actions never take a number from
  metadata anyway: an SMS number is looked up by conversation id).
* Every message passes the shared guard (bot/channels/guard.py).
* Only the council's own origins may open a socket (``WEB_CHAT_ALLOWED_ORIGINS``).
* Every message to a room carries a ``seq`` and is kept for a while; a
  browser that sends ``last_seq`` in ``session_request`` gets what it missed
  while its socket was away (bot/channels/web_replay.py).
* The widget gives every message its own random ``message_id`` and sends it
  again, with the same id, until the server acknowledges it (socket.io's
  acknowledgement, sent when the turn is over), for instance after its
  replica died mid-turn. A valid id (bot/channels/message_ids.py) becomes
  Rasa's message id, so a message id the conversation already has is
  answered from the record, not handled again (bot/rasa_retries.py). The
  answers to such a message carry ``reply_to`` (its id) and ``part`` (their
  place in the answer), so a browser shows an answer sent again only once.
  A message without an id (an older widget), or with one that is not valid,
  is handled as before, under an id Rasa makes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Text, Union

import jwt
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels.guard import guard_messages
from bot.channels.message_ids import CLIENT_MESSAGE_ID, client_message_id
from bot.channels.web_replay import ReplayBuffer, parse_last_seq
from bot.language import current as current_language
from bot.settings import Settings, load_settings, team_name_in
from bot.shared_state import shared_state
from bot.storage.database import make_engine
from bot.storage.escalations import EscalationStore
from bot.web.uploads import UPLOAD_ID, photo_path

logger = logging.getLogger(__name__)

CHANNEL_NAME = "web"
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_PHOTOS_PER_MESSAGE = 5
# Socket.io frames larger than this are refused by engine.io itself; the guard
# cuts message text far below it anyway.
MAX_FRAME_BYTES = 256 * 1024


def new_session_id() -> str:
    return uuid.uuid4().hex


def session_for_subject(subject: str) -> str:
    """The conversation of a signed-in resident (same on every device)."""
    return hashlib.sha256(f"web-subject:{subject}".encode("utf-8")).hexdigest()[:32]


def verified_subject(token: Any, secret: str) -> Optional[str]:
    """The ``sub`` claim of a valid HS256 token, or None (never raises)."""
    if not isinstance(token, str) or not token:
        return None
    if token.lower().startswith("bearer "):
        token = token[7:]
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"]})
    except jwt.PyJWTError as error:
        logger.info("Web chat token refused: %s", type(error).__name__)
        return None
    subject = claims.get("sub")
    return str(subject) if subject not in (None, "") else None


def safe_metadata(raw: Any, upload_base_url: str, uploads_dir: Optional[Path] = None) -> Dict[str, Any]:
    """Message metadata a browser is allowed to set, validated.

    ``{"location": {"latitude", "longitude"}}`` from "share my location" and
    ``{"uploads": ["<id>.jpg", ...]}`` (photos the resident uploaded to our
    website) become ``location`` and ``media_urls``; everything else is dropped.
    With ``uploads_dir`` (the website's VAR_DIR/uploads, shared with the Rasa
    server), only ids of photos really stored there are kept: an id nobody
    uploaded would otherwise reach a back office as a photo URL that leads nowhere.
    """
    if not isinstance(raw, dict):
        return {}
    metadata: Dict[str, Any] = {}
    location = raw.get("location")
    if isinstance(location, dict):
        try:
            latitude, longitude = float(location["latitude"]), float(location["longitude"])
        except (KeyError, TypeError, ValueError):
            latitude = longitude = math.nan
        if math.isfinite(latitude) and math.isfinite(longitude) and -90 <= latitude <= 90 and -180 <= longitude <= 180:
            metadata["location"] = {"latitude": latitude, "longitude": longitude}
    uploads = raw.get("uploads")
    if isinstance(uploads, list):
        ids = [u for u in uploads if isinstance(u, str) and UPLOAD_ID.match(u)]
        if uploads_dir is not None:
            unknown = [u for u in ids if photo_path(uploads_dir, u) is None]
            if unknown:
                logger.info("Web chat: %d photo id(s) that were never uploaded ignored", len(unknown))
                ids = [u for u in ids if u not in unknown]
        urls = [f"{upload_base_url}/chat/uploads/{u}" for u in dict.fromkeys(ids)][:MAX_PHOTOS_PER_MESSAGE]
        if urls:
            metadata["media_urls"] = urls
    language = raw.get("language")
    if isinstance(language, str) and re.fullmatch(r"[a-z]{2}", language):
        # The widget's language toggle: a choice the language step reads (bot/language/rasa_hook.py),
        # which ignores a language the council does not serve.
        metadata["language"] = language
    return metadata


class WebChatOutput(SocketIOOutput):
    """Sends to a conversation's room (every open tab of that resident), numbered for replay."""

    def __init__(self, sio: AsyncServer, bot_message_evt: Text, replay: ReplayBuffer,
                 team_name: Union[str, Mapping[str, str], None] = None, reply_to: Optional[str] = None) -> None:
        super().__init__(sio, bot_message_evt)
        self.replay = replay
        self.team_name = team_name
        # The resident's message these are the answers to (its client id), and how many were sent:
        # an answer sent again (a re-sent message answered from the record) has the same reply_to and part.
        self.reply_to = reply_to
        self.parts = 0

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        """Numbers the message and keeps it for replay; ``socket_id`` is the conversation's room."""
        if not isinstance(response, dict):
            await super()._send_message(socket_id, response)
            return
        # With REDIS_URL the emit is published to every replica (the socket may be on another one)
        # before the lock is let go, so the next message's seq cannot overtake it.
        language = current_language.latest(socket_id)
        if language and "lang" not in response:
            # What the widget marks the message's language with (its lang attribute).
            response = {**response, "lang": language}
        if self.reply_to:
            response = {**response, "reply_to": self.reply_to, "part": self.parts}
        self.parts += 1
        async with self.replay.lock(socket_id):
            await self.sio.emit(self.bot_message_evt, await self.replay.record(socket_id, response), room=socket_id)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """Staff's messages (``from_staff`` in the event's metadata) carry the team's name as ``sender``,
        so the widget says who is talking instead of "Assistant"."""
        team = team_name_in(self.team_name, current_language.latest(recipient_id)) if kwargs.get("from_staff") else None
        if not team:
            await super().send_text_message(recipient_id, text, **kwargs)
            return
        for part in text.strip().split("\n\n"):
            await self._send_message(recipient_id, {"text": part, "sender": team})

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        # Rasa's version passes the JSON as keyword arguments to emit(); wrap it instead.
        await self._send_message(recipient_id, {"custom": json_message})


class WebChatBlueprint(SocketBlueprint):
    """Rasa's socket.io blueprint, with engine.io's route marked as a websocket route.

    When a websocket closes, engine.io's request handler returns None (the
    upgraded connection has nothing left to answer). Sanic accepts that only
    from websocket routes; for any other route it logs an ERROR with a
    traceback ("Invalid response type None") on every resident who leaves.
    Long polling still gets engine.io's ordinary HTTP responses.
    """

    def register(self, app: Any, options: Dict[Text, Any]) -> None:
        engineio = self.ctx.sio.eio

        async def engineio_request(request: Request) -> Optional[HTTPResponse]:
            return await engineio.handle_request(request)

        engineio_request.is_websocket = True  # type: ignore[attr-defined]  # Sanic's own marker
        app.add_route(engineio_request, f"/{self.ctx.socketio_path.strip('/')}/", methods=["GET", "POST", "OPTIONS"])
        app.enable_websocket()
        Blueprint.register(self, app, options)


class WebChatInput(SocketIOInput):
    """The socket.io channel the web chat widget talks to (see module docs)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WebChatInput":
        credentials = credentials or {}
        return cls(load_settings(), socketio_path=credentials.get("socketio_path", "/socket.io"))

    def __init__(self, settings: Optional[Settings] = None, socketio_path: Text = "/socket.io") -> None:
        self.settings = settings or load_settings()
        # Shared by every Rasa replica when REDIS_URL is set (bot/shared_state.py).
        self.shared = shared_state(self.settings)
        self.replay = ReplayBuffer.shared(self.shared)
        self._escalations: Optional[EscalationStore] = None  # made when first needed (_with_staff)
        super().__init__(
            user_message_evt="user_uttered",
            bot_message_evt="bot_uttered",
            namespace=None,
            session_persistence=True,
            socketio_path=socketio_path,
        )

    async def _with_staff(self, conversation_id: str) -> bool:
        """True while the conversation is handed to staff (an open escalation); asked only of
        messages the bot did not answer, so a lookup a turn at most for conversations with staff."""
        if self._escalations is None:
            self._escalations = EscalationStore(make_engine(self.settings.database_url, pooled=True))
        try:
            return await asyncio.to_thread(self._escalations.open_for_conversation, conversation_id) is not None
        except Exception:  # noqa: BLE001 - the resident's message was handled; only the hint is lost
            logger.exception("Web chat: could not look up the conversation's escalation")
            return False

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Used by Rasa's API (``output_channel=latest``) to reach a resident live."""
        if self.sio is None:
            return None
        return WebChatOutput(self.sio, self.bot_message_evt, self.replay, self.settings.team_names())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        guarded = guard_messages(on_new_message)
        settings = self.settings
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=list(settings.web_chat_allowed_origins),
            max_http_buffer_size=MAX_FRAME_BYTES,
            # Several replicas: a room's messages reach sockets on every replica through Redis.
            client_manager=self.shared.socketio_manager(),
        )
        self.sio = sio
        blueprint = WebChatBlueprint(sio, self.socketio_path, "web_chat_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect")
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            if not settings.web_chat_jwt_secret:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            subject = verified_subject(token, settings.web_chat_jwt_secret)
            if subject is None:
                return False  # the client sees a connect_error
            await sio.save_session(sid, {"subject": subject})
            return True

        async def join(sid: Text, requested: Any, last_seq: Optional[int] = None) -> str:
            """Bind the socket to a conversation and its room, confirm, and replay what it missed
            after ``last_seq`` (None: nothing); returns the session id."""
            state = await sio.get_session(sid)
            if state.get("subject"):
                session_id = session_for_subject(state["subject"])
            elif isinstance(requested, str) and SESSION_ID.match(requested):
                session_id = requested
            else:
                session_id = new_session_id()
            # Under the conversation's lock (shared by every replica with REDIS_URL) no
            # message is numbered between the replay and joining the room, and the
            # socket joins the room only after its replay (sent straight to it, not
            # through Redis), so it sees every seq in order. A message numbered just
            # before the lock may still reach the room afterwards through Redis: the
            # widget ignores a seq it has shown.
            async with self.replay.lock(session_id):
                previous = state.get("session_id")
                if previous and previous != session_id:
                    sio.leave_room(sid, previous)
                state["session_id"] = session_id
                await sio.save_session(sid, state)
                await sio.emit("session_confirm", session_id, room=sid, ignore_queue=True)
                missed = await self.replay.since(session_id, last_seq) if last_seq is not None else []
                for payload in missed:
                    await sio.emit(self.bot_message_evt, payload, room=sid, ignore_queue=True)
                # python-socketio 5.8: enter_room is synchronous (see RASA-NOTES.md).
                sio.enter_room(sid, session_id)
            if missed:
                logger.info("Web chat: replayed %d message(s) (session %s)", len(missed), session_id[:8])
            return session_id

        @sio.on("session_request")
        async def session_request(sid: Text, data: Any = None) -> None:
            if not isinstance(data, dict):
                data = {}
            await join(sid, data.get("session_id"), parse_last_seq(data.get("last_seq")))

        @sio.on(self.user_message_evt)
        async def handle_message(sid: Text, data: Any = None) -> Optional[Dict[str, Any]]:
            """Hands the message to Rasa; what it returns is the acknowledgement the widget waits for
            (sent when the turn is over) before it stops re-sending the message."""
            if not isinstance(data, dict):
                await sio.emit("chat_error", {"code": "bad_message"}, room=sid)
                return None
            state = await sio.get_session(sid)
            session_id = state.get("session_id")
            if not session_id:
                # A message flushed by the client right after a reconnect can
                # arrive before its session_request: join the session it names.
                session_id = await join(sid, data.get("session_id"))
            text = data.get("message")
            metadata = safe_metadata(data.get("metadata"), settings.web_public_url, settings.uploads_dir)
            message_id = client_message_id(data.get("message_id"))
            if message_id is not None:
                metadata[CLIENT_MESSAGE_ID] = True
            elif data.get("message_id") is not None:
                # Not one the widget makes: handled as before, under an id of Rasa's (no dedupe).
                logger.info("Web chat: a message id that is not valid was ignored (session %s)", session_id[:8])
            output = WebChatOutput(sio, self.bot_message_evt, self.replay, reply_to=message_id)
            message = UserMessage(
                text if isinstance(text, str) else "",
                output,
                session_id,
                input_channel=self.name(),
                message_id=message_id,
                metadata=metadata,
            )
            try:
                await guarded(message)
            except Exception:  # never leave the resident waiting in silence
                logger.exception("Web chat message could not be handled (session %s)", session_id[:8])
                await sio.emit("chat_error", {"code": "not_handled"}, room=sid)
                return {"message_id": message_id, "handled": False}
            if output.parts == 0 and await self._with_staff(session_id):
                # Rasa is paused: the message went to staff, and no answer comes from the bot. The
                # widget says so, instead of "the assistant is taking longer than usual".
                return {"message_id": message_id, "handled": True, "with_staff": True}
            return {"message_id": message_id, "handled": True}

        return blueprint


def socket_urls(settings: Settings) -> List[str]:
    """http(s) and ws(s) forms of the chat socket URL, for a page's Content-Security-Policy."""
    base = settings.web_chat_socket_url
    return [base, "ws" + base[4:] if base.startswith("http") else base]
