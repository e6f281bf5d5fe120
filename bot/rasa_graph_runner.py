"""Runs Rasa's prediction graphs in plain Python instead of through dask.

Rasa 3.6 runs the NLU pipeline and the policies as a graph of components,
and hands each run to dask's synchronous scheduler. Every turn runs that
graph two to four times (one parse, then one prediction per action), and
for each run dask rebuilds the task graph, orders it, and executes the
tasks through its thread-pool machinery even though they run one after
another. Profiled with py-spy during ``python -m benchmarks.rest``, that
bookkeeping was about a tenth of the Rasa server's CPU, more than the CRF
entity extractor and the featurisers together.

:class:`SequentialGraphRunner` computes exactly the same nodes from exactly
the same inputs (each node once, after the nodes it needs), with no
scheduler. The minimal schema for a set of targets is computed once and
kept. Training keeps Rasa's dask runner: it runs once and is not on the
turn's path.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner


class SequentialGraphRunner(DaskGraphRunner):
    """Rasa's graph runner without dask (same nodes, inputs, hooks and errors)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._schemas: Dict[Tuple[Text, ...], GraphSchema] = {}

    def _minimal_schema(self, targets: List[Text]) -> GraphSchema:
        key = tuple(targets)
        schema = self._schemas.get(key)
        if schema is None:
            schema = self._schemas[key] = self._graph_schema.minimal_graph_schema(targets)
        return schema

    def run(
        self,
        inputs: Optional[Dict[Text, Any]] = None,
        targets: Optional[List[Text]] = None,
    ) -> Dict[Text, Any]:
        """Run the nodes the targets need, each once, and return the targets' outputs.

        As with dask, an input is passed to the nodes that need it as the pair
        ``(input name, value)`` and every node returns ``(node name, output)``.
        """
        run_targets = targets if targets else self._graph_schema.target_names
        nodes = self._minimal_schema(run_targets).nodes
        results: Dict[Text, Any] = {}
        for input_name, input_value in (inputs or {}).items():
            if isinstance(input_value, str) and input_value in nodes:
                raise GraphRunError(
                    f"Input value '{input_value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema."
                )
            results[input_name] = (input_name, input_value)

        def compute(name: Text) -> Any:
            if name not in results:
                if name not in nodes:
                    raise GraphRunError(f"Nothing in the graph or its inputs is called '{name}'.")
                needed = [compute(parent) for parent in nodes[name].needs.values()]
                results[name] = self._instantiated_nodes[name](*needed)
            return results[name]

        try:
            return dict(compute(target) for target in run_targets)
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
