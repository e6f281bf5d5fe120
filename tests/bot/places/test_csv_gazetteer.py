"""Loading the council's street list from CSV (bot/places/csv_gazetteer.py)."""

from pathlib import Path

import pytest

from bot.places.coordinates import latlon_to_grid
from bot.places.csv_gazetteer import CsvGazetteer, GazetteerError, read_streets
from bot.places.gazetteer import Gazetteer
from bot.settings import PROJECT_ROOT

HEADER = "street,locality,town,usrn,uprn,postcode,latitude,longitude,easting,northing\n"


def write(tmp_path: Path, rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "gazetteer.csv"
    path.write_text(header + rows, encoding="utf-8")
    return path


def test_latitude_longitude_and_easting_northing_rows_both_load(tmp_path):
    easting, northing = latlon_to_grid(52.2010, -1.4440)
    path = write(tmp_path, "Mill Lane,Northfield,Anytown,38000001,,AN1 4GT,52.2130,-1.4820,,\n"
                           f"Mill Lane,Easton,Anytown,38000002,,AN4 2LP,,,{easting:.1f},{northing:.1f}\n")
    northfield, easton = read_streets(path)
    assert (northfield.latitude, northfield.longitude) == (52.213, -1.482)
    # Converted back from the British National Grid by pyproj: within a metre or so.
    assert easton.latitude == pytest.approx(52.2010, abs=1e-5) and easton.longitude == pytest.approx(-1.4440, abs=1e-5)
    assert easton.usrn == "38000002" and easton.postcodes == ("AN4 2LP",)


def test_a_real_ordnance_survey_grid_reference_lands_where_it_should(tmp_path):
    # TQ 30034 80034 is by Charing Cross, London (51.5073, -0.1276 give or take).
    path = write(tmp_path, "Strand,Westminster,London,,,,,,530034,180381\n")
    [street] = read_streets(path)
    assert street.latitude == pytest.approx(51.508, abs=0.002) and street.longitude == pytest.approx(-0.125, abs=0.003)


def test_rows_of_one_street_and_locality_make_one_street(tmp_path):
    path = write(tmp_path, "Mill Lane,Northfield,Anytown,38000001,,AN1 4GU,52.2,-1.4,,\n"
                           "Mill Lane,Northfield,Anytown,38000001,10023456781,AN1 4GT,52.4,-1.6,,\n"
                           "mill lane,Northfield,Anytown,,,AN1 4GT,52.3,-1.5,,\n")
    [street] = read_streets(path)
    assert street.postcodes == ("AN1 4GT", "AN1 4GU")
    assert (street.latitude, street.longitude) == (pytest.approx(52.3), pytest.approx(-1.5))


def test_columns_may_come_in_any_order_and_town_stands_in_for_a_missing_locality(tmp_path):
    path = write(tmp_path, "52.2,-1.4,Kingsway,,Anytown\n", header="latitude,longitude,street,locality,town\n")
    [street] = read_streets(path)
    assert (street.name, street.locality, street.usrn, street.postcodes) == ("Kingsway", "Anytown", None, ())


@pytest.mark.parametrize("row, problem", [
    (",Northfield,Anytown,1,,,52.2,-1.4,,", "line 3: street is empty"),
    ("Mill Lane,,,1,,,52.2,-1.4,,", "line 3: locality is empty"),
    ("Mill Lane,Northfield,Anytown,12x,,,52.2,-1.4,,", "line 3: usrn '12x' is not a number"),
    ("Mill Lane,Northfield,Anytown,1,1234567890123,,52.2,-1.4,,", "line 3: uprn '1234567890123'"),
    ("Mill Lane,Northfield,Anytown,1,,AN1,52.2,-1.4,,", "line 3: postcode 'AN1' is not a full UK postcode"),
    ("Mill Lane,Northfield,Anytown,1,,,,,,", "line 3: no position"),
    ("Mill Lane,Northfield,Anytown,1,,,52.2,,,", "line 3: latitude and longitude must both be given"),
    ("Mill Lane,Northfield,Anytown,1,,,,,430000,", "line 3: easting and northing must both be given"),
    ("Mill Lane,Northfield,Anytown,1,,,52.2,-1.4,430000,260000", "line 3: give latitude/longitude or easting"),
    ("Mill Lane,Northfield,Anytown,1,,,north,-1.4,,", "line 3: latitude 'north' is not a number"),
    ("Mill Lane,Northfield,Anytown,1,,,48.8,2.35,,", "line 3: position (48.80000, 2.35000) is not in the UK"),
    ("Mill Lane,Northfield,Anytown,1,,,,,9000000,260000", "line 3: easting/northing (9e+06, 260000) is outside"),
    ("Mill Lane,Northfield,Anytown,2,,,52.2,-1.4,,", "line 3: Mill Lane, Northfield already has usrn 1, not 2"),
])
def test_a_bad_row_is_named_with_its_line_number(tmp_path, row, problem):
    good = "Mill Lane,Northfield,Anytown,1,,AN1 4GT,52.2,-1.4,,\n"
    path = write(tmp_path, good + row + "\n")
    with pytest.raises(GazetteerError) as error:
        read_streets(path)
    assert problem in str(error.value)
    assert str(path) in str(error.value)


def test_every_bad_row_is_listed_not_just_the_first(tmp_path):
    path = write(tmp_path, "Mill Lane,Northfield,Anytown,x,,,52.2,-1.4,,\n"
                           "Elm Close,Southgate,Anytown,2,,,52.2,-1.4,,\n"
                           "Kingsway,Easton,Anytown,3,,,,,,\n")
    with pytest.raises(GazetteerError, match=r"line 2: usrn 'x'.*; line 4: no position"):
        read_streets(path)


def test_a_missing_column_or_file_or_empty_file_is_explained(tmp_path):
    with pytest.raises(GazetteerError, match="line 1: the header has no locality column"):
        read_streets(write(tmp_path, "Mill Lane,52.2,-1.4\n", header="street,latitude,longitude\n"))
    with pytest.raises(GazetteerError, match="cannot be read"):
        read_streets(tmp_path / "missing.csv")
    with pytest.raises(GazetteerError, match="no streets"):
        read_streets(write(tmp_path, ""))


def test_the_demo_gazetteer_loads_and_is_a_gazetteer():
    gazetteer = CsvGazetteer.load(PROJECT_ROOT / "council" / "gazetteer.csv")
    assert isinstance(gazetteer, Gazetteer)
    assert len(gazetteer) == 400
    assert gazetteer.by_usrn("38000001").label == "Mill Lane, Northfield"


def test_the_demo_generator_writes_the_committed_file(tmp_path):
    """`python -m bot.places.demo` is deterministic: it rewrites council/gazetteer.csv byte for byte."""
    from bot.places import demo

    demo.write(tmp_path / "demo.csv", 400)
    assert (tmp_path / "demo.csv").read_bytes() == (PROJECT_ROOT / "council" / "gazetteer.csv").read_bytes()
