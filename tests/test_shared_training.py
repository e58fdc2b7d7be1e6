"""Multi-passage training under shared normalization: groups of windows, their targets and loss, retrieval
distractors, the tuning split held out of training, and a few real steps on a tiny random BERT."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from qa.evaluation import load_eval_set  # noqa: E402
from qa.training.data import TrainExample, in_tuning_split, load_training_file, tuning_squad  # noqa: E402
from qa.training.distractors import retrieved_distractors  # noqa: E402
from qa.training.features import Window, WindowGroup, ablated_context, build_groups, label_window  # noqa: E402
from qa.training.train import TrainConfig, collate_groups, shared_norm_loss, split_examples, train  # noqa: E402
from tests.test_reader_training import CONTEXT, QUESTION, base_dir  # noqa: E402,F401 - the tiny encoder fixture

OTHER = "子丑寅卯辰巳午未申酉" * 2


def test_groups_hold_one_answer_window_and_negatives_from_context_and_distractors(base_dir: Path) -> None:  # noqa: F811
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    example = TrainExample("q", QUESTION, CONTEXT, 20, CONTEXT[20:22])
    groups = build_groups(tokenizer, [example], {"q": (OTHER,)}, max_length=16, stride=4, group_size=3, no_answer_share=0.0, seed=0)
    assert len(groups) == 1 and groups[0].answerable
    first, *rest = groups[0].windows
    assert (first.start, first.end) == (10, 11)
    assert [(w.start, w.end) for w in rest] == [(0, 0), (0, 0)]
    unanswerable = build_groups(tokenizer, [example], {"q": (OTHER,)}, max_length=16, stride=4, group_size=3, no_answer_share=1.0, seed=0)
    assert not unanswerable[0].answerable
    assert [(w.start, w.end) for w in unanswerable[0].windows] == [(0, 0)] * 3


def test_a_near_miss_adds_a_no_answer_group_led_by_the_window_that_held_the_answer(base_dir: Path) -> None:  # noqa: F811
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    example = TrainExample("q", QUESTION, CONTEXT, 20, CONTEXT[20:22])
    plain = build_groups(tokenizer, [example], {"q": (OTHER,)}, max_length=16, stride=4, group_size=3, no_answer_share=0.0, seed=0)
    groups = build_groups(
        tokenizer, [example], {"q": (OTHER,)}, 16, 4, group_size=3, no_answer_share=0.0, seed=0, near_misses={"q": "问答"}
    )
    assert len(groups) == 2 and groups[1] == plain[0]
    near = groups[0]
    assert not near.answerable and [(w.start, w.end) for w in near.windows] == [(0, 0)] * 3
    # the near-miss question's own window over the answer's place (as the original question's would be labelled)
    swapped = tokenizer(
        "问答", CONTEXT, truncation="only_second", max_length=16, stride=4, return_overflowing_tokens=True, return_offsets_mapping=True
    )
    labels = [label_window(swapped["offset_mapping"][i], swapped.sequence_ids(i), 20, 22) for i in range(len(swapped["input_ids"]))]
    holding = [swapped["input_ids"][i] for i, (start, _) in enumerate(labels) if start > 0]
    assert len(holding) == 1 and list(near.windows[0].input_ids) == holding[0]


SENTENCES = "甲乙丙。丁戊己。庚辛壬。"


def test_an_ablated_context_loses_the_sentence_holding_the_answer_and_nothing_else() -> None:
    assert ablated_context(TrainExample("q", QUESTION, SENTENCES, 5, "戊己")) == "甲乙丙。庚辛壬。"
    assert ablated_context(TrainExample("q", QUESTION, SENTENCES, 2, "丙。丁")) is None  # the answer crosses a sentence
    assert ablated_context(TrainExample("q", QUESTION, "甲乙丙。丁乙丙。", 5, "乙丙")) is None  # it would still be answered


def test_an_ablation_adds_a_no_answer_group_over_the_context_without_the_answers_sentence(base_dir: Path) -> None:  # noqa: F811
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    example = TrainExample("q", QUESTION, SENTENCES, 5, "戊己")
    plain = build_groups(tokenizer, [example], {"q": (OTHER,)}, 32, 4, group_size=3, no_answer_share=0.0, seed=0)
    groups = build_groups(tokenizer, [example], {"q": (OTHER,)}, 32, 4, group_size=3, no_answer_share=0.0, seed=0, ablated=frozenset({"q"}))
    assert len(groups) == 2 and groups[1] == plain[0]
    ablation = groups[0]
    assert not ablation.answerable and [(w.start, w.end) for w in ablation.windows] == [(0, 0)] * 3
    left = tokenizer(QUESTION, "甲乙丙。庚辛壬。", truncation="only_second", max_length=32)
    assert list(ablation.windows[0].input_ids) == left["input_ids"]  # led by the context that lost the answer's sentence


def test_an_unanswerable_question_is_always_a_no_answer_group_and_never_a_near_miss(base_dir: Path) -> None:  # noqa: F811
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    example = TrainExample("q", QUESTION, CONTEXT, -1, "")
    groups = build_groups(
        tokenizer, [example], {"q": (OTHER,)}, 16, 4, group_size=3, no_answer_share=0.0, seed=0, near_misses={"q": "问答"}
    )
    assert len(groups) == 1 and not groups[0].answerable
    assert [(w.start, w.end) for w in groups[0].windows] == [(0, 0)] * 3
    assert len({w.input_ids for w in groups[0].windows}) == 3


def test_collate_groups_marks_answer_tokens_or_every_cls() -> None:
    answer = Window((2, 5, 6, 3), (0, 0, 1, 1), 2, 3)
    negative = Window((2, 5, 3), (0, 0, 1), 0, 0)
    batch = collate_groups([WindowGroup((answer, negative), True), WindowGroup((negative, negative), False)], pad_id=0)
    assert batch["input_ids"].tolist() == [[2, 5, 6, 3], [2, 5, 3, 0], [2, 5, 3, 0], [2, 5, 3, 0]]
    assert torch.nonzero(batch["start_targets"]).tolist() == [[0, 2], [1, 0], [1, 4]]
    assert torch.nonzero(batch["end_targets"]).tolist() == [[0, 3], [1, 0], [1, 4]]


def test_shared_norm_loss_is_one_softmax_over_all_windows_of_a_group() -> None:
    # one group of two windows of three tokens; the answer starts and ends at token 1 of the first window
    start = torch.tensor([[0.0, 2.0, 0.0], [1.0, 0.0, math.log(3.0)]])
    end = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]])  # the last token of window two is padding
    targets = torch.zeros(1, 6, dtype=torch.bool)
    targets[0, 1] = True
    loss = shared_norm_loss(start, end, mask, targets, targets)
    expected_start = -math.log(math.exp(2) / (1 + math.exp(2) + 1 + math.e + 1))
    expected_end = -math.log(1 / 5)
    assert loss.item() == pytest.approx((expected_start + expected_end) / 2, rel=1e-6)


def test_retrieved_distractors_share_words_but_not_the_answer() -> None:
    examples = [
        TrainExample("a", "长江流经哪些省份？", "长江流经青海、西藏、四川等省份。", 4, "青海、西藏、四川"),
        TrainExample("b", "黄河发源于哪里？", "黄河发源于青海省巴颜喀拉山。", 5, "青海省巴颜喀拉山"),
        TrainExample("c", "珠江有多长？", "长江是中国最长的河流，珠江流经广东。", 0, "长江"),
    ]
    distractors = retrieved_distractors(examples, per_question=2)
    assert distractors["a"] == ("长江是中国最长的河流，珠江流经广东。",)
    assert distractors["b"] == ()
    assert distractors["c"] == ()
    unanswerable = TrainExample("d", "长江有多长？", "黄河发源于青海省巴颜喀拉山。", -1, "")
    assert retrieved_distractors([*examples, unanswerable], per_question=2)["d"] == (
        "长江流经青海、西藏、四川等省份。",
        "长江是中国最长的河流，珠江流经广东。",
    )


def test_tuning_split_is_held_out_of_training_by_context(tmp_path: Path) -> None:
    contexts = [f"第{n}段：甲乙丙丁。" for n in range(40)]
    held = [c for c in contexts if in_tuning_split(c, 0.25)]
    assert 0 < len(held) < len(contexts)
    assert in_tuning_split(contexts[0], 0.0) is False and in_tuning_split(contexts[0], 1.0) is True
    paragraphs = [
        {"context": c, "qas": [{"id": str(n), "question": "何？", "answers": [{"text": "甲乙", "answer_start": c.index("甲")}]}]}
        for n, c in enumerate(contexts)
    ]
    path = tmp_path / "train.json"
    path.write_text(json.dumps({"data": [{"paragraphs": paragraphs}]}, ensure_ascii=False), encoding="utf-8")
    config = TrainConfig(Path(), tmp_path, (path,), tune_share=0.25)
    split = split_examples(config)
    trained, tuning = split.training, split.tuning
    assert {e.context for e in tuning} == set(held)
    assert not {e.context for e in trained} & set(held)
    assert len(trained) + len(tuning) == 40
    written = tmp_path / "tune.json"
    written.write_text(json.dumps(tuning_squad(tuning), ensure_ascii=False), encoding="utf-8")
    assert [e.id for e in load_training_file(written)] == [e.id for e in tuning]


def test_tuning_split_keeps_every_reference_answer_for_scoring(tmp_path: Path) -> None:
    qas = [
        {
            "id": "q",
            "question": "何？",
            "answers": [
                {"text": "甲乙", "answer_start": 5},
                {"text": " 甲乙丙 ", "answer_start": 5},
                {"text": "甲乙", "answer_start": 5},
                {"text": "甲乙丙", "answer_start": 5},
            ],
        }
    ]
    path = tmp_path / "train.json"
    paragraph = {"context": "第一段：甲乙丙丁。", "qas": qas}
    path.write_text(json.dumps({"data": [{"paragraphs": [paragraph]}]}, ensure_ascii=False), encoding="utf-8")
    (example,) = load_training_file(path)
    assert (example.answer, example.answer_start, example.other_answers) == ("甲乙", 4, ("甲乙丙",))
    squad = tuning_squad([example])
    answers = squad["data"][0]["paragraphs"][0]["qas"][0]["answers"]
    assert answers == [{"text": "甲乙", "answer_start": 4}, {"text": "甲乙丙", "answer_start": 4}]
    written = tmp_path / "tune.json"
    written.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    assert load_eval_set(written).examples[0].answers == ("甲乙", "甲乙丙")


def _tiny_shared_run(encoder: Path, tmp_path: Path, out: str) -> TrainConfig:
    """Return a two-step shared-normalization run on the tiny encoder: four questions over CONTEXT beside OTHER."""
    qas = [{"id": f"q{n}", "question": QUESTION, "answers": [{"text": CONTEXT[n : n + 2], "answer_start": n}]} for n in range(4)]
    data = tmp_path / "train.json"
    data.write_text(
        json.dumps({"data": [{"paragraphs": [{"context": CONTEXT, "qas": qas}, {"context": OTHER, "qas": []}]}]}, ensure_ascii=False),
        encoding="utf-8",
    )
    return TrainConfig(
        base_dir=encoder,
        out_dir=tmp_path / out,
        train_files=(data,),
        max_length=16,
        stride=4,
        batch_size=2,
        max_steps=2,
        frozen_layers=1,
        threads=1,
        group_size=3,
        no_answer_share=0.5,
        device="cpu",
    )


def test_shared_training_runs_and_records_the_shared_null_rule(base_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    config = _tiny_shared_run(base_dir, tmp_path, "run")
    lines: list[str] = []
    checkpoint = train(config, lines.append)
    assert any("groups of 3 windows" in line for line in lines)
    state = torch.load(checkpoint, weights_only=False)
    assert state["step"] == 2 and state["sizes"]["null_rule"] == "shared"
    assert all(math.isfinite(float(line.split("loss ")[1].split()[0])) for line in lines if line.startswith("step"))


def test_prepared_items_round_trip_and_train_as_the_questions_they_were_built_from(base_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    from qa.errors import QAError
    from qa.training.prepared import data_fingerprint, load_prepared
    from qa.training.train import prepare, prepare_file

    config = _tiny_shared_run(base_dir, tmp_path, "direct")
    examples = split_examples(config).training
    path = prepare_file(config, examples, tmp_path / "items.npz", lambda line: None)
    elsewhere = dataclasses.replace(config, out_dir=tmp_path / "prepared", train_files=(Path("/nowhere/train.json"),))
    prepared = load_prepared(path, data_fingerprint(elsewhere.fingerprint()))
    assert prepared.questions == 4 and prepared.items == 4 and prepared.window_count == 12
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    assert prepared == prepare(config, tokenizer, examples, lambda line: None)
    direct = torch.load(train(config, lambda line: None, examples), weights_only=False)
    moved = torch.load(train(elsewhere, lambda line: None, prepared=prepared), weights_only=False)
    assert direct["model"].keys() == moved["model"].keys()
    assert all(torch.equal(direct["model"][name], moved["model"][name]) for name in direct["model"])
    other = dataclasses.replace(config, seed=14)
    with pytest.raises(QAError, match="prepared under other data settings"):
        load_prepared(path, data_fingerprint(other.fingerprint()))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(QAError, match="cannot read prepared training items"):
        load_prepared(cut, data_fingerprint(config.fingerprint()))
    single = dataclasses.replace(elsewhere, group_size=1, out_dir=tmp_path / "single")
    with pytest.raises(QAError, match="do not fit --group-size"):
        train(single, lambda line: None, prepared=prepared)


def test_the_ablation_share_joins_the_data_fingerprint_only_when_set(tmp_path: Path) -> None:
    from qa.training.prepared import data_fingerprint

    config = TrainConfig(tmp_path, tmp_path / "out", (tmp_path / "train.json",), group_size=3)
    assert "ablation_share" not in data_fingerprint(config.fingerprint())  # items prepared before it existed still load
    assert data_fingerprint(dataclasses.replace(config, ablation_share=0.3).fingerprint())["ablation_share"] == 0.3
