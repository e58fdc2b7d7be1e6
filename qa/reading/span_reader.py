"""The rule-based extractive reader: the shortest typed span near the question's words.

For each sentence of the retrieved passages it measures how much of the question the sentence
covers (character pairs and words of the question's content, traditional/full-width folded), then
proposes spans: the text that fills the question word's slot (`会议由谁主持` against
`会议由市政协副主席许静主持` gives `市政协副主席许静`), typed spans of the expected answer type
(numbers with units, dates, names, places, organizations, 《titles》, lists), and, for why/how/what
questions, the sentence's clauses. A span scores by the sentence's coverage, its closeness to the
matched question words, whether it fills the slot, and the passage's retrieval rank; a span made
of the question's own words is never an answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.answers import Candidate, cite
from qa.reading.base import sentence_spans
from qa.reading.question import AnswerType, Question, analyze
from qa.reading.spans import clause_spans, typed_spans
from qa.retrieval.normalize import TextNormalizer
from qa.retrieval.retriever import RetrievedPassage

_WH = re.compile(r"什么时候|什么时间|什么地方|多少|哪里|哪儿|哪些|哪个|哪位|哪家|哪一|谁|什么|几|多长|多大|多久|多高|多远")
_CONTEXT_CHARS = 6
_WINDOW_CHARS = 12
_SLOT_MAX_CHARS = 40
_TYPED = frozenset({AnswerType.NUMBER, AnswerType.DATE, AnswerType.PERSON, AnswerType.PLACE, AnswerType.ORGANIZATION, AnswerType.TITLE, AnswerType.LIST})


@dataclass(frozen=True)
class _Scored:
    score: float
    passage_rank: int
    start: int
    end: int
    sentence: tuple[int, int]
    passage: RetrievedPassage


_PAIRS = (("《", "》"), ("“", "”"), ("(", ")"), ("（", "）"), ("‘", "’"))


def _balanced(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the span extended to the closing mark of any bracket or quote it opens but does not close."""
    for opening, closing in _PAIRS:
        if text.count(opening, start, end) > text.count(closing, start, end):
            position = text.find(closing, end)
            if 0 <= position - end <= _SLOT_MAX_CHARS:
                end = position + 1
    return start, end


class SpanReader:
    """Typed, slot-filling span extraction; scores in [0, 1]."""

    def __init__(self, max_candidates: int = 4) -> None:
        self._normalize = TextNormalizer()
        self._max_candidates = max_candidates

    def read(self, question: str, passages: Sequence[RetrievedPassage]) -> list[Candidate]:
        """Return candidate spans for the question, best first (at most max_candidates, distinct texts)."""
        parsed = analyze(question, self._normalize)
        units = self._units(parsed)
        if not units:
            return []
        total = sum(len(unit) for unit in units)
        scored: list[_Scored] = []
        for retrieved in passages:
            text = retrieved.passage.text
            folded = self._fold(text)
            for sentence_start, sentence_end in sentence_spans(text):
                sentence = folded[sentence_start:sentence_end]
                matched = [unit for unit in units if unit in sentence]
                coverage = sum(len(unit) for unit in matched) / total
                if coverage == 0:
                    continue
                for start, end, slot, fallback in self._spans(parsed, sentence):
                    span_folded = sentence[start:end]
                    if not span_folded.strip() or self._echoes_question(span_folded, parsed):
                        continue
                    window = sentence[max(0, start - _WINDOW_CHARS) : start] + " " + sentence[end : end + _WINDOW_CHARS]
                    local = sum(len(unit) for unit in matched if unit in window) / total
                    evidence = 0.8 * coverage + 0.2 * local
                    score = evidence * (0.75 + 0.25 * slot) * (0.6 if fallback else 1.0) * (1.0 - 0.03 * (retrieved.rank - 1))
                    scored.append(_Scored(score, retrieved.rank, sentence_start + start, sentence_start + end, (sentence_start, sentence_end), retrieved))
        scored.sort(key=lambda item: (-item.score, item.passage_rank, item.end - item.start))
        candidates, seen = [], set()
        for item in scored:
            passage = item.passage.passage
            span_text = passage.text[item.start : item.end]
            if span_text in seen:
                continue
            seen.add(span_text)
            candidates.append(Candidate(span_text, round(min(max(item.score, 0.0), 1.0), 4), cite(passage, item.start, item.end, *item.sentence)))
            if len(candidates) == self._max_candidates:
                break
        return candidates

    def _fold(self, text: str) -> str:
        """Return the text folded character by character, so offsets stay those of the original."""
        folded = self._normalize(text)
        if len(folded) == len(text):
            return folded
        return "".join(piece if len(piece := self._normalize(char)) == 1 else char.lower() for char in text)

    def _units(self, question: Question) -> list[str]:
        """Return what to look for: the question's content as words (Latin) or characters and character pairs (CJK)."""
        units: set[str] = set()
        for piece in question.content:
            if re.fullmatch(r"[a-z0-9.\-']+", piece):
                units.add(piece)
                continue
            units.update(piece[i : i + 2] for i in range(len(piece) - 1))
            units.update(char for char in piece if not re.match(r"[的了是在和与及并或等也都就把被让从对为以之其这那有个]", char))
        return sorted(units)

    def _spans(self, question: Question, folded: str) -> list[tuple[int, int, float, bool]]:
        """Return (start, end, slot, fallback) spans of one sentence: slot is 1 for a span that fills the
        question word's place; fallback marks a clause offered for a typed question that found no typed span.
        The sentence is the folded one (simplified script, same length as the original), so jieba tags
        traditional-script text with its simplified dictionary."""
        slots, slot_starts = self._slot_spans(question, folded)
        spans = [(start, end, 1.0, False) for start, end in slots]
        typed = question.answer_type in _TYPED
        if typed:
            spans += [
                (start, end, 1.0 if any(0 <= start - after <= 2 for after in slot_starts) else 0.0, False)
                for start, end in typed_spans(folded, question.answer_type)
            ]
        if not typed or not spans:
            spans += [(start, end, 0.0, typed) for start, end in clause_spans(folded)]
        return spans

    def _slot_spans(self, question: Question, sentence: str) -> tuple[list[tuple[int, int]], list[int]]:
        """Return the spans between the question word's left and right neighbours found in the sentence,
        and the offsets where a slot starts (just after a neighbour), for typed spans to fill."""
        match = _WH.search(question.folded)
        if match is None or not question.is_chinese:
            return [], []
        left = re.sub(r"[\s，,。？?！!、]", "", question.folded[: match.start()])[-_CONTEXT_CHARS:]
        right = re.sub(r"[\s，,。？?！!、]", "", question.folded[match.end() :])[:_CONTEXT_CHARS]
        spans: list[tuple[int, int]] = []
        starts: list[int] = []
        for size in range(len(left), 1, -1):
            anchor = sentence.find(left[-size:])
            if anchor < 0:
                continue
            slot_start = anchor + size
            starts.append(slot_start)
            end_limit = min(len(sentence), slot_start + _SLOT_MAX_CHARS)
            for right_size in range(len(right), 1, -1):
                position = sentence.find(right[:right_size], slot_start, end_limit + right_size)
                if position > slot_start:
                    noun_follows = match.group() in ("什么", "多少", "几", "哪个", "哪些", "哪家", "哪一") and right_size <= 3
                    spans.append(_balanced(sentence, slot_start, position + right_size if noun_follows else position))
                    break
            break
        # "多少个万吨级泊位" is often written "万吨级 17个": the counted noun just before the number.
        noun = right.lstrip("个家名位场项次年月天人元只件条座辆台种")
        for size in range(len(noun), 1, -1):
            position = sentence.find(noun[:size])
            if position >= 0:
                starts.append(position + size)
                break
        return spans, starts

    @staticmethod
    def _echoes_question(span: str, question: Question) -> bool:
        """Return True when the span is made mostly of the question's own words."""
        letters = re.sub(r"[\s，,。、“”‘’《》（）()]", "", span)
        if not letters:
            return True
        inside = sum(1 for char in letters if char in question.folded)
        return inside / len(letters) > 0.7
