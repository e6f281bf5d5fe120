"""Fixtures shared by all tests: real databases, real trackers, real settings."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
from rasa_sdk import Tracker

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from actions import services  # noqa: E402
from bot.storage.cases import CaseStore  # noqa: E402
from bot.storage.database import create_schema, make_engine  # noqa: E402
from tests.support.postgres import module_cluster  # noqa: E402
from tests.support.redis_server import ThrowawayRedis, module_redis  # noqa: E402


@pytest.fixture(scope="module")
def postgres() -> Iterator[Any]:
    """A throwaway PostgreSQL cluster for the module (tests/support/postgres.py; skipped without one).
    A module that needs another kind defines its own ``postgres``."""
    yield from module_cluster()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[ThrowawayRedis]:
    """A throwaway redis-server for the module (skipped where it is not installed)."""
    yield from module_redis()


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh VAR_DIR (so fresh SQLite databases) for code that reads settings."""
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    for name in ("DATABASE_URL", "TRACKER_STORE_URL", "COUNCIL_POSTCODE_AREAS", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    services.reset()
    yield tmp_path
    services.reset()


@pytest.fixture
def case_store(tmp_path: Path) -> CaseStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    create_schema(engine)
    return CaseStore(engine)


def user_event(text: str, intent: Optional[str] = None, confidence: float = 0.95,
               entities: Optional[List[Dict[str, Any]]] = None, metadata: Optional[Dict[str, Any]] = None,
               message_id: str = "m1", faq: Optional[str] = None) -> Dict[str, Any]:
    parse_data: Dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "message_id": message_id,
        "metadata": metadata or {},
    }
    if faq:
        parse_data["response_selector"] = {"faq": {"response": {"utter_action": f"utter_{faq}"}}}
    return {"event": "user", "text": text, "parse_data": parse_data, "metadata": metadata or {},
            "input_channel": (metadata or {}).get("channel", "rest"), "message_id": message_id}


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    """Builds a real rasa_sdk Tracker: slots, an active form and the latest message."""

    def build(latest: Dict[str, Any], slots: Optional[Dict[str, Any]] = None, form: Optional[str] = None,
              history: Optional[List[Dict[str, Any]]] = None, sender_id: str = "resident-1") -> Tracker:
        events = list(history or []) + [latest]
        return Tracker(
            sender_id=sender_id,
            slots=dict(slots or {}),
            latest_message=latest["parse_data"],
            events=events,
            paused=False,
            followup_action=None,
            active_loop={"name": form} if form else {},
            latest_action_name="action_listen",
        )

    return build


# The longest end-to-end files (minutes each: their own servers, PostgreSQL, HAProxy, Chromium).
LONGEST_FIRST = ("test_production_profile.py", "test_bilingual.py", "test_web_chat.py", "test_sms.py")
# Unit test files that need the trained model or the encoder training exports (bot.model.ensure_model).
NEEDS_MODEL = (
    "test_intent_classifier.py", "test_entities.py", "test_faq_answers.py", "test_nlu_evaluation.py",
    "test_rasa_graph_runner.py", "test_stories.py", "test_encoder.py",
)
# Set by `make test` when it trains the model beside the tests (Makefile).
WHILE_TRAINING = os.environ.get("TESTS_WHILE_TRAINING") == "1"


def _start_order(item: pytest.Item) -> Tuple[int, int]:
    path = str(item.path).replace("\\", "/")
    name = path.rsplit("/", 1)[-1]
    if "/tests/e2e/" not in path:
        if WHILE_TRAINING:
            return (2, 0) if name in NEEDS_MODEL else (0, 0)
        return (1, 0)
    return (1 if WHILE_TRAINING else 0, LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST))


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    """End-to-end test files first, the longest of them first: `make test` hands whole
    files to two processes in this order (``--no-loadscope-reorder``), so the long ones
    start early and the short unit files fill the end, instead of one process finishing
    a long file while the other waits. While the model trains beside the tests
    (``TESTS_WHILE_TRAINING``), the files that need no model go first, so both
    processes work during training; those that need it (e2e included) wait in
    ``ensure_model`` for the training's lock if they come early."""
    items.sort(key=_start_order)
