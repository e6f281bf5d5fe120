"""Rasa 3.6's CRFEntityExtractor, the same features and tags for less CPU.

Profiled on real residents' reports (``cProfile`` over ``Agent.parse_message``),
the CRF entity extractor took about 17 ms of a 50-word message's parse, most of
it in Python around the CRF rather than in it:

* ``_crf_tokens_to_features`` formats every feature's name afresh for every
  token (``f"{prefix}:{feature}"``, where ``feature`` is an ``Enum``: tens of
  thousands of ``Enum.__format__`` calls for one long message). Here the names
  are worked out once per feature configuration and the dictionaries are built
  in the same order with the same keys and values.
* ``_most_likely_tag`` strips the BILOU prefix from both tags of every pair of
  (token, tag): here each tag is stripped once, and the confidences are summed
  in the same order, so they are the same numbers.

``tests/bot/test_rasa_crf.py`` checks both against Rasa's own methods.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Sequence, Text, Tuple

from rasa.nlu.extractors.crf_entity_extractor import (
    CRFEntityExtractor,
    CRFEntityExtractorOptions,
    CRFToken,
)
from rasa.nlu.utils import bilou_utils
from rasa.utils.tensorflow.constants import BILOU_FLAG

_original_crf_tokens_to_features = CRFEntityExtractor._crf_tokens_to_features
_original_most_likely_tag = CRFEntityExtractor._most_likely_tag

# One window position: its offset from the token, and its features as
# (is the regex-pattern feature, feature name, function giving the value).
_Position = Tuple[int, List[Tuple[bool, str, Optional[Callable[[CRFToken], Any]]]]]


def _plan(configured_features: Sequence[Sequence[Any]], include_tag_features: bool) -> List[_Position]:
    """The names and value functions of each window position's features, as Rasa names them."""
    half_window_size = len(configured_features) // 2
    window_range = range(-half_window_size, half_window_size + 1)
    prefixes = [str(i) for i in window_range]
    plan: List[_Position] = []
    for pointer_position in window_range:
        index = pointer_position + half_window_size
        features = list(configured_features[index])
        if include_tag_features:
            features.append(CRFEntityExtractorOptions.ENTITY)
        entries = []
        for feature in features:
            if feature == CRFEntityExtractorOptions.PATTERN:
                entries.append((True, f"{prefixes[index]}:{feature}", None))
            else:
                entries.append((False, f"{prefixes[index]}:{feature}", CRFEntityExtractor.function_dict[feature]))
        plan.append((pointer_position, entries))
    return plan


_plans: Dict[Tuple[Any, bool], List[_Position]] = {}


def crf_tokens_to_features(
    cls: type, crf_tokens: List[CRFToken], config: Dict[str, Any], include_tag_features: bool = False
) -> List[Dict[Text, Any]]:
    """``CRFEntityExtractor._crf_tokens_to_features`` with the feature names worked out once."""
    configured_features = config[CRFEntityExtractor.CONFIG_FEATURES]
    try:
        key = (tuple(tuple(row) for row in configured_features), include_tag_features)
        plan = _plans.get(key)
    except TypeError:  # an unhashable feature: Rasa's own code decides what it means
        return _original_crf_tokens_to_features.__func__(cls, crf_tokens, config, include_tag_features)
    if plan is None:
        plan = _plans[key] = _plan(configured_features, include_tag_features)

    count = len(crf_tokens)
    sentence_features = []
    for token_idx in range(count):
        token_features: Dict[Text, Any] = {}
        for pointer_position, entries in plan:
            current = token_idx + pointer_position
            if current >= count:
                token_features["EOS"] = True
            elif current < 0:
                token_features["BOS"] = True
            else:
                token = crf_tokens[current]
                for is_pattern, name, value_of in entries:
                    if is_pattern:
                        for pattern_name, matched in token.pattern.items():
                            token_features[f"{name}:{pattern_name}"] = matched
                    else:
                        token_features[name] = value_of(token)  # type: ignore[misc]
        sentence_features.append(token_features)
    return sentence_features


@lru_cache(maxsize=4096)
def _without_prefix(tag: Text) -> Text:
    return bilou_utils.tag_without_prefix(tag)


def most_likely_tag(
    self: CRFEntityExtractor, predictions: List[Dict[Text, float]]
) -> Tuple[List[Text], List[float]]:
    """``CRFEntityExtractor._most_likely_tag`` with each tag's prefix stripped once."""
    tags: List[Text] = []
    confidences: List[float] = []
    bilou = self.component_config[BILOU_FLAG]
    for token_predictions in predictions:
        tag = max(token_predictions, key=token_predictions.__getitem__)
        tags.append(tag)
        if bilou:
            entity = _without_prefix(tag)
            confidences.append(
                sum(confidence for other, confidence in token_predictions.items() if _without_prefix(other) == entity)
            )
        else:
            confidences.append(token_predictions[tag])
    return tags, confidences


def apply() -> None:
    """Install both (idempotent)."""
    CRFEntityExtractor._crf_tokens_to_features = classmethod(crf_tokens_to_features)  # type: ignore[assignment]
    CRFEntityExtractor._most_likely_tag = most_likely_tag  # type: ignore[method-assign]
