"""An NLU pipeline component that sends unsure messages naming a crime to the police signpost.

"people dealing drugs on the corner every night" has a place and a time of day,
as reports do, so the model hesitated between noise, parking and litter, and
the bot offered those reports as choices. A message the bot is unsure of
(``nlu_fallback``) that plainly names a crime (bot/signposts.py, ``CRIMES``)
becomes ``out_of_scope``: the answer points to the police (101, police.uk, 999
in an emergency). A message the model reads confidently as a report keeps its
report ("drug dealers hang round the broken street light on Mill Lane" is a
street light report), and urgent phrases still win (bot/nlu/urgent.py runs last).
"""

from __future__ import annotations

from typing import Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.rule_based import RuleBasedIntentClassifier
from bot.signposts import names_a_crime

OUT_OF_SCOPE_INTENT = "out_of_scope"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class CrimeSignpostClassifier(RuleBasedIntentClassifier):
    """``out_of_scope`` for an unsure message that names a crime; anything else is left alone."""

    def intent_for_message(self, message: Message) -> Optional[str]:
        unsure = (message.get(INTENT) or {}).get("name") == DEFAULT_NLU_FALLBACK_INTENT_NAME
        return OUT_OF_SCOPE_INTENT if unsure and names_a_crime(message.get("text")) else None
