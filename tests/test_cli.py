"""The `qa` command line: exit codes, one-line errors, JSON output, the data dir."""

from __future__ import annotations

import json
from pathlib import Path

from qa.cli import main
from qa.config import resolve_data_dir
from qa.ingest.pipeline import display_path
from tests.conftest import SEED


def test_passages_jsonl_on_the_seed(capsys):
    assert main(["passages", str(SEED), "--jsonl"]) == 0
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 30
    assert rows[0]["id"] == f"{display_path(SEED)}#1.1"
    assert (rows[0]["line_start"], rows[0]["line_end"]) == (3, 16)
    assert err.strip() == "30 passages in 8 articles from 1 documents"


def test_passages_exit_code_is_nonzero_only_when_nothing_ingested(tmp_path, capsys):
    assert main(["passages", str(tmp_path / "missing.txt")]) == 1
    assert main(["passages", str(tmp_path / "missing.txt"), str(SEED)]) == 0
    err = capsys.readouterr().err
    assert f"skipped {tmp_path / 'missing.txt'}: does not exist" in err.splitlines()


def test_search_without_index_is_a_one_line_error(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "search", "泊位"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: no index in") and "qa index" in err


def test_data_dir_precedence():
    assert resolve_data_dir("cli", {"QA_DATA_DIR": "env"}) == Path("cli")
    assert resolve_data_dir(None, {"QA_DATA_DIR": "env"}) == Path("env")
    assert resolve_data_dir(None, {}) == Path(".qa")
