"""Home places: a local paper calls its own city 我市 and its own county 我县, so a question naming the place is read
the way the paper writes it.

A city daily writes `市委副书记、市长周军波` and `我市首个国道下穿项目`; a reader asked `平湖市的市长是谁？` looks for
平湖市 and finds it only in other stories. When the passages being read call a place of some level (市, 县, 区, 镇, 乡)
我市 or 本市, or name its offices with no place before them (市委, 市长), and one place of that level is named in
them more often than any other (their home place), a question naming that place is read with it written 我市. A
place name that goes on into a longer name the passages hold (`平湖市国际电子商务产业园`) is kept as asked.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

LEVELS = "市县区镇乡"
_SELF_PREFIXES = "我本"
_STEM = r"[\u4e00-\u9fff]{2}"
_PLACE = re.compile(rf"(?=({_STEM})([{LEVELS}]))")
# Characters that make a two-character "stem" a phrase rather than a name (`年全市`, `在我市`, `常务副市长`, `旧小区`).
_NOT_IN_NAMES = frozenset("我本全该各此每市县区镇乡省村城在年度月日的了和与及对到从为是有中上下内外新老副小园景社片街校辖")
# A place's own offices, which a local text names without the place (市委, 县长, 区政府).
_OFFICES = "委|政府|长|领导|人大|政协"
# A home place is named with its level at least this often in the passages read.
_MIN_MENTIONS = 2
_HANZI_ONLY = re.compile(r"[\u4e00-\u9fff]+")
# A place name followed by one of these (`平湖市的`, `平湖市和`) ends there.
_PARTICLES = frozenset("的和与及、是在有")
# Characters after a place name that, found with it in a passage, show it begins a longer name.
_LONGER_NAME_CHARACTERS = 2


def home_place(texts: Sequence[str], level: str) -> str | None:
    """Return the two-character stem of the texts' home place of this level: of the places they name with the level at
    least twice, the one whose stem they write most often (strictly more often than any other's), provided they also
    call a place of the level 我<level> or 本<level>; None otherwise."""
    joined = "\n".join(texts)
    named = Counter(match.group(1) for match in _PLACE.finditer(joined) if match.group(2) == level and _is_name(match.group(1)))
    if not _calls_itself(joined, level, named):
        return None
    counts = Counter({stem: joined.count(stem) for stem, times in named.items() if times >= _MIN_MENTIONS}).most_common(2)
    if not counts or (len(counts) > 1 and counts[1][1] == counts[0][1]):
        return None
    return counts[0][0]


def home_place_question(question: str, texts: Sequence[str]) -> str:
    """Return the question with each place it names that is the texts' home place (home_place) written as the texts
    write it (我市, 我县 …), unless the name goes on in the question into a longer name the texts hold; the question
    unchanged when it names none."""
    joined = "\n".join(texts)
    homes: dict[str, str | None] = {}
    pieces: list[str] = []
    position = 0
    for match in _PLACE.finditer(question):
        stem, level = match.groups()
        start, end = match.start(), match.start() + len(stem) + 1
        if start < position:
            continue
        if level not in homes:
            homes[level] = home_place(texts, level)
        if stem != homes[level] or _begins_longer_name(question, start, end, joined):
            continue
        pieces.extend((question[position:start], "我" + level))
        position = end
    return "".join(pieces) + question[position:]


def _calls_itself(joined: str, level: str, named: Counter[str]) -> bool:
    """Return whether the text refers to a place of the level as its own: 我市 or 本市, or one of its offices with no
    place named before it (`，市委常委会`, `市长周军波`, but not `嘉兴市委`)."""
    if any(prefix + level in joined for prefix in _SELF_PREFIXES):
        return True
    offices = re.finditer(rf"{level}(?:{_OFFICES})", joined)
    return any(joined[max(0, office.start() - 2) : office.start()] not in named for office in offices)


def _begins_longer_name(question: str, start: int, end: int, joined: str) -> bool:
    """Return whether the place name at question[start:end] goes on into a longer name that the passages hold: its next
    characters are Chinese, not a particle, and found with it in the passages."""
    after = question[end : end + _LONGER_NAME_CHARACTERS]
    if len(after) < _LONGER_NAME_CHARACTERS or not _HANZI_ONLY.fullmatch(after) or after[0] in _PARTICLES:
        return False
    return question[start:end] + after in joined


def _is_name(stem: str) -> bool:
    """Return whether the two characters can be a place name's stem (none of them a pronoun, a level or a particle)."""
    return not any(character in _NOT_IN_NAMES for character in stem)
