"""Typed records passed between the stages of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass

Position = tuple[int, int]
"""(line, column) in the original file: line counts from 1, column from 0 (characters, not bytes)."""


@dataclass(frozen=True)
class ProvenanceRun:
    """Passage characters [start, start+length) came from one source line, starting at (line, column).

    A run covers consecutive characters of one source line; a one-character run may also stand for
    a separator the reflow put back (a space or line break), traced to the line break it replaces.
    """

    start: int
    length: int
    line: int
    column: int


@dataclass(frozen=True)
class Passage:
    """A retrievable unit of text: about a paragraph of one article, traceable to its source lines."""

    id: str
    document: str
    article: int
    title: str | None
    reporters: tuple[str, ...]
    text: str
    provenance: tuple[ProvenanceRun, ...]

    @property
    def line_start(self) -> int:
        """Return the first source line any character of the passage comes from."""
        return min(run.line for run in self.provenance)

    @property
    def line_end(self) -> int:
        """Return the last source line any character of the passage comes from."""
        return max(run.line for run in self.provenance)

    def source_position(self, offset: int) -> Position:
        """Return the (line, column) in the source file of the passage character at `offset`."""
        if not 0 <= offset < len(self.text):
            raise IndexError(f"offset {offset} is outside the passage (length {len(self.text)})")
        for run in self.provenance:
            if run.start <= offset < run.start + run.length:
                return run.line, run.column + offset - run.start
        raise AssertionError(f"passage {self.id} has no provenance for offset {offset}")

    def source_lines(self, start: int, end: int) -> tuple[int, int]:
        """Return the first and last source line of the passage characters [start, end)."""
        lines = [self.source_position(offset)[0] for offset in range(start, end)]
        return min(lines), max(lines)


@dataclass(frozen=True)
class Query:
    """A question made ready for retrieval: as asked, as understood (a follow-up resolved against the conversation),
    and the keywords BM25 searches (an English question's Chinese renderings added)."""

    asked: str
    text: str
    keywords: str

    @classmethod
    def plain(cls, text: str) -> Query:
        """Return the query that searches a text as it is (no follow-up to resolve, no keywords added)."""
        return cls(text, text, text)

    @property
    def resolved(self) -> str | None:
        """Return the question as understood when it differs from the one asked, else None."""
        return self.text if self.text != self.asked else None


@dataclass(frozen=True)
class RetrievedPassage:
    """A passage found for a query, with the retriever's score and 1-based rank."""

    passage: Passage
    score: float
    rank: int


def provenance_runs(positions: tuple[Position, ...]) -> tuple[ProvenanceRun, ...]:
    """Return the shortest list of runs that maps each offset to its position."""
    runs: list[ProvenanceRun] = []
    for offset, (line, column) in enumerate(positions):
        if runs:
            last = runs[-1]
            if last.line == line and last.column + last.length == column:
                runs[-1] = ProvenanceRun(last.start, last.length + 1, line, last.column)
                continue
        runs.append(ProvenanceRun(offset, 1, line, column))
    return tuple(runs)
