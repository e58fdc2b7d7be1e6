"""The shipped neural reader (trained here) on the seed's own sentences: verbatim, cited spans."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from qa.ingest.pipeline import text_passages  # noqa: E402
from qa.reading.neural.model import NeuralReader  # noqa: E402
from qa.records import RetrievedPassage  # noqa: E402

pytestmark = pytest.mark.integration

BERTH = "独山港区A3泊位建设等级为3万吨级，主要从事对二甲苯、乙二醇等液体化工品及油品的装卸业务，设计年综合通过能力 169万吨。"


@pytest.fixture(scope="module")
def neural_reader(real_data_dir):
    """Return the shipped reader, its model built from the delta over the default encoder in a fresh data dir."""
    return NeuralReader(real_data_dir)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("独山港区A3泊位设计年综合通过能力是多少？", "169万吨"),
        ("A3泊位主要从事哪些货物的装卸业务？", "对二甲苯、乙二醇等液体化工品及油品"),
    ],
)
def test_shipped_reader_answers_seed_questions_verbatim(neural_reader, question, answer):
    passages = [RetrievedPassage(passage, 1.0, rank) for rank, passage in enumerate(text_passages(BERTH, "seed.txt"), start=1)]
    best = neural_reader.read(question, passages)[0]
    citation = best.citation
    assert best.text == answer
    assert passages[0].passage.text[citation.start : citation.end] == answer
    assert 0.0 < best.score <= 1.0


def test_an_english_height_keeps_its_unit(neural_reader):
    from pathlib import Path

    from qa.ingest.pipeline import ingest_paths

    document = Path(__file__).resolve().parent / "data" / "eiffel_tower.txt"
    passages = [RetrievedPassage(p, 1.0, rank) for rank, p in enumerate(ingest_paths([document]).passages, start=1)]
    best = neural_reader.read("How tall is the Lighthouse of Cordouan?", passages)[0]
    assert best.text.startswith("67.5 metres")
