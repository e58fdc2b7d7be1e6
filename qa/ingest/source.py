"""The text of one document as its loader saw it, with the source position of every character."""

from __future__ import annotations

from dataclasses import dataclass

from qa.records import Position


@dataclass(frozen=True)
class SourceLine:
    """One logical line of a document: its text and, for every character, where it came from."""

    text: str
    positions: tuple[Position, ...]
    heading: bool = False

    def __post_init__(self) -> None:
        if len(self.text) != len(self.positions):
            raise ValueError(f"{len(self.text)} characters but {len(self.positions)} positions")


@dataclass(frozen=True)
class SourceDocument:
    """A decoded document: the path it was read from, its format and its lines in reading order."""

    path: str
    format: str
    lines: tuple[SourceLine, ...]


def plain_line(text: str, line_number: int, heading: bool = False) -> SourceLine:
    """Return a SourceLine whose characters sit at columns 0..n-1 of one source line."""
    return SourceLine(text, tuple((line_number, column) for column in range(len(text))), heading)
