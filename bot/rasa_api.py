"""The one client of Rasa's HTTP API (``--enable-api``) that the delivery worker and the console share.

Both speak on a resident's own channel by appending events to the
conversation's tracker with ``execute_side_effects=true&output_channel=latest``:
Rasa records them and sends bot messages through the output channel of the
channel the resident last used. The worker first asks which channel that is
(:meth:`RasaApi.latest_channel`), because only some channels can carry a
message the resident did not prompt.

The token (RASA_API_TOKEN) goes in a header, never the URL (URLs end up in
logs: bot/rasa_server.py). Errors carry no secrets and no personal data.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import aiohttp


class RasaApiError(RuntimeError):
    """Rasa could not be reached or did not accept the call; the message says which, for staff and logs."""


class RasaApi:
    """Rasa's conversation API, authenticated with RASA_API_TOKEN; one HTTP session, reused."""

    def __init__(self, rasa_url: str, token: Optional[str], timeout_seconds: float = 30.0) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: Optional[aiohttp.ClientSession] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def _tracker(self, conversation_id: str) -> str:
        return f"{self.rasa_url}/conversations/{quote(conversation_id, safe='')}/tracker"

    def _headers(self) -> Dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _client(self) -> aiohttp.ClientSession:
        # A session belongs to the event loop it was made in.
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session, self._loop = aiohttp.ClientSession(timeout=self.timeout), loop
        return self._session

    async def latest_channel(self, conversation_id: str) -> Optional[str]:
        """The input channel the resident last used (None if Rasa does not know)."""
        try:
            async with self._client().get(self._tracker(conversation_id), params={"include_events": "NONE"},
                                          headers=self._headers()) as response:
                if response.status != 200:
                    raise RasaApiError(f"Rasa answered HTTP {response.status} when asked for the conversation")
                state = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise RasaApiError(f"Rasa could not be reached ({type(error).__name__})") from None
        channel = state.get("latest_input_channel") if isinstance(state, dict) else None
        return channel if isinstance(channel, str) else None

    async def append(self, conversation_id: str, events: List[Dict[str, Any]]) -> None:
        """Record events and carry out their side effects (sending messages) on the resident's channel."""
        params = {"output_channel": "latest", "execute_side_effects": "true", "include_events": "NONE"}
        try:
            async with self._client().post(f"{self._tracker(conversation_id)}/events", params=params, json=events,
                                           headers=self._headers()) as response:
                if response.status >= 300:
                    body = (await response.text())[:200]
                    raise RasaApiError(f"Rasa answered HTTP {response.status} when sending: {body}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise RasaApiError(f"Rasa could not be reached ({type(error).__name__})") from None

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
