"""Regression floor of the default reader on the gold set's tuning split: BM25 retrieval (a fake encoder builds the
unused dense side) and the shipped neural reader with its recorded settings. The floors are the figures measured
when the settings were chosen (docs/EVALUATION.md); the frozen test split is not used here."""

from __future__ import annotations

import statistics

import pytest

pytest.importorskip("torch")

from qa.answering import default_threshold  # noqa: E402
from qa.evaluation import GOLD_SET, load_eval_set  # noqa: E402
from qa.ingest.pipeline import ingest_paths  # noqa: E402
from qa.reading.factory import DEFAULT_READER  # noqa: E402
from qa.retrieval.cache import EmbeddingCache  # noqa: E402
from qa.retrieval.store import build_index  # noqa: E402
from qa.system import QASystem, Settings  # noqa: E402
from tests.conftest import SEED  # noqa: E402
from tests.fakes import FakeEncoder  # noqa: E402

pytestmark = pytest.mark.integration

# Measured with the shipped reader (stage 18) and its recorded settings: EM 40/46, F1 0.9049, 5 of 6 unanswerable
# abstained at threshold 0.36 with answer edges (qa.reading.edges; the card kept on eighty-six to ninety-four sets),
# and before them with quoted names whole (qa.reading.quoted) and the calibration refitted with them on
# seventy-eight tuning sets (kept on eighty-two), and before that at 0.38 with before and after values
# (qa.reading.before_after; seventy-four and seventy-eight sets) and without them, home places read as the passages
# write them (qa.reading.home_place) and English questions glossed (qa.crosslingual.glossed_question), with the card
# refitted on the forty-six tuning sets of qa/gold/tuning (kept on fifty to seventy; before home places, the same at
# 0.36, the threshold on sixty-two and sixty-six sets, and at 0.34, on fifty-eight sets with glossing)
# (docs/EVALUATION.md); before glossing:
# 39/46, 0.8831, 5 of 6 at 0.36 (fifty-eight sets), the same with the cards before (fifty-four sets, 0.34; forty-six
# and fifty, 0.32; forty-two, 0.34; thirty-eight, 0.38; thirty, 0.42; eighteen, 0.38);
# stage 17 at 0.42 with its card fitted on fourteen: 40/46, 0.9037, 5 of 6;
# stage 13 with the second look (qa.reading.hf.HFReader.second_look) weighed in the card refitted on ten tuning sets
# and the answer tightened by it: 38/46, 0.8650, 5 of 6; without tightening: 37/46, 0.8510; the card before the second
# look: 34/46, 0.8112, 6 of 6 at 0.46; stage 10: 33/46, 0.7909, 5 of 6 at 0.46; stage 7: 33/46, 0.7852, 5 of 6 at
# 0.46; stage 4: 31/46, 0.7716, 5 of 6 at 0.44 (with the passage-support weight, qa.reading.support), 31/46, 0.7825, 4
# of 6 at 0.42 (without it); at the earlier threshold 0.22, chosen on this split alone: 32/46, 0.8042, 4 of 6.

EM_FLOOR = 40 / 46
F1_FLOOR = 0.904
NO_ANSWER_FLOOR = 5 / 6


def test_default_reader_keeps_its_tuning_split_figures(real_data_dir, tmp_path):
    encoder = FakeEncoder()
    index, _ = build_index(list(ingest_paths([SEED]).passages), encoder, EmbeddingCache(tmp_path / "embeddings.sqlite"))
    examples = load_eval_set(GOLD_SET, "tune").examples
    system = QASystem(Settings(real_data_dir, retriever="bm25"), make_encoder=lambda model, data_dir: encoder, index=index)
    assert (system.settings.reader, system.settings.abstain_below) == (DEFAULT_READER, default_threshold(DEFAULT_READER))
    records = system.evaluate(examples)
    answerable = [r for r in records if r.example.answers]
    unanswerable = [r for r in records if not r.example.answers]
    em = statistics.fmean(r.score.em for r in answerable)
    f1 = statistics.fmean(r.score.f1 for r in answerable)
    abstained = statistics.fmean(1.0 if r.score.abstained else 0.0 for r in unanswerable)
    assert em >= EM_FLOOR and f1 >= F1_FLOOR and abstained >= NO_ANSWER_FLOOR
