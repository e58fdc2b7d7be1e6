"""Siblings: a sentence that names another of what the question names answers a neighbouring question.

Documents write things of one kind side by side: bus routes 215路 and 216路, the first and the second 届 of a festival,
berths A3 and A4, phases 一期 and 二期, the years of a comparison, 国内 and 国际 flights. A question about one of them often
finds the sentence about another first: every word around the answer matches but the one that tells them apart. When the
sentence of a span names a sibling of an identifier of the question (another code or ordinal of the same kind before the
same character, or the other of a complementary pair) and not the identifier itself, the span answers the sibling's
question, not this one (unless the question names that one too). A sibling right after a comparison word (`比2022年提高`,
`低于2024年的`) is the reference of a comparison, not what the sentence is about, and does not count; an identifier within a
range or a list the sentence writes (`2025—2027年`, `4号至6号馆`) is named there.

Titles are siblings too: a question about the holder of one (`…的董事长是谁？`) is not answered by a sentence naming only
another (`总经理林启航`). Those are looked for in the question as its user wrote it, since a gloss of an English question
writes several Chinese renderings of one word (`leader（队长、带头人）`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# `首届`, `首批` are the first of their kind: read as `第一届`, `第一批` on both sides, so that `第二届` is their sibling.
_FIRST = re.compile(r"首(?=[届批期次轮号])")
_HAN = r"[\u4e00-\u9fff]"
_DECIMAL = r"\d+(?:\.\d+)?"
_NUMERALS = "一二三四五六七八九十"
_EDGE = rf"(?<![0-9A-Za-z.{_NUMERALS}两])"
# What joins an identifier to the next one of a range or a list before their shared unit (`2025—2027年`, `4、5号`).
_JOINER = r"[—–\-~～至到、和及与/]"
_COMPARED = re.compile(r"(?:比|较|低于|高于|少于|多于|超过|不足)$")
# Complementary pairs: a question names one, a sentence the other.
_PAIRS = (("国内", "国际"), ("境内", "境外"), ("男子", "女子"), ("男性", "女性"), ("上半年", "下半年"), ("进城", "出城"))
# Titles of the people a text names: a question asking who holds one is not answered by a sentence naming another.
_TITLE_NAMES = (
    "董事长 总经理 总裁 行长 局长 主任 组长 校长 院长 书记 市长 县长 区长 镇长 乡长 主席 秘书长 部长 处长 科长 站长 馆长 所长 "
    "队长 理事长 会长 厂长 园长 社长 主编 总编辑 总工程师 总监 指挥长 董事会秘书"
).split()
_TITLE = re.compile("|".join(sorted({f"副{title}" for title in _TITLE_NAMES} | set(_TITLE_NAMES), key=len, reverse=True)))


@dataclass(frozen=True)
class _Kind:
    """A kind of identifier: the pattern of one, and which units (the character after it) make it one."""

    pattern: str
    # None: any character after it; else the units it must stand before, unless 第 stands before it.
    units: str | None = None


# A code with a numeral (`216`, `A3`, `T1`), a code of letters alone (`A`, `C`), an ordinal in words (`二期`, `第三批`;
# without 第 only before a unit that orders, not `一年` or `每一科`). A sibling is another identifier of the same kind.
_KINDS = (
    _Kind(rf"[A-Za-z]{{0,3}}{_DECIMAL}[A-Za-z]{{0,2}}"),
    _Kind(r"[A-Za-z]{1,3}(?![A-Za-z\d])"),
    _Kind(rf"[{_NUMERALS}]+", units="期批届级季号类档轮阶组包段标次"),
)


def _identifiers(question: str, kind: _Kind) -> list[tuple[str, str]]:
    found = []
    for match in re.finditer(rf"(第?){_EDGE}({kind.pattern})({_HAN})", question):
        ordered, ident, unit = match.groups()
        if kind.units is None or ordered or unit in kind.units:
            found.append((ident, unit))
    return found


def _number(ident: str) -> float | None:
    return float(ident) if re.fullmatch(_DECIMAL, ident) else None


def _names(sentence: str, ident: str, unit: str) -> bool:
    if re.search(rf"{_EDGE}{re.escape(ident)}(?:{_JOINER}[^，。；]{{0,12}})?{re.escape(unit)}", sentence):
        return True
    value = _number(ident)
    if value is None:
        return False
    for low, high in re.findall(rf"{_EDGE}({_DECIMAL}){re.escape(unit)}?{_JOINER}({_DECIMAL}){re.escape(unit)}", sentence):
        if float(low) <= value <= float(high):
            return True
    return False


def _sibling(sentence: str, kind: _Kind, asked: list[tuple[str, str]], unit: str) -> str | None:
    for match in re.finditer(rf"{_EDGE}({kind.pattern}){re.escape(unit)}", sentence):
        if (match.group(1), unit) not in asked and not _COMPARED.search(sentence, 0, match.start()):
            return match.group(0)
    return None


def _titles(text: str) -> set[str]:
    return {match.group(0) for match in _TITLE.finditer(text)}


def sibling_named(question: str, sentence: str) -> str | None:
    """Return the sibling the sentence names instead of an identifier of the question (`215路` for a question about
    `216路`, `国际` for one about `国内`), or None when it names every identifier of the question that it names a
    sibling of; pass both folded (qa.folding)."""
    question, sentence = _FIRST.sub("第一", question), _FIRST.sub("第一", sentence)
    for kind in _KINDS:
        asked = _identifiers(question, kind)
        for ident, unit in asked:
            if not _names(sentence, ident, unit):
                sibling = _sibling(sentence, kind, asked, unit)
                if sibling:
                    return sibling
    for one, other in _PAIRS:
        for word, sibling_word in ((one, other), (other, one)):
            if word in question and word not in sentence and sibling_word in sentence:
                return sibling_word
    return None


def sibling_title(question: str, sentence: str) -> str | None:
    """Return a title the sentence names when the question asks about the holder of other titles and the sentence names
    none of them (`总经理` in a sentence for `…的董事长是谁？`), else None; pass the question as its user wrote it (not
    glossed: a gloss of `leader` writes titles the user never asked) and both folded (qa.folding)."""
    asked, named = _titles(question), _titles(sentence)
    if not asked or asked & named:
        return None
    return min(named, default=None)
