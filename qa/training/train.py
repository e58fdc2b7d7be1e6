"""Fine-tune a span-extraction head (start/end logits) on the base encoder, on CPU, with checkpoints and resume."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.reading.neural.delta import apply_delta
from qa.training.data import TrainExample, in_tuning_split, load_training_file, traditional_to_simplified
from qa.training.distractors import retrieved_distractors
from qa.training.features import Window, WindowGroup, build_groups, build_windows
from qa.training.prepared import PreparedData

CHECKPOINT_FILE = "checkpoint.pt"
FROZEN_ALWAYS = ("embeddings.word_embeddings.",)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (same config and seed: same data order and initial head); `until`
    stops a run at that step of its schedule (a later run without it resumes and goes on)."""

    base_dir: Path
    out_dir: Path
    train_files: tuple[Path, ...]
    traditional_files: tuple[Path, ...] = ()
    max_length: int = 192
    stride: int = 64
    negative_share: float = 0.3
    batch_size: int = 16
    learning_rate: float = 1e-4
    weight_decay: float = 0.01
    warmup: float = 0.06
    epochs: float = 1.0
    frozen_layers: int = 6
    seed: int = 13
    bf16: bool = False
    threads: int = 2
    checkpoint_every: int = 20
    log_every: int = 10
    max_steps: int | None = None
    limit: int | None = None
    until: int | None = None
    init_from: Path | None = None
    group_size: int = 1
    no_answer_share: float = 0.0
    distractors: int = 2
    device: str = "auto"
    tune_share: float = 0.0
    near_miss_share: float = 0.0
    # Share of answerable questions adding a no-answer group over their context without the answer's sentence.
    ablation_share: float = 0.0
    # A folder of questions written over made-up documents (qa.training.written); read first, before the files.
    written: Path | None = None
    # Train on this many questions of the files, drawn with the seed (outside the tuning split), beside every written one.
    sample: int | None = None

    @property
    def shared(self) -> bool:
        """Return whether windows are trained in groups under shared normalization (more than one window a question)."""
        return self.group_size > 1

    def fingerprint(self) -> dict[str, Any]:
        """Return the settings a checkpoint must share to be resumed (all but where, how often and how far to go; the
        initial weights by content, not by path)."""
        from embeddings.convert import file_sha256

        fields = dataclasses.asdict(self)
        for name in ("out_dir", "checkpoint_every", "log_every", "threads", "until", "device"):
            fields.pop(name)
        fields["init_from"] = file_sha256(Path(self.init_from)) if self.init_from else None
        for newer in ("written", "sample"):
            if fields[newer] is None:
                fields.pop(newer)  # runs from before these settings existed resume as they were
        if not fields["ablation_share"]:
            fields.pop("ablation_share")
        return json.loads(json.dumps(fields, default=str))


@dataclass(frozen=True)
class ExampleSplit:
    """The configured questions, read once: those trained on and those held out as the tuning split (`tune_share`)."""

    training: tuple[TrainExample, ...]
    tuning: tuple[TrainExample, ...]


def split_examples(config: TrainConfig) -> ExampleSplit:
    """Return the configured questions split into training and tuning (`tune_share`, by context). Training holds every
    written question outside the split, then those of the files (with `sample`, that many drawn with the seed, in file
    order), then only the first `limit`; tuning holds the written and file questions inside the split."""
    from qa.training.written import corpus_examples

    check_files((*config.train_files, *config.traditional_files))
    written = list(corpus_examples(config.written)) if config.written else []
    files: list[TrainExample] = []
    for path in config.train_files:
        files.extend(load_training_file(path))
    if config.traditional_files:
        convert = traditional_to_simplified()
        for path in config.traditional_files:
            files.extend(load_training_file(path, convert))
    tuning = tuple(e for e in written + files if in_tuning_split(e.context, config.tune_share))
    written, files = ([e for e in part if not in_tuning_split(e.context, config.tune_share)] for part in (written, files))
    if config.sample is not None:
        drawn = set(random.Random(f"{config.seed}-sample").sample(range(len(files)), min(config.sample, len(files))))
        files = [example for index, example in enumerate(files) if index in drawn]
    training = written + files
    return ExampleSplit(tuple(training[: config.limit] if config.limit else training), tuning)


def trainable(name: str, frozen_layers: int) -> bool:
    """Return whether a parameter (BertForQuestionAnswering naming) is trained: never the word embeddings, and
    neither the embeddings nor layers below `frozen_layers` when that is above zero."""
    bare = name.removeprefix("bert.")
    if any(bare.startswith(prefix) for prefix in FROZEN_ALWAYS):
        return False
    if frozen_layers and bare.startswith("embeddings."):
        return False
    if bare.startswith("encoder.layer."):
        return int(bare.split(".")[2]) >= frozen_layers
    return True


def schedule(step: int, total: int, warmup: float) -> float:
    """Return the learning-rate factor at `step`: linear warm-up over the first `warmup` share, then linear decay to 0."""
    warm = max(1, int(total * warmup))
    if step < warm:
        return (step + 1) / warm
    return max(0.0, (total - step) / max(1, total - warm))


def batch_order(windows: int, batch_size: int, step: int, seed: int) -> list[int]:
    """Return the window indices of training step `step`: each epoch is a fresh seeded permutation cut into batches."""
    per_epoch = math.ceil(windows / batch_size)
    epoch, position = divmod(step, per_epoch)
    order = list(range(windows))
    random.Random(seed * 1000 + epoch).shuffle(order)
    return order[position * batch_size : (position + 1) * batch_size]


def collate(windows: Sequence[Window], pad_id: int) -> dict[str, Any]:
    """Return padded input tensors (to the longest window) and the start/end labels of a batch."""
    import torch

    width = max(len(window.input_ids) for window in windows)
    ids = [list(w.input_ids) + [pad_id] * (width - len(w.input_ids)) for w in windows]
    types = [list(w.token_type_ids) + [0] * (width - len(w.token_type_ids)) for w in windows]
    mask = [[1] * len(w.input_ids) + [0] * (width - len(w.input_ids)) for w in windows]
    return {
        "input_ids": torch.tensor(ids),
        "token_type_ids": torch.tensor(types),
        "attention_mask": torch.tensor(mask),
        "start_positions": torch.tensor([w.start for w in windows]),
        "end_positions": torch.tensor([w.end for w in windows]),
    }


def collate_groups(groups: Sequence[WindowGroup], pad_id: int) -> dict[str, Any]:
    """Return the padded inputs of a batch of equal-sized groups (windows flattened, group by group) and, per group,
    boolean masks over its windows' concatenated token positions marking the start and end targets: the answer's
    tokens in the windows holding it, or every window's CLS (position 0) in a no-answer group."""
    import torch

    windows = [window for group in groups for window in group.windows]
    batch = collate(windows, pad_id)
    width = batch["input_ids"].shape[1]
    size = len(groups[0].windows)
    starts = torch.zeros(len(groups), size * width, dtype=torch.bool)
    ends = torch.zeros(len(groups), size * width, dtype=torch.bool)
    for row, group in enumerate(groups):
        for column, window in enumerate(group.windows):
            if group.answerable and window.start > 0:
                starts[row, column * width + window.start] = True
                ends[row, column * width + window.end] = True
            elif not group.answerable:
                starts[row, column * width] = True
                ends[row, column * width] = True
    del batch["start_positions"], batch["end_positions"]
    return {**batch, "start_targets": starts, "end_targets": ends}


def shared_norm_loss(start_logits: Any, end_logits: Any, attention_mask: Any, start_targets: Any, end_targets: Any) -> Any:
    """Return the mean over groups of the negative log-likelihood of the targets when one softmax runs over all token
    positions of all windows of a group (start and end averaged); logits are [groups * windows, tokens]."""
    import torch

    groups = start_targets.shape[0]
    valid = attention_mask.reshape(groups, -1).bool()

    def part(logits: Any, targets: Any) -> Any:
        flat = logits.reshape(groups, -1).float().masked_fill(~valid, -1e4)
        return (torch.logsumexp(flat, -1) - torch.logsumexp(flat.masked_fill(~targets, -1e4), -1)).mean()

    return (part(start_logits, start_targets) + part(end_logits, end_targets)) / 2


def pick_device(requested: str) -> str:
    """Return the torch device to train on: `auto` takes CUDA when available, else the CPU."""
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise QAError(f"device {requested} asked for but no CUDA GPU is visible; use --device cpu")
    return requested


def prepare(config: TrainConfig, tokenizer: Any, examples: Sequence[TrainExample], log: Callable[[str], None]) -> PreparedData:
    """Return the training items of `examples` under the config: groups of windows (with retrieved distractors and
    near misses) when training under shared normalization, else single windows. Raises QAError when there are none."""
    if not examples:
        raise QAError("no training questions with a locatable answer in the given files")
    if not config.shared:
        windows = build_windows(tokenizer, examples, config.max_length, config.stride, config.negative_share, config.seed)
        log(f"{len(examples)} questions -> {len(windows)} windows ({sum(w.start > 0 for w in windows)} with the answer)")
        return PreparedData((), tuple(windows), len(examples))
    distractors = retrieved_distractors(examples, config.distractors) if config.distractors else {}
    near_misses = _near_misses(examples, config.near_miss_share, config.seed) if config.near_miss_share else None
    ablated = _drawn(examples, config.ablation_share, f"{config.seed}-ablation-share")
    groups = build_groups(
        tokenizer,
        examples,
        distractors,
        config.max_length,
        config.stride,
        config.group_size,
        config.no_answer_share,
        config.seed,
        near_misses,
        ablated,
    )
    log(
        f"{len(examples)} questions -> {len(groups)} groups of {config.group_size} windows "
        f"({sum(g.answerable for g in groups)} holding the answer; {len(ablated)} questions drawn for ablation)"
    )
    return PreparedData(tuple(groups), (), len(examples))


def prepare_file(config: TrainConfig, examples: Sequence[TrainExample], path: Path, log: Callable[[str], None] | None = None) -> Path:
    """Build the training items of `examples` and save them at `path` with the config's data fingerprint (for
    `train-reader --prepared` elsewhere); returns `path`."""
    from transformers import AutoTokenizer

    from qa.training.prepared import data_fingerprint, save_prepared

    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    tokenizer = AutoTokenizer.from_pretrained(str(config.base_dir))
    return save_prepared(path, prepare(config, tokenizer, examples, log), data_fingerprint(config.fingerprint()))


def train(
    config: TrainConfig,
    log: Callable[[str], None] | None = None,
    examples: Sequence[TrainExample] | None = None,
    prepared: PreparedData | None = None,
) -> Path:
    """Train on `prepared` items, else on those of `examples` (by default the configured training questions), resuming
    from `out_dir`'s checkpoint when its settings match, and return the final checkpoint's path."""
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer
    from transformers.utils import logging as hf_logging

    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    if config.init_from and not Path(config.init_from).is_file():
        raise QAError(f"initial weights {config.init_from} not found; pass a delta written by `qa train-reader`")
    torch.set_num_threads(config.threads)
    hf_logging.set_verbosity_error()
    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    if prepared is None:
        tokenizer = AutoTokenizer.from_pretrained(str(config.base_dir))
        prepared = prepare(config, tokenizer, split_examples(config).training if examples is None else examples, log)
    if config.shared != bool(prepared.groups):
        raise QAError("the prepared items do not fit --group-size (groups against single windows); prepare them again")
    groups, windows = prepared.groups, prepared.windows
    item_count = prepared.items
    per_epoch = math.ceil(item_count / config.batch_size)
    total = config.max_steps or max(1, math.ceil(config.epochs * per_epoch))
    log(f"{total} steps of {config.batch_size} ({time.monotonic() - started:.0f} s to prepare)")

    device = pick_device(config.device)
    torch.manual_seed(config.seed)
    model = AutoModelForQuestionAnswering.from_pretrained(str(config.base_dir))
    names = {name for name, _ in model.named_parameters() if trainable(name, config.frozen_layers)}
    saved = names | (apply_delta(model, Path(config.init_from), "pass a delta trained on it") if config.init_from else set())
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(name in names)
    model.to(device)
    decay = [p for n, p in model.named_parameters() if n in names and not _no_decay(n)]
    no_decay = [p for n, p in model.named_parameters() if n in names and _no_decay(n)]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.learning_rate,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: schedule(step, total, config.warmup))
    fingerprint = config.fingerprint()
    step = _resume(out_dir / CHECKPOINT_FILE, fingerprint, model, optimizer, scheduler, log, device)

    model.train()
    pad_id = model.config.pad_token_id if model.config.pad_token_id is not None else 0
    losses: list[float] = []
    clock = time.monotonic()
    first_step = step
    stop = min(total, config.until) if config.until else total
    while step < stop:
        chosen = batch_order(item_count, config.batch_size, step, config.seed)
        batch = collate_groups([groups[i] for i in chosen], pad_id) if config.shared else collate([windows[i] for i in chosen], pad_id)
        batch = {name: tensor.to(device) for name, tensor in batch.items()}
        with torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=config.bf16):
            if config.shared:
                targets = (batch.pop("start_targets"), batch.pop("end_targets"))
                output = model(**batch)
                loss = shared_norm_loss(output.start_logits, output.end_logits, batch["attention_mask"], *targets)
            else:
                loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        step += 1
        if step % config.log_every == 0 or step == stop:
            rate = (time.monotonic() - clock) / (step - first_step)
            log(
                f"step {step}/{total} loss {sum(losses) / len(losses):.3f} lr {scheduler.get_last_lr()[0]:.2e} "
                f"{rate:.2f} s/step, eta {rate * (total - step) / 60:.1f} min"
            )
            losses.clear()
        if step % config.checkpoint_every == 0 or step == stop:
            _save_checkpoint(
                out_dir / CHECKPOINT_FILE,
                fingerprint,
                step,
                model,
                optimizer,
                scheduler,
                saved,
                {
                    "steps": total,
                    "windows": prepared.window_count,
                    "questions": prepared.questions,
                    "null_rule": "shared" if config.shared else "min",
                },
            )
    log(f"done: {out_dir / CHECKPOINT_FILE} ({time.monotonic() - started:.0f} s this run)")
    return out_dir / CHECKPOINT_FILE


def _near_misses(examples: Sequence[TrainExample], share: float, seed: int) -> dict[str, str]:
    """Return near-miss questions (qa.reading.near_miss) for a `share` of the examples, drawn with `seed`."""
    from qa.reading.near_miss import near_miss_questions
    from qa.reading.spans import tagged_words

    drawn = _drawn(examples, share, f"{seed}-near-miss-share")
    return near_miss_questions([(e.id, e.question, e.context) for e in examples if e.id in drawn], tagged_words, seed)


def _drawn(examples: Sequence[TrainExample], share: float, seed: str) -> frozenset[str]:
    """Return the ids of a `share` of the answerable examples, drawn with `seed`."""
    if not share:
        return frozenset()
    rng = random.Random(seed)
    return frozenset(example.id for example in examples if example.answerable and rng.random() < share)


def _no_decay(name: str) -> bool:
    """Return whether a parameter is exempt from weight decay (biases and LayerNorm weights)."""
    return name.endswith(".bias") or "LayerNorm" in name


def check_files(paths: Sequence[Path]) -> None:
    """Raise QAError naming the first path that is not a file."""
    for path in paths:
        if not Path(path).is_file():
            raise QAError(f"training file {path} not found; pass an existing SQuAD-format JSON file")


def _save_checkpoint(
    path: Path,
    fingerprint: dict[str, Any],
    step: int,
    model: Any,
    optimizer: Any,
    scheduler: Any,
    names: set[str],
    sizes: dict[str, int | str],
) -> None:
    """Write the named parameters (trained or initialized from a delta), optimizer, scheduler and RNG state atomically
    (temporary file, then rename)."""
    import torch

    state = {
        "fingerprint": fingerprint,
        "step": step,
        "sizes": sizes,
        "model": {n: t for n, t in model.state_dict().items() if n in names},
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "torch_rng": torch.get_rng_state(),
    }
    staging = path.with_suffix(".tmp")
    torch.save(state, staging)
    os.replace(staging, path)


def _resume(
    path: Path, fingerprint: dict[str, Any], model: Any, optimizer: Any, scheduler: Any, log: Callable[[str], None], device: str = "cpu"
) -> int:
    """Load a checkpoint written with the same settings and return its step (0 when there is none)."""
    import torch

    if not path.is_file():
        return 0
    state = torch.load(path, map_location=device, weights_only=False)
    if state["fingerprint"] != fingerprint:
        raise QAError(f"{path} was written with other training settings; use another --out folder or delete it")
    model.load_state_dict(state["model"], strict=False)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"].cpu())
    log(f"resumed from {path} at step {state['step']}")
    return int(state["step"])
