"""Training items built once and saved: a run's windows or groups as a compressed file, so that training can run on
another machine (a GPU one) that lacks the training files, the written corpus or the retrieval stack that built them.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.training.features import Window, WindowGroup

# The settings that decide which items a run trains on (not how it trains on them); file paths count by name only.
DATA_FIELDS = (
    "train_files",
    "traditional_files",
    "written",
    "sample",
    "limit",
    "max_length",
    "stride",
    "negative_share",
    "group_size",
    "no_answer_share",
    "distractors",
    "near_miss_share",
    "ablation_share",
    "tune_share",
    "seed",
)
FORMAT = 1
# Settings added after items were first saved; left out of a fingerprint when unset.
_NEWER_FIELDS = frozenset({"ablation_share"})


@dataclass(frozen=True)
class PreparedData:
    """A run's training items: groups under shared normalization, or single windows (exactly one of them is filled),
    and how many questions they were built from."""

    groups: tuple[WindowGroup, ...]
    windows: tuple[Window, ...]
    questions: int

    @property
    def items(self) -> int:
        """Return how many items a training epoch draws from (groups when grouped, else windows)."""
        return len(self.groups) or len(self.windows)

    @property
    def window_count(self) -> int:
        """Return how many windows the items hold in all."""
        return sum(len(group.windows) for group in self.groups) or len(self.windows)


def data_fingerprint(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Return the item-deciding part of a run's settings (TrainConfig.fingerprint()), paths reduced to file names."""

    def named(value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [Path(str(item)).name for item in value]
        return Path(str(value)).name if value is not None else None

    return {
        field: named(settings.get(field)) if field in ("train_files", "traditional_files", "written") else settings.get(field)
        for field in DATA_FIELDS
        if field in settings or field not in _NEWER_FIELDS  # items prepared before a newer setting existed still load
    }


def save_prepared(path: Path, data: PreparedData, fingerprint: Mapping[str, Any]) -> Path:
    """Write the items and the data fingerprint they were built under as one compressed .npz file; returns `path`."""
    import numpy as np

    windows = [window for group in data.groups for window in group.windows] or list(data.windows)
    lengths = np.array([len(window.input_ids) for window in windows], dtype=np.int32)
    arrays: dict[str, Any] = {
        "input_ids": np.concatenate([np.asarray(w.input_ids, dtype=np.int32) for w in windows]),
        "token_type_ids": np.concatenate([np.asarray(w.token_type_ids, dtype=np.int8) for w in windows]),
        "lengths": lengths,
        "starts": np.array([w.start for w in windows], dtype=np.int32),
        "ends": np.array([w.end for w in windows], dtype=np.int32),
        "group_sizes": np.array([len(group.windows) for group in data.groups], dtype=np.int32),
        "answerable": np.array([group.answerable for group in data.groups], dtype=bool),
        "meta": np.array(json.dumps({"format": FORMAT, "questions": data.questions, "fingerprint": dict(fingerprint)})),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    return path


def load_prepared(path: Path, fingerprint: Mapping[str, Any]) -> PreparedData:
    """Return the items saved at `path`; raises QAError when the file is unreadable or was built under other data
    settings than `fingerprint`."""
    import numpy as np

    try:
        with np.load(Path(path)) as saved:
            arrays = {name: saved[name] for name in saved.files}
        meta = json.loads(str(arrays["meta"]))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise QAError(f"cannot read prepared training items {path}: {error}; write them with `qa train-reader --prepare-only`") from error
    if meta.get("format") != FORMAT or meta.get("fingerprint") != json.loads(json.dumps(dict(fingerprint))):
        raise QAError(f"{path} was prepared under other data settings; prepare it again with the same training options")
    windows = _windows(arrays)
    sizes = arrays["group_sizes"].tolist()
    if not sizes:
        return PreparedData((), tuple(windows), int(meta["questions"]))
    groups: list[WindowGroup] = []
    first = 0
    for size, answerable in zip(sizes, arrays["answerable"].tolist(), strict=True):
        groups.append(WindowGroup(tuple(windows[first : first + size]), bool(answerable)))
        first += size
    return PreparedData(tuple(groups), (), int(meta["questions"]))


def _windows(arrays: Mapping[str, Any]) -> list[Window]:
    """Return the saved windows, in order."""
    ids, types = arrays["input_ids"].tolist(), arrays["token_type_ids"].tolist()
    windows: list[Window] = []
    first = 0
    for length, start, end in zip(arrays["lengths"].tolist(), arrays["starts"].tolist(), arrays["ends"].tolist(), strict=True):
        windows.append(Window(tuple(ids[first : first + length]), tuple(types[first : first + length]), start, end))
        first += length
    return windows
