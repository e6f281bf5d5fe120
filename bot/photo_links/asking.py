"""Does a text ask to send a photo? ("I've got a photo", "can I send a pic", "PHOTO", "LLUNIAU").

Read without NLU, by the SMS channel, like its keywords: the model has no
intent for it, and MMS cannot carry the photo in the UK, so the answer is an
upload link (bot/photo_links/service.py). Only short messages that are about
sending a photo and nothing else match: "I have a photo of the pothole on Mill
Lane" is a report (it names the problem and the place), not a request for a link.
"""

from __future__ import annotations

import re

_PHOTO = r"(?:photo|foto|picture|pic|image|snap|pictur)s?"
# "a", "another", "some more", "a few", "2", "my", "the"...
_SOME = r"(?:a|an|another|some|more|some\s+more|a\s+few(?:\s+more)?|few|few\s+more|the|my|other|[2-9]|two|three)(?:\s+more)?"
_ASKING = re.compile(
    rf"""^\s*
    (?:(?:hi|hello|ok|okay|yes|yeah|also|and|oh)[\s,]+)?
    (?:
        {_PHOTO}                                                   # "PHOTO", "photos"
      | (?:send|add|attach|upload|share)\s+(?:{_SOME}\s+)?{_PHOTO}   # "send photo"
      | (?:i\s*(?:'ve|ve|\s+have)?\s*(?:got|have|took|taken|can\s+send)|i\s+have)\s+
        (?:{_SOME}\s+)?{_PHOTO}                 # "I've got a photo"
      | (?:can|could|may|shall|how\s+(?:do|can)|where\s+(?:do|can))\s+i\s+
        (?:send|add|attach|upload|share|give)\s+(?:you\s+)?(?:{_SOME}\s+)?{_PHOTO}
      | (?:do|would)\s+you\s+(?:want|need|like)\s+(?:{_SOME}\s+)?{_PHOTO}
    )
    (?:\s+(?:of\s+it|of\s+that|of\s+them|too|as\s+well|also|to\s+send|for\s+you|for\s+it))?
    (?:\s+(?:please|pls|plz))?
    [\s?.!,:)]*$""",
    re.IGNORECASE | re.VERBOSE,
)


# Welsh: "LLUNIAU" (the word the Welsh texts teach), "mae gen i lun", "ga i anfon llun", with the
# mutations (llun / lun, lluniau / luniau). Never "llun" alone: it is also Monday ("dydd Llun"),
# a resident's answer to "which day is your collection?".
_LLUN = r"(?:llun|lun|lluniau|luniau|ffoto|ffotos|ffotograff|ffotograffau)"
_RHAI = r"(?:y|rhai|rai|rhagor\s+o|mwy\s+o|ychydig\s+o|[2-9]|dau|ddau|dwy|ddwy|tri|dri|tair|dair)"  # with mutations
_ASKING_CY = re.compile(
    rf"""^\s*
    (?:(?:helo|shwmae|iawn|ie|ia|a|hefyd|o)[\s,]+)?
    (?:
        (?:lluniau|ffoto|ffotos)                                          # "LLUNIAU"
      | (?:anfon|ychwanegu|atodi|rhannu)\s+(?:{_RHAI}\s+)?{_LLUN}          # "anfon llun"
      | (?:mae\s+)?(?:gen\s+i|gennyf|gennym|gyda\s+fi|da\s+fi)\s+(?:{_RHAI}\s+)?{_LLUN}   # "mae gen i lun"
      | (?:dw\s+i|dwi|rwy|rydw\s+i|rw\s+i)\s+wedi\s+tynnu\s+(?:{_RHAI}\s+)?{_LLUN}
      | (?:ga\s+i|gaf\s+i|alla\s+i|gallaf|galla\s+i|sut\s+(?:mae|dw\s+i'n|ydw\s+i'n|alla\s+i|galla\s+i))\s+
        (?:anfon|ychwanegu|atodi|rhannu|roi)\s+(?:{_RHAI}\s+)?{_LLUN}
      | (?:ydych\s+chi|dych\s+chi|wyt\s+ti)\s+(?:eisiau|isio|moyn|angen)\s+(?:{_RHAI}\s+)?{_LLUN}
    )
    (?:\s+(?:ohono|ohoni|ohonyn|ohonynt|hefyd|i\s+chi|atoch))?
    (?:\s+(?:plis|plîs|os\s+gwelwch\s+yn\s+dda))?
    [\s?.!,:)]*$""",
    re.IGNORECASE | re.VERBOSE,
)


def asks_to_send_photo(text: str) -> bool:
    """True when the whole message asks how to send a photo, or says the resident has one (English or Welsh)."""
    cleaned = " ".join((text or "").replace("\u2019", "'").split())
    return len(cleaned) <= 80 and bool(_ASKING.match(cleaned) or _ASKING_CY.match(cleaned))
