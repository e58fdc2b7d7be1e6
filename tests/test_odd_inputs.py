"""Odd inputs a careless user gives: symbolic link loops and UTF-8 with a few damaged bytes."""

from __future__ import annotations

import logging

from qa.ingest.decode import decode_bytes
from qa.ingest.pipeline import ingest_paths
from qa.retrieval.store import load_index, update_index
from tests.fakes import FakeEncoder

GOOD = "平湖市国际电子商务产业园获评省级电子商务产业示范基地。"


def test_a_symlink_loop_is_skipped_and_the_good_files_are_ingested(tmp_path):
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "loop1.txt").symlink_to("loop2.txt")
    (folder / "loop2.txt").symlink_to("loop1.txt")
    (folder / "sub" / "up").symlink_to("..")
    result = ingest_paths([folder])
    assert [p.text for p in result.passages] == [GOOD]
    assert [(e.path, e.reason) for e in result.errors] == [
        (str(folder / name), "is a symbolic link that leads back to itself (a link loop); fix or remove the link")
        for name in ("loop1.txt", "loop2.txt")
    ]
    update_index([folder], tmp_path / "data", FakeEncoder())
    assert load_index(tmp_path / "data").manifest.count == 1


def test_utf8_with_three_bad_bytes_is_read_with_replacements_and_a_warning(caplog):
    data = (GOOD * 4).encode()
    damaged = data[:30] + b"\xff" + data[30:60] + b"\xfe\xfe" + data[60:]
    with caplog.at_level(logging.WARNING, logger="qa.ingest.decode"):
        text = decode_bytes(damaged, "bad.txt")
    assert text.count("\ufffd") == 3 and text.replace("\ufffd", "") == GOOD * 4
    assert caplog.messages == ["bad.txt: 3 invalid UTF-8 byte sequences (the first at byte 30, line 1) were replaced by U+FFFD"]


def test_gbk_text_is_not_taken_for_damaged_utf8():
    assert decode_bytes(GOOD.encode("gbk"), "gbk.txt") == GOOD


def test_a_symlink_loop_given_as_the_path_gets_one_line(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    result = ingest_paths([tmp_path / "a"])
    assert [(e.path, e.reason) for e in result.errors] == [
        (str(tmp_path / "a"), "is a symbolic link to nothing, or back to itself (a link loop); fix or remove the link")
    ]
