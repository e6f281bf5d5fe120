import shutil

from bot.model import fingerprint
from bot.settings import PROJECT_ROOT


def _copy_training_inputs(tmp_path):
    for name in ("config.yml", "domain.yml"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    shutil.copytree(PROJECT_ROOT / "data", tmp_path / "data")
    shutil.copytree(PROJECT_ROOT / "bot" / "nlu", tmp_path / "bot" / "nlu")
    return tmp_path


def test_fingerprint_is_stable_and_changes_with_any_training_input(tmp_path):
    root = _copy_training_inputs(tmp_path)
    first = fingerprint(root)
    assert fingerprint(root) == first
    (root / "data" / "rules" / "conversation.yml").write_text(
        (root / "data" / "rules" / "conversation.yml").read_text() + "\n# a comment\n")
    second = fingerprint(root)
    assert second != first
    (root / "config.yml").write_text((root / "config.yml").read_text().replace("threshold: 0.3", "threshold: 0.31"))
    third = fingerprint(root)
    assert third not in (first, second)
    # Our own NLU components are trained too: changing one retrains.
    component = root / "bot" / "nlu" / "intent_classifier.py"
    component.write_text(component.read_text() + "\n# a comment\n")
    fourth = fingerprint(root)
    assert fourth not in (first, second, third)
    # And their data: the Welsh gloss's lexicon (bot/nlu/welsh_gloss.tsv).
    lexicon = root / "bot" / "nlu" / "welsh_gloss.tsv"
    lexicon.write_text(lexicon.read_text() + "cwningen\trabbit\n")
    assert fingerprint(root) not in (first, second, third, fourth)


def test_files_outside_the_training_inputs_do_not_retrain(tmp_path):
    root = _copy_training_inputs(tmp_path)
    before = fingerprint(root)
    (root / "README.md").write_text("changed")
    (root / "data" / "notes.md").write_text("not training data")
    assert fingerprint(root) == before
