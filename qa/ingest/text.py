"""Text that remembers where every character came from, and the character-level repairs on it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain, pairwise

from qa.ingest.source import Position, SourceLine

SENTENCE_END = "。！？!?…；;"
CLOSING_MARKS = "”’」』）)》〉】\"'"
_MAX_UNDOUBLE_LENGTH = 120
# Characters inside a number a line may be wrapped at: a decimal point, a thousands comma, a time's colon.
_NUMBER_SEPARATORS = ",.:"


def is_cjk(char: str) -> bool:
    """Return True for a CJK ideograph, CJK punctuation mark or full-width form."""
    code = ord(char)
    return (
        0x3400 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3FFFF
        or 0x3000 <= code <= 0x303F
        or 0xFF00 <= code <= 0xFFEF
        or 0x2018 <= code <= 0x201F
        or char in "…—·■"
    )


def is_latin_word_char(char: str) -> bool:
    """Return True for an ASCII letter or digit (the characters of Latin words and numbers)."""
    return char.isascii() and char.isalnum()


@dataclass(frozen=True)
class TracedText:
    """A string and, for every character, its (line, column) in the original file."""

    text: str
    positions: tuple[Position, ...]

    def __post_init__(self) -> None:
        if len(self.text) != len(self.positions):
            raise ValueError(f"{len(self.text)} characters but {len(self.positions)} positions")

    @classmethod
    def from_line(cls, line: SourceLine) -> TracedText:
        """Return the traced text of one source line."""
        return cls(line.text, line.positions)

    @classmethod
    def empty(cls) -> TracedText:
        """Return the empty traced text."""
        return cls("", ())

    @classmethod
    def concat(cls, pieces: Iterable[TracedText]) -> TracedText:
        """Return the pieces joined in order, in time linear in their total length (repeated `+` is quadratic)."""
        pieces = list(pieces)
        return cls("".join(piece.text for piece in pieces), tuple(chain.from_iterable(piece.positions for piece in pieces)))

    def __len__(self) -> int:
        return len(self.text)

    def __add__(self, other: TracedText) -> TracedText:
        return TracedText(self.text + other.text, self.positions + other.positions)

    def slice(self, start: int, end: int) -> TracedText:
        """Return the characters [start, end) with their positions."""
        return TracedText(self.text[start:end], self.positions[start:end])

    def keep(self, indexes: list[int]) -> TracedText:
        """Return only the characters at the given indexes, in order."""
        return TracedText("".join(self.text[i] for i in indexes), tuple(self.positions[i] for i in indexes))

    def strip(self) -> TracedText:
        """Return the text without leading and trailing whitespace."""
        stripped = self.text.strip()
        if not stripped:
            return TracedText.empty()
        start = len(self.text) - len(self.text.lstrip())
        return self.slice(start, start + len(stripped))

    def ends_sentence(self) -> bool:
        """Return True when the text ends a sentence (closing quotes and brackets looked through)."""
        body = self.text.rstrip().rstrip(CLOSING_MARKS)
        return bool(body) and body[-1] in SENTENCE_END


def close_letter_spacing(line: TracedText) -> TracedText:
    """Return the line without the spaces that justified PDF layout puts between single CJK characters.

    A space is removed only when both neighbours are CJK and at least one of the space-separated
    tokens beside it is a single character (`全 市 实 现` -> `全市实现`), so intended spaces between
    phrases (`怀揣民意赴盛会 有备而来献良策`) and around Latin or numbers (`零售额 265.9亿元`) stay.
    """
    tokens = [(match.start(), match.end()) for match in re.finditer(r"\S+", line.text)]
    keep = list(range(len(line.text)))
    drop: set[int] = set()
    for (left_start, left_end), (right_start, right_end) in pairwise(tokens):
        single_beside = left_end - left_start == 1 or right_end - right_start == 1
        if single_beside and is_cjk(line.text[left_end - 1]) and is_cjk(line.text[right_start]):
            drop.update(range(left_end, right_start))
    return line.keep([i for i in keep if i not in drop])


def undouble(line: TracedText) -> TracedText:
    """Return the line with bold-font doubling repaired, or the line itself when it is not doubled.

    PDF extraction of bold headlines can print every run of characters twice
    (`政协委员报到政协委员报到`, `（（扩大扩大））`). A line is repaired only when it is made
    entirely of doubled runs (whitespace may stand alone), at least one run is longer than one
    character, and the repaired text is not a single repeated character, so ordinary repeats inside
    sentences (`天天`, `谢谢`, `看看`) are never touched.
    """
    text = line.text
    if len(text) > _MAX_UNDOUBLE_LENGTH or not any(is_cjk(char) for char in text):
        return line
    runs = _doubled_runs(text)
    if runs is None or max(length for _, length in runs) < 2:
        return line
    kept = [index for start, length in runs for index in range(start, start + length)]
    repaired = line.keep(kept)
    letters = repaired.text.replace(" ", "")
    if len(letters) < 3 or len(set(letters)) == 1:
        return line
    return repaired


def _doubled_runs(text: str) -> list[tuple[int, int]] | None:
    """Return (start, length) of the first copy of each doubled run, or None if the text is not doubled."""

    @cache
    def decompose(start: int) -> tuple[tuple[int, int], ...] | None:
        if start == len(text):
            return ()
        if text[start].isspace():
            rest = decompose(start + 1)
            return None if rest is None else ((start, 1),) + rest
        for length in range(1, (len(text) - start) // 2 + 1):
            if text[start : start + length] == text[start + length : start + 2 * length]:
                rest = decompose(start + 2 * length)
                if rest is not None:
                    return ((start, length),) + rest
        return None

    runs = decompose(0)
    return None if runs is None else list(runs)


def join_wrapped(head: TracedText, tail: TracedText) -> TracedText:
    """Return two hard-wrapped pieces of one paragraph joined as the writer meant them.

    CJK text is joined directly. Between two Latin words a space is put back, traced to the line
    break it replaces; digits wrapped next to digits are joined directly, as they are one number.
    """
    end = head.positions[-1] if head.text else None
    return TracedText.concat([head, _wrap_joint(head.text, end, tail), tail])


def join_wrapped_lines(lines: Sequence[TracedText]) -> TracedText:
    """Return hard-wrapped lines joined into one paragraph as `join_wrapped` joins two, in linear time."""
    pieces: list[TracedText] = []
    # What `join_wrapped` would read of the text joined so far: its end (_joint_context) and the last character's place.
    context, end = "", None
    for line in lines:
        joint = _wrap_joint(context, end, line)
        pieces += [joint, line]
        if line.text:
            context, end = _joint_context(context + joint.text + line.text), line.positions[-1]
    return TracedText.concat(pieces)


def _joint_context(text: str) -> str:
    """Return the end of a text that decides how the next line joins it: its trailing run of digits and number
    separators with the character before the run (all of it when the run starts the text)."""
    start = _number_run_start(text, len(text))
    return text[max(start - 1, 0) :] if start < len(text) else text[-1:]


def _wrap_joint(head: str, end: Position | None, tail: TracedText) -> TracedText:
    """Return what goes between a wrapped text (`head`, or its end as _joint_context keeps it; `end` the place of its
    last character, None when there is none) and the next piece: a space traced to the line break between Latin
    words, else nothing."""
    if end is None or not head or not tail.text:
        return TracedText.empty()
    last, first = head[-1], tail.text[0]
    needs_space = is_latin_word_char(last) and is_latin_word_char(first) and not (last.isdigit() and first.isdigit())
    if needs_space or (last in ",.;:!?" and is_latin_word_char(first) and not _number_cut_at_separator(head, first)):
        line, column = end
        return TracedText(" ", ((line, column + 1),))
    return TracedText.empty()


def _number_cut_at_separator(head: str, first: str) -> bool:
    """Return whether a line ends inside a number at its decimal point, thousands comma or a time's colon (`增长27.` +
    `4%`, `时间为10:` + `40`): digits before the separator that follow CJK text (or start the line), and a digit after
    it. After a Latin word (`in 1999.` + `2000 ...`) the separator may end a sentence, so the space stays."""
    if not first.isdigit() or len(head) < 2 or not head[-2].isdigit():
        return False
    start = _number_run_start(head, len(head) - 1)
    return start == 0 or is_cjk(head[start - 1])


def _number_run_start(text: str, end: int) -> int:
    """Return where the run of digits and number separators that ends at `end` (exclusive) in `text` starts."""
    start = end
    while start > 0 and (text[start - 1].isdigit() or text[start - 1] in _NUMBER_SEPARATORS):
        start -= 1
    return start
