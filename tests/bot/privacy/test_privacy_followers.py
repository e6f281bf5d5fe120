"""A person's "me too" rows are theirs: exported with their data, erased with it; the case they
followed (someone else's) stays."""

from __future__ import annotations

from bot.privacy.archive import collect
from bot.privacy.erasure import erase_subject
from bot.storage.followers import FollowerStore
from tests.bot.privacy.test_privacy import PHONE, World, postgres, world  # noqa: F401

WORDS = "the same broken bollard, worse since Friday"


def test_followed_cases_are_exported_and_erased_with_the_person(world: World) -> None:  # noqa: F811
    followers = FollowerStore(world.stores.engine)
    followers.add(world.other_case.id, world.sms_conversation, "sms", description=WORDS)
    data = collect(world.stores, world.subject("phone", PHONE))
    assert [(r["case_id"], r["description"]) for r in data["followed_cases"]] == [(world.other_case.id, WORDS)]

    world.close_cases()
    report = erase_subject(world.stores, world.subject("phone", PHONE), world.staff_id, "Alex")
    assert report.counts["followed cases"] == 1
    assert WORDS not in world.database_rows()
    assert world.cases.get(world.other_case.id) is not None and followers.count(world.other_case.id) == 0
