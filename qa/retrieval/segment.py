"""One immutable segment of the index: passage rows, their vectors, their BM25 postings, and an approximate index when large.

A segment is written once into its own folder and never changed; adding documents writes a new
segment and removing them marks their rows deleted, so a change costs in proportion to its size.
Merging segments drops deleted rows (`merge`). Arrays are memory-mapped on load, so opening an index
reads little and the operating system keeps in memory only what searches touch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from qa.retrieval.hits import Hit
from qa.retrieval.postings import Postings

ARRAYS = ("rows", "vectors", "lengths", "terms", "starts", "postings", "freqs")
ANN_FILE = "ann.faiss"
_SAMPLE = 1 << 20


@dataclass(frozen=True)
class Segment:
    """Rows (global passage row numbers) in local order, their vectors and postings, and an optional approximate index."""

    name: str
    rows: np.ndarray
    vectors: np.ndarray
    postings: Postings
    ann: faiss.Index | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def write(self, folder: Path) -> dict[str, str]:
        """Write the segment's files into a new folder; return their sampled checksums by file name."""
        folder.mkdir(parents=True)
        arrays = {
            "rows": self.rows,
            "vectors": self.vectors,
            "lengths": self.postings.lengths,
            "terms": self.postings.terms,
            "starts": self.postings.starts,
            "postings": self.postings.rows,
            "freqs": self.postings.freqs,
        }
        for name, array in arrays.items():
            np.save(folder / f"{name}.npy", np.ascontiguousarray(array))
        if self.ann is not None:
            faiss.write_index(self.ann, str(folder / ANN_FILE))
        return {path.name: sampled_checksum(path) for path in sorted(folder.iterdir())}

    @classmethod
    def load(cls, folder: Path, checksums: dict[str, str]) -> Segment:
        """Return the segment in a folder, memory-mapped; raises ValueError naming a file that is missing or damaged."""
        for name, expected in checksums.items():
            path = folder / name
            if not path.is_file():
                raise ValueError(f"{folder.parent.name}/{folder.name}/{name} is missing")
            if sampled_checksum(path) != expected:
                raise ValueError(
                    f"{folder.parent.name}/{folder.name}/{name} does not match its checksum in manifest.json: "
                    "changed or damaged since it was written"
                )
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in ARRAYS}
        ann = None
        if ANN_FILE in checksums:
            try:
                ann = faiss.read_index(str(folder / ANN_FILE))
            except RuntimeError as error:
                raise ValueError(f"{folder.name}/{ANN_FILE} is not a readable FAISS index ({str(error).splitlines()[0][:120]})") from None
        postings = Postings(arrays["terms"], arrays["starts"], arrays["postings"], arrays["freqs"], arrays["lengths"])
        segment = cls(folder.name, arrays["rows"], arrays["vectors"], postings, ann)
        if len(arrays["vectors"]) != len(arrays["rows"]) or len(arrays["lengths"]) != len(arrays["rows"]):
            raise ValueError(f"{folder.name}: the rows, vectors and lengths files hold different numbers of rows")
        return segment


def sampled_checksum(path: Path) -> str:
    """Return the SHA-256 of a file's size, first MiB and last MiB: the whole file when it is under 2 MiB.

    Reading the whole of a large vector file at every load would cost seconds per gigabyte; the sample
    catches truncation and damage at either end.
    """
    digest = hashlib.sha256()
    size = path.stat().st_size
    digest.update(str(size).encode())
    with path.open("rb") as data:
        digest.update(data.read(_SAMPLE))
        if size > _SAMPLE:
            data.seek(max(_SAMPLE, size - _SAMPLE))
            digest.update(data.read(_SAMPLE))
    return digest.hexdigest()


@dataclass(frozen=True)
class Segments:
    """The segments of an index, which of their rows are still live, and how global rows map to passage ids."""

    segments: tuple[Segment, ...]
    alive: tuple[np.ndarray | None, ...]
    resolve: Callable[[Sequence[int]], list[str]]

    @classmethod
    def single(cls, ids: Sequence[str], vectors: np.ndarray, postings: Postings, ann: faiss.Index | None = None) -> Segments:
        """Return one in-memory segment whose row i is ids[i]."""
        names = tuple(ids)
        segment = Segment("memory", np.arange(len(names), dtype=np.int64), vectors, postings, ann)
        return cls((segment,), (None,), lambda rows: [names[row] for row in rows])

    def live(self) -> Iterator[tuple[Segment, np.ndarray | None]]:
        """Yield each non-empty segment with its live-row mask (None when every row is live)."""
        for segment, alive in zip(self.segments, self.alive, strict=True):
            if len(segment):
                yield segment, alive


def rank_rows(pairs: list[tuple[float, int]], k: int, resolve: Callable[[Sequence[int]], list[str]]) -> list[Hit]:
    """Return the k best (score, global row) pairs as hits, ties (with the k-th score too) broken by passage id."""
    pairs.sort(key=lambda pair: -pair[0])
    if len(pairs) > k:
        cutoff = pairs[k - 1][0]
        pairs = [pair for pair in pairs if pair[0] >= cutoff]
    ids = resolve([row for _, row in pairs])
    ordered = sorted(zip(pairs, ids, strict=True), key=lambda item: (-item[0][0], item[1]))[:k]
    return [Hit(passage_id, float(score), rank) for rank, ((score, _), passage_id) in enumerate(ordered, start=1)]
