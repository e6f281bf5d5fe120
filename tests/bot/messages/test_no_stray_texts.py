"""No resident-facing English left in the modules whose texts moved to bot/messages/catalogue.yml.

A practical check, not a proof: it reads each module's syntax tree and flags
string literals that look like sentences (a capital, at least three words,
ending . ! or ?). Docstrings, log messages and exception messages (for
operators) are not resident-facing and are skipped; anything else that is not
for residents goes on ALLOWED with the reason. When you move another module's
texts to the catalogue, add it to MIGRATED.
"""

import ast
import re
from pathlib import Path
from typing import List, Set, Tuple

from bot.settings import PROJECT_ROOT

MIGRATED = (
    "bot/channels/sms.py",
    "bot/channels/sms_photos.py",
    "bot/channels/sms_text.py",
    "bot/photo_links/texts.py",
    "bot/web/photo_upload.py",
    "bot/web/uploads.py",
    "bot/web/app.py",
    "bot/escalation/handoff.py",
    "bot/outbox/notify.py",
    "actions/cases.py",
    "bot/cases/model.py",
    "actions/duplicates.py",
    "actions/waste.py",
    "actions/reports.py",
    "actions/places.py",
    "actions/choices.py",
    "bot/photos.py",
    "bot/categories.py",
    "bot/escalation/hours.py",
)

# (module, exact literal): why it is not a resident's text.
ALLOWED: Set[Tuple[str, str]] = {
    # A note on the case for staff, not said to the resident.
    ("actions/places.py",
     "Place not found in the council's gazetteer: kept as the resident typed it; please check where it is."),
}

# Starts with a capital (or a placeholder: "{council_name}: you won't..."), has at
# least three words, and ends a sentence or holds the end of one ("... Reply STOP").
SENTENCE = re.compile(r"^(?:[A-Z]|\{\w+\}\W+\w)\S*(?:\s+\S+){2,}$", re.DOTALL)
SENTENCE_END = re.compile(r"[.!?]$|[.!?]\s+[A-Z]")
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
# Exceptions whose message a resident reads (a refused photo's reason): not skipped.
RESIDENT_EXCEPTIONS = {"PhotoRejected", "UploadRejected"}


def _skipped(tree: ast.AST) -> Set[int]:
    """ids of the string nodes that are docstrings, log messages or exception messages."""
    skipped: Set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))
        calls = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LOG_METHODS:
            calls.append(node)
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and not (
                isinstance(node.exc.func, ast.Name) and node.exc.func.id in RESIDENT_EXCEPTIONS):
            calls.append(node.exc)
        for call in calls:
            for argument in list(call.args) + [k.value for k in call.keywords]:
                skipped.update(id(n) for n in ast.walk(argument))
    return skipped


def sentences(source: str) -> List[Tuple[int, str]]:
    """(line, text) of every sentence-like string literal in ``source`` that is not skipped."""
    tree = ast.parse(source)
    skipped = _skipped(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.JoinedStr):  # an f-string: judged whole, values as "{}"
            skipped.update(id(part) for part in node.values)
            text = "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if SENTENCE.match(text.strip()) and SENTENCE_END.search(text.strip()):
            found.append((node.lineno, text.strip()))
    return sorted(found)


def test_migrated_modules_hold_no_resident_facing_sentences():
    stray = []
    for module in MIGRATED:
        for line, text in sentences((PROJECT_ROOT / module).read_text(encoding="utf-8")):
            if (module, text) not in ALLOWED:
                stray.append(f"{module}:{line}: {text!r}")
    assert stray == [], "move these to bot/messages/catalogue.yml (docs/messages.md):\n" + "\n".join(stray)


def test_the_check_finds_a_sentence_put_back():
    source = '''
"""A module docstring. It is fine."""
import logging
logger = logging.getLogger(__name__)
REPLY = "Sorry, we couldn't save the photo. Please try again."
def answer(phone):
    """Docstrings are fine too."""
    logger.warning("Could not reach the back office for %s.", phone)
    if not phone:
        raise ValueError("A phone number is required here.")
    if phone == "0":
        raise PhotoRejected(400, "That photo is not a photo at all.")
    return f"Thanks. We will call you on {phone}."
'''
    assert sentences(source) == [(5, "Sorry, we couldn't save the photo. Please try again."),
                                 (12, "That photo is not a photo at all."),
                                 (13, "Thanks. We will call you on {}.")]


def test_the_modules_listed_exist():
    for module in MIGRATED:
        assert Path(PROJECT_ROOT / module).is_file(), module


# ----- outside Python: templates, the widget's script, domain.yml ------------------------

TEMPLATES = sorted((PROJECT_ROOT / "bot/web/templates").glob("*.html"))
SCRIPTS = [PROJECT_ROOT / "bot/web/static/widget.js"]
# Attributes whose values people read (or hear, with a screen reader).
READ_ATTRIBUTES = re.compile(r'\b(?:aria-label|alt|title|placeholder|value)\s*=\s*"([^"]*)"')
# Technical strings in the widget's script, and the languages' own names (each the same in every language).
ALLOWED_JS = {"use strict", "noopener noreferrer", "Content-Type", "Enter", "Escape", "Cymraeg", "English"}


def template_words(source: str) -> List[str]:
    """Words a template shows that are not from the catalogue (outside {{ }}, {% %} and comments)."""
    text = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    attributes = [v for v in READ_ATTRIBUTES.findall(text) if re.search(r"[A-Za-z]", re.sub(r"\{\{.*?\}\}", "", v))]
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    text = re.sub(r"&\w+;|&#\d+;", " ", text)
    return attributes + [w for w in text.split() if re.search(r"[A-Za-z]{2}", w)]


def script_texts(source: str) -> List[str]:
    """String literals in JavaScript that look like words for people (capitalised, or several words)."""
    source = re.sub(r"/\*.*?\*/", " ", source, flags=re.S)
    source = re.sub(r"(^|[^:\\\"'])//[^\n]*", r"\1", source)
    found = []
    for match in re.finditer(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'', source):
        literal = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
        if literal in ALLOWED_JS or literal.startswith(("cc-", ".cc-")) or not re.search(r"[A-Za-z]{2}", literal):
            continue
        # Words for people: several words, or one capitalised; not a type, path or event name.
        if " " in literal or re.match(r"[A-Z][a-z]", literal):
            found.append(literal)
    return found


def test_templates_hold_no_words_of_their_own():
    stray = [f"{path.name}: {word!r}" for path in TEMPLATES for word in template_words(path.read_text(encoding="utf-8"))]
    assert TEMPLATES and stray == [], "put these in bot/messages/catalogue.yml and use t(id):\n" + "\n".join(stray)


def test_the_widget_script_holds_no_words_of_its_own():
    stray = [f"{path.name}: {text!r}" for path in SCRIPTS for text in script_texts(path.read_text(encoding="utf-8"))]
    assert stray == [], "put these in bot/messages/catalogue.yml as widget.<key> and use t(key):\n" + "\n".join(stray)


def test_the_outside_checks_find_words_put_back():
    assert template_words('<p>{{ t("a.b") }}</p>{# a comment #}<a aria-label="Close chat">x</a>\n<h1>Photos sent</h1>'
                          '<img alt="{{ t(\'x\') }}">') == ["Close chat", "Photos", "sent"]
    assert script_texts('''var a = "Chat with us"; el("button", { text: "Send" }); // "Not this"
        var b = "use strict"; var c = "cc-tool cc-language"; var d = t("launcher"); var e = "Cymraeg";''') == [
        "Chat with us", "Send"]


def test_domain_yml_says_only_catalogue_texts():
    """Every response text and button in domain.yml is a catalogue text (bot/messages/responses.py writes them)."""
    import yaml

    from bot import messages

    catalogue = {messages.template(i, lang) for i in messages.message_ids() for lang in messages.languages_of(i)}
    responses = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    said = [(name, v.get("text")) for name, variants in responses.items() for v in variants]
    said += [(name, b[key]) for name, variants in responses.items() for v in variants
             for b in v.get("buttons") or [] for key in ("title", "payload")]
    assert [(name, text) for name, text in said if text not in catalogue] == []
