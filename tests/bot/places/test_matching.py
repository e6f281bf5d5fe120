"""Recognising streets in residents' words, and postcodes to streets (bot/places/matching.py)."""

import pytest

from bot.places.csv_gazetteer import CsvGazetteer
from bot.places.gazetteer import Street
from bot.places.matching import edit_distance, name_tokens
from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def gazetteer() -> CsvGazetteer:
    return CsvGazetteer.load(PROJECT_ROOT / "council" / "gazetteer.csv")


def labels(match):
    return [s.label for s in match.streets]


def test_abbreviations_and_spelling_read_alike():
    assert name_tokens("St Mary's Road") == name_tokens("saint marys rd") == ("st", "marys", "rd")
    assert name_tokens("Mill Ln") == name_tokens("MILL LANE")


@pytest.mark.parametrize("a, b, distance", [
    ("lane", "lane", 0), ("lnae", "lane", 1), ("statoin", "station", 1), ("stattion", "station", 1),
    ("mil", "mill", 1), ("londun", "london", 1), ("kingsway", "queensway", 4),  # 4: over the limit of 3
])
def test_edit_distance_counts_a_swap_as_one(a, b, distance):
    assert edit_distance(a, b, 3) == distance


def test_typos_and_abbreviations(gazetteer):
    assert labels(gazetteer.recognise("pothole on statoin rd")) == ["Station Road, Anytown"]
    assert labels(gazetteer.recognise("mill raod")) == ["Mill Road, Westbury"]
    assert labels(gazetteer.recognise("Mill Ln")) == ["Mill Lane, Northfield", "Mill Lane, Easton"]


def test_a_street_the_gazetteer_lacks_is_not_corrected_into_another(gazetteer):
    # Kingsway (AN4 1NW) is two edits from "Kingsley": a slip, unless the words say otherwise.
    assert labels(gazetteer.recognise("138 Kingsley")) == ["Kingsway, Easton"]
    assert labels(gazetteer.recognise("138 Kingsley Terrace")) == []  # a street-type word follows
    assert labels(gazetteer.recognise("138 Kingsley, AN3 5TR")) == []  # another postcode district
    assert labels(gazetteer.recognise("138 Kingsley AN4 1NW")) == ["Kingsway, Easton"]
    assert labels(gazetteer.recognise("138 Kingsway, AN3 5TR")) == ["Kingsway, Easton"]  # exact stands
    assert labels(gazetteer.recognise("pothole on statoin rd")) == ["Station Road, Anytown"]


def test_common_words_are_not_misread_as_streets(gazetteer):
    for text in ("my bin wasnt emptied", "the road is flooded", "near the park", "on the lane behind"):
        assert not gazetteer.recognise(text).found, text


def test_house_numbers_and_flats_are_kept(gazetteer):
    for text, house in (("14 Mill Lane", "14"), ("14a mill lane", "14a"), ("flat 2, 14 Mill Lane", "Flat 2, 14"),
                        ("no. 7 Mill Road", "7"), ("2-4 Market Square", "2-4"), ("Mill Lane", None),
                        ("AN1 mill lane", None)):
        assert gazetteer.recognise(text).house == house, text


def test_where_the_street_is_in_the_words(gazetteer):
    match = gazetteer.recognise("outside the Co-op on mill ln please")
    assert match.text[match.span[0]:match.span[1]] == "mill ln"


def test_a_postcode_district_or_locality_settles_a_shared_name(gazetteer):
    assert labels(gazetteer.recognise("mill lane an1")) == ["Mill Lane, Northfield"]
    assert labels(gazetteer.recognise("12 Mill Lane AN4 2LP")) == ["Mill Lane, Easton"]
    assert labels(gazetteer.recognise("mill lane, eastn")) == ["Mill Lane, Easton"]
    # A district neither Mill Lane is in says nothing: still both.
    assert gazetteer.recognise("mill lane AN9").ambiguous


def test_the_answer_to_which_one(gazetteer):
    both = list(gazetteer.recognise("Mill Lane").streets)
    assert [s.locality for s in both] == ["Northfield", "Easton"]
    for answer, locality in (("Easton", "Easton"), ("the one in northfield", "Northfield"), ("2", "Easton"),
                             ("first", "Northfield"), ("AN4 2LP", "Easton"), ("an1", "Northfield")):
        assert gazetteer.choose(both, answer).locality == locality, answer
    for answer in ("3", "purple", "", "both"):
        assert gazetteer.choose(both, answer) is None, answer


def test_a_postcode_gives_its_streets(gazetteer):
    assert [s.label for s in gazetteer.streets_for_postcode("AN1 4GT")] == ["Mill Lane, Northfield"]
    assert [s.label for s in gazetteer.streets_for_postcode("an4 2lp")] == ["Mill Lane, Easton"]
    district = gazetteer.streets_for_postcode("AN4")
    assert len(district) > 10 and {s.locality for s in district} == {"Easton"}
    assert all(any(p.startswith("AN1 4") for p in s.postcodes) for s in gazetteer.streets_for_postcode("AN1 4"))
    assert gazetteer.streets_for_postcode("ZZ9 9ZZ") == []


def test_longer_names_win_over_their_prefix():
    streets = [Street("Mill Lane", "Northfield", "Anytown", "1", (), 52.2, -1.4),
               Street("Mill Lane East", "Northfield", "Anytown", "2", (), 52.2, -1.4)]
    assert CsvGazetteer(streets).recognise("by 3 Mill Lane East").street.usrn == "2"
