"""Staff see on a case's page how many residents follow it, and a possible duplicate it names."""

from __future__ import annotations

from bot.cases.model import NewCase
from bot.storage.cases import CaseStore
from bot.storage.followers import FollowerStore
from tests.bot.console.test_console_cases import console, make_case, signed_in  # noqa: F401


def test_the_case_page_counts_followers_and_names_a_possible_duplicate(console) -> None:  # noqa: F811
    case = make_case(console, "followed", category="flytipping")
    followers = FollowerStore(console.escalations.engine)
    agent = signed_in(console)
    assert "reported this too" not in agent.get(f"/cases/{case.reference}").text
    followers.add(case.id, "web-follower", "socketio")
    followers.add(case.id, "sms-follower", "twilio")
    page = agent.get(f"/cases/{case.reference}").text
    assert "<strong>2</strong> more residents reported this too" in page

    store = CaseStore(console.escalations.engine)
    different = store.create(NewCase(category="flytipping", conversation_id="conv-different", channel="web"),
                             idempotency_key="different", duplicate_of=case.id)
    page = agent.get(f"/cases/{different.reference}").text
    assert f'Possible duplicate: the resident was shown open case <a href="/cases/{case.reference}">' in page
