"""Which of a reader's alternatives are worth showing: distinct answers of the answer's kind, above a floor.

Readers return their runner-up spans as they are (`。`, `1`, `万元`, the answer again); the chat shows
only those a person could take for an answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from qa.answers import Candidate
from qa.reading.spans import DATE_PATTERN

ALTERNATIVE_FLOOR = 0.2
MAX_ALTERNATIVES = 3
_DIGIT = re.compile(r"[0-9０-９〇一二两三四五六七八九十]")
_NUMERAL = re.compile(r"[0-9０-９〇一二两三四五六七八九十百千万亿.,，]")
_WORD = re.compile(r"[^\W_]")


def kind_of(text: str) -> str:
    """Return the kind of an answer text: 'date' (a date or time), 'number:<unit>' (a numeral and what follows it), else 'text'."""
    if DATE_PATTERN.fullmatch(text.strip()):
        return "date"
    if _DIGIT.search(text):
        last = max(match.end() for match in _NUMERAL.finditer(text))
        return "number:" + _folded(text[last:])
    return "text"


def _folded(text: str) -> str:
    return "".join(char for char in unicodedata.normalize("NFKC", text).lower() if _WORD.match(char))


def worth_showing(candidate: Candidate, answer: str, floor: float = ALTERNATIVE_FLOOR) -> bool:
    """Return True when an alternative is a plausible answer of its own.

    It must score at least the floor, hold a word (not only punctuation), be more than one
    character (a lone `1` or `年` is a fragment), have the answer's kind (a date for a date; for a
    number, a numeral with the same unit: `万人次` is a bare unit, `5月` or `2025年` no length beside
    `1280米`, `3万吨级` no capacity beside `169万吨`), and be distinct from the answer (neither one
    contains the other once punctuation and case are set aside).
    """
    text, best = _folded(candidate.text), _folded(answer)
    if candidate.score < floor or len(text) < 2:
        return False
    if kind_of(candidate.text) != kind_of(answer):
        return False
    return bool(best) and text not in best and best not in text


def shown_alternatives(candidates: Sequence[Candidate], answer: str, floor: float = ALTERNATIVE_FLOOR) -> tuple[Candidate, ...]:
    """Return the alternatives worth showing, best first, without repeats, at most MAX_ALTERNATIVES."""
    shown: list[Candidate] = []
    for candidate in candidates:
        folded = _folded(candidate.text)
        if worth_showing(candidate, answer, floor) and all(folded != _folded(other.text) for other in shown):
            shown.append(candidate)
    return tuple(shown[:MAX_ALTERNATIVES])
