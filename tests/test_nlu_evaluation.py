"""NLU quality on the held-out sets (tests/nlu/holdout.yml, and holdout_cy.yml in Welsh), which training never sees."""

from collections import Counter
from pathlib import Path

from rasa.shared.nlu.training_data.loading import load_data

from bot.model import ensure_model
from bot.nlu_evaluation import DEV_CY, HOLDOUT, HOLDOUT_CY, Parser, evaluate, readings, score
from bot.settings import PROJECT_ROOT

MIN_MACRO_F1 = 0.92
# Welsh, from the same model as English (issue 15; docs/nlu-evaluation.md, "Welsh"). Measured 0.910
# (fallbacks counted as misses: the 0.90) and 0.948 (the model's first reading) once the encoder
# reads an English gloss of Welsh (bot/nlu/welsh_gloss.py) and Welsh has its own unsure threshold; before
# them 0.806 and 0.917. The floors leave a few messages' room for a retrain's wobble.
MIN_WELSH_ACCURACY = 0.89
MIN_WELSH_FIRST_READING = 0.93


def _texts(path: Path) -> set:
    return {" ".join(m.get("text").lower().split()) for m in load_data(str(path)).intent_examples}


def _training_texts() -> set:
    """Every training text, English and Welsh (data/nlu/cy/)."""
    training = set()
    for path in (PROJECT_ROOT / "data" / "nlu").rglob("*.yml"):
        training |= _texts(path)
    return training


def test_holdout_is_separate_and_large_enough():
    training = _training_texts()
    holdout = _texts(HOLDOUT)
    assert not holdout & training, f"held-out examples copied into training data: {sorted(holdout & training)[:5]}"
    # Large enough to measure each intent (the real reports in ../shared/nlu-dev
    # are the measure that counts; this set checks we still fit our own style).
    assert len(holdout) >= 500
    per_intent = Counter(m.get("intent") for m in load_data(str(HOLDOUT)).intent_examples)
    assert min(per_intent.values()) >= 12, per_intent


def test_scoring_counts_fallbacks_as_misses():
    result = score([("greet", "greet", "hi"), ("greet", "nlu_fallback", "yo"), ("thank", "greet", "ta")])
    assert result.scores["greet"].recall == 0.5 and result.scores["greet"].precision == 0.5
    assert result.scores["thank"].f1 == 0.0


def test_macro_f1_on_held_out_messages():
    result = evaluate(ensure_model())
    print("\n" + result.report())
    assert result.macro_f1 >= MIN_MACRO_F1, result.report()


def test_welsh_holdout_is_separate_large_enough_and_covers_every_intent():
    """tests/nlu/holdout_cy.yml: at least 300 Welsh messages, none trained on, every intent
    (each FAQ answer too) that the English data teaches."""
    holdout = _texts(HOLDOUT_CY)
    copied = holdout & _training_texts()
    assert not copied, f"Welsh held-out examples copied into training data: {sorted(copied)[:5]}"
    assert len(holdout) >= 300, len(holdout)
    english_intents = set()
    for path in (PROJECT_ROOT / "data" / "nlu").glob("*.yml"):
        english_intents |= {m.get_full_intent() for m in load_data(str(path)).intent_examples}
    per_intent = Counter(m.get_full_intent() for m in load_data(str(HOLDOUT_CY)).intent_examples)
    assert english_intents - set(per_intent) == set(), sorted(english_intents - set(per_intent))
    assert min(per_intent.values()) >= 6, per_intent


def test_welsh_dev_set_is_separate_from_training_and_from_the_held_out_set():
    """tests/nlu/dev_cy.yml tunes the Welsh threshold and margin: it says nothing about new text if
    its messages (or their first 8 words) are trained on, nor keeps the held-out set unseen if the
    two share messages."""
    dev = _texts(DEV_CY)
    assert len(dev) >= 150, len(dev)
    for other, name in ((_training_texts(), "data/nlu"), (_texts(HOLDOUT_CY), HOLDOUT_CY.name)):
        openings = {" ".join(t.split()[:8]) for t in other if len(t.split()) >= 8}
        shared = sorted(t for t in dev if t in other or (len(t.split()) >= 8 and " ".join(t.split()[:8]) in openings))
        assert not shared, f"Welsh dev messages also in {name}: {shared[:5]}"
    per_intent = Counter(m.get("intent") for m in load_data(str(DEV_CY)).intent_examples)
    assert set(per_intent) == {m.get("intent") for m in load_data(str(HOLDOUT_CY)).intent_examples}


def test_welsh_accuracy_on_held_out_messages():
    model = ensure_model()
    parser = Parser(model)
    result = evaluate(model, HOLDOUT_CY, parser)
    first, _ = readings(parser, HOLDOUT_CY)
    print("\n" + result.report() + f"\nfirst reading right {first:.3f}")
    assert result.accuracy >= MIN_WELSH_ACCURACY, result.report()
    assert first >= MIN_WELSH_FIRST_READING, first
