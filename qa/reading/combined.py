"""Rules for typed factoids, the trained model for everything else: one reader over two.

The rule-based span reader is exact and fast on numbers, dates, names, places, organizations,
titles and lists when the question's words stand next to the answer. The trained reader
understands sentences (what/why/how questions, paraphrases) but costs a model run. So a question
of a typed kind is read by the rules first, and they answer when their best span scores at least
`rules_trusted_from`; every other question, and a typed one the rules are unsure of, is answered
by the model alone, with its own confidence (the probability that the answer lies in its span).
Competing on score instead was measured worse: the two scores are not on one scale, and the
model's confident wrong spans beat the rules' right ones (see the model card in README.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from qa.answers import Candidate
from qa.reading.base import Reader
from qa.reading.question import AnswerType, analyze
from qa.retrieval.normalize import TextNormalizer
from qa.retrieval.retriever import RetrievedPassage

# From this rule score on, a typed question is answered by the rules (chosen on the seed gold set).
RULES_TRUSTED_FROM = 0.2
_TYPED = frozenset(
    {AnswerType.NUMBER, AnswerType.DATE, AnswerType.PERSON, AnswerType.PLACE, AnswerType.ORGANIZATION, AnswerType.TITLE, AnswerType.LIST}
)


class CombinedReader:
    """Reads typed questions with the rules first and everything else with the model; candidates best first."""

    def __init__(self, rules: Reader, model: Reader, rules_trusted_from: float = RULES_TRUSTED_FROM) -> None:
        self.rules = rules
        self.model = model
        self.rules_trusted_from = rules_trusted_from
        self._normalize = TextNormalizer()

    def read(self, question: str, passages: Sequence[RetrievedPassage]) -> list[Candidate]:
        """Return the rules' candidates for a typed question they are sure of, else the model's (the rules' when the
        model finds nothing)."""
        ruled: list[Candidate] = []
        if analyze(question, self._normalize).answer_type in _TYPED:
            ruled = self.rules.read(question, passages)
            if ruled and ruled[0].score >= self.rules_trusted_from:
                return ruled
        return self.model.read(question, passages) or ruled
