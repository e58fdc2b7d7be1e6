"""Whether a passage names the question's names, places, numbers and codes (qa.reading.support)."""

from __future__ import annotations

from qa.folding import TextNormalizer
from qa.reading.support import lacks_named_word, named_words

FOLD = TextNormalizer()


def test_named_words_are_names_places_numbers_and_codes_without_question_words() -> None:
    assert named_words(FOLD("独山港区A4泊位什么时候对外开放？")) == ("独山", "a4")
    assert named_words(FOLD("302省道与525国道平改立工程项目总投资多少？")) == ("302", "525")
    assert named_words(FOLD("平湖市的市长是谁？")) == ("平湖市",)
    assert named_words(FOLD("明天刮什么风，风力几级？")) == ()
    assert named_words(FOLD("What is the population of Jiaxing?")) == ()


def test_traditional_questions_match_simplified_passages_once_folded() -> None:
    words = named_words(FOLD("獨山港區A3泊位的設計年綜合通過能力是多少？"))
    assert words == ("独山", "a3")
    assert not lacks_named_word(words, FOLD("独山港区A3泊位建设等级为3万吨级"))


def test_a_passage_lacking_one_named_word_lacks_support() -> None:
    passage = FOLD("据了解，独山港区A3泊位从 2023年下半年开始试运行。")
    assert lacks_named_word(("独山", "a4"), passage)
    assert not lacks_named_word(("独山", "a3"), passage)
    assert not lacks_named_word((), passage)
