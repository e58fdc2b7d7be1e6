"""`qa train-reader`: fine-tune the neural span reader on SQuAD-format data (CPU) and export its compact weights."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qa.commands.common import data_dir
from qa.errors import QAError
from qa.training.written import CORPUS_DIR

if TYPE_CHECKING:
    from qa.training.data import TrainExample

# The shipped reader's data: CMRC 2018 train and trial, and DRCD test (traditional script); never the dev sets.
DEFAULT_TRAIN = (Path("../shared/train/cmrc2018_train.json"), Path("../shared/benchmarks/cmrc2018_trial.json"))
DEFAULT_TRADITIONAL = (Path("../shared/benchmarks/drcd_test.json"),)
# A run's weights land in its own folder unless --export names another place (the shipped ones: SHIPPED_DELTA), so an
# experiment cannot overwrite the package's weights by default.
DELTA_NAME = "reader-delta.safetensors"
SHIPPED_DELTA = "qa/reading/neural/reader-delta.safetensors"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `train-reader` subcommand to the parser."""
    from qa.training.train import TrainConfig

    defaults = TrainConfig(Path(), Path(), ())
    parser = subparsers.add_parser("train-reader", help="train the neural span reader (CPU, checkpointed, resumable)")
    parser.add_argument(
        "--train",
        nargs="+",
        type=Path,
        default=list(DEFAULT_TRAIN),
        metavar="FILE",
        help=f"SQuAD-format training files (default {' '.join(map(str, DEFAULT_TRAIN))})",
    )
    parser.add_argument(
        "--traditional",
        nargs="*",
        type=Path,
        default=list(DEFAULT_TRADITIONAL),
        metavar="FILE",
        help=(
            "training files in traditional script, converted with OpenCC "
            f"(default {' '.join(map(str, DEFAULT_TRADITIONAL))}; none: --traditional with no file)"
        ),
    )
    parser.add_argument(
        "--written",
        nargs="?",
        type=Path,
        const=CORPUS_DIR,
        metavar="DIR",
        help=f"also train on questions written over made-up documents (NAME.txt + NAME_qa.jsonl; default {CORPUS_DIR})",
    )
    parser.add_argument("--out", type=Path, help="checkpoint folder (default DATA_DIR/reader-training); a run resumes from it")
    parser.add_argument(
        "--export",
        type=Path,
        help=f"where to write the trained weights (default OUT/{DELTA_NAME}; the package's shipped ones: {SHIPPED_DELTA})",
    )
    parser.add_argument("--init", type=Path, help="start from these delta weights (an earlier export) instead of the bare encoder")
    parser.add_argument("--max-length", type=int, default=defaults.max_length, help="tokens per window (question + context)")
    parser.add_argument("--stride", type=int, default=defaults.stride, help="overlap of consecutive windows, in tokens")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--epochs", type=float, default=defaults.epochs, help="passes over the windows (fractions allowed)")
    parser.add_argument("--max-steps", type=int, help="stop after this many steps (overrides --epochs)")
    parser.add_argument("--until", type=int, help="stop at this step of the schedule (checkpointed; run again without it to go on)")
    parser.add_argument("--frozen-layers", type=int, default=defaults.frozen_layers, help="encoder layers (from the bottom) left untrained")
    parser.add_argument(
        "--negative-share", type=float, default=defaults.negative_share, help="share of questions adding one window without the answer"
    )
    parser.add_argument(
        "--group-size",
        type=int,
        default=defaults.group_size,
        help="windows a question is trained on together under shared normalization (1: window by window)",
    )
    parser.add_argument(
        "--no-answer-share",
        type=float,
        default=defaults.no_answer_share,
        help="with --group-size > 1: share of questions whose group leaves out the answer window (learns 'not here')",
    )
    parser.add_argument(
        "--distractors",
        type=int,
        default=defaults.distractors,
        help="with --group-size > 1: retrieved contexts without the answer that a question's negatives are drawn from",
    )
    parser.add_argument(
        "--tune-share",
        type=float,
        default=defaults.tune_share,
        help="share of contexts held out of training as a tuning split, written to OUT/tune.json for qa eval",
    )
    parser.add_argument(
        "--near-miss-share",
        type=float,
        default=defaults.near_miss_share,
        help="with --group-size > 1: share of questions adding a no-answer group of the same question about a neighbouring "
        "thing (a name or number swapped; learns to turn down passages about something else)",
    )
    parser.add_argument(
        "--ablation-share",
        type=float,
        default=defaults.ablation_share,
        help="with --group-size > 1: share of answerable questions adding a no-answer group over their context without "
        "the answer's sentence (learns to turn down the neighbouring sentences' figures)",
    )
    parser.add_argument("--device", default=defaults.device, help="auto (CUDA when available, else CPU), cpu or cuda")
    parser.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="train on N questions of the training files drawn at random with --seed, beside every written question",
    )
    parser.add_argument(
        "--prepare-only",
        type=Path,
        metavar="FILE",
        help="build the training items (windows, distractors, near misses) into FILE and stop, to train elsewhere with --prepared",
    )
    parser.add_argument(
        "--prepared",
        type=Path,
        metavar="FILE",
        help="train on items written by --prepare-only under the same options (no training files or corpus needed)",
    )
    parser.add_argument("--limit", type=int, help="use only the first N questions (smoke tests)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--threads", type=int, default=defaults.threads, help="CPU threads")
    parser.set_defaults(run=run)


def write_tuning_split(out_dir: Path, examples: Sequence[TrainExample]) -> Path:
    """Write the questions held out of training (`--tune-share`) as SQuAD JSON in the checkpoint folder; return its path."""
    from qa.training.data import tuning_squad

    path = Path(out_dir) / "tune.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tuning_squad(examples), ensure_ascii=False), encoding="utf-8")
    print(f"tuning split: {len(examples)} questions held out of training -> {path}", file=sys.stderr)
    return path


def run(args: argparse.Namespace) -> int:
    """Train from the default encoder (resuming when possible), then export the trained weights; returns 0."""
    from embeddings.default_model import ensure_default_model
    from qa.training.export import export_delta
    from qa.training.prepared import data_fingerprint, load_prepared
    from qa.training.train import TrainConfig, check_files, prepare_file, split_examples, train

    if args.prepared and not args.prepared.is_file():
        raise QAError(f"prepared training items {args.prepared} not found; write them with `qa train-reader --prepare-only FILE`")
    if not args.prepared:
        check_files((*args.train, *args.traditional))
    folder = data_dir(args)
    out_dir = args.out or folder / "reader-training"
    config = TrainConfig(
        base_dir=ensure_default_model(folder),
        out_dir=out_dir,
        train_files=tuple(args.train),
        traditional_files=tuple(args.traditional),
        written=args.written,
        sample=args.sample,
        max_length=args.max_length,
        stride=args.stride,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        epochs=args.epochs,
        max_steps=args.max_steps,
        until=args.until,
        frozen_layers=args.frozen_layers,
        negative_share=args.negative_share,
        limit=args.limit,
        seed=args.seed,
        threads=args.threads,
        init_from=args.init,
        group_size=args.group_size,
        no_answer_share=args.no_answer_share,
        distractors=args.distractors,
        tune_share=args.tune_share,
        near_miss_share=args.near_miss_share,
        ablation_share=args.ablation_share,
        device=args.device,
    )
    if args.prepared:
        data = load_prepared(args.prepared, data_fingerprint(config.fingerprint()))
        checkpoint = train(config, prepared=data)
    else:
        split = split_examples(config)
        if config.tune_share > 0:
            write_tuning_split(config.out_dir, split.tuning)
        if args.prepare_only:
            path = prepare_file(config, split.training, args.prepare_only)
            print(f"prepared {path} ({path.stat().st_size / 2**20:.1f} MiB)", file=sys.stderr)
            return 0
        checkpoint = train(config, examples=split.training)
    delta = export_delta(checkpoint, args.export or out_dir / DELTA_NAME)
    print(f"exported {delta} ({delta.stat().st_size / 2**20:.1f} MiB)", file=sys.stderr)
    return 0
