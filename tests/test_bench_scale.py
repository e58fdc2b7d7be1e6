"""The scale benchmark's corpus and stand-in encoder on tiny inputs (the benchmark itself runs on ../shared/benchmarks)."""

from __future__ import annotations

import numpy as np

from qa.bench.scale import PER_DOCUMENT, corpus
from qa.bench.standin import FEATURES, StandInEncoder, features, fit

SENTENCES = [
    "独山港区A3泊位正式对外开放。",
    "平湖市国际电子商务产业园获评省级示范基地。",
    "市政协十四届三次会议今天上午开幕。",
    "平湖市新建了一座图书馆。",
]


def test_corpus_passages_have_unique_ids_and_bounded_lengths():
    passages = corpus(SENTENCES, 120)
    assert len({p.id for p in passages}) == 120
    assert all(120 <= len(p.text) <= 350 for p in passages)
    assert len({p.document for p in passages}) == 120 // PER_DOCUMENT + 1
    assert [p.text for p in corpus(SENTENCES, 5)] == [p.text for p in passages[:5]]


def test_stand_in_recovers_a_linear_map_of_its_features(tmp_path):
    texts = [s[i:] + SENTENCES[(i + k) % 4] for k, s in enumerate(SENTENCES * 50) for i in range(0, 3)]
    truth = np.random.default_rng(0).normal(size=(FEATURES, 16)).astype(np.float32)
    targets = np.asarray(features(texts) @ truth) + 3.0
    targets /= np.linalg.norm(targets, axis=1, keepdims=True)
    encoder, figures = fit(texts, targets)
    assert figures["held_out_cosine"] > 0.9 and encoder.dimension == 16
    vectors = encoder.encode_passages(texts[:3])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    encoder.save(tmp_path / "standin.npz")
    assert StandInEncoder.load(tmp_path / "standin.npz").fingerprint == encoder.fingerprint


def test_settings_are_tuned_on_questions_the_runs_do_not_report():
    from qa.bench.scale import QUERIES, tuning_questions

    questions = [f"q{i}" for i in range(5000)]
    tuned = set(tuning_questions(questions))
    assert len(tuned) == QUERIES
    for run in range(3):
        assert not tuned & set(questions[run :: len(questions) // QUERIES][:QUERIES])
