"""Follow-up questions: make a question that leans on the previous one self-contained.

Two shapes are resolved, both from the previous (already resolved) question:
- an elliptical `那X呢？` replaces the previous question's date or time with X
  (`今天最高气温是多少？` + `那明天呢？` -> `明天最高气温是多少？`); for any other X it is only put in
  front of the previous question, which gives retrieval X's words but is not a rewrite;
- a pronoun (`它`, `其`, `该项目`, `这个项目` …) stands for the previous question's topic, the words before
  its first predicate (`302省道与525国道平改立工程项目位于哪里？` + `它的总投资是多少？` ->
  `302省道与525国道平改立工程项目的总投资是多少？`).
With nothing to resolve against (no earlier question, or one without a topic), `missing_referent`
names the word that needs one, so the chat can ask what it refers to instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.reading.spans import DATE_PATTERN

_ELLIPSIS = re.compile(r"^(?:那么?|那么说)?\s*(?P<subject>[^？?，,。]{1,16}?)\s*呢\s*[？?]?\s*$")
_PRONOUN = re.compile(r"^(?:它们|它|其(?![中他它余实次])|该项目|这个项目|这项目|该工程|这个工程|该公司|这家公司|他们|他|她)")
_TOPIC_END = re.compile(r"的|是|有|在|由|位于|什么|多少|哪|谁|几|为什么|如何|怎么|从|将|已|被|于")


def previous_topic(question: str) -> str | None:
    """Return the words of a question before its first predicate or question word (its topic), if at least 2 characters."""
    match = _TOPIC_END.search(question)
    topic = question[: match.start()] if match else ""
    topic = topic.strip(" ，,？?")
    return topic if len(topic) >= 2 else None


def resolve_followup(question: str, previous: str | None) -> str:
    """Return the question made self-contained with the previous resolved question, or unchanged."""
    if not previous:
        return question
    elliptical = _ELLIPSIS.match(question.strip())
    if elliptical:
        subject = elliptical.group("subject")
        date = DATE_PATTERN.search(previous)
        if date and DATE_PATTERN.fullmatch(subject):
            return previous[: date.start()] + subject + previous[date.end() :]
        return f"{subject}{previous}"
    pronoun = _PRONOUN.match(question.strip())
    topic = previous_topic(previous)
    if pronoun and topic:
        stripped = question.strip()
        return topic + stripped[pronoun.end() :]
    return question


def missing_referent(question: str, history: Sequence[str]) -> str | None:
    """Return the word a follow-up leans on (`它`, `那明天呢`) when the history gives it nothing to refer to, else None."""
    previous: str | None = None
    for turn in history:
        previous = resolve_followup(turn, previous)
    stripped = question.strip()
    elliptical = _ELLIPSIS.match(stripped)
    if elliptical and not previous:
        return stripped.rstrip("？?").strip()
    pronoun = _PRONOUN.match(stripped)
    if pronoun and (not previous or previous_topic(previous) is None):
        return pronoun.group()
    return None


def resolve_history(question: str, history: Sequence[str]) -> str:
    """Return the question resolved against the conversation so far (earlier user questions, oldest first)."""
    previous: str | None = None
    for turn in history:
        previous = resolve_followup(turn, previous)
    return resolve_followup(question, previous)
