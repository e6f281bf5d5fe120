"""The photo-link texts a resident reads, from the one catalogue (bot/messages/catalogue.yml).

The link sent when an SMS report is made is a domain response
(``utter_photo_link``, sent by actions/reports.py); these are sent by the SMS
channel when a resident asks to send a photo, by the website's upload page,
and by the notifier when photos arrive. The names below are the unfilled
English texts (``photo_link.*``, ``upload_page.*``): callers fill them, the SMS
lints check them (GSM-7, at most three segments with the longest link:
tests/bot/channels/test_sms_responses.py).
"""

from __future__ import annotations

from bot.messages import template, text

# --- by SMS --------------------------------------------------------------------------
LINK_TEXT = template("photo_link.link")  # {reference}, {hours}, {link}
NO_REPORT_TEXT = template("photo_link.no_report")  # no report yet in this conversation (or none recent enough)
TOO_MANY_LINKS_TEXT = template("photo_link.too_many_links")
UNAVAILABLE_TEXT = template("photo_link.unavailable")  # {council_phone}
ARRIVED_TEXT = template("photo_link.arrived")  # the notifier, when photos arrived: {count_words}, {reference}

# --- on the upload page (errors shown above the form) ---------------------------------------
NO_PHOTO_CHOSEN = template("upload_page.no_photo_chosen")
TOO_MANY_PHOTOS = template("upload_page.too_many_photos")  # {max_photos}
TOO_LARGE_IN_TOTAL = template("upload_page.too_large_in_total")
FORM_EXPIRED = template("upload_page.form_expired")
SLOW_DOWN = template("upload_page.slow_down")
CASE_FULL = template("upload_page.case_full")  # {council_phone}
SAVE_FAILED = template("upload_page.save_failed")


def count_words(count: int, language: str = "en") -> str:
    """ "1 photo", "3 photos"."""
    return text("photo_link.count_one" if count == 1 else "photo_link.count_many", language, count=count)
