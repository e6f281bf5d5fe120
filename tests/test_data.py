"""`rasa data validate` passes, and its only warnings are Rasa 3.6's false alarms."""

import re
import subprocess
import sys
from pathlib import Path

from rasa.shared.nlu.training_data.loading import load_data

from bot.settings import PROJECT_ROOT

OUT_OF_SCOPE_HELD_OUT = PROJECT_ROOT / "tests" / "nlu" / "out_of_scope.yml"


def _responses_used_in_code() -> str:
    # Actions, and the message guard (bot/channels/guard.py) which sends one itself.
    return "\n".join(p.read_text() for folder in ("actions", "bot") for p in (PROJECT_ROOT / folder).rglob("*.py"))


def test_rasa_data_validate_is_clean():
    result = subprocess.run([sys.executable, "-m", "rasa", "data", "validate"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "No story structure conflicts found" in output
    code = _responses_used_in_code()
    unexplained = []
    for line in output.splitlines():
        if "UserWarning" not in line:
            continue
        # Rasa merges the retrieval intent from data/nlu/faq.yml into the domain,
        # which also lists it (required for rules to use it): a known benign notice.
        if "duplicated intents have been found across multiple domain files: faq" in line:
            continue
        # no_text is set by a rule-based component (bot/nlu/no_text.py), choose_language and unserved_language by the
        # language step (bot/language/rasa_hook.py): never learned.
        if re.search(r"The intent '(no_text|choose_language|unserved_language)' is listed in the domain file, but is not found in the NLU",
                     line):
            continue
        unused = re.search(r"The utterance '(utter_[^']+)' is not used in any story or rule", line)
        # Rasa 3.6 does not see responses that forms ask (utter_ask_*) or that
        # actions send; every other warning is a real problem.
        if unused and (unused.group(1).startswith("utter_ask_") or f'"{unused.group(1)}"' in code):
            continue
        unexplained.append(line)
    assert not unexplained, "\n".join(unexplained)


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def _examples(path: Path) -> list:
    """(normalised text, intent) of every intent example in one NLU file."""
    return [(_normalised(m.get("text")), m.get("intent")) for m in load_data(str(path)).intent_examples]


def _near_copies(held_out: set, training: set) -> list:
    """Held-out texts that are in training, or share their first 8 words with a training text."""
    openings = {" ".join(t.split()[:8]) for t in training if len(t.split()) >= 8}
    return sorted(t for t in held_out
                  if t in training or (len(t.split()) >= 8 and " ".join(t.split()[:8]) in openings))


def test_out_of_scope_held_out_set_is_never_trained_on():
    """tests/nlu/out_of_scope.yml measures out-of-scope recall only if no training file holds its texts."""
    held_out = _examples(OUT_OF_SCOPE_HELD_OUT)
    assert {intent for _, intent in held_out} == {"out_of_scope"}
    texts = {text for text, _ in held_out}
    assert len(texts) >= 170, f"only {len(texts)} distinct held-out out-of-scope messages"
    training = set()
    for path in (PROJECT_ROOT / "data" / "nlu").rglob("*.yml"):  # Welsh (cy/) too
        training |= {text for text, _ in _examples(path)}
    copied = _near_copies(texts, training)
    assert not copied, f"held-out out-of-scope messages (near-)copied into data/nlu: {copied[:5]}"


def test_near_copies_are_found():
    training = {"my universal credit payment is late again this month sorry", "hello"}
    assert _near_copies({"hello", "my universal credit payment is late again this month, any news?"},
                        training) == ["hello", "my universal credit payment is late again this month, any news?"]
    assert _near_copies({"my universal credit is late", "hi"}, training) == []


def test_no_training_example_copies_a_real_report():
    """The real reports in ../shared/nlu-dev are for measuring only: nothing in data/nlu may copy one
    (the same text, or the same first 8 words)."""
    import pytest
    import yaml

    from bot.nlu_evaluation import REAL_REPORTS

    if not REAL_REPORTS.exists():
        pytest.skip(f"no real reports at {REAL_REPORTS}")
    real = {_normalised(str(e["text"])) for e in yaml.safe_load(REAL_REPORTS.read_text())["examples"]}
    training = set()
    for path in (PROJECT_ROOT / "data" / "nlu").rglob("*.yml"):  # Welsh (cy/) too
        training |= {text for text, _ in _examples(path)}
    copied = _near_copies(training, real)
    assert not copied, f"training examples that copy real reports: {copied[:5]}"


def test_welsh_training_data_teaches_every_intent_and_entity():
    """data/nlu/cy/ (issue 15): every intent and FAQ answer the English data teaches has Welsh
    examples, and Welsh examples mark places, dates and bin types as the English ones do."""
    english, welsh = set(), set()
    welsh_entities = set()
    for path in (PROJECT_ROOT / "data" / "nlu").glob("*.yml"):
        english |= {m.get_full_intent() for m in load_data(str(path)).intent_examples}
    for path in (PROJECT_ROOT / "data" / "nlu" / "cy").glob("*.yml"):
        examples = load_data(str(path)).intent_examples
        welsh |= {m.get_full_intent() for m in examples}
        welsh_entities |= {e["entity"] for m in examples for e in m.get("entities") or []}
    assert english and english - welsh == set(), sorted(english - welsh)
    assert {"location", "date", "bin_type", "postcode", "case_reference", "vehicle_registration"} <= welsh_entities
