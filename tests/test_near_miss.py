"""Near-miss questions: the same question about a neighbouring thing, made unanswerable by one swapped word."""

from __future__ import annotations

from qa.reading.near_miss import near_miss_questions, swappable_words, word_shape


def fake_tag(text: str) -> list[tuple[int, int, str, str]]:
    """Tag the words of a space-free text from a fixed lexicon (longest first), other characters one by one as `x`."""
    lexicon = {"A3": "eng", "A4": "eng", "独山港": "ns", "乍浦港": "ns", "周军波": "nr", "仲旭东": "nr", "2023": "m", "1998": "m"}
    words, position = [], 0
    while position < len(text):
        word = next((w for w in sorted(lexicon, key=len, reverse=True) if text.startswith(w, position)), text[position])
        words.append((position, position + len(word), word, lexicon.get(word, "x")))
        position += len(word)
    return words


def test_word_shape_keeps_numerals_latin_and_length_apart() -> None:
    assert [word_shape(w) for w in ("A3", "2023", "PCX", "周军波", "独山港区")] == ["digits", "digits", "latin", "3", "4"]


def test_swappable_words_are_proper_names_and_numbers_the_context_holds() -> None:
    words = swappable_words("独山港A3泊位哪年启用", "独山港A3泊位2023年启用", fake_tag)
    assert [(w[2], w[3]) for w in words] == [("独山港", "ns"), ("A3", "eng")]


def test_a_near_miss_swaps_the_first_such_word_for_one_of_the_same_kind_its_context_lacks() -> None:
    items = [
        ("a", "独山港A3泊位哪年启用", "独山港A3泊位2023年启用"),
        ("b", "乍浦港有几个泊位", "乍浦港有十个泊位"),
        ("c", "周军波是谁", "市长周军波"),
    ]
    made = near_miss_questions(items, fake_tag)
    assert made == {"a": "乍浦港A3泊位哪年启用", "b": "独山港有几个泊位"}


def test_no_replacement_of_the_same_shape_means_no_near_miss() -> None:
    assert near_miss_questions([("a", "A3泊位在哪", "A3泊位在独山"), ("b", "周军波是谁", "市长周军波")], fake_tag) == {}
