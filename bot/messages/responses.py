"""domain.yml's responses, written from the catalogue: ``python -m bot.messages.responses``.

``responses.yml`` says which catalogue texts (and buttons) each response's
variations say; the catalogue holds the words in every language. Each
variation becomes one unconditioned English variation (what an English-only
council's residents get, exactly as before) and one per other language,
conditioned on the ``language`` slot (Rasa 3.6 conditional response
variations: a matching condition wins over the unconditioned ones, and a
conditioned ``channel: sms`` variation over both, so every variation,
channel-specific ones included, has its counterpart in each language).

``--check`` exits 1 when domain.yml's responses differ from what would be
written (tests/bot/messages/test_responses.py does the same).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Sequence

import yaml

from bot import messages
from bot.messages import DEFAULT_LANGUAGE, MessageError

STRUCTURE_FILE = Path(__file__).with_name("responses.yml")
DOMAIN_FILE = Path(__file__).resolve().parents[2] / "domain.yml"
LANGUAGE_SLOT = "language"
BUTTON_PREFIX = "button."
SAYS_SUFFIX = ".says"

Variation = Dict[str, Any]


def structure() -> Dict[str, List[Dict[str, Any]]]:
    """response name -> its variations as responses.yml gives them (text id, buttons, channel)."""
    raw = yaml.safe_load(STRUCTURE_FILE.read_text(encoding="utf-8")) or {}
    for name, variants in raw.items():
        if not name.startswith("utter_") or not isinstance(variants, list) or not variants:
            raise MessageError(f"{STRUCTURE_FILE.name}: {name} must be an utter_ name with a list of variations")
        for variant in variants:
            unknown = set(variant) - {"text", "buttons", "channel"}
            if unknown or "text" not in variant:
                raise MessageError(f"{STRUCTURE_FILE.name}: {name} has a variation without text or with {unknown}")
            if not all(isinstance(key, str) for key in variant.get("buttons") or []):
                raise MessageError(f"{STRUCTURE_FILE.name}: {name}'s button keys must be names (not yes/no)")
    return raw


def languages() -> List[str]:
    """The catalogue's languages: English, then every other one a response text has."""
    found = {lang for message_id in messages.message_ids() for lang in messages.languages_of(message_id)}
    return [DEFAULT_LANGUAGE] + sorted(found - {DEFAULT_LANGUAGE})


def variation(spec: Dict[str, Any], language: str) -> Variation:
    """One variation in ``language``: the catalogue's words for ``spec``."""
    out: Variation = {}
    if language != DEFAULT_LANGUAGE:
        out["condition"] = [{"type": "slot", "name": LANGUAGE_SLOT, "value": language}]
    if spec.get("channel"):
        out["channel"] = spec["channel"]
    out["text"] = messages.template(spec["text"], language)
    if spec.get("buttons"):
        out["buttons"] = [{"title": messages.template(BUTTON_PREFIX + key, language),
                           "payload": messages.template(BUTTON_PREFIX + key + SAYS_SUFFIX, language)}
                          for key in spec["buttons"]]
    return out


def responses(langs: Sequence[str] = ()) -> Dict[str, List[Variation]]:
    """Every response's variations: English first, then each other language in turn."""
    langs = list(langs) or languages()
    return {name: [variation(spec, lang) for lang in langs for spec in specs
                   if lang == DEFAULT_LANGUAGE or lang in messages.languages_of(spec["text"])]
            for name, specs in structure().items()}


def _quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a YAML double-quoted scalar


def render(langs: Sequence[str] = ()) -> str:
    """domain.yml's responses section, as text (comments say where it comes from)."""
    lines = [
        "# Responses: WRITTEN by `python -m bot.messages.responses` from bot/messages/responses.yml",
        "# (which texts each response says) and bot/messages/catalogue.yml (the words, per language).",
        "# Do not edit here: change those files and run it (docs/messages.md, docs/welsh.md).",
        "responses:",
    ]
    for name, variants in responses(langs).items():
        lines.append(f"  {name}:")
        for variant in variants:
            first = "    - "
            indent = "      "
            if "condition" in variant:
                lines.append(first + "condition:")
                for condition in variant["condition"]:
                    lines.append(f"{indent}    - type: {condition['type']}")
                    lines.append(f"{indent}      name: {condition['name']}")
                    lines.append(f"{indent}      value: {condition['value']}")
                first = indent
            if "channel" in variant:
                lines.append(f"{first}channel: {variant['channel']}")
                first = indent
            lines.append(f"{first}text: {_quoted(variant['text'])}")
            if "buttons" in variant:
                lines.append(f"{indent}buttons:")
                for button in variant["buttons"]:
                    lines.append(f"{indent}  - title: {_quoted(button['title'])}")
                    lines.append(f"{indent}    payload: {_quoted(button['payload'])}")
    return "\n".join(lines) + "\n"


# The section: from the comments just above "responses:" to the next top-level key.
_SECTION = re.compile(r"(?:^#[^\n]*\n)*^responses:\n(?:(?:[ \t]+[^\n]*|[ \t]*)\n)*", re.MULTILINE)


def with_responses(domain_text: str, section: str) -> str:
    """``domain_text`` with its responses section replaced by ``section``."""
    match = _SECTION.search(domain_text)
    if not match:
        raise MessageError("domain.yml has no top-level responses: section")
    rest = domain_text[match.end():]
    return domain_text[:match.start()] + section + ("\n" if rest else "") + rest


def current_section(domain_text: str) -> str:
    match = _SECTION.search(domain_text)
    return match.group(0).rstrip("\n") + "\n" if match else ""


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.messages.responses", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if domain.yml's responses are out of date")
    args = parser.parse_args(list(argv))
    text = DOMAIN_FILE.read_text(encoding="utf-8")
    section = render()
    if current_section(text) == section:
        print("domain.yml's responses are up to date")
        return 0
    if args.check:
        print("domain.yml's responses differ from bot/messages/responses.yml and catalogue.yml: "
              "run `python -m bot.messages.responses`", file=sys.stderr)
        return 1
    DOMAIN_FILE.write_text(with_responses(text, section), encoding="utf-8")
    print(f"wrote the responses section of {DOMAIN_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
