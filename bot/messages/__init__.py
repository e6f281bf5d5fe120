"""One catalogue of what residents read, outside domain.yml: ``catalogue.yml``.

Each message id has a text per language (``en`` today; a Welsh council adds
``cy``) and may carry ``review: true`` (or a list of languages) for
translations a council should have checked. The catalogue is read once, on
first use. ``text()`` is strict: an unknown id, a language the message lacks or
a placeholder left unfilled is a :class:`MessageError`, never a half-filled
text sent to a resident. Which languages a council serves is
``COUNCIL_LANGUAGES`` (bot/settings.py; the first is the default);
tests/bot/messages/test_catalogue.py checks every id has each of them.
How to change a text: docs/messages.md.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

import yaml

CATALOGUE_FILE = Path(__file__).with_name("catalogue.yml")
DEFAULT_LANGUAGE = "en"  # the catalogue's source language, which every id has


class MessageError(LookupError):
    """A message id, language or placeholder is missing (a developer's error, not a resident's)."""


Catalogue = Dict[str, Dict[str, str]]


def parse(raw: object, source: str = "catalogue") -> Tuple[Catalogue, Dict[str, FrozenSet[str]]]:
    """(id -> language -> text, id -> languages to review) from the YAML's mapping; checks its shape."""
    if not isinstance(raw, Mapping):
        raise MessageError(f"{source} must be a mapping of message ids")
    texts: Catalogue = {}
    review: Dict[str, FrozenSet[str]] = {}
    for message_id, entry in raw.items():
        if not isinstance(entry, Mapping):
            raise MessageError(f"{source}: {message_id} must map languages to texts")
        by_language = {lang: value for lang, value in entry.items() if lang != "review"}
        if DEFAULT_LANGUAGE not in by_language:
            raise MessageError(f"{source}: {message_id} has no {DEFAULT_LANGUAGE!r} text")
        for lang, value in by_language.items():
            if not isinstance(value, str) or not value.strip():
                raise MessageError(f"{source}: {message_id} [{lang}] must be a non-empty text")
        flag = entry.get("review", False)
        if flag is True:  # every translation of it
            review[message_id] = frozenset(lang for lang in by_language if lang != DEFAULT_LANGUAGE)
        elif isinstance(flag, list):
            review[message_id] = frozenset(str(lang) for lang in flag)
        elif flag is not False:
            raise MessageError(f"{source}: {message_id} review must be true, false or a list of languages")
        texts[str(message_id)] = by_language
    return texts, review


@lru_cache(maxsize=1)
def _loaded() -> Tuple[Catalogue, Dict[str, FrozenSet[str]]]:
    return parse(yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8")), CATALOGUE_FILE.name)


def template(message_id: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The unfilled text of ``message_id`` in ``language`` (for lints and tests)."""
    texts = _loaded()[0]
    if message_id not in texts:
        raise MessageError(f"No message {message_id!r} in {CATALOGUE_FILE.name}")
    if language not in texts[message_id]:
        raise MessageError(f"Message {message_id!r} has no {language!r} text")
    return texts[message_id][language]


def placeholders(message_id: str, language: str = DEFAULT_LANGUAGE) -> FrozenSet[str]:
    """The ``{names}`` the text of ``message_id`` needs."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template(message_id, language)) if name)


def text(message_id: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text of ``message_id`` in ``language`` with its placeholders filled from ``values``.

    Values a text does not use are ignored (a caller may offer the same set to
    several texts); a placeholder without a value is a MessageError.
    """
    missing = placeholders(message_id, language) - set(values)
    if missing:
        raise MessageError(f"Message {message_id!r} needs {', '.join(sorted(missing))}")
    return template(message_id, language).format(**values)


def message_ids() -> List[str]:
    """Every message id, in the catalogue's order."""
    return list(_loaded()[0])


def languages_of(message_id: str) -> List[str]:
    """The languages ``message_id`` has a text in."""
    template(message_id)  # an unknown id is an error
    return list(_loaded()[0][message_id])


def missing_languages(languages: Sequence[str]) -> Dict[str, List[str]]:
    """id -> the languages among ``languages`` it has no text in (empty when all are there)."""
    texts = _loaded()[0]
    gaps = {message_id: [lang for lang in languages if lang not in by_language]
            for message_id, by_language in texts.items()}
    return {message_id: langs for message_id, langs in gaps.items() if langs}


def needs_review(language: Optional[str] = None) -> List[Tuple[str, str]]:
    """(id, language) of every text flagged for a council's check, optionally of one language."""
    return [(message_id, lang) for message_id, langs in _loaded()[1].items() for lang in sorted(langs)
            if language in (None, lang)]
