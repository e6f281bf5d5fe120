"""The intent classifier: a pretrained sentence encoder plus word and character n-grams.

Why not DIET: trained only on our own examples, DIET (and Rasa's default
pipeline) generalised poorly to real residents' reports (0.57 and 0.63 on
../shared/nlu-dev/real_reports.yml). A frozen pretrained encoder
(bot/nlu/encoder.py) knows that "a sofa dumped on the verge" and "fly-tipping"
are the same thing without our having written both; the n-grams keep
council words, typos and SMS spellings. A multinomial logistic regression over
both trains in seconds and gives calibrated confidences, which the dialogue
uses to ask instead of guessing (docs/nlu-evaluation.md has the figures).

The classifier also reads each part of a long message on its own and adds a
``further_problem`` entity for every part that reports another problem
(bot/nlu/several_problems.py).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from bot.nlu import encoder as encoder_module
from bot.nlu import dialogue_acts, faq_answers, training_sources, welsh_gloss
from bot.nlu.linear import softmax, split_weights
from bot.nlu.tfidf import FastTfidf
from bot.nlu.courtesy import without_courtesy
from bot.nlu.several_problems import (FURTHER_PROBLEM_ENTITY, is_problem_intent, parts, split_at_and,
                                      tells_of_a_problem_put_right)

logger = logging.getLogger(__name__)

ENCODER_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"
CLASSIFIER_FILE = "classifier.joblib"
RANKING_LENGTH = 10
# Messages read as one of these may also report a problem in another part: the problem is
# kept as a further_problem, offered once the question is answered (actions/choices.py).
QUESTIONS_BESIDE_PROBLEMS = frozenset({"faq", "out_of_scope"})
# Probability rows kept for texts seen lately (about 0.5 KB each).
REMEMBERED_TEXTS = 4096


def encoder_cache(cache_dir: Path) -> Path:
    """The exported encoder, built once per encoder package version (export takes ~45-70 s).

    Under a lock: ``bot/model.py`` starts the export in a process of its own when training
    begins, so it runs on the second core while Rasa loads the data and trains the entity
    extractor; the classifier then waits for it here instead of exporting a second time."""
    import fcntl

    path = encoder_module.exported_path(cache_dir)
    if path.exists():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            scratch = path.with_suffix(".partial")
            encoder_module.export_onnx(scratch)
            scratch.replace(path)
    return path


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class EncoderIntentClassifier(GraphComponent, IntentClassifier):
    """Sentence-encoder and n-gram features, classified by logistic regression."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Inverse regularisation strength of the logistic regression.
            "C": 10.0,
            # L-BFGS iterations. The fit converges fully after about 150, but the
            # real reports, held-out and out-of-scope figures are the same from 90 on
            # (docs/nlu-evaluation.md), and each iteration costs close to a second of
            # training on 2 cores; a stop here is expected, so it is not warned about.
            "max_iter": 100,
            # How much the encoder's vector counts against the n-grams.
            "encoder_weight": 1.0,
            # A further problem must be this likely in its own part of the message.
            "further_problem_confidence": 0.6,
            # A message of this many words or more (after courtesy) is seldom a
            # dialogue act: each act's odds against the problems are lowered by
            # e^act_penalty (bot/nlu/dialogue_acts.py; penalty 1.5-4 and 4-8 words
            # swept on the real reports, docs/nlu-evaluation.md). 0 turns it off.
            "act_penalty": 2.0,
            "act_min_words": 6,
            # Where the exported encoder is cached between trainings.
            "encoder_cache_dir": encoder_module.CACHE_DIR,
            # Questions of this intent also get their answer chosen (faq/bin_day, ...).
            "retrieval_intent": "faq",
            "random_seed": 42,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """Part of the key under which Rasa's training cache keeps a trained classifier.

        Rasa reuses a cached one when the config and the training data are unchanged,
        but this package's code and the Welsh lexicon change what training makes too:
        a classifier trained by older code could otherwise come back from the cache
        with features the new code does not compute (a dimension mismatch at run time).
        """
        digest = hashlib.sha256()
        for path in training_sources(Path(__file__).parent):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    @staticmethod
    def required_packages() -> List[Text]:
        return ["onnxruntime", "tokenizers", "sklearn"]

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        encoder: Optional[encoder_module.SentenceEncoder] = None,
        words: Optional[TfidfVectorizer] = None,
        chars: Optional[TfidfVectorizer] = None,
        model: Optional[LogisticRegression] = None,
        answers: Optional[faq_answers.AnswerModel] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.encoder = encoder
        self.words = words
        self.chars = chars
        self.model = model
        self.answers = answers
        self._split_weights: Optional[Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = None
        # Text (after courtesy, lower-cased, spaces collapsed: the encoder and
        # the n-grams read it the same way) -> its probability row.
        self._remembered: "OrderedDict[str, Tuple[np.ndarray, Optional[np.ndarray]]]" = OrderedDict()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EncoderIntentClassifier":
        return cls(config, model_storage, resource)

    # -- training ---------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        texts = [without_courtesy(m.get(TEXT)) for m in examples]
        labels = [m.get(INTENT) for m in examples]
        if len(set(labels)) < 2:
            logger.warning("Fewer than two intents to train on: the intent classifier is not trained.")
            return self._resource

        with self._model_storage.write_to(self._resource) as directory:
            onnx_path = directory / ENCODER_FILE
            shutil.copyfile(encoder_cache(Path(self.config["encoder_cache_dir"])), onnx_path)
            shutil.copyfile(encoder_module.package_model_dir() / "tokenizer.json", directory / TOKENIZER_FILE)
            self.encoder = encoder_module.SentenceEncoder(onnx_path, directory / TOKENIZER_FILE)
            self.words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)
            self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
            self.words.fit(texts)
            self.chars.fit(texts)
            features = self._features(texts, welsh_gloss.encode(self.encoder, texts))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.model = LogisticRegression(
                    C=self.config["C"], max_iter=self.config["max_iter"], random_state=self.config["random_seed"]
                ).fit(features, labels)
            self.answers = faq_answers.train(
                examples, features, self.config["retrieval_intent"], training_data.responses,
                word_count=len(self.words.vocabulary_), C=self.config["C"], random_seed=self.config["random_seed"],
            )
            self._split_weights = None
            self._fast = None
            self._columns = None
            joblib.dump((self.words, self.chars, self.model, self.answers), directory / CLASSIFIER_FILE)
        return self._resource

    # -- prediction -------------------------------------------------------

    def _features(self, texts: Sequence[str], vectors: np.ndarray) -> sparse.csr_matrix:
        return sparse.hstack(
            [
                sparse.csr_matrix(vectors * self.config["encoder_weight"]),
                self.words.transform(texts),
                self.chars.transform(texts),
            ]
        ).tocsr()

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Each intent's probability (columns in ``self.model.classes_``) for each text.

        The same softmax as ``LogisticRegression.predict_proba``, computed
        block by block with the weights laid out once for it: scikit-learn
        multiplies by a transposed (non-contiguous) copy of its 100,000-column
        weight matrix on every call, which cost 7 ms a message.
        """
        return np.stack([rows[0] for rows in self._read(texts)])

    @staticmethod
    def _key(text: str) -> str:
        return " ".join(without_courtesy(text).lower().split())

    def _read(self, texts: Sequence[str]) -> List[Tuple[np.ndarray, Optional[np.ndarray]]]:
        """Each text's (intent row, FAQ answer row), computed once and remembered."""
        keys = [self._key(t) for t in texts]
        found = {key: self._remembered[key] for key in keys if key in self._remembered}
        missing = [key for key in dict.fromkeys(keys) if key not in found]
        if missing:
            rows, answer_rows = self._compute(missing)
            for index, key in enumerate(missing):
                found[key] = (rows[index], None if answer_rows is None else answer_rows[index])
        for key in dict.fromkeys(keys):
            self._remember(key, found[key])
        return [found[key] for key in keys]

    def _compute(self, cores: Sequence[str]) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        vectors = welsh_gloss.encode(self.encoder, cores) * self.config["encoder_weight"]
        words_fast, chars_fast = self._fast_tfidf()
        words, chars = words_fast.transform(cores), chars_fast.transform(cores)
        rows = softmax(vectors, words, chars, self._weights())
        rows = dialogue_acts.demote(rows, *self._act_and_problem_columns(), cores,
                                    self.config["act_penalty"], self.config["act_min_words"])
        answer_rows = None if self.answers is None else softmax(vectors, words, chars, self.answers.split_weights())
        return rows, answer_rows

    def _remember(self, key: str, rows: Tuple[np.ndarray, Optional[np.ndarray]]) -> None:
        """Keep the latest rows: residents send the same short answers ("yes", "no",
        "thanks", "skip") over and over, and a row depends on the text alone."""
        self._remembered[key] = rows
        self._remembered.move_to_end(key)
        while len(self._remembered) > REMEMBERED_TEXTS:
            self._remembered.popitem(last=False)

    def _fast_tfidf(self) -> Tuple[FastTfidf, FastTfidf]:
        """The fitted vectorizers' transforms without scikit-learn's per-call overhead (bot/nlu/tfidf.py)."""
        if getattr(self, "_fast", None) is None:
            self._fast = (FastTfidf(self.words), FastTfidf(self.chars))
        return self._fast

    def _act_and_problem_columns(self) -> Tuple[np.ndarray, np.ndarray]:
        """Where the dialogue acts and the problems are among the classes (bot/nlu/dialogue_acts.py), found once."""
        if getattr(self, "_columns", None) is None:
            classes = self.model.classes_
            self._columns = (dialogue_acts.act_columns(classes), dialogue_acts.problem_columns(classes))
        return self._columns

    def _weights(self) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The model's weights split by feature block, each (features x intents) and contiguous."""
        if getattr(self, "_split_weights", None) is None:
            self._split_weights = split_weights(self.model, len(self.words.vocabulary_))
        return self._split_weights

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None:
            return messages
        for message in messages:
            # Empty texts are classified too: later components (the fallback)
            # expect an intent, and bot/nlu/no_text.py then names them.
            text = message.get(TEXT) or ""
            ranking = self._ranking(self.probabilities([text])[0])
            further: List[Dict[str, Any]] = []
            # Parts about a problem already put right are history: the message is read without them.
            every_part = parts(text)
            spans = [(b, e) for b, e in every_part if not tells_of_a_problem_put_right(text[b:e])]
            if spans and len(spans) < len(every_part):
                ranking = self._ranking(self.probabilities([" ".join(text[b:e] for b, e in spans)])[0])
            reported = is_problem_intent(ranking[0]["name"])
            may_tell_problems = reported or ranking[0]["name"] in QUESTIONS_BESIDE_PROBLEMS
            if may_tell_problems:
                spans = self._cut_at_and(text, spans)
            if len(spans) > 1 and may_tell_problems:
                told = self._problems_by_part(spans, self.probabilities([text[b:e] for b, e in spans]))
                # "how do I pay my council tax? also my bin wasn't collected": the question is
                # answered and the bin offered next, not dropped.
                ranking, further = self._in_order_told(ranking, told) if reported else (ranking, self._as_further(told))
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            if self.answers is not None and ranking[0]["name"] == self.config["retrieval_intent"]:
                answer_row = self._read([text])[0][1]
                if answer_row is not None:
                    self.answers.set_answer(message, answer_row, self.config["retrieval_intent"])
            if further:
                message.set(ENTITIES, [*message.get(ENTITIES, []), *further], add_to_output=True)
        return messages

    def _ranking(self, row: np.ndarray) -> List[Dict[str, Any]]:
        order = np.argsort(row)[::-1][:RANKING_LENGTH]
        return [{"name": str(self.model.classes_[i]), "confidence": float(row[i])} for i in order]

    def _cut_at_and(self, text: str, spans: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
        """The parts, each cut at an "and" without a comma where both sides on their own
        confidently report different problems ("bins werent emptied and the streetlight
        by the post box is out"); where they don't, the part stays whole."""
        cut: List[Tuple[int, int]] = []
        for span in spans:
            for halves in split_at_and(text, span):
                rows = self.probabilities([text[b:e] for b, e in halves])
                best = [str(self.model.classes_[int(np.argmax(row))]) for row in rows]
                if (best[0] != best[1] and all(map(is_problem_intent, best))
                        and all(row.max() >= self.config["further_problem_confidence"] for row in rows)):
                    cut.extend(halves)
                    break
            else:
                cut.append(span)
        return cut

    def _problems_by_part(self, spans: List[Tuple[int, int]], rows: np.ndarray) -> List[Tuple[str, float, int, int]]:
        """(intent, confidence, start, end) of the first part that confidently reports each problem."""
        classes = list(self.model.classes_)
        found: Dict[str, Tuple[str, float, int, int]] = {}
        for (begin, end), row in zip(spans, rows):
            best = int(np.argmax(row))
            name = str(classes[best])
            if is_problem_intent(name) and row[best] >= self.config["further_problem_confidence"]:
                found.setdefault(name, (name, float(row[best]), begin, end))
        return list(found.values())

    @staticmethod
    def _in_order_told(
        ranking: List[Dict[str, Any]], told: List[Tuple[str, float, int, int]]
    ) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
        """The problems in the order the resident told them: the first is the
        message's intent, each later one a ``further_problem`` entity."""
        intent = ranking[0]["name"]
        if len({name for name, *_ in told} | {intent}) < 2:
            return ranking, []
        if intent not in {name for name, *_ in told}:
            # The whole message reads as a problem no single part names: it
            # stays first, and the parts' problems follow.
            told = [(intent, ranking[0]["confidence"], -1, -1), *told]
        first, later = told[0], told[1:]
        rival = next((r["name"] for r in ranking if r["name"] != first[0]), None)
        if first[0] != intent or rival in {name for name, *_ in later}:
            # As sure of the first problem as its own part is (or as the message's best reading):
            # the fallback must not turn two clear problems into a question between them. (Where
            # the best reading's rival is not a problem told later, the doubt is left as it was.)
            top = {"name": first[0], "confidence": max(first[1], ranking[0]["confidence"])}
            ranking = [top, *(r for r in ranking if r["name"] != first[0])]
        return ranking, EncoderIntentClassifier._as_further(later)

    @staticmethod
    def _as_further(told: List[Tuple[str, float, int, int]]) -> List[Dict[str, Any]]:
        """``further_problem`` entities for problems told in parts of the message."""
        return [
            {
                "entity": FURTHER_PROBLEM_ENTITY,
                "value": name,
                "start": begin,
                "end": end,
                "confidence_entity": confidence,
                "extractor": "SeveralProblems",
            }
            for name, confidence, begin, end in told
        ]

    # -- persistence ------------------------------------------------------

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "EncoderIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                encoder = encoder_module.SentenceEncoder(directory / ENCODER_FILE, directory / TOKENIZER_FILE)
                words, chars, model, answers = joblib.load(directory / CLASSIFIER_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("No trained intent classifier in the model: every message will go unclassified.")
            return cls(config, model_storage, resource)
        welsh_gloss.prepare()
        return cls(config, model_storage, resource, encoder, words, chars, model, answers)

