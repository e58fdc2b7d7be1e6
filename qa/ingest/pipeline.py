"""Ingest files and folders into passages, reporting each file that could not be read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.errors import IngestError
from qa.ingest.layout import find_articles
from qa.ingest.loaders import iter_document_paths, load_document, resolved_path
from qa.ingest.passages import article_passages
from qa.ingest.source import SourceDocument, plain_line
from qa.records import Passage


@dataclass(frozen=True)
class IngestResult:
    """The passages of every readable document, the documents read, and one error per failed file."""

    passages: tuple[Passage, ...]
    documents: tuple[str, ...]
    errors: tuple[IngestError, ...]


def display_path(path: Path) -> str:
    """Return the path relative to the current folder when it lies inside it, else absolute (POSIX form)."""
    resolved = resolved_path(path)
    try:
        return resolved.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return resolved.as_posix()


def passages_of(document: SourceDocument, name: str) -> list[Passage]:
    """Return the passages of a loaded document, cited as `name`."""
    return [passage for article in find_articles(document) for passage in article_passages(article, name)]


def text_passages(text: str, document: str) -> list[Passage]:
    """Return the passages of an in-memory text, as if it were a .txt file named `document`."""
    lines = tuple(plain_line(line, number) for number, line in enumerate(text.split("\n"), start=1))
    return passages_of(SourceDocument(document, "txt", lines), document)


def document_passages(path: Path, name: str) -> list[Passage]:
    """Return the passages of one file, cited as `name`; raises IngestError when it holds no usable text."""
    passages = passages_of(load_document(path), name)
    if not passages:
        raise IngestError(str(path), "no text found to answer from (only headlines, bylines or page furniture)")
    return passages


def ingest_paths(paths: Sequence[Path]) -> IngestResult:
    """Return the passages of all files under the given files and folders, and the failures."""
    passages: list[Passage] = []
    documents: list[str] = []
    errors: list[IngestError] = []
    for given in paths:
        try:
            found = iter_document_paths([given])
        except IngestError as error:
            errors.append(error)
            continue
        for _root, path in found:
            try:
                passages.extend(document_passages(path, display_path(path)))
            except IngestError as error:
                errors.append(error)
                continue
            documents.append(str(path))
    return IngestResult(tuple(passages), tuple(documents), tuple(errors))
