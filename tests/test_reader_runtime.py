"""The neural reader's OpenVINO runtime: the export (traced to ONNX, saved as OpenVINO IR) of a tiny random BERT
question-answering model built here (no download) gives torch's logits in float32, is built once per model build,
and refuses inputs it was not traced for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("openvino")

from qa.reading.neural.runtime import MODEL_FILE, OpenVinoLogits, ensure_reader_export, export_dir_for  # noqa: E402

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *"甲乙丙丁戊己庚辛壬癸问题"]


def _tiny_reader(folder: Path, build: str) -> Path:
    """Write a tiny random BertForQuestionAnswering with a WordPiece tokenizer and a build marker into `folder`."""
    from transformers import BertConfig, BertForQuestionAnswering, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    torch.manual_seed(0)
    config = BertConfig(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32, vocab_size=len(VOCAB))
    BertForQuestionAnswering(config).eval().save_pretrained(str(folder))
    BertTokenizerFast.from_pretrained(str(folder)).save_pretrained(str(folder))
    (folder / "neural-reader.json").write_text(json.dumps({"build": build}), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def reader_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny_reader(tmp_path_factory.mktemp("models") / "neural-reader", "first")


def test_float32_export_gives_the_torch_models_logits(reader_dir: Path) -> None:
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(reader_dir))
    batch = dict(tokenizer(["问题", "问"], ["甲乙丙丁戊己", "庚辛"], padding="longest", return_tensors="pt"))
    assert sorted(batch) == ["attention_mask", "input_ids", "token_type_ids"]
    with torch.inference_mode():
        expected = AutoModelForQuestionAnswering.from_pretrained(str(reader_dir)).eval()(**batch)

    logits = OpenVinoLogits(ensure_reader_export(reader_dir) / MODEL_FILE, threads=1, precision="f32")
    starts, ends = logits(batch)

    used = batch["attention_mask"].bool()
    assert starts.shape == ends.shape == used.shape == (2, 11)  # [CLS] 问 题 [SEP] 甲乙丙丁戊己 [SEP]
    assert torch.allclose(starts[used], expected.start_logits[used], atol=1e-4)
    assert torch.allclose(ends[used], expected.end_logits[used], atol=1e-4)
    assert logits.input_names == ("input_ids", "attention_mask", "token_type_ids")


def test_export_is_built_once_per_build_of_the_model(tmp_path: Path) -> None:
    folder = _tiny_reader(tmp_path / "models" / "neural-reader", "first")
    export = ensure_reader_export(folder)
    assert export == export_dir_for(folder) == tmp_path / "models" / "neural-reader-openvino"
    stamp = (export / MODEL_FILE).stat().st_mtime_ns
    assert ensure_reader_export(folder) == export
    assert (export / MODEL_FILE).stat().st_mtime_ns == stamp  # up to date: not exported again

    (folder / "neural-reader.json").write_text(json.dumps({"build": "second"}), encoding="utf-8")
    ensure_reader_export(folder)
    assert json.loads((export / "export.json").read_text(encoding="utf-8"))["source"] == {"build": "second"}
    assert (export / MODEL_FILE).stat().st_mtime_ns != stamp


def test_a_folder_that_is_no_built_reader_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="neural-reader.json"):
        ensure_reader_export(tmp_path)


def test_inputs_the_export_was_not_traced_for_are_refused(reader_dir: Path) -> None:
    logits = OpenVinoLogits(ensure_reader_export(reader_dir) / MODEL_FILE, threads=1, precision="f32")
    ids = torch.tensor([[2, 5, 3]])
    with pytest.raises(ValueError, match="takes input_ids, attention_mask, token_type_ids, not attention_mask, input_ids"):
        logits({"input_ids": ids, "attention_mask": torch.ones_like(ids)})


def test_each_spelling_of_the_neural_reader_names_its_runtime(tmp_path: Path) -> None:
    from qa.reading.factory import make_reader

    readers = [make_reader(spec, tmp_path) for spec in ("neural", "neural-f32", "neural-torch", "neural-int8")]
    assert [(reader.runtime.name, reader.int8) for reader in readers] == [
        ("openvino", False),
        ("openvino-f32", False),
        ("torch", False),
        ("torch", True),
    ]
