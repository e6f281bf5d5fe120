"""Photos by SMS without MMS: one-time upload links (issue 13).

Twilio carries MMS only in a few countries, not the UK, so a resident texting
the council cannot attach a photo. Instead, once their SMS report has a
reference (or when they ask to send a photo), they get a short link to an
upload page on the council website (bot/web/photo_upload.py):

* ``token.py``: the link's token, HMAC-signed with PHOTO_LINK_SECRET: opaque,
  32 characters, expiring (PHOTO_LINK_HOURS, default 24), unforgeable;
* ``service.py``: issuing a link for one case (rate-limited), checking an
  opened link, and attaching the uploaded photos to the case, which uses the
  link up (bot/storage/photo_links.py keeps one row per link);
* ``asking.py``: recognising "I've got a photo" in a text;
* ``texts.py``: every sentence the resident reads about it (SMS and page).

MMS still works where the carrier delivers it (bot/channels/sms.py).
"""
