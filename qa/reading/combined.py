"""Rules for typed factoids, the trained model for everything else: one reader over two.

The rule-based span reader is exact and fast on numbers, dates, names, places, organizations,
titles and lists when the question's words stand next to the answer. The trained reader
understands sentences (what/why/how questions, paraphrases, questions in another language than
the documents) but costs a model run. So the rules answer alone when the question is of a typed
kind and their best span is confident; otherwise both read, and their candidates compete on
their calibrated scores (both in [0, 1]).
"""

from __future__ import annotations

from collections.abc import Sequence

from qa.answers import Candidate
from qa.reading.base import Reader
from qa.reading.question import AnswerType, analyze
from qa.retrieval.normalize import TextNormalizer
from qa.retrieval.retriever import RetrievedPassage

# Above this rule score a typed question is answered without the model (calibrated on the gold set).
RULES_TRUSTED_FROM = 0.5
_TYPED = frozenset(
    {AnswerType.NUMBER, AnswerType.DATE, AnswerType.PERSON, AnswerType.PLACE, AnswerType.ORGANIZATION, AnswerType.TITLE, AnswerType.LIST}
)


class CombinedReader:
    """Reads with the rules first and with the model only where the rules are unsure; candidates best first."""

    def __init__(self, rules: Reader, model: Reader, rules_trusted_from: float = RULES_TRUSTED_FROM, max_candidates: int = 4) -> None:
        self.rules = rules
        self.model = model
        self.rules_trusted_from = rules_trusted_from
        self.max_candidates = max_candidates
        self._normalize = TextNormalizer()

    def read(self, question: str, passages: Sequence[RetrievedPassage]) -> list[Candidate]:
        """Return the rules' candidates when they are trusted, else the best of both readers' (distinct texts)."""
        ruled = self.rules.read(question, passages)
        parsed = analyze(question, self._normalize)
        if parsed.is_chinese and parsed.answer_type in _TYPED and ruled and ruled[0].score >= self.rules_trusted_from:
            return ruled
        merged = sorted([*ruled, *self.model.read(question, passages)], key=lambda candidate: -candidate.score)
        candidates: list[Candidate] = []
        for candidate in merged:
            if all(candidate.text != kept.text for kept in candidates):
                candidates.append(candidate)
            if len(candidates) == self.max_candidates:
                break
        return candidates
