"""`qa index PATH...`: ingest documents and update the search index incrementally."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from qa.commands.common import add_model_option, add_store_option, data_dir, encoder_factory, system
from qa.ingest.pipeline import ingest_paths
from qa.retrieval.dense import INDEX_KINDS
from qa.retrieval.ray_embed import embed_on_ray
from qa.retrieval.store import StageProgress, index_dir
from qa.system import QASystem
from qa.threads import apply_policy, batch_policy


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `index` subcommand to the parser."""
    parser = subparsers.add_parser("index", help="index files and folders for search (only new or changed passages are embedded)")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders (.txt .md .html .pdf .docx)")
    add_model_option(parser)
    add_store_option(parser)
    parser.add_argument(
        "--index-type",
        choices=INDEX_KINDS,
        default="flat",
        help="flat (default): exact below 50,000 passages per segment, an HNSW graph with exact re-ranking above; hnsw: graphs everywhere",
    )
    parser.add_argument("--prune", action="store_true", help="drop indexed documents that are not under the given paths (kept by default)")
    parser.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="embed on a Ray cluster first (an actor pool of encoders): its address, or auto for a local Ray (docs/SCALING.md)",
    )
    parser.add_argument("--no-wait", action="store_true", help="fail at once, naming the holder, when another run is updating this index")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Index the paths into the data dir, showing each stage's progress (ingest, embed, tokenize, write) with its ETA; return 0."""
    apply_policy(batch_policy())
    with Progress(
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        transient=False,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def start(stage: str, total: int) -> None:
            tasks[stage] = progress.add_task(stage, total=total, rate="-")

        def advance(stage: str, count: int) -> None:
            task = tasks[stage]
            progress.advance(task, count)
            state = progress.tasks[task]
            if state.elapsed:
                progress.update(task, rate=f"{state.completed / state.elapsed:.1f}")

        qa = system(args)
        if args.ray:
            _embed_on_ray(args, qa, progress)
        update = qa.index(
            args.paths,
            args.index_type,
            prune=args.prune,
            wait=not args.no_wait,
            on_wait=lambda message: print(message, file=sys.stderr),
            stages=StageProgress(start, advance),
        )
    for error in update.errors:
        print(f"skipped {error}", file=sys.stderr)
    for note in update.notes:
        print(f"note: {note}", file=sys.stderr)
    print(
        f"indexed {update.passages} passages from {update.documents} documents into {args.store or index_dir(data_dir(args))}: "
        f"{update.embedded} embedded, {update.reused} reused from cache, {update.added} added, {update.removed} removed"
    )
    return 0


def _embed_on_ray(args: argparse.Namespace, qa: QASystem, progress: Progress) -> None:
    """Embed the passages under the paths that the cache lacks on Ray (progress in passages/s across the cluster)."""
    passages = ingest_paths(args.paths).passages
    task = progress.add_task("embed@ray", total=len(passages), rate="-")
    fingerprint = qa.encoder.fingerprint  # loads (and on first use converts) the model once, before the actors do

    def advance(done: int, seconds: float) -> None:
        progress.update(task, completed=done, rate=f"{done / seconds:.1f}" if seconds else "-")

    run = embed_on_ray(
        passages, partial(encoder_factory(args), args.model, data_dir(args)), fingerprint, qa.embedding_cache, args.ray, progress=advance
    )
    progress.update(task, completed=len(passages))
    progress.console.print(
        f"ray: {run.embedded} passages embedded by {run.actors} encoders at {run.rate:.1f} passages/s, {run.cached} cached"
    )
