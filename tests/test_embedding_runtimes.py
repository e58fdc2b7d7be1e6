"""The faster embedding backends: crash-safe export directories, the ONNX export of a tiny BERT, the encoder that
runs it (batching, padding, order, prompts, fingerprint), and how a backend is chosen."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from embeddings.errors import EmbeddingError
from embeddings.export import MARKER_FILE, ONNX_FILE, ensure_export, export_fingerprint
from embeddings.publish import is_up_to_date, publish_dir
from embeddings.runtime_encoder import RuntimeEncoder, length_sorted_batches, pad_batch
from embeddings.runtimes import BACKENDS, Backend, open_session
from qa.bench.embed_speed import ModelShape, passage_flops
from qa.errors import QAError
from qa.retrieval.encoders import BACKEND_ENV, PREFERRED_BACKEND, choose_backend

WORDS = ["<s>", "<pad>", "</s>", "<unk>", "passage:", "query:", "平湖", "电商", "产业园", "独山港", "泊位", "开放", "会议", "开幕"]


def test_batches_are_sorted_by_length_and_cover_every_index_once() -> None:
    batches = length_sorted_batches([5, 1, 3, 1, 9], batch_size=2)
    assert batches == [[1, 3], [2, 0], [4]]
    assert length_sorted_batches([], batch_size=4) == []


def test_pad_batch_pads_at_the_end_and_masks_the_padding() -> None:
    input_ids, attention_mask = pad_batch([[0, 7, 2], [0, 2]], pad_id=1)
    assert input_ids.tolist() == [[0, 7, 2], [0, 2, 1]]
    assert attention_mask.tolist() == [[1, 1, 1], [1, 1, 0]]
    assert input_ids.dtype == attention_mask.dtype == np.int64


def test_passage_flops_by_hand() -> None:
    # 1 layer, hidden 2, feed-forward 4, 3 tokens: 8*3*2*2 + 4*3*2*4 + 4*3*3*2 = 96 + 96 + 72
    assert passage_flops(3, ModelShape(layers=1, hidden=2, intermediate=4)) == 264


def test_publish_dir_replaces_an_outdated_directory_and_leaves_nothing_behind_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "model"
    publish_dir(out, {"version": 1}, "marker.json", lambda staging: (staging / "a.txt").write_text("one"))
    assert is_up_to_date(out, {"version": 1}, "marker.json") and not is_up_to_date(out, {"version": 2}, "marker.json")

    def broken(staging: Path) -> None:
        (staging / "a.txt").write_text("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        publish_dir(out, {"version": 2}, "marker.json", broken)
    assert (out / "a.txt").read_text() == "one"  # the old directory stays whole
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]  # no staging or stale directory left
    publish_dir(out, {"version": 2}, "marker.json", lambda staging: (staging / "a.txt").write_text("two"))
    assert (out / "a.txt").read_text() == "two" and is_up_to_date(out, {"version": 2}, "marker.json")


def test_export_fingerprint_names_the_variant_and_needs_a_converted_model(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a converted model"):
        export_fingerprint(tmp_path, "fp32")
    (tmp_path / "conversion.json").write_text(json.dumps({"source_sha256": "ab"}))
    assert export_fingerprint(tmp_path, "int8")["source"] == {"source_sha256": "ab"}
    with pytest.raises(ValueError, match="unknown export variant 'fp16'"):
        export_fingerprint(tmp_path, "fp16")


# ------------------------------------------------------------------------------------------------ a tiny BERT


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a converted-model folder holding a random 2-layer BERT of hidden size 32 and a word-level tokenizer."""
    torch = pytest.importorskip("torch")
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("models") / "tiny"
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(WORDS), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, pad_token_id=1
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(str(folder))
    tokenizer = Tokenizer(models.WordLevel({word: i for i, word in enumerate(WORDS)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    tokenizer.save(str(folder / "tokenizer.json"))
    specials = {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}
    files = {
        "tokenizer_config.json": {"tokenizer_class": "PreTrainedTokenizerFast", **specials, "model_max_length": 512},
        "special_tokens_map.json": specials,
        "config_sentence_transformers.json": {"prompts": {"query": "query: ", "passage": "passage: "}},
        "conversion.json": {"converter_version": 1, "source_sha256": "tiny"},
    }
    for name, content in files.items():
        (folder / name).write_text(json.dumps(content), encoding="utf-8")
    return folder


def _reference(model_dir: Path, token_ids: list[list[int]]) -> np.ndarray:
    import torch
    from transformers import AutoModel

    from embeddings.pooled import MeanPooled

    bert = AutoModel.from_pretrained(str(model_dir), add_pooling_layer=False).eval()
    input_ids, attention_mask = pad_batch(token_ids, pad_id=1)
    with torch.no_grad():
        return MeanPooled(bert)(torch.from_numpy(input_ids), torch.from_numpy(attention_mask)).numpy()


@pytest.mark.parametrize(("variant", "bound"), [("fp32", 0.99999), ("int8", 0.95)])
def test_the_onnx_export_matches_the_torch_model_on_padded_batches(tiny_model: Path, variant: str, bound: float) -> None:
    onnxruntime = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    out = ensure_export(tiny_model, tiny_model.with_name(f"tiny-onnx-{variant}"), variant)
    assert json.loads((out / MARKER_FILE).read_text())["variant"] == variant
    assert (out / "tokenizer.json").is_file() and not (out / "traced.onnx").exists()
    token_ids = [[0, 6, 7, 8, 2], [0, 9, 2], [0, 10, 11, 2]]
    input_ids, attention_mask = pad_batch(token_ids, pad_id=1)
    session = onnxruntime.InferenceSession(str(out / ONNX_FILE), providers=["CPUExecutionProvider"])
    vectors = session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})[0]
    cosines = (vectors * _reference(tiny_model, token_ids)).sum(axis=1)
    assert cosines.min() > bound, cosines
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    # A row's vector does not depend on the padding its batch adds.
    alone = session.run(None, dict(zip(["input_ids", "attention_mask"], pad_batch(token_ids[1:2], pad_id=1), strict=True)))[0]
    assert float(alone[0] @ vectors[1]) > 0.9999


@pytest.mark.parametrize("name", ["onnx", "openvino-f32"])
def test_runtime_encoder_keeps_order_adds_prompts_and_reports_progress(tiny_model: Path, name: str) -> None:
    backend = BACKENDS[name]
    if not backend.available():
        pytest.skip(f"{backend.runtime} is not installed")
    encoder = RuntimeEncoder(backend, tiny_model.parent, batch_size=2, threads=1, prepare=lambda _data_dir: tiny_model)
    texts = ["平湖 电商 产业园", "独山港", " 会议 开幕 "]
    done: list[int] = []
    vectors = encoder.encode_passages(texts, done.append)
    assert vectors.shape == (3, 32) and encoder.dimension == 32 and sum(done) == 3
    expected = _reference(tiny_model, [[0, 4, 6, 7, 8, 2], [0, 4, 9, 2], [0, 4, 12, 13, 2]])  # "passage:" is id 4
    assert (vectors * expected).sum(axis=1).min() > 0.9999
    queries = encoder.encode_queries(["独山港"])
    assert float(queries[0] @ _reference(tiny_model, [[0, 5, 9, 2]])[0]) > 0.9999  # "query:" is id 5
    assert encoder.encode_passages([]).shape == (0, 32)


def test_fingerprints_differ_by_backend(tiny_model: Path) -> None:
    available = [name for name in ("onnx", "openvino-f32") if BACKENDS[name].available()]
    if len(available) < 2:
        pytest.skip("needs onnxruntime and openvino")
    prints = {RuntimeEncoder(BACKENDS[name], tiny_model.parent, threads=1, prepare=lambda _d: tiny_model).fingerprint for name in available}
    assert len(prints) == 2


def test_open_session_picks_the_runtime(tiny_model: Path) -> None:
    if not BACKENDS["onnx"].available():
        pytest.skip("needs onnxruntime and onnx")
    out = ensure_export(tiny_model, tiny_model.with_name("tiny-onnx-fp32"), "fp32")
    session = open_session(BACKENDS["onnx"], out / ONNX_FILE, threads=1)
    assert session.precision == "f32"


# ------------------------------------------------------------------------------------------- choosing a backend


def _installed(monkeypatch: pytest.MonkeyPatch, installed: bool) -> None:
    monkeypatch.setattr(Backend, "available", lambda self: installed)


def test_auto_runs_the_preferred_runtime_for_the_default_model_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, True)
    assert choose_backend("default", environ={}) == PREFERRED_BACKEND
    assert choose_backend("default", "auto", environ={}) == PREFERRED_BACKEND
    assert choose_backend("BAAI/bge-small-zh-v1.5", environ={}) == "torch"  # other models run on torch
    assert choose_backend("default", environ={BACKEND_ENV: "onnx-int8"}) == "onnx-int8"
    assert choose_backend("default", "torch", environ={BACKEND_ENV: "onnx"}) == "torch"  # the argument wins


def test_auto_falls_back_to_torch_without_the_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, False)
    assert choose_backend("default", environ={}) == "torch"
    with pytest.raises(QAError, match=r"^the openvino embedding backend needs the packages openvino onnx: pip install openvino onnx \(or "):
        choose_backend("default", "openvino", environ={})


def test_bad_backend_choices_are_one_line_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, True)
    with pytest.raises(QAError, match=r"^unknown embedding backend 'gpu'; choose one of auto, torch, onnx"):
        choose_backend("default", environ={BACKEND_ENV: "gpu"})
    with pytest.raises(QAError, match=r"^the onnx embedding backend runs the default model only"):
        choose_backend("some/model", "onnx", environ={})


def test_a_runtime_that_cannot_load_the_model_is_a_one_line_error(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not BACKENDS["onnx"].available():
        pytest.skip("needs onnxruntime and onnx")

    def refuse(*_args: object) -> None:
        raise RuntimeError("unsupported instruction set\nmore detail")

    monkeypatch.setattr("embeddings.runtime_encoder.open_session", refuse)
    encoder = RuntimeEncoder(BACKENDS["onnx"], tiny_model.parent, threads=1, prepare=lambda _d: tiny_model)
    with pytest.raises(EmbeddingError, match=r"^onnxruntime cannot run .* \(unsupported instruction set\); use the torch backend$"):
        encoder.encode_queries(["独山港"])


def test_the_embedding_backend_option_chooses_what_runs_the_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from embeddings.encoder import SentenceTransformerEncoder
    from qa.cli import build_parser, main
    from qa.commands.common import system

    args = build_parser().parse_args(["--data-dir", str(tmp_path), "search", "问题", "--embedding-backend", "torch"])
    inner = system(args).encoder._inner  # nothing loads until the first encode
    assert isinstance(inner, SentenceTransformerEncoder)
    args = build_parser().parse_args(["--data-dir", str(tmp_path), "search", "问题", "--embedding-backend", "onnx-int8"])
    inner = system(args).encoder._inner
    assert isinstance(inner, RuntimeEncoder) and inner.backend == BACKENDS["onnx-int8"]
    with pytest.raises(SystemExit) as stopped:
        main(["--data-dir", str(tmp_path), "search", "问题", "--embedding-backend", "gpu"])
    assert stopped.value.code == 2
    assert "invalid choice: 'gpu'" in capsys.readouterr().err
