"""The sequential graph runner gives exactly what Rasa's dask runner gives, on our model."""

from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.engine.exceptions import GraphRunError
from rasa.engine.loader import load_predict_graph_runner
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.model import ensure_model
from bot.rasa_graph_runner import SequentialGraphRunner

TEXTS = [
    "hi",
    "my bin wasn't collected on Tuesday, 14 Foxglove Way AN1 4GT",
    "what day is my bin collection",
    "There's a pothole on Mill Lane and the street light outside number 4 is out",
    "talk to a person",
    "yes",
    "",
]


@pytest.fixture(scope="module")
def runners(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """Rasa's runner and ours over the same loaded components."""
    metadata, dask_runner = load_predict_graph_runner(
        Path(tmp_path_factory.mktemp("model")), ensure_model(), LocalModelStorage, DaskGraphRunner
    )
    sequential = SequentialGraphRunner.__new__(SequentialGraphRunner)
    sequential.__dict__.update(dask_runner.__dict__)
    sequential._schemas = {}
    return {"metadata": metadata, "dask": dask_runner, "sequential": sequential}


def _parse(runner: DaskGraphRunner, metadata: Any, text: str) -> Dict[str, Any]:
    tracker = DialogueStateTracker.from_events("graph-test", [ActionExecuted("action_listen")])
    results = runner.run(
        inputs={PLACEHOLDER_MESSAGE: [UserMessage(text)], PLACEHOLDER_TRACKER: tracker},
        targets=[metadata.nlu_target],
    )
    (message,) = results[metadata.nlu_target]
    return message.as_dict(only_output_properties=True)


def _next_action(runner: DaskGraphRunner, metadata: Any, parse: Dict[str, Any]) -> List[Any]:
    tracker = DialogueStateTracker.from_events(
        "graph-test",
        [ActionExecuted("action_listen"), UserUttered(parse.get("text"), parse["intent"], parse["entities"], parse)],
        slots=metadata.domain.slots,
    )
    prediction = runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=[metadata.core_target])[metadata.core_target]
    return [prediction.policy_name, list(prediction.probabilities), prediction.is_end_to_end_prediction]


def test_parses_and_predictions_are_identical(runners: Dict[str, Any]) -> None:
    metadata = runners["metadata"]
    for text in TEXTS:
        ours = _parse(runners["sequential"], metadata, text)
        rasas = _parse(runners["dask"], metadata, text)
        assert ours == rasas, text
        assert _next_action(runners["sequential"], metadata, ours) == _next_action(runners["dask"], metadata, rasas)


def test_runs_only_what_the_targets_need(runners: Dict[str, Any]) -> None:
    """Predicting an action reads no message: the NLU nodes are not run (nor needed as inputs)."""
    metadata = runners["metadata"]
    tracker = DialogueStateTracker.from_events("graph-test", [ActionExecuted("action_listen")], slots=metadata.domain.slots)
    result = runners["sequential"].run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=[metadata.core_target])
    assert list(result) == [metadata.core_target]


def test_an_input_named_like_a_node_is_refused_as_rasa_refuses_it(runners: Dict[str, Any]) -> None:
    metadata = runners["metadata"]
    with pytest.raises(GraphRunError):
        runners["sequential"].run(inputs={"clash": metadata.nlu_target}, targets=[metadata.nlu_target])


def test_a_missing_input_is_a_graph_error(runners: Dict[str, Any]) -> None:
    with pytest.raises(GraphRunError):
        runners["sequential"].run(inputs={}, targets=[runners["metadata"].nlu_target])


def test_the_rasa_server_uses_it_once_patches_are_applied() -> None:
    import rasa.core.processor

    from bot import rasa_patches

    rasa_patches.apply()
    assert rasa.core.processor.DaskGraphRunner is SequentialGraphRunner
