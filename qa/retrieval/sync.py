"""Index files or passages into a store that takes passages and vectors (the Milvus store): only changed documents are written."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from embeddings.encoder import Encoder
from qa.errors import QAError
from qa.ingest.pipeline import ingest_paths
from qa.records import Passage
from qa.retrieval.backend import PassageStore
from qa.retrieval.cache import EmbeddingCache
from qa.retrieval.store import IndexUpdate, StageProgress, embed_with_cache


def sync_store(
    paths: Sequence[Path],
    store: PassageStore,
    encoder: Encoder,
    cache: EmbeddingCache,
    prune: bool = False,
    progress: Callable[[int], None] | None = None,
    stages: StageProgress | None = None,
) -> IndexUpdate:
    """Index the documents under `paths` into the store and return what changed.

    A document whose passages differ from the stored ones is replaced; documents stored from other
    paths stay (with `prune`, every document not read now is removed; a file that vanished is
    removed only then). Vectors come from the embedding cache where it has them.
    """
    if stages is not None:
        stages.start("ingest", len(paths))
    ingested = ingest_paths(paths)
    if stages is not None:
        stages.advance("ingest", len(paths))
    if not ingested.passages:
        problem = f": {ingested.errors[0]}" if ingested.errors else f" under {', '.join(map(str, paths))}"
        raise QAError(f"nothing could be indexed{problem}")
    update = sync_passages(ingested.passages, store, encoder, cache, prune, progress, stages)
    return IndexUpdate(
        update.passages, update.documents, update.embedded, update.reused, update.added, update.removed, ingested.errors, update.notes
    )


def sync_passages(
    passages: Sequence[Passage],
    store: PassageStore,
    encoder: Encoder,
    cache: EmbeddingCache,
    prune: bool = False,
    progress: Callable[[int], None] | None = None,
    stages: StageProgress | None = None,
) -> IndexUpdate:
    """Write the documents of these passages into the store where they differ from the stored ones; return what changed.

    With `prune`, stored documents that none of the passages belong to are removed.
    """
    store.prepare(encoder.name, encoder.fingerprint, encoder.dimension)
    by_document: dict[str, list[Passage]] = {}
    for passage in passages:
        by_document.setdefault(passage.document, []).append(passage)
    held = dict(store.info().documents)
    changed = [name for name, group in by_document.items() if not _unchanged(store, held.get(name, 0), group)]
    dropped = [name for name in held if name in changed or (prune and name not in by_document)]
    fresh = [passage for name in changed for passage in by_document[name]]
    if stages is not None:
        stages.start("embed", len(fresh))
    embedded_progress = _both(progress, None if stages is None else lambda count: stages.advance("embed", count))
    vectors, embedded = embed_with_cache(fresh, encoder, cache, embedded_progress)
    if stages is not None:
        stages.start("write", 2)
    removed = store.remove(dropped)
    if stages is not None:
        stages.advance("write", 1)
    store.add(fresh, vectors)
    if stages is not None:
        stages.advance("write", 1)
    documents = store.info().documents
    pruned = sum(1 for name in dropped if name not in by_document)
    notes = (f"pruned {pruned} documents not under the given paths",) if pruned else ()
    total = sum(documents.values())
    return IndexUpdate(total, len(documents), embedded, total - embedded, len(fresh), removed, (), notes)


def _both(first: Callable[[int], None] | None, second: Callable[[int], None] | None) -> Callable[[int], None] | None:
    """Return a callback calling both (None when neither is given)."""
    if first is None or second is None:
        return first or second

    def call(count: int) -> None:
        first(count)
        second(count)

    return call


def _unchanged(store: PassageStore, held: int, passages: Sequence[Passage]) -> bool:
    """Return whether the store holds exactly these passages of a document."""
    if held != len(passages):
        return False
    try:
        return store.fetch([passage.id for passage in passages]) == list(passages)
    except QAError:
        return False
