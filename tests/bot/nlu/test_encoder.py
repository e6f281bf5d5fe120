"""The ONNX sentence encoder gives what the TensorFlow original gives (to 8-bit precision)."""

import numpy as np
import pytest

from bot.model import MODELS_DIR
from bot.nlu.encoder import DIMENSION, PARALLEL_FROM, SentenceEncoder, package_model_dir
from bot.nlu.intent_classifier import encoder_cache

TEXTS = ["massive pothole on Mill Lane", "hole in the road outside number 4", "my green bin was not emptied",
         "Hi there, the lamp post outside the school has been flickering all week. Thanks"]


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder(encoder_cache(MODELS_DIR / ".encoder"), package_model_dir() / "tokenizer.json")


def _reference(texts):
    """all-MiniLM-L6-v2 as its authors pool it: the mean of the token vectors, L2-normalised."""
    from transformers import BertTokenizerFast, TFBertModel

    tokenizer = BertTokenizerFast.from_pretrained(str(package_model_dir()))
    model = TFBertModel.from_pretrained(str(package_model_dir()))
    out = []
    for text in texts:
        batch = tokenizer(text, return_tensors="tf", truncation=True, max_length=128)
        tokens = model(**batch).last_hidden_state.numpy()[0]
        vector = tokens.mean(axis=0)
        out.append(vector / np.linalg.norm(vector))
    return np.array(out)


def test_vectors_match_the_original_model(encoder):
    ours = encoder.encode(TEXTS)
    assert ours.shape == (len(TEXTS), DIMENSION)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    cosines = (ours * _reference(TEXTS)).sum(axis=1)
    assert cosines.min() > 0.9, cosines


def test_similar_reports_are_close(encoder):
    pothole, hole, bin_, _ = encoder.encode(TEXTS)
    assert pothole @ hole > pothole @ bin_ + 0.1


def test_a_text_gets_the_same_vector_alone_or_among_others(encoder):
    """Training encodes thousands of texts, the server one: both must see the same vectors."""
    together = encoder.encode(TEXTS)
    alone = np.array([encoder.encode([t])[0] for t in TEXTS])
    assert np.array_equal(together, alone)


def test_a_long_list_is_encoded_on_threads_with_the_same_vectors(encoder):
    """Training's lists are encoded on several threads; each text's vector is the one it gets alone."""
    texts = [f"{text} number {n}" for n in range(40) for text in TEXTS][:PARALLEL_FROM + 37]
    together = encoder.encode(texts)
    alone = np.array([encoder.encode([t])[0] for t in texts])
    assert np.array_equal(together, alone)


def test_an_empty_list_encodes_to_nothing(encoder):
    assert encoder.encode([]).shape == (0, DIMENSION)


def test_the_export_runs_once_when_training_and_the_early_export_meet(tmp_path, monkeypatch):
    """bot/model.py exports the encoder beside `rasa train`; the classifier then waits for it."""
    import threading
    import time

    from bot.nlu import encoder as encoder_module
    from bot.nlu.encoder import exported_path

    exports = []

    def slow_export(destination):
        exports.append(destination)
        time.sleep(0.5)
        destination.write_bytes(b"onnx")
        return destination

    monkeypatch.setattr(encoder_module, "export_onnx", slow_export)
    found = []
    workers = [threading.Thread(target=lambda: found.append(encoder_cache(tmp_path / "cache"))) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(exports) == 1 and found == [exported_path(tmp_path / "cache")] * 3
    assert found[0].read_bytes() == b"onnx" and not found[0].with_suffix(".partial").exists()
