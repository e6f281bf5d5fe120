from sqlalchemy import func, select

from bot.cases.model import NewCase
from bot.storage.followers import PENDING, SENT, FollowerStore
from bot.storage.schema import followers


def _case(case_store, conversation="reporter"):
    return case_store.create(NewCase(category="flytipping", conversation_id=conversation, channel="web",
                                     location_text="Mill Lane"), idempotency_key=conversation)


def test_following_is_stored_once_per_conversation(case_store):
    case = _case(case_store)
    store = FollowerStore(case_store.engine)
    first = store.add(case.id, "sms-abc", "sms", location_text="by the bins", description="sofa")
    again = store.add(case.id, "sms-abc", "sms")
    other = store.add(case.id, "web-xyz", "socketio", language="cy")
    assert first.id == again.id and first.description == "sofa"
    assert (other.channel, other.language, other.backoffice_state) == ("socketio", "cy", PENDING)
    assert store.count(case.id) == 2
    assert [f.conversation_id for f in store.for_case(case.id)] == ["sms-abc", "web-xyz"]


def test_the_reporter_does_not_follow_their_own_case(case_store):
    case = _case(case_store)
    store = FollowerStore(case_store.engine)
    assert store.add(case.id, "reporter", "web") is None
    assert store.count(case.id) == 0


def test_backoffice_state_is_recorded_once(case_store):
    case = _case(case_store)
    store = FollowerStore(case_store.engine)
    follower = store.add(case.id, "sms-abc", "sms")
    assert [f.id for f in store.pending_for_backoffice()] == [follower.id]
    assert store.record_backoffice(follower.id, SENT, "emailed")
    assert not store.record_backoffice(follower.id, SENT, "again")
    assert store.pending_for_backoffice() == []


def test_followers_go_with_their_case_and_with_their_person(case_store):
    store = FollowerStore(case_store.engine)
    case = _case(case_store)
    store.add(case.id, "sms-abc", "sms")
    assert [r["case_id"] for r in store.export(["sms-abc"])] == [case.id]
    assert store.erase(["sms-abc"], dry_run=True) == {"followed cases": 1}
    assert store.erase(["sms-abc"]) == {"followed cases": 1}
    store.add(case.id, "web-xyz", "socketio")
    case_store.erase([case.id])
    with case_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(followers)).scalar() == 0


def test_anonymising_a_closed_case_removes_its_place_and_its_followers_words(case_store):
    from bot.storage.cases import anonymise
    from bot.storage.schema import cases

    case = case_store.create(NewCase(category="flytipping", conversation_id="reporter", channel="web",
                                     location_text="14 Mill Lane", latitude="52.486200", longitude="-1.890400"),
                             idempotency_key="reporter")
    store = FollowerStore(case_store.engine)
    store.add(case.id, "sms-abc", "sms", location_text="by the gate", description="a sofa")
    with case_store.engine.begin() as conn:
        anonymise(conn, case.id, "AN1")
        row = conn.execute(select(cases.c.geocell, cases.c.street_key).where(cases.c.id == case.id)).one()
    assert tuple(row) == (None, None)
    [follower] = store.for_case(case.id)
    assert (follower.location_text, follower.description) == (None, None)
