"""Write an evaluation's files: predictions.jsonl, metrics.json, report.md and its PNG plots."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from qa.evaluation import CALIBRATION_MIN_BIN, EvalRecord, calibration_bins, miss_counts, summarize_by_kind, threshold_sweep
from qa.serialize import answer_to_dict

METRIC_COLUMNS = (
    "n",
    "em",
    "f1",
    "no_answer_accuracy",
    "recall@1",
    "recall@5",
    "recall@10",
    "recall@20",
    "mrr@10",
    "citation_accuracy",
    "latency_p50_ms",
    "latency_p95_ms",
)
WORST_SHOWN = 15


def prediction_row(record: EvalRecord) -> dict:
    """Return the predictions.jsonl row of one question: its answer JSON plus id, references and metrics."""
    return {
        "id": record.example.id,
        **answer_to_dict(record.answer),
        "references": list(record.example.answers),
        "metrics": {
            "em": record.score.em,
            "f1": record.score.f1,
            "relevant_rank": record.relevant_rank,
            "citation_correct": record.citation_correct,
            "retrieve_ms": round(record.retrieve_ms, 2),
            "read_ms": round(record.read_ms, 2),
        },
    }


def write_report(out_dir: Path, runs: dict[str, tuple[list[EvalRecord], dict]], title: str) -> None:
    """Write every output file for one or more runs (keyed by retriever name) into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "predictions.jsonl").open("w", encoding="utf-8") as out:
        for name, (records, _) in runs.items():
            for record in records:
                out.write(json.dumps({"retriever": name, **prediction_row(record)}, ensure_ascii=False) + "\n")
    metrics = {name: summary for name, (_, summary) in runs.items()}
    flat = next(iter(metrics.values())) if len(metrics) == 1 else metrics
    (out_dir / "metrics.json").write_text(json.dumps(flat, ensure_ascii=False, indent=2), encoding="utf-8")
    plots = _plots(out_dir, runs)
    (out_dir / "report.md").write_text(_markdown(title, runs, plots), encoding="utf-8")


def metrics_table(metrics: dict[str, dict]) -> str:
    """Return a Markdown table with one row per run and the standard metric columns."""
    header = "| run | " + " | ".join(METRIC_COLUMNS) + " |"
    rule = "|---" * (len(METRIC_COLUMNS) + 1) + "|"
    rows = [
        f"| {name} | " + " | ".join(_cell(summary.get(column)) for column in METRIC_COLUMNS) + " |" for name, summary in metrics.items()
    ]
    return "\n".join([header, rule, *rows])


def kind_table(records: Sequence[EvalRecord]) -> str:
    """Return a Markdown table of EM, F1 and the answered share per question kind (unanswerable questions apart)."""
    rows = ["| kind | n | EM | F1 | answered |", "|---|---|---|---|---|"]
    for summary in summarize_by_kind(records):
        rows.append(f"| {summary.kind} | {summary.n} | {summary.em:.3f} | {summary.f1:.3f} | {summary.answered:.3f} |")
    return "\n".join(rows)


def miss_table(records: Sequence[EvalRecord]) -> str:
    """Return a Markdown table of how the answers relate to their reference answers (qa.evaluation.miss_kind): count
    and share of the answerable questions, or of the unanswerable ones for those."""
    rows = ["| answer | n | share |", "|---|---|---|"]
    rows += [f"| {count.kind} | {count.n} | {count.share:.3f} |" for count in miss_counts(records)]
    rows += [
        "",
        "Runs on: holds a whole reference answer and more; cut short: lies inside one; overlaps: shares some tokens; "
        "elsewhere: shares none (texts compared as the metric does).",
    ]
    return "\n".join(rows)


def calibration_table(records: Sequence[EvalRecord]) -> str:
    """Return a Markdown table of the confidence bins: count, mean confidence, mean correctness and their gap, with
    the largest gap over the bins of at least CALIBRATION_MIN_BIN questions."""
    chosen = calibration_bins(records)
    rows = ["| confidence | n | mean confidence | mean correctness | gap |", "|---|---|---|---|---|"]
    rows += [f"| {b.low:.1f}–{b.high:.1f} | {b.n} | {b.confidence:.3f} | {b.accuracy:.3f} | {b.gap:.3f} |" for b in chosen]
    counted = [b.gap for b in chosen if b.n >= CALIBRATION_MIN_BIN]
    worst = f"{max(counted):.3f}" if counted else "– (no bin that large)"
    rows += ["", f"Largest gap over bins of {CALIBRATION_MIN_BIN}+ questions: {worst}."]
    return "\n".join(rows)


SWEPT_THRESHOLDS = tuple(round(0.05 * step, 2) for step in range(19))


def sweep_table(records: Sequence[EvalRecord]) -> str:
    """Return a Markdown table of what each confidence threshold would have given on this run (see threshold_sweep)."""
    rows = ["| threshold | overall | EM | F1 | unanswerable abstained |", "|---|---|---|---|---|"]
    for outcome in threshold_sweep(records, SWEPT_THRESHOLDS):
        abstained = "–" if outcome.no_answer_accuracy is None else f"{outcome.no_answer_accuracy:.3f}"
        rows.append(f"| {outcome.threshold:.2f} | {outcome.overall:.3f} | {outcome.em:.3f} | {outcome.f1:.3f} | {abstained} |")
    rows += [
        "",
        "Overall: mean over all questions of F1, an abstention counting 1 on an unanswerable question. Only thresholds "
        "at or above the run's own are meaningful: run with --threshold 0 to sweep them all.",
    ]
    return "\n".join(rows)


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}" if value <= 1.0 else f"{value:.1f}"


def _markdown(title: str, runs: dict[str, tuple[list[EvalRecord], dict]], plots: list[str]) -> str:
    lines = [f"# Evaluation: {title}", "", metrics_table({name: summary for name, (_, summary) in runs.items()}), ""]
    lines += ["EM and F1 are over answerable questions (official CMRC 2018 definitions); latencies are per question, model loaded.", ""]
    for plot in plots:
        lines += [f"![{plot}]({plot})", ""]
    for name, (records, _) in runs.items():
        lines += [f"## By question kind ({name})", "", kind_table(records), ""]
        lines += [f"## How answers miss ({name})", "", miss_table(records), ""]
        lines += [f"## Calibration ({name})", "", calibration_table(records), ""]
        lines += [f"## Threshold sweep ({name})", "", sweep_table(records), ""]
    for name, (records, _) in runs.items():
        worst = sorted(records, key=lambda r: (r.score.f1, r.example.id))[:WORST_SHOWN]
        lines += [
            f"## Worst answers ({name})",
            "",
            "| id | question | answer | references | F1 | relevant rank |",
            "|---|---|---|---|---|---|",
        ]
        for record in worst:
            answer = (record.answer.text or "(not found)").replace("|", "\\|").replace("\n", " ")
            references = " / ".join(record.example.answers).replace("|", "\\|") or "(unanswerable)"
            question = record.example.question.replace("|", "\\|")
            lines.append(
                f"| {record.example.id} | {question} | {answer[:80]} | {references[:80]} | {record.score.f1:.2f} | "
                f"{record.relevant_rank or '–'} |"
            )
        lines.append("")
    return "\n".join(lines)


def _plots(out_dir: Path, runs: dict[str, tuple[list[EvalRecord], dict]]) -> list[str]:
    """Draw calibration, recall@k and latency plots; return their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    figure, axis = plt.subplots(figsize=(5, 4))
    for name, (records, _) in runs.items():
        centers, accuracies = calibration_curve(records)
        axis.plot(centers, accuracies, marker="o", label=name)
    axis.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    axis.set(
        xlabel="confidence",
        ylabel="mean F1 (answerable) / correct abstention",
        title="Accuracy against confidence",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    axis.legend()
    names.append(_save(figure, out_dir / "calibration.png"))

    figure, axis = plt.subplots(figsize=(5, 4))
    for name, (records, summary) in runs.items():
        ranks = [r.relevant_rank for r in records if r.example.answers]
        if ranks and summary.get("recall@1") is not None:
            ks = list(range(1, 21))
            axis.plot(ks, [sum(1 for rank in ranks if rank is not None and rank <= k) / len(ranks) for k in ks], marker=".", label=name)
    axis.set(xlabel="k", ylabel="recall@k", title="Retrieval recall@k", ylim=(0, 1.01))
    if axis.lines:
        axis.legend()
    else:
        axis.text(0.5, 0.5, "no retrieval (gold contexts)", ha="center", transform=axis.transAxes)
    names.append(_save(figure, out_dir / "recall_at_k.png"))

    figure, axis = plt.subplots(figsize=(5, 4))
    for name, (records, _) in runs.items():
        axis.hist([r.retrieve_ms + r.read_ms for r in records], bins=30, alpha=0.6, label=name)
    axis.set(xlabel="milliseconds per question", ylabel="questions", title="Latency")
    axis.legend()
    names.append(_save(figure, out_dir / "latency.png"))
    return names


def calibration_curve(records: Sequence[EvalRecord], bins: int = 10) -> tuple[list[float], list[float]]:
    """Return (mean confidence, mean correctness) per non-empty confidence bin; correctness is F1, or 1 for a right abstention."""
    chosen = calibration_bins(records, bins)
    return [b.confidence for b in chosen], [b.accuracy for b in chosen]


def _save(figure, path: Path) -> str:
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    import matplotlib.pyplot as plt

    plt.close(figure)
    return path.name
