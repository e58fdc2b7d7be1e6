"""Choose the neural reader's reading settings on tuning data only, and record them in its card.

    python -m qa.bench.tune_reader --squad .qa/reader-training/tune.json [--windows 1,2,3] [--choices overlap,idf]
        [--length-penalties 0,0.1] [--decodings argmax,expected_f1] [--min-gain 0.01]
        [--contender SLOPE,INTERCEPT,OFF_KIND,UNSUPPORTED[,SECOND_LOOK]] [--no-second-look] [--write]

Tuning data, in two groups of equal weight: newspaper-like documents (the gold set's `tune` split over seeds/ and the
tuning documents of qa/gold/tuning/, each read open-domain over its own corpus; unanswerable questions included) and a
SQuAD-format tuning split held out of the reader's training (`qa train-reader --tune-share`), read open-domain over its
own contexts. Never a benchmark's dev set, never the gold set's `test` split or the held-out corpus (qa/gold/heldout).
For choosing a setting, a newspaper question's answer is scored against its first reference answer only
(`--newspaper-answers first`, the default): the variants a gold file lists (`总投资46亿元` beside `46亿元`) would let
an answer that runs on past the asked span score as well as the answer itself (docs/BENCHMARKS.md, stage 7). The
calibration and the threshold are fitted on correctness as `qa eval` judges it, against every reference answer, so
that a confidence predicts the F1 an evaluation will count.

For each window count (and way of choosing the windows, span-length prior, `--length-penalties`, and span decoding,
`--decodings`; see qa.reading.span_scoring) the reader answers every tuning question at threshold 0 and a calibration is fitted on every
candidate it returns (up to four per question: raw confidence, and whether the span is of the kind the question asks
for, and, unless `--no-support`, whether its passage names the question's names and numbers, qa.reading.support,
and, unless `--no-second-look`, how sure the reader is of it when it reads its sentence alone, HFReader.second_look;
qa.reading.calibration), then rescaled on the answers it ranks first; the count (and way of choosing the windows,
qa.reading.hf.WINDOW_CHOICES) whose re-ranked first answers have the best balanced F1 (the mean of the two groups' mean
F1 over their answerable questions, so that 400 encyclopedia questions do not drown a hundred newspaper ones) wins among
those whose reading p95 on the gold tuning split fits the latency budget (`--read-budget-ms`), provided it beats the
first setting listed (the reference, say the shipped one) by `--min-gain`, a margin a question or two cannot cross;
then the calibration is chosen (choose_calibration): of the card's current one, the one just fitted and any
`--contender`, the one whose re-ranked first answers have the best balanced F1 on the chosen setting's candidates, the
card's own on a tie, so that a refit, fitted by likelihood, replaces the card only where it re-ranks better; a table
of each newspaper tuning document's re-ranked F1 under a calibration fitted without it (leave_one_out) shows whether a
fit carries over to a document it has not seen; then the abstention threshold is chosen on calibrated confidences
(the first reading's answers re-ranked under the chosen calibration, rescored; only the SQuAD near misses are read
again; choose_threshold): the best weighted accuracy,
answerable tuning questions (both groups) counting by their F1 and unanswerable ones by abstention, weighted by the
newspaper group's share of unanswerable questions; the middle one of those within TIE_TOLERANCE of the best.
Abstention is the mean of two groups' rates, each weighed alike: the unanswerable questions written for the newspaper
tuning documents, and the near misses of the SQuAD questions (qa.reading.near_miss: the same question about a
neighbouring thing), five times as many and made by the generator training also draws on, so that pooled they would
decide the threshold alone.
`--write` records windows, span-length prior and calibration in the delta's card and prints the threshold to set as the default.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from qa.config import SEEDS, resolve_data_dir
from qa.datasets import EvalExample
from qa.evaluation import GOLD_SET, EvalRecord, answer_kept, context_passages, load_eval_set, summarize, threshold_sweep
from qa.folding import TextNormalizer
from qa.ingest.pipeline import ingest_paths
from qa.metrics import f1_score, score_answer
from qa.reading.calibration import NEUTRAL_LOOK, Calibration, fit_answer_confidence, fit_calibration
from qa.reading.hf import WINDOW_CHOICES, HFReader, Look
from qa.reading.near_miss import near_miss_questions
from qa.reading.neural.model import DELTA_PATH, READING_FLAGS, NeuralReader, read_card
from qa.reading.question import analyze
from qa.reading.span_scoring import DECODINGS
from qa.reading.spans import has_expected_kind, tagged_words
from qa.reading.support import lacks_named_word, named_words
from qa.records import Passage
from qa.retrieval.encoders import load_encoder
from qa.system import EncoderFactory, QASystem, Settings

THRESHOLDS = tuple(round(0.02 * step, 2) for step in range(50))
# The weighted accuracy is flat near its best, so the best threshold alone moved with every tuning round. Thresholds
# within this much of the best count as equally good: chosen out of fold over eight folds of the tuning questions, this
# tie-break kept more weighted accuracy (0.681 against 0.678) and drifted less (sd 0.007 against 0.016) than exact ties.
TIE_TOLERANCE = 0.002
TUNING_DIR = GOLD_SET.parent / "tuning"
# Newspaper-like tuning documents written for tuning (qa/gold/tuning/README.md): (questions, corpus).
TUNING_NAMES = (
    "page",
    "notice",
    "county",
    "gazette",
    "earnings",
    "harbourcity",
    "market",
    "eia",
    "transit",
    "sports",
    "board",
    "farmwork",
    "festival",
    "statbull",
    "admission",
    "district",
    "tender",
    "health",
    "quarterly",
    "economy",
    "tariff",
    "front",
    "workrep",
    "results",
    "traffic",
    "hospital",
    "townpage",
    "bondnote",
    "heating",
    "statsbull",
    "envbull",
    "tourpage",
    "procure",
    "cfront",
    "halfyear",
    "voucher",
    "edusum",
    "portops",
    "mcfront",
    "rulenote",
    "coopbank",
    "fundrep",
    "dpage",
    "jobrep",
    "museum",
    "waterco",
    "tpage",
    "sharenote",
    "clinicnote",
    "npage",
    "courtrep",
    "gridrep",
    "floodsum",
    "spage",
    "insurrep",
    "railnote",
    "agrirep",
    "hpage",
    "taxnote",
    "unirep",
    "mallnote",
    "cpage",
    "hfund",
    "awardlist",
    "librep",
    "townp",
    "pharmnote",
    "landsale",
    "gradrep",
    "dpaper",
    "bankrep",
    "stormnote",
    "esgrep",
    "cityp",
    "fundnote",
    "waternote",
    "agrinote",
    "townnews",
    "parknote",
    "schoolrep",
    "heritrep",
    "countyp",
    "expnote",
    "pensionrep",
    "roadrep",
    "culturep",
    "recallnote",
    "airportrep",
    "charityrep",
    "fishp",
    "examnote",
    "minerep",
    "riverrep",
    "metrop",
    "bidnote",
    "telerep",
    "forestrep",
    "ruralp",
    "gasnote",
    "portrep",
    "marathon",
    "citypage",
    "detournote",
    "hotelrep",
    "wagenote",
    "streetp",
    "coopnote",
    "reservoir",
    "ipo",
    "villagep",
    "metronote",
    "auditrep",
    "scholarnote",
    "eveningp",
    "recruitnote",
    "holidaystat",
    "demolnote",
    "techpage",
    "bizpage",
    "flightnote",
    "farenote",
    "medinsnote",
    "autosales",
    "grainrep",
    "sportsrep",
    "healthpage",
    "lawpage",
    "ferrynote",
    "energyrep",
    "loannote",
    "fairrep",
    "enrolnote",
    "climaterep",
    "youthpage",
    "marketpage",
    "waternotice",
    "subsidynote",
    "vaccnote",
    "safetyrep",
    "wetlandrep",
    "dividendnote",
    "envpage",
    "nightpage",
    "schoolbus",
    "bridgerep",
    "flowerfest",
    "mergernote",
    "hospnote",
    "policestat",
    "sportpage",
    "farmpage",
    "parkingnote",
    "elderrep",
    "contestnote",
    "bankq3",
    "cropinsure",
    "metrorep",
    "lakepage",
    "housingnote",
    "tourismrep",
    "chemcorp",
    "wastenote",
    "campuspage",
    "outagenote",
    "logisrep",
    "firenote",
    "nightschool",
    "dairyrep",
    "sciencepage",
    "busrep",
    "tollnote",
    "hotelgroup",
    "villagenote",
    "dentalchain",
    "snownote",
    "teapage",
    "shipyardrep",
    "stadiumnote",
    "childcare",
    "cinemarep",
    "bikenote",
    "scenicnote",
    "seedco",
    "nightmarket",
    "coastpage",
    "patentrep",
    "steelrep",
    "elecprice",
    "cyclerace",
)
TUNING_SETS = tuple((TUNING_DIR / f"{name}_gold.jsonl", TUNING_DIR / f"{name}.txt") for name in TUNING_NAMES)
# The answer latency budget (p95 250 ms for a whole question on 2 idle cores) less what retrieval takes.
READ_BUDGET_MS = 200.0
SQUAD_SET = "squad tune"


@dataclass(frozen=True)
class TunedCandidate:
    """One candidate a reader gave a tuning question: its question, raw confidence, whether it is of the asked kind,
    how right it is (its F1 against every reference answer, or 0 for any answer to an unanswerable question), whether
    its passage lacks a name or number of the question, its F1 against the first reference answer alone, its text, and
    its second-look confidence (NEUTRAL_LOOK when it had none)."""

    question: int
    raw: float
    off_kind: bool
    correctness: float
    unsupported: bool = False
    first_correctness: float = 0.0
    text: str = ""
    second_look: float = NEUTRAL_LOOK


def newspaper_sets(tuning_sets: Sequence[tuple[Path, Path]] = TUNING_SETS) -> dict[str, tuple[tuple[EvalExample, ...], list[Passage]]]:
    """Return the newspaper-like tuning sets by name, each its questions and the passages of its own documents: the
    gold set's `tune` split over seeds/, then each (questions, corpus) pair given."""
    sets = {"gold tune": (load_eval_set(GOLD_SET, "tune").examples, list(ingest_paths([SEEDS]).passages))}
    for questions, corpus in tuning_sets:
        sets[f"{questions.stem} ({corpus.name})"] = (load_eval_set(questions).examples, list(ingest_paths([corpus]).passages))
    return sets


def set_systems(
    corpora: Mapping[str, list[Passage]], data_dir: Path, k: int, make_encoder: EncoderFactory = load_encoder
) -> dict[str, QASystem]:
    """Return, by name, a system answering at threshold 0 from an in-memory index of each corpus's passages, all with
    one encoder (default: the default model): a system of its own per set would load the encoder once per set (26 sets
    outgrew 24 GB)."""
    base = QASystem(Settings(data_dir, k=k, threshold=0.0), make_encoder=make_encoder)
    return {name: base.over_passages(passages) for name, passages in corpora.items()}


def tuned_candidates(records: list[EvalRecord], passages: Mapping[str, str], looker: HFReader | None = None) -> list[TunedCandidate]:
    """Return every candidate of the records (the answer, then its alternatives), numbered by question, each with its
    second look by `looker` when one is given; `passages` holds the text of every passage they read, by id."""
    normalize = TextNormalizer()
    candidates = []
    for number, record in enumerate(records):
        if not record.answer.text:
            continue
        asked = analyze(record.example.question, normalize).answer_type
        named = named_words(normalize(record.example.question))
        first = (record.answer.text, record.answer.score, record.answer.citations[0])
        spans = [first, *((c.text, c.score, c.citation) for c in record.answer.alternatives)]
        looks = [NEUTRAL_LOOK] * len(spans)
        if looker is not None:
            seen = [Look.of(passages[c.passage_id], c.start, c.end)[1] for _, _, c in spans]
            read_texts = [passages[passage_id] for passage_id in record.answer.retrieved]
            looks = looker.second_look(looker.question_as_read(record.example.question, read_texts), seen)
        for (text, raw, citation), look in zip(spans, looks, strict=True):
            answers = record.example.answers
            correctness = f1_score(text, answers) if answers else 0.0
            first_correctness = f1_score(text, answers[:1]) if answers else 0.0
            lacking = bool(named) and lacks_named_word(named, normalize(passages[citation.passage_id]))
            off_kind = not has_expected_kind(asked, text)
            candidates.append(TunedCandidate(number, raw, off_kind, correctness, lacking, first_correctness, text, look))
    return candidates


def first_answers(candidates: Sequence[TunedCandidate], calibration: Calibration) -> dict[int, TunedCandidate]:
    """Return, by question, the candidate the calibration ranks first (the earliest of equals)."""
    first: dict[int, tuple[float, TunedCandidate]] = {}
    for candidate in candidates:
        score = calibration(candidate.raw, candidate.off_kind, candidate.unsupported, candidate.second_look)
        if candidate.question not in first or score > first[candidate.question][0]:
            first[candidate.question] = (score, candidate)
    return {question: candidate for question, (_, candidate) in first.items()}


def rescored(records: Sequence[EvalRecord], candidates: Sequence[TunedCandidate], calibration: Calibration) -> list[EvalRecord]:
    """Return the records (read at threshold 0 with no calibration; `candidates` are theirs, tuned_candidates) as the
    reader would have answered them with `calibration`: each answer the candidate it ranks first, scored by it, so a
    threshold can be replayed without reading the questions again. A record without an answer stays as it is."""
    first = first_answers(candidates, calibration)
    answers = []
    for number, record in enumerate(records):
        if number not in first:
            answers.append(record)
            continue
        chosen = first[number]
        score = calibration(chosen.raw, chosen.off_kind, chosen.unsupported, chosen.second_look)
        answer = replace(record.answer, text=chosen.text, score=score)
        answers.append(replace(record, answer=answer, score=score_answer(chosen.text, record.example.answers)))
    return answers


def reranked_f1(
    candidates: Sequence[TunedCandidate], calibration: Calibration, answerable: set[int], against_first: frozenset[int] = frozenset()
) -> float:
    """Return the mean F1 over the answerable questions of the candidate each ranks first under the calibration, scored
    against the first reference answer alone for the questions in `against_first` and against every one for others."""
    first = first_answers(candidates, calibration)

    def f1(question: int) -> float:
        if question not in first:
            return 0.0
        return first[question].first_correctness if question in against_first else first[question].correctness

    return statistics.fmean(f1(q) for q in answerable) if answerable else 0.0


def balanced_f1(
    candidates: Sequence[TunedCandidate], calibration: Calibration, groups: Sequence[set[int]], against_first: frozenset[int] = frozenset()
) -> float:
    """Return the mean over the groups (of answerable question numbers) of each group's re-ranked mean F1 (reranked_f1,
    with `against_first`); groups without a question take no part."""
    means = [reranked_f1(candidates, calibration, group, against_first) for group in groups if group]
    return statistics.fmean(means) if means else 0.0


def fit_card_calibration(candidates: Sequence[TunedCandidate]) -> Calibration:
    """Return the calibration fitted on the candidates in two steps: on every candidate, which ranks them, then
    rescaled on the answers it ranks first (qa.reading.calibration); candidates without a second look (all
    NEUTRAL_LOOK) get it no weight. Raises ValueError as the fits do."""
    ranking = fit_calibration(
        [c.raw for c in candidates],
        [c.correctness for c in candidates],
        [c.off_kind for c in candidates],
        [c.unsupported for c in candidates],
        [c.second_look for c in candidates],
    )
    answers = list(first_answers(candidates, ranking).values())
    return fit_answer_confidence(
        ranking,
        [a.raw for a in answers],
        [a.off_kind for a in answers],
        [a.correctness for a in answers],
        [a.unsupported for a in answers],
        [a.second_look for a in answers],
    )


def choose_calibration(
    contenders: Sequence[tuple[str, Calibration]],
    candidates: Sequence[TunedCandidate],
    groups: Sequence[set[int]],
    against_first: frozenset[int] = frozenset(),
) -> tuple[int, list[float]]:
    """Return the index of the named calibration whose re-ranked first answers have the best balanced F1 (balanced_f1)
    on the candidates, the earliest listed of equals (list the card's current one first, so that a refit replaces it
    only by doing better), and every contender's balanced F1. Raises ValueError when there is no contender."""
    if not contenders:
        raise ValueError("choosing a calibration needs at least one contender")
    scores = [balanced_f1(candidates, calibration, groups, against_first) for _, calibration in contenders]
    best = max(range(len(scores)), key=lambda index: (scores[index], -index))
    return best, scores


@dataclass(frozen=True)
class LeftOut:
    """Re-ranked F1 on one tuning document's answerable questions: of a calibration fitted without the document, of
    the card's current calibration (None without one), and of the reader's own order."""

    document: str
    questions: int
    fitted_without: float
    current: float | None
    raw_order: float


def leave_one_out(
    candidates: Sequence[TunedCandidate],
    documents: Mapping[str, range],
    answerable: set[int],
    current: Calibration | None,
    against_first: frozenset[int] = frozenset(),
) -> list[LeftOut]:
    """Return, for each document (by name, the numbers of its questions), how its answerable questions' answers re-rank
    under a calibration fitted on the candidates of every other question (fit_card_calibration), under `current`, and
    under the reader's own order: whether a fitted calibration carries over to a document it has not seen."""
    rows = []
    for name, questions in documents.items():
        asked = answerable.intersection(questions)
        fitted = fit_card_calibration([c for c in candidates if c.question not in questions])
        rows.append(
            LeftOut(
                name,
                len(asked),
                reranked_f1(candidates, fitted, asked, against_first),
                reranked_f1(candidates, current, asked, against_first) if current else None,
                reranked_f1(candidates, Calibration(), asked, against_first),
            )
        )
    return rows


@dataclass(frozen=True)
class ThresholdChoice:
    """What a threshold gives on the tuning questions: mean F1 over the answerable ones (0 when abstained), the share
    of unanswerable ones abstained on, and their mix weighted by the share of unanswerable questions expected."""

    threshold: float
    answerable_f1: float
    abstained: float
    weighted: float


def abstained_count(unanswerable: Sequence[EvalRecord], threshold: float) -> int:
    """Return how many of the unanswerable questions' records give no answer at the threshold."""
    return sum(1 for r in unanswerable if not answer_kept(r, threshold))


def choose_threshold(
    answerable: list[EvalRecord],
    unanswerable: Sequence[Sequence[EvalRecord]],
    unanswerable_share: float,
    thresholds: tuple[float, ...] = THRESHOLDS,
    tolerance: float = TIE_TOLERANCE,
) -> tuple[ThresholdChoice, list[ThresholdChoice]]:
    """Return the threshold with the best weighted accuracy, (1 - share) * answerable F1 + share * abstention, where
    abstention is the mean of the unanswerable groups' rates (each group weighs alike) (the middle one of those within
    `tolerance` of the best: the choice least fitted to these questions), and the outcome of every threshold. Raises
    ValueError when there are no answerable questions or a group of unanswerable ones is missing or empty."""
    if not answerable or not unanswerable or not all(unanswerable):
        raise ValueError("choosing a threshold needs both answerable and unanswerable tuning questions")
    sweeps = [threshold_sweep(group, thresholds) for group in unanswerable]
    outcomes = []
    for index, answered in enumerate(threshold_sweep(answerable, thresholds)):
        abstained = statistics.fmean(sweep[index].no_answer_accuracy or 0.0 for sweep in sweeps)
        weighted = (1 - unanswerable_share) * answered.f1 + unanswerable_share * abstained
        outcomes.append(ThresholdChoice(answered.threshold, answered.f1, abstained, weighted))
    top = max(outcome.weighted for outcome in outcomes)
    plateau = [outcome for outcome in outcomes if outcome.weighted >= top - tolerance - 1e-9]
    return plateau[len(plateau) // 2], outcomes


@dataclass(frozen=True)
class TuningRun:
    """What one setting gave: every tuning question's record at threshold 0 with no calibration (newspaper sets, then
    the SQuAD split), their candidates (tuned_candidates), the groups of answerable question numbers the choice
    weighs alike, the questions scored against their first reference answer, each set's question numbers, the
    calibration fitted on the candidates and its balanced re-ranked F1."""

    records: tuple[EvalRecord, ...]
    candidates: tuple[TunedCandidate, ...]
    groups: tuple[set[int], ...]
    against_first: frozenset[int]
    asked_in: Mapping[str, range]
    calibration: Calibration
    balanced: float


@dataclass(frozen=True)
class Setting:
    """A way of reading tried: how many windows, how they are chosen, the span-length prior and the decoding."""

    windows: int
    choice: str
    length_penalty: float = 0.0
    decoding: str = "argmax"

    def __str__(self) -> str:
        return f"{self.windows} {self.choice} length {self.length_penalty:g} {self.decoding}"


def choose_setting(
    settings: Sequence[Setting], balanced: Mapping[Setting, float], affordable: Sequence[Setting], min_gain: float
) -> Setting:
    """Return the affordable setting with the best balanced F1 (of equals, the fewest windows, then the earlier listed),
    or the first setting listed (the reference) when the best does not beat it by `min_gain`; the cheapest setting
    when none is affordable."""
    if not affordable:
        return min(settings, key=lambda s: (s.windows, settings.index(s)))
    best = max(affordable, key=lambda s: (balanced[s], -s.windows, -settings.index(s)))
    reference = settings[0]
    if best != reference and reference in affordable and balanced[best] < balanced[reference] + min_gain:
        return reference
    return best


def near_miss_examples(examples: Sequence[EvalExample], contexts: Mapping[str, str]) -> list[EvalExample]:
    """Return the near-miss questions (unanswerable, kind `unanswerable`) of the examples that have a context."""
    items = [(e.id, e.question, context) for e in examples if (context := contexts.get(e.context_id or ""))]
    swapped = near_miss_questions(items, tagged_words)
    return [
        replace(e, id=f"{e.id}-near-miss", question=swapped[e.id], answers=(), kind="unanswerable") for e in examples if e.id in swapped
    ]


def _reader(data_dir: Path, delta: Path, setting: Setting, calibration: Calibration) -> NeuralReader:
    """Return the neural reader of the delta reading as the setting says, with the calibration given."""
    reader = NeuralReader(
        data_dir,
        delta,
        max_windows=setting.windows,
        window_choice=setting.choice,
        length_penalty=setting.length_penalty,
        decoding=setting.decoding,
    )
    reader.calibration = calibration
    return reader


def calibration_argument(text: str) -> Calibration:
    """Return the calibration written as SLOPE,INTERCEPT,OFF_KIND,UNSUPPORTED[,SECOND_LOOK]; raises ArgumentTypeError
    otherwise."""
    try:
        weights = [float(part) for part in text.split(",")]
    except ValueError:
        weights = []
    if len(weights) not in (4, 5):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not four or five numbers SLOPE,INTERCEPT,OFF_KIND,UNSUPPORTED[,SECOND_LOOK], e.g. 0.24,-0.1,-0.6,-0.3"
        )
    return Calibration(*weights)


def main(argv: list[str] | None = None) -> int:
    """Run the tuning, print a table of every setting tried and the choices; return 0."""
    parser = argparse.ArgumentParser(prog="python -m qa.bench.tune_reader", description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path, required=True, help="SQuAD-format tuning split held out of training")
    parser.add_argument("--squad-limit", type=int, default=400, help="read only its first N questions (default 400)")
    parser.add_argument("--windows", default="1,2,3", help="window counts to try (default 1,2,3)")
    parser.add_argument("--delta", type=Path, default=DELTA_PATH, help="reader weights (default: the shipped ones)")
    parser.add_argument("--data-dir", type=Path, help="data directory for models and caches")
    parser.add_argument("-k", type=int, default=5, help="passages retrieved per question (default 5)")
    parser.add_argument(
        "--read-budget-ms",
        type=float,
        default=READ_BUDGET_MS,
        help=f"largest reading p95 on the gold tuning split a window count may take (default {READ_BUDGET_MS:.0f})",
    )
    parser.add_argument(
        "--choices", default=",".join(WINDOW_CHOICES), help=f"ways of choosing the windows to try (default {','.join(WINDOW_CHOICES)})"
    )
    parser.add_argument(
        "--no-support", action="store_true", help="fit no weight on whether a candidate's passage names the question's names and numbers"
    )
    parser.add_argument(
        "--no-second-look",
        action="store_true",
        help="fit no weight on how sure the reader is of a candidate when it reads the candidate's sentence alone",
    )
    parser.add_argument(
        "--tuning-set",
        nargs=2,
        action="append",
        type=Path,
        metavar=("QUESTIONS", "CORPUS"),
        help="a newspaper-like tuning question set (JSONL) and the documents it asks about; repeatable "
        "(default: the documents of qa/gold/tuning)",
    )
    parser.add_argument(
        "--length-penalties",
        default="0",
        help="span-length priors to try, per token after a span's first (default 0; qa.reading.span_scoring)",
    )
    parser.add_argument(
        "--decodings",
        default="argmax",
        help=f"span decodings to try (default argmax; of {', '.join(DECODINGS)}; qa.reading.span_scoring)",
    )
    parser.add_argument(
        "--min-gain",
        type=float,
        default=0.0,
        help="balanced re-ranked F1 by which a setting must beat the first one listed to replace it (default 0)",
    )
    parser.add_argument(
        "--newspaper-answers",
        choices=("first", "all"),
        default="first",
        help="for choosing a setting, score newspaper tuning answers against the first reference answer only (default) or "
        "against every variant (calibration and threshold always count every variant)",
    )
    parser.add_argument(
        "--contender",
        action="append",
        type=calibration_argument,
        default=[],
        metavar="SLOPE,INTERCEPT,OFF_KIND,UNSUPPORTED[,SECOND_LOOK]",
        help="a calibration to weigh beside the card's current one and the refit; repeatable",
    )
    parser.add_argument(
        "--write", action="store_true", help="record the chosen windows, span-length prior and calibration in the delta's card"
    )
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)

    squad = load_eval_set(args.squad)
    squad_examples = squad.examples[: args.squad_limit]
    squad_passages = context_passages(squad.contexts or {})
    newspaper = newspaper_sets(args.tuning_set or TUNING_SETS)
    every_passage = [*squad_passages, *(passage for _, passages in newspaper.values() for passage in passages)]
    texts = {passage.id: passage.text for passage in every_passage}
    systems = set_systems({**{name: passages for name, (_, passages) in newspaper.items()}, SQUAD_SET: squad_passages}, data_dir, args.k)
    sets = {name: (examples, systems[name]) for name, (examples, _) in newspaper.items()}
    sets[SQUAD_SET] = (squad_examples, systems[SQUAD_SET])
    runs: dict[Setting, TuningRun] = {}
    current = read_card(args.delta).get("reading", {}).get("calibration")
    incumbent = Calibration(**current) if current else None
    read_p95: dict[Setting, float] = {}
    print("| setting | set | n | EM | F1 (answerable, threshold 0) | re-ranked F1 (for the choice) | read p50 ms | read p95 ms |")
    print("|---|---|---|---|---|---|---|---|")
    settings = [
        Setting(int(w), choice, float(penalty), decoding)
        for decoding in args.decodings.split(",")
        for penalty in args.length_penalties.split(",")
        for choice in args.choices.split(",")
        for w in args.windows.split(",")
    ]
    for setting in settings:
        reader = _reader(data_dir, args.delta, setting, Calibration())
        records: list[EvalRecord] = []
        numbers: dict[str, set[int]] = {}
        asked_in: dict[str, range] = {}
        summaries = {}
        for name, (examples, corpus) in sets.items():
            system = corpus.using_reader(reader)
            system.evaluate(examples[:2])  # warm-up
            outcome = system.evaluate(examples)
            numbers[name] = {len(records) + i for i, record in enumerate(outcome) if record.example.answers}
            asked_in[name] = range(len(records), len(records) + len(outcome))
            records.extend(outcome)
            summaries[name] = summarize(outcome, retrieval=False)
            if name == "gold tune":
                read_p95[setting] = float(summaries[name]["read_p95_ms"] or 0.0)
        candidates = tuned_candidates(records, texts, None if args.no_second_look else reader)
        if args.no_support:
            candidates = [replace(candidate, unsupported=False) for candidate in candidates]
        calibration = fit_card_calibration(candidates)
        groups = [set().union(*(numbers[name] for name in newspaper)), numbers[SQUAD_SET]]
        against_first = frozenset(groups[0]) if args.newspaper_answers == "first" else frozenset()
        balanced = balanced_f1(candidates, calibration, groups, against_first)
        runs[setting] = TuningRun(tuple(records), tuple(candidates), tuple(groups), against_first, asked_in, calibration, balanced)
        for name, summary in summaries.items():
            chosen_f1 = reranked_f1(candidates, calibration, numbers[name], against_first)
            print(
                f"| {setting} | {name} | {summary['n']} | {summary['em']:.3f} | {summary['f1']:.3f} | "
                f"{chosen_f1:.3f} | {summary['read_p50_ms']:.0f} | {summary['read_p95_ms']:.0f} |"
            )
        print(
            f"| {setting} | calibrated: slope {calibration.slope:.4f}, intercept {calibration.intercept:.4f}, "
            f"off-kind {calibration.off_kind:.4f}, unsupported {calibration.unsupported:.4f}, second look {calibration.second_look:.4f} "
            f"| {len(candidates)} candidates | | | "
            f"newspaper {reranked_f1(candidates, calibration, groups[0], against_first):.3f}, balanced {balanced:.3f} | | |"
        )

    affordable = [s for s in settings if read_p95[s] <= args.read_budget_ms]
    chosen = choose_setting(settings, {s: run.balanced for s, run in runs.items()}, affordable, args.min_gain)
    run = runs[chosen]
    contenders = [
        *([("card", incumbent)] if incumbent else []),
        ("refit", run.calibration),
        *((f"contender {i}", c) for i, c in enumerate(args.contender, 1)),
    ]
    kept, weighed = choose_calibration(contenders, run.candidates, run.groups, run.against_first)
    calibration = contenders[kept][1]
    print(f"\ncalibrations weighed on {chosen}'s candidates (the card's current one wins ties):")
    print("| calibration | slope | intercept | off-kind | unsupported | second look | balanced re-ranked F1 |")
    print("|---|---|---|---|---|---|---|")
    for (name, c), score in zip(contenders, weighed, strict=True):
        weights = f"{c.slope:.4f} | {c.intercept:.4f} | {c.off_kind:.4f} | {c.unsupported:.4f} | {c.second_look:.4f}"
        print(f"| {name} | {weights} | {score:.3f} |")
    answerable = set().union(*run.groups)
    print("\nleave one document out (for information; re-ranked F1 on the document's answerable questions):")
    print("| document | answerable | fitted without it | card's current | reader's own order |")
    print("|---|---|---|---|---|")
    documents = {name: run.asked_in[name] for name in newspaper}
    for left in leave_one_out(run.candidates, documents, answerable, incumbent, run.against_first):
        shown = f"{left.current:.3f}" if left.current is not None else "–"
        print(f"| {left.document} | {left.questions} | {left.fitted_without:.3f} | {shown} | {left.raw_order:.3f} |")
    reader = _reader(data_dir, args.delta, chosen, calibration)
    calibrated = rescored(run.records, run.candidates, calibration)
    newspaper_records = [calibrated[number] for name in newspaper for number in run.asked_in[name]]
    squad_corpus = sets[SQUAD_SET][1].using_reader(reader)
    near_misses = near_miss_examples(squad_examples, squad.contexts or {})
    answered = [r for r in newspaper_records if r.example.answers] + [calibrated[number] for number in run.asked_in[SQUAD_SET]]
    written_unanswerable = [r for r in newspaper_records if not r.example.answers]
    near_miss_records = squad_corpus.evaluate(near_misses)
    share = len(written_unanswerable) / len(newspaper_records)
    best, sweep = choose_threshold(answered, (written_unanswerable, near_miss_records), share)
    print(
        f"\nthreshold on {len(answered)} answerable and {len(written_unanswerable)} written unanswerable tuning questions "
        f"and {len(near_misses)} near misses (the two groups' abstention weighed alike), unanswerable share {share:.3f} "
        "(newspaper tuning sets):"
    )
    print("| threshold | answerable F1 | unanswerable abstained (mean of the groups) | weighted |")
    print("|---|---|---|---|")
    for row in sweep:
        print(f"| {row.threshold:.2f} | {row.answerable_f1:.3f} | {row.abstained:.3f} | {row.weighted:.3f} |")
    newspaper_outcome = next(o for o in threshold_sweep(newspaper_records, THRESHOLDS) if o.threshold == best.threshold)
    print(
        f"abstained at {best.threshold}: written unanswerable {abstained_count(written_unanswerable, best.threshold)}"
        f"/{len(written_unanswerable)}, near misses {abstained_count(near_miss_records, best.threshold)}/{len(near_misses)}"
    )
    print(
        f"\nsetting: {chosen} (windows, way of choosing them, span-length prior, decoding; balanced re-ranked F1 {run.balanced:.3f}; "
        f"reference {settings[0]} {runs[settings[0]].balanced:.3f}, min gain {args.min_gain}; "
        f"within the reading budget of {args.read_budget_ms:.0f} ms: {', '.join(map(str, affordable)) or 'none'})"
    )
    print(
        f"calibration ({contenders[kept][0]}): slope {calibration.slope:.4f}, intercept {calibration.intercept:.4f}, "
        f"off-kind {calibration.off_kind:.4f}, "
        f"unsupported {calibration.unsupported:.4f}, second look {calibration.second_look:.4f}"
    )
    print(
        f"threshold: {best.threshold} (weighted {best.weighted:.3f}, answerable F1 {best.answerable_f1:.3f}, "
        f"unanswerable abstained {best.abstained:.3f}; newspaper tuning overall {newspaper_outcome.overall:.3f}, "
        f"EM {newspaper_outcome.em:.3f})"
    )
    if args.write:
        card_file = args.delta.with_suffix(".json")
        card = json.loads(card_file.read_text(encoding="utf-8"))
        card["reading"] = {
            **{flag: True for flag in READING_FLAGS if card.get("reading", {}).get(flag)},
            "max_windows": chosen.windows,
            "window_choice": chosen.choice,
            "length_penalty": chosen.length_penalty,
            "decoding": chosen.decoding,
            "calibration": {
                "slope": round(calibration.slope, 4),
                "intercept": round(calibration.intercept, 4),
                "off_kind": round(calibration.off_kind, 4),
                "unsupported": round(calibration.unsupported, 4),
                "second_look": round(calibration.second_look, 4),
            },
            "threshold": best.threshold,
            "threshold_abstention": "mean of the written unanswerable questions' and the near misses' rates",
            "calibration_kept": f"{contenders[kept][0]} (weighed: {', '.join(name for name, _ in contenders)})",
            "chosen_on": f"{' + '.join(newspaper)} + {args.squad.name} (first {len(squad_examples)}) + {len(near_misses)} near misses",
        }
        card_file.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"written to {card_file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
