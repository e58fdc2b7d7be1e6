"""Answer edges: a date is answered without the word that follows it, a reason without the word that introduces it.

Texts write `自2023年7月1日起施行`, `6月30日前完成`, `因消防审批延后，工期顺延`; the reader often keeps the 起, 前 or 因
with the span (`2023年7月1日起`, `因消防审批延后`), while the date or the reason itself is what was asked for. For a date
question a trailing time word right after the date is left out; for a reason question a leading cause word is.
"""

from __future__ import annotations

import re

from qa.reading.question import AnswerType

# A time word written right after a date or a time of day (`1日起`, `6:40前`, `3月在`).
_DATE_TAIL = re.compile(r"(?<=[\d日月年时点号])(?:以前|之前|以后|之后|以来|开始|期间|起|前|在|后|止)$")
# A list's summing-up tail: 等 with an optional count and a few characters (`等`, `等12件作品`), or a count and a few
# characters (`三个重点领域`, `4个项目`); not the 等 of `一等奖`, `等级` or `等于`.
_COUNT = r"[0-9一二三四五六七八九十两几多]+"
_CLASSIFIERS = r"[个大项类种家所条座名]"
_LIST_TAIL = re.compile(
    rf"(?:(?<![一二三四五六七八九十\d])(?:等等|等)(?![奖级次同于待候])(?:{_COUNT}{_CLASSIFIERS}*)?[\u4e00-\u9fff]{{0,4}}"
    rf"|{_COUNT}{_CLASSIFIERS}+[\u4e00-\u9fff]{{1,4}})$"
)
_LIST_JOINER = re.compile(r"[、和及与]")
# What a list cut before a last item that starts with a count would end in (`岛式站台和一个侧式站台` -> `岛式站台和`).
_DANGLING_END = re.compile(r"[、，,和及与或的]$")
# A word that introduces a cause (`因`, `由于`, `主要原因是`); longer ones first.
_REASON_HEAD = re.compile(r"^(?:主要是因为|主要是由于|主要原因是|原因是|主要因|主要由于|主要系|因为|由于|鉴于|系|因)")


def trimmed_edges(text: str, start: int, end: int, kind: AnswerType) -> tuple[int, int] | None:
    """Return the [start, end) of text[start:end] without the time word after a date (date questions) or the cause
    word before a reason (reason questions); None when there is none to leave out or nothing would be left."""
    answer = text[start:end]
    if kind == AnswerType.DATE:
        tail = _DATE_TAIL.search(answer)
        return (start, start + tail.start()) if tail and tail.start() > 0 else None
    if kind == AnswerType.REASON:
        head = _REASON_HEAD.match(answer)
        return (start + head.end(), end) if head and head.end() < len(answer) else None
    return None


def list_items(text: str, start: int, end: int, kind: AnswerType) -> tuple[int, int] | None:
    """Return the [start, end) of a list question's answer text[start:end] without its summing-up tail (`等`,
    `等12件作品`, `三个重点领域`); None for another kind of question, an answer without a list joiner before the tail,
    one without such a tail, or one whose tail is its last item (what is left would end in a joiner or 的)."""
    if kind != AnswerType.LIST:
        return None
    answer = text[start:end]
    tail = _LIST_TAIL.search(answer)
    if tail is None or not _LIST_JOINER.search(answer, 0, tail.start()):
        return None
    if _DANGLING_END.search(answer, 0, tail.start()):
        return None
    return start, start + tail.start()
