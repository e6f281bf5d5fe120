"""The part of Twilio's REST API we use, called asynchronously with aiohttp.

Rasa's built-in channel calls Twilio's synchronous client inside the event
loop and gives up on the first error. This client never blocks the loop,
retries what is worth retrying (429, 5xx, network errors) with backoff, and
stops at once on permanent errors such as 21610 (recipient opted out) or 21211
(invalid number). The base URL is configurable, so the same code talks to our
local stand-in (bot/sandbox/twilio_api.py) or to https://api.twilio.com.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import aiohttp

logger = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
OPTED_OUT = 21610  # "Attempt to send to unsubscribed recipient"
INVALID_NUMBER = 21211


@dataclass(frozen=True)
class SendResult:
    """What Twilio said about one message we asked it to send."""

    ok: bool
    sid: Optional[str] = None
    status: Optional[str] = None
    error_code: Optional[str] = None
    error_message: Optional[str] = None
    attempts: int = 1


class TwilioClient:
    """Creates messages and fetches media with the account's credentials."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        base_url: str = "https://api.twilio.com",
        max_attempts: int = 5,
        backoff_seconds: float = 0.5,
        timeout_seconds: float = 15.0,
    ) -> None:
        self.account_sid = account_sid
        self._auth = aiohttp.BasicAuth(account_sid, auth_token)
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: Optional[aiohttp.ClientSession] = None

    def _client(self) -> aiohttp.ClientSession:
        # Created lazily inside the running loop (Rasa builds channels before it has one).
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"

    def _delay(self, attempt: int, retry_after: Optional[str]) -> float:
        if retry_after and retry_after.isdigit():
            return min(float(retry_after), 30.0)
        # Exponential backoff with jitter, so many senders don't retry in step.
        return min(self.backoff_seconds * (2 ** (attempt - 1)), 8.0) * (0.75 + random.random() / 2)

    async def send_message(
        self, to: str, from_: str, body: str, status_callback: Optional[str] = None
    ) -> SendResult:
        """POST one message; retries on 429/5xx/network errors, never on other 4xx."""
        form: Dict[str, str] = {"To": to, "From": from_, "Body": body}
        if status_callback:
            form["StatusCallback"] = status_callback
        last = SendResult(ok=False, error_message="not attempted")
        for attempt in range(1, self.max_attempts + 1):
            retry_after: Optional[str] = None
            try:
                async with self._client().post(self.messages_url, data=form, auth=self._auth) as response:
                    payload = await _json(response)
                    if response.status in (200, 201):
                        return SendResult(True, payload.get("sid"), payload.get("status"), attempts=attempt)
                    code, message = _error(payload, response.status)
                    last = SendResult(False, error_code=code, error_message=message, attempts=attempt)
                    if response.status != 429 and response.status < 500:
                        return last  # permanent: retrying cannot help
                    retry_after = response.headers.get("Retry-After")
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                last = SendResult(False, error_message=f"network error: {type(error).__name__}", attempts=attempt)
            if attempt < self.max_attempts:
                delay = self._delay(attempt, retry_after)
                logger.warning("Twilio send attempt %d failed (%s); retrying in %.1f s", attempt,
                               last.error_code or last.error_message, delay)
                await asyncio.sleep(delay)
        return last

    async def fetch_media(self, url: str, max_bytes: int) -> Tuple[bytes, str]:
        """Download an inbound MMS attachment with the account credentials.

        Only URLs on the configured API host are fetched with credentials (a
        forged URL must not receive our auth token). Raises ValueError when
        the file is too big or cannot be fetched.
        """
        if not url.startswith(self.base_url + "/"):
            raise ValueError("media URL is not on the Twilio API host")
        async with self._client().get(url, auth=self._auth) as response:
            if response.status != 200:
                raise ValueError(f"media fetch failed with HTTP {response.status}")
            if response.content_length is not None and response.content_length > max_bytes:
                raise ValueError("media too large")
            data = bytearray()
            async for chunk in response.content.iter_chunked(64 * 1024):
                data.extend(chunk)
                if len(data) > max_bytes:
                    raise ValueError("media too large")
            return bytes(data), response.headers.get("Content-Type", "").split(";")[0].strip().lower()


async def _json(response: aiohttp.ClientResponse) -> Dict:
    try:
        payload = await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _error(payload: Dict, status: int) -> Tuple[str, str]:
    code = payload.get("code")
    return (str(code) if code is not None else f"HTTP{status}", str(payload.get("message") or f"HTTP {status}"))
