"""Question sets: SQuAD v1/v2 JSON (contexts + questions) read into typed records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError


@dataclass(frozen=True)
class EvalExample:
    """One question with every acceptable answer (empty: not answerable), its source context and its kind
    (`number`, `person`, `unanswerable`, ...), when known."""

    id: str
    question: str
    answers: tuple[str, ...]
    context_id: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class SquadSet:
    """A SQuAD-format file: its contexts by id and its questions."""

    contexts: dict[str, str]
    examples: tuple[EvalExample, ...]


def load_squad(path: Path) -> SquadSet:
    """Return the contexts and questions of a SQuAD v1/v2 JSON file (answers deduplicated, order kept).

    Raises QAError with one line naming the first malformed field (for example `data[0].paragraphs[2].qas`).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise QAError(f"cannot read {path}: {error}") from error
    except json.JSONDecodeError as error:
        raise QAError(f"{path} is not SQuAD-format JSON (JSONDecodeError: {error})") from error
    try:
        return _squad_set(data)
    except _Malformed as error:
        raise QAError(f"{path} is not SQuAD-format JSON: {error}") from None


class _Malformed(ValueError):
    """A field of a SQuAD file that is missing or of the wrong type."""


def _squad_set(data: object) -> SquadSet:
    contexts: dict[str, str] = {}
    examples: list[EvalExample] = []
    for article_number, article in enumerate(_field(data, "data", list, "")):
        where = f"data[{article_number}]"
        for paragraph_number, paragraph in enumerate(_field(article, "paragraphs", list, where)):
            here = f"{where}.paragraphs[{paragraph_number}]"
            article_id = article.get("id", article_number)
            context_id = str(paragraph.get("id") or f"{article_id}-{paragraph_number}") if isinstance(paragraph, dict) else ""
            contexts[context_id] = _field(paragraph, "context", str, here)
            for qa_number, qa in enumerate(_field(paragraph, "qas", list, here)):
                at = f"{here}.qas[{qa_number}]"
                question_id = _field(qa, "id", (str, int), at)
                question = _field(qa, "question", str, at)
                if qa.get("is_impossible"):
                    answers: tuple[str, ...] = ()
                else:
                    listed = _field(qa, "answers", list, at)
                    answers = tuple(dict.fromkeys(_field(answer, "text", str, f"{at}.answers[{n}]") for n, answer in enumerate(listed)))
                examples.append(EvalExample(str(question_id), question, answers, context_id))
    return SquadSet(contexts, tuple(examples))


_TYPE_NAMES = {list: "a list", str: "text", dict: "an object", int: "a number"}


def _field(container: object, key: str, kind: type | tuple[type, ...], where: str):
    """Return container[key] when the container is an object and the value has the wanted type; else raise _Malformed."""
    if not isinstance(container, dict):
        raise _Malformed(f"{where or 'the top level'} should be an object, not {_describe(container)}")
    if key not in container:
        raise _Malformed(f"{where + '.' if where else ''}{key} is missing")
    value = container[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or isinstance(value, bool):
        wanted = " or ".join(_TYPE_NAMES[k] for k in kinds)
        raise _Malformed(f"{where + '.' if where else ''}{key} should be {wanted}, not {_describe(value)}")
    return value


def _describe(value: object) -> str:
    """Return a short description of a JSON value's type for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"
