"""Every sentence a resident reads about photo upload links, outside domain.yml.

The link sent when an SMS report is made is a domain response
(``utter_photo_link``, sent by actions/reports.py); these are sent by the SMS
channel when a resident asks to send a photo, by the website's upload page,
and by the notifier when photos arrive. All SMS texts are GSM-7 and fit in
three segments with the longest link (tests/bot/channels/test_sms_responses.py).
"""

from __future__ import annotations

# --- by SMS --------------------------------------------------------------------------
# {reference}, {hours}, {link}
LINK_TEXT = "Here's a link to add photos to your report {reference}. It works once, for {hours} hours: {link}"
# No report yet in this conversation (or none recent enough).
NO_REPORT_TEXT = (
    "Thanks. Once your report is made I'll text you a link to add photos. "
    "If you haven't started one, tell me what you'd like to report."
)
TOO_MANY_LINKS_TEXT = "I've sent you a link for photos already. Please use the latest one, or ask again in an hour."
UNAVAILABLE_TEXT = "Sorry, I can't take photos just now. Please describe the problem in words, or call us on {council_phone}."
# The notifier, when photos arrived through a link: {count_words}, {reference}
ARRIVED_TEXT = "Thank you, we've got your {count_words} for report {reference}. We've added them to your report."

# --- on the upload page (errors shown above the form) ---------------------------------------
NO_PHOTO_CHOSEN = "Select at least one photo to send."
TOO_MANY_PHOTOS = "You can send up to {max_photos} photos at a time. Select fewer photos."
TOO_LARGE_IN_TOTAL = "Those photos are too large together. Send fewer photos, or smaller ones."
FORM_EXPIRED = "Something went wrong with the form. Please try again."
SLOW_DOWN = "You've sent a lot of photos. Please wait a while before trying again."
CASE_FULL = "Your report already has as many photos as we can keep. Call us on {council_phone} if you need to send more."
SAVE_FAILED = "Sorry, we couldn't save your photos. Please try again."


def count_words(count: int) -> str:
    """ "1 photo", "3 photos"."""
    return f"{count} photo" if count == 1 else f"{count} photos"
