"""An NLU pipeline component that sends messages about another agency's job to its signpost.

"people dealing drugs on the corner every night" has a place and a time of day,
as reports do, so the model hesitated between noise, parking and litter, and
the bot offered those reports as choices. "water pouring out of the pavement,
think it's a burst pipe" was read as an emergency (999, then handed to staff),
though a burst main is the water company's, with its own line day and night
(and read as "another problem", it would have been a case for staff to redirect).

A message the bot is unsure of (``nlu_fallback``) that plainly names a crime
(bot/signposts.py, ``CRIMES``) or a leaking water main or a water supply fault
(``WATER_FAULTS``) becomes ``out_of_scope``, whose answer points to the police
or the water company. A water fault the model alone called an emergency, or
read as the catch-all "another problem", is signposted too; a crime it called
an emergency is left as it is (a break-in happening now is one for 999). A
short "are you a real person?" is out of scope however it was read (the
signpost says plainly it is the council's automated assistant, and how to
reach a person), unless it was read as asking for one. A message read
confidently as a report keeps its report ("drug dealers hang round the broken
street light on Mill Lane" is a street light report), and urgent phrases
still win (bot/nlu/urgent.py runs last).
"""

from __future__ import annotations

from typing import Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.rule_based import RuleBasedIntentClassifier
from bot.signposts import asks_if_a_person, names_a_crime, names_a_water_supply_fault

OUT_OF_SCOPE_INTENT = "out_of_scope"
EMERGENCY_INTENT = "emergency"
# A short question whether the bot is a person is answered plainly, however the model read it
# ("ydych chi'n robot?" was read as a FAQ), unless the resident asked for a person outright.
ASKS_IF_A_PERSON_MAX_WORDS = 10
TALK_TO_HUMAN_INTENT = "talk_to_human"
# A water fault read as any of these is the water company's: unsure, an emergency by the model
# alone, or the catch-all report ("mae pibell ddŵr wedi byrstio ar y stryd" was read as one).
WATER_FAULT_READINGS = (DEFAULT_NLU_FALLBACK_INTENT_NAME, EMERGENCY_INTENT, "report_other_problem")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class OtherAgencyClassifier(RuleBasedIntentClassifier):
    """``out_of_scope`` for an unsure message naming a crime or a water fault, or a short question
    whether the bot is a person; anything else is left alone."""

    def intent_for_message(self, message: Message) -> Optional[str]:
        reading = (message.get(INTENT) or {}).get("name")
        text = message.get("text")
        if reading == DEFAULT_NLU_FALLBACK_INTENT_NAME and names_a_crime(text):
            return OUT_OF_SCOPE_INTENT
        if reading in WATER_FAULT_READINGS and names_a_water_supply_fault(text):
            return OUT_OF_SCOPE_INTENT
        if (reading not in (TALK_TO_HUMAN_INTENT, EMERGENCY_INTENT, OUT_OF_SCOPE_INTENT)
                and len((text or "").split()) <= ASKS_IF_A_PERSON_MAX_WORDS and asks_if_a_person(text)):
            return OUT_OF_SCOPE_INTENT
        return None
