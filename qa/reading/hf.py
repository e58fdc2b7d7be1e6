"""A reader backed by any Hugging Face extractive question-answering model (SQuAD-style start/end logits)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from qa.answers import Candidate, cite
from qa.crosslingual import EnglishToChinese, glossed_question
from qa.errors import QAError
from qa.folding import TextNormalizer
from qa.reading.base import sentence_spans
from qa.reading.before_after import asks_before, before_value_first, side_asked
from qa.reading.calibration import NEUTRAL_LOOK, Calibration
from qa.reading.edges import list_items, trimmed_edges
from qa.reading.home_place import home_place_question
from qa.reading.question import AnswerType, analyze
from qa.reading.quoted import whole_quote
from qa.reading.range_ends import range_end
from qa.reading.siblings import sibling_named, sibling_title
from qa.reading.span_scoring import DECODINGS, ScoredSpan, WindowLogits, balanced_span, rank_spans
from qa.reading.spans import has_expected_kind
from qa.reading.support import lacks_named_word, named_words
from qa.records import RetrievedPassage

# How `max_windows` windows are chosen among those of the passages retrieved (see HFReader._chosen_windows).
WINDOW_CHOICES = ("overlap", "idf")
# The logit given back for padding positions, which hold no span (their offsets are None) and are never scored.
_PADDING_LOGIT = -1e4
_LOAD_HINT = "pass a local folder with a question-answering model, or a hub name on a machine with network access"


@dataclass(frozen=True)
class Look:
    """A span to look at again: the sentence it sits in, and its [start, end) characters in that sentence."""

    sentence: str
    start: int
    end: int

    @classmethod
    def of(cls, text: str, start: int, end: int, sentences: Sequence[tuple[int, int]] | None = None) -> tuple[int, Look]:
        """Return where the sentence holding text[start] begins and the span [start, end) seen within that sentence
        (the span alone when no sentence holds it); `sentences` are sentence_spans(text), computed when not given."""
        bounds = sentences if sentences is not None else sentence_spans(text)
        first, last = next(((s, e) for s, e in bounds if s <= start < e), (start, end))
        return first, cls(text[first:last], start - first, end - first)


class HFReader:
    """Extracts verbatim answer spans with a Hugging Face model (AutoModelForQuestionAnswering + fast tokenizer).

    `model` is a local folder or a hub name; nothing is loaded until the first `read` (or `load`). Each passage
    is cut into SQuAD-style windows of at most `max_length` tokens (question + context) that overlap by `stride`
    context tokens; the model runs on CPU in batches of `batch_size` windows, on all of them or, with `max_windows`,
    on those that share the most with the question (`window_choice`: distinct tokens, or tokens weighed by their
    rarity among the windows), without the padding columns none of a batch's windows uses.

    Spans and confidence come from `qa.reading.span_scoring.rank_spans` over the logits of every window read: one
    softmax over every distinct span of every window and a "no answer" option made by `null_rule` (`min` for a model
    trained window by window, `shared` for one trained with shared normalization), each span's score lowered by
    `length_penalty` per token after its first, the first span the most probable one or, with `decoding` `expected_f1`,
    the one with the highest expected F1 against the others, a candidate's score being the probability that the answer overlaps its
    span, mapped through `calibration` (fitted on tuning questions, see qa.reading.calibration), which also weighs
    whether the span is of the kind the question asks for, whether its passage names the question's names and
    numbers (qa.reading.support) and, when the calibration weighs it, how sure the model is of the span when it reads
    the span's sentence alone (`second_look`), so candidates are returned in the order of their calibrated confidence;
    they never overlap an earlier one of the same passage. With `tighten`, the answer (the first candidate) becomes the
    span within it that the second read of its sentence ranks at least as sure as every span holding it, if there is
    one (`900张增至2100张` read alone gives `2100张`); its confidence stays. Every candidate's brackets and quotation
    marks are balanced (qa.reading.span_scoring.balanced_span). With `gloss`, an English question is read with the
    Chinese renderings of its words that the passages hold put after them (qa.crosslingual.glossed_question). With
    `home_place`, a question naming the passages' home place reads it as they write it, 我市 or 我县
    (qa.reading.home_place). With `before_after`, an answer holding one change (`210张增至340张`) becomes its side the
    question asks for instead of being tightened, and a question about before (`去年`, `调整之前`) whose answer the
    text does not write as a before value takes the best other candidate of the asked kind that it does write so (`上年的
    61.8%`), with the answer's confidence (qa.reading.before_after). With `whole_quote`, an answer within a “” or 《》
    pair that holds a name becomes the whole pair (`翊江市防汛应急预案` -> `《翊江市防汛应急预案（2023年修订）》`;
    qa.reading.quoted), its confidence kept. With `trim_edges`, a date answer leaves out a time word after it
    (`2023年7月1日起`) and a reason answer a cause word before it (`因消防审批延后`; qa.reading.edges). With
    `list_tails`, a list answer leaves out its summing-up tail (`危化品、燃气、道路交通三个重点领域`, `黄精、三叶青等`;
    qa.reading.edges). With `siblings`, a span whose sentence names a sibling of what the question names instead of it
    (`215路` for a question about `216路`, `第二届` for one about `首届`), or another title than those the question as asked
    names (`总经理` for `…的董事长是谁？`), is no candidate (qa.reading.siblings). With `range_ends`, the answer to a date
    question asking when something starts or ends is that end of a range (`2025年4月1日` of `2025年4月1日至11月30日` for
    `从哪一天开始受理？`; qa.reading.range_ends).
    """

    def __init__(
        self,
        model: str,
        max_length: int = 384,
        stride: int = 128,
        max_answer_tokens: int = 30,
        batch_size: int = 16,
        max_candidates: int = 4,
        top_n: int = 20,
        max_windows: int | None = None,
        window_choice: str = "overlap",
        null_rule: str = "min",
        calibration: Calibration | None = None,
        length_penalty: float = 0.0,
        decoding: str = "argmax",
        tighten: bool = False,
        gloss: bool = False,
        home_place: bool = False,
        before_after: bool = False,
        whole_quote: bool = False,
        trim_edges: bool = False,
        list_tails: bool = False,
        siblings: bool = False,
        range_ends: bool = False,
    ) -> None:
        self.model_name = str(model)
        self.max_length = max_length
        self.stride = stride
        self.max_answer_tokens = max_answer_tokens
        self.batch_size = batch_size
        self.max_candidates = max_candidates
        self.top_n = top_n
        if window_choice not in WINDOW_CHOICES:
            raise QAError(f"unknown window choice {window_choice!r}; use one of {', '.join(WINDOW_CHOICES)}")
        self.max_windows = max_windows
        self.window_choice = window_choice
        self.null_rule = null_rule
        if decoding not in DECODINGS:
            raise QAError(f"unknown decoding {decoding!r}; use one of {', '.join(DECODINGS)}")
        self.length_penalty = length_penalty
        self.decoding = decoding
        self.calibration = calibration or Calibration()
        self.tighten = tighten
        self.gloss = gloss
        self.home_place = home_place
        self.before_after = before_after
        self.whole_quote = whole_quote
        self.trim_edges = trim_edges
        self.list_tails = list_tails
        self.siblings = siblings
        self.range_ends = range_ends
        self._dictionary = EnglishToChinese()
        self._normalize = TextNormalizer()
        self.tokenizer: Any = None
        self.model: Any = None

    def load(self) -> None:
        """Load the tokenizer and model now (`read` does it on first use); raises QAError when they cannot be loaded."""
        if self.model is not None:
            return
        try:
            tokenizer = self._load_tokenizer()
            model = self._load_model()
        except QAError:
            raise
        except Exception as error:  # noqa: BLE001 - any failure to load is reported as one user-facing line
            raise QAError(f"cannot load reader model {self.model_name!r} ({one_line(error)}); {_LOAD_HINT}") from error
        self.tokenizer = tokenizer
        self.model = model

    def _load_tokenizer(self) -> Any:
        """Return the model's fast tokenizer; raises ValueError when it has none (offsets need it)."""
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(self.model_name)
        if not getattr(tokenizer, "is_fast", False):
            raise ValueError("its tokenizer has no fast (Rust) version, which is needed for character offsets")
        return tokenizer

    def _load_model(self) -> Any:
        """Return the torch question-answering model, on CPU in evaluation mode."""
        from transformers import AutoModelForQuestionAnswering

        model = AutoModelForQuestionAnswering.from_pretrained(self.model_name)
        model.to("cpu")
        model.eval()
        return model

    def read(self, question: str, passages: Sequence[RetrievedPassage]) -> list[Candidate]:
        """Return up to `max_candidates` answer spans from the passages, best first, scored as the class describes."""
        readable = [retrieved.passage for retrieved in passages if retrieved.passage.text.strip()]
        if not readable or not question.strip():
            return []
        self.load()
        texts = [passage.text for passage in readable]
        as_asked = self._normalize(question)
        question, stride = self._fit_question(self.question_as_read(question, texts))
        windows = self._window_logits(question, stride, texts, choose=True)
        ranking = rank_spans(
            windows, texts, self.top_n, self.max_answer_tokens, self.max_candidates, self.null_rule, self.length_penalty, self.decoding
        )
        analyzed = analyze(question, self._normalize)
        asked = analyzed.answer_type if self.calibration.off_kind else AnswerType.OTHER
        named = named_words(analyzed.folded) if self.calibration.unsupported else ()
        sentences: dict[int, list[tuple[int, int]]] = {}
        lacking: dict[int, bool] = {}
        firsts, spans = [], []
        for span in ranking.spans:
            text = texts[span.passage]
            if span.passage not in sentences:
                sentences[span.passage] = sentence_spans(text)
                lacking[span.passage] = bool(named) and lacks_named_word(named, self._normalize(text))
            first, look = Look.of(text, span.start, span.end, sentences[span.passage])
            firsts.append(first)
            spans.append(look)
        second_reads = self._second_reads(question, stride, spans) if self.calibration.second_look or self.tighten else {}
        looks = [_held_or_within(second_reads[look.sentence], look) for look in spans] if self.calibration.second_look else []
        about_siblings = (
            {sentence for sentence in {look.sentence for look in spans} if self._about_sibling(analyzed.folded, as_asked, sentence)}
            if self.siblings
            else set()
        )
        scored = []
        for number, span in enumerate(ranking.spans):
            if spans[number].sentence in about_siblings:
                continue
            text = texts[span.passage][span.start : span.end]
            second = looks[number] if looks else NEUTRAL_LOOK
            confidence = self.calibration(span.confidence, not has_expected_kind(asked, text), lacking[span.passage], second)
            scored.append((confidence, number))
        scored.sort(key=lambda pair: -pair[0])
        kind = analyzed.answer_type
        before = self.before_after and asks_before(analyzed.folded)
        candidates: list[Candidate] = []
        for rank, (confidence, number) in enumerate(scored):
            span, first, look = ranking.spans[number], firsts[number], spans[number]
            start, end = span.start, span.end
            side = None
            if rank == 0 and self.before_after:
                side = side_asked(texts[span.passage][start:end], before, kind in (AnswerType.NUMBER, AnswerType.DATE))
            if side is not None:
                start, end = start + side[0], start + side[1]
            elif rank == 0 and self.tighten:
                inner = _tighter(second_reads[look.sentence], look)
                if inner is not None:
                    start, end = first + inner.start, first + inner.end
            passage = readable[span.passage]
            start, end = balanced_span(passage.text, start, end)
            if rank == 0 and self.whole_quote:
                start, end = whole_quote(passage.text, start, end) or (start, end)
            if rank == 0 and self.trim_edges:
                start, end = trimmed_edges(passage.text, start, end, kind) or (start, end)
            if rank == 0 and self.list_tails:
                start, end = list_items(passage.text, start, end, kind) or (start, end)
            if rank == 0 and self.range_ends and kind == AnswerType.DATE:
                start, end = range_end(passage.text, start, end, analyzed.folded) or (start, end)
            candidates.append(Candidate(passage.text[start:end], confidence, cite(passage, start, end, first, first + len(look.sentence))))
        return before_value_first(candidates, {passage.id: passage.text for passage in readable}, kind) if before else candidates

    def _about_sibling(self, question: str, as_asked: str, sentence: str) -> bool:
        """Return whether the sentence names a sibling of what the question (folded, as read) names, or another title
        than those the question as asked (folded) names."""
        folded = self._normalize(sentence)
        return bool(sibling_named(question, folded) or sibling_title(as_asked, folded))

    def question_as_read(self, question: str, texts: Sequence[str]) -> str:
        """Return the question as `read` gives it to the model over passages of these texts: with `home_place`, the
        passages' home place written as they write it (qa.reading.home_place.home_place_question); with `gloss`, an
        English question glossed (qa.crosslingual.glossed_question); else as asked."""
        if self.home_place:
            question = home_place_question(question, texts)
        return glossed_question(question, "\n".join(texts), self._dictionary) if self.gloss else question

    def second_reads(self, question: str, looks: Sequence[Look]) -> dict[str, tuple[ScoredSpan, ...]]:
        """Return, for each sentence of the spans, the spans the model ranks (as `read` ranks a passage's) when it reads
        that sentence alone: one batch of short windows, each sentence read once."""
        if not looks:
            return {}
        self.load()
        return self._second_reads(*self._fit_question(question), looks)

    def _second_reads(self, question: str, stride: int, looks: Sequence[Look]) -> dict[str, tuple[ScoredSpan, ...]]:
        """second_reads of a question already fitted by _fit_question (with its stride)."""
        if not looks:
            return {}
        texts = list(dict.fromkeys(look.sentence for look in looks))
        windows = self._window_logits(question, stride, texts, choose=False)
        ranked = {}
        for number, text in enumerate(texts):
            own = [replace(window, passage=0) for window in windows if window.passage == number]
            ranked[text] = rank_spans(own, [text], self.top_n, self.max_answer_tokens, self.max_candidates, self.null_rule).spans
        return ranked

    def second_look(self, question: str, looks: Sequence[Look]) -> list[float]:
        """Return, for each span, how sure the model is of it when it reads the span's sentence alone: the highest
        confidence of the spans that this second read ranks among those that hold the span or lie within it, 0 when none
        does (second_reads)."""
        ranked = self.second_reads(question, looks)
        return [_held_or_within(ranked[look.sentence], look) for look in looks]

    def _window_logits(self, question: str, stride: int, texts: Sequence[str], choose: bool) -> list[WindowLogits]:
        """Return the model's logits on the windows cut from the texts (the question and stride from _fit_question): on
        all of them, or, with `choose`, on those _chosen_windows picks."""
        import torch

        question_first = self.tokenizer.padding_side == "right"
        pairs = ([question] * len(texts), list(texts)) if question_first else (list(texts), [question] * len(texts))
        encoding = self.tokenizer(
            *pairs,
            truncation="only_second" if question_first else "only_first",
            max_length=self.max_length,
            stride=stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding="longest",
            return_tensors="pt",
        )
        context_id = 1 if question_first else 0
        owners = encoding["overflow_to_sample_mapping"].tolist()
        offsets = encoding["offset_mapping"].tolist()
        input_ids = encoding["input_ids"]
        inputs = {name: encoding[name] for name in self.tokenizer.model_input_names if name in encoding}
        chosen = self._chosen_windows(encoding, context_id) if choose else list(range(len(input_ids)))
        inputs = {name: tensor[chosen] for name, tensor in inputs.items()}
        starts, ends = [], []
        with torch.inference_mode():
            for first in range(0, len(chosen), self.batch_size):
                batch = {name: tensor[first : first + self.batch_size] for name, tensor in inputs.items()}
                batch_starts, batch_ends = _unpadded_logits(self.logits, batch)
                starts.extend(batch_starts)
                ends.extend(batch_ends)
        cls_id = self.tokenizer.cls_token_id
        windows = []
        for row, window in enumerate(chosen):
            ids = input_ids[window].tolist()
            sequence = encoding.sequence_ids(window)
            spans = tuple(tuple(offsets[window][i]) if part == context_id else None for i, part in enumerate(sequence))
            cls = ids.index(cls_id) if cls_id is not None and cls_id in ids else 0
            windows.append(WindowLogits(owners[window], spans, tuple(starts[row]), tuple(ends[row]), cls))
        return windows

    def logits(self, batch: dict[str, Any]) -> tuple[Any, Any]:
        """Return the start and end logits (tensors, [windows, tokens]) of a batch of windows, run by the torch model."""
        output = self.model(**batch)
        return output.start_logits, output.end_logits

    def _chosen_windows(self, encoding: Any, context_id: int) -> list[int]:
        """Return the windows to run the model on, in order: all of them, or the `max_windows` whose context shares
        the most with the question (ties: the earlier window, so the better-retrieved passage), by `window_choice`:
        `overlap` counts the distinct question tokens a window holds, `idf` weighs each by its BM25 inverse document
        frequency over the windows of the passages retrieved, so that a token most of them hold (a particle, the
        place every passage names) counts for little and a rare one (`市长`) for much."""
        windows = len(encoding["input_ids"])
        if self.max_windows is None or windows <= self.max_windows:
            return list(range(windows))
        special = set(self.tokenizer.all_special_ids)
        # Every window holds the same question: its tokens are read from the first one.
        ids, sequence = encoding["input_ids"][0].tolist(), encoding.sequence_ids(0)
        asked = {token for token, part in zip(ids, sequence, strict=True) if part not in (None, context_id) and token not in special}
        shared = []
        for window in range(windows):
            ids, sequence = encoding["input_ids"][window].tolist(), encoding.sequence_ids(window)
            shared.append(asked & {token for token, part in zip(ids, sequence, strict=True) if part == context_id})
        if self.window_choice == "idf":
            frequency = Counter(token for tokens in shared for token in tokens)
            weight = {token: math.log(1 + (windows - count + 0.5) / (count + 0.5)) for token, count in frequency.items()}
            scores = [sum(weight[token] for token in tokens) for tokens in shared]
        else:
            scores = [float(len(tokens)) for tokens in shared]
        return sorted(sorted(range(windows), key=lambda window: -scores[window])[: self.max_windows])

    def _fit_question(self, question: str) -> tuple[str, int]:
        """Cut an overlong question to half the window, and return it with a stride that fits the rest of the window."""
        limit = max(self.max_length // 2, 1)
        tokens = self.tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)
        spans = tokens["offset_mapping"]
        if len(spans) > limit:
            question = question[: spans[limit - 1][1]]
            spans = spans[:limit]
        room = self.max_length - len(spans) - self.tokenizer.num_special_tokens_to_add(pair=True)
        if room < 1:
            raise QAError(f"reader max_length {self.max_length} leaves no room for the passage; raise it")
        return question, max(0, min(self.stride, room // 2))


def _held_or_within(ranked: Sequence[ScoredSpan], look: Look) -> float:
    """Return the highest confidence of the ranked spans that hold the look's span or lie within it, 0 when none does."""
    return max(
        (
            span.confidence
            for span in ranked
            if look.start <= span.start and span.end <= look.end or span.start <= look.start and look.end <= span.end
        ),
        default=0.0,
    )


def _tighter(ranked: Sequence[ScoredSpan], look: Look) -> ScoredSpan | None:
    """Return the span of the second read that lies strictly within the look's span and is ranked at least as sure as
    every span holding it (the most sure such span), or None: an answer that runs on past what the model, reading its
    sentence alone, takes for the answer (`900张增至2100张` for `2100张`)."""
    holding = max((span.confidence for span in ranked if span.start <= look.start and look.end <= span.end), default=0.0)
    inner = [
        span for span in ranked if look.start <= span.start and span.end <= look.end and (span.start, span.end) != (look.start, look.end)
    ]
    best = max(inner, key=lambda span: span.confidence, default=None)
    return best if best is not None and best.confidence >= holding else None


def _unpadded_logits(
    logits: Callable[[dict[str, Any]], tuple[Any, Any]], batch: dict[str, Any]
) -> tuple[list[list[float]], list[list[float]]]:
    """Return the start and end logits of a batch of windows, run without the padding columns no window of the batch
    uses (the tokenizer pads every window to the longest one of all the passages; the attention mask makes the
    result the same), each row given back at full width with the lowest logit on the padding."""
    mask = batch.get("attention_mask")
    width = next(iter(batch.values())).shape[1]
    used = mask.any(dim=0).nonzero().flatten().tolist() if mask is not None else [0, width - 1]
    first, last = used[0], used[-1] + 1
    starts, ends = logits({name: tensor[:, first:last] for name, tensor in batch.items()})

    def full_width(logits: Any) -> list[list[float]]:
        rows = logits.float().tolist()
        return [[_PADDING_LOGIT] * first + row + [_PADDING_LOGIT] * (width - last) for row in rows]

    return full_width(starts), full_width(ends)


def one_line(error: BaseException) -> str:
    """Return the first non-empty line of an error's message (or its type), cut to a readable length."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    message = lines[0] if lines else type(error).__name__
    return message if len(message) <= 200 else message[:197] + "..."
