"""Range ends: a date question asking when something starts or when it ends is answered by that end of a range.

Notices write periods as ranges (`2025年4月1日至11月30日`, `7月6日9:00至7月9日17:00`), and a question often asks for one
end only (`从哪一天开始受理？`, `截止到什么时候？`, `When does registration close?`). Reading the sentence about the
period, the model puts its mass on the whole range. When a date question asks for the start or for the end (not both)
and its answer is one range, two sides each with a date or a time of day joined by 至/到/—/~ outside any brackets and
with no clause break, the answer is the side asked for.
"""

from __future__ import annotations

import re

_JOINER = re.compile(r"至|到|—|－|~|～")
# Each side of a period holds a date or a time of day (`10至15分钟` is a duration, not a period).
_DATE_OR_TIME = re.compile(r"\d\s*[年月日号时点:：]|[年月日号时点]\s*$|星期|周[一二三四五六日]")
# A span with a clause break (`11月4日揭幕，持续至12月31日`) says more than a period.
_CLAUSE_BREAK = re.compile(r"[，,；;。、]")
_OPENING, _CLOSING = "（(《“‘「【[", "）)》”’」】]"
_ASKS_START = re.compile(
    r"开始|起始|从哪|从什么|哪天起|什么时候起|何时起|首日|第一天|开幕|启动|\bfrom\b|\bstarts?\b|\bbegins?\b|\bopens?\b", re.IGNORECASE
)
_ASKS_END = re.compile(
    r"截止|结束|截至|到哪|到什么时候|最后一天|闭幕|为止|\buntil\b|\bends?\b|\bdeadline|\bcloses?\b|\blast day", re.IGNORECASE
)


def _joiners(span: str) -> list[re.Match[str]]:
    """Return the joiners of the span that stand outside every bracket and quote."""
    depth, found = 0, []
    for position, character in enumerate(span):
        if character in _OPENING:
            depth += 1
        elif character in _CLOSING:
            depth = max(depth - 1, 0)
        elif depth == 0:
            match = _JOINER.match(span, position)
            if match:
                found.append(match)
    return found


def range_end(text: str, start: int, end: int, question: str) -> tuple[int, int] | None:
    """Return the [start, end) characters of the end of the range text[start:end] that a date question asks for (its
    start, or its end), or None when the question asks for neither or both, or the span is not one range of two sides
    that each hold a date or a time of day."""
    asks_start, asks_end = bool(_ASKS_START.search(question)), bool(_ASKS_END.search(question))
    if asks_start == asks_end:
        return None
    span = text[start:end]
    if _CLAUSE_BREAK.search(span):
        return None
    joiners = _joiners(span)
    if len(joiners) != 1:
        return None
    joiner = joiners[0]
    first, second = span[: joiner.start()], span[joiner.end() :]
    if not (_DATE_OR_TIME.search(first) and _DATE_OR_TIME.search(second)):
        return None
    return (start, start + joiner.start()) if asks_start else (start + joiner.end(), end)
