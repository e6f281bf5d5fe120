import re

from bot.backoffice import references


def test_new_references_are_readable_and_valid():
    seen = set()
    for _ in range(2000):
        ref = references.new_reference()
        assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", ref)
        assert not set(ref) & set("01IO")
        assert references.is_valid(ref)
        seen.add(ref)
    assert len(seen) == 2000


def test_typed_variants_normalise_to_the_same_reference():
    ref = references.new_reference()
    compact = ref.replace("-", "")
    assert references.normalise(compact.lower()) == ref
    assert references.normalise(f"{compact[:4]} {compact[4:]}") == ref


def test_single_typos_and_swaps_are_detected():
    ref = references.new_reference().replace("-", "")
    for position in range(len(ref)):
        for ch in references.ALPHABET:
            if ch == ref[position]:
                continue
            typo = ref[:position] + ch + ref[position + 1:]
            if references.is_valid(typo):
                # The weighted check misses only a few substitutions; none may be common.
                assert (position + 1) % 2 == 0
    for position in range(len(ref) - 1):
        swapped = ref[:position] + ref[position + 1] + ref[position] + ref[position + 2:]
        if swapped != ref:
            assert not references.is_valid(swapped)


def test_look_alike_characters_are_not_references():
    assert references.normalise("AB0K-3FQ2") is None
    assert references.normalise("ABIK-3FQ2") is None


def test_candidates_need_a_digit_so_words_are_ignored():
    assert references.find_candidates("POTHOLES everywhere") == []
    ref = references.new_reference()
    typed = ref.lower().replace("-", " ")
    assert references.find_candidates(f"whats happening with {typed}?")[0] == ref
    assert references.find_candidates(f"update on {ref} please")[0] == ref
