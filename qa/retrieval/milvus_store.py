"""The index in Milvus: `milvus:./qa.db` (a Milvus Lite file, for development) or `http://host:19530` (a server or cluster).

One collection per index holds a row per passage: its stable id (primary key), document, dense vector
(COSINE; HNSW on a server, its build settings nested under `params`; exact FLAT in Milvus Lite, whose
HNSW found only 76 % of the exact top 50 on the 5k contract corpus), client-side BM25 sparse vector,
token counts and the passage as JSON (text, metadata, provenance). A second collection, `<name>_meta`,
holds the corpus statistics BM25 needs (passages, total length; document frequencies in DF_SHARDS rows
of term -> count), passages per document, and the model.

BM25 is the project's own (qa/retrieval/bm25.py): the jieba tokens of a passage are hashed to 32-bit
sparse ids weighted tf / (tf + k1 (1 - b + b len / avglen)), a query's to repeats x idf, and Milvus's
inner product proposes candidates that are then scored exactly as the embedded index scores them
(current statistics, 64-bit term hashes, float64), so both stores rank alike. Searches always name
their output fields (without them Milvus returns whole vectors). One writer at a time. A passage's
sparse weights use the average length when it was written; candidates are re-scored with the current
one, so rankings stay exact while later writes move the average little (each write re-weights only
its own passages).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pymilvus import DataType, MilvusClient, MilvusException

from qa.errors import QAError
from qa.records import Passage
from qa.retrieval.backend import INDEX_COLLECTION, StoreInfo
from qa.retrieval.bm25 import K1, B, ChineseTokenizer
from qa.retrieval.hits import Hit
from qa.retrieval.postings import term_hash
from qa.retrieval.store import BM25_BIGRAMS, searchable_text
from qa.serialize import passage_from_dict, passage_to_dict

LITE_SCHEME = "milvus:"
SERVER_SCHEMES = ("http://", "https://")
HNSW_PARAMS = {"M": 32, "efConstruction": 200}
_SPARSE_IDS = 2**32 - 1
_BATCH = 500
_ID_LENGTH = 4096
_STATS = "stats"
DF_SHARDS = 4096
_CLIENTS: dict[str, MilvusClient] = {}


def is_milvus_uri(uri: str) -> bool:
    """Return whether a --store URI names Milvus (a Lite file or a server)."""
    return uri.startswith(LITE_SCHEME) or uri.startswith(SERVER_SCHEMES)


def sparse_id(term: int) -> int:
    """Return the 32-bit sparse-vector id of a 64-bit term hash (Milvus sparse ids are below 2**32 - 1)."""
    return term % _SPARSE_IDS


def connect(uri: str) -> MilvusClient:
    """Return a client for the URI (one per URI and process); QAError in one line when it cannot be opened or reached."""
    if uri in _CLIENTS:
        return _CLIENTS[uri]
    if uri.startswith(LITE_SCHEME):
        path = _lite_path(uri)
        if path.suffix != ".db":
            raise QAError(f"a Milvus Lite store is a file ending in .db (got {uri}); pass e.g. --store milvus:./qa.db")
        _refuse_locked(path)
        target = str(path.resolve())
    elif uri.startswith(SERVER_SCHEMES):
        target = uri
    else:
        raise QAError(f"unknown --store {uri!r}; use milvus:./qa.db (Milvus Lite) or http://host:19530 (a Milvus server)")
    try:
        client = MilvusClient(uri=target, timeout=10)
    except MilvusException as error:
        raise QAError(f"cannot reach Milvus at {uri} ({_reason(error)}); start the server or check --store") from None
    _CLIENTS[uri] = client
    return client


def _lite_path(uri: str) -> Path:
    return Path(uri[len(LITE_SCHEME) :]).expanduser()


def _refuse_locked(path: Path) -> None:
    """Raise QAError when another process holds the Milvus Lite file (milvus-lite's DataDirLockedError)."""
    lock = path / "LOCK"
    if not lock.exists():
        return
    descriptor = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(descriptor, fcntl.LOCK_UN)
    except OSError:
        raise QAError(f"the Milvus Lite file {path} is open in another process (DataDirLockedError); close it there first") from None
    finally:
        os.close(descriptor)


def _reason(error: MilvusException) -> str:
    return (getattr(error, "message", "") or str(error)).splitlines()[0][:200] or type(error).__name__


def _in(field: str, values: Iterable[str]) -> str:
    """Return a filter expression matching rows whose field is one of the values (quoted as JSON strings)."""
    return f"{field} in {json.dumps(list(values), ensure_ascii=False)}"


def _chunks(items: Sequence[Any], size: int = _BATCH) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class MilvusStore:
    """The index in a Milvus collection (see the module docstring); a PassageStore."""

    def __init__(self, uri: str, collection: str = INDEX_COLLECTION) -> None:
        self.uri = uri
        self.collection = collection
        self.meta = f"{collection}_meta"
        self.lite = uri.startswith(LITE_SCHEME)
        self._client = connect(uri)
        self._tokenize = ChineseTokenizer(BM25_BIGRAMS)
        self._cached_stats: dict[str, Any] | None = None
        for name in (self.collection, self.meta):
            if self._call(self._client.has_collection, name):
                self._call(self._client.load_collection, name)

    def info(self) -> StoreInfo:
        """Return the model, dimension and passages per document (QAError when nothing was indexed here)."""
        stats = self._stats()
        if stats is None:
            raise QAError(f"no index in {self.uri}; build one with `qa index PATH --store {self.uri}`")
        documents = self._call(self._client.query, self.meta, filter='key like "doc:%"', output_fields=["key", "value"])
        counts = {row["key"][4:]: int(row["value"]["passages"]) for row in documents}
        return StoreInfo(stats["model"], stats["fingerprint"], int(stats["dimension"]), counts)

    def prepare(self, model: str, fingerprint: str, dimension: int) -> None:
        """Create the collections for a model's vectors, or check that the existing ones hold that model (QAError if not)."""
        stats = self._stats()
        if stats is not None:
            if stats["fingerprint"] != fingerprint or int(stats["dimension"]) != dimension:
                raise QAError(
                    f"{self.uri} holds vectors of model '{stats['model']}'; drop its collection {self.collection} or use another --store"
                )
            return
        self._create(dimension)
        self._put_meta([(_STATS, {"model": model, "fingerprint": fingerprint, "dimension": dimension, "passages": 0, "length": 0})])

    def add(self, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        """Store passages (row i of vectors is passages[i]), replacing stored ones with the same id; call `prepare` first."""
        if len(passages) != len(vectors):
            raise ValueError(f"{len(passages)} passages for {len(vectors)} vectors")
        if not passages:
            return
        stats = self._require_stats()
        old = self._rows("id", [passage.id for passage in passages])
        counts = [_term_counts(self._tokenize(searchable_text(passage))) for passage in passages]
        lengths = [sum(count.values()) for count in counts]
        changes: Counter[int] = Counter()
        for row in old:
            changes.subtract(int(term) for term in row["terms"])
        for count in counts:
            changes.update(count.keys())
        documents: Counter[str] = Counter(passage.document for passage in passages)
        documents.subtract(row["document"] for row in old)
        stats["passages"] += len(passages) - len(old)
        stats["length"] += sum(lengths) - sum(int(row["length"]) for row in old)
        average = stats["length"] / stats["passages"]
        rows = [
            {
                "id": passage.id,
                "document": passage.document,
                "dense": np.asarray(vector, np.float32).tolist(),
                "sparse": _document_weights(count, length, average),
                "length": length,
                "terms": {str(term): tf for term, tf in count.items()},
                "passage": passage_to_dict(passage),
            }
            for passage, vector, count, length in zip(passages, vectors, counts, lengths, strict=True)
        ]
        for chunk in _chunks(rows):
            self._call(self._client.upsert, self.collection, list(chunk))
        self._update_counts(changes, documents, stats)

    def remove(self, documents: Sequence[str]) -> int:
        """Remove every passage of the named documents; return how many passages went."""
        if not documents or self._stats() is None:
            return 0
        stats = self._require_stats()
        old = self._rows("document", documents)
        if not old:
            return 0
        changes: Counter[int] = Counter()
        for row in old:
            changes.subtract(int(term) for term in row["terms"])
        for chunk in _chunks([row["id"] for row in old]):
            self._call(self._client.delete, self.collection, ids=list(chunk))
        stats["passages"] -= len(old)
        stats["length"] -= sum(int(row["length"]) for row in old)
        gone: Counter[str] = Counter()
        gone.subtract(row["document"] for row in old)
        self._update_counts(changes, gone, stats)
        return len(old)

    def dense_search(self, vectors: np.ndarray, k: int) -> list[list[Hit]]:
        """Return, per query vector, up to k hits by cosine (inner product of normalized vectors), best first (ties by id)."""
        if k <= 0 or not len(vectors):
            return [[] for _ in range(len(vectors))]
        limit = k + 16
        results = self._call(
            self._client.search,
            self.collection,
            data=[np.asarray(vector, np.float32).tolist() for vector in vectors],
            anns_field="dense",
            limit=limit,
            output_fields=["id"],
            search_params={"metric_type": "COSINE", "params": {"ef": max(64, limit)} if not self.lite else {}},
        )
        return [_ranked([(float(hit["distance"]), str(hit["id"])) for hit in hits], k) for hits in results]

    def sparse_search(self, keywords: str, k: int) -> list[Hit]:
        """Return up to k hits with a positive BM25 score for the keywords, best first (ties by id), scored as the embedded
        index scores them."""
        tokens = self._tokenize(keywords)
        stats = self._require_stats()
        if not tokens or k <= 0 or not stats["passages"]:
            return []
        repeats = Counter(term_hash(token) for token in tokens)
        frequencies = self._frequencies(repeats)
        count, average = int(stats["passages"]), stats["length"] / stats["passages"]
        idf = {term: np.log(1 + (count - df + 0.5) / (df + 0.5)) for term, df in frequencies.items()}
        query: dict[int, float] = {}
        for term, times in repeats.items():
            if term in idf:
                query[sparse_id(term)] = query.get(sparse_id(term), 0.0) + float(times * idf[term])
        if not query:
            return []
        results = self._call(
            self._client.search,
            self.collection,
            data=[query],
            anns_field="sparse",
            limit=min(max(2 * k, k + 50), 16384),
            output_fields=["id", "terms", "length"],
            search_params={"metric_type": "IP"},
        )
        scored = []
        for hit in results[0]:
            entity = hit["entity"]
            length, terms = int(entity["length"]), entity["terms"]
            score = 0.0
            for term, times in repeats.items():
                tf = terms.get(str(term))
                if tf is not None and term in idf:
                    score += times * idf[term] * float(tf) / (float(tf) + K1 * (1 - B + B * length / average))
            if score > 0:
                scored.append((float(score), str(entity["id"])))
        return _ranked(scored, k)

    def fetch(self, ids: Sequence[str]) -> list[Passage]:
        """Return the passages with these ids, in order (QAError when one is not stored)."""
        found: dict[str, Passage] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            for row in self._call(self._client.get, self.collection, ids=list(chunk), output_fields=["id", "passage"]):
                found[row["id"]] = passage_from_dict(row["passage"])
        missing = [passage_id for passage_id in ids if passage_id not in found]
        if missing:
            raise QAError(f"passage {missing[0]} is not in {self.uri}; index again with `qa index PATH --store {self.uri}`")
        return [found[passage_id] for passage_id in ids]

    def close(self) -> None:
        """Close the connection, and stop this process's Milvus Lite server for the file (another process may then open it)."""
        _CLIENTS.pop(self.uri, None)
        self._client.close()
        if self.lite:
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(str(_lite_path(self.uri).resolve()))

    def drop(self) -> None:
        """Delete the index's collections (nothing when they do not exist)."""
        for name in (self.collection, self.meta):
            if self._call(self._client.has_collection, name):
                self._call(self._client.drop_collection, name)

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except MilvusException as error:
            raise QAError(f"Milvus at {self.uri} failed ({_reason(error)})") from None

    def _create(self, dimension: int) -> None:
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=_ID_LENGTH)
        schema.add_field("document", DataType.VARCHAR, max_length=_ID_LENGTH)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("length", DataType.INT64)
        schema.add_field("terms", DataType.JSON)
        schema.add_field("passage", DataType.JSON)
        index = self._client.prepare_index_params()
        if self.lite:
            index.add_index("dense", index_type="FLAT", metric_type="COSINE")
        else:
            index.add_index("dense", index_type="HNSW", metric_type="COSINE", params=dict(HNSW_PARAMS))
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        self._call(self._client.create_collection, self.collection, schema=schema, index_params=index)
        meta = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        meta.add_field("key", DataType.VARCHAR, is_primary=True, max_length=_ID_LENGTH)
        meta.add_field("value", DataType.JSON)
        meta.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
        meta_index = self._client.prepare_index_params()
        meta_index.add_index("unused", index_type="FLAT", metric_type="L2")
        self._call(self._client.create_collection, self.meta, schema=meta, index_params=meta_index)

    def _stats(self) -> dict[str, Any] | None:
        """Return the corpus statistics row (read once, then kept up to date by this store's writes; None before any)."""
        if self._cached_stats is None and self._call(self._client.has_collection, self.meta):
            rows = self._call(self._client.get, self.meta, ids=[_STATS], output_fields=["key", "value"])
            self._cached_stats = dict(rows[0]["value"]) if rows else None
        return None if self._cached_stats is None else dict(self._cached_stats)

    def _require_stats(self) -> dict[str, Any]:
        stats = self._stats()
        if stats is None:
            raise QAError(f"no index in {self.uri}; build one with `qa index PATH --store {self.uri}`")
        return stats

    def _rows(self, field: str, values: Sequence[str]) -> list[dict[str, Any]]:
        """Return the stored rows (id, document, terms, length) whose field is one of the values."""
        rows: list[dict[str, Any]] = []
        for chunk in _chunks(list(values)):
            rows.extend(
                self._call(
                    self._client.query, self.collection, filter=_in(field, chunk), output_fields=["id", "document", "terms", "length"]
                )
            )
        return rows

    def _values(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Return the meta rows' values by key (keys not stored are left out)."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(dict.fromkeys(keys))):
            for row in self._call(self._client.get, self.meta, ids=list(chunk), output_fields=["key", "value"]):
                found[row["key"]] = dict(row["value"])
        return found

    def _frequencies(self, terms: Iterable[int]) -> dict[int, int]:
        """Return the document frequency of each term stored (terms no passage holds are left out)."""
        wanted = list(terms)
        shards = self._values(_shard_key(term) for term in wanted)
        found: dict[int, int] = {}
        for term in wanted:
            df = shards.get(_shard_key(term), {}).get(str(term))
            if df:
                found[term] = int(df)
        return found

    def _update_counts(self, terms: Mapping[int, int], documents: Mapping[str, int], stats: dict[str, Any]) -> None:
        """Apply changes to document frequencies and passages per document, then the corpus statistics."""
        by_shard: dict[str, dict[str, int]] = {}
        for term, change in terms.items():
            if change:
                by_shard.setdefault(_shard_key(term), {})[str(term)] = change
        shards = self._values(by_shard)
        for key, changes in by_shard.items():
            counts = shards.setdefault(key, {})
            for name, change in changes.items():
                counts[name] = counts.get(name, 0) + change
                if counts[name] <= 0:
                    del counts[name]
        touched = [f"doc:{name}" for name, change in documents.items() if change]
        passages = self._values(touched)
        for key in touched:
            count = passages.get(key, {}).get("passages", 0) + documents[key[4:]]
            passages[key] = {"passages": count} if count > 0 else {}
        changed = {**shards, **passages}
        gone = [key for key, value in changed.items() if not value]
        for chunk in _chunks(gone):
            self._call(self._client.delete, self.meta, ids=list(chunk))
        self._put_meta([(key, value) for key, value in changed.items() if value] + [(_STATS, stats)])
        for name in (self.collection, self.meta):
            self._call(self._client.flush, name)  # sealed segments keep their search index; Milvus Lite rebuilds unflushed rows per query

    def _put_meta(self, entries: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        rows = [{"key": key, "value": dict(value), "unused": [0.0, 0.0]} for key, value in entries]
        for chunk in _chunks(rows):
            self._call(self._client.upsert, self.meta, list(chunk))
        stats = [value for key, value in entries if key == _STATS]
        if stats:
            self._cached_stats = dict(stats[-1])


def _shard_key(term: int) -> str:
    """Return the meta row holding a term's document frequency (terms share DF_SHARDS rows, so writes stay few)."""
    return f"df:{term % DF_SHARDS}"


def _term_counts(tokens: list[str]) -> Counter[int]:
    """Return each term's frequency in a passage's tokens (an empty passage counts one empty token, as the embedded index)."""
    return Counter(term_hash(token) for token in tokens or [""])


def _document_weights(counts: Mapping[int, int], length: int, average: float) -> dict[int, float]:
    """Return the sparse vector of a passage: per 32-bit term id, tf / (tf + k1 (1 - b + b length / average))."""
    weights: dict[int, float] = {}
    for term, tf in counts.items():
        key = sparse_id(term)
        weights[key] = weights.get(key, 0.0) + tf / (tf + K1 * (1 - B + B * length / average))
    return weights


def _ranked(pairs: list[tuple[float, str]], k: int) -> list[Hit]:
    """Return the k best (score, passage id) pairs as hits, best first, ties by passage id."""
    ordered = sorted(pairs, key=lambda pair: (-pair[0], pair[1]))[:k]
    return [Hit(passage_id, score, rank) for rank, (score, passage_id) in enumerate(ordered, start=1)]
