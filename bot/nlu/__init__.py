"""Our own NLU pipeline components (registered in config.yml)."""

from pathlib import Path
from typing import List


def training_sources(directory: Path = Path(__file__).parent) -> List[Path]:
    """This package's code and data (the Welsh gloss's lexicon): a change to any of them
    changes what training makes, so each is part of the model's fingerprint (bot/model.py)
    and of the classifier's key in Rasa's training cache (intent_classifier.py)."""
    return [*sorted(directory.glob("*.py")), *sorted(directory.glob("*.tsv"))]
