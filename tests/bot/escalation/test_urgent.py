"""Urgent and safeguarding phrases are found on the text itself, whatever NLU thinks."""

import pytest

from bot.escalation.urgent import urgent_category


@pytest.mark.parametrize(
    "text, category",
    [
        ("I can smell gas in my kitchen", "gas"),
        ("there's a gas leak outside number 4", "gas"),
        ("smells like gas on the landing", "gas"),
        ("I think it's carbon monoxide", "gas"),
        ("I want to kill myself", "self_harm"),
        ("I've been self-harming again", "self_harm"),
        ("i dont want to live anymore", "self_harm"),
        ("I don\u2019t want to be here any more", "self_harm"),
        ("my neighbour is abusing his kids", "abuse"),
        ("my partner hits me", "abuse"),
        ("there's a child left alone next door", "abuse"),
        ("I'm going to be homeless tonight", "homeless_tonight"),
        ("we have nowhere to sleep tonight", "homeless_tonight"),
        ("I was evicted today", "homeless_tonight"),
        ("the garden wall is about to collapse onto the pavement", "dangerous_structure"),
        ("there is a dangerous structure on the high street", "dangerous_structure"),
        ("the ceiling has collapsed", "dangerous_structure"),
        ("live wires hanging from the lamp post", "dangerous_structure"),
        ("the house next door is on fire", "fire"),
        ("car on fire outside number 5", "fire"),
        ("smoke is pouring out of the flat above", "fire"),
        ("mae'r tŷ drws nesa ar dân", "fire"),
        ("a man is unconscious in the park", "risk_to_life"),
        ("this is a risk to life", "risk_to_life"),
        ("SOMEONE IS TRAPPED", "risk_to_life"),  # case does not matter
        ("someone is trapped under the tree", "risk_to_life"),
        # Welsh (issue 15), mutations and northern/southern forms too.
        ("dw i'n gallu arogli nwy yn y gegin", "gas"),
        ("ma ogla nwy cryf ar y landin", "gas"),
        ("arogl nwy tu allan i rif 4", "gas"),
        ("mae'r nwy'n gollwng", "gas"),
        ("dw i isio lladd fy hun", "self_harm"),
        ("dw i ddim eisiau byw rhagor", "self_harm"),
        ("dw i'n meddwl am ddiweddu fy mywyd", "self_harm"),
        ("mae'r plant drws nesa'n cael eu cam-drin", "abuse"),
        ("mae'r plentyn yn cael ei gam-drin", "abuse"),
        ("nwy yn gollwng yn y stryd", "gas"),
        ("mae fy mhartner yn fy nharo", "abuse"),
        ("plentyn bach wedi'i adael ar ei ben ei hun", "abuse"),
        ("dw i'n ddigartref heno", "homeless_tonight"),
        ("does gen i unman i gysgu heno", "homeless_tonight"),
        ("mae'r wal ar fin cwympo ar y pafin", "dangerous_structure"),
        ("gwifrau trydan noeth ar y polyn lamp", "dangerous_structure"),
        ("dyn ar y llawr a ddim yn anadlu", "risk_to_life"),
        ("mae rhywun yn anymwybodol yn y parc", "risk_to_life"),
        # A person not seen for days (a welfare check) and a blocked road (a highways emergency).
        ("my elderly neighbour hasn't been seen for days and her bins are still out", "welfare"),
        ("we haven't seen the old lady at number 6 for over a week", "welfare"),
        ("I'm worried about the welfare of the man upstairs", "welfare"),
        ("dydy'r ddynes drws nesa ddim wedi cael ei gweld, heb ei gweld ers dyddiau", "welfare"),
        ("a tree has fallen across the road on mill road, cars can't get through", "road_blocked"),
        ("the road is completely blocked by a fallen tree", "road_blocked"),
        ("mae coeden wedi cwympo ar draws y ffordd", "road_blocked"),
    ],
)
def test_urgent_phrases_are_found(text: str, category: str) -> None:
    assert urgent_category(text) == category


@pytest.mark.parametrize(
    "text",
    [
        "my bin wasn't collected",
        "there's a pothole on Mill Lane",
        "the street light outside 12 is broken",
        "someone dumped a mattress",
        "when is my bin day",
        "I want to talk to a person",
        "gas bill question",
        "bin heb ei gasglu ers pythefnos",
        "parti tan 3 y bore drws nesa",
        "mae'r to yn gollwng yn y fflat cyngor",
        "bil nwy yn rhy uchel",
        "lamp stryd wedi torri tu allan i'r tŷ",
        # A fire that is over is a report (a burnt-out vehicle), and fire doors and bonfire smoke are not fires.
        "a caravan was set on fire and left on the verge",
        "the shed was on fire last night, just the shell left",
        "fire door on the landing is broken",
        "bonfire smoke every weekend",
        # Not a person unseen, nor a road blocked.
        "we haven't seen a sweeper for weeks, lots of rubbish on the pavement",
        "not seen the bin men for 3 weeks",
        "the tree outside number 4 has branches hanging over the road",
        "the traffic lights at the junction are not working",  # a report, as trained
        "",
        "\x00\x01",
        "a" * 10000,
    ],
)
def test_ordinary_messages_are_not_urgent(text: str) -> None:
    assert urgent_category(text) is None


def test_none_is_not_urgent() -> None:
    assert urgent_category(None) is None


@pytest.mark.parametrize("text", [
    "if the branch falls on someone they could be seriously injured",
    "an old lady tripped here, she was lucky not to be badly hurt",
    "someone will get seriously hurt on this kerb",
    "please fix it before someone gets badly hurt",
    "somebody is going to get seriously injured one day",
    "several homeless men sleep in the bus shelter and leave a mess",
    "the homeless guy by the station has left bags everywhere",
    "tents from the homeless camp are blocking the path",
])
def test_a_danger_that_has_not_happened_or_someone_elses_situation_is_not_an_emergency(text):
    # A report of a hazard, answered as a report (and offered a person as every report is).
    assert urgent_category(text) is None


@pytest.mark.parametrize("text, category", [
    ("a child is seriously injured on Mill Lane", "risk_to_life"),
    ("my dad has been badly hurt, he fell on the broken paving", "risk_to_life"),
    ("it could be seriously dangerous and a man is badly hurt already", "risk_to_life"),
    ("I'm homeless", "homeless_tonight"),
    ("my family is homeless and the homeless shelter is full", "homeless_tonight"),
    ("we will be homeless tonight", "homeless_tonight"),
])
def test_an_actual_injury_or_the_residents_own_homelessness_still_is(text, category):
    assert urgent_category(text) == category


@pytest.mark.parametrize("text, category", [
    # A person collapsing is a medical emergency, not a dangerous structure.
    ("someone has collapsed outside my house", "risk_to_life"),
    ("PLEASE HELP SOMEONES COLLAPSED", "risk_to_life"),
    ("old lady collapsed at the bus stop", "risk_to_life"),
    ("mae dyn wedi llewygu yn y stryd", "risk_to_life"),
    # A building, wall, ceiling or bridge collapsing still is one.
    ("the ceiling in my council flat is collapsing", "dangerous_structure"),
    ("there's a collapsed wall on the path", "dangerous_structure"),
    ("the bridge has collapsed", "dangerous_structure"),
    # Real harm is still safeguarding, whoever does it.
    ("my neighbour is abusing her children", "abuse"),
    ("the staff were abusive to my mum in the care home", "abuse"),
    ("I am being abused", "abuse"),
    # The resident's own night without a roof is still urgent.
    ("I have nowhere to go tonight", "homeless_tonight"),
    ("we are sleeping in the car", "homeless_tonight"),
])
def test_people_collapsing_and_real_harm_are_still_found(text: str, category: str) -> None:
    assert urgent_category(text) == category


@pytest.mark.parametrize("text", [
    # Collapsed road furniture is a report (these were read as emergencies and handed to staff).
    "the road has collapsed a bit outside 5 Cromwell Terrace",
    "the speed bumps are collapsing, creating vertical faces",
    "road edge collapsed into the ditch on Ridgeway",
    "the kerb has collapsed outside the school",
    # Abuse from a stranger told off for parking, misuse of bays, rude bin crews, a bus hitting branches.
    "parents park on the zig zags and when you ask them to move you get abuse",
    "I've spoken to the driver and got abuse",
    "abuse of the disabled bays outside the shops",
    "your binmen were abusive",
    "overhanging branches so low the bus hits them on Queens Road",
    # Someone else's situation, and water with nowhere to go.
    "people sleeping rough are using the alley behind the shops as a toilet",
    "the new road surface was laid over the gully and now the water has nowhere to go",
])
def test_reports_that_only_sound_urgent_stay_reports(text: str) -> None:
    assert urgent_category(text) is None
