"""The gold set shipped over the seed: size, coverage, and every answer string verbatim in the seed."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from qa.ingest.pipeline import ingest_paths
from tests.conftest import SEED

GOLD = Path(__file__).resolve().parent.parent / "qa" / "gold" / "seed_gold.jsonl"


def gold_rows() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_gold_set_size_and_coverage():
    rows = gold_rows()
    languages = Counter(row["lang"] for row in rows)
    types = Counter(row["type"] for row in rows)
    assert len(rows) >= 80
    assert len({row["id"] for row in rows}) == len(rows)
    assert languages["zh-hant"] >= 5 and languages["en"] >= 5
    assert sum(1 for row in rows if not row["answers"]) >= 10
    for kind in ("number", "date", "person", "place", "organization", "title", "list", "why", "how", "paraphrase"):
        assert types[kind] >= 1, kind


def test_every_gold_answer_is_a_verbatim_span_of_the_seed():
    passages = ingest_paths([SEED]).passages
    for row in gold_rows():
        for answer in row["answers"]:
            assert any(answer in passage.text for passage in passages), (row["id"], answer)


def test_gold_set_covers_every_article():
    passages = ingest_paths([SEED]).passages
    covered = {passage.article for row in gold_rows() for answer in row["answers"] for passage in passages if answer in passage.text}
    assert covered == {passage.article for passage in passages}


def test_gold_set_is_split_by_article_into_tuning_and_frozen_test_halves():
    rows = gold_rows()
    splits = Counter(row["split"] for row in rows)
    assert set(splits) == {"tune", "test"} and splits["tune"] == splits["test"] == 52
    articles = {split: {row["article"] for row in rows if row["split"] == split} for split in splits}
    assert articles == {"tune": {2, 3, 6, 7}, "test": {1, 4, 5, 8}}
    unanswerable = Counter(row["split"] for row in rows if not row["answers"])
    assert unanswerable == {"tune": 6, "test": 6}


def test_split_rows_load_alone():
    from qa.evaluation import GOLD_SET, load_eval_set

    tune = load_eval_set(GOLD_SET, "tune").examples
    test = load_eval_set(GOLD_SET, "test").examples
    assert len(tune) == len(test) == 52 and not {e.id for e in tune} & {e.id for e in test}
    assert tune[0].kind is not None


HELDOUT = GOLD.parent / "heldout"


def checked_rows(questions: Path, corpus: Path) -> list[dict]:
    """Return the rows of a question file, having checked that every row is answerable or marked unanswerable and
    that each first answer is verbatim in a passage of the corpus (a headline is the passage's title, not its text)."""
    passages = ingest_paths([corpus]).passages
    rows = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        assert row["answers"] or row["type"] == "unanswerable", row["id"]
        for answer in row["answers"][:1]:
            assert any(answer in passage.text or answer in (passage.title or "") for passage in passages), (row["id"], answer)
    return rows


def test_heldout_corpus_has_enough_questions_and_verbatim_answers():
    rows = [row for name in ("notice", "report", "annual") for row in checked_rows(HELDOUT / f"{name}_gold.jsonl", HELDOUT / f"{name}.txt")]
    assert len(rows) == 162 and sum(1 for row in rows if not row["answers"]) == 33


def test_tuning_documents_have_verbatim_answers_and_none_is_held_out():
    from qa.bench.tune_reader import TUNING_SETS

    assert all(corpus.parent != HELDOUT for _, corpus in TUNING_SETS)
    assert {questions for questions, _ in TUNING_SETS} == set((GOLD.parent / "tuning").glob("*_gold.jsonl"))  # none waits
    rows = [row for questions, corpus in TUNING_SETS for row in checked_rows(questions, corpus)]
    assert len({row["id"] for row in rows}) == 8500 and sum(1 for row in rows if not row["answers"]) == 1889
    assert sum(1 for row in rows if row.get("lang") == "en") == 1136
    assert sum(1 for row in rows if row["type"] == "title") >= 20


def test_blind_round_waiting_has_verbatim_answers_and_is_not_tuned_on():
    from qa.bench.tune_reader import TUNING_SETS

    blind = GOLD.parent / "blind"
    names = ("bloodbank", "wharfnote", "textilerep", "campnote", "hillpage", "ridehail", "solarnote", "gallerynote")
    rows = [row for name in names for row in checked_rows(blind / f"{name}_gold.jsonl", blind / f"{name}.txt")]
    assert len({row["id"] for row in rows}) == 360 and sum(1 for row in rows if not row["answers"]) == 80
    assert sum(1 for row in rows if row.get("lang") == "en") == 48
    assert all(corpus.parent != blind for _, corpus in TUNING_SETS)
