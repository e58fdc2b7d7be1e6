"""The question-answering system as one object: settings in; index, search, ask and evaluate out.

Every front end (the CLI, the chat app, the benchmarks) builds a QASystem from a Settings record and
calls only it, so a question is answered the same way everywhere, evaluation included:

    system = QASystem(Settings(data_dir=Path(".qa")))
    system.index([Path("seeds")])
    system.ask("獨山港區A3泊位的設計年綜合通過能力是多少？").answer.text

Nothing loads when it is made: the encoder, the reader and the index load on first use (`warm_up()`
loads them all at once).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from embeddings.encoder import DEFAULT_MODEL, Encoder
from qa.answering import TimedAnswer, answer_from_passages, answer_query, default_threshold
from qa.config import embedding_cache_path
from qa.datasets import EvalExample
from qa.errors import QAError
from qa.evaluation import RECALL_DEPTH, EvalRecord, evaluate
from qa.query import QueryHandler
from qa.reading.base import Reader
from qa.reading.factory import DEFAULT_READER, make_reader
from qa.records import Passage, RetrievedPassage
from qa.retrieval.backend import EVAL_COLLECTION, PassageStore, open_store
from qa.retrieval.cache import EmbeddingCache
from qa.retrieval.encoders import load_encoder
from qa.retrieval.retriever import FUSION_DEPTH, RETRIEVERS, Retriever, fuse
from qa.retrieval.store import IndexUpdate, LoadedIndex, StageProgress, build_index, load_index, update_index
from qa.retrieval.sync import sync_passages, sync_store

log = logging.getLogger(__name__)
EncoderFactory = Callable[[str, Path], Encoder]
ReaderFactory = Callable[[str, Path], Reader]
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Settings:
    """How a QASystem answers: its data dir, embedding model, reader, passages read, retriever, abstention threshold
    and index store.

    threshold None means the reader's own (qa.answering.default_threshold). store "" is the embedded
    index in the data dir; a URI names a Milvus store (`milvus:./qa.db`, `http://host:19530`). Invalid
    values raise QAError with a one-line message naming the fix.
    """

    data_dir: Path
    model: str = DEFAULT_MODEL
    reader: str = DEFAULT_READER
    k: int = 5
    retriever: str = "hybrid"
    threshold: float | None = None
    store: str = ""

    def __post_init__(self) -> None:
        check_options(self.k, self.retriever, self.threshold)

    @cached_property
    def abstain_below(self) -> float:
        """Return the confidence below which the system abstains: the threshold set, else the reader's own (read from
        its card once per settings, not once per question)."""
        return self.threshold if self.threshold is not None else default_threshold(self.reader)


def check_options(k: int | None = None, retriever: str | None = None, threshold: float | None = None) -> None:
    """Raise QAError when passages to read (k), the retriever or the threshold is out of range; return None otherwise."""
    if k is not None and k < 1:
        raise QAError(f"-k must be at least 1 (got {k})")
    if retriever is not None and retriever not in RETRIEVERS:
        raise QAError(f"unknown retriever {retriever!r}; choose from {', '.join(RETRIEVERS)}")
    if threshold is not None and not (math.isfinite(threshold) and 0 <= threshold <= 1):
        raise QAError(f"--threshold must be between 0 and 1 (got {threshold})")


@dataclass
class _Parts:
    """What a QASystem loads on first use; systems over another corpus share the encoder and reader."""

    encoder: Encoder | None = None
    reader: Reader | None = None
    queries: QueryHandler = field(default_factory=QueryHandler)


class QASystem:
    """One data dir's documents answered by one model and reader: index, search, ask, evaluate."""

    def __init__(
        self,
        settings: Settings,
        make_encoder: EncoderFactory = load_encoder,
        make_reader: ReaderFactory = make_reader,
        index: LoadedIndex | None = None,
    ) -> None:
        self.settings = settings
        self._make_encoder = make_encoder
        self._make_reader = make_reader
        self._parts = _Parts()
        self._retriever = Retriever(index, self.encoder) if index is not None else None

    @property
    def encoder(self) -> Encoder:
        """Return the embedding model (its weights load on first use)."""
        if self._parts.encoder is None:
            self._parts.encoder = self._make_encoder(self.settings.model, self.settings.data_dir)
        return self._parts.encoder

    @property
    def reader(self) -> Reader:
        """Return the reader, made on first use."""
        if self._parts.reader is None:
            self._parts.reader = self._make_reader(self.settings.reader, self.settings.data_dir)
        return self._parts.reader

    @property
    def retriever(self) -> Retriever:
        """Return the retriever over the index, loading the data dir's index on first use (QAError when there is none)."""
        if self._retriever is None:
            self._retriever = Retriever(self._stored_index(), self.encoder)
        return self._retriever

    def _stored_index(self) -> PassageStore | LoadedIndex:
        """Return the index the settings name: the store at their URI, else the data dir's (QAError when there is none)."""
        return open_store(self.settings.store) if self.settings.store else load_index(self.settings.data_dir)

    @property
    def embedding_cache(self) -> EmbeddingCache:
        """Return the data dir's embedding cache."""
        return EmbeddingCache(embedding_cache_path(self.settings.data_dir))

    def over_passages(self, passages: Sequence[Passage], progress: Progress | None = None) -> QASystem:
        """Return a system with the same settings, encoder and reader answering from these passages (an index in memory,
        or with a store set the store's evaluation collection, replaced by them; vectors from the embedding cache where it
        has them), e.g. an evaluation set's own corpus."""
        if not passages:
            raise QAError("the corpus holds no passages to answer from")
        if self.settings.store:
            store = open_store(self.settings.store, EVAL_COLLECTION)
            sync_passages(passages, store, self.encoder, self.embedding_cache, prune=True, progress=progress)
            return self._sibling(self.settings, self._parts, Retriever(store, self.encoder))
        index, _ = build_index(passages, self.encoder, self.embedding_cache, progress=progress)
        return self._sibling(self.settings, self._parts, Retriever(index, self.encoder))

    def with_settings(self, settings: Settings) -> QASystem:
        """Return a system answering from the same index with the same encoder and reader, with other k, retriever or
        threshold (ValueError when settings name another data dir, model, reader or store)."""
        mine = (self.settings.data_dir, self.settings.model, self.settings.reader, self.settings.store)
        if (settings.data_dir, settings.model, settings.reader, settings.store) != mine:
            raise ValueError(
                "with_settings changes k, retriever and threshold only; make a new QASystem for another model, reader or store"
            )
        return self._sibling(settings, self._parts, self._retriever)

    def using_reader(self, reader: Reader) -> QASystem:
        """Return a system answering from the same index with the same encoder but another reader object (tuning a
        reader's settings, say); the index and model load now."""
        return self._sibling(self.settings, _Parts(self.encoder, reader, self._parts.queries), self.retriever)

    def _sibling(self, settings: Settings, parts: _Parts, retriever: Retriever | None) -> QASystem:
        """Return a system with these settings sharing the given loaded parts and retriever (None: load on first use)."""
        other = QASystem(settings, self._make_encoder, self._make_reader)
        other._parts = parts
        other._retriever = retriever
        return other

    def index(
        self,
        paths: Sequence[Path],
        index_type: str = "flat",
        progress: Progress | None = None,
        on_total: Progress | None = None,
        prune: bool = False,
        wait: bool = True,
        on_wait: Callable[[str], None] | None = None,
        stages: StageProgress | None = None,
    ) -> IndexUpdate:
        """Index files and folders into the data dir, or the store the settings name (only new or changed passages are
        embedded); return what changed.

        The next question reads the updated index.
        """
        if self.settings.store:
            store = open_store(self.settings.store)
            update = sync_store(paths, store, self.encoder, self.embedding_cache, prune, progress, stages)
            self._retriever = Retriever(store, self.encoder)
            return update
        update = update_index(
            paths,
            self.settings.data_dir,
            self.encoder,
            index_type,
            progress=progress,
            on_total=on_total,
            prune=prune,
            wait=wait,
            on_wait=on_wait,
            stages=stages,
        )
        self._retriever = None
        log.info(
            "indexed %d passages from %d documents: %d embedded, %d added, %d removed",
            update.passages,
            update.documents,
            update.embedded,
            update.added,
            update.removed,
        )
        return update

    def reload(self, index: LoadedIndex | None = None) -> Retriever:
        """Return a retriever over the given index, else over the data dir's index as it is on disk now (after another
        process or thread changed it), and answer from it from now on."""
        self._retriever = Retriever(index if index is not None else self._stored_index(), self.encoder)
        return self._retriever

    def search(self, question: str, k: int | None = None, retriever: str | None = None) -> list[RetrievedPassage]:
        """Return the best passages for a question (as the answering path retrieves them: English keywords translated)."""
        check_options(k, retriever)
        query = self._parts.queries.prepare(question)
        return self.retriever.search(query, k or self.settings.k, retriever or self.settings.retriever)

    def search_all(self, questions: Sequence[str], depth: int, retrievers: Sequence[str]) -> dict[str, list[list[RetrievedPassage]]]:
        """Return, for each retriever, the top-depth passages of every question (questions encoded once, in one batch):
        what `search` returns question by question, for benchmarks over many questions."""
        for mode in retrievers:
            check_options(retriever=mode)
        queries = [self._parts.queries.prepare(question) for question in questions]
        candidates = self.retriever.candidates(queries, max(depth, FUSION_DEPTH))
        return {
            mode: [
                self.retriever.ranked(fuse(mode, dense, bm25)[:depth])
                for dense, bm25 in zip(candidates.dense, candidates.bm25, strict=True)
            ]
            for mode in retrievers
        }

    def unresolved_word(self, question: str, history: Sequence[str] = ()) -> str | None:
        """Return the word of a follow-up that nothing in the history resolves (`它` with no earlier question), else None."""
        return self._parts.queries.unresolved_word(question, history)

    def ask(
        self,
        question: str,
        history: Sequence[str] = (),
        k: int | None = None,
        retriever: str | None = None,
        threshold: float | None = None,
        depth: int | None = None,
    ) -> TimedAnswer:
        """Return the cited answer to a question, or an abstention with the closest passages, with timings.

        history holds the user's earlier questions, oldest first (follow-ups are resolved against
        them); k, retriever and threshold override the settings for this question; with depth > k
        that many passages are retrieved and returned, the top k read.
        """
        check_options(k, retriever, threshold)
        if not question.strip():
            raise QAError("the question is empty; type a question")
        query = self._parts.queries.prepare(question, history)
        timed = answer_query(
            query,
            self.retriever,
            self.reader,
            k or self.settings.k,
            retriever or self.settings.retriever,
            threshold if threshold is not None else self.settings.abstain_below,
            depth,
        )
        log.debug("%r -> %r (retrieve %.0f ms, read %.0f ms)", question, timed.answer.text, timed.retrieve_ms, timed.read_ms)
        return timed

    def read(self, question: str, passages: Sequence[Passage], threshold: float | None = None) -> TimedAnswer:
        """Return the answer read from given passages, ranked in the given order (no retrieval: the reading half of `ask`)."""
        started = time.perf_counter()
        results = tuple(RetrievedPassage(passage, 1.0, rank) for rank, passage in enumerate(passages, start=1))
        answer = answer_from_passages(
            question, list(results), self.reader, threshold if threshold is not None else self.settings.abstain_below
        )
        return TimedAnswer(answer, results, 0.0, (time.perf_counter() - started) * 1000)

    def evaluate(
        self,
        examples: Sequence[EvalExample],
        retriever: str | None = None,
        gold_contexts: Mapping[str, Sequence[Passage]] | None = None,
        progress: Progress | None = None,
    ) -> list[EvalRecord]:
        """Return each example answered as a user's question is (`ask`, RECALL_DEPTH passages kept for recall) and scored.

        With gold_contexts (passages by context id), each question is read from its own context instead.
        """
        check_options(retriever=retriever)
        if gold_contexts is None:
            return evaluate(examples, lambda example: self.ask(example.question, retriever=retriever, depth=RECALL_DEPTH), progress)
        contexts = gold_contexts

        def read_own_context(example: EvalExample) -> TimedAnswer:
            if example.context_id is None or example.context_id not in contexts:
                raise QAError(f"question {example.id} carries no context to read; drop --gold-context")
            return self.read(example.question, contexts[example.context_id])

        return evaluate(examples, read_own_context, progress)

    def warm_up(self) -> None:
        """Load the model, the index and the reader now and answer one question, so the first user's is fast."""
        self.ask("warm up", k=1)
