from bot import geocell
from bot.street_key import house_number, street_key


def test_geohash_matches_the_published_example():
    # The example from the geohash description (Jutland, Denmark).
    assert geocell.encode(57.64911, 10.40744, 11) == "u4pruydqqvj"


def test_cells_searched_cover_every_point_within_the_radius():
    lat, lon = 52.48620, -1.89040
    prefixes = geocell.search_cells(lat, lon, 50)
    ranges = [geocell.cell_range(p) for p in prefixes]
    # Points 49 m away in eight directions (and on the edges of the central cell) are all inside.
    for d_lat, d_lon in ((1, 0), (-1, 0), (0, 1), (0, -1), (0.7, 0.7), (-0.7, 0.7), (0.7, -0.7), (-0.7, -0.7)):
        point = (lat + d_lat * 49 / 111_195, lon + d_lon * 49 / (111_195 * 0.6087))
        assert geocell.distance_m(lat, lon, *point) < 50
        cell = geocell.cell_for(*point)
        assert any(low <= cell < high for low, high in ranges)
    # ...but they are not the whole town.
    far = geocell.cell_for(lat + 0.01, lon)
    assert not any(low <= far < high for low, high in ranges)


def test_larger_radius_uses_larger_cells():
    assert geocell.search_precision(50, 52.5) > geocell.search_precision(500, 52.5)


def test_unusable_coordinates_have_no_cell():
    assert geocell.cell_for(None, "1.0") is None
    assert geocell.cell_for("91", "0") is None
    assert geocell.cell_for("abc", "0") is None


def test_street_key_reads_the_street_whatever_the_wording():
    for text in ("14 Mill Ln, AN1 4GT", "mill lane", "Outside no. 3, Mill Lane", "by the post box on MILL LANE"):
        assert street_key(text) == "mill lane", text
    assert street_key("Mill Road") == "mill road"
    assert street_key("Flat 2, 14a Church St") == "church street"
    assert street_key("Shared location (52.48620, -1.89040)") is None


def test_house_number():
    assert house_number("14 Mill Lane") == "14"
    assert house_number("outside no. 3, Mill Lane") == "3"
    assert house_number("Mill Lane AN1 4GT") is None
