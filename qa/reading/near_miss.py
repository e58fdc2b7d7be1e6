"""Unanswerable questions made from answerable ones: the same question about a neighbouring thing.

A question whose name, place, organization, code or number is swapped for another of the same kind that its context
does not hold asks about something close to what the text says, yet the text does not answer it (`独山港区A4泊位…` of
a passage about berth A3). Read over the same documents, such a question finds its original passage first: what a
reader must learn to turn down (training), and what its abstention threshold must be chosen on (tuning). They are made
from training or tuning questions only, never from a benchmark's dev set or a held-out corpus.

A swap can miss: the swapped word may not matter to the answer, or another context may answer the new question.
Swapping the kinds of word that name what a question is about keeps such misses rare, not absent.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

Tagger = Callable[[str], list[tuple[int, int, str, str]]]
# jieba's tags for person, place, organization and other proper names, numerals and Latin words (codes).
SWAPPABLE_TAGS = frozenset({"nr", "ns", "nt", "nz", "m", "eng"})
# Shorter words are too often a particle or a bare classifier to name anything.
MIN_WORD_CHARS = 2


def word_shape(word: str) -> str:
    """Return what a replacement must look like: `digits` for a word with a numeral (2010, A3), `latin` for a Latin
    word, else its length in characters (a three-character name for a three-character name)."""
    if re.search(r"\d", word):
        return "digits"
    if re.fullmatch(r"[A-Za-z][A-Za-z\-.]*", word):
        return "latin"
    return str(len(word))


def swappable_words(question: str, context: str, tag: Tagger) -> list[tuple[int, int, str, str]]:
    """Return the question's words (start, end, word, tag) of a swappable kind, two characters or more, that its
    context holds: the words that tie the question to what the context says."""
    return [word for word in tag(question) if word[3] in SWAPPABLE_TAGS and len(word[2]) >= MIN_WORD_CHARS and word[2] in context]


def near_miss_questions(items: Sequence[tuple[str, str, str]], tag: Tagger, seed: int = 0) -> dict[str, str]:
    """Return, by key, an unanswerable version of each (key, question, context) item that can be made one: its first
    swappable word replaced by a word of the same kind and shape (word_shape) from another item's question, one that
    neither its context nor its question holds. Items without a swappable word or a replacement are left out; `seed`
    fixes the choice of replacements."""
    found = {key: swappable_words(question, context, tag) for key, question, context in items}
    by_kind: dict[tuple[str, str], dict[str, None]] = {}
    for words in found.values():
        for _, _, word, kind in words:
            by_kind.setdefault((kind, word_shape(word)), {})[word] = None
    rng = random.Random(seed)
    made = {}
    for key, question, context in items:
        if not found[key]:
            continue
        start, end, word, kind = found[key][0]
        choices = [other for other in by_kind[(kind, word_shape(word))] if other not in context and other not in question]
        if choices:
            made[key] = question[:start] + rng.choice(choices) + question[end:]
    return made
