"""OutboxStore's view for the metrics (bot/storage/outbox.py): pending cases per back office and the oldest's age."""

from __future__ import annotations

from datetime import timedelta

from bot.storage.outbox import OutboxStore
from bot.storage.cases import CaseStore
from tests.support.delivery import FakeClock, new_case


def test_pending_cases_by_back_office_and_oldest_age(case_store: CaseStore) -> None:
    clock = FakeClock()
    store = OutboxStore(case_store.engine, clock)
    assert store.pending_by_backoffice(lambda category: "highways") == {}
    case_store.create(new_case("r1", "pothole"), "k1")
    case_store.create(new_case("r2", "pothole"), "k2")
    case_store.create(new_case("r3", "missed_bin"), "k3", backoffice="waste")
    routes = {"pothole": "highways"}
    clock.advance(60)
    found = store.pending_by_backoffice(routes.get)
    assert set(found) == {"highways", "waste"}
    assert found["highways"][0] == 2 and found["waste"][0] == 1
    assert 60 <= found["highways"][1] < 120

    # Only cases still to deliver count: a refused one is no longer pending.
    job = next(j for j in store.claim_deliveries("w1", 10, 30) if j.case.category == "missed_bin")
    assert store.mark_rejected(job, "w1", "refused")
    clock.advance(timedelta(minutes=1).total_seconds())
    found = store.pending_by_backoffice(routes.get)
    assert set(found) == {"highways"} and found["highways"][0] == 2 and found["highways"][1] >= 120
