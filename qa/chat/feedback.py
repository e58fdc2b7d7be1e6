"""Feedback on chat answers, kept as a `qa eval` dataset so users grow their own gold set.

`feedback.jsonl` holds one `{"id", "question", "answers": [...]}` row per rated answer (plus
`rating`, `asked`, `shown`): a like makes the shown answer the reference (an empty list when the
answer was "not found"), a correction makes the typed answer the reference. A dislike without a
correction says only that the shown answer is wrong, so it removes that answer's row and is kept
in `ratings.jsonl`, the log of every rating.

Several requests (threads or processes) may rate at once: each rating takes the folder's lock file,
appends its line to the log (flushed to disk), and replaces `feedback.jsonl` with a complete new file
(written aside, then renamed), so no rating is lost and no reader sees a torn file. A gold file
damaged by an older version is rebuilt from the log.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from qa.durable import jsonl_line, write_atomically
from qa.errors import QAError
from qa.locking import exclusive

FEEDBACK_FILE = "feedback.jsonl"
RATINGS_FILE = "ratings.jsonl"
RATINGS = ("like", "dislike", "correction")
LOCK_TIMEOUT_SECONDS = 30
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Feedback:
    """A user's verdict on one answer: the question as asked and as answered, the answer shown, the rating, a correction."""

    answer_id: str
    question: str
    resolved_question: str | None
    shown: str | None
    rating: str
    correct: str | None = None


def feedback_dir(data_dir: Path) -> Path:
    """Return the folder of the feedback files inside the data dir."""
    return data_dir / "feedback"


def gold_row(feedback: Feedback) -> dict | None:
    """Return the dataset row a feedback makes (None for a dislike without correction).

    The row's question is the self-contained one actually answered, so `qa eval` can ask it without
    the conversation; `asked` keeps the question as typed.
    """
    if feedback.rating not in RATINGS:
        raise QAError(f"unknown rating {feedback.rating!r}; use one of {', '.join(RATINGS)}")
    if feedback.rating == "dislike":
        return None
    if feedback.rating == "correction":
        correct = (feedback.correct or "").strip()
        if not correct:
            raise QAError("type the correct answer first")
        answers = [correct]
    else:
        answers = [feedback.shown] if feedback.shown else []
    return {
        "id": feedback.answer_id,
        "question": feedback.resolved_question or feedback.question,
        "answers": answers,
        "rating": feedback.rating,
        "asked": feedback.question,
        "shown": feedback.shown,
    }


def rating_row(feedback: Feedback, timestamp: float) -> dict:
    """Return the ratings-log row of a feedback at a Unix time."""
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp)),
        "id": feedback.answer_id,
        "question": feedback.question,
        "resolved_question": feedback.resolved_question,
        "shown": feedback.shown,
        "rating": feedback.rating,
        "correct": feedback.correct,
    }


def merge_rows(rows: list[dict], answer_id: str, row: dict | None) -> list[dict]:
    """Return the rows with the one of answer_id replaced by row (appended when new, dropped when row is None)."""
    kept = [existing for existing in rows if existing.get("id") != answer_id]
    if row is None:
        return kept
    position = next((i for i, existing in enumerate(rows) if existing.get("id") == answer_id), len(kept))
    return kept[:position] + [row] + kept[position:]


class FeedbackStore:
    """The feedback files of one data dir: the gold rows (rewritten per rating) and the append-only ratings log."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = feedback_dir(data_dir)

    @property
    def path(self) -> Path:
        """Return the path of the gold-format feedback file."""
        return self.directory / FEEDBACK_FILE

    def rows(self) -> list[dict]:
        """Return the gold rows saved so far (an empty list before the first); raises ValueError on a damaged file."""
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").split("\n") if line.strip()]

    def record(self, feedback: Feedback, timestamp: float | None = None) -> dict | None:
        """Save a feedback (ratings log, then gold row) and return its gold row, or None for a bare dislike."""
        row = gold_row(feedback)
        self.directory.mkdir(parents=True, exist_ok=True)
        rating = rating_row(feedback, time.time() if timestamp is None else timestamp)
        with exclusive(self.directory / "feedback.lock", f"the feedback in {self.directory}", timeout=LOCK_TIMEOUT_SECONDS):
            with (self.directory / RATINGS_FILE).open("a", encoding="utf-8") as log:
                log.write(jsonl_line(rating))
                log.flush()
                os.fsync(log.fileno())
            try:
                rows = merge_rows(self.rows(), feedback.answer_id, row)
            except ValueError:
                _log.warning("%s was damaged; rebuilt it from %s", self.path, RATINGS_FILE)
                rows = self._rows_from_log()
            write_atomically(self.path, "".join(jsonl_line(r) for r in rows).encode("utf-8"))
        return row

    def _rows_from_log(self) -> list[dict]:
        """Return the gold rows the ratings log adds up to (unreadable log lines skipped)."""
        rows: list[dict] = []
        for line in (self.directory / RATINGS_FILE).read_text(encoding="utf-8").split("\n"):
            try:
                logged = json.loads(line)
                feedback = Feedback(
                    logged["id"], logged["question"], logged["resolved_question"], logged["shown"], logged["rating"], logged["correct"]
                )
                rows = merge_rows(rows, feedback.answer_id, gold_row(feedback))
            except (ValueError, KeyError, TypeError, QAError):
                continue
        return rows
