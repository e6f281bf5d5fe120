"""Dialogue acts must not win on a message that describes a problem.

"yes", "no thanks", "14 Mill Lane" and "thank you" are dialogue acts: short
turns that answer the bot. A resident's report can look like one to the
classifier: "Hi there, I think our bin was missed by accident today. Please
can it be collected" read as ``thank``; "It has been there since Saturday 24
September, right by the bus stop" read as a bare form answer (``inform``). A
message of several words is far more often a report than a bare answer, so
for those the classifier lowers the odds of every dialogue act by a fixed
factor before choosing. A clear act ("thank you so much for all your help
today") still wins: its competitors stay far behind it. Measured on the real
reports (docs/nlu-evaluation.md, "Dialogue acts in long messages").
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

# The intents that answer the bot rather than tell it something new (issue 11).
DIALOGUE_ACTS = frozenset({"affirm", "deny", "cancel", "thank", "greet", "goodbye", "inform"})


def act_columns(classes: Sequence[str]) -> np.ndarray:
    """The columns of the dialogue acts among a classifier's classes."""
    return np.array([index for index, name in enumerate(classes) if name in DIALOGUE_ACTS], dtype=int)


def demote(rows: np.ndarray, columns: np.ndarray, texts: Sequence[str], penalty: float, min_words: int) -> np.ndarray:
    """``rows`` (probabilities, one row per text) with each dialogue act's odds lowered by
    e^``penalty`` for texts of ``min_words`` words or more, renormalised; other rows unchanged."""
    long = np.array([len(text.split()) >= min_words for text in texts], dtype=bool)
    if penalty <= 0 or not columns.size or not long.any():
        return rows
    rows = rows.copy()
    rows[np.ix_(long, columns)] *= np.exp(-penalty)
    rows[long] /= rows[long].sum(axis=1, keepdims=True)
    return rows
