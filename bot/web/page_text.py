"""Words on the council's web pages and in the chat widget, from the message catalogue.

Templates never hold resident-facing words: they call ``t(id, **values)``,
which gives the catalogue's text in the page's language as safe HTML (the
words escaped, values escaped unless already markup, e.g. ``strong(...)``).
The widget's words are the catalogue's ``widget.*`` texts, given to it as
``window.CouncilChatLabels`` (bot/web/app.py puts them before widget.js).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence

from markupsafe import Markup, escape

from bot import messages
from bot.messages import MessageError

# The lang attribute of a page in each language (BCP 47; the UK's English and Welsh).
HTML_LANG = {"en": "en-GB", "cy": "cy-GB"}
WIDGET_PREFIX = "widget."


def page_language(requested: Optional[str], languages: Sequence[str]) -> str:
    """``requested`` if the council serves it, else the council's default (the first)."""
    return requested if requested in languages else languages[0]


def _words(text: str) -> str:
    # Only what HTML needs (text and attribute values); apostrophes stay as typed.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def page_text(language: str, message_id: str, **values: Any) -> Markup:
    """The catalogue's text as safe HTML: its words escaped, each value escaped unless it is markup."""
    missing = messages.placeholders(message_id, language) - set(values)
    if missing:
        raise MessageError(f"Message {message_id!r} needs {', '.join(sorted(missing))}")
    return Markup(_words(messages.template(message_id, language))).format(
        **{name: value if isinstance(value, Markup) else escape(value) for name, value in values.items()})


def strong(text: Any) -> Markup:
    return Markup("<strong>{}</strong>").format(text)


def template_helpers(language: str, languages: Sequence[str], switchable: bool = True) -> Dict[str, Any]:
    """What every page's template gets: t(), t_in(), strong(), its lang and the other languages' links."""
    t: Callable[..., Markup] = lambda message_id, **values: page_text(language, message_id, **values)
    others: List[str] = [lang for lang in languages if lang != language] if switchable else []
    return {
        "t": t,
        "t_in": page_text,
        "strong": strong,
        "language": language,
        "html_lang": HTML_LANG.get(language, language),
        "other_languages": others,
        # Links within the site keep a language that is not the default.
        "lang_query": f"?lang={language}" if switchable and language != languages[0] else "",
    }


def widget_labels(languages: Sequence[str]) -> Dict[str, Dict[str, str]]:
    """language -> the widget's words (widget.<key> -> key), for the languages the council serves."""
    ids = [i for i in messages.message_ids() if i.startswith(WIDGET_PREFIX)]
    return {lang: {i[len(WIDGET_PREFIX):]: messages.template(i, lang) for i in ids} for lang in languages}
