"""Retrieval negatives for multi-passage training: for each question, the contexts a retriever ranks high that do not
hold its answer (they share the question's words, so they teach the reader to say "not here")."""

from __future__ import annotations

from collections.abc import Sequence

from qa.training.data import TrainExample


def retrieved_distractors(examples: Sequence[TrainExample], per_question: int) -> dict[str, tuple[str, ...]]:
    """Return, per question id, up to `per_question` other contexts of the examples, best BM25 match to the question
    first, that do not contain its answer text (any other context for an unanswerable question)."""
    from qa.retrieval.bm25 import BM25Index

    contexts = list(dict.fromkeys(example.context for example in examples))
    index = BM25Index.build([str(i) for i in range(len(contexts))], contexts)
    distractors: dict[str, tuple[str, ...]] = {}
    for example in examples:
        chosen = []
        for hit in index.search(example.question, per_question + 4):
            context = contexts[int(hit.passage_id)]
            if context != example.context and not (example.answerable and example.answer in context):
                chosen.append(context)
            if len(chosen) == per_question:
                break
        distractors[example.id] = tuple(chosen)
    return distractors
