"""What the chat app does, without the UI: keep the index, model and reader; answer; add and remove documents.

Nothing is loaded when a ChatService is made: `start()` prepares the index (reusing it when it is
current) and warms the model, reporting each stage in `status`; the server runs it behind the page,
and a question asked meanwhile waits for it. Everything else loads on first use.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from embeddings.encoder import DEFAULT_MODEL, Encoder
from qa.answering import TimedAnswer
from qa.chat.documents import DEFAULT_MAX_UPLOAD_MB, store_upload, uploaded_path, uploads_dir
from qa.chat.i18n import ChatError, translate
from qa.chat.names import BUILT_IN, INDEXED, UPLOADED, DocumentNames
from qa.config import SEEDS
from qa.errors import QAError
from qa.ingest.loaders import iter_document_paths
from qa.ingest.pipeline import display_path
from qa.reading.base import Reader
from qa.reading.factory import DEFAULT_READER
from qa.retrieval.encoders import load_encoder
from qa.retrieval.retriever import RETRIEVERS, Retriever
from qa.retrieval.store import IndexUpdate, index_dir
from qa.system import QASystem, Settings

MAX_QUESTION_CHARS = 500
START_WAIT_SECONDS = 600
Progress = Callable[[int, int], None]
STARTING, CONVERTING, LOADING, INDEXING, WARMING, READY, FAILED = (
    "starting",
    "converting",
    "loading",
    "indexing",
    "warming",
    "ready",
    "failed",
)


@dataclass(frozen=True)
class StartStatus:
    """Where the start-up is: its stage, passages indexed so far of the total, and the summary or error when done."""

    stage: str
    done: int = 0
    total: int = 0
    documents: int = 0
    passages: int = 0
    error: str = ""

    @property
    def finished(self) -> bool:
        """Return True once the start-up is over, ready or failed."""
        return self.stage in (READY, FAILED)

    def line(self, language: str) -> str:
        """Return the status as one line in a language (zh or en): the stage, passages indexed so far, or the error."""
        if self.stage == READY:
            return translate("status_ready", language, documents=self.documents, passages=self.passages)
        if self.stage == FAILED:
            return translate("status_failed", language, reason=self.error)
        if self.stage == INDEXING:
            return translate("status_indexing", language, done=self.done, total=self.total or "?")
        return translate("status_" + self.stage, language)


class NeedsReferent(QAError):
    """A follow-up whose pronoun or ellipsis has nothing to refer to: the chat asks what it means."""

    def __init__(self, word: str) -> None:
        super().__init__(f"what does “{word}” refer to? Ask the full question")
        self.word = word


@dataclass(frozen=True)
class DocumentInfo:
    """An indexed document: its name, passage count, and origin (built-in, uploaded or indexed by `qa index`)."""

    name: str
    passages: int
    origin: str


@dataclass(frozen=True)
class UploadResult:
    """What an upload did: the documents stored and indexed (display names), the errors of those refused, the index update."""

    stored: tuple[str, ...]
    problems: tuple[QAError, ...]
    update: IndexUpdate | None

    @property
    def errors(self) -> tuple[str, ...]:
        """Return the refusals as one-line English messages."""
        return tuple(str(problem) for problem in self.problems)


@dataclass(frozen=True)
class StartReport:
    """How the app got ready: whether the index was reused, its size, a one-line summary, and seconds per stage."""

    reused: bool
    passages: int
    documents: int
    message: str
    stages: tuple[tuple[str, float], ...] = ()

    @property
    def stages_line(self) -> str:
        """Return 'start-up stages: loading 9.3 s, warming 1.4 s'."""
        return "start-up stages: " + ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in self.stages)


class ChatService:
    """Holds one data dir's index, encoder and reader for every chat session; index changes are serialized."""

    def __init__(
        self,
        data_dir: Path,
        seeds: Path = SEEDS,
        model: str = DEFAULT_MODEL,
        reader: str = DEFAULT_READER,
        max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
        make_encoder: Callable[[str, Path], Encoder] = load_encoder,
        store: str = "",
    ) -> None:
        self.data_dir = Path(data_dir)
        self.seeds = seeds
        self.max_upload_bytes = int(max_upload_mb * 2**20)
        self._make_encoder = make_encoder
        self._system = QASystem(Settings(self.data_dir, model=model, reader=reader, store=store), make_encoder)
        self._lock = threading.RLock()
        self._status = StartStatus(STARTING)
        self._started = threading.Event()
        self.names = DocumentNames(uploads_dir(self.data_dir), seeds)

    @property
    def status(self) -> StartStatus:
        """Return where the start-up is (STARTING until `start()` runs)."""
        return self._status

    @property
    def first_start(self) -> bool:
        """Return True when the data dir holds no converted model yet: this start converts it (tens of seconds)."""
        return not (self.data_dir / "models").exists()

    def wait_until_started(self, timeout: float = START_WAIT_SECONDS) -> None:
        """Block until `start()` has finished; raises ChatError when it failed or is still running after timeout seconds."""
        if not self._started.wait(timeout):
            raise ChatError("start_timeout")
        if self._status.stage == FAILED:
            raise ChatError("start_failed", reason=self._status.error)

    @property
    def uploads(self) -> Path:
        """Return the folder of uploaded documents."""
        return uploads_dir(self.data_dir)

    @property
    def model(self) -> str:
        """Return the embedding model in use (a sentence-transformers name, a folder, or 'default')."""
        return self._system.settings.model

    @property
    def encoder(self) -> Encoder:
        """Return the encoder of the current model (its weights load on first use)."""
        return self._system.encoder

    @property
    def reader(self) -> Reader:
        """Return the reader, made on first use."""
        return self._system.reader

    @property
    def abstain_below(self) -> float:
        """Return the confidence below which answers are withheld unless a question sets its own: the reader's own threshold."""
        return self._system.settings.abstain_below

    @property
    def system(self) -> QASystem:
        """Return the question-answering system the chat answers with (its model changes with `use_model`)."""
        return self._system

    def retriever(self) -> Retriever:
        """Return the retriever over the current index, loading the index on first use."""
        with self._lock:
            return self._system.retriever

    def start(self) -> StartReport:
        """Make the index current (reuse it when it holds the seed and was built with this model) and warm everything up.

        Each stage is reported in `status`; a failure is recorded there (questions then get its message) and raised.
        """
        try:
            report = self._start()
        except BaseException as error:
            self._status = StartStatus(FAILED, error=str(error).splitlines()[0] if str(error) else type(error).__name__)
            raise
        finally:
            self._started.set()
        return report

    def _start(self) -> StartReport:
        stages: list[tuple[str, float]] = []
        clock = [time.perf_counter()]

        def enter(stage: str) -> None:
            now = time.perf_counter()
            if self._status.stage != STARTING:
                stages.append((self._status.stage, now - clock[0]))
            clock[0] = now
            self._status = StartStatus(stage)

        enter(CONVERTING if self.first_start else LOADING)
        with self._lock:
            _ = self.encoder.fingerprint  # load the model now (converting it on a first start), so the stage shown is the one running
            reused = self._index_is_current()
            if not reused:
                self.uploads.mkdir(parents=True, exist_ok=True)
                enter(INDEXING)
                self._index_with_status([self.seeds, self.uploads])
            info = self._system.retriever.store.info()  # the index checked above, or the one just built (_reindex reloads)
        enter(WARMING)
        self._system.warm_up()
        enter(READY)
        verb = "reused the index" if reused else "indexed"
        where = self._system.settings.store or index_dir(self.data_dir)
        message = f"{verb}: {info.passages} passages from {len(info.documents)} documents in {where}"
        self._status = StartStatus(READY, documents=len(info.documents), passages=info.passages)
        return StartReport(reused, info.passages, len(info.documents), message, tuple(stages))

    def _index_with_status(self, paths: Sequence[Path]) -> IndexUpdate:
        def progress(done: int, total: int) -> None:
            self._status = StartStatus(INDEXING, done, total)

        return self._reindex(paths, progress)

    def _index_is_current(self) -> bool:
        """Return True when the index (the data dir's, or the store's) holds every seed document and was built with this model."""
        try:
            info = self._system.reload().store.info()
        except QAError:
            return False
        seed_names = {display_path(path) for _, path in iter_document_paths([self.seeds])}
        return seed_names <= set(info.documents) and info.model_fingerprint == self.encoder.fingerprint

    def ask(
        self, question: str, history: Sequence[str] = (), k: int = 5, mode: str = "hybrid", threshold: float | None = None
    ) -> TimedAnswer:
        """Return the cited answer to a question (earlier questions resolve follow-ups), once the start-up is done.

        Raises ChatError on bad input and NeedsReferent for a follow-up with nothing to refer to.
        """
        if not isinstance(question, str):
            raise ChatError("question_not_text", kind=type(question).__name__)
        if not all(isinstance(earlier, str) for earlier in history):
            raise ChatError("history_not_text")
        question = question.strip()
        if not question:
            raise ChatError("question_empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise ChatError("question_too_long", chars=len(question), limit=MAX_QUESTION_CHARS)
        if mode not in RETRIEVERS:
            raise ChatError("unknown_retriever", mode=mode, choices=", ".join(RETRIEVERS))
        if int(k) < 1:
            raise ChatError("bad_top_k", k=k)
        if threshold is not None and not 0 <= float(threshold) <= 1:
            raise ChatError("bad_threshold", threshold=threshold)
        earlier = [h for h in history if h.strip()]
        word = self._system.unresolved_word(question, earlier)
        if word is not None:
            raise NeedsReferent(word)
        self.wait_until_started()
        return self._system.ask(question, earlier, int(k), mode, None if threshold is None else float(threshold))

    def documents(self) -> list[DocumentInfo]:
        """Return every indexed document by display name with its passage count and origin, uploads first."""
        documents = self.retriever().store.info().documents
        infos = [DocumentInfo(self.names.display(name), count, self.names.origin(name)) for name, count in documents.items()]
        order = {UPLOADED: 0, INDEXED: 1, BUILT_IN: 2}
        return sorted(infos, key=lambda info: (order[info.origin], info.name))

    def add(self, files: Sequence[tuple[Path, str]], progress: Progress | None = None) -> UploadResult:
        """Store uploaded (path, original name) files and index them; refused files get one-line errors."""
        stored: list[Path] = []
        errors: list[QAError] = []
        for path, name in files:
            try:
                stored.append(store_upload(Path(path), name, self.uploads, self.max_upload_bytes))
            except QAError as error:
                errors.append(error)
        if not stored:
            return UploadResult((), tuple(errors), None)
        try:
            update = self._reindex(stored, progress)
        except QAError as error:
            for path in stored:
                path.unlink(missing_ok=True)
            return UploadResult((), (*errors, QAError(self._without_folders(str(error)))), None)
        failed = {Path(error.path).resolve() for error in update.errors}
        errors.extend(QAError(f"{Path(error.path).name}: {self._without_folders(str(error.reason))}") for error in update.errors)
        for path in stored:
            if path.resolve() in failed:
                path.unlink(missing_ok=True)
        indexed = tuple(sorted(self.names.display(str(path)) for path in stored if path.resolve() not in failed))
        return UploadResult(indexed, tuple(errors), update)

    def _without_folders(self, message: str) -> str:
        """Return a message with the documents folder's path taken out of the file names it mentions."""
        for folder in {str(self.uploads), str(self.uploads.resolve())}:
            message = message.replace(folder + os.sep, "")
        return message

    def remove(self, document: str) -> IndexUpdate:
        """Delete an uploaded document (by its display name) and drop its passages from the index."""
        with self._lock:
            uploaded_path(self.uploads, document).unlink()
            return self._reindex([self.uploads], None)

    def use_model(self, model: str, progress: Progress | None = None) -> IndexUpdate:
        """Switch the embedding model and re-embed the seed and uploads with it; the old model stays on failure."""
        model = model.strip() or DEFAULT_MODEL
        with self._lock:
            previous = self._system
            self._system = QASystem(replace(previous.settings, model=model), self._make_encoder)
            try:
                self.uploads.mkdir(parents=True, exist_ok=True)
                return self._reindex([self.seeds, self.uploads], progress)
            except QAError:
                self._system = previous
                raise

    def _reindex(self, paths: Sequence[Path], progress: Progress | None) -> IndexUpdate:
        total = [0]
        done = [0]

        def advance(count: int) -> None:
            done[0] += count
            if progress is not None:
                progress(done[0], total[0])

        def set_total(count: int) -> None:
            total[0] = count

        with self._lock:
            update = self._system.index(paths, progress=advance, on_total=set_total)
            self._system.reload()
        return update
