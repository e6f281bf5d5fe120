"""Rasa's CRF entity extractor, stored as trained rather than trained again at every start.

Rasa 3.6's ``CRFEntityExtractor`` keeps only its training sentences in the
model and trains its CRFs afresh each time a model is loaded: 28 of the 34
seconds ``Agent.load`` took here, at every start of every Rasa server (and of
every test that loads the model). This subclass keeps the trained CRFs
themselves, each in python-crfsuite's own model format (no pickle), and opens
them from memory at load. Training, features and predictions are Rasa's own;
only what is stored and how it is loaded differ.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any, Dict, List, Text

import pycrfsuite
import sklearn_crfsuite
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor, CRFToken
from rasa.shared.utils.io import dump_obj_as_json_to_file, read_json_file

logger = logging.getLogger(__name__)

ORDER_FILE = "crf_order.json"


def _tagger_file(tag_name: str) -> str:
    return f"crf_{tag_name}.crfsuite"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class StoredCRFEntityExtractor(CRFEntityExtractor):
    """``CRFEntityExtractor`` whose model holds its trained CRFs, loaded without training."""

    @property
    def name(self) -> Text:
        # Entities keep the extractor name they always had: the same CRFs find them.
        return CRFEntityExtractor.__name__

    def persist(self, dataset: List[List[CRFToken]]) -> None:
        """Each trained CRF's crfsuite model file and the order they run in (not the dataset)."""
        with self._model_storage.write_to(self._resource) as model_dir:
            dump_obj_as_json_to_file(model_dir / ORDER_FILE, self.crf_order)
            for tag_name in self.crf_order:
                trained = Path(self.entity_taggers[tag_name].modelfile.name)
                (model_dir / _tagger_file(tag_name)).write_bytes(trained.read_bytes())

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> StoredCRFEntityExtractor:
        """The stored CRFs, opened from memory; untrained (finds nothing) if the model has none."""
        try:
            with model_storage.read_from(resource) as model_dir:
                crf_order = read_json_file(model_dir / ORDER_FILE)
                taggers: "OrderedDict[str, sklearn_crfsuite.CRF]" = OrderedDict()
                for tag_name in crf_order:
                    taggers[tag_name] = _opened(Path(model_dir) / _tagger_file(tag_name))
        except ValueError:  # Rasa's way of saying the resource is not in the model (nothing trained)
            logger.warning("No trained CRFs in the model for %s: it will find no entities.", cls.__name__)
            return cls(config, model_storage, resource)
        extractor = cls(config, model_storage, resource, taggers)
        extractor.crf_order = crf_order
        return extractor


def _opened(path: Path) -> sklearn_crfsuite.CRF:
    """A CRF ready to predict with the crfsuite model in ``path`` (read into memory: the
    model's files are gone once Rasa has loaded it)."""
    model = path.read_bytes()
    tagger = pycrfsuite.Tagger()
    tagger.open_inmemory(model)
    crf = sklearn_crfsuite.CRF()
    crf._tagger = tagger  # what CRF.tagger_ returns once a model is open
    crf._model_bytes = model  # crfsuite may read the buffer in place: keep it alive with the tagger
    return crf
