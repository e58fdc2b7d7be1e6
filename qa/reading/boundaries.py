"""Answer boundaries a reader's tokens get wrong, repaired on the characters of the passage.

A span reader picks token boundaries, and three kinds of cut are wrong whatever the question: a number cut inside its
digits or parted from its `%` (`29.71` of `29.71%`), a bracket or quote opened and never closed (`2.0W/(m²·K` of
`2.0W/(m²·K)`), and a preposition left hanging at either end (`2025年4月21日在`, `为核心技术人员`), which belongs to
the sentence around the answer, not to it. Each repair only moves a boundary by a few characters of the same passage,
so the answer stays a verbatim span.
"""

from __future__ import annotations

import re

from qa.reading.spans import Tagger, tagged_words

_DIGIT = re.compile(r"\d")
_DECIMAL_MARKS = ".．,"
_PERCENT = "%％‰"
# Opening marks and their closers; a closer is looked for this many characters past the answer.
_PAIRS = {"(": ")", "（": "）", "《": "》", "“": "”", "「": "」", "『": "』", "[": "]", "【": "】"}
CLOSER_REACH = 12
_PREPOSITION_TAG = "p"


def repaired(text: str, start: int, end: int, tag: Tagger = tagged_words) -> tuple[int, int]:
    """Return the span [start, end) of the text with its boundaries repaired: the whole number it cuts into (and a
    percent sign right after it), the closer of a bracket or quote it opens, and without a one-character
    preposition at either end of an answer of two words or more; an empty or whole-word span comes back as it is."""
    if start >= end:
        return start, end
    start, end = whole_number(text, start, end)
    start, end = closed(text, start, end)
    return without_hanging_preposition(text, start, end, tag)


def whole_number(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the span grown over the digits (and decimal marks between digits) it starts or ends inside, and over a
    percent or per-mille sign right after a final digit."""
    while start > 0 and _in_number(text, start - 1) and _in_number(text, start):
        start -= 1
    while end < len(text) and _in_number(text, end) and _in_number(text, end - 1):
        end += 1
    if end < len(text) and _DIGIT.match(text[end - 1]) and text[end] in _PERCENT:
        end += 1
    return start, end


def closed(text: str, start: int, end: int, reach: int = CLOSER_REACH) -> tuple[int, int]:
    """Return the span grown to the closer of each bracket or quote it opens more often than it closes, when that
    closer comes within `reach` characters after it."""
    for opener, closer in _PAIRS.items():
        span = text[start:end]
        if span.count(opener) > span.count(closer):
            found = text.find(closer, end, end + reach)
            if found != -1:
                end = found + 1
    return start, end


def without_hanging_preposition(text: str, start: int, end: int, tag: Tagger = tagged_words) -> tuple[int, int]:
    """Return the span without a one-character preposition (jieba's tag `p`: 在, 为, 因, 向…) at its start or its
    end, when the span has two words or more."""
    words = tag(text[start:end])
    if len(words) < 2:
        return start, end
    first, last = words[0], words[-1]
    if first[3] == _PREPOSITION_TAG and len(first[2]) == 1:
        start += 1
    if last[3] == _PREPOSITION_TAG and len(last[2]) == 1:
        end -= 1
    return start, end


def _in_number(text: str, index: int) -> bool:
    """Return whether the character at `index` is a digit, or a decimal mark with a digit on both sides."""
    char = text[index]
    if _DIGIT.match(char):
        return True
    inside = 0 < index < len(text) - 1
    return char in _DECIMAL_MARKS and inside and bool(_DIGIT.match(text[index - 1])) and bool(_DIGIT.match(text[index + 1]))
