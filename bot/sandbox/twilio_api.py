"""A local stand-in for the part of Twilio we use, speaking Twilio's wire protocol.

``python -m bot.sandbox.twilio_api`` (``make run`` starts it when no real
Twilio credentials are set). It plays both sides of Twilio:

* the REST API our channel calls, at Twilio's paths and formats:
  ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (form-encoded,
  HTTP basic auth with the account SID and auth token; answers with Twilio's
  JSON shape and error codes), ``GET .../Messages.json?To=...`` and media at
  ``GET .../Messages/{MessageSid}/Media/{MediaSid}`` (basic auth);
* delivery receipts: after each message it POSTs ``sending``, ``sent`` and
  ``delivered`` (or ``undelivered``) to the message's StatusCallback, signed
  with the auth token exactly as Twilio signs (``X-Twilio-Signature``);
* the phone network, for trying the bot without a phone (``/sandbox/...``,
  not part of Twilio's API): ``POST /sandbox/inbound`` delivers a resident's
  text (and photos) to our webhook as a signed Twilio webhook, ``GET
  /sandbox/messages`` lists what the bot sent, ``POST /sandbox/faults``
  makes the API slow, failing or refusing numbers, to test our retries.

State lives in memory; restart to forget.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any, Dict, List, Optional, Set, Tuple

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from bot.channels.sms_text import segments
from bot.settings import Settings, load_settings
from bot import redaction

logger = logging.getLogger("twilio-sandbox")

API = "/2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_BODY = 1600


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def signed_post_headers(auth_token: str, url: str, params: Dict[str, str]) -> Dict[str, str]:
    """The headers Twilio sends with a webhook: its signature over URL and form."""
    signature = RequestValidator(auth_token).compute_signature(url, params)
    return {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1 (sandbox)"}


@dataclass
class Faults:
    """Misbehaviour to inject into the Messages API, for tests and benchmarks."""

    delay_seconds: float = 0.0
    fail_next: List[int] = field(default_factory=list)  # HTTP statuses for the next N creates
    opted_out: Set[str] = field(default_factory=set)  # numbers Twilio refuses with 21610
    undeliverable: Set[str] = field(default_factory=set)  # accepted, then "undelivered" (30003)


class Sandbox:
    """The stand-in's state and HTTP handlers."""

    def __init__(
        self, account_sid: str, auth_token: str, number: str, webhook_url: str, api_base_url: str = ""
    ) -> None:
        self.account_sid = account_sid
        # Our own address, for the media URLs we hand out (as Twilio's are on api.twilio.com).
        self.api_base_url = api_base_url.rstrip("/")
        self.auth_token = auth_token
        self.number = number
        self.webhook_url = webhook_url
        self.messages: List[Dict[str, Any]] = []
        self.media: Dict[str, Tuple[str, bytes]] = {}
        self.faults = Faults()
        self._session: Optional[aiohttp.ClientSession] = None
        self._tasks: Set["asyncio.Task[None]"] = set()

    # -- helpers -----------------------------------------------------------------
    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))
        return self._session

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return (
            secrets.compare_digest(user, self.account_sid)
            and secrets.compare_digest(password, self.auth_token)
            and request.match_info.get("account") == self.account_sid
        )

    @staticmethod
    def _error(status: int, code: int, message: str) -> web.Response:
        return web.json_response(
            {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
             "status": status},
            status=status,
        )

    def _resource(self, message: Dict[str, Any]) -> Dict[str, Any]:
        """A message as Twilio's API shows it."""
        uri = f"{API}/Accounts/{self.account_sid}/Messages/{message['sid']}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": message["body"],
            "date_created": message["date_created"],
            "date_sent": None,
            "date_updated": message["date_created"],
            "direction": message["direction"],
            "error_code": message.get("error_code"),
            "error_message": None,
            "from": message["from"],
            "messaging_service_sid": None,
            "num_media": str(len(message.get("media", []))),
            "num_segments": str(message["num_segments"]),
            "price": None,
            "price_unit": "GBP",
            "sid": message["sid"],
            "status": message["status"],
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": message["to"],
            "uri": uri,
        }

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- Twilio's REST API -----------------------------------------------------------
    async def create_message(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(401, 20003, "Authenticate")
        if self.faults.delay_seconds:
            await asyncio.sleep(self.faults.delay_seconds)
        if self.faults.fail_next:
            status = self.faults.fail_next.pop(0)
            return self._error(status, 20429 if status == 429 else 20500, "Injected failure")
        form = await request.post()
        to, from_, body = str(form.get("To", "")), str(form.get("From", "")), str(form.get("Body", ""))
        if not E164.match(to):
            return self._error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if from_ != self.number:
            return self._error(400, 21606, f"The From phone number {from_} is not a valid, SMS-capable inbound phone number or short code for your account.")
        if not body:
            return self._error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY:
            return self._error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if to in self.faults.opted_out:
            return self._error(400, 21610, "Attempt to send to unsubscribed recipient")
        message = {
            "sid": new_sid("SM"),
            "direction": "outbound-api",
            "to": to,
            "from": from_,
            "body": body,
            "num_segments": segments(body),
            "status": "queued",
            "date_created": format_datetime(datetime.now(timezone.utc), usegmt=True),
            "created": time.time(),
        }
        self.messages.append(message)
        callback = str(form.get("StatusCallback", ""))
        if callback:
            self._spawn(self._deliver(message, callback))
        return web.json_response(self._resource(message), status=201)

    async def _deliver(self, message: Dict[str, Any], callback: str) -> None:
        """Move the message through Twilio's statuses, telling the callback each time."""
        final = "undelivered" if message["to"] in self.faults.undeliverable else "delivered"
        for status in ("sending", "sent", final):
            await asyncio.sleep(0.02)
            message["status"] = status
            params = {
                "AccountSid": self.account_sid, "ApiVersion": "2010-04-01", "From": message["from"],
                "MessageSid": message["sid"], "MessageStatus": status, "SmsSid": message["sid"],
                "SmsStatus": status, "To": message["to"],
            }
            if status == "undelivered":
                params["ErrorCode"] = "30003"
                message["error_code"] = 30003
            try:
                async with self._client().post(
                    callback, data=params, headers=signed_post_headers(self.auth_token, callback, params)
                ) as response:
                    await response.read()
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                logger.warning("Status callback failed: %s", type(error).__name__)

    async def list_messages(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(401, 20003, "Authenticate")
        to = request.query.get("To")
        found = [self._resource(m) for m in reversed(self.messages) if to is None or m["to"] == to]
        page_size = min(int(request.query.get("PageSize", "50") or 50), 1000)
        return web.json_response({"messages": found[:page_size], "page": 0, "page_size": page_size})

    async def fetch_media(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(401, 20003, "Authenticate")
        item = self.media.get(request.match_info["media"])
        if item is None:
            return self._error(404, 20404, "The requested resource was not found")
        content_type, data = item
        return web.Response(body=data, content_type=content_type)

    # -- the phone network (not Twilio's API) ------------------------------------------
    async def inbound(self, request: web.Request) -> web.Response:
        """A resident's phone sends a text: deliver it to our webhook as Twilio would.

        JSON: {"from": "+447700900123", "body": "...", "media": [{"content_type":
        "image/jpeg", "data_base64": "..."}], "sid": optional (to replay one)}.
        """
        payload = await request.json()
        phone = str(payload.get("from", ""))
        if not E164.match(phone):
            return web.json_response({"error": "from must be an E.164 number like +447700900123"}, status=400)
        sid = str(payload.get("sid") or new_sid("SM" if not payload.get("media") else "MM"))
        params = {
            "AccountSid": self.account_sid, "ApiVersion": "2010-04-01", "Body": str(payload.get("body", "")),
            "From": phone, "FromCountry": "GB", "MessageSid": sid, "NumSegments": "1", "SmsMessageSid": sid,
            "SmsSid": sid, "SmsStatus": "received", "To": self.number, "ToCountry": "GB",
        }
        media = payload.get("media") or []
        params["NumMedia"] = str(len(media))
        for index, item in enumerate(media):
            media_sid = new_sid("ME")
            self.media[media_sid] = (str(item.get("content_type", "application/octet-stream")),
                                     base64.b64decode(item.get("data_base64", "")))
            params[f"MediaUrl{index}"] = (
                f"{self.api_base_url or request.scheme + '://' + request.host}{API}/Accounts/{self.account_sid}/Messages/{sid}/Media/{media_sid}"
            )
            params[f"MediaContentType{index}"] = self.media[media_sid][0]
        self.messages.append({
            "sid": sid, "direction": "inbound", "to": self.number, "from": phone, "body": params["Body"],
            "num_segments": segments(params["Body"]), "status": "received", "created": time.time(),
            "date_created": format_datetime(datetime.now(timezone.utc), usegmt=True),
            "media": list(range(len(media))),
        })
        started = time.perf_counter()
        try:
            async with self._client().post(
                self.webhook_url, data=params, headers=signed_post_headers(self.auth_token, self.webhook_url, params)
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            return web.json_response({"sid": sid, "error": f"webhook unreachable: {type(error).__name__}"}, status=502)
        return web.json_response({"sid": sid, "webhook_status": status, "webhook_body": text[:500],
                                  "ack_ms": round((time.perf_counter() - started) * 1000, 1)})

    async def sent_messages(self, request: web.Request) -> web.Response:
        """What the bot sent, oldest first: ?to=+44...&after=<index>."""
        to = request.query.get("to")
        after = int(request.query.get("after", "0") or 0)
        sent = [m for m in self.messages if m["direction"] == "outbound-api" and (to is None or m["to"] == to)]
        return web.json_response({"messages": [
            {"index": i, "sid": m["sid"], "to": m["to"], "body": m["body"], "status": m["status"],
             "num_segments": m["num_segments"]}
            for i, m in enumerate(sent, 1) if i > after
        ]})

    async def set_faults(self, request: web.Request) -> web.Response:
        payload = await request.json() if request.can_read_body else {}
        self.faults = Faults(
            delay_seconds=float(payload.get("delay_seconds", 0)),
            fail_next=[int(s) for s in payload.get("fail_next", [])],
            opted_out=set(payload.get("opted_out", [])),
            undeliverable=set(payload.get("undeliverable", [])),
        )
        return web.json_response({"ok": True})

    async def health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "messages": len(self.messages)})

    def app(self) -> web.Application:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        account = API + "/Accounts/{account}"
        app.router.add_post(account + "/Messages.json", self.create_message)
        app.router.add_get(account + "/Messages.json", self.list_messages)
        app.router.add_get(account + "/Messages/{message}/Media/{media}", self.fetch_media)
        app.router.add_post("/sandbox/inbound", self.inbound)
        app.router.add_get("/sandbox/messages", self.sent_messages)
        app.router.add_post("/sandbox/faults", self.set_faults)
        app.router.add_get("/health", self.health)

        async def close(_app: web.Application) -> None:
            if self._session is not None:
                await self._session.close()

        app.on_cleanup.append(close)
        return app


def sandbox_environment(environ: Dict[str, str]) -> Dict[str, str]:
    """The environment, pointed at this stand-in when no real Twilio account is set.

    Generates per-run local credentials (never defaults) and sets
    TWILIO_SANDBOX=1 so `make run` starts the stand-in. With real
    credentials (TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN set) nothing changes:
    any missing setting then stops the SMS channel at start-up, by name.
    """
    env = dict(environ)
    if env.get("TWILIO_ACCOUNT_SID") or env.get("TWILIO_AUTH_TOKEN"):
        return env
    host = env.get("BIND_HOST") or "127.0.0.1"
    port = env.get("TWILIO_SANDBOX_PORT") or str(Settings.twilio_sandbox_port)
    env.update(
        TWILIO_SANDBOX="1",
        TWILIO_ACCOUNT_SID="AC" + secrets.token_hex(16),
        TWILIO_AUTH_TOKEN=secrets.token_hex(16),
        TWILIO_NUMBER=env.get("TWILIO_NUMBER") or "+447700900000",
        TWILIO_API_BASE_URL=f"http://{host}:{port}",
    )
    if not env.get("PUBLIC_BASE_URL"):
        env["PUBLIC_BASE_URL"] = f"http://{host}:{env.get('RASA_PORT') or Settings.rasa_port}"
    return env


def sandbox_url(settings: Settings) -> str:
    return f"http://{settings.bind_host}:{settings.twilio_sandbox_port}"


def main() -> None:
    redaction.configure_logging()
    settings = load_settings()
    settings.require("twilio_account_sid", "twilio_auth_token", "twilio_number", "public_base_url")
    sandbox = Sandbox(
        str(settings.twilio_account_sid),
        str(settings.twilio_auth_token),
        str(settings.twilio_number),
        f"{settings.public_base_url}/webhooks/sms/webhook",
        settings.twilio_api_base_url,
    )
    web.run_app(sandbox.app(), host=settings.bind_host, port=settings.twilio_sandbox_port, print=None,
                access_log=None)


if __name__ == "__main__":
    main()
