"""The website's photo upload endpoint, as a browser or a script reaches it over HTTP."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator, Tuple

import pytest
from PIL import Image

from bot.launcher import wait_until_healthy, web_service
from bot.settings import PROJECT_ROOT, load_settings
from tests.support.stack import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def website(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var_dir = tmp_path_factory.mktemp("website")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "VAR_DIR": str(var_dir), "WEB_PORT": str(free_port()),
           "WEB_UPLOADS_PER_CLIENT_PER_HOUR": "3"}
    settings = load_settings(env)
    service = web_service(settings)
    service.process = subprocess.Popen(service.argv, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
    try:
        wait_until_healthy(service, timeout=60)
        yield f"http://{settings.bind_host}:{settings.web_port}"
    finally:
        service.process.terminate()
        service.process.wait(timeout=10)


def upload(base: str, data: bytes) -> Tuple[int, dict, dict]:
    request = urllib.request.Request(f"{base}/chat/uploads", data=data, headers={"Content-Type": "image/png"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read()), dict(answer.headers)
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read()), dict(refused.headers)


def a_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 10)).save(out, format="PNG")
    return out.getvalue()


def test_one_client_gets_a_handful_of_uploads_then_a_polite_wait(website: str):
    statuses = [upload(website, a_photo())[0] for _ in range(3)]
    assert statuses == [201, 201, 201]
    status, body, headers = upload(website, a_photo())
    assert status == 429
    assert "wait" in body["error"] and "describe the problem in words" in body["error"]
    assert 0 < int(headers["Retry-After"]) <= 3600
    # Every request counts, junk included: the limit is checked before the photo is read.
    assert upload(website, b"not a photo")[0] == 429
