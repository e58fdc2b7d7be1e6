"""Cut the paragraphs of an article into passages of about a paragraph, never across articles."""

from __future__ import annotations

import re

import sentencex

from qa.ingest.layout import Article
from qa.ingest.text import CLOSING_MARKS, SENTENCE_END, TracedText, is_cjk
from qa.records import Passage, provenance_runs

MAX_PASSAGE_CHARS = 350
MIN_PASSAGE_CHARS = 100

_SENTENCE = re.compile(rf"[^{SENTENCE_END}]*[{SENTENCE_END}]+[{re.escape(CLOSING_MARKS)}]*|[^{SENTENCE_END}]+$")
_CLAUSE = re.compile(r"[^，,、：:]*[，,、：:]+|[^，,、：:]+$")


def article_passages(article: Article, document: str) -> list[Passage]:
    """Return the passages of one article of `document`, with ids `<document>#<article>.<n>` (n from 1)."""
    pieces = [piece for paragraph in article.paragraphs for piece in _fit(paragraph)]
    texts: list[TracedText] = []
    for piece in pieces:
        previous = texts[-1] if texts else None
        if previous is not None and len(previous) < MIN_PASSAGE_CHARS and len(previous) + 1 + len(piece) <= MAX_PASSAGE_CHARS:
            texts[-1] = _join_paragraphs(previous, piece)
        else:
            texts.append(piece)
    reporters = tuple(contributor.name for contributor in article.contributors)
    return [
        Passage(
            id=f"{document}#{article.number}.{number}",
            document=document,
            article=article.number,
            title=article.title,
            reporters=reporters,
            text=text.text,
            provenance=provenance_runs(text.positions),
        )
        for number, text in enumerate(texts, start=1)
    ]


def split_sentences(text: TracedText) -> list[TracedText]:
    """Return the sentences of a text, each keeping its end mark and closing quotes.

    Latin-script text (more ASCII letters than CJK characters) is cut by sentencex, which knows
    abbreviations and decimal points (`Dr. Smith`, `9.50 euros`); other text at CJK end marks.
    """
    if _is_latin_script(text.text):
        bounds = sentencex.get_sentence_boundaries("en", text.text)
        return [text.slice(b["start_index"], b["end_index"]) for b in bounds if text.text[b["start_index"] : b["end_index"]].strip()]
    return _split(text, _SENTENCE)


def _is_latin_script(text: str) -> bool:
    latin = sum(1 for char in text if char.isascii() and char.isalpha())
    return latin > sum(1 for char in text if is_cjk(char))


def _fit(paragraph: TracedText) -> list[TracedText]:
    """Return the paragraph as pieces of at most MAX_PASSAGE_CHARS, cut at sentence ends if possible."""
    if len(paragraph) <= MAX_PASSAGE_CHARS:
        return [paragraph]
    units: list[TracedText] = []
    for sentence in split_sentences(paragraph):
        if len(sentence) <= MAX_PASSAGE_CHARS:
            units.append(sentence)
            continue
        for clause in _split(sentence, _CLAUSE):
            units.extend(clause.slice(start, start + MAX_PASSAGE_CHARS) for start in range(0, len(clause), MAX_PASSAGE_CHARS))
    pieces: list[TracedText] = []
    for unit in units:
        if pieces and len(pieces[-1]) + len(unit) <= MAX_PASSAGE_CHARS:
            pieces[-1] = pieces[-1] + unit
        else:
            pieces.append(unit)
    return [piece.strip() for piece in pieces]


def _split(text: TracedText, pattern: re.Pattern[str]) -> list[TracedText]:
    return [text.slice(match.start(), match.end()) for match in pattern.finditer(text.text) if match.group().strip()]


def _join_paragraphs(head: TracedText, tail: TracedText) -> TracedText:
    """Return two paragraphs as one text separated by a line break traced to the end of the first."""
    line, column = head.positions[-1]
    return head + TracedText("\n", ((line, column + 1),)) + tail
