"""`rasa data validate` passes, and its only warnings are Rasa 3.6's false alarms."""

import re
import subprocess
import sys

from bot.settings import PROJECT_ROOT


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
        # no_text is set by a rule-based component (bot/nlu/no_text.py), never learned.
        if "The intent 'no_text' is listed in the domain file, but is not found in the NLU" in line:
            continue
        unused = re.search(r"The utterance '(utter_[^']+)' is not used in any story or rule", line)
        # Rasa 3.6 does not see responses that forms ask (utter_ask_*) or that
        # actions send; every other warning is a real problem.
        if unused and (unused.group(1).startswith("utter_ask_") or f'"{unused.group(1)}"' in code):
            continue
        unexplained.append(line)
    assert not unexplained, "\n".join(unexplained)
