"""Training questions written for this project over made-up documents (qa/training/corpus): each document is read into
passages as `qa index` reads it, and each question becomes a training question over the passage its evidence is in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError
from qa.training.data import TrainExample

CORPUS_DIR = Path(__file__).parent / "corpus"


@dataclass(frozen=True)
class WrittenQuestion:
    """One written question: its answer ("" when the document does not answer it) and a verbatim evidence quote from
    the paragraph holding the answer (for an unanswerable question: the paragraph it is closest to)."""

    question: str
    answer: str
    evidence: str
    type: str


def load_written_questions(path: Path) -> tuple[WrittenQuestion, ...]:
    """Return the questions of a `NAME_qa.jsonl` file. Raises QAError naming the line that cannot be read."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            questions.append(WrittenQuestion(record["question"], record["answer"], record["evidence"], record["type"]))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise QAError(f"{path}:{number}: not a written question ({type(error).__name__}: {error})") from error
    return tuple(questions)


def written_examples(document: Path, questions: Path) -> tuple[TrainExample, ...]:
    """Return the training questions of one written document, ids `NAME-001`…, each over the single passage that holds
    its evidence, the answer located inside the evidence. Raises QAError when an evidence quote is in no passage or in
    several, or an answer is not inside its evidence."""
    from qa.ingest.pipeline import ingest_paths

    result = ingest_paths([document])
    if result.errors:
        raise QAError(f"cannot read written document {document}: {result.errors[0]}")
    passages = [passage.text for passage in result.passages]
    name = document.stem
    examples = []
    for number, written in enumerate(load_written_questions(questions), 1):
        found = sum(text.count(written.evidence) for text in passages)
        if found != 1:
            raise QAError(f"{questions}: question {number}: its evidence occurs {found} times in the passages (need once)")
        context = next(text for text in passages if written.evidence in text)
        if not written.answer:
            examples.append(TrainExample(f"{name}-{number:03d}", written.question, context, -1, ""))
            continue
        inside = written.evidence.find(written.answer)
        if inside < 0:
            raise QAError(f"{questions}: question {number}: the answer {written.answer!r} is not inside its evidence")
        start = context.index(written.evidence) + inside
        examples.append(TrainExample(f"{name}-{number:03d}", written.question, context, start, written.answer))
    return tuple(examples)


def corpus_examples(folder: Path = CORPUS_DIR) -> tuple[TrainExample, ...]:
    """Return the training questions of every `NAME.txt` + `NAME_qa.jsonl` pair in `folder`, by name."""
    pairs = sorted(folder.glob("*_qa.jsonl"))
    if not pairs:
        raise QAError(f"no written questions (*_qa.jsonl) in {folder}")
    examples: list[TrainExample] = []
    for questions in pairs:
        document = questions.with_name(questions.name.removesuffix("_qa.jsonl") + ".txt")
        if not document.is_file():
            raise QAError(f"{questions} has no document {document.name} beside it")
        examples.extend(written_examples(document, questions))
    return tuple(examples)
