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
    covered = {
        passage.article for row in gold_rows() for answer in row["answers"] for passage in passages if answer in passage.text
    }
    assert covered == {passage.article for passage in passages}
