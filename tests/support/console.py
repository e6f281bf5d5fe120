"""The staff console as a real server for tests, and a signed-in HTTP client for it."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Dict, Optional

import requests

from bot.categories import CATEGORIES
from bot.launcher import Service

ADMIN_EMAIL = "admin@anytown.gov.uk"
ADMIN_PASSWORD = "correct horse battery staple"


def console_env(port: int, admin: bool = True) -> Dict[str, str]:
    env = {"CONSOLE_PORT": str(port)}
    if admin:
        env.update(CONSOLE_ADMIN_EMAIL=ADMIN_EMAIL, CONSOLE_ADMIN_PASSWORD=ADMIN_PASSWORD)
    return env


def console_service(port: int, host: str = "127.0.0.1") -> Service:
    return Service(
        name="staff console",
        argv=[sys.executable, "-m", "bot.console", "serve"],
        health_url=f"http://{host}:{port}/health",
        banner="",
    )


def builtin_routing(path: Path) -> Path:
    """A routing file sending every category to the built-in back office (cases worked in the console)."""
    routes = "\n".join(f"  {c.key}: {{backoffice: council}}" for c in CATEGORIES)
    path.write_text(f"backoffices:\n  council:\n    adapter: builtin\nroutes:\n{routes}\n", encoding="utf-8")
    return path


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class StaffClient:
    """A member of staff using the console over HTTP (cookies kept like a browser)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.csrf: Optional[str] = None

    def get(self, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
        kwargs.setdefault("allow_redirects", False)
        response = self.http.get(self.base_url + path, timeout=30, **kwargs)
        match = _CSRF.search(response.text)
        if match and "/sign-in" not in path:
            self.csrf = match.group(1)
        return response

    def post(self, path: str, data: Optional[dict] = None, csrf: bool = True) -> requests.Response:
        data = dict(data or {})
        if csrf:
            if self.csrf is None:
                self.get("/queue")
            data["csrf_token"] = self.csrf
        return self.http.post(self.base_url + path, data=data, timeout=30, allow_redirects=False)

    def sign_in(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> requests.Response:
        page = self.http.get(self.base_url + "/sign-in", timeout=30)
        response = self.http.post(
            self.base_url + "/sign-in",
            data={"email": email, "password": password, "csrf_token": csrf_from(page.text), "next": "/queue"},
            timeout=30,
            allow_redirects=False,
        )
        if response.status_code == 303:
            self.get("/queue")
        return response
