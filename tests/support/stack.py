"""Start the real system (action server + Rasa server, plus extras) for end-to-end tests.

Uses the launcher's own service definitions, so tests run exactly what
`make run` runs, on free ports and a fresh VAR_DIR.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.launcher import Service, core_services, render_endpoints, stop_all, wait_until_healthy, with_run_secrets
from bot.model import ensure_model
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.ports import free_port


class Stack:
    """A running Rasa server and action server (and any extra services)."""

    def __init__(self, var_dir: Path, env: Optional[Dict[str, str]] = None) -> None:
        self.var_dir = var_dir
        self.env: Dict[str, str] = with_run_secrets({
            **os.environ,
            "PYTHONPATH": str(PROJECT_ROOT),
            "VAR_DIR": str(var_dir),
            "RASA_PORT": str(free_port()),
            "ACTION_SERVER_PORT": str(free_port()),
            # End-to-end conversations report the same few places again and again: no
            # "we already know about it" offers, unless a test asks for them
            # (tests/e2e/test_duplicates.py).
            "DUPLICATE_DAYS": "0",
            **(env or {}),
        })
        for inherited in ("DATABASE_URL", "TRACKER_STORE_URL"):
            if env is None or inherited not in env:
                self.env.pop(inherited, None)
        self.settings: Settings = load_settings(self.env)
        self.services: List[Service] = []

    @property
    def rasa_url(self) -> str:
        return f"http://{self.settings.bind_host}:{self.settings.rasa_port}"

    def start(self, extra: Optional[List[Service]] = None) -> "Stack":
        model = ensure_model()
        endpoints = render_endpoints(self.settings, self.var_dir)
        self.services = core_services(self.settings, model, endpoints) + list(extra or [])
        for service in self.services:
            log = open(self.var_dir / f"{service.name.replace(' ', '-').lower()}.log", "ab")
            service.process = subprocess.Popen(
                service.argv, cwd=PROJECT_ROOT, env={**self.env, **service.env}, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            for service in self.services:
                wait_until_healthy(service)
        except Exception as error:
            self.stop()
            raise RuntimeError(f"{error}\n--- service logs ---\n{self.logs(tail=3000)}") from error
        return self

    def stop(self) -> None:
        stop_all(self.services)

    def logs(self, tail: Optional[int] = 4000) -> str:
        """The services' logs (the last ``tail`` characters of each; None for all)."""
        texts = (p.read_text(errors="replace") for p in sorted(self.var_dir.glob("*.log")))
        return "\n".join(t[-tail:] if tail else t for t in texts)

    @property
    def rest_headers(self) -> Dict[str, str]:
        """What a REST channel call needs (bot/channels/rest.py): JSON, and the API token."""
        return {"Content-Type": "application/json", "Authorization": f"Bearer {self.settings.rasa_api_token}"}

    def say(self, sender: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """One turn over the REST channel; returns the bot's messages."""
        body = json.dumps({"sender": sender, "message": text, "metadata": metadata or {}}).encode()
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/rest/webhook", data=body, headers=self.rest_headers
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def say_text(self, sender: str, text: str) -> str:
        return "\n".join(m.get("text", "") for m in self.say(sender, text))

    def parse(self, text: str) -> Dict[str, Any]:
        """The model's reading of a text (Rasa's /model/parse, token in a header)."""
        request = urllib.request.Request(
            f"{self.rasa_url}/model/parse", data=json.dumps({"text": text}).encode(), headers=self.rest_headers
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def not_understood(self, count: int) -> List[str]:
        """``count`` bits of keyboard mash the real model does not understand (nlu_fallback),
        so a test of "not understood" keeps working whatever the model makes of any one."""
        found = [text for text in MASH if self.parse(text)["intent"]["name"] == "nlu_fallback"]
        assert len(found) >= count, f"the model reads too many of {MASH} as something: add other mash"
        return found[:count]


# Keyboard runs first: the pipeline never understands those (bot/nlu/keyboard_mash.py).
MASH = ("asdf jkl", "lkjhg fdsa", "zxcvb", "poiuy lkjh", "ghjk asdf", "qwerty", "sdfgh jkl",
        "zzqv wxkp", "xkcd qwp", "qwzx plvk", "vvbn mmq", "ppql zzkx", "jjqz wq", "qwzx plvk vbnm")

