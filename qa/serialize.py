"""JSON forms of the records, the same wherever they are written (CLI, files, API)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from qa.answers import Answer, Citation
from qa.records import Passage, ProvenanceRun


def passage_to_dict(passage: Passage) -> dict[str, Any]:
    """Return the JSON object of a passage; provenance runs are [start, length, line, column]."""
    return {
        "id": passage.id,
        "document": passage.document,
        "article": passage.article,
        "title": passage.title,
        "reporters": list(passage.reporters),
        "line_start": passage.line_start,
        "line_end": passage.line_end,
        "text": passage.text,
        "provenance": [[run.start, run.length, run.line, run.column] for run in passage.provenance],
    }


def passage_from_dict(data: dict[str, Any]) -> Passage:
    """Return the passage a `passage_to_dict` object describes."""
    return Passage(
        id=data["id"],
        document=data["document"],
        article=data["article"],
        title=data["title"],
        reporters=tuple(data["reporters"]),
        text=data["text"],
        provenance=tuple(ProvenanceRun(*run) for run in data["provenance"]),
    )


def citation_to_dict(citation: Citation) -> dict[str, Any]:
    """Return the JSON object of a citation."""
    return asdict(citation)


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    """Return the JSON object of an answer: the same schema in the CLI, the Python API and the app API."""
    return {
        "question": answer.question,
        "resolved_question": answer.resolved_question,
        "answer": answer.text,
        "abstained": answer.text is None,
        "score": answer.score,
        "citations": [citation_to_dict(citation) for citation in answer.citations],
        "alternatives": [
            {"text": candidate.text, "score": candidate.score, "citation": citation_to_dict(candidate.citation)}
            for candidate in answer.alternatives
        ],
        "retrieved": list(answer.retrieved),
    }
