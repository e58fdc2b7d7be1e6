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


def test_the_word_after_a_question_word_and_numerals_in_words_name_nothing() -> None:
    # jieba cuts 哪一種 into 哪 + 一种 (a numeral) and tags 东西 of 什么东西 as a place
    assert named_words(FOLD("戴維斯盃網球賽和奧運會網球比賽都是比哪一種運動的比賽？")) == ("戴维斯杯",)
    assert named_words(FOLD("恆星的自轉速度與表面重力都可以從什麼東西中測量出來？")) == ("恒星",)
    # a passage may write 三千年 as 3,000年
    assert named_words(FOLD("蘇利南地區於三千年前時什麼族群是此地所有群中最龐大的？")) == ("苏利南",)


def test_traditional_questions_match_simplified_passages_once_folded() -> None:
    words = named_words(FOLD("獨山港區A3泊位的設計年綜合通過能力是多少？"))
    assert words == ("独山", "a3")
    assert not lacks_named_word(words, FOLD("独山港区A3泊位建设等级为3万吨级"))


def test_a_passage_lacking_one_named_word_lacks_support() -> None:
    passage = FOLD("据了解，独山港区A3泊位从 2023年下半年开始试运行。")
    assert lacks_named_word(("独山", "a4"), passage)
    assert not lacks_named_word(("独山", "a3"), passage)
    assert not lacks_named_word((), passage)
