"""Talking to a running stack over SMS: signed webhooks, the Twilio stand-in, trackers.

Used by the SMS end-to-end tests and benchmarks/sms.py.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple

from twilio.request_validator import RequestValidator

from bot.launcher import twilio_sandbox_service
from bot.storage.database import make_engine
from bot.storage.sms import SmsStore
from tests.support.stack import Stack, free_port

# The smallest valid PNG (1x1 pixel).
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
)


def sms_stack(var_dir: Any, env: Optional[Dict[str, str]] = None) -> Stack:
    """A Stack with the SMS channel pointed at a Twilio stand-in on a free port."""
    stack = Stack(var_dir, {"TWILIO_SANDBOX_PORT": str(free_port()), **(env or {})})
    assert stack.settings.twilio_sandbox, "real TWILIO_* credentials are set in the environment"
    return stack.start(extra=[twilio_sandbox_service(stack.settings)])


class SmsClient:
    """A resident's phone and Twilio, as seen from outside the stack."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.settings = stack.settings
        self.token = stack.env["TWILIO_AUTH_TOKEN"]
        self.webhook_url = f"{self.settings.public_base_url}/webhooks/sms/webhook"
        self.status_url = f"{self.settings.public_base_url}/webhooks/sms/status"
        self.sandbox = f"http://{self.settings.bind_host}:{self.settings.twilio_sandbox_port}"
        self.store = SmsStore(make_engine(self.settings.database_url))

    # -- raw HTTP ------------------------------------------------------------------
    @staticmethod
    def _request(url: str, data: Optional[bytes] = None, headers: Optional[Dict[str, str]] = None,
                 method: Optional[str] = None) -> Tuple[int, bytes, float]:
        request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read(), time.perf_counter() - started
        except urllib.error.HTTPError as error:
            return error.code, error.read(), time.perf_counter() - started

    @staticmethod
    def new_sid() -> str:
        return "SM" + uuid.uuid4().hex

    def params(self, phone: str, body: str, sid: Optional[str] = None) -> Dict[str, str]:
        sid = sid or self.new_sid()
        return {"AccountSid": self.stack.env["TWILIO_ACCOUNT_SID"], "ApiVersion": "2010-04-01", "Body": body,
                "From": phone, "MessageSid": sid, "NumMedia": "0", "SmsMessageSid": sid, "SmsSid": sid,
                "SmsStatus": "received", "To": self.stack.env["TWILIO_NUMBER"]}

    def sign(self, url: str, params: Dict[str, str]) -> str:
        return RequestValidator(self.token).compute_signature(url, params)

    def post_form(self, url: str, params: Dict[str, str], signature: Optional[str]) -> Tuple[int, bytes, float]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        return self._request(url, urllib.parse.urlencode(params).encode(), headers)

    def webhook(self, params: Dict[str, str], signature: Optional[str] = "sign") -> Tuple[int, bytes, float]:
        """POST Twilio's inbound webhook; signed correctly unless a signature is given."""
        if signature == "sign":
            signature = self.sign(self.webhook_url, params)
        return self.post_form(self.webhook_url, params, signature)

    def text(self, phone: str, body: str, sid: Optional[str] = None) -> Tuple[int, float]:
        status, _, seconds = self.webhook(self.params(phone, body, sid))
        return status, seconds

    def status_callback(self, sid: str, status: str, error_code: str = "") -> int:
        params = {"AccountSid": self.stack.env["TWILIO_ACCOUNT_SID"], "MessageSid": sid, "MessageStatus": status,
                  "SmsSid": sid, "SmsStatus": status}
        if error_code:
            params["ErrorCode"] = error_code
        return self.post_form(self.status_url, params, self.sign(self.status_url, params))[0]

    # -- through the stand-in ------------------------------------------------------------
    def send_via_network(self, phone: str, body: str, photos: Optional[List[Tuple[str, bytes]]] = None) -> Dict:
        """The phone sends a text (and photos); the stand-in delivers the signed webhook."""
        payload = {"from": phone, "body": body,
                   "media": [{"content_type": ct, "data_base64": base64.b64encode(data).decode()}
                             for ct, data in photos or []]}
        status, body_bytes, _ = self._request(f"{self.sandbox}/sandbox/inbound", json.dumps(payload).encode(),
                                              {"Content-Type": "application/json"})
        assert status == 200, body_bytes
        return json.loads(body_bytes)

    def replies(self, phone: str) -> List[Dict[str, Any]]:
        query = urllib.parse.urlencode({"to": phone})
        return json.loads(self._request(f"{self.sandbox}/sandbox/messages?{query}")[1])["messages"]

    def wait_for_text(self, phone: str, matches: Callable[[str], bool], timeout: float = 45.0) -> str:
        """The first text to ``phone`` that ``matches``, waiting for it (the worker sends updates later)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for reply in self.replies(phone):
                if matches(reply["body"]):
                    return reply["body"]
            time.sleep(0.3)
        raise AssertionError(f"no such text reached {phone}: {[r['body'] for r in self.replies(phone)]}")

    def wait_for_replies(self, phone: str, count: int, timeout: float = 30.0) -> List[Dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.replies(phone)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"expected {count} replies, got {self.replies(phone)}\n{self.stack.logs()}")

    def faults(self, **faults: Any) -> None:
        status, body, _ = self._request(f"{self.sandbox}/sandbox/faults", json.dumps(faults).encode(),
                                        {"Content-Type": "application/json"})
        assert status == 200, body

    # -- the bot's side ------------------------------------------------------------------
    def conversation(self, phone: str) -> Optional[str]:
        from sqlalchemy import select

        from bot.storage.schema import sms_conversations

        with self.store.engine.connect() as conn:
            return conn.execute(
                select(sms_conversations.c.conversation_id).where(sms_conversations.c.phone == phone)
            ).scalar()

    @property
    def rasa_auth(self) -> Dict[str, str]:
        """Rasa's HTTP API token, as a header (bot/rasa_server.py refuses it in the URL)."""
        return {"Authorization": f"Bearer {self.stack.env['RASA_API_TOKEN']}"}

    def tracker_events(self, conversation_id: str) -> List[Dict[str, Any]]:
        status, body, _ = self._request(f"{self.stack.rasa_url}/conversations/{conversation_id}/tracker",
                                        headers=self.rasa_auth)
        assert status == 200, body
        return json.loads(body)["events"]

    def user_texts(self, phone: str) -> List[str]:
        conversation = self.conversation(phone)
        if conversation is None:
            return []
        return [e.get("text") or "" for e in self.tracker_events(conversation) if e.get("event") == "user"]

    def push(self, conversation_id: str, text: str) -> int:
        """Speak first on the resident's own channel, as the outbox worker and console do."""
        url = (f"{self.stack.rasa_url}/conversations/{conversation_id}/tracker/events"
               f"?output_channel=latest&execute_side_effects=true")
        return self._request(url, json.dumps([{"event": "bot", "text": text}]).encode(),
                             {"Content-Type": "application/json", **self.rasa_auth})[0]

    def wait_until_processed(self, sid: str, timeout: float = 30.0) -> Dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = self.store.message(sid)
            if row and row["status"] in ("processed", "ignored", "failed"):
                return row
            time.sleep(0.05)
        raise AssertionError(f"message {sid} not processed: {self.store.message(sid)}")
