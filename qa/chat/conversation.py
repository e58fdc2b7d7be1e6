"""A chat conversation as immutable turns: what was asked, what was answered, and the chat messages they make."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from qa.answering import TimedAnswer
from qa.chat.feedback import Feedback
from qa.chat.rendering import View, answer_html, clarification_html, error_html, question_html


@dataclass(frozen=True)
class Turn:
    """One question and its reply: the answer's id (None for an error), texts for feedback, and the reply's HTML."""

    answer_id: str | None
    question: str
    resolved_question: str | None
    answer: str | None
    html: str


def answered_turn(timed: TimedAnswer, view: View = View(), answer_id: str | None = None) -> Turn:
    """Return the turn of an answered question, shown in the view's language (a fresh id unless one is given)."""
    answer = timed.answer
    return Turn(answer_id or uuid.uuid4().hex[:12], answer.question, answer.resolved_question, answer.text, answer_html(timed, view))


def clarification_turn(question: str, word: str) -> Turn:
    """Return the turn of a follow-up with nothing to refer to: a request to say what `word` means (not rated, not history)."""
    return Turn(None, question, None, None, clarification_html(question, word))


def error_turn(question: str, message: str) -> Turn:
    """Return the turn of a question that could not be answered, showing the one-line error."""
    return Turn(None, question, None, None, error_html(message))


def messages(turns: Sequence[Turn]) -> list[dict]:
    """Return the Chatbot messages of the turns: the escaped question, then the reply, per turn."""
    rows = []
    for turn in turns:
        rows.append({"role": "user", "content": question_html(turn.question)})
        rows.append({"role": "assistant", "content": turn.html})
    return rows


def history(turns: Sequence[Turn]) -> list[str]:
    """Return the earlier questions that were answered, oldest first (the follow-up context)."""
    return [turn.question for turn in turns if turn.answer_id is not None]


def turn_at(turns: Sequence[Turn], message_index: int | Sequence[int]) -> Turn | None:
    """Return the answered turn whose reply is the chat message at message_index (None for any other message)."""
    index = message_index[0] if isinstance(message_index, (list, tuple)) else message_index
    if not isinstance(index, int) or index % 2 != 1 or not 0 <= index // 2 < len(turns):
        return None
    turn = turns[index // 2]
    return turn if turn.answer_id is not None else None


def feedback_for(turn: Turn, rating: str, correct: str | None = None) -> Feedback:
    """Return the feedback record of a rating (or correction) of a turn's answer."""
    return Feedback(turn.answer_id or "", turn.question, turn.resolved_question, turn.answer, rating, correct)
