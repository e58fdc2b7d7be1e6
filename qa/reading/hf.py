"""A reader backed by any Hugging Face extractive question-answering model (SQuAD-style start/end logits)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from qa.answers import Candidate, cite
from qa.errors import QAError
from qa.reading.base import sentence_spans
from qa.retrieval.retriever import RetrievedPassage

_LOAD_HINT = "pass a local folder with a question-answering model, or a hub name on a machine with network access"


class HFReader:
    """Extracts verbatim answer spans with a Hugging Face model (AutoModelForQuestionAnswering + fast tokenizer).

    `model` is a local folder or a hub name; nothing is loaded until the first `read` (or `load`). Each passage
    is cut into SQuAD-style windows of at most `max_length` tokens (question + context) that overlap by `stride`
    context tokens; the model runs on CPU in batches of `batch_size` windows, on all of them or, with `max_windows`,
    on those that share the most tokens with the question.

    Span selection, per window: the `top_n` best start and the `top_n` best end positions among the context tokens;
    every pair with start <= end spanning at most `max_answer_tokens` tokens is a span, scored
    start_logit + end_logit, and mapped to passage characters through the tokenizer's offset mapping (surrounding
    whitespace is trimmed; empty spans are dropped). A span found in several windows (or several times in one)
    keeps its best score.

    Candidates: spans in order of score, skipping any that overlaps a span already taken from the same passage (a
    span and its variants with a word more or less are one answer, not alternatives).

    Confidence: a softmax over the options for this question, namely every distinct span (passage id, start, end)
    of every window of every passage with its best score, plus one "no answer" option whose score is the smallest
    null score start_logits[cls] + end_logits[cls] over all windows (the SQuAD 2.0 convention: the question is
    unanswerable only as far as its most answerable window says so). A candidate's score is the probability that
    the answer overlaps it: the sum of that softmax over the spans of its passage sharing a character with it, capped
    by the score of the candidate before it so that scores never rise down the list. It lies in [0, 1 - P(no
    answer)]. Counting one span's probability alone would split a confident answer's mass among its variants
    (`浙江省商务厅` 0.46 and `商务厅` 0.43) and make it look unsure.
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
    ) -> None:
        self.model_name = str(model)
        self.max_length = max_length
        self.stride = stride
        self.max_answer_tokens = max_answer_tokens
        self.batch_size = batch_size
        self.max_candidates = max_candidates
        self.top_n = top_n
        self.max_windows = max_windows
        self.tokenizer: Any = None
        self.model: Any = None

    def load(self) -> None:
        """Load the tokenizer and model now (`read` does it on first use); raises QAError when they cannot be loaded."""
        if self.model is not None:
            return
        try:
            from transformers import AutoModelForQuestionAnswering, AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(self.model_name)
            if not getattr(tokenizer, "is_fast", False):
                raise ValueError("its tokenizer has no fast (Rust) version, which is needed for character offsets")
            model = AutoModelForQuestionAnswering.from_pretrained(self.model_name)
        except Exception as error:  # noqa: BLE001 - any failure to load is reported as one user-facing line
            raise QAError(f"cannot load reader model {self.model_name!r} ({_one_line(error)}); {_LOAD_HINT}") from error
        model.to("cpu")
        model.eval()
        self.tokenizer = tokenizer
        self.model = model

    def read(self, question: str, passages: Sequence[RetrievedPassage]) -> list[Candidate]:
        """Return up to `max_candidates` answer spans from the passages, best first, scored as the class describes."""
        passages = [retrieved.passage for retrieved in passages if retrieved.passage.text.strip()]
        if not passages or not question.strip():
            return []
        self.load()
        import torch

        question, stride = self._fit_question(question)
        question_first = self.tokenizer.padding_side == "right"
        texts = [passage.text for passage in passages]
        pairs = ([question] * len(texts), texts) if question_first else (texts, [question] * len(texts))
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
        chosen = self._chosen_windows(encoding, context_id)
        inputs = {name: tensor[chosen] for name, tensor in inputs.items()}
        starts, ends = [], []
        with torch.inference_mode():
            for first in range(0, len(chosen), self.batch_size):
                batch = {name: tensor[first : first + self.batch_size] for name, tensor in inputs.items()}
                output = self.model(**batch)
                starts.extend(output.start_logits.float().tolist())
                ends.extend(output.end_logits.float().tolist())

        best: dict[tuple[str, int, int], tuple[float, int]] = {}
        null_score = math.inf
        cls_id = self.tokenizer.cls_token_id
        for row, window in enumerate(chosen):
            ids = input_ids[window].tolist()
            cls = ids.index(cls_id) if cls_id is not None and cls_id in ids else 0
            start_logits, end_logits = starts[row], ends[row]
            null_score = min(null_score, start_logits[cls] + end_logits[cls])
            owner = owners[window]
            text = texts[owner]
            for score, start, end in self._window_spans(encoding.sequence_ids(window), context_id, offsets[window], start_logits, end_logits, text):
                key = (passages[owner].id, start, end)
                if key not in best or score > best[key][0]:
                    best[key] = (score, owner)
        if not best:
            return []

        top = max(null_score, max(score for score, _ in best.values()))
        total = math.exp(null_score - top) + sum(math.exp(score - top) for score, _ in best.values())
        probability = {key: math.exp(score - top) / total for key, (score, _) in best.items()}
        sentences: dict[int, list[tuple[int, int]]] = {}
        candidates: list[Candidate] = []
        taken: list[tuple[str, int, int]] = []
        confidence = 1.0
        for key, (_, owner) in sorted(best.items(), key=lambda item: -item[1][0]):
            if any(_overlap(key, other) for other in taken):
                continue
            taken.append(key)
            _, start, end = key
            passage = passages[owner]
            if owner not in sentences:
                sentences[owner] = sentence_spans(passage.text)
            evidence = next(((s, e) for s, e in sentences[owner] if s <= start < e), (start, end))
            mass = sum(p for other, p in probability.items() if _overlap(key, other))
            confidence = min(max(mass, 0.0), confidence)
            candidates.append(Candidate(passage.text[start:end], confidence, cite(passage, start, end, *evidence)))
            if len(candidates) == self.max_candidates:
                break
        return candidates

    def _chosen_windows(self, encoding: Any, context_id: int) -> list[int]:
        """Return the windows to run the model on, in order: all of them, or the `max_windows` whose context shares the
        most distinct tokens with the question (ties: the earlier window, so the better-retrieved passage)."""
        windows = len(encoding["input_ids"])
        if self.max_windows is None or windows <= self.max_windows:
            return list(range(windows))
        special = set(self.tokenizer.all_special_ids)
        overlaps = []
        for window in range(windows):
            ids, sequence = encoding["input_ids"][window].tolist(), encoding.sequence_ids(window)
            asked = {token for token, part in zip(ids, sequence) if part is not None and part != context_id and token not in special}
            given = {token for token, part in zip(ids, sequence) if part == context_id}
            overlaps.append(len(asked & given))
        return sorted(sorted(range(windows), key=lambda window: -overlaps[window])[: self.max_windows])

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

    def _window_spans(
        self,
        sequence_ids: list[int | None],
        context_id: int,
        offsets: list[list[int]],
        start_logits: list[float],
        end_logits: list[float],
        text: str,
    ) -> list[tuple[float, int, int]]:
        """Return (score, start, end) of the candidate spans of one window, in passage characters."""
        context = [i for i, sequence in enumerate(sequence_ids) if sequence == context_id and offsets[i][1] > offsets[i][0]]
        if not context:
            return []
        best_starts = sorted(context, key=lambda i: -start_logits[i])[: self.top_n]
        best_ends = sorted(context, key=lambda i: -end_logits[i])[: self.top_n]
        spans = []
        for first in best_starts:
            for last in best_ends:
                if last < first or last - first + 1 > self.max_answer_tokens:
                    continue
                start, end = strip_span(text, offsets[first][0], offsets[last][1])
                if end > start:
                    spans.append((start_logits[first] + end_logits[last], start, end))
        return spans


def _overlap(first: tuple[str, int, int], second: tuple[str, int, int]) -> bool:
    """Return whether two (passage id, start, end) spans are in the same passage and share a character."""
    return first[0] == second[0] and first[1] < second[2] and second[1] < first[2]


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Return [start, end) narrowed to exclude whitespace at either end (empty when it is all whitespace)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _one_line(error: BaseException) -> str:
    """Return the first non-empty line of an error's message (or its type), cut to a readable length."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    message = lines[0] if lines else type(error).__name__
    return message if len(message) <= 200 else message[:197] + "..."
