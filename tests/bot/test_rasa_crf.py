"""bot/rasa_crf.py gives the CRF entity extractor exactly the features and tags Rasa's own code does."""

import random
from typing import List

import pytest
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor, CRFEntityExtractorOptions, CRFToken

from bot import rasa_crf

WORDS = ("Hi", "there", "the", "BIN", "at", "14", "Mill", "Lane", "AN1", "4GT", "wasn't", "collected", "again,",
         "thanks!", "ref", "AB12", "CDE", "x", "", "Ŵ", "lamp-post", "No.", "12")


def tokens(seed: int, length: int) -> List[CRFToken]:
    rng = random.Random(seed)
    patterns = ["postcode", "plate", "reference"]
    return [CRFToken(text=rng.choice(WORDS), pos_tag=None,
                     pattern={name: rng.random() < 0.3 for name in patterns[: rng.randint(0, 3)]},
                     dense_features=[], entity_tag=rng.choice(["O", "B-location", "L-location", "U-postcode"]),
                     entity_role_tag="O", entity_group_tag="O")
            for _ in range(length)]


CONFIGS = [
    CRFEntityExtractor.get_default_config(),  # features as Rasa's enum members
    {CRFEntityExtractor.CONFIG_FEATURES: [["low", "title"], ["bias", "low", "suffix3", "digit", "pattern"],
                                          ["upper", "prefix2"]]},  # as strings, from a config.yml
    {CRFEntityExtractor.CONFIG_FEATURES: [["low"], ["low", "pattern"], ["title"], ["bias"], ["digit"]]},  # wider
]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("include_tag_features", [False, True])
@pytest.mark.parametrize("length", [0, 1, 2, 7, 60])
def test_features_are_rasas_own(config, include_tag_features, length):
    crf_tokens = tokens(length * 7 + include_tag_features, length)
    ours = rasa_crf.crf_tokens_to_features(CRFEntityExtractor, crf_tokens, config, include_tag_features)
    rasas = rasa_crf._original_crf_tokens_to_features(crf_tokens, config, include_tag_features)
    assert ours == rasas
    assert [list(features) for features in ours] == [list(features) for features in rasas]  # same key order


def test_the_patch_is_what_the_extractor_calls():
    rasa_crf.apply()
    crf_tokens = tokens(1, 5)
    config = CONFIGS[0]
    assert CRFEntityExtractor._crf_tokens_to_features(crf_tokens, config) == \
        rasa_crf._original_crf_tokens_to_features(crf_tokens, config)
    assert CRFEntityExtractor._crf_tokens_to_features.__func__ is rasa_crf.crf_tokens_to_features
    assert CRFEntityExtractor._most_likely_tag is rasa_crf.most_likely_tag


@pytest.mark.parametrize("bilou", [True, False])
def test_most_likely_tags_and_confidences_are_rasas_own(bilou):
    rng = random.Random(3)
    extractor = object.__new__(CRFEntityExtractor)
    extractor.component_config = {**CRFEntityExtractor.get_default_config(), "BILOU_flag": bilou}
    labels = ["O"] + [f"{p}-{e}" for e in ("location", "postcode", "bin_type") for p in "BILU"]
    predictions = []
    for _ in range(50):
        weights = [rng.random() for _ in labels]
        total = sum(weights)
        predictions.append({label: w / total for label, w in zip(labels, weights)})
    predictions.append({label: 1 / len(labels) for label in labels})  # a tie: the first wins in both
    assert rasa_crf.most_likely_tag(extractor, predictions) == \
        rasa_crf._original_most_likely_tag(extractor, predictions)


def test_enum_members_are_named_as_their_values():
    # The names are worked out with the same f-string as Rasa's: a str-valued Enum formats as its value.
    plan = rasa_crf._plan([[CRFEntityExtractorOptions.LOW], [CRFEntityExtractorOptions.PATTERN], []], False)
    assert [name for _, entries in plan for _, name, _ in entries] == ["-1:low", "0:pattern"]
