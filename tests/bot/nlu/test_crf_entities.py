"""bot/nlu/crf_entities.py: the stored CRFs predict as the trained ones did, and loading trains nothing."""

import random
import tempfile
from pathlib import Path
from typing import List

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor, CRFToken

from bot import rasa_patches
from bot.nlu.crf_entities import StoredCRFEntityExtractor

rasa_patches.apply()  # as in every process that runs the model

PLACES = ["Mill Lane", "Station Road", "the Co-op", "High Street", "number 12"]
FILLER = ["bin", "not", "collected", "on", "pothole", "outside", "again", "please", "the", "light", "by"]


def sentence(rng: random.Random) -> List[CRFToken]:
    """A few words with one place in them, tagged in BILOU as Rasa tags them."""
    before = [rng.choice(FILLER) for _ in range(rng.randint(1, 4))]
    place = rng.choice(PLACES).split()
    after = [rng.choice(FILLER) for _ in range(rng.randint(0, 3))]
    tags = ["O"] * len(before)
    tags += ["U-location"] if len(place) == 1 else ["B-location"] + ["I-location"] * (len(place) - 2) + ["L-location"]
    tags += ["O"] * len(after)
    return [CRFToken(text=word, pos_tag=None, pattern={}, dense_features=[], entity_tag=tag,
                     entity_role_tag="O", entity_group_tag="O")
            for word, tag in zip(before + place + after, tags)]


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


def test_loaded_crfs_predict_what_the_trained_ones_did_without_training(storage, monkeypatch, tmp_path):
    rng = random.Random(7)
    dataset = [sentence(rng) for _ in range(80)]
    config = {**CRFEntityExtractor.get_default_config(), "max_iterations": 20}
    resource = Resource("crf")
    trained = StoredCRFEntityExtractor(config, storage, resource,
                                       StoredCRFEntityExtractor.train_model(dataset, config, ["entity"]))
    trained.crf_order = ["entity"]
    trained.persist(dataset)
    with storage.read_from(resource) as model_dir:
        stored = sorted(path.name for path in Path(model_dir).iterdir())
    assert stored == ["crf_entity.crfsuite", "crf_order.json"]  # no copy of the training sentences

    def no_training(*args, **kwargs):
        raise AssertionError("loading trained the CRFs again")

    monkeypatch.setattr(CRFEntityExtractor, "train_model", classmethod(no_training))
    # Rasa's extractor left a ~0.9 MB crfsuite file in the temp folder at every load (its CRFs,
    # trained again): 728 of them on one development machine. Loading ours writes none.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    context = ExecutionContext(GraphSchema({}), "test")
    loaded = StoredCRFEntityExtractor.load(config, storage, resource, context)
    assert list(scratch.iterdir()) == []
    assert loaded.crf_order == ["entity"]
    for words in [sentence(random.Random(seed)) for seed in range(20)]:
        features = StoredCRFEntityExtractor._crf_tokens_to_features(words, config)
        assert loaded.entity_taggers["entity"].predict_marginals_single(features) == \
            trained.entity_taggers["entity"].predict_marginals_single(features)
    assert loaded.name == "CRFEntityExtractor"  # entities keep their extractor's name


def test_a_model_without_stored_crfs_loads_an_extractor_that_finds_nothing(storage):
    context = ExecutionContext(GraphSchema({}), "test")
    loaded = StoredCRFEntityExtractor.load(CRFEntityExtractor.get_default_config(), storage,
                                           Resource("never-trained"), context)
    assert not loaded.entity_taggers
