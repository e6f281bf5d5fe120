from sqlalchemy import func, select

from bot.cases.model import CLOSED, IN_PROGRESS, OPEN, RECEIVED, NewCase
from bot.backoffice.builtin import BuiltinCaseSystem
from bot.storage.schema import case_updates, outbox


def _new_case(**overrides):
    values = dict(category="pothole", conversation_id="c1", channel="rest", location_text="Mill Lane",
                  description="deep hole", details={"defect_size": "dinner plate"})
    values.update(overrides)
    return NewCase(**values)


def test_create_stores_case_history_and_outbox_row_together(case_store):
    case = case_store.create(_new_case(), idempotency_key="c1:m9")
    assert case.status == RECEIVED
    assert case.details == {"defect_size": "dinner plate"}
    stored = case_store.get_by_reference(case.reference)
    assert stored == case
    with case_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(case_updates)).scalar_one() == 1


def test_same_idempotency_key_gives_the_same_single_case(case_store):
    first = case_store.create(_new_case(), idempotency_key="c1:m9")
    second = case_store.create(_new_case(description="different"), idempotency_key="c1:m9")
    assert second.reference == first.reference
    assert len(case_store.for_conversation("c1")) == 1
    with case_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == 1


def test_status_only_moves_forward(case_store):
    case = case_store.create(_new_case(), idempotency_key="k")
    assert case_store.record_status(case.id, IN_PROGRESS, source="test")
    assert not case_store.record_status(case.id, OPEN, source="late callback")
    assert case_store.get(case.id).status == IN_PROGRESS
    assert case_store.record_status(case.id, CLOSED, source="test", note="fixed")
    assert [h["status"] for h in case_store.history(case.id)] == [RECEIVED, IN_PROGRESS, CLOSED]


def test_unknown_reference_is_none(case_store):
    assert case_store.get_by_reference("AB7K-3FQ2") is None


async def test_builtin_case_system_opens_the_case_in_our_store(case_store):
    case = case_store.create(_new_case(), idempotency_key="k")
    system = BuiltinCaseSystem(case_store)
    submission = await system.submit(case)
    assert (submission.backoffice_reference, submission.status) == (case.reference, OPEN)
    # The delivery worker records it (bot/storage/outbox.py mark_delivered); then our store is the system.
    case_store.record_status(case.id, submission.status, source="builtin", backoffice_reference=case.reference)
    status = await system.fetch_status(case_store.get(case.id))
    assert status.status == OPEN
