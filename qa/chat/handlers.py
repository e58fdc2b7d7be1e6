"""The chat app's event handlers: each takes the values of its input components and returns those of its outputs.

User errors come back as one escaped line in a status component (or a chat message), never a traceback.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import gradio as gr

from embeddings.encoder import DEFAULT_MODEL
from qa.chat.conversation import Turn, answered_turn, error_turn, feedback_for, history, messages, turn_at
from qa.chat.evaluation import run_evaluation
from qa.chat.feedback import FeedbackStore
from qa.chat.rendering import documents_html
from qa.chat.service import ChatService
from qa.errors import QAError
from qa.serialize import answer_to_dict


class ChatHandlers:
    """The handlers of one app, over one service and its feedback store."""

    def __init__(self, service: ChatService) -> None:
        self.service = service
        self.feedback = FeedbackStore(service.data_dir)

    def respond(self, question: str, turns: list[Turn], k: int, mode: str, threshold: float):
        """Return (chat messages, turns, cleared question box) after answering the question (or showing its error)."""
        question = (question or "").strip()
        if not question:
            return messages(turns), turns, ""
        try:
            turn = answered_turn(self.service.ask(question, history(turns), k, mode, threshold))
        except QAError as error:
            turn = error_turn(question, str(error))
        turns = [*turns, turn]
        return messages(turns), turns, ""

    def respond_example(self, turns: list[Turn], k: int, mode: str, threshold: float, selected: gr.SelectData):
        """Return what `respond` returns for the example question clicked on the empty chat."""
        value = selected.value
        question = value.get("text", "") if isinstance(value, dict) else str(value)
        return self.respond(question, turns, k, mode, threshold)

    def rate(self, turns: list[Turn], liked: gr.LikeData):
        """Return (feedback status, id of the rated answer) after saving a like or dislike."""
        turn = turn_at(turns, liked.index)
        if turn is None:
            return "Only answers can be rated.", None
        rating = "like" if liked.liked is True else "dislike"
        try:
            row = self.feedback.record(feedback_for(turn, rating))
        except QAError as error:
            return escape(str(error)), turn.answer_id
        if row is None:
            return "Disliked. Type the correct answer below to add it to your gold set.", turn.answer_id
        return f"Saved to {escape(str(self.feedback.path))} as a reference answer.", turn.answer_id

    def correct(self, text: str, turns: list[Turn], rated: str | None):
        """Return (feedback status, correction box) after saving the correct answer of the last rated (else latest) answer."""
        answered = [turn for turn in turns if turn.answer_id is not None]
        turn = next((t for t in answered if t.answer_id == rated), answered[-1] if answered else None)
        if turn is None:
            return "Ask a question first.", text
        try:
            self.feedback.record(feedback_for(turn, "correction", text))
        except QAError as error:
            return escape(str(error)), text
        return f"Saved the correct answer for “{escape(turn.question)}” to {escape(str(self.feedback.path))}.", ""

    def documents_view(self):
        """Return (documents table HTML, update of the removable-documents dropdown)."""
        try:
            documents = self.service.documents()
        except QAError as error:
            return f'<p class="qa-error">{escape(str(error))}</p>', gr.update(choices=[])
        table = documents_html([(d.name, d.passages, d.origin) for d in documents])
        uploaded = [d.name for d in documents if d.origin == "uploaded"]
        return table, gr.update(choices=uploaded, value=uploaded[0] if uploaded else None)

    def upload(self, files: list[str] | None, progress=gr.Progress()):
        """Return (upload status, documents table, dropdown, cleared file box) after storing and indexing the files."""
        if not files:
            return "", *self.documents_view(), None
        progress(0, desc="indexing")
        result = self.service.add(
            [(Path(path), Path(path).name) for path in files],
            lambda done, total: progress((done, total or None), desc="embedding passages", unit="passages"),
        )
        lines = [f"Indexed {escape(name)}; ask about it now." for name in result.stored]
        lines += [f"Not indexed: {escape(error)}" for error in result.errors]
        return "\n\n".join(lines), *self.documents_view(), None

    def remove(self, document: str | None):
        """Return (status, documents table, dropdown) after removing an uploaded document."""
        if not document:
            return "Choose an uploaded document to remove.", *self.documents_view()
        try:
            update = self.service.remove(document)
        except QAError as error:
            return escape(str(error)), *self.documents_view()
        return f"Removed {escape(document)} ({update.removed} passages).", *self.documents_view()

    def use_model(self, model: str, progress=gr.Progress()):
        """Return (status, documents table, dropdown) after switching the embedding model and re-embedding."""
        progress(0, desc="re-embedding")
        try:
            update = self.service.use_model(
                model or DEFAULT_MODEL, lambda done, total: progress((done, total or None), desc="embedding passages", unit="passages")
            )
        except QAError as error:
            return escape(str(error)), *self.documents_view()
        return f"Using {escape(self.service.model)}: {update.passages} passages, {update.embedded} embedded now.", *self.documents_view()

    def evaluate(self, source: str, dataset: str | None, k: int, mode: str, threshold: float, progress=gr.Progress()):
        """Return (status, metrics table, worst failures, plot paths) of an evaluation run."""
        progress(0, desc="evaluating")
        try:
            view = run_evaluation(
                self.service, source, Path(dataset) if dataset else None, k, mode, threshold,
                lambda done, total: progress((done, total), desc="answering", unit="questions"),
            )
        except QAError as error:
            return escape(str(error)), "", "", []
        return f"Report: {escape(str(view.report / 'report.md'))}", view.metrics, view.failures, [str(path) for path in view.plots]

    def ask(self, question: str, history: list[str] | None = None) -> dict:
        """Answer a question from the indexed documents; history holds earlier questions, oldest first. Returns the JSON of `qa ask --json`."""
        try:
            return answer_to_dict(self.service.ask(question, history or []).answer)
        except QAError as error:
            raise gr.Error(str(error)) from None
