"""Courtesy around a report is taken off before classifying; courtesy alone is kept."""

import pytest

from bot.nlu.courtesy import without_courtesy


@pytest.mark.parametrize("text, core", [
    ("Hi there, I think our bin was missed today. Please can it be collected",
     "I think our bin was missed today. Please can it be collected"),
    ("Dear Sir/Madam, pothole on Mill Lane. Many thanks, Sue Smith", "pothole on Mill Lane"),
    ("Please could the recycling bins be emptied? Thank you!", "Please could the recycling bins be emptied?"),
    ("hiya potholes everywhere on ash road cheers", "potholes everywhere on ash road"),
    ("Good morning. Street light out on Elm Road. Kind regards", "Street light out on Elm Road"),
    # Welsh (issue 15)
    ("Prynhawn da, mae'r bin du heb ei gasglu. Diolch yn fawr iawn, Gareth", "mae'r bin du heb ei gasglu"),
    ("Annwyl Syr/Fadam, twll mawr ar Heol y Bont. Yn gywir, Mair Jones", "twll mawr ar Heol y Bont"),
    ("helo 'na, golau stryd allan ar Lôn Goch. Cofion", "golau stryd allan ar Lôn Goch"),
])
def test_courtesy_is_taken_off_a_report(text, core):
    assert without_courtesy(text) == core


@pytest.mark.parametrize("text", ["thanks!", "hello", "Hi thanks", "ta", "thank you so much that is great",
                                  "diolch o galon", "noswaith dda"])
def test_a_message_that_is_only_courtesy_stays_whole(text):
    assert without_courtesy(text) == text


@pytest.mark.parametrize("text", ["Tall tree on Beta Road", "car on pavement thanks ash road", "Hitchin Road sign down",
                                  "Helen Street light out"])
def test_words_that_merely_contain_courtesy_are_kept(text):
    assert without_courtesy(text) == text
