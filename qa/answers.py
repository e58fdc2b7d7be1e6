"""The records of an answer: a verbatim span, where it was found, how sure we are, what else was considered."""

from __future__ import annotations

from dataclasses import dataclass

from qa.records import Passage


@dataclass(frozen=True)
class Citation:
    """Where an answer span sits: passage, its document and title, offsets in the passage, source lines, evidence sentence."""

    passage_id: str
    document: str
    title: str | None
    start: int
    end: int
    line_start: int
    line_end: int
    evidence: str


@dataclass(frozen=True)
class Candidate:
    """A span a reader proposes: its verbatim text, a score in [0, 1], and its citation."""

    text: str
    score: float
    citation: Citation


@dataclass(frozen=True)
class Answer:
    """The reply to one question: the best span (None when the documents do not hold the answer) and its support.

    resolved_question is the self-contained question actually answered when a follow-up leaned on
    the conversation history, else None.
    """

    question: str
    text: str | None
    score: float
    citations: tuple[Citation, ...]
    alternatives: tuple[Candidate, ...]
    retrieved: tuple[str, ...]
    resolved_question: str | None = None


def cite(passage: Passage, start: int, end: int, evidence_start: int, evidence_end: int) -> Citation:
    """Return the citation of passage characters [start, end) with the sentence [evidence_start, evidence_end) as evidence."""
    line_start, line_end = passage.source_lines(start, end)
    return Citation(
        passage_id=passage.id,
        document=passage.document,
        title=passage.title,
        start=start,
        end=end,
        line_start=line_start,
        line_end=line_end,
        evidence=passage.text[evidence_start:evidence_end],
    )
