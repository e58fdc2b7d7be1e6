"""Ingestion speed and bounds: many short paragraphs, and .docx files that unpack to far more than they weigh.

`paragraphs`: files of 8k/16k/32k short paragraphs (blank-line separated, no sentence end marks, so
layout joins them as column breaks; and one sentence per line), ingested into passages; median seconds
of `--repeats` runs, each in this process. `bombs`: a .docx whose document.xml unpacks to 200 MB of
paragraphs and one that unpacks to 1 GiB of spaces, each loaded in a fresh subprocess, reporting
seconds, the subprocess's peak RSS and the one-line message.
Usage: python -m qa.bench.ingest [paragraphs|bombs|all] [--repeats 3] [--sizes 8000 16000 32000]
This file only uses `document_passages` and `load_document`, so it can time an older checkout too:
PYTHONPATH=/path/to/old/checkout python qa/bench/ingest.py paragraphs
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

SHAPES = {
    "blank-separated, no end marks": lambda n: "\n\n".join(f"第{i}段短文没有句号" for i in range(n)) + "\n",
    "one sentence per line": lambda n: "\n".join(f"第{i}段短文。" for i in range(n)) + "\n",
}
_BOMB_CHUNK = 2**20


def time_paragraphs(sizes: list[int], repeats: int, folder: Path) -> list[tuple[str, int, int, float, int]]:
    """Return (shape, paragraphs, file bytes, median seconds, passages) for each shape and size."""
    from qa.ingest.pipeline import document_passages

    rows = []
    for shape, make in SHAPES.items():
        for size in sizes:
            path = folder / f"{size}.txt"
            path.write_text(make(size), encoding="utf-8")
            times, passages = [], 0
            for _ in range(repeats):
                started = time.perf_counter()
                passages = len(document_passages(path, path.name))
                times.append(time.perf_counter() - started)
            rows.append((shape, size, path.stat().st_size, statistics.median(times), passages))
    return rows


def write_docx_bomb(path: Path, unpacked_bytes: int, spaces: bool) -> None:
    """Write a .docx whose document.xml unpacks to about `unpacked_bytes`: paragraphs of text, or one run of spaces."""
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    )
    tail = "</w:body></w:document>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>',
        )
        with archive.open("word/document.xml", "w", force_zip64=True) as out:
            out.write(head.encode())
            if spaces:
                out.write(b'<w:p><w:r><w:t xml:space="preserve">')
            paragraph = "<w:p><w:r><w:t>平湖市国际电子商务产业园获评省级示范基地。</w:t></w:r></w:p>".encode()
            unit = b" " * _BOMB_CHUNK if spaces else paragraph * (_BOMB_CHUNK // len(paragraph))
            for _ in range(unpacked_bytes // len(unit)):
                out.write(unit)
            if spaces:
                out.write(b"</w:t></w:r></w:p>")
            out.write(tail.encode())


_LOAD_ONE = """
import resource, sys, time
from pathlib import Path
from qa.errors import QAError
from qa.ingest.loaders import load_document
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    document = load_document(Path(sys.argv[1]))
    outcome = f"loaded {len(document.lines)} lines"
except QAError as error:
    outcome = str(error).split(': ', 1)[-1]
seconds = time.perf_counter() - started
print(f"{seconds:.2f}\\t{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}\\t{before / 1024:.0f}\\t{outcome}")
"""


def time_bombs(folder: Path, timeout: float) -> list[tuple[str, int, str]]:
    """Return (name, file bytes, 'seconds | peak RSS MB (at start) | outcome') for each .docx bomb."""
    rows: list[tuple[str, int, str]] = []
    for name, unpacked, spaces in (("200 MB of paragraphs", 200 * 10**6, False), ("1 GiB of spaces", 2**30, True)):
        path = folder / f"bomb-{len(rows)}.docx"
        write_docx_bomb(path, unpacked, spaces)
        try:
            # run from the temporary folder so `python -c` imports qa from $PYTHONPATH, not from the current folder
            result = subprocess.run(
                [sys.executable, "-c", _LOAD_ONE, str(path)], capture_output=True, text=True, timeout=timeout, cwd=folder
            )
            seconds, peak, start, outcome = (result.stdout.strip() or f"-\t-\t-\texit {result.returncode}").split("\t", 3)
            rows.append((name, path.stat().st_size, f"{seconds} s | {peak} MB (at start {start} MB) | {outcome}"))
        except subprocess.TimeoutExpired:
            rows.append((name, path.stat().st_size, f"still running after {timeout:g} s (stopped)"))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the chosen measurements and print their tables; return 0."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", choices=("paragraphs", "bombs", "all"), default="all")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[8000, 16000, 32000])
    parser.add_argument("--timeout", type=float, default=60, help="seconds a bomb may take before it is stopped")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        if args.what in ("paragraphs", "all"):
            print("| shape | paragraphs | file KB | median s | passages |\n|---|---:|---:|---:|---:|")
            for shape, size, size_bytes, seconds, passages in time_paragraphs(args.sizes, args.repeats, Path(folder)):
                print(f"| {shape} | {size:,} | {size_bytes / 1024:,.0f} | {seconds:.2f} | {passages:,} |")
        if args.what in ("bombs", "all"):
            print("\n| .docx | file KB | seconds, peak RSS, outcome |\n|---|---:|---|")
            for name, size_bytes, outcome in time_bombs(Path(folder), args.timeout):
                print(f"| {name} | {size_bytes / 1024:,.0f} | {outcome} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
