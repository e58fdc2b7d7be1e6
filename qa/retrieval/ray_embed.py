"""Bulk embedding on Ray: an actor pool of encoders (Ray Data) embeds the passages the embedding cache lacks.

`qa index PATH --ray ADDRESS|auto` calls `embed_on_ray` before the usual update: the vectors land in
the data dir's embedding cache, so the update (embedded index or Milvus store) embeds nothing itself
and writes the same index as a single process would. `auto` starts a local Ray instance on this
machine's cores; any other address joins that cluster (`ray://host:10001` or `host:6379`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from embeddings.encoder import Encoder
from qa.errors import QAError
from qa.records import Passage
from qa.retrieval.cache import EmbeddingCache, text_key
from qa.retrieval.store import searchable_text

BATCH = 64


@dataclass(frozen=True)
class RayEmbedding:
    """What a Ray run did: passages embedded on the cluster, passages the cache held already, seconds, encoder actors."""

    embedded: int
    cached: int
    seconds: float
    actors: int

    @property
    def rate(self) -> float:
        """Return the passages embedded per second across the cluster (0 when none were)."""
        return self.embedded / self.seconds if self.seconds > 0 else 0.0


class _EncoderActor:
    """One encoder per Ray actor: made once, then embeds batch after batch."""

    def __init__(self, make_encoder: Callable[[], Encoder]) -> None:
        self.encoder = make_encoder()

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        vectors = self.encoder.encode_passages([str(text) for text in batch["text"]])
        return {"key": batch["key"], "vector": np.asarray(vectors, np.float32)}


def embed_on_ray(
    passages: Sequence[Passage],
    make_encoder: Callable[[], Encoder],
    fingerprint: str,
    cache: EmbeddingCache,
    address: str,
    actors: int | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> RayEmbedding:
    """Embed the passages the cache lacks (for the model with this fingerprint) with a pool of encoder actors on Ray and
    store their vectors in the cache; return what was done. `progress(embedded so far, seconds)` follows each batch.

    make_encoder must pickle (a module-level function or a functools.partial of one): every actor calls it once.
    """
    try:
        import ray
    except ImportError:
        raise QAError("--ray needs Ray: pip install 'qa-bot[cluster]'") from None
    texts = {text_key(text): text for text in (searchable_text(passage) for passage in passages)}
    cached = cache.get_many(fingerprint, list(texts))
    missing = [(key, text) for key, text in texts.items() if key not in cached]
    if not missing:
        return RayEmbedding(0, len(texts), 0.0, 0)
    local = address == "auto"
    try:
        ray.init(
            address=None if local else address,
            num_cpus=os.cpu_count() if local else None,
            include_dashboard=False,
            log_to_driver=False,
            ignore_reinit_error=True,
        )
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise QAError(f"cannot reach the Ray cluster at {address} ({str(error).splitlines()[0]}); start it or pass --ray auto") from None
    ray.data.DataContext.get_current().enable_progress_bars = False  # `progress` reports instead of Ray's own bars and logs
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    try:
        pool = actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
        started = time.perf_counter()
        dataset = ray.data.from_items([{"key": key, "text": text} for key, text in missing])
        vectors = dataset.map_batches(
            _EncoderActor,
            fn_constructor_args=(make_encoder,),
            batch_size=BATCH,
            compute=ray.data.ActorPoolStrategy(size=pool),
            num_cpus=1,
            batch_format="numpy",
        )
        done = 0
        for batch in vectors.iter_batches(batch_size=BATCH, batch_format="numpy"):
            cache.put_many(
                fingerprint, {str(key): np.asarray(vector, np.float32) for key, vector in zip(batch["key"], batch["vector"], strict=True)}
            )
            done += len(batch["key"])
            if progress is not None:
                progress(done, time.perf_counter() - started)
        return RayEmbedding(done, len(texts) - len(missing), time.perf_counter() - started, pool)
    finally:
        if local:
            ray.shutdown()
