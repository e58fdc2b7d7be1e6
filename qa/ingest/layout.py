"""Newspaper layout: find the articles of a document, their titles, bylines and paragraphs.

PDF-extracted newspaper text comes in column order, not reading order: bylines (`■记者 …`) and
`本报讯` leads open an article, headlines are often printed after its body, blank lines can be
column breaks inside a sentence, and page furniture sits between articles. This module turns
cleaned source lines into `Article` records; it never rewrites characters.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from itertools import chain
from typing import cast

from qa.ingest.source import SourceDocument
from qa.ingest.text import TracedText, close_letter_spacing, join_wrapped_lines, undouble

_ROLES = "见习记者|实习记者|特约记者|首席记者|本报记者|记者|通讯员|实习生|摄影|摄像"
_BYLINE = re.compile(rf"^[■□◆]\s*(?:{_ROLES})")
_ROLE_LINE = re.compile(rf"^(?:{_ROLES})")
_ROLE_PREFIX = re.compile(rf"^({_ROLES})(.*)$")
_LEAD = re.compile(r"^(?:本报讯|本报\S{1,12}讯|新华社\S{1,20}电)\s*")
_FURNITURE = re.compile(r"^(?:扫一扫\s*看视频|扫一扫|扫码看视频|扫码阅读|(?:本版)?责任编辑\S*|版式\S*|校对\S*|美编\S*|第\s*\d+\s*版)$")
_CAPTION = re.compile(r"^(?:图为|▲|△|上图|下图|左图|右图|图[：:])|[（(][^（()）]{0,20}摄[）)]$")
_HEADLINE_MAX_CHARS = 32
_HEADLINE_MAX_LINES = 3


@dataclass(frozen=True)
class Contributor:
    """A person credited in a byline, with the role printed before the name (记者, 通讯员, 摄影 …)."""

    role: str
    name: str


@dataclass(frozen=True)
class Article:
    """One article of a document: number (from 1), title, byline and paragraphs in reading order."""

    number: int
    title: str | None
    contributors: tuple[Contributor, ...]
    paragraphs: tuple[TracedText, ...]


@dataclass(frozen=True)
class _Byline:
    contributors: tuple[Contributor, ...]


@dataclass(frozen=True)
class _Heading:
    text: str


@dataclass(frozen=True)
class _Block:
    lines: tuple[TracedText, ...]
    lead: bool


_Unit = _Byline | _Heading | _Block


def clean_line(line: TracedText) -> TracedText:
    """Return a source line stripped, with PDF letter-spacing closed and bold doubling repaired."""
    return undouble(close_letter_spacing(line.strip()))


def parse_byline(text: str) -> tuple[Contributor, ...]:
    """Return the people named in a byline line such as `■记者 林旭东 通讯员 吴慧婷` or `摄影王强`."""
    contributors: list[Contributor] = []
    role = ""
    for token in text.lstrip("■□◆").split():
        match = _ROLE_PREFIX.match(token)
        if match:
            role, token = match.group(1), match.group(2)
        if token:
            contributors.append(Contributor(role, token))
    return tuple(contributors)


def find_articles(document: SourceDocument) -> tuple[Article, ...]:
    """Return the articles of a document, with titles, contributors and reflowed paragraphs."""
    units = _merge_column_breaks(_units(document))
    headline = _headline_flags(units)
    builder = _ArticleBuilder()
    index = 0
    while index < len(units):
        if not headline[index]:
            builder.add(units[index])
            index += 1
            continue
        group_end = index
        while group_end < len(units) and headline[group_end]:
            group_end += 1
        following = units[group_end] if group_end < len(units) else None
        builder.headlines([_headline_text(units[i]) for i in range(index, group_end)], following)
        index = group_end
    return builder.finish()


def _headline_flags(units: list[_Unit]) -> list[bool]:
    """Return, per unit, whether it is a headline: a short unfinished block before an article opener.

    The opener (a byline, a heading, a `本报讯` lead, the end of the document or another headline)
    is what tells a headline printed after its article from a column fragment of body text.
    """
    flags = [False] * len(units)
    opener_follows = True
    for index in range(len(units) - 1, -1, -1):
        unit = units[index]
        flags[index] = opener_follows and isinstance(unit, _Block) and _is_headline(unit)
        opener_follows = flags[index] or not isinstance(unit, _Block) or unit.lead
    return flags


def _headline_text(unit: _Unit) -> str:
    assert isinstance(unit, _Block)
    return " ".join(line.text for line in unit.lines)


def _units(document: SourceDocument) -> list[_Unit | None]:
    """Return bylines, headings and text blocks in order; None marks a blank line."""
    units: list[_Unit | None] = []
    block: list[TracedText] = []
    block_lead = False
    in_byline = False

    def close_block() -> None:
        nonlocal block, block_lead
        if block:
            units.append(_Block(tuple(block), block_lead))
        block, block_lead = [], False

    for source_line in document.lines:
        line = clean_line(TracedText.from_line(source_line))
        if not line.text:
            close_block()
            in_byline = False
            units.append(None)
            continue
        if _FURNITURE.match(line.text) or _CAPTION.search(line.text):
            continue
        if source_line.heading:
            close_block()
            in_byline = False
            units.append(_Heading(line.text))
            continue
        if _BYLINE.match(line.text) or (in_byline and _ROLE_LINE.match(line.text)):
            close_block()
            contributors = parse_byline(line.text)
            previous = units[-1] if units else None
            if in_byline and isinstance(previous, _Byline):
                units[-1] = _Byline(previous.contributors + contributors)
            else:
                units.append(_Byline(contributors))
            in_byline = True
            continue
        in_byline = False
        lead = _LEAD.match(line.text)
        if lead:
            close_block()
            block_lead = True
            line = line.slice(lead.end(), len(line))
        block.append(line)
    close_block()
    return units


def _merge_column_breaks(units: list[_Unit | None]) -> list[_Unit]:
    """Return the units with blank-line column breaks inside a sentence joined back together.

    Units are grouped first and each group's lines joined once, so a long run of breaks stays linear.
    """
    groups: list[list[_Unit]] = []
    previous: _Unit | None = None
    blank_before = False
    for unit in units:
        if unit is None:
            blank_before = True
            continue
        if (
            blank_before
            and isinstance(unit, _Block)
            and not unit.lead
            and isinstance(previous, _Block)
            and not previous.lines[-1].ends_sentence()
        ):
            groups[-1].append(unit)
        else:
            groups.append([unit])
        previous, blank_before = unit, False
    return [group[0] if len(group) == 1 else _joined(cast(list[_Block], group)) for group in groups]


def _joined(blocks: list[_Block]) -> _Block:
    """Return one block of the lines of a group (a group of more than one unit holds only blocks), led as its first."""
    return _Block(tuple(chain.from_iterable(b.lines for b in blocks)), blocks[0].lead)


def _is_headline(block: _Block) -> bool:
    """Return True for a short block of short lines none of which ends a sentence."""
    return (
        not block.lead
        and len(block.lines) <= _HEADLINE_MAX_LINES
        and all(len(line) <= _HEADLINE_MAX_CHARS and not line.ends_sentence() for line in block.lines)
    )


def _paragraphs(block: _Block) -> list[TracedText]:
    """Return the paragraphs of a block: a sentence-ending line clearly shorter than the column ends one."""
    widths = [_width(line) for line in block.lines]
    column = statistics.median(widths) if len(widths) >= 3 else max(widths)
    paragraphs: list[TracedText] = []
    current: list[TracedText] = []
    for line in block.lines:
        current.append(line)
        if line.ends_sentence() and _width(line) <= 0.8 * column:
            paragraphs.append(join_wrapped_lines(current))
            current = []
    rest = join_wrapped_lines(current)
    if rest.text:
        paragraphs.append(rest)
    return paragraphs


def _width(line: TracedText) -> int:
    """Return how far across the page a line reaches: its last column, counting a stripped lead."""
    return line.positions[-1][1] + 1


@dataclass
class _ArticleBuilder:
    """Collects units into articles; the one mutable helper of this module, local to one call."""

    articles: list[Article] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    contributors: tuple[Contributor, ...] = ()
    paragraphs: list[TracedText] = field(default_factory=list)

    def add(self, unit: _Unit) -> None:
        if isinstance(unit, _Byline):
            if self.paragraphs or self.contributors:
                self._start()
            self.contributors += unit.contributors
        elif isinstance(unit, _Heading):
            if self.paragraphs:
                self._start()
            self.titles.append(unit.text)
        else:
            if unit.lead and self.paragraphs:
                self._start()
            self.paragraphs.extend(_paragraphs(unit))

    def headlines(self, lines: list[str], following: _Unit | None) -> None:
        """Attach a headline group to the article it belongs to, judged by what follows it."""
        opens_article = (
            following is None or isinstance(following, (_Byline, _Heading)) or (isinstance(following, _Block) and following.lead)
        )
        if self.paragraphs and not (opens_article and not self.titles):
            self._start()
        self.titles.extend(lines)

    def _start(self) -> None:
        if self.paragraphs:
            self.articles.append(
                Article(
                    len(self.articles) + 1,
                    " ".join(self.titles) or None,
                    self.contributors,
                    tuple(self.paragraphs),
                )
            )
        self.titles, self.contributors, self.paragraphs = [], (), []

    def finish(self) -> tuple[Article, ...]:
        self._start()
        return tuple(self.articles)
