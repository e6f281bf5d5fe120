"""Two replicas of the website sharing one Redis (REDIS_URL): one client's upload limit is counted on both."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.bot.web.test_photo_upload import Site


def test_a_client_spreading_uploads_over_two_replicas_meets_one_limit(tmp_path: Path, redis_server) -> None:
    redis_server.flush()
    env = {"REDIS_URL": redis_server.url, "WEB_UPLOADS_PER_CLIENT_PER_HOUR": "4"}
    a, b = Site(tmp_path, **env), Site(tmp_path, **env)
    try:
        statuses = [requests.post(f"{site.url}/chat/uploads", data=b"not a photo", timeout=10).status_code
                    for site in (a, b, a, b)]
        assert 429 not in statuses, statuses
        for site in (a, b):
            refused = requests.post(f"{site.url}/chat/uploads", data=b"not a photo", timeout=10)
            assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    finally:
        a.stop()
        b.stop()
