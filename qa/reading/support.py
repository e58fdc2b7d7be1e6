"""Whether a passage names what a question is about: the question's names, places, numbers and codes it lacks.

A span read from a passage that never names the question's berth `A4`, its `盒马嘉兴地区总部` or its year is rarely
the answer, however sure the model is: it answers a neighbouring question. Proper names, numerals and codes are the
words a paraphrase keeps verbatim, so their absence is a cheap, generic sign of a missing answer (the words a
near-miss question swaps, qa.reading.near_miss). It is one more calibration feature (qa.reading.calibration), its
weight fitted on tuning questions, never a rule that vetoes a span.
"""

from __future__ import annotations

import re

from qa.reading.near_miss import MIN_WORD_CHARS, SWAPPABLE_TAGS
from qa.reading.spans import Tagger, tagged_words

# Question words jieba tags as numerals or names (`多少`, `几级`, `哪些项目`): they ask, they name nothing; nor does the
# word right after one (`哪一种`, `什么东西`: a classifier or a noun jieba may tag as a numeral or a place).
_ASKING = re.compile(r"多少|几|哪|什么|谁|多久|怎")
# A word that names something: with a Chinese character or a digit (a bare Latin word is a translation's, not a code).
_NAMING = re.compile(r"[\u4e00-\u9fff\d]")
_DIGIT = re.compile(r"\d")
_NUMERAL_TAG = "m"


def named_words(question: str, tag: Tagger = tagged_words) -> tuple[str, ...]:
    """Return the question's names, places, organizations, numbers written in digits and codes (two characters or
    more), in order, without question words or the word right after one; pass the question folded (qa.folding) to
    match folded passages. Numerals in words (`一种`, `三千年`) are left out: a passage may write them in digits."""
    found: dict[str, None] = {}
    after_asking = False
    for _, _, word, kind in tag(question):
        asking = bool(_ASKING.search(word))
        numeral_in_words = kind == _NUMERAL_TAG and not _DIGIT.search(word)
        if (
            kind in SWAPPABLE_TAGS
            and len(word) >= MIN_WORD_CHARS
            and _NAMING.search(word)
            and not (asking or after_asking or numeral_in_words)
        ):
            found[word] = None
        after_asking = asking
    return tuple(found)


def lacks_named_word(words: tuple[str, ...], folded_passage: str) -> bool:
    """Return True when the (folded) passage lacks one of the question's named words."""
    return any(word not in folded_passage for word in words)
