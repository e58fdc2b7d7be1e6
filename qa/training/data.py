"""Training questions from SQuAD-format files, answers re-located by text, optionally folded to simplified script."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError


@dataclass(frozen=True)
class TrainExample:
    """One question over one context with the character span [answer_start, answer_start + len(answer)) of its answer;
    an unanswerable question (the context does not answer it) has answer "" and answer_start -1."""

    id: str
    question: str
    context: str
    answer_start: int
    answer: str
    # Every other distinct reference answer the source gives (benchmarks such as DRCD give several), for scoring only.
    other_answers: tuple[str, ...] = ()

    @property
    def answer_end(self) -> int:
        """Return the end (exclusive) of the answer in context characters."""
        return self.answer_start + len(self.answer)

    @property
    def answerable(self) -> bool:
        """Return whether the context answers the question (it is trained as "no answer" otherwise)."""
        return bool(self.answer)


def locate_answer(context: str, answer: str, start: int) -> int | None:
    """Return where `answer` starts in `context`: `start` when it matches there, else the nearest occurrence, else None."""
    if not answer.strip():
        return None
    if 0 <= start and context[start : start + len(answer)] == answer:
        return start
    found, position = [], context.find(answer)
    while position >= 0:
        found.append(position)
        position = context.find(answer, position + 1)
    return min(found, key=lambda p: abs(p - start)) if found else None


def load_training_file(path: Path, convert: Callable[[str], str] | None = None) -> tuple[TrainExample, ...]:
    """Return the questions of a SQuAD v1/v2 file: answerable ones with their first answer, re-located by text (skipped
    when it is not in the context), and those marked `is_impossible` as unanswerable; `convert` maps text (e.g.
    traditional to simplified, length-preserving) before locating. Raises QAError when the file cannot be read."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        examples = []
        for article in data["data"]:
            for paragraph in article["paragraphs"]:
                context = paragraph["context"]
                context = convert(context) if convert else context
                for qa in paragraph["qas"]:
                    question = convert(qa["question"]) if convert else qa["question"]
                    if qa.get("is_impossible"):
                        examples.append(TrainExample(str(qa["id"]), question, context, -1, ""))
                        continue
                    if not qa.get("answers"):
                        continue
                    text, *others = ((convert(a["text"]) if convert else a["text"]).strip() for a in qa["answers"])
                    start = locate_answer(context, text, int(qa["answers"][0].get("answer_start", -1)))
                    if start is None:
                        continue
                    distinct = tuple(dict.fromkeys(other for other in others if other and other != text))
                    examples.append(TrainExample(str(qa["id"]), question, context, start, text, distinct))
    except (OSError, UnicodeDecodeError) as error:
        raise QAError(f"cannot read training file {path}: {error}") from error
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise QAError(f"training file {path} is not SQuAD-format JSON ({type(error).__name__}: {error})") from error
    return tuple(examples)


def traditional_to_simplified() -> Callable[[str], str]:
    """Return an OpenCC traditional-to-simplified converter that keeps every string's length (character by character)."""
    import opencc

    converter = opencc.OpenCC("t2s")

    def convert(text: str) -> str:
        converted = converter.convert(text)
        return converted if len(converted) == len(text) else "".join(converter.convert(char) or char for char in text)

    return convert


def in_tuning_split(context: str, share: float) -> bool:
    """Return whether a context (and so every question on it) belongs to the tuning split: a stable `share` of the
    contexts, chosen by a hash of their text, held out of training for choosing thresholds and settings."""
    import hashlib

    return int.from_bytes(hashlib.sha256(context.encode("utf-8")).digest()[:4], "big") / 2**32 < share


def tuning_squad(examples: Sequence[TrainExample]) -> dict:
    """Return SQuAD JSON (one article, a paragraph per context) of training questions, for `qa eval`: the answer the
    training used first, then the source's other reference answers (text only; a question is scored against all);
    unanswerable questions are marked `is_impossible` with no answers."""
    paragraphs: dict[str, list[dict]] = {}
    for example in examples:
        answers = [
            {"text": example.answer, "answer_start": example.answer_start},
            *({"text": other, "answer_start": example.context.find(other)} for other in example.other_answers),
        ]
        record: dict = {"id": example.id, "question": example.question, "answers": answers if example.answerable else []}
        if not example.answerable:
            record["is_impossible"] = True
        paragraphs.setdefault(example.context, []).append(record)
    return {
        "version": "tuning",
        "data": [{"title": "tuning split", "paragraphs": [{"context": c, "qas": q} for c, q in paragraphs.items()]}],
    }
