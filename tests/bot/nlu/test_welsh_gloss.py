"""The Welsh gloss: what the sentence encoder reads for a Welsh message, and only for a Welsh one."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.nlu import welsh_gloss
from bot.nlu.encoder import DIMENSION
from bot.nlu.intent_classifier import EncoderIntentClassifier
from bot.nlu.welsh_gloss import LEXICON_FILE, gloss, lexicon, word_gloss


@pytest.mark.parametrize("words, english", [
    # soft, nasal and aspirate mutations find the radical's entry
    (["bin", "fin", "min"], "bin"),
    (["car", "gar", "nghar", "char"], "car"),
    (["twll", "dwll"], "hole"),
    (["golau", "olau"], "light"),
    (["casglu", "gasglu", "nghasglu"], "collect"),
    (["coeden", "goeden"], "tree"),
    (["tŷ", "dŷ", "nhŷ"], "house"),
    (["pafin", "bafin", "mhafin"], "pavement"),
    (["ffordd"], "road"),
    (["ffyrdd"], "roads"),
])
def test_mutated_forms_read_as_their_radical(words, english):
    assert [word_gloss(w) for w in words] == [english] * len(words)


def test_phrases_and_clitics():
    assert gloss("golau stryd") == "street light"
    assert gloss("tipio anghyfreithlon") == "fly-tipping"
    assert gloss("Mae'r golau stryd wedi torri!") == "is the street light broken"
    assert gloss("baw ci ar y pafin") == "dog fouling on the pavement"


def test_unknown_words_are_kept_as_written():
    """English loanwords and code-switching reach the encoder as the resident wrote them."""
    assert gloss("mae'r bins heb gael eu collectio") == "is the bins without get their collectio"


@pytest.mark.parametrize("text", [
    "the street light is out",
    "Pothole on Heol y Bont",
    "bin not collected on Mill Lane",
    "do you collect garden waste",
    "my car was towed",
])
def test_english_text_is_never_changed(text):
    assert _encoder_reads([text]) == [text]


def test_welsh_text_is_glossed():
    texts = ["Mae'r golau stryd wedi torri ers wythnos", "dydy fy min i heb gael ei gasglu"]
    assert _encoder_reads(texts) == [
        *texts,
        "is the street light broken since week",
        "is not my bin to without get collect",
    ]


def test_the_lexicon_is_well_formed():
    lines = [l for l in LEXICON_FILE.read_text(encoding="utf-8").splitlines() if l.strip() and not l.startswith("#")]
    assert all(line.count("\t") == 1 for line in lines), [l for l in lines if l.count("\t") != 1][:3]
    keys = [line.split("\t")[0] for line in lines]
    assert len(keys) == len(set(keys)), "a Welsh entry is listed twice"
    assert all(key == key.lower().strip() for key in keys)
    assert len(lexicon()) > 1000


def _encoder_reads(texts):
    """What welsh_gloss.encode gives the sentence encoder to read for ``texts``."""
    encoder = _RecordingEncoder()
    welsh_gloss.encode(encoder, texts)
    return encoder.read


class _RecordingEncoder:
    """Records what the classifier asks the encoder to read (the encoder itself is tested in test_encoder.py)."""

    def __init__(self, ones: bool = False) -> None:
        self.read = []
        self.fill = 1.0 if ones else 0.0

    def encode(self, texts):
        self.read.extend(texts)
        return np.full((len(texts), DIMENSION), self.fill, dtype=np.float32)


def test_every_text_is_encoded_as_written_and_a_welsh_one_also_glossed_in_a_block_of_its_own():
    encoder = _RecordingEncoder(ones=True)
    vectors = welsh_gloss.encode(encoder, ["the street light is out", "mae'r golau stryd wedi torri"])
    # Every text as written, then each Welsh text's gloss.
    assert encoder.read == ["the street light is out", "mae'r golau stryd wedi torri", "is the street light broken"]
    assert vectors.shape == (2, 2 * DIMENSION)
    assert vectors[0, :DIMENSION].all() and not vectors[0, DIMENSION:].any()
    assert vectors[1, :DIMENSION].all() and vectors[1, DIMENSION:].all()


def test_the_classifier_gives_the_encoder_the_gloss_and_the_ngrams_the_welsh():
    texts = ["mae'r golau stryd wedi torri", "the street light is out", "dydy fy min heb ei gasglu", "bin not collected",
             "diolch yn fawr", "thanks a lot"]
    labels = ["report_streetlight", "report_streetlight", "report_missed_bin", "report_missed_bin", "thank", "thank"]
    classifier = EncoderIntentClassifier({}, None, None)
    classifier.encoder = _RecordingEncoder()
    classifier.words = TfidfVectorizer().fit(texts)
    classifier.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3)).fit(texts)
    classifier.model = LogisticRegression(C=100).fit(classifier._features(texts, np.zeros((6, 2 * DIMENSION))), labels)

    rows = classifier.probabilities(["Mae'r golau stryd wedi torri ers wythnos", "street light out on Elm Road"])

    assert classifier.encoder.read == [
        "mae'r golau stryd wedi torri ers wythnos", "street light out on elm road", "is the street light broken since week",
    ]
    # The n-grams read the Welsh words: the Welsh street-light message is read as one.
    assert classifier.model.classes_[rows[0].argmax()] == "report_streetlight"


def test_identification_runs_only_on_welsh_words_in_the_form_the_classifier_parses(monkeypatch):
    """Training reads texts as written, parsing their lower-cased cache keys: both decide alike. A message
    without a Welsh word of the lexicon (nearly every English one) is not identified at all."""
    calls = []
    real = welsh_gloss.is_welsh
    monkeypatch.setattr(welsh_gloss, "is_welsh", lambda text: calls.append(text) or real(text))
    flags = welsh_gloss.welsh_flags(["Mae'r golau  stryd wedi torri", "pothole for more than a week, no one came",
                                     "dydy fy min heb ei gasglu"])
    assert flags == [True, False, True]
    assert calls == ["mae'r golau stryd wedi torri", "dydy fy min heb ei gasglu"]
