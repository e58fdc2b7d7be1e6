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
    """Return the contexts and questions of a SQuAD v1/v2 JSON file (answers deduplicated, order kept)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        contexts: dict[str, str] = {}
        examples: list[EvalExample] = []
        for article_number, article in enumerate(data["data"]):
            for paragraph_number, paragraph in enumerate(article["paragraphs"]):
                context_id = str(paragraph.get("id") or f"{article.get('id', article_number)}-{paragraph_number}")
                contexts[context_id] = paragraph["context"]
                for qa in paragraph["qas"]:
                    answers = () if qa.get("is_impossible") else tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                    examples.append(EvalExample(str(qa["id"]), qa["question"], answers, context_id))
    except (OSError, UnicodeDecodeError) as error:
        raise QAError(f"cannot read {path}: {error}") from error
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise QAError(f"{path} is not SQuAD-format JSON ({type(error).__name__}: {error})") from error
    return SquadSet(contexts, tuple(examples))
