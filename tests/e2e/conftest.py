from pathlib import Path
from typing import Iterator

from playwright.sync_api import Browser

import pytest

from bot.launcher import delivery_services
from tests.support.browser import chromium
from tests.support.stack import Stack, free_port


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One real Rasa server + action server for all REST end-to-end tests.

    Also the Open311 sandbox and the delivery worker, as `make run` starts
    them, on free ports and with a 1-second status poll so tests see updates.
    """
    running = Stack(Path(tmp_path_factory.mktemp("stack")), env={
        "OPEN311_SANDBOX_PORT": str(free_port()),
        "OUTBOX_WORKER_PORT": str(free_port()),
        "OUTBOX_STATUS_POLL_SECONDS": "1",
        # The Rasa server's SMS channel and the website, for modules that start the
        # Twilio stand-in or the website beside it (test_sms_photo_links.py): free ports.
        "TWILIO_SANDBOX_PORT": str(free_port()),
        "WEB_PORT": str(free_port()),
    })
    running.start(extra=delivery_services(running.settings))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium (tests/support/browser.py), one per test module."""
    with chromium() as launched:
        yield launched
