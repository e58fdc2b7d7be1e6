"""Train a reader stage on a borrowed machine that holds only a portable copy (qa.training.portable) and a plan.

A plan (JSON) names the training settings every phase shares (the data settings its items were prepared under with
`qa train-reader --prepare-only`, plus the trainer's), the delta the first phase starts from, and the phases in order:
each trains on its items file in the portable folder and starts from the previous phase's delta. The last delta is
cut into shards small enough to come back from a machine that caps file sizes (shard_delta), and joined here again
(join_shards), bit for bit.

    python -m qa.training.device_plan PLAN PORTABLE_DIR OUT_DIR [--work DIR] [--max-steps N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qa.errors import QAError

CARD_FILE = "card.json"
SHARD_PREFIX = "delta-"
DEFAULT_SHARD_BYTES = 15 * 2**20


@dataclass(frozen=True)
class Phase:
    """One phase: its items file (in the portable folder) and the settings it changes from the plan's shared ones."""

    items: str
    settings: Mapping[str, Any]


@dataclass(frozen=True)
class Plan:
    """The settings every phase shares, the delta the first phase starts from (None: the bare encoder), the phases."""

    shared: Mapping[str, Any]
    init: Path | None
    phases: tuple[Phase, ...]


def load_plan(path: Path) -> Plan:
    """Return the plan in a JSON file ({"shared": {...}, "init": path or null, "phases": [{"items": ..., ...}]}).
    Raises QAError when it is missing, not JSON, or has no phases."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        phases = tuple(Phase(str(p["items"]), {k: v for k, v in p.items() if k != "items"}) for p in raw["phases"])
        plan = Plan(dict(raw.get("shared", {})), Path(raw["init"]) if raw.get("init") else None, phases)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise QAError(f"cannot read the training plan {path}: {error}; see qa/training/device_plan.py for its form") from error
    if not plan.phases:
        raise QAError(f"the training plan {path} has no phases; list at least one")
    return plan


def phase_config(plan: Plan, index: int, base_dir: Path, work_dir: Path, init: Path | None) -> Any:
    """Return the TrainConfig of the plan's phase `index`: shared settings, then the phase's own, on `base_dir`,
    checkpointing in `work_dir`/phase-N and starting from `init`."""
    from qa.training.train import TrainConfig

    settings = {**plan.shared, **plan.phases[index].settings}
    for name in ("train_files", "traditional_files"):
        if name in settings:
            settings[name] = tuple(Path(p) for p in settings[name])
    if settings.get("written"):
        settings["written"] = Path(settings["written"])
    try:
        return TrainConfig(base_dir=base_dir, out_dir=Path(work_dir) / f"phase-{index + 1}", init_from=init, **settings)
    except TypeError as error:
        raise QAError(f"phase {index + 1} of the training plan: {error}; use TrainConfig's field names") from error


def run_plan(
    plan: Plan,
    portable_dir: Path,
    work_dir: Path,
    max_steps: int | None = None,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Train the plan's phases in order on the portable copy (each from the previous phase's delta) and return the
    last phase's delta (its card records the phases before it); `max_steps` cuts every phase short (smoke runs)."""
    import torch

    from qa.training.export import export_delta
    from qa.training.portable import build_portable_base
    from qa.training.prepared import data_fingerprint, load_prepared
    from qa.training.train import train

    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    base = build_portable_base(portable_dir, Path(work_dir) / "base")
    delta: Path | None = plan.init
    done: list[str] = []
    started = time.monotonic()
    for index, phase in enumerate(plan.phases):
        config = phase_config(plan, index, base, work_dir, delta)
        if max_steps:
            config = replace(config, max_steps=max_steps)
        items = load_prepared(Path(portable_dir) / phase.items, data_fingerprint(config.fingerprint()))
        extra = {"trained_on": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"}
        if done:
            extra["after"] = "; ".join(done)
        delta = export_delta(train(config, log, prepared=items), Path(work_dir) / f"phase-{index + 1}" / "delta.safetensors", extra)
        done.append(f"phase {index + 1}: {phase.items}, " + ", ".join(f"{k} {v}" for k, v in phase.settings.items()))
        log(f"phase {index + 1} of {len(plan.phases)} done, {time.monotonic() - started:.0f} s")
    if delta is None:
        raise QAError("the training plan has no phases; list at least one")
    return delta


def shard_delta(delta: Path, out_dir: Path, max_bytes: int = DEFAULT_SHARD_BYTES) -> list[Path]:
    """Write the delta's tensors (by name) into shards of at most `max_bytes` of tensor data each (a larger tensor gets
    a shard of its own) and its card beside them; returns the shards in order."""
    from safetensors.torch import load_file, save_file

    from qa.reading.neural.delta import card_path

    tensors = load_file(str(delta))
    parts: list[dict[str, Any]] = [{}]
    size = 0
    for name in sorted(tensors):
        tensor_bytes = tensors[name].numel() * tensors[name].element_size()
        if parts[-1] and size + tensor_bytes > max_bytes:
            parts.append({})
            size = 0
        parts[-1][name] = tensors[name]
        size += tensor_bytes
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shards = []
    for index, part in enumerate(parts):
        shards.append(out_dir / f"{SHARD_PREFIX}{index}.safetensors")
        save_file(part, str(shards[-1]), metadata={"format": "pt"})
    (out_dir / CARD_FILE).write_text(card_path(delta).read_text(encoding="utf-8"), encoding="utf-8")
    return shards


def join_shards(shard_dir: Path, delta: Path) -> Path:
    """Write the delta that shard_delta cut into `shard_dir` (its shards and card) to `delta` and its card; returns
    `delta`. Raises QAError when there are no shards or two hold the same tensor."""
    from safetensors.torch import load_file, save_file

    from qa.reading.neural.delta import card_path

    shards = sorted(Path(shard_dir).glob(f"{SHARD_PREFIX}*.safetensors"), key=lambda p: int(p.stem.removeprefix(SHARD_PREFIX)))
    if not shards or not (Path(shard_dir) / CARD_FILE).is_file():
        raise QAError(f"no delta shards and card in {shard_dir}; copy back what shard_delta wrote")
    tensors: dict[str, Any] = {}
    for shard in shards:
        part = load_file(str(shard))
        if tensors.keys() & part.keys():
            raise QAError(f"{shard} repeats tensors of an earlier shard; copy back one run's shards only")
        tensors.update(part)
    delta = Path(delta)
    delta.parent.mkdir(parents=True, exist_ok=True)
    save_file(dict(sorted(tensors.items())), str(delta), metadata={"format": "pt"})
    card_path(delta).write_text((Path(shard_dir) / CARD_FILE).read_text(encoding="utf-8"), encoding="utf-8")
    return delta


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.training.device_plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("plan", type=Path, help="the plan (JSON)")
    parser.add_argument("portable", type=Path, help="the folder qa.training.portable.write_portable wrote")
    parser.add_argument("out", type=Path, help="where the shards and the card go")
    parser.add_argument("--work", type=Path, default=Path("/tmp/qa-device-plan"), help="checkpoints and the rebuilt base")
    parser.add_argument("--max-steps", type=int, default=None, help="cut every phase to this many steps (smoke runs)")
    parser.add_argument("--shard-mib", type=float, default=DEFAULT_SHARD_BYTES / 2**20)
    args = parser.parse_args(argv)
    try:
        delta = run_plan(load_plan(args.plan), args.portable, args.work, args.max_steps)
        shards = shard_delta(delta, args.out, int(args.shard_mib * 2**20))
    except QAError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{len(shards)} shards and {CARD_FILE} in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
