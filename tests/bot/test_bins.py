from datetime import date

from bot.bins import BinSchedule


def test_match_bin_type_from_what_residents_say():
    schedule = BinSchedule.load()
    assert schedule.match_bin_type("the green one").key == "garden_waste"
    assert schedule.match_bin_type("RECYCLING").key == "recycling"
    assert schedule.match_bin_type("black bin").key == "general_waste"
    assert schedule.match_bin_type("food caddy").key == "food_waste"
    assert schedule.match_bin_type("garden_waste").key == "garden_waste"
    assert schedule.match_bin_type("the big one") is None
    # Welsh, mutated forms too (issue 15).
    assert schedule.match_bin_type("y bin du").key == "general_waste"
    assert schedule.match_bin_type("sach ddu").key == "general_waste"
    assert schedule.match_bin_type("fin ailgylchu").key == "recycling"
    assert schedule.match_bin_type("y bin gwyrdd").key == "garden_waste"
    assert schedule.match_bin_type("fy nghadi bwyd").key == "food_waste"


def test_next_collections_fall_on_the_districts_day_and_alternate_fortnightly():
    schedule = BinSchedule.load()
    today = date(2026, 11, 26)  # a Thursday
    collections = schedule.next_collections("AN1 4GT", today)  # AN1: Monday
    assert {c.on.strftime("%A") for c in collections} == {"Monday"}
    by_type = {c.bin_type.key: c.on for c in collections}
    assert by_type["food_waste"] == date(2026, 11, 30)
    assert abs((by_type["general_waste"] - by_type["recycling"]).days) == 7
    assert all(c.on >= today for c in collections)


def test_sector_overrides_district():
    schedule = BinSchedule.load()
    assert schedule.collection_day("AN6 5AB") == "Tuesday"
    assert schedule.collection_day("AN6 4AB") == "Monday"
    assert schedule.collection_day("ZZ1 1ZZ") is None


def test_every_bin_has_its_name_in_every_catalogue_language_and_the_english_is_the_councils():
    """A Welsh resident reads each bin's Welsh name (bin days, read-backs): a bin added to
    council/bins.yml without its names in bot/messages/catalogue.yml fails here."""
    from bot import messages

    for bin_type in BinSchedule.load().bin_types:
        assert messages.languages_of(f"bin_type.{bin_type.key}") == ["en", "cy"], bin_type.key
        assert bin_type.name_in("en") == bin_type.name
        assert bin_type.name_in("cy") != bin_type.name
    assert BinSchedule.load().by_key("recycling").name_in("cy") == "bin glas (ailgylchu)"


def test_a_bin_without_catalogue_names_keeps_the_councils_name():
    from bot.bins import BinType

    assert BinType("brown_box", "brown box (textiles)", ("brown",), 4, 0).name_in("cy") == "brown box (textiles)"
