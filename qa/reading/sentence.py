"""The baseline reader: the sentence that shares the most of the question's words and character pairs."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.answers import Candidate, cite
from qa.folding import TextNormalizer
from qa.reading.base import sentence_spans
from qa.records import RetrievedPassage

# Question words and particles carry no evidence about where the answer is.
_QUESTION_CHARS = re.compile(r"[什么哪谁几多少吗呢吧是的了在有和与及怎样如何为请问？?，,。！!、\s]")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


class SentenceReader:
    """Scores each sentence of the retrieved passages by how much of the question it covers."""

    def __init__(self, max_candidates: int = 4) -> None:
        self._normalize = TextNormalizer()
        self._max_candidates = max_candidates

    def features(self, text: str) -> set[str]:
        """Return the matching units of a text: character pairs and single characters of its content, and Latin words."""
        folded = self._normalize(text)
        words = set(_LATIN_WORD.findall(folded))
        content = _QUESTION_CHARS.sub(" ", _LATIN_WORD.sub(" ", folded))
        units: set[str] = set()
        for run in content.split():
            units.update(run)
            units.update(run[i : i + 2] for i in range(len(run) - 1))
        return units | words

    def read(self, question: str, passages: Sequence[RetrievedPassage]) -> list[Candidate]:
        """Return sentence candidates, scored by the share of question units they contain, best first."""
        wanted = self.features(question)
        if not wanted:
            return []
        candidates = []
        for retrieved in passages:
            passage = retrieved.passage
            for start, end in sentence_spans(passage.text):
                overlap = len(wanted & self.features(passage.text[start:end])) / len(wanted)
                score = overlap * (1.0 - 0.02 * (retrieved.rank - 1))
                candidates.append(Candidate(passage.text[start:end], max(score, 0.0), cite(passage, start, end, start, end)))
        candidates.sort(key=lambda candidate: -candidate.score)
        return candidates[: self._max_candidates]
