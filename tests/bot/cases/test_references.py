import re

from bot.cases import references


def test_new_references_are_readable_and_valid():
    seen = set()
    for _ in range(2000):
        ref = references.new_reference()
        assert re.fullmatch(r"[2-9A-HJ-NP-TV-Z]{4}-[2-9A-HJ-NP-TV-Z]{4}", ref)
        assert not set(ref) & set("01IOU")
        assert any(ch.isdigit() for ch in ref)  # so free text can always find it
        assert references.is_valid(ref)
        seen.add(ref)
    assert len(seen) == 2000


def test_typed_variants_normalise_to_the_same_reference():
    ref = references.new_reference()
    compact = ref.replace("-", "")
    assert references.normalise(compact.lower()) == ref
    assert references.normalise(f"{compact[:4]} {compact[4:]}") == ref


def test_every_single_typo_and_neighbour_swap_is_detected():
    assert len(references.ALPHABET) == 31
    for _ in range(200):
        ref = references.new_reference().replace("-", "")
        for position in range(len(ref)):
            for ch in references.ALPHABET:
                if ch != ref[position]:
                    assert not references.is_valid(ref[:position] + ch + ref[position + 1:])
        for position in range(len(ref) - 1):
            swapped = ref[:position] + ref[position + 1] + ref[position] + ref[position + 2:]
            if swapped != ref:
                assert not references.is_valid(swapped), (ref, swapped)


def test_look_alike_characters_are_not_references():
    assert references.normalise("AB0K-3FQ2") is None
    assert references.normalise("ABIK-3FQ2") is None


def test_candidates_need_a_digit_so_words_are_ignored():
    assert references.find_candidates("POTHOLES everywhere") == []
    ref = references.new_reference()
    typed = ref.lower().replace("-", " ")
    assert references.find_candidates(f"whats happening with {typed}?")[0] == ref
    assert references.find_candidates(f"update on {ref} please")[0] == ref


def test_valid_among_gives_only_valid_references_in_canonical_form():
    good = references.new_reference()
    broken = good[:-1] + ("A" if good[-1] != "A" else "B")
    typed = [broken, good.lower().replace("-", " "), "not a reference"]
    assert list(references.valid_among(typed)) == [good]
