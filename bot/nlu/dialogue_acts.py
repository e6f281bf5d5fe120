"""Dialogue acts must not win on a message that describes a problem.

"yes", "no thanks", "14 Mill Lane" and "thank you" are dialogue acts: short
turns that answer the bot. A resident's report can look like one to the
classifier: "Hi there, I think our bin was missed by accident today. Please
can it be collected" read as ``thank``; "It has been there since Saturday 24
September, right by the bus stop" read as a bare form answer (``inform``). A
message of several words is far more often a report than a bare answer, so
for those the classifier lowers the odds of the dialogue acts against the
problems by a fixed factor. Only an act's win over a problem changes: a clear
act ("thank you so much for all your help today") still wins, and "no, I
don't want to be contacted, thanks" stays ``deny`` rather than turning into
whatever intent came second (here, asking for a person). Measured on the real
reports (docs/nlu-evaluation.md, "Dialogue acts in long messages").
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from bot.nlu.several_problems import is_problem_intent

# The intents that answer the bot rather than tell it something new (issue 11).
DIALOGUE_ACTS = frozenset({"affirm", "deny", "cancel", "thank", "greet", "goodbye", "inform"})


def act_columns(classes: Sequence[str]) -> np.ndarray:
    """The columns of the dialogue acts among a classifier's classes."""
    return np.array([index for index, name in enumerate(classes) if name in DIALOGUE_ACTS], dtype=int)


def problem_columns(classes: Sequence[str]) -> np.ndarray:
    """The columns of the problems to report among a classifier's classes."""
    return np.array([index for index, name in enumerate(classes) if is_problem_intent(name)], dtype=int)


def demote(
    rows: np.ndarray, acts: np.ndarray, problems: np.ndarray, texts: Sequence[str], penalty: float, min_words: int
) -> np.ndarray:
    """``rows`` (probabilities, one row per text) where a dialogue act loses to a problem.

    For texts of ``min_words`` words or more read as a dialogue act, each act's
    odds against each problem are lowered by e^``penalty``. The row changes
    only if a problem then comes first: every other reading ("no, I don't want
    to be contacted" as ``deny``, not as a wish to talk to a person) stays as
    it was.
    """
    if penalty <= 0 or not acts.size or not problems.size:
        return rows
    factor = np.exp(-penalty)
    out = rows
    for index, text in enumerate(texts):
        row = rows[index]
        if len(text.split()) < min_words or int(row.argmax()) not in acts:
            continue
        # The acts' odds against the problems fall by e^penalty; together the two keep the
        # probability they had, so the other intents' readings do not move.
        act_mass, problem_mass = row[acts].sum(), row[problems].sum()
        scale = (act_mass + problem_mass) / (act_mass * factor + problem_mass)
        changed = row.copy()
        changed[acts] *= factor * scale
        changed[problems] *= scale
        if int(changed.argmax()) in problems:
            if out is rows:
                out = rows.copy()
            out[index] = changed
    return out
