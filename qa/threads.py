"""How many threads torch and FAISS use: one per request when serving, every core for a batch job.

The app answers concurrent requests on several threads; if each also runs torch's and FAISS's own
thread pools over every core, the pools fight each other and any other busy process, and latency
collapses (measured in docs/RELIABILITY.md). So serving uses one compute thread per request and gets
its parallelism from concurrent requests; `qa index` embeds in big batches and uses every core.
`QA_THREADS=N` overrides both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from qa.errors import QAError

THREADS_ENV = "QA_THREADS"


@dataclass(frozen=True)
class ThreadPolicy:
    """Threads for torch's intra-op pool and FAISS's OpenMP pool, and where the number came from."""

    threads: int
    reason: str


def serving_policy(environ: Mapping[str, str] | None = None) -> ThreadPolicy:
    """Return the policy for the chat app: $QA_THREADS, else 1 thread per request."""
    return _override(environ) or ThreadPolicy(1, "serving: one compute thread per request")


def batch_policy(environ: Mapping[str, str] | None = None) -> ThreadPolicy:
    """Return the policy for batch jobs such as `qa index`: $QA_THREADS, else every core."""
    return _override(environ) or ThreadPolicy(os.cpu_count() or 1, "batch: every core")


def apply_policy(policy: ThreadPolicy) -> None:
    """Set torch's and FAISS's thread counts for this process (both are process-wide settings)."""
    import faiss
    import torch

    torch.set_num_threads(policy.threads)
    faiss.omp_set_num_threads(policy.threads)


def _override(environ: Mapping[str, str] | None) -> ThreadPolicy | None:
    value = (os.environ if environ is None else environ).get(THREADS_ENV, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise QAError(f"${THREADS_ENV} must be a whole number of threads of at least 1 (got {value!r})")
    return ThreadPolicy(int(value), f"${THREADS_ENV}")
