"""Before and after values: reports write a change as `由210张增至340张` and last year's figure as `上年的61.8%`, so
the value a question asks for is read off the way the text writes it.

Asked `留观床位在增加之前有多少张？`, the reader answers `210张增至340张`, or `340张` once tightened: the sentence is
about the change, and the model does not tell its two sides apart. Asked `上年的普通高中录取率是多少？`, it gives this
year's figure beside `上年的61.8%`. When a question asks about before (a previous year, a value before a change), the
answer is the side of a change before its link, or else the candidate the text writes as a before value; when a number
or date question does not, a change's answer is its side after the link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from qa.answers import Candidate
from qa.reading.question import AnswerType
from qa.reading.spans import has_expected_kind

# A question about before: the year before, the state before a change (`调整之前`, `调价前`, `原来`), in Chinese or
# English. A 前 after a date or a time unit is a deadline (`7月1日前`, before June 30), one before a number a rank
# (`前10名`, `前三季度`), and 目前/当前/提前/前往/前沿… are words of their own.
_ASKS_BEFORE = re.compile(
    r"上年|去年|上一[年轮届期次批]|前一年|同期|原来|原先|原本|原有|原计划|原定|原办法|原标准|此前|之前|以前|往年"
    r"|(?<![目当提以之此面向眼空年月日号天周点时分秒期名])前(?![\d一二三四五六七八九十几两百千往进沿列景台排线])"
    r"|last year|previous|prior to|before(?! \d| (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))|originally|used to"
    r"|formerly|a year earlier|the year before"
)
# A change link: a change verb followed by 至/到/为 (`增至`, `提高到`, `缩短为`, `调整为`, `提前至`).
CHANGE_LINK = re.compile(
    r"(?:增加|增长|提高|提升|上升|上调|下调|下降|降低|减少|缩短|延长|扩大|缩小|调整|提前|延后|推迟|压缩|放宽|收紧"
    r"|改|变|升|降|增|减|扩)(?:至|到|为)"
)
# What a text writes right before a value it gives as the earlier one, within its clause.
_BEFORE_MARK = re.compile(r"(?:上年|去年|上一年|前一年|同期|原来|原|此前|以前|之前|由|从)(?:同期)?(?:的|为|是)?$")
_CLAUSE_END = re.compile(r"[，,。；;！!？?：:\n]")
_LEADING_FROM = re.compile(r"^[由从]")
_DIGIT = re.compile(r"\d")
# How far back from a value its before mark may begin (`较上年同期的` is six characters).
_MARK_REACH = 6


def asks_before(question: str) -> bool:
    """Return True when the (folded) question asks about a value before a change or of the year before."""
    return bool(_ASKS_BEFORE.search(question))


def change_sides(text: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Return the [start, end) characters of the two sides of the one change link in the text (the side before it
    less a leading 由/从), or None when the text holds no change link, more than one, or nothing on a side."""
    links = list(CHANGE_LINK.finditer(text))
    if len(links) != 1:
        return None
    link = links[0]
    before_start = 1 if _LEADING_FROM.match(text) else 0
    if link.start() <= before_start or link.end() >= len(text):
        return None
    return (before_start, link.start()), (link.end(), len(text))


def written_before(text: str, start: int, end: int) -> bool:
    """Return True when the text gives its characters [start, end) as a before value: a before mark (上年的, 去年,
    同期, 原, 由 …) ends the clause's text before them, or a change link follows them."""
    clause_start = max((match.end() for match in _CLAUSE_END.finditer(text, 0, start)), default=0)
    lead = text[max(clause_start, start - _MARK_REACH) : start]
    return bool(_BEFORE_MARK.search(lead) or CHANGE_LINK.match(text, end))


def side_asked(text: str, before: bool, number_or_date: bool) -> tuple[int, int] | None:
    """Return the [start, end) of the side of the text's one change that the question asks for: the side before the
    link when it asks about before, the side after it for a number or date question with a digit on both sides;
    None when the text holds no single change or the question asks for neither side."""
    sides = change_sides(text)
    if sides is None:
        return None
    earlier, later = sides
    if before:
        return earlier
    if number_or_date and all(_DIGIT.search(text[s:e]) for s, e in sides):
        return later
    return None


def before_value_first(candidates: list[Candidate], texts: Mapping[str, str], kind: AnswerType) -> list[Candidate]:
    """Return the candidates (of a question about before) with the best one of the asked kind that its passage (texts
    by passage id) writes as a before value put first with the first one's confidence, when the first one is not
    written so; the candidates unchanged otherwise."""

    def before_value(candidate: Candidate) -> bool:
        return written_before(texts[candidate.citation.passage_id], candidate.citation.start, candidate.citation.end)

    if not candidates or before_value(candidates[0]):
        return candidates
    chosen = next((n for n, c in enumerate(candidates[1:], start=1) if has_expected_kind(kind, c.text) and before_value(c)), None)
    if chosen is None:
        return candidates
    return [replace(candidates[chosen], score=candidates[0].score), *candidates[:chosen], *candidates[chosen + 1 :]]
