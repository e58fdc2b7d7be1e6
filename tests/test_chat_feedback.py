"""Chat feedback: gold rows in the `qa eval` format, one per answer, the latest verdict winning; ratings log."""

from __future__ import annotations

import json

import pytest

from qa.chat.feedback import Feedback, FeedbackStore, gold_row, merge_rows, rating_row
from qa.errors import QAError
from qa.evaluation import load_eval_set


def test_like_makes_the_shown_answer_the_reference_for_the_resolved_question():
    feedback = Feedback("a1", "那明天呢？", "明天的天气怎么样？", "晴", "like")
    assert gold_row(feedback) == {
        "id": "a1",
        "question": "明天的天气怎么样？",
        "answers": ["晴"],
        "rating": "like",
        "asked": "那明天呢？",
        "shown": "晴",
    }


def test_liked_not_found_answer_is_an_unanswerable_question():
    assert gold_row(Feedback("a2", "Who?", None, None, "like"))["answers"] == []


def test_correction_makes_the_typed_answer_the_reference():
    row = gold_row(Feedback("a3", "多少？", None, "3万吨级", "correction", " 169万吨 "))
    assert row["answers"] == ["169万吨"] and row["question"] == "多少？" and row["rating"] == "correction"


def test_dislike_without_correction_makes_no_row_and_empty_correction_is_refused():
    assert gold_row(Feedback("a4", "q", None, "x", "dislike")) is None
    with pytest.raises(QAError, match="type the correct answer first"):
        gold_row(Feedback("a4", "q", None, "x", "correction", "  "))
    with pytest.raises(QAError, match="unknown rating"):
        gold_row(Feedback("a4", "q", None, "x", "meh"))


def test_rating_row():
    assert rating_row(Feedback("a5", "q", None, "x", "dislike"), 0) == {
        "time": "1970-01-01T00:00:00Z",
        "id": "a5",
        "question": "q",
        "resolved_question": None,
        "shown": "x",
        "rating": "dislike",
        "correct": None,
    }


def test_merge_rows_replaces_in_place_appends_and_drops():
    rows = [{"id": "a"}, {"id": "b"}]
    assert merge_rows(rows, "a", {"id": "a", "v": 2}) == [{"id": "a", "v": 2}, {"id": "b"}]
    assert merge_rows(rows, "c", {"id": "c"}) == [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    assert merge_rows(rows, "a", None) == [{"id": "b"}]


def test_store_writes_a_dataset_qa_eval_reads(tmp_path):
    store = FeedbackStore(tmp_path)
    store.record(Feedback("a1", "能力是多少？", None, "3万吨级", "like"), timestamp=0)
    store.record(Feedback("a1", "能力是多少？", None, "3万吨级", "correction", "169万吨"), timestamp=1)
    store.record(Feedback("a2", "Who?", None, None, "like"), timestamp=2)
    store.record(Feedback("a3", "谁？", None, "某人", "like"), timestamp=3)
    store.record(Feedback("a3", "谁？", None, "某人", "dislike"), timestamp=4)
    assert store.path == tmp_path / "feedback" / "feedback.jsonl"
    examples = load_eval_set(store.path).examples
    assert [(e.id, e.question, e.answers) for e in examples] == [("a1", "能力是多少？", ("169万吨",)), ("a2", "Who?", ())]
    log = [json.loads(line) for line in (tmp_path / "feedback" / "ratings.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [row["rating"] for row in log] == ["like", "correction", "like", "like", "dislike"]


def _rate_many(data_dir, start: int, count: int) -> None:
    store = FeedbackStore(data_dir)
    for number in range(start, start + count):
        store.record(Feedback(f"a{number}", f"问题{number}？", None, f"答案{number}", "like"))


def test_32_concurrent_ratings_end_with_32_valid_rows(tmp_path):
    import multiprocessing
    import threading

    threads = [threading.Thread(target=_rate_many, args=(tmp_path, n * 4, 4)) for n in range(4)]
    processes = [multiprocessing.get_context("fork").Process(target=_rate_many, args=(tmp_path, 16 + n * 4, 4)) for n in range(4)]
    for worker in threads + processes:
        worker.start()
    for worker in threads + processes:
        worker.join()
    examples = load_eval_set(FeedbackStore(tmp_path).path).examples
    assert sorted((e.id, e.answers) for e in examples) == sorted((f"a{n}", (f"答案{n}",)) for n in range(32))
    log = (tmp_path / "feedback" / "ratings.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["id"] for line in log) == sorted(f"a{n}" for n in range(32))


def test_a_torn_feedback_file_is_rebuilt_from_the_ratings_log(tmp_path):
    store = FeedbackStore(tmp_path)
    store.record(Feedback("a1", "问\u2028题？", None, "甲", "like"), timestamp=0)
    store.path.write_text(store.path.read_text(encoding="utf-8")[:15], encoding="utf-8")
    store.record(Feedback("a2", "谁？", None, "乙", "like"), timestamp=1)
    assert [(e.id, e.question, e.answers) for e in load_eval_set(store.path).examples] == [
        ("a1", "问\u2028题？", ("甲",)),
        ("a2", "谁？", ("乙",)),
    ]
