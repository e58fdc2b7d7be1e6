"""A reader delta: the trained parameters of the neural reader over the base encoder, and the JSON card beside them.

Shared by serving (building the shipped model) and training (starting a stage from an earlier export), so that
serving code never imports training code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qa.errors import QAError

CARD_SUFFIX = ".json"
DELTA_PATH = Path(__file__).resolve().parent / "reader-delta.safetensors"


def card_path(delta_path: Path) -> Path:
    """Return the path of the JSON card that sits beside a delta weights file."""
    return Path(delta_path).with_suffix(CARD_SUFFIX)


def read_card(delta_path: Path = DELTA_PATH) -> dict[str, Any]:
    """Return the JSON card of a delta weights file; raises QAError when the shipped weights are missing."""
    path = card_path(delta_path)
    if not Path(delta_path).is_file() or not path.is_file():
        raise QAError(f"neural reader weights not found at {delta_path}; train them with `qa train-reader`")
    return json.loads(path.read_text(encoding="utf-8"))


def card_threshold(delta_path: Path = DELTA_PATH) -> float:
    """Return the abstention threshold a delta's card records (chosen on tuning data and written there by
    `python -m qa.bench.tune_reader --write`); raises QAError when the card records none."""
    threshold = read_card(delta_path).get("reading", {}).get("threshold")
    if not isinstance(threshold, (int, float)):
        raise QAError(f"the card of {delta_path} records no threshold; choose one with `python -m qa.bench.tune_reader --write`")
    return float(threshold)


def apply_delta(model: Any, delta_path: Path, hint: str) -> set[str]:
    """Load a delta weights file into the model (as fp32) and return the names it set; raises QAError, ending with
    `hint`, when the file cannot be read or does not fit the model."""
    import torch
    from safetensors.torch import load_file

    try:
        delta = {name: tensor.to(torch.float32) for name, tensor in load_file(str(delta_path)).items()}
    except (OSError, RuntimeError, ValueError) as error:
        raise QAError(f"cannot read delta weights {delta_path}: {error}") from error
    unknown = sorted(set(delta) - set(model.state_dict()))
    if unknown:
        raise QAError(f"{delta_path} does not fit the base encoder (e.g. {unknown[0]}); {hint}")
    model.load_state_dict(delta, strict=False)
    return set(delta)
