"""The evaluation tab's work: run `qa eval`'s evaluation on the gold set, the saved feedback or an uploaded dataset."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from qa.chat.feedback import FeedbackStore
from qa.chat.i18n import ChatError
from qa.chat.service import ChatService
from qa.eval_report import WORST_SHOWN, write_report
from qa.evaluation import GOLD_SET, EvalRecord, context_passages, load_eval_set, summarize
from qa.ingest.pipeline import ingest_paths
from qa.system import QASystem

GOLD, FEEDBACK, UPLOADED = "built-in gold set", "saved feedback", "uploaded dataset"
EVAL_SOURCES = (GOLD, FEEDBACK, UPLOADED)
PLOTS = ("calibration.png", "recall_at_k.png", "latency.png")


FailureRow = tuple[str, str, str | None, tuple[str, ...], float]


@dataclass(frozen=True)
class EvalView:
    """What the tab shows: the retriever and its metrics, the worst failures (id, question, answer, references, F1),
    the plots, the report folder."""

    retriever: str
    summary: dict
    failures: tuple[FailureRow, ...]
    plots: tuple[Path, ...]
    report: Path


def dataset_for(source: str, service: ChatService, uploaded: Path | None) -> Path:
    """Return the dataset file a source names; raises ChatError when there is none yet."""
    if source == GOLD:
        return GOLD_SET
    if source == FEEDBACK:
        path = FeedbackStore(service.data_dir).path
        if not path.exists() or not path.read_text(encoding="utf-8").strip():
            raise ChatError("no_feedback")
        return path
    if source == UPLOADED:
        if uploaded is None:
            raise ChatError("upload_dataset_first")
        if Path(uploaded).suffix.lower() not in (".jsonl", ".json"):
            raise ChatError("bad_dataset_type", name=Path(uploaded).name)
        return Path(uploaded)
    raise ChatError("unknown_dataset", source=source)


def worst_failures(records: list[EvalRecord], limit: int = WORST_SHOWN) -> tuple[FailureRow, ...]:
    """Return the lowest-F1 answers that were not exactly right as (id, question, answer, references, F1) rows."""
    wrong = [record for record in records if record.score.em < 1]
    worst = sorted(wrong, key=lambda record: (record.score.f1, record.example.id))[:limit]
    return tuple((r.example.id, r.example.question, r.answer.text, tuple(r.example.answers), r.score.f1) for r in worst)


def run_evaluation(
    service: ChatService,
    source: str,
    uploaded: Path | None,
    k: int,
    mode: str,
    threshold: float,
    progress: Callable[[int, int], None] | None = None,
) -> EvalView:
    """Evaluate a dataset with the chat's settings, write the `qa eval` report and return what the tab shows.

    The gold set is answered from the seed alone (as `qa eval` does), a SQuAD file from its own
    contexts, feedback and other JSONL sets from the app's index (the documents they were asked about).
    """
    dataset = dataset_for(source, service, uploaded)
    eval_set = load_eval_set(dataset)
    if not eval_set.examples:
        raise ChatError("no_questions", name=dataset.name)
    system = _system(service, source, eval_set.contexts)
    done = [0]

    def advance(count: int) -> None:
        done[0] += count
        if progress is not None:
            progress(done[0], len(eval_set.examples))

    settings = replace(system.settings, k=int(k), retriever=mode, threshold=float(threshold))
    records = system.with_settings(settings).evaluate(eval_set.examples, progress=advance)
    summary = summarize(records)
    out_dir = service.data_dir / "eval" / ("chat-" + dataset.stem)
    write_report(out_dir, {mode: (records, summary)}, dataset.name)
    return EvalView(mode, summary, worst_failures(records), tuple(out_dir / plot for plot in PLOTS), out_dir)


def _system(service: ChatService, source: str, contexts: dict[str, str] | None) -> QASystem:
    """Return the chat's system over what a dataset is answered from: the seed, a SQuAD set's contexts, or the app's index."""
    if source == GOLD:
        return service.system.over_passages(list(ingest_paths([service.seeds]).passages))
    if contexts is not None:
        return service.system.over_passages(context_passages(contexts))
    return service.system
