"""The chat app's event handlers: each takes the values of its input components and returns those of its outputs.

Every handler writes in the browser's language (from the request's Accept-Language, as Gradio's i18n
does for the labels) and shows documents by display name. User errors come back as one escaped line
in a status component (or a chat message), never a traceback.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from html import escape
from pathlib import Path

import gradio as gr

from embeddings.encoder import DEFAULT_MODEL
from qa.chat.conversation import Turn, answered_turn, clarification_turn, error_turn, feedback_for, history, messages, turn_at
from qa.chat.evaluation import run_evaluation
from qa.chat.feedback import FeedbackStore
from qa.chat.i18n import error_message, language_of
from qa.chat.rendering import View, documents_html, failures_html, metrics_html, plots_html
from qa.chat.service import FAILED, READY, ChatService, NeedsReferent
from qa.errors import QAError

POLL_SECONDS = 0.25


def no_progress(*args, **kwargs) -> None:
    """A progress callback that shows nothing (handlers called outside Gradio)."""
    return None


class ChatHandlers:
    """The handlers of one app, over one service and its feedback store; uploads are indexed on a worker thread of their own."""

    def __init__(self, service: ChatService) -> None:
        self.service = service
        self.feedback = FeedbackStore(service.data_dir)
        self._indexer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-upload-index")

    def view(self, request: gr.Request | None) -> View:
        """Return how to show things to the user of a request: their language, documents by display name."""
        headers = getattr(request, "headers", None) or {}
        names = self.service.names
        return View(language_of(headers.get("accept-language")), names.display, names.passage_id)

    def _data_path(self, path: Path) -> str:
        """Return a path inside the data dir as the user sees it: relative to the data dir."""
        try:
            return path.resolve().relative_to(self.service.data_dir.resolve()).as_posix()
        except ValueError:
            return path.name

    def startup(self, request: gr.Request | None = None):
        """Return (start-up status, documents table, dropdown, timer) for the page: the stage while loading, the table once ready."""
        view = self.view(request)
        status = self.service.status
        if status.stage == READY:
            return (status.line(view.language), *self.documents_view(request), gr.Timer(active=False))
        if status.stage == FAILED:
            return (f'<span class="qa-error">{escape(status.line(view.language))}</span>', gr.skip(), gr.skip(), gr.Timer(active=False))
        line = status.line(view.language)
        return (
            f'<span class="qa-loading">{escape(line)} {escape(view.t("status_wait"))}</span>',
            gr.skip(),
            gr.skip(),
            gr.Timer(active=True),
        )

    def respond(self, question: str, turns: list[Turn], k: int, mode: str, threshold: float, request: gr.Request | None = None):
        """Return (chat messages, turns, cleared question box) after answering the question (or showing its error or a clarification)."""
        question = (question or "").strip()
        if not question:
            return messages(turns), turns, ""
        view = self.view(request)
        try:
            turn = answered_turn(self.service.ask(question, history(turns), k, mode, threshold), view)
        except NeedsReferent as needs:
            turn = clarification_turn(question, needs.word)
        except QAError as error:
            turn = error_turn(question, error_message(error, view.language))
        turns = [*turns, turn]
        return messages(turns), turns, ""

    def respond_example(
        self, turns: list[Turn], k: int, mode: str, threshold: float, selected: gr.SelectData, request: gr.Request | None = None
    ):
        """Return what `respond` returns for the example question clicked on the empty chat."""
        value = selected.value
        question = value.get("text", "") if isinstance(value, dict) else str(value)
        return self.respond(question, turns, k, mode, threshold, request)

    def correction_box(self, turns: list[Turn]):
        """Return the visibility update of the correction row: shown once the chat holds an answer."""
        return gr.update(visible=any(turn.answer_id is not None for turn in turns))

    def rate(self, turns: list[Turn], liked: gr.LikeData, request: gr.Request | None = None):
        """Return (feedback status, id of the rated answer) after saving a like or dislike."""
        view = self.view(request)
        turn = turn_at(turns, liked.index)
        if turn is None:
            return view.t("only_answers"), None
        rating = "like" if liked.liked is True else "dislike"
        try:
            row = self.feedback.record(feedback_for(turn, rating))
        except QAError as error:
            return escape(error_message(error, view.language)), turn.answer_id
        if row is None:
            return view.t("disliked"), turn.answer_id
        return view.t("liked", path=escape(self._data_path(self.feedback.path))), turn.answer_id

    def correct(self, text: str, turns: list[Turn], rated: str | None, request: gr.Request | None = None):
        """Return (feedback status, correction box) after saving the correct answer of the last rated (else latest) answer."""
        view = self.view(request)
        answered = [turn for turn in turns if turn.answer_id is not None]
        turn = next((t for t in answered if t.answer_id == rated), answered[-1] if answered else None)
        if turn is None:
            return view.t("ask_first"), text
        if not (text or "").strip():
            return view.t("type_correct"), text
        try:
            self.feedback.record(feedback_for(turn, "correction", text))
        except QAError as error:
            return escape(error_message(error, view.language)), text
        return view.t("correction_saved", question=escape(turn.question), path=escape(self._data_path(self.feedback.path))), ""

    def documents_view(self, request: gr.Request | None = None):
        """Return (documents table HTML, update of the removable-documents dropdown), documents by display name."""
        view = self.view(request)
        if self.service.status.stage != READY:
            return f'<p class="qa-loading">{escape(view.t("status_loading"))}</p>', gr.update(choices=[])
        try:
            documents = self.service.documents()
        except QAError as error:
            return f'<p class="qa-error">{escape(error_message(error, view.language))}</p>', gr.update(choices=[])
        table = documents_html([(d.name, d.passages, d.origin) for d in documents], view)
        uploaded = [d.name for d in documents if d.origin == "uploaded"]
        return table, gr.update(choices=uploaded, value=uploaded[0] if uploaded else None)

    def upload(self, files: list[str] | None, request: gr.Request | None = None, progress=gr.Progress()):
        """Yield (upload status, documents table, dropdown, file box): 'indexing…' at once, then the result.

        The files are stored and indexed on the handlers' own worker thread, so questions keep being
        answered meanwhile; this handler only waits for it and reports its progress.
        """
        view = self.view(request)
        if not files:
            yield "", *self.documents_view(request), None
            return
        names = ", ".join(Path(path).name for path in files)
        yield escape(view.t("indexing_upload", names=names)), gr.skip(), gr.skip(), None
        counts = [0, 0]

        def count(done: int, total: int) -> None:
            counts[:] = [done, total]

        job = self._indexer.submit(self.service.add, [(Path(path), Path(path).name) for path in files], count)
        while not job.done():
            time.sleep(POLL_SECONDS)
            if counts[1]:
                progress((counts[0], counts[1]), desc=view.t("embedding"), unit=view.t("passages_unit"))
        try:
            result = job.result()
        except QAError as error:
            yield escape(view.t("not_indexed", reason=error_message(error, view.language))), *self.documents_view(request), None
            return
        lines = [escape(view.t("indexed", name=name)) for name in result.stored]
        lines += [escape(view.t("not_indexed", reason=error_message(problem, view.language))) for problem in result.problems]
        yield "\n\n".join(lines), *self.documents_view(request), None

    def remove(self, document: str | None, request: gr.Request | None = None):
        """Return (status, documents table, dropdown) after removing an uploaded document."""
        view = self.view(request)
        if not document:
            return view.t("choose_document"), *self.documents_view(request)
        try:
            update = self.service.remove(document)
        except QAError as error:
            return escape(error_message(error, view.language)), *self.documents_view(request)
        return escape(view.t("removed", name=document, count=update.removed)), *self.documents_view(request)

    def use_model(self, model: str, request: gr.Request | None = None, progress=gr.Progress()):
        """Return (status, documents table, dropdown) after switching the embedding model and re-embedding."""
        view = self.view(request)
        progress(0, desc=view.t("embedding"))
        try:
            update = self.service.use_model(
                model or DEFAULT_MODEL,
                lambda done, total: progress((done, total or None), desc=view.t("embedding"), unit=view.t("passages_unit")),
            )
        except QAError as error:
            return escape(error_message(error, view.language)), *self.documents_view(request)
        return escape(
            view.t("using_model", model=self.service.model, passages=update.passages, embedded=update.embedded)
        ), *self.documents_view(request)

    def evaluate(
        self,
        source: str,
        dataset: str | None,
        k: int,
        mode: str,
        threshold: float,
        request: gr.Request | None = None,
        progress=gr.Progress(),
    ):
        """Return (status, metrics table, worst failures, plots) of an evaluation run; one progress bar, on the status."""
        view = self.view(request)
        progress(0, desc=view.t("evaluating"))
        try:
            result = run_evaluation(
                self.service,
                source,
                Path(dataset) if dataset else None,
                k,
                mode,
                threshold,
                lambda done, total: progress((done, total), desc=view.t("evaluating"), unit=view.t("questions_unit")),
            )
        except QAError as error:
            return escape(error_message(error, view.language)), "", "", ""
        return (
            escape(view.t("report_written", path=self._data_path(result.report / "report.md"))),
            metrics_html(result.retriever, result.summary, view),
            failures_html(result.failures, view),
            plots_html(result.plots),
        )
