""" "I've got a photo" by SMS: a link for the resident's latest open report, on real SQLite."""

from __future__ import annotations

import pytest

from bot.cases.model import CLOSED, NewCase
from bot.channels.sms_photos import SmsPhotoLinks
from bot.photo_links import texts
from bot.photo_links.service import PATH_PREFIX, LinkState
from bot.settings import load_settings
from bot.storage.cases import CaseStore

CONVERSATION = "sms-0123456789abcdef0123"


def answering(case_store: CaseStore, **env: str) -> SmsPhotoLinks:
    return SmsPhotoLinks(case_store.engine, load_settings({"PHOTO_LINK_SECRET": "s3cret for sms tests", **env}))


def report(case_store: CaseStore, key: str, conversation: str = CONVERSATION):
    return case_store.create(NewCase(category="flytipping", conversation_id=conversation, channel="sms",
                                     location_text="Mill Lane"), idempotency_key=key)


@pytest.mark.parametrize("body, media, wanted", [
    ("PHOTO", 0, True), ("I've got a photo", 0, True), ("can I send you a picture?", 0, True),
    ("PHOTO", 1, False),  # an MMS: the photo itself goes to the conversation
    ("I have a photo of the mattress dumped on Mill Lane", 0, False),  # a report
    ("my photo ID", 0, False), ("hello", 0, False),
    ("LLUNIAU", 0, True), ("mae gen i lun", 0, True),  # Welsh: the word the Welsh texts teach
    ("Llun", 0, False),  # Monday: an answer to "which day is your collection?"
])
def test_which_texts_ask_for_a_link(body: str, media: int, wanted: bool):
    assert SmsPhotoLinks.wanted(body, media) is wanted


def test_before_any_report_the_resident_is_told_a_link_will_follow(case_store: CaseStore):
    assert answering(case_store).reply(CONVERSATION) == texts.NO_REPORT_TEXT


def test_the_link_is_for_the_latest_open_report_of_this_conversation(case_store: CaseStore):
    links = answering(case_store)
    first, latest = report(case_store, "a"), report(case_store, "b")
    report(case_store, "c", conversation="sms-ffffffffffffffffffff")  # someone else's
    reply = links.reply(CONVERSATION)
    assert reply.startswith(f"Here's a link to add photos to your report {latest.reference}.")
    opened = links.links.open(reply.rsplit(PATH_PREFIX, 1)[1])
    assert opened.state is LinkState.USABLE and opened.row.case_id == latest.id

    case_store.record_status(latest.id, CLOSED, "test")
    assert first.reference in links.reply(CONVERSATION), "a closed report takes no more photos"


def test_asking_again_and_again_is_rate_limited(case_store: CaseStore):
    links = answering(case_store, PHOTO_LINKS_PER_CASE_PER_HOUR="2")
    report(case_store, "a")
    assert PATH_PREFIX in links.reply(CONVERSATION) and PATH_PREFIX in links.reply(CONVERSATION)
    assert links.reply(CONVERSATION) == texts.TOO_MANY_LINKS_TEXT


def test_without_a_secret_the_resident_is_told_to_use_words(case_store: CaseStore):
    links = SmsPhotoLinks(case_store.engine, load_settings({}))
    report(case_store, "a")
    assert "describe the problem in words" in links.reply(CONVERSATION)


def test_a_welsh_conversation_is_answered_in_welsh(case_store: CaseStore):
    from bot import messages

    links = answering(case_store)
    assert links.reply(CONVERSATION, "cy") == messages.text("photo_link.no_report", "cy")
    made = report(case_store, "a")
    assert links.reply(CONVERSATION, "cy").startswith(
        messages.text("photo_link.link", "cy", reference=made.reference, hours=24, link="").split(":")[0])
    assert SmsPhotoLinks(case_store.engine, load_settings({})).reply(CONVERSATION, "cy") == messages.text(
        "photo_link.unavailable", "cy", council_phone=load_settings({}).council_phone)
