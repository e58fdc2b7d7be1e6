"""Quoted names whole: a programme, award or document named in “” or 《》 is answered with its whole name.

Reports name things in quotation or title marks: `《翊江市防汛应急预案（2023年修订）》`, `“整村授信·千村万户”`. The
reader often stops inside them (`翊江市防汛应急预案`, `·千村万户`): the year or the `关于…的议案` around the core looks
like a part it can leave out. When an answer lies within such a pair and the pair holds a name rather than a quoted
sentence (no clause punctuation, no second pair of the same marks), the answer is the whole pair.
"""

from __future__ import annotations

import re

_PAIRS = (("“", "”"), ("《", "》"))
_CLAUSE_PUNCTUATION = re.compile(r"[，。；！？,;!?]")


def whole_quote(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Return the [start, end) of the “” or 《》 pair of the text that holds text[start:end] (the marks included), when
    there is one, the span is not that pair already, and the pair's content holds no clause punctuation and no other
    mark of its kind; None otherwise."""
    for opening, closing in _PAIRS:
        opened = text.rfind(opening, 0, start + 1)
        if opened < 0:
            continue
        closed = text.find(closing, max(opened + 1, end - 1))
        if closed < 0:
            continue
        content = text[opened + 1 : closed]
        if opening in content or closing in content or _CLAUSE_PUNCTUATION.search(content):
            continue
        if (opened, closed + 1) != (start, end):
            return opened, closed + 1
    return None
