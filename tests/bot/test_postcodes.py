import pytest

from bot import postcodes


@pytest.mark.parametrize(
    "text,expected",
    [
        ("AN1 4GT", "AN1 4GT"),
        ("an14gt", "AN1 4GT"),
        ("it's at 12 mill lane an3 5tr thanks", "AN3 5TR"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("EC1A1BB", "EC1A 1BB"),
        ("no postcode here", None),
        ("AN1 4G", None),
        ("meet at b4 2pm", None),
    ],
)
def test_find_postcode(text, expected):
    assert postcodes.find_postcode(text) == expected


def test_district_matches_its_sectors_but_not_longer_districts():
    assert postcodes.in_area("AN1 4GT", ["AN1"])
    assert not postcodes.in_area("AN12 4GT", ["AN1"])
    assert postcodes.in_area("BX3 4AA", ["BX3 4"])
    assert not postcodes.in_area("BX3 5AA", ["BX3 4"])
    assert not postcodes.in_area("SW1A 1AA", ["AN1", "AN2"])


def test_mistyped_postcode_is_recognised_as_an_attempt():
    assert postcodes.looks_like_postcode_attempt("AN1 4G")
    assert not postcodes.looks_like_postcode_attempt("next to the shop")
