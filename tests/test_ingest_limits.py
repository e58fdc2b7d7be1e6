"""Bounded ingestion: per-file limits with one-line messages, and linear-time joining of wrapped lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qa.bench.ingest import write_docx_bomb
from qa.errors import IngestError
from qa.ingest.limits import IngestLimits
from qa.ingest.loaders import load_document
from qa.ingest.text import TracedText, join_wrapped, join_wrapped_lines
from tests.test_loaders import pdf_bytes


def refusal(path: Path, limits: IngestLimits = IngestLimits()) -> str:
    with pytest.raises(IngestError) as caught:
        load_document(path, limits)
    return caught.value.reason


def test_a_docx_unpacking_to_200_mb_is_refused_before_it_is_parsed(tmp_path):
    bomb = tmp_path / "bomb.docx"
    write_docx_bomb(bomb, 200 * 10**6, spaces=False)
    assert bomb.stat().st_size < 2**20
    assert refusal(bomb) == "unpacks to 190 MB, more than the 100 MB one .docx may; save its text as .txt or split it"


def test_a_docx_of_whitespace_over_the_limit_is_refused(tmp_path):
    bomb = tmp_path / "spaces.docx"
    write_docx_bomb(bomb, 3 * 2**20, spaces=True)
    assert refusal(bomb, IngestLimits(max_unpacked_bytes=2**20)) == (
        "unpacks to 3 MB, more than the 1 MB one .docx may; save its text as .txt or split it"
    )


def test_a_docx_within_the_limit_loads(tmp_path):
    small = tmp_path / "small.docx"
    write_docx_bomb(small, 2**20, spaces=False)
    assert load_document(small).lines[0].text == "平湖市国际电子商务产业园获评省级示范基地。"


def test_text_with_more_characters_than_the_limit_is_refused(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("平湖" * 60, encoding="utf-8")
    assert refusal(path, IngestLimits(max_characters=100)) == "holds more than 100 characters of text; split it into smaller files"
    assert len(load_document(path, IngestLimits(max_characters=120)).lines[0].text) == 120


def test_a_pdf_with_more_pages_than_the_limit_is_refused(tmp_path):
    path = tmp_path / "pages.pdf"
    path.write_bytes(pdf_bytes([["one"], ["two"], ["three"]]))
    assert refusal(path, IngestLimits(max_pdf_pages=2)) == "has 3 pages, more than the 2 one PDF may have; split it"


PIECE = st.builds(
    lambda text, line: TracedText(text, tuple((line, column) for column in range(len(text)))),
    st.text(alphabet="平湖ab1 2.,:", max_size=6),
    st.integers(min_value=1, max_value=50),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECE, max_size=8))
# a decimal point on a line of its own: the pairwise join sees the digit before it on the line above
@example([TracedText("1", ((1, 0),)), TracedText(".", ((1, 0),)), TracedText("1", ((1, 0),))])
def test_joining_many_lines_at_once_equals_joining_them_pairwise(lines):
    pairwise = TracedText.empty()
    for line in lines:
        pairwise = join_wrapped(pairwise, line)
    assert join_wrapped_lines(lines) == pairwise
