import pytest

from bot import answers


@pytest.mark.parametrize("text,expected", [("Yes!!", True), ("yep", True), ("yes please send it", True),
                                           ("Nope", False), ("no thanks", False), ("maybe", None), ("", None)])
def test_yes_or_no(text, expected):
    assert answers.yes_or_no(text) is expected


def test_yes_or_no_falls_back_to_the_nlu_intent():
    assert answers.yes_or_no("go for it", intent="affirm") is True
    assert answers.yes_or_no("absolutely not", intent="deny") is False


@pytest.mark.parametrize("text,expected", [("07700 900123", "+447700900123"), ("+44 7700 900123", "+447700900123"),
                                           ("01632 960000", "+441632960000"), ("0044 7700 900 123", "+447700900123"),
                                           ("12345", None), ("call me", None), ("07700 90012", None)])
def test_parse_uk_phone(text, expected):
    assert answers.find_uk_phone(text) == expected


def test_find_email():
    assert answers.find_email("it's jo.bloggs+council@example.co.uk thanks") == "jo.bloggs+council@example.co.uk"
    assert answers.find_email("jo at example dot com") is None


@pytest.mark.parametrize("text,expected", [("monday", "Monday"), ("Tues", "Tuesday"), ("usually on a thurs", "Thursday"),
                                           ("weds", "Wednesday"), ("mon or tue", None), ("no idea", None)])
def test_parse_weekday(text, expected):
    assert answers.parse_weekday(text) == expected


def test_find_registration():
    assert answers.find_registration("reg is ky65xzt i think") == "KY65 XZT"
    assert answers.find_registration("AB12 CDE") == "AB12 CDE"
    assert answers.find_registration("a silver ford") is None


def test_skip_and_unknown():
    assert answers.is_skip("Skip") and answers.is_skip("no thanks")
    assert answers.is_unknown("not sure") and answers.is_unknown("dunno")
    assert not answers.is_skip("jo@example.com")


@pytest.mark.parametrize("text, day", [
    ("it was the blue bin. collected on wednesdays", "Wednesday"), ("every thursday", "Thursday"),
    ("our bin day is monday", "Monday"), ("normally they come on weds", "Wednesday"),
    ("my bin wasnt collected on tuesday", None), ("bin not emptied today", None),
])
def test_the_usual_collection_day_is_read_only_where_a_message_says_it_is_usual(text, day):
    assert answers.usual_collection_day(text) == day


def test_a_duration_with_a_number_wins_over_a_vague_one():
    # "There for: ages" was read back for a car "parked here for about 3 months".
    text = "I've been meaning to report this for ages: a car has been parked outside 7 Elm Close for about 3 months"
    assert answers.find_duration(text) == "about 3 months"
    assert answers.find_duration("it's been there for ages") == "ages"


def test_a_short_no_declines_and_a_long_or_unclear_answer_does_not():
    assert answers.declines("no thats all") and answers.declines("nah im good") and answers.declines("no")
    assert not answers.declines("yes") and not answers.declines("my email is jo at example dot com")
    assert not answers.declines("no the one I gave you before is wrong and I need to check it with my son first")


def test_a_greeting_or_thanks_alone_is_a_pleasantry_and_nothing_more_is():
    assert answers.is_pleasantry("Hello!") and answers.is_pleasantry("helo") and answers.is_pleasantry("Bore da")
    assert answers.is_pleasantry("thank you") and answers.is_pleasantry("Diolch yn fawr")
    # A time of day answers "when is the noise?"; a greeting beside a place is a place.
    assert not answers.is_pleasantry("evening") and not answers.is_pleasantry("hello, it's on Mill Lane")


def test_choose_needs_exactly_one_option():
    options = {"road": ("road",), "pavement": ("pavement",)}
    assert answers.choose("its in the road", options) == "road"
    assert answers.choose("road and pavement", options) is None


def test_not_knowing_said_in_more_words():
    for text in ("dont know the reg", "can't see the number plate", "no plates on it", "not sure of the reg tbh"):
        assert answers.says_unknown(text), text
    for text in ("AB12 CDE", "it's a silver ford", "I know it was there on Monday, not sure since then but it was "
                 "definitely the same car"):
        assert not answers.says_unknown(text), text


def test_a_question_about_how_long_a_report_takes():
    for text in ("how long will it take to fix?", "how long does it usually take", "what happens now?",
                 "when will it be fixed", "when will someone come out", "faint o amser fydd e'n cymryd?",
                 # Doubt that anything will happen, asked at a yes/no question ("Please answer yes or no" before).
                 "is this going to be sorted or just ignored like last time?", "will anyone actually fix it this time"):
        assert answers.asks_how_long(text), text
    for text in ("it's been like this for how long? three weeks", "yes", "it is a long crack", "is this a pothole",
                 "the pothole has been there so long that I cannot remember when it started and how long will "
                 "it take is anyone's guess"):
        assert not answers.asks_how_long(text), text


def test_a_callback_asked_for():
    for text in ("can you call me back on 07700 900123", "please ring me back", "could someone phone me",
                 "give me a call", "ffoniwch fi plis"):
        assert answers.asks_for_callback(text), text
    for text in ("please don't call me", "no need to ring me back", "you can text me", "my phone number is 07700 900123"):
        assert not answers.asks_for_callback(text), text


def test_a_worry_about_being_known_as_the_reporter():
    for text in ("noise from next door every night, will they know it was me who reported it?",
                 "loud music again, I'd like to stay anonymous", "please keep this confidential",
                 "I don't want to give my name, they'll find out who reported it",
                 "dw i ddim isio iddyn nhw wybod mai fi sy'n cwyno", "ydy hyn yn gyfrinachol"):
        assert answers.asks_about_anonymity(text), text
    for text in ("the light outside no 4 was out again", "let me know when it is fixed",
                 "I know it was the builders", "they told me it was fixed"):
        assert not answers.asks_about_anonymity(text), text


def test_farewells_and_bare_yes_or_no():
    for text in ("bye", "Bye!", "ok bye", "ta-ra", "see ya", "Hwyl fawr"):
        assert answers.is_farewell(text), text
    for text in ("bye bye bins, they took them away", "goodbye to my recycling", "drop"):
        assert not answers.is_farewell(text), text
    for text in ("no", "Nope!", "yes", "ie"):
        assert answers.is_bare_yes_or_no(text), text
    for text in ("no lid on it", "yes a big hole", "not sure"):
        assert not answers.is_bare_yes_or_no(text), text


def test_leaving_a_report_without_the_word_cancel():
    for text in ("DROP", "drop", "Drop.", "forget it", "never mind", "GOLLWNG", "gollwng e", "ollwng"):
        assert answers.is_abandon(text), text
    for text in ("cancel", "drop kerb is broken", "stop", "gollwng sbwriel ar Mill Lane"):
        assert not answers.is_abandon(text), text


def test_asking_for_a_person_is_read_without_nlu():
    for text in ("Talk to a person", "talk to a person", "can I speak to someone", "person please", "a real person"):
        assert answers.wants_person(text), text
    for text in ("the person next door is noisy", "someone dumped a sofa", "personal"):
        assert not answers.wants_person(text), text


def test_welsh_answers():
    """Issue 15: a Welsh "yes" echoes the question's verb (oes, do, ydw...), and so does its "no"."""
    for text in ("Ie", "ia plis", "Oes", "do!", "ydw", "ydy", "bydd", "iawn"):
        assert answers.yes_or_no(text) is True, text
    for text in ("na", "Nage", "naddo", "nac oes", "nag ydw", "nac ydy", "dim diolch"):
        assert answers.yes_or_no(text) is False, text
    assert answers.yes_or_no("do not contact me") is None  # English "do" is not a Welsh yes
    assert answers.is_skip("Hepgor") and answers.is_skip("sgipio") and answers.is_skip("dim diolch")
    assert answers.is_unknown("wn i ddim") and answers.is_unknown("Sai'n gwbod") and answers.is_unknown("ddim yn siŵr")
    assert answers.is_abandon("anghofiwch e") and answers.is_abandon("dim ots")
    assert answers.wants_person("Ga i siarad â pherson plis?") and answers.wants_person("person go iawn")
    assert not answers.wants_person("dw i ddim eisiau siarad â bot") and not answers.wants_person("rhywun")


@pytest.mark.parametrize("text,expected", [("dydd Mawrth", "Tuesday"), ("ddydd Llun diwethaf", "Monday"),
                                           ("nos Wener", "Friday"), ("Sadwrn", "Saturday"), ("bore dydd Iau", "Thursday"),
                                           ("mae gen i lun", None), ("dydd Llun neu ddydd Mawrth", None)])
def test_parse_welsh_weekday(text, expected):
    assert answers.parse_weekday(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("theres a car been parked outside my house for 3 months, no tax", "3 months"),
    ("van here for about 2 weeks", "about 2 weeks"),
    ("for a few weeks now", "a few weeks"),
    ("been there since March", "since March"),
    ("mae car wedi bod yma ers 3 mis ac mae'n rhydu", "ers 3 mis"),
    ("ers mis Mawrth", "ers mis Mawrth"),
    ("parked for hours every day", None),
    ("silver ford focus", None),
    ("theres a car been parked outside my house for months, flat tyres", "months"),
    ("that van has been there for ages", "ages"),
    ("", None),
])
def test_find_duration(text, expected):
    assert answers.find_duration(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("they play really loud music every night after midnight",
     {"noise_type": "really loud music", "noise_when": "after midnight", "noise_frequency": "every night"}),
    ("dog barking all day next door", {"noise_type": "dog barking", "noise_when": "all day"}),
    ("the neighbours dog barks all day while theyre at work", {"noise_type": "dog barks", "noise_when": "all day"}),
    ("building work starting at 6am every saturday",
     {"noise_type": "building work", "noise_when": "at 6am", "noise_frequency": "every saturday"}),
    ("noise from the flat above", {}),
])
def test_noise_details(text, expected):
    assert answers.noise_details(text) == expected


@pytest.mark.parametrize("text", ["what", "what?", "huh", "Eh??", "sorry?", "pardon", "I don't understand",
                                  "what do you mean", "i'm confused", "be?", "dwi ddim yn deall"])
def test_a_resident_who_did_not_follow(text):
    assert answers.is_confused(text)
    assert answers.yes_or_no(text, "affirm") is None  # "huh" read as affirm is not a yes


@pytest.mark.parametrize("text", ["what day is my bin collected", "sorry, it's Mill Lane not Mill Road",
                                  "i dont understand why my bin wasnt collected", "yes", "be there at 9"])
def test_a_question_or_an_answer_is_not_confusion(text):
    assert not answers.is_confused(text)


@pytest.mark.parametrize("text", ["road", "the road", "on the pavement", "outside my house", "here", "ar y ffordd",
                                  "fan hyn"])
def test_an_answer_that_names_no_place(text):
    assert answers.names_no_place(text)


@pytest.mark.parametrize("text", ["Mill Lane", "high street", "the green", "14 the road", "outside the co-op",
                                  "near the park", "AN1 4GT", "corner of mill lane", ""])
def test_an_answer_that_names_a_place(text):
    assert not answers.names_no_place(text)


@pytest.mark.parametrize("text, about_the_vehicle, expected", [
    ("a white van has been parked here for weeks", False, "white"),
    ("dark blue ford fiesta, no tax", False, "dark blue"),
    ("mae car gwyn wedi'i adael ers 3 mis", False, "gwyn"),
    ("car left on the village green", False, None),  # a place
    ("red lines outside the school", False, None),
    ("its a blue ford", True, "blue"),  # the answer about the make
    ("grey", True, "grey"),
    ("no idea", True, None),
])
def test_find_vehicle_colour(text, about_the_vehicle, expected):
    assert answers.find_vehicle_colour(text, about_the_vehicle=about_the_vehicle) == expected


@pytest.mark.parametrize("text, expected", [
    ("07700 900123", True), ("+44 7700 900123", True), ("sam@example.com", True),
    ("my number is 07700900123", True), ("fy rhif ffôn yw 07700 900123", True),
    ("blue Ford, my number is 07700 900123", False),  # an answer too
    ("ford", False), ("", False), ("since 2019", False),
])
def test_is_contact_details(text, expected):
    assert answers.is_contact_details(text) is expected


@pytest.mark.parametrize("text, expected", [
    ("the pothole burst my tyre last night", True),
    ("absolutely useless council, my car tyre got damaged", True),
    ("my mum tripped on the broken paving and broke her wrist", True),
    ("a branch fell on my car", True),
    ("mae'r twll wedi difrodi fy nghar", True),
    ("it could burst a tyre", False),  # a danger, not damage done
    ("someone is going to trip on this", False),
    ("there is a flat tyre on the abandoned car", False),
    ("the lid is cracked", False),
    ("pothole on Station Road", False),
    ("my bin fell over in the wind and nobody picked it up", False),  # a bin, not a person
    ("our nan tripped on the kerb", True),
])
def test_mentions_damage_or_injury(text, expected):
    assert answers.mentions_damage_or_injury(text) is expected


@pytest.mark.parametrize("text, expected", [
    ("hi, my neighbour's tree is overhanging my garden, can you cut it back", True),
    ("next doors hedge is so high it blocks all the light to our house", True),
    ("neighbours conifers dropping needles in my gutters", True),
    ("my neighbours tree is hanging over the pavement", False),  # the street: a report
    ("neighbours hedge is overgrown across the footpath and into our garden", False),
    ("tree overhanging my garden", False),  # whose? it may be the council's
    ("the big tree outside my house is leaning", False),
    ("mae coeden y cymydog yn hongian dros fy ngardd", True),
    ("mae gwrych drws nesaf dros y palmant", False),
])
def test_is_neighbours_tree(text, expected):
    assert answers.is_neighbours_tree(text) is expected


@pytest.mark.parametrize("text, expected", [
    ("This is a complaint. The light has been out for months", True),
    ("I want to complain", True),
    ("dw i eisiau gwneud cwyn", True),
    ("the complainant's address", False),
    ("light out on Mill Lane", False),
])
def test_mentions_complaint(text, expected):
    assert answers.mentions_complaint(text) is expected


@pytest.mark.parametrize("text, says", [
    ("wrong one, I wanted to report graffiti", True),
    ("sorry I meant a blocked drain not a pothole", True),
    ("no wait its a blocked drain", True),
    ("its not a pothole its a blocked drain", True),
    ("o'n i'n feddwl graffiti", True),
    # Answers to the question, or another problem told beside this one: not a change of kind.
    ("there is also rubbish next to it", False),
    ("I want to report dog mess all over the path by the school", False),  # an opening, not a correction
    ("not a big one but deep", False),
    ("it's not too bad", False),
    ("the light flickers all night", False),
])
def test_saying_the_report_is_the_wrong_kind(text, says):
    assert answers.changes_the_kind(text) is says


@pytest.mark.parametrize("text, named", [
    ("its a ford i think", "ford"),
    ("I think it's a BMW", "BMW"),
    ("dark blue, not sure", "dark blue"),
    ("about 3 weeks I think", "about 3 weeks"),
    ("a while", "a while"),  # an article is only taken off after "it's"
    ("i think", "i think"),  # nothing would be left: the answer as written
])
def test_hedges_are_taken_off_a_short_answer_for_the_back_office(text, named):
    assert answers.without_hedges(text) == named
