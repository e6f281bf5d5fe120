"""The Rasa server imports Rasa without TensorFlow, and still gets it when something uses it."""

import json
import subprocess
import sys

from bot.settings import PROJECT_ROOT

# Run in a fresh interpreter: this test process has imported Rasa (and TensorFlow) already.
SCRIPT = r"""
import json, sys
from bot import tensorflow_deferred
tensorflow_deferred.install()
import rasa.core.agent, rasa.core.policies.rule_policy
import rasa.graph_components.validators.default_recipe_validator
from rasa.engine.graph import GraphComponent
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
seen = {"after_import": tensorflow_deferred.tensorflow_loaded()}
# As the recipe validator checks a node's class: the deferred name second.
seen["rules_are_not_diet"] = issubclass(rasa.core.policies.rule_policy.RulePolicy, DIETClassifier)
seen["after_use"] = tensorflow_deferred.tensorflow_loaded()
seen["epochs"] = DIETClassifier.get_default_config()["epochs"]
class Mine(DIETClassifier):
    pass
seen["subclass"] = issubclass(Mine, GraphComponent) and issubclass(Mine, DIETClassifier)
seen["instance"] = isinstance(object(), DIETClassifier)
DIETClassifier.patched_here = True
import rasa.nlu.classifiers.diet_classifier as real
seen["patch_reaches_the_class"] = real.DIETClassifier.patched_here
print(json.dumps(seen))
"""


def test_rasa_imports_without_tensorflow_until_a_deferred_name_is_used():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "after_import": False, "rules_are_not_diet": False, "after_use": True, "epochs": 300,
        "subclass": True, "instance": False, "patch_reaches_the_class": True,
    }
