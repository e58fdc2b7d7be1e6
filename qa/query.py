"""Query handling, the stage before retrieval: resolve a follow-up against the conversation, add keywords.

`那明天呢？` after `今天的天气怎么样？` is understood as `明天的天气怎么样？`; an English question gets
the Chinese words its content words translate to, so that BM25 finds Chinese passages. Dense
retrieval and reading see the resolved question; BM25 sees it with the added keywords.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from qa.crosslingual import EnglishToChinese
from qa.reading.followup import missing_referent, resolve_history
from qa.records import Query

log = logging.getLogger(__name__)


class QueryHandler:
    """Makes Query records from questions; the English-Chinese dictionary loads on the first English question."""

    def __init__(self) -> None:
        self._dictionary = EnglishToChinese()

    def prepare(self, question: str, history: Sequence[str] = ()) -> Query:
        """Return the query for a question, a follow-up resolved against the earlier questions (oldest first)."""
        resolved = resolve_history(question, history)
        if resolved != question:
            log.debug("follow-up %r understood as %r", question, resolved)
        return Query(question, resolved, self._dictionary.expand_query(resolved))

    @staticmethod
    def unresolved_word(question: str, history: Sequence[str]) -> str | None:
        """Return the pronoun or elliptical word of a follow-up that has nothing to refer to, else None."""
        return missing_referent(question, history)
