"""Training the neural reader: answer re-location, window labelling, the schedule, and a few real steps on a tiny
randomly initialised BERT built here (no download), through export and materialization."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from embeddings.convert import file_sha256  # noqa: E402
from qa.errors import QAError  # noqa: E402
from qa.ingest.pipeline import text_passages  # noqa: E402
from qa.reading.neural.model import NeuralReader, ensure_neural_model  # noqa: E402
from qa.records import RetrievedPassage  # noqa: E402
from qa.training.data import TrainExample, load_training_file, locate_answer, traditional_to_simplified  # noqa: E402
from qa.training.export import export_delta  # noqa: E402
from qa.training.features import build_windows, label_window  # noqa: E402
from qa.training.train import TrainConfig, batch_order, schedule, train, trainable  # noqa: E402

CONTEXT = "甲乙丙丁戊己庚辛壬癸" * 3
QUESTION = "问题"


def test_locate_answer_keeps_a_correct_offset_and_repairs_a_wrong_one() -> None:
    assert locate_answer("abcabc", "bc", 4) == 4
    assert locate_answer("𫚭鱼是鱼", "鱼", 3) == 3  # a UTF-16 offset (one too high) finds the nearest occurrence
    assert locate_answer("abcabc", "bc", 0) == 1
    assert locate_answer("abc", "x", 0) is None
    assert locate_answer("abc", " ", 0) is None


def test_load_training_file_relocates_answers_and_skips_unlocatable_ones(tmp_path: Path) -> None:
    qas = [
        {"id": "q1", "question": "哪？", "answers": [{"text": "北京", "answer_start": 0}]},
        {"id": "q2", "question": "何？", "answers": [{"text": "首都", "answer_start": 6}]},
        {"id": "q3", "question": "无？", "answers": [{"text": "上海", "answer_start": 0}]},
    ]
    path = tmp_path / "train.json"
    path.write_text(json.dumps({"data": [{"paragraphs": [{"context": "北京是中国的首都。", "qas": qas}]}]}), encoding="utf-8")
    examples = load_training_file(path)
    assert examples == (
        TrainExample("q1", "哪？", "北京是中国的首都。", 0, "北京"),
        TrainExample("q2", "何？", "北京是中国的首都。", 6, "首都"),
    )
    assert examples[1].answer_end == 8
    with pytest.raises(QAError, match="cannot read training file"):
        load_training_file(tmp_path / "missing.json")


def test_load_training_file_keeps_unanswerable_questions_and_the_tuning_split_marks_them(tmp_path: Path) -> None:
    from qa.evaluation import load_eval_set
    from qa.training.data import tuning_squad

    qas = [
        {"id": "q1", "question": "哪？", "answers": [{"text": "北京", "answer_start": 0}]},
        {"id": "q2", "question": "多大？", "answers": [], "is_impossible": True},
        {"id": "q3", "question": "何？", "answers": []},
    ]
    path = tmp_path / "train.json"
    path.write_text(json.dumps({"data": [{"paragraphs": [{"context": "北京是中国的首都。", "qas": qas}]}]}), encoding="utf-8")
    examples = load_training_file(path)
    assert examples == (
        TrainExample("q1", "哪？", "北京是中国的首都。", 0, "北京"),
        TrainExample("q2", "多大？", "北京是中国的首都。", -1, ""),
    )
    assert [e.answerable for e in examples] == [True, False]
    written = tmp_path / "tune.json"
    written.write_text(json.dumps(tuning_squad(examples), ensure_ascii=False), encoding="utf-8")
    assert [(e.id, e.answers) for e in load_eval_set(written).examples] == [("q1", ("北京",)), ("q2", ())]
    assert load_training_file(written) == examples


def test_build_windows_gives_an_unanswerable_question_a_window_without_answer(base_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    windows = build_windows(tokenizer, [TrainExample("q", QUESTION, CONTEXT, -1, "")], 16, 4, negative_share=0.0, seed=0)
    assert [(w.start, w.end) for w in windows] == [(0, 0)]


def test_traditional_to_simplified_keeps_lengths() -> None:
    convert = traditional_to_simplified()
    assert convert("臺灣的國語") == "台湾的国语"


def test_label_window_maps_characters_to_tokens() -> None:
    sequence_ids = [None, 0, 0, None, 1, 1, 1, 1, 1, None]
    offsets = [(0, 0), (0, 1), (1, 2), (0, 0), (0, 1), (0, 1), (1, 3), (3, 4), (4, 6), (0, 0)]
    assert label_window(offsets, sequence_ids, 1, 4) == (6, 7)
    assert label_window(offsets, sequence_ids, 2, 3) == (6, 6)  # inside one token: that token
    assert label_window(offsets, sequence_ids, 0, 1) == (5, 5)  # a bare "▁" token sharing offsets is skipped
    assert label_window(offsets, sequence_ids, 5, 7) == (0, 0)  # runs past the window: the CLS position


def test_schedule_warms_up_then_decays_linearly() -> None:
    assert [schedule(step, 100, 0.1) for step in (0, 4, 9, 10, 55, 100)] == [0.1, 0.5, 1.0, 1.0, 0.5, 0.0]


def test_trainable_freezes_word_embeddings_and_lower_layers() -> None:
    names = [
        "bert.embeddings.word_embeddings.weight",
        "bert.embeddings.position_embeddings.weight",
        "bert.encoder.layer.0.output.dense.weight",
        "bert.encoder.layer.1.output.dense.weight",
        "qa_outputs.weight",
    ]
    assert [trainable(name, 0) for name in names] == [False, True, True, True, True]
    assert [trainable(name, 1) for name in names] == [False, False, False, True, True]


def test_batch_order_covers_each_window_once_per_epoch() -> None:
    epoch = [index for step in range(3) for index in batch_order(10, 4, step, seed=1)]
    assert sorted(epoch) == list(range(10))
    assert batch_order(10, 4, 3, seed=1) != batch_order(10, 4, 0, seed=1) or batch_order(10, 4, 4, 1) != batch_order(10, 4, 1, 1)
    assert batch_order(10, 4, 0, seed=1) == batch_order(10, 4, 0, seed=1)


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a folder with a tiny random BertModel (the 'encoder') and a character-level WordPiece tokenizer."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-encoder")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(set(CONTEXT + QUESTION + "？。"))]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    torch.manual_seed(0)
    config = BertConfig(
        hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32, vocab_size=len(vocab), max_position_embeddings=64
    )
    BertModel(config).save_pretrained(str(folder))
    BertTokenizerFast.from_pretrained(str(folder)).save_pretrained(str(folder))
    return folder


def test_build_windows_labels_the_window_holding_the_answer(base_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    example = TrainExample("q", QUESTION, CONTEXT, 20, CONTEXT[20:22])
    # [CLS] 问 题 [SEP] + 11 context tokens + [SEP]; windows start at context tokens 0, 7, 14, 21 (overlap 4)
    only = build_windows(tokenizer, [example], max_length=16, stride=4, negative_share=0.0, seed=0)
    assert [(w.start, w.end) for w in only] == [(10, 11)]
    assert tokenizer.convert_ids_to_tokens(only[0].input_ids[10:12]) == list(CONTEXT[20:22])
    both = build_windows(tokenizer, [example], max_length=16, stride=4, negative_share=1.0, seed=0)
    assert [(w.start, w.end) for w in both] == [(10, 11), (0, 0)]


def _training_file(folder: Path) -> Path:
    """Write six questions over CONTEXT whose answers are the two characters at offsets 0-5; return the file."""
    qas = [{"id": f"q{n}", "question": QUESTION, "answers": [{"text": CONTEXT[n : n + 2], "answer_start": n}]} for n in range(6)]
    data = folder / "train.json"
    data.write_text(json.dumps({"data": [{"paragraphs": [{"context": CONTEXT, "qas": qas}]}]}, ensure_ascii=False), encoding="utf-8")
    return data


def test_train_resume_export_and_read_on_a_tiny_model(base_dir: Path, tmp_path: Path) -> None:
    data = _training_file(tmp_path)
    config = TrainConfig(
        base_dir=base_dir,
        out_dir=tmp_path / "run",
        train_files=(data,),
        max_length=24,
        stride=4,
        batch_size=2,
        max_steps=3,
        frozen_layers=1,
        threads=1,
        checkpoint_every=2,
        log_every=1,
    )
    lines: list[str] = []
    checkpoint = train(dataclasses.replace(config, until=2), lines.append)  # stop early, checkpointed
    assert [line.split(" loss")[0] for line in lines if line.startswith("step")] == ["step 1/3", "step 2/3"]
    assert torch.load(checkpoint, weights_only=False)["step"] == 2
    lines.clear()
    train(config, lines.append)  # resumes and goes on
    assert any(line.startswith("resumed") and line.endswith("at step 2") for line in lines)
    assert [line.split(" loss")[0] for line in lines if line.startswith("step")] == ["step 3/3"]
    assert torch.load(checkpoint, weights_only=False)["step"] == 3
    lines.clear()
    train(config, lines.append)  # finished: resumes at the end and trains no further
    assert any(line.startswith("resumed") and line.endswith("at step 3") for line in lines)
    assert not any(line.startswith("step") for line in lines)
    with pytest.raises(QAError, match="other training settings"):
        train(dataclasses.replace(config, seed=99), lines.append)

    delta = export_delta(checkpoint, tmp_path / "ship" / "reader-delta.safetensors")
    from safetensors.torch import load_file

    weights = load_file(str(delta))
    assert "qa_outputs.weight" in weights and "bert.encoder.layer.1.output.dense.weight" in weights
    assert not any("word_embeddings" in name or ".layer.0." in name or "embeddings." in name for name in weights)
    assert {tensor.dtype for tensor in weights.values()} == {torch.float16}
    card = json.loads(delta.with_suffix(".json").read_text(encoding="utf-8"))
    assert (card["max_length"], card["stride"], card["trained_steps"], card["train_files"]) == (24, 4, 3, ["train.json"])

    folder = ensure_neural_model(tmp_path / "data", delta, base_dir)
    # not the shipped delta: its own folder, so the shipped reader's build is never replaced by an experiment's
    assert folder == tmp_path / "data" / "models" / f"neural-reader-{file_sha256(delta)[:12]}"
    built = transformers.AutoModelForQuestionAnswering.from_pretrained(str(folder)).state_dict()
    assert torch.equal(built["qa_outputs.weight"], weights["qa_outputs.weight"].float())
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert ensure_neural_model(tmp_path / "data", delta, base_dir) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp  # up to date: not rebuilt

    passage = text_passages(CONTEXT + "。", "doc.txt")[0]
    read = {
        runtime: NeuralReader(tmp_path / "data", delta, base_dir=base_dir, runtime=runtime).read(
            QUESTION, [RetrievedPassage(passage, 1.0, 1)]
        )
        for runtime in ("torch", "openvino-f32", "openvino")
    }
    candidates = read["openvino"]
    assert candidates and all(c.text in CONTEXT and 0.0 <= c.score <= 1.0 for c in candidates)
    assert [c.text for c in read["openvino-f32"]] == [c.text for c in read["torch"]]  # float32 both: the same answers
    assert [c.score for c in read["openvino-f32"]] == pytest.approx([c.score for c in read["torch"]], abs=1e-5)
    assert (folder.parent / f"{folder.name}-openvino" / "model.xml").is_file()


def test_neural_reader_names_an_unknown_runtime_and_int8_off_torch(base_dir: Path, tmp_path: Path) -> None:
    delta = tmp_path / "reader-delta.safetensors"
    delta.write_bytes(b"")
    delta.with_suffix(".json").write_text(json.dumps({"max_length": 24, "stride": 4}), encoding="utf-8")
    with pytest.raises(QAError, match="unknown reader runtime 'gpu'; use one of openvino, openvino-f32, torch"):
        NeuralReader(tmp_path, delta, runtime="gpu")
    with pytest.raises(QAError, match="int8 quantization needs the torch runtime"):
        NeuralReader(tmp_path, delta, int8=True, runtime="openvino")


def test_neural_reader_reads_with_the_settings_its_card_records(tmp_path: Path) -> None:
    delta = tmp_path / "reader-delta.safetensors"
    delta.write_bytes(b"")
    reading = {"max_windows": 3, "window_choice": "idf", "length_penalty": 0.2, "calibration": {"slope": 0.5, "intercept": 0.1}}
    card = {"max_length": 24, "stride": 4, "null_rule": "shared", "reading": reading}
    delta.with_suffix(".json").write_text(json.dumps(card), encoding="utf-8")
    reader = NeuralReader(tmp_path, delta)
    assert (reader.max_windows, reader.window_choice, reader.length_penalty, reader.null_rule) == (3, "idf", 0.2, "shared")
    assert (reader.calibration.slope, reader.calibration.intercept) == (0.5, 0.1)
    assert NeuralReader(tmp_path, delta, length_penalty=0.0).length_penalty == 0.0
    del reading["length_penalty"]
    delta.with_suffix(".json").write_text(json.dumps(card), encoding="utf-8")
    assert NeuralReader(tmp_path, delta).length_penalty == 0.0


def test_a_second_stage_starts_from_an_exported_delta_and_keeps_its_untrained_layers(base_dir: Path, tmp_path: Path) -> None:
    first = TrainConfig(
        base_dir=base_dir,
        out_dir=tmp_path / "stage1",
        train_files=(_training_file(tmp_path),),
        max_length=24,
        stride=4,
        batch_size=2,
        max_steps=2,
        frozen_layers=1,
        threads=1,
    )
    stage1 = load_file_fp32(export_delta(train(first, lambda line: None), tmp_path / "stage1.safetensors"))
    second = dataclasses.replace(first, out_dir=tmp_path / "stage2", frozen_layers=2, init_from=tmp_path / "stage1.safetensors")
    stage2 = load_file_fp32(export_delta(train(second, lambda line: None), tmp_path / "stage2.safetensors"))

    assert set(stage2) == set(stage1)  # layer 1 is frozen now, but the delta still carries stage 1's values of it
    layer = "bert.encoder.layer.1.output.dense.weight"
    assert torch.equal(stage2[layer], stage1[layer])
    assert not torch.equal(stage2["qa_outputs.weight"], stage1["qa_outputs.weight"])
    assert json.loads((tmp_path / "stage2.json").read_text(encoding="utf-8"))["init_from"] == file_sha256(tmp_path / "stage1.safetensors")
    with pytest.raises(QAError, match="initial weights .* not found"):
        train(dataclasses.replace(second, init_from=tmp_path / "none.safetensors"), lambda line: None)


def load_file_fp32(path: Path) -> dict[str, torch.Tensor]:
    """Return the tensors of a safetensors file as fp32."""
    from safetensors.torch import load_file

    return {name: tensor.float() for name, tensor in load_file(str(path)).items()}


def test_neural_reader_without_weights_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(QAError, match="train them with `qa train-reader`"):
        NeuralReader(tmp_path, tmp_path / "reader-delta.safetensors")


def test_cli_train_reader_names_a_missing_training_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qa.cli import main

    assert main(["--data-dir", str(tmp_path), "train-reader", "--train", str(tmp_path / "none.json")]) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"error: training file {tmp_path / 'none.json'} not found; pass an existing SQuAD-format JSON file"
    )


def test_cli_train_reader_names_missing_prepared_items(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qa.cli import main

    assert main(["--data-dir", str(tmp_path), "train-reader", "--prepared", str(tmp_path / "items.npz")]) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"error: prepared training items {tmp_path / 'items.npz'} not found; write them with `qa train-reader --prepare-only FILE`"
    )


def test_only_the_shipped_delta_builds_into_the_plain_folder(tmp_path: Path) -> None:
    from qa.reading.neural.model import DELTA_PATH, model_dir_name

    assert model_dir_name(DELTA_PATH, "ab" * 32) == "neural-reader"
    assert model_dir_name(tmp_path / "reader-delta.safetensors", "0123456789abcdef" * 4) == "neural-reader-0123456789ab"
