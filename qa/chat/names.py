"""What the page calls a document: its name inside the documents folder (or `seeds/…`), never a server path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

UPLOADED, BUILT_IN, INDEXED = "uploaded", "built-in", "indexed"


@dataclass(frozen=True)
class DocumentNames:
    """The folders documents come from: the uploads (the documents folder) and the built-in seed."""

    uploads: Path
    seeds: Path

    def origin(self, document: str) -> str:
        """Return where an indexed document comes from: uploaded, built-in, or indexed (added with `qa index`)."""
        path = Path(document).resolve()
        if path.is_relative_to(self.uploads.resolve()):
            return UPLOADED
        if path.is_relative_to(self.seeds.resolve()):
            return BUILT_IN
        return INDEXED

    def display(self, document: str) -> str:
        """Return the name shown for a document: relative to the documents folder, `seeds/<name>` for the seed, else its file name."""
        path = Path(document).resolve()
        uploads, seeds = self.uploads.resolve(), self.seeds.resolve()
        if path.is_relative_to(uploads):
            return path.relative_to(uploads).as_posix()
        if path.is_relative_to(seeds):
            return f"{seeds.name}/{path.relative_to(seeds).as_posix()}"
        return path.name

    def passage_id(self, passage_id: str) -> str:
        """Return a passage id (`<document>#<article>.<n>`) with its document shown by display name."""
        document, mark, number = passage_id.rpartition("#")
        return f"{self.display(document)}#{number}" if mark else passage_id
