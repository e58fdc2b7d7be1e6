"""What every reader provides, and the sentence boundaries readers share."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from qa.answers import Candidate
from qa.ingest.text import CLOSING_MARKS, SENTENCE_END
from qa.records import RetrievedPassage

_SENTENCE = re.compile(rf"[^{SENTENCE_END}\n]*[{SENTENCE_END}]+[{re.escape(CLOSING_MARKS)}]*|[^{SENTENCE_END}\n]+")


class Reader(Protocol):
    """Proposes answer candidates for a question from retrieved passages, best first."""

    def read(self, question: str, passages: Sequence[RetrievedPassage]) -> list[Candidate]: ...


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of each sentence of a text, surrounding whitespace excluded."""
    spans = []
    for match in _SENTENCE.finditer(text):
        start, end = match.start(), match.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans
