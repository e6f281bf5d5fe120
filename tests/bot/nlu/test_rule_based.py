import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.no_text import NoTextClassifier, has_words


@pytest.mark.parametrize("text,expected", [("", False), ("   ", False), ("😡😡😡", False), ("?!...", False),
                                           ("___", False), ("ok", True), ("7", True), ("¿Dónde?", True),
                                           ("bin 😡", True)])
def test_has_words(text, expected):
    assert has_words(text) is expected


def test_wordless_message_gets_the_no_text_intent_and_others_are_untouched():
    wordless = Message({"text": "🙂", "intent": {"name": "greet", "confidence": 0.6}})
    normal = Message({"text": "hello", "intent": {"name": "greet", "confidence": 0.9}})
    NoTextClassifier().process([wordless, normal])
    assert wordless.get("intent") == {"name": "no_text", "confidence": 1.0}
    assert normal.get("intent")["name"] == "greet"


def test_urgent_phrase_overrides_the_model_but_keeps_its_guess_for_staff():
    from bot.nlu.urgent import UrgentPhraseClassifier

    urgent = Message({"text": "i can smell gas in the flat", "intent": {"name": "report_other_problem", "confidence": 0.7},
                      "intent_ranking": [{"name": "report_other_problem", "confidence": 0.7}]})
    calm = Message({"text": "pothole on mill lane", "intent": {"name": "report_pothole", "confidence": 0.9}})
    UrgentPhraseClassifier().process([urgent, calm])
    assert urgent.get("intent") == {"name": "emergency", "confidence": 1.0}
    assert [r["name"] for r in urgent.get("intent_ranking")] == ["emergency", "report_other_problem"]
    assert calm.get("intent")["name"] == "report_pothole"


@pytest.mark.parametrize("text,expected", [
    ("{ref}", True), ("{low}?", True), ("my reference is {ref}", True), ("cyfeirnod {ref} plis", True),
    ("any news on {ref} please", True),
    ("{ref} the bin still has not been emptied and I am fed up with it", False),  # the model reads that
    ("AB7K-3FQ2", True),  # mistyped, alone: the status question says it doesn't look right
    ("my phone is 2345 6789", False), ("AN1 4GT", False), ("AB12 CDE", False), ("POTHOLES", False), ("", False),
])
def test_a_reference_alone_or_in_a_few_words_is_a_status_question(text, expected):
    from bot.cases.references import new_reference
    from bot.nlu.case_reference import CaseReferenceClassifier

    reference = new_reference()
    message = Message({"text": text.format(ref=reference, low=reference.lower().replace("-", " ")),
                       "intent": {"name": "inform", "confidence": 0.8}})
    CaseReferenceClassifier().process([message])
    assert (message.get("intent") == {"name": "case_status", "confidence": 1.0}) is expected


@pytest.mark.parametrize("text, intent, expected", [
    ("people dealing drugs on the corner every night", "nlu_fallback", "out_of_scope"),
    ("our shed got broken into last night", "nlu_fallback", "out_of_scope"),
    ("mae pobl yn gwerthu cyffuriau tu allan i'r siop", "nlu_fallback", "out_of_scope"),
    # Read confidently as a report: the report stays (the crime is beside the point).
    ("drug dealers hang round the broken street light on Mill Lane", "report_streetlight", "report_streetlight"),
    # Unsure, but no crime named: the choice of reports stays.
    ("the police aware sticker is still on the car", "nlu_fallback", "nlu_fallback"),
    ("Graffiti and criminal damage on the bus shelter", "nlu_fallback", "nlu_fallback"),
    # A burst main: the water company's, even where the model alone called it an emergency.
    ("water pouring out of the ground on the pavement, think its a burst pipe", "emergency", "out_of_scope"),
    ("there's a water leak in the road outside number 8", "nlu_fallback", "out_of_scope"),
    ("mae pibell ddŵr wedi byrstio ar y stryd", "report_other_problem", "out_of_scope"),
    # A crime the model called an emergency stays one (a break-in now is for 999).
    ("someone is burgling the house next door right now", "emergency", "emergency"),
    # Read confidently as a report, or no water fault named: left alone.
    ("the drain is blocked and water is coming up out of the road", "report_blocked_drain", "report_blocked_drain"),
    ("the Thames Water meter cover is missing", "nlu_fallback", "nlu_fallback"),
    # "are you a robot?" is answered plainly however it was read, unless a person was asked for.
    ("ydych chi'n robot?", "faq", "out_of_scope"),
    ("r u human", "talk_to_human", "talk_to_human"),
    ("is this a real person reading these reports or a computer, the pothole on Mill Lane is still there "
     "after three months", "report_pothole", "report_pothole"),
])
def test_an_unsure_message_for_another_agency_gets_its_signpost(text, intent, expected):
    from bot.nlu.other_agencies import OtherAgencyClassifier

    message = Message({"text": text, "intent": {"name": intent, "confidence": 0.3},
                       "intent_ranking": [{"name": intent, "confidence": 0.3}]})
    OtherAgencyClassifier().process([message])
    assert message.get("intent")["name"] == expected
