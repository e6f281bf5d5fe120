"""The website's pages, the upload page and the widget speak the catalogue's words, in the page's language."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Iterator

import pytest
import requests
from markupsafe import Markup

from bot import messages
from bot.cases.model import NewCase
from bot.messages import MessageError
from bot.web.page_text import page_text, strong, widget_labels
from tests.bot.web.test_photo_upload import Site, photo, send, csrf_of


def words(html: str) -> str:
    """A page's visible text, one space between words (no tags, entities decoded)."""
    body = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.fixture(scope="module")
def welsh_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    running = Site(tmp_path_factory.mktemp("welsh-site"), COUNCIL_LANGUAGES="en,cy")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def english_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    running = Site(tmp_path_factory.mktemp("english-site"))
    yield running
    running.stop()


def test_a_text_is_escaped_and_markup_values_kept():
    assert page_text("en", "home.chat_help", button=strong("<Chat>")) == Markup(
        "Use the <strong>&lt;Chat&gt;</strong> button at the bottom of any page to talk to our online assistant. "
        "You can ask for a person at any time.")
    assert page_text("en", "home.heading", council_name="<b>A & B</b>") == \
        "Welcome to &lt;b&gt;A &amp; B&lt;/b&gt;"
    assert "We've added" in page_text("en", "upload_page.added", count_words="2 photos", reference="R")
    with pytest.raises(MessageError, match="council_name"):
        page_text("en", "home.heading")


def test_an_english_only_council_sees_its_pages_as_before(english_site: Site):
    home = requests.get(english_site.url + "/", timeout=10).text
    assert '<html lang="en-GB">' in home
    text = words(home)
    assert "Welcome to Anytown Borough Council" in text
    assert "Use the Chat with us button at the bottom of any page to talk to our online assistant." in text
    assert "Cymraeg" not in home and "?lang=" not in home
    # Asking for Welsh where the council has no Welsh changes nothing.
    assert words(requests.get(english_site.url + "/?lang=cy", timeout=10).text).startswith(text[:200])
    privacy = words(requests.get(english_site.url + "/privacy", timeout=10).text)
    assert "If you text STOP, we keep your number on our \"do not text\" list" in privacy


def test_a_welsh_council_serves_each_page_in_both_languages(welsh_site: Site):
    english = requests.get(welsh_site.url + "/bins", timeout=10).text
    assert '<html lang="en-GB">' in english and 'href="?lang=cy"' in english and 'lang="cy"' in english
    welsh = requests.get(welsh_site.url + "/bins?lang=cy", timeout=10).text
    assert '<html lang="cy-GB">' in welsh
    text = words(welsh)
    assert messages.text("bins.missed", "cy") in text and messages.text("web_page.bins", "cy") in text
    assert "Missed a collection" not in text and 'href="/privacy?lang=cy"' in welsh
    # The chat on a Welsh page starts in Welsh.
    config = json.loads(re.search(r"window.CouncilChatConfig = (\{.*?\});", welsh).group(1))
    assert config["languages"] == ["cy", "en"]
    privacy = words(requests.get(welsh_site.url + "/privacy?lang=cy", timeout=10).text)
    assert messages.text("privacy.rights_heading", "cy") in privacy and "Your rights" not in privacy


def test_the_widget_gets_its_words_for_each_language_the_council_serves(english_site: Site, welsh_site: Site):
    script = requests.get(welsh_site.url + "/chat/widget.js", timeout=10).text
    labels = json.loads(re.match(r"window.CouncilChatLabels = (\{.*\});\n", script).group(1))
    assert labels == widget_labels(["en", "cy"])
    assert labels["cy"]["launcher"] == messages.text("widget.launcher", "cy")
    assert "(function () {" in script
    english_only = requests.get(english_site.url + "/chat/widget.js", timeout=10).text
    assert set(json.loads(re.match(r"window.CouncilChatLabels = (\{.*\});\n", english_only).group(1))) == {"en"}


def test_the_upload_page_is_in_the_cases_language(welsh_site: Site):
    case = welsh_site.cases.create(NewCase(category="pothole", conversation_id="sms-cy-1", channel="sms",
                                           location_text="Mill Lane", language="cy"), idempotency_key="cy-1")
    link = welsh_site.link(case.id)
    browser = requests.Session()
    page = browser.get(link, timeout=10).text
    assert '<html lang="cy-GB">' in page
    assert messages.text("upload_page.heading", "cy", reference=case.reference) in words(page)
    assert "Cymraeg" not in words(page).split(messages.text("web_page.home", "cy"))[0]  # no language switch here
    refused = send(browser, link, [("a.txt", b"not a photo")], csrf_of(page))
    assert messages.text("photo.not_a_photo", "cy") in words(refused.text)
    sent = send(browser, link, [("a.png", photo())], csrf_of(refused.text))
    assert messages.text("upload_page.will_text", "cy") in words(sent.text)


def test_chat_upload_errors_come_in_the_chats_language(welsh_site: Site):
    url = welsh_site.url + "/chat/uploads"
    assert requests.post(url + "?lang=cy", data=b"not a photo", timeout=10).json()["error"] == \
        messages.text("photo.not_a_photo", "cy")
    assert requests.post(url, data=b"not a photo", timeout=10).json()["error"] == messages.text("photo.not_a_photo")


def test_the_widget_shows_the_catalogues_words_in_the_pages_language(welsh_site: Site):
    """In Chromium: the launcher and panel in Welsh on a Welsh page, in English on an English one."""
    from tests.support.browser import chromium

    with chromium() as browser:
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(welsh_site.url + "/?lang=cy")
        page.wait_for_function("document.querySelector('#council-chat')?.dataset.ready === 'true'")
        launcher = page.get_by_role("button", name=messages.text("widget.launcher", "cy"))
        launcher.click()
        panel = page.locator("#cc-panel")
        assert panel.get_attribute("lang") == "cy"
        assert page.get_by_role("heading", name=messages.text("widget.title", "cy", council_name="Anytown Borough Council")).is_visible()
        assert page.get_by_role("button", name=messages.text("widget.person", "cy")).is_visible()
        assert page.get_by_label(messages.text("widget.input_label", "cy")).is_visible()
        notice = page.get_by_role("link", name=messages.text("widget.privacy_link", "cy"))
        assert notice.get_attribute("href") == welsh_site.settings.web_privacy_url + "?lang=cy"
        # The resident switches to English: the panel's words follow.
        page.get_by_role("button", name="English").click()
        assert panel.get_attribute("lang") == "en"
        assert page.get_by_role("button", name="Talk to a person").is_visible()
        assert page.get_by_label("Type your message").is_visible()
        assert errors == []
