"""Where generated files live: one data directory for the model cache, indexes and feedback."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "QA_DATA_DIR"
DEFAULT_DATA_DIR = ".qa"


def resolve_data_dir(cli_value: str | None, environ: dict[str, str] | None = None) -> Path:
    """Return the data directory: --data-dir if given, else $QA_DATA_DIR, else `.qa` in the current folder."""
    env = os.environ if environ is None else environ
    return Path(cli_value or env.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


SEEDS = Path(__file__).resolve().parents[1] / "seeds"
"""The built-in corpus: the newspaper front page the gold set was written over."""


def embedding_cache_path(data_dir: Path) -> Path:
    """Return the embedding cache of a data directory (vectors by model and text, reused across indexes)."""
    return data_dir / "cache" / "embeddings.sqlite"
