"""Texts that ask to send a photo, and texts that only mention one."""

from __future__ import annotations

import pytest

from bot.photo_links.asking import asks_to_send_photo

ASKING = [
    "PHOTO", "photos", "Photo.", "pic", "I have a photo", "i have photos", "I've got a photo", "ive got a pic",
    "I\u2019ve got some photos of it", "I took a photo", "yes I have a picture", "can I send you a picture?",
    "Can i send a photo", "how do I send a photo", "how can I send you pictures", "where do I send photos",
    "send photo", "add photos", "do you want a photo?", "would you like a picture", "can i send pics pls",
    "ok I've got 2 photos", "I can send photos", "I've got another photo", "can I send some more pictures",
    "I have a few more pics", "send more photos",
    # Welsh: the keyword the Welsh texts teach, and how Welsh speakers say it (with mutations).
    "LLUNIAU", "lluniau", "Ffoto", "mae gen i lun", "Mae gen i luniau", "gen i lun", "ga i anfon llun?",
    "sut mae anfon llun", "anfon lluniau", "anfon rhagor o luniau", "dwi wedi tynnu llun ohono",
    "ydych chi eisiau llun?", "iawn, mae gen i ddau lun", "alla i anfon llun plis",
]
NOT_ASKING = [
    "I have a photo of the pothole on Mill Lane", "fly tipping on Station Road, I took a photo",
    "my photo ID", "photo booth in the library is broken", "someone sprayed a rude picture on the bus shelter",
    "passport photo keeps getting rejected", "hello", "pothole", "", "photograph of a dog fouling",
    "can I see the photos of my car for my parking ticket",
    # "Llun" is also Monday: the answer to "which day is your collection?" is never a photo request.
    "Llun", "llun", "dydd Llun", "nos Lun", "LLUN", "llun graffiti ar wal y parc",
    "mae gen i lun o'r twll ar Mill Lane", "tynnu llun o'r sbwriel ar Station Road",
]


@pytest.mark.parametrize("text", ASKING)
def test_asks(text: str):
    assert asks_to_send_photo(text)


@pytest.mark.parametrize("text", NOT_ASKING)
def test_does_not_ask(text: str):
    assert not asks_to_send_photo(text)
