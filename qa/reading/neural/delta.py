"""A reader delta: the trained parameters of the neural reader over the base encoder, and the JSON card beside them.

Shared by serving (building the shipped model) and training (starting a stage from an earlier export), so that
serving code never imports training code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa.errors import QAError

CARD_SUFFIX = ".json"


def card_path(delta_path: Path) -> Path:
    """Return the path of the JSON card that sits beside a delta weights file."""
    return Path(delta_path).with_suffix(CARD_SUFFIX)


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
