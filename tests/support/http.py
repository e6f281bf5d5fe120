"""Small HTTP helpers for tests that talk to running services."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from typing import Callable, Dict, Optional, Tuple

# One sample line of Prometheus' text format: name{labels} value.
SAMPLE = re.compile(r"^([a-z_]+)(?:\{([^}]*)\})? (\S+)$")


def get(url: str, token: Optional[str] = None) -> Tuple[int, str]:
    """(status, body) of a GET, with a bearer token if given; status 0 when nothing answers."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except (urllib.error.URLError, ConnectionError, OSError) as error:
        return 0, str(error)


def eventually(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Wait until ``condition()`` holds; fail with ``what`` when it still does not after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    assert condition(), what


def samples(text: str) -> Dict[Tuple[str, str], float]:
    """Prometheus text format -> {(name, 'label="value",...'): value}."""
    found = {}
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match:
            found[(match.group(1), match.group(2) or "")] = float(match.group(3))
    return found
