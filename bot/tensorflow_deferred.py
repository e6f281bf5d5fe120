"""Rasa's TensorFlow modules loaded on first use, not on import, in the Rasa server.

Rasa 3.6 imports TensorFlow in every process that imports Rasa's core:
its policy base class reaches ``rasa.utils.train_utils``, which imports
TensorFlow callbacks and data generators, and the model's recipe validator
imports DIET, TED and the response selector to compare classes with. This
assistant's pipeline and policies use none of them (config.yml: a sentence
encoder through ONNX Runtime, logistic regression, a CRF and rules), yet the
import cost each Rasa server about 6.5 s of CPU at start and 350 MB of memory
for as long as it ran (docs/benchmarks.md).

:func:`install` puts a stand-in for each of those modules in ``sys.modules``
before Rasa is imported. ``from module import Name`` then gets a stand-in for
the name, and the first real use of one (a call, an attribute, a subclass or
instance check, a subclass definition) imports the real module and hands the
use on to it, so any code path that needs TensorFlow still gets it; it is just
no longer paid for by the paths that do not. A stand-in is not a class:
``issubclass(stand_in, X)`` raises TypeError rather than answer wrong. Rasa's
run-time paths only check other classes against these (``issubclass(X,
stand_in)``), which works.

Only the Rasa server calls it (bot/rasa_server.py). Training does not: the
recipe registers its default components by importing them, and a stand-in
registers nothing.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from typing import Any, Tuple

# Rasa's modules that import TensorFlow at their top, and that the server's
# imports reach; each of the others is imported only by one of these.
DEFERRED_MODULES: Tuple[str, ...] = (
    "rasa.utils.tensorflow.callback",
    "rasa.utils.tensorflow.data_generator",
    "rasa.nlu.classifiers.diet_classifier",
    "rasa.nlu.selectors.response_selector",
    "rasa.nlu.featurizers.dense_featurizer.lm_featurizer",
    "rasa.nlu.featurizers.dense_featurizer.convert_featurizer",
    "rasa.core.policies.ted_policy",
    "rasa.core.policies.unexpected_intent_policy",
)

_import_lock = threading.Lock()


def _real_module(name: str) -> types.ModuleType:
    """The module itself, imported in place of its stand-in the first time it is needed."""
    with _import_lock:
        module = sys.modules.get(name)
        if isinstance(module, DeferredModule) or module is None:
            sys.modules.pop(name, None)
            module = importlib.import_module(name)
        return module


class DeferredName:
    """A name imported from a deferred module; any real use loads the module and defers to it."""

    def __init__(self, module: str, name: str) -> None:
        self._deferred = (module, name)

    def real(self) -> Any:
        module, name = self._deferred
        return getattr(_real_module(module), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.real()(*args, **kwargs)

    def __getattr__(self, attribute: str) -> Any:
        if attribute == "_deferred":  # not set yet (copy, pickle): no recursion
            raise AttributeError(attribute)
        return getattr(self.real(), attribute)

    def __setattr__(self, attribute: str, value: Any) -> None:
        # A patch through a stand-in must reach the real class, not the stand-in.
        if attribute == "_deferred":
            object.__setattr__(self, attribute, value)
        else:
            setattr(self.real(), attribute, value)

    def __instancecheck__(self, instance: Any) -> bool:
        return isinstance(instance, self.real())

    def __subclasscheck__(self, subclass: Any) -> bool:
        return issubclass(subclass, self.real())

    def __mro_entries__(self, bases: Tuple[Any, ...]) -> Tuple[Any, ...]:
        # ``class X(DeferredName)``: X derives from the real class.
        return (self.real(),)

    def __repr__(self) -> str:
        module, name = self._deferred
        return f"<{name} from {module}, not imported yet>"


class DeferredModule(types.ModuleType):
    """The stand-in for a module: its names are :class:`DeferredName`, nothing is imported."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return DeferredName(self.__name__, name)


def install() -> None:
    """Stand-ins for :data:`DEFERRED_MODULES` not imported yet; call it before importing Rasa."""
    for name in DEFERRED_MODULES:
        if name not in sys.modules:
            sys.modules[name] = DeferredModule(name)


def tensorflow_loaded() -> bool:
    """Whether TensorFlow has been imported in this process."""
    return "tensorflow" in sys.modules
