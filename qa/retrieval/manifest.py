"""manifest.json: what an index was built from, which generation is current, its segments and their checksums.

Replacing manifest.json (a rename) is what commits a change to the index: readers see the generation
and the segments it names and nothing written after.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qa.durable import fsync_path

FORMAT_VERSION = 3
MANIFEST = "manifest.json"
_NOT_WRITTEN = ("documents", "sources")


@dataclass(frozen=True)
class Manifest:
    """What an index was built from (model, vector layout, BM25 settings), its generation, passage count and segments.

    `documents` (passage count by document name) and `sources` (resolved path by name) come from
    documents.sqlite, not from manifest.json.
    """

    format_version: int
    model: str
    model_fingerprint: str
    dimension: int
    normalized: bool
    metric: str
    index_kind: str
    bm25_bigrams: bool
    generation: int
    count: int
    segments: tuple[str, ...]
    checksums: dict[str, str]
    documents: dict[str, int] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def segment_checksums(self, segment: str) -> dict[str, str]:
        """Return the checksums of one segment's files, by file name."""
        prefix = f"segments/{segment}/"
        return {name[len(prefix) :]: digest for name, digest in self.checksums.items() if name.startswith(prefix)}


def read_fields(directory: Path) -> dict[str, Any]:
    """Return manifest.json's fields; raises ValueError when it is not of this program's format version."""
    fields = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    if not isinstance(fields, dict) or fields.get("format_version") != FORMAT_VERSION:
        version = fields.get("format_version") if isinstance(fields, dict) else None
        raise ValueError(f"format version {version}, this program reads {FORMAT_VERSION}")
    return fields


def manifest_of(fields: dict[str, Any], documents: dict[str, int], sources: dict[str, str]) -> Manifest:
    """Return the manifest of manifest.json's fields with the documents and sources read from the store."""
    return Manifest(**{**fields, "segments": tuple(fields["segments"])}, documents=documents, sources=sources)


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Replace manifest.json by this manifest durably (written aside, flushed, renamed into place)."""
    fields = {key: value for key, value in asdict(manifest).items() if key not in _NOT_WRITTEN}
    fields["segments"] = list(manifest.segments)
    temporary = directory / f"{MANIFEST}.tmp"
    with temporary.open("w", encoding="utf-8") as out:
        out.write(json.dumps(fields, ensure_ascii=False, indent=2))
        out.flush()
        os.fsync(out.fileno())
    temporary.rename(directory / MANIFEST)
    fsync_path(directory)
