"""Evaluation on tiny hand-checked data: dataset formats, per-question records, aggregates, report files."""

from __future__ import annotations

import json

import pytest

from qa.answers import Answer
from qa.datasets import EvalExample
from qa.errors import QAError
from qa.eval_report import calibration_curve, write_report
from qa.evaluation import EvalRecord, context_passages, load_eval_set, summarize
from qa.metrics import score_answer
from qa.retrieval.cache import EmbeddingCache
from qa.retrieval.store import build_index
from qa.system import QASystem, Settings
from tests.fakes import FakeEncoder

SQUAD = {
    "version": "v1.0",
    "data": [
        {
            "id": "A",
            "paragraphs": [
                {
                    "id": "C1",
                    "context": "独山港区A3泊位设计年综合通过能力169万吨。",
                    "qas": [
                        {
                            "id": "Q1",
                            "question": "A3泊位设计年综合通过能力是多少？",
                            "answers": [{"text": "169万吨", "answer_start": 15}, {"text": "169万吨", "answer_start": 15}],
                        }
                    ],
                }
            ],
        },
        {
            "id": "B",
            "paragraphs": [
                {
                    "id": "C2",
                    "context": "会议由市政协副主席许静主持。",
                    "qas": [{"id": "Q2", "question": "会议由谁主持？", "answers": [{"text": "许静", "answer_start": 9}]}],
                }
            ],
        },
    ],
}


def test_load_squad_and_jsonl(tmp_path):
    squad = tmp_path / "set.json"
    squad.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    loaded = load_eval_set(squad)
    assert loaded.examples == (
        EvalExample("Q1", "A3泊位设计年综合通过能力是多少？", ("169万吨",), "C1"),
        EvalExample("Q2", "会议由谁主持？", ("许静",), "C2"),
    )
    assert loaded.contexts == {"C1": "独山港区A3泊位设计年综合通过能力169万吨。", "C2": "会议由市政协副主席许静主持。"}
    rows = tmp_path / "set.jsonl"
    rows.write_text('{"id": "x", "question": "q?", "answers": []}\n\n{"id": 2, "question": "p?", "answers": ["a"]}\n', encoding="utf-8")
    assert load_eval_set(rows).examples == (EvalExample("x", "q?", ()), EvalExample("2", "p?", ("a",)))


def test_bad_jsonl_row_names_the_line(tmp_path):
    rows = tmp_path / "bad.jsonl"
    rows.write_text('{"id": "x", "question": "q?", "answers": []}\n{"id": "y"}\n', encoding="utf-8")
    with pytest.raises(QAError, match="bad.jsonl:2: not a dataset row"):
        load_eval_set(rows)


def test_evaluate_with_retrieval_and_gold_contexts(tmp_path):
    squad = tmp_path / "set.json"
    squad.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    eval_set = load_eval_set(squad)
    passages = context_passages(eval_set.contexts)
    index, embedded = build_index(passages, FakeEncoder(), EmbeddingCache(tmp_path / "cache.sqlite"))
    assert embedded == 2
    system = QASystem(Settings(tmp_path, reader="sentence", threshold=0.3), make_encoder=lambda model, data_dir: FakeEncoder(), index=index)
    records = system.evaluate(eval_set.examples, "hybrid")
    assert [(r.example.id, r.relevant_rank, r.citation_correct) for r in records] == [("Q1", 1, True), ("Q2", 1, True)]
    assert [r.answer.text for r in records] == ["独山港区A3泊位设计年综合通过能力169万吨。", "会议由市政协副主席许静主持。"]
    gold = {p.document: [p] for p in passages}
    gold_records = system.evaluate(eval_set.examples, gold_contexts=gold)
    assert [r.answer.text for r in gold_records] == [r.answer.text for r in records]


def record(answer_text, references, rank, citation_correct, ms=10.0, score=0.5):
    example = EvalExample("id", "q", tuple(references))
    answer = Answer("q", answer_text, score, (), (), ())
    return EvalRecord(example, answer, score_answer(answer_text, references), rank, citation_correct, ms, 1.0)


def test_summarize_by_hand():
    records = [
        record("169万吨", ["169万吨"], 1, True, ms=9.0),
        record("许静主持", ["许静"], 3, False, ms=19.0),
        record(None, [], None, None, ms=29.0),
        record("x", [], None, None, ms=39.0),
    ]
    metrics = summarize(records)
    assert metrics["n"] == 4 and metrics["n_answerable"] == 2
    assert metrics["em"] == 0.5
    assert metrics["f1"] == pytest.approx((1.0 + 2 * 1 * 0.5 / 1.5) / 2)  # 许静主持 vs 许静: P=2/4, R=1 -> 0.667
    assert metrics["no_answer_accuracy"] == 0.5
    assert (metrics["recall@1"], metrics["recall@5"], metrics["mrr@10"]) == (0.5, 1.0, pytest.approx((1 + 1 / 3) / 2))
    assert metrics["citation_accuracy"] == 0.5
    assert metrics["latency_p50_ms"] == pytest.approx(25.0)  # totals 10, 20, 30, 40


def test_calibration_bins():
    records = [record("a", ["a"], 1, True, score=0.95), record("b", ["a"], 1, True, score=0.91), record("a", ["a"], 1, True, score=0.15)]
    centers, accuracies = calibration_curve(records)
    assert centers == [pytest.approx(0.15), pytest.approx(0.93)]
    assert accuracies == [1.0, 0.5]


def test_report_files(tmp_path):
    records = [record("169万吨", ["169万吨"], 1, True), record(None, [], None, None)]
    write_report(tmp_path, {"hybrid": (records, summarize(records)), "bm25": (records, summarize(records))}, "tiny")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "calibration.png",
        "latency.png",
        "metrics.json",
        "predictions.jsonl",
        "recall_at_k.png",
        "report.md",
    ]
    metrics = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))
    assert sorted(metrics) == ["bm25", "hybrid"] and metrics["hybrid"]["em"] == 1.0
    rows = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 4 and rows[0]["answer"] == "169万吨" and rows[1]["abstained"] is True
    assert "| hybrid | 2 | 1.000 |" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_squad_v2_impossible_questions_have_no_answers(tmp_path):
    data = {
        "version": "v2.0",
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {
                        "context": "会议今天开幕。",
                        "qas": [
                            {
                                "id": "a",
                                "question": "会议什么时候开幕？",
                                "answers": [{"text": "今天", "answer_start": 2}],
                                "is_impossible": False,
                            },
                            {
                                "id": "b",
                                "question": "会议什么时候闭幕？",
                                "answers": [],
                                "plausible_answers": [{"text": "今天", "answer_start": 2}],
                                "is_impossible": True,
                            },
                        ],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    loaded = load_eval_set(path)
    assert [(e.id, e.answers, e.context_id) for e in loaded.examples] == [("a", ("今天",), "0-0"), ("b", (), "0-0")]


def kinded(answer_text, references, kind, score):
    example = EvalExample("id", "q", tuple(references), kind=kind)
    answer = Answer("q", answer_text, score, (), (), ())
    return EvalRecord(example, answer, score_answer(answer_text, references), 1, None, 1.0, 1.0)


SWEEP_RECORDS = [
    kinded("169万吨", ["169万吨"], "number", 0.9),
    kinded("许静主持", ["许静"], "person", 0.4),
    kinded("56", ["56家"], "number", 0.2),
    kinded("x", [], "unanswerable", 0.3),
    kinded(None, [], "unanswerable", 0.1),
]


def test_summarize_by_kind_keeps_unanswerable_apart():
    from qa.evaluation import summarize_by_kind

    rows = {s.kind: (s.n, s.em, round(s.f1, 4), s.answered) for s in summarize_by_kind(SWEEP_RECORDS)}
    assert rows == {
        "number": (2, 0.5, round((1.0 + 2 * 0.5 * 1.0 / 1.5) / 2, 4), 1.0),  # 56 vs 56家: P=1, R=1/2
        "unanswerable": (2, 0.5, 0.5, 0.5),
        "person": (1, 0.0, round(2 * 0.5 / 1.5, 4), 1.0),
    }


def test_calibration_bins_count_and_gap():
    from qa.evaluation import calibration_bins

    bins = calibration_bins(SWEEP_RECORDS)  # the abstention at 0.1 is a 0.9 confidence that the answer is not there
    assert [(b.low, b.n) for b in bins] == [(0.2, 1), (0.3, 1), (0.4, 1), (0.9, 2)]
    assert (bins[-1].confidence, bins[-1].accuracy) == (pytest.approx(0.9), 1.0)
    assert bins[-1].gap == pytest.approx(0.1)


def test_threshold_sweep_replays_abstentions():
    from qa.evaluation import threshold_sweep

    low, middle, high = threshold_sweep(SWEEP_RECORDS, [0.0, 0.35, 0.95])
    f1_56, f1_xujing = 2 * 0.5 / 1.5, 2 * 0.5 / 1.5
    assert (low.em, low.no_answer_accuracy) == (pytest.approx(1 / 3), 0.5)
    assert low.overall == pytest.approx((1.0 + f1_xujing + f1_56 + 0.0 + 1.0) / 5)
    assert (middle.em, middle.f1, middle.no_answer_accuracy) == (pytest.approx(1 / 3), pytest.approx((1.0 + f1_xujing) / 3), 1.0)
    assert middle.overall == pytest.approx((1.0 + f1_xujing + 0.0 + 1.0 + 1.0) / 5)
    assert (high.em, high.f1, high.overall) == (0.0, 0.0, pytest.approx(2 / 5))


def test_report_has_kind_calibration_and_sweep_sections(tmp_path):
    write_report(tmp_path, {"hybrid": (SWEEP_RECORDS, summarize(SWEEP_RECORDS))}, "kinds")
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| number | 2 | 0.500 |" in report
    assert "## Calibration (hybrid)" in report and "| 0.9–1.0 | 2 | 0.900 | 1.000 | 0.100 |" in report
    assert "Largest gap over bins of 20+ questions: – (no bin that large)." in report
    assert "| 0.35 |" in report
    assert "## How answers miss (hybrid)" in report and "| runs on | 1 | 0.333 |" in report


def test_each_answer_is_put_in_one_kind_of_miss():
    from qa.evaluation import MissCount, miss_counts, miss_kind

    others = [
        kinded("A3泊位", ["独山港区A3"], "place", 0.5),  # shares the token a3 alone
        kinded("许静", ["仲旭东"], "person", 0.5),
        kinded(None, ["许静"], "person", 0.1),
        kinded("“169万吨”", ["169万吨，"], "number", 0.9),  # punctuation aside, exact
    ]
    assert [miss_kind(r) for r in [*SWEEP_RECORDS, *others]] == [
        "exact",
        "runs on",
        "cut short",
        "answered (no answer exists)",
        "abstained (no answer exists)",
        "overlaps",
        "elsewhere",
        "abstained",
        "exact",
    ]
    assert miss_counts([*SWEEP_RECORDS, *others]) == [
        MissCount("exact", 2, 2 / 7),
        MissCount("runs on", 1, 1 / 7),
        MissCount("cut short", 1, 1 / 7),
        MissCount("overlaps", 1, 1 / 7),
        MissCount("elsewhere", 1, 1 / 7),
        MissCount("abstained", 1, 1 / 7),
        MissCount("abstained (no answer exists)", 1, 0.5),
        MissCount("answered (no answer exists)", 1, 0.5),
    ]
    assert miss_counts([]) == []


def test_split_is_for_jsonl_with_that_split(tmp_path):
    rows = tmp_path / "set.jsonl"
    rows.write_text('{"id": "1", "question": "q?", "answers": [], "split": "tune", "type": "unanswerable"}\n', encoding="utf-8")
    assert [e.kind for e in load_eval_set(rows, "tune").examples] == ["unanswerable"]
    with pytest.raises(QAError, match="no split 'test' \\(its splits: tune\\)"):
        load_eval_set(rows, "test")
    squad = tmp_path / "set.json"
    squad.write_text(json.dumps(SQUAD), encoding="utf-8")
    with pytest.raises(QAError, match="drop --split"):
        load_eval_set(squad, "tune")
