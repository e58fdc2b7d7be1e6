"""The index survives crashes, concurrent writers, damage and odd file names, and never drops a document by accident."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import pytest

from qa.errors import QAError
from qa.locking import exclusive
from qa.retrieval.store import index_dir, load_index, update_index
from tests.fakes import FakeEncoder

TEXTS = [
    "独山港区A3泊位正式对外开放，设计年综合通过能力169万吨。",
    "平湖市国际电子商务产业园获评省级电子商务产业示范基地。",
    "市政协十四届三次会议今天上午开幕。",
    "平湖市新建了一座图书馆，明年开放。",
]
FORK = multiprocessing.get_context("fork")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def documents(data_dir: Path) -> set[str]:
    return set(load_index(data_dir).manifest.documents)


def test_a_newline_or_line_separator_in_a_file_name_round_trips(tmp_path):
    odd = [write(tmp_path / "docs", "a\nb.txt", TEXTS[0]), write(tmp_path / "docs", "c\u2028d.txt", TEXTS[1])]
    update_index([tmp_path / "docs"], tmp_path / "data", FakeEncoder())
    loaded = load_index(tmp_path / "data")
    assert set(loaded.manifest.documents) == {path.as_posix() for path in odd}
    assert sorted(p.text for p in loaded.passages.values()) == sorted(TEXTS[:2])
    again = update_index([tmp_path / "docs"], tmp_path / "data", FakeEncoder())
    assert (again.passages, again.added, again.removed) == (2, 0, 0)


def test_damaged_passages_are_rebuilt_from_every_recorded_document(tmp_path):
    write(tmp_path / "one", "a.txt", TEXTS[0])
    write(tmp_path / "one", "b.txt", TEXTS[1])
    write(tmp_path / "two", "c.txt", TEXTS[2])
    update_index([tmp_path / "one"], tmp_path / "data", FakeEncoder())
    passages = index_dir(tmp_path / "data") / "passages.sqlite"
    passages.write_bytes(passages.read_bytes()[:40])
    with pytest.raises(QAError, match=r"damaged \(passages.sqlite is not a readable SQLite database"):
        load_index(tmp_path / "data")
    update = update_index([tmp_path / "two"], tmp_path / "data", FakeEncoder())
    assert update.passages == 3 and len(update.notes) == 1
    assert "rebuilt it from the 2 documents it recorded" in update.notes[0]
    assert documents(tmp_path / "data") == {(tmp_path / d).as_posix() for d in ("one/a.txt", "one/b.txt", "two/c.txt")}


def test_overwritten_bytes_in_the_vectors_file_are_detected(tmp_path):
    write(tmp_path / "docs", "a.txt", TEXTS[0])
    update_index([tmp_path / "docs"], tmp_path / "data", FakeEncoder())
    vectors_file = index_dir(tmp_path / "data") / "segments" / "g1" / "vectors.npy"
    data = bytearray(vectors_file.read_bytes())
    data[-64:] = bytes(64)
    vectors_file.write_bytes(bytes(data))
    with pytest.raises(QAError) as caught:
        load_index(tmp_path / "data")
    assert str(caught.value) == (
        f"the index in {index_dir(tmp_path / 'data')} is damaged (segments/g1/vectors.npy does not match its checksum in manifest.json: "
        "changed or damaged since it was written); rebuild it with `qa index PATH` (the documents it held are re-read)"
    )


def test_the_working_folder_does_not_change_document_identity(tmp_path, monkeypatch):
    project = tmp_path / "project"
    write(project / "seeds", "a.txt", TEXTS[0])
    write(project / "seeds", "b.txt", TEXTS[1])
    data = tmp_path / "data"
    monkeypatch.chdir(tmp_path)
    update_index([project / "seeds"], data, FakeEncoder())
    monkeypatch.chdir(project)
    update = update_index([Path("seeds")], data, FakeEncoder())
    assert update.passages == 2
    assert documents(data) == {"seeds/a.txt", "seeds/b.txt"}


def test_same_name_from_two_folders_keeps_both_documents(tmp_path, monkeypatch):
    write(tmp_path / "x", "a.txt", TEXTS[0])
    write(tmp_path / "y", "a.txt", TEXTS[1])
    monkeypatch.chdir(tmp_path / "x")
    update_index([Path("a.txt")], tmp_path / "data", FakeEncoder())
    monkeypatch.chdir(tmp_path / "y")
    update_index([Path("a.txt")], tmp_path / "data", FakeEncoder())
    assert documents(tmp_path / "data") == {(tmp_path / "x" / "a.txt").as_posix(), "a.txt"}
    assert sorted(p.text for p in load_index(tmp_path / "data").passages.values()) == sorted(TEXTS[:2])


def test_only_prune_drops_documents_that_were_not_given(tmp_path):
    write(tmp_path / "one", "a.txt", TEXTS[0])
    write(tmp_path / "two", "b.txt", TEXTS[1])
    update_index([tmp_path / "one"], tmp_path / "data", FakeEncoder())
    assert update_index([tmp_path / "two"], tmp_path / "data", FakeEncoder()).passages == 2
    pruned = update_index([tmp_path / "two"], tmp_path / "data", FakeEncoder(), prune=True)
    assert (pruned.passages, pruned.removed, pruned.notes) == (1, 1, ("pruned 1 documents not under the given paths",))
    assert documents(tmp_path / "data") == {(tmp_path / "two" / "b.txt").as_posix()}


def test_a_swap_interrupted_between_its_renames_is_read_and_recovered(tmp_path):
    write(tmp_path / "one", "a.txt", TEXTS[0])
    write(tmp_path / "two", "b.txt", TEXTS[1])
    update_index([tmp_path / "one"], tmp_path / "data", FakeEncoder())
    folder = index_dir(tmp_path / "data")
    folder.rename(folder.with_name("index.old"))
    assert documents(tmp_path / "data") == {(tmp_path / "one" / "a.txt").as_posix()}
    update_index([tmp_path / "two"], tmp_path / "data", FakeEncoder())
    assert len(documents(tmp_path / "data")) == 2 and not folder.with_name("index.old").exists()


def _hold_lock(data_dir: Path, ready) -> None:
    with exclusive(data_dir / "index.lock", "the index"):
        ready.set()
        time.sleep(30)


def test_a_second_writer_is_told_who_holds_the_lock(tmp_path):
    write(tmp_path / "docs", "a.txt", TEXTS[0])
    ready = FORK.Event()
    holder = FORK.Process(target=_hold_lock, args=(tmp_path / "data", ready))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(QAError, match=rf"is being changed by pid {holder.pid} \(`qa .*`, since .* UTC\); wait for it"):
            update_index([tmp_path / "docs"], tmp_path / "data", FakeEncoder(), wait=False)
    finally:
        holder.kill()
        holder.join()
    assert update_index([tmp_path / "docs"], tmp_path / "data", FakeEncoder(), wait=False).passages == 1


def _index_in_child(paths: list[Path], data_dir: Path, kill_at_rename: tuple[int, str] | None = None) -> None:
    """Run `qa index PATH...` (with the fake encoder) in a forked child; optionally SIGKILL itself around the n-th rename."""
    from qa import cli
    from qa.commands import index
    from qa.system import QASystem

    configured = index.system
    index.system = lambda args: QASystem(configured(args).settings, make_encoder=lambda model, directory: FakeEncoder())
    if kill_at_rename is not None:
        count, when = kill_at_rename
        calls = [0]
        real_rename = os.rename

        def rename(source, target):
            calls[0] += 1
            if calls[0] == count and when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            real_rename(source, target)
            if calls[0] == count and when == "after":
                os.kill(os.getpid(), signal.SIGKILL)

        os.rename = rename
    os._exit(cli.main(["--data-dir", str(data_dir), "index", *map(str, paths)]))


def _warm_up(tmp_path: Path) -> None:
    """Import torch (for `qa index`'s thread policy) and load jieba's dictionary here, so forked children start at once."""
    import torch  # noqa: F401

    write(tmp_path / "warm", "w.txt", TEXTS[3])
    update_index([tmp_path / "warm"], tmp_path / "warm-data", FakeEncoder())


def test_sigkill_at_any_point_leaves_the_previous_or_the_new_index(tmp_path):
    _warm_up(tmp_path)
    data = tmp_path / "data"
    base = [write(tmp_path / "base", f"{n}.txt", text) for n, text in enumerate(TEXTS)]
    update_index([tmp_path / "base"], data, FakeEncoder())
    expected = {path.as_posix() for path in base}
    started = time.perf_counter()
    child = FORK.Process(target=_index_in_child, args=([write(tmp_path / "new", "timing.txt", "计时用的文件。")], data))
    child.start()
    child.join()
    expected.add((tmp_path / "new" / "timing.txt").as_posix())
    run_seconds = time.perf_counter() - started
    rng = random.Random(16)
    runs = 0

    def run_once(point: tuple[int, str] | None, kill_after: float | None) -> bool:
        """Run `qa index` on one new file, killed after a delay or at a swap point; check the index; return whether it was killed."""
        nonlocal expected, runs, run_seconds
        new = write(tmp_path / "new", f"{runs}.txt", f"第{runs}号文件的内容，用于测试中断。")
        runs += 1
        child = FORK.Process(target=_index_in_child, args=([new], data, point))
        begun = time.perf_counter()
        child.start()
        if kill_after is not None:
            time.sleep(kill_after)
            os.kill(child.pid, signal.SIGKILL)
        child.join()
        killed = child.exitcode == -signal.SIGKILL
        if not killed and point is None:
            # A run outpaced its kill (the timing run was slow on a busy machine): draw later kills from its duration.
            run_seconds = min(run_seconds, time.perf_counter() - begun)
        loaded = load_index(data)
        now = set(loaded.manifest.documents)
        assert expected <= now <= expected | {new.as_posix()}, (point, kill_after)
        assert sorted(p.document for p in loaded.passages.values()) == sorted(now)
        expected = now
        return killed

    random_kills = 0
    while random_kills < 20 and runs < 150:
        random_kills += run_once(None, rng.uniform(0, run_seconds))
    swap_kills = sum(run_once(point, None) for point in [(1, "before"), (1, "after"), (2, "before"), (2, "after")] * 2)
    assert (random_kills, swap_kills) == (20, 8)
    final = update_index([tmp_path / "new"], data, FakeEncoder())
    assert final.passages == len(TEXTS) + 1 + runs


def test_two_concurrent_runs_end_with_both_runs_documents(tmp_path):
    _warm_up(tmp_path)
    data = tmp_path / "data"
    one = [write(tmp_path / "one", f"{n}.txt", text) for n, text in enumerate(TEXTS[:2])]
    two = [write(tmp_path / "two", f"{n}.txt", text) for n, text in enumerate(TEXTS[2:])]
    children = [FORK.Process(target=_index_in_child, args=([folder], data)) for folder in (tmp_path / "one", tmp_path / "two")]
    for child in children:
        child.start()
    for child in children:
        child.join()
    assert [child.exitcode for child in children] == [0, 0]
    assert documents(data) == {path.as_posix() for path in one + two}
    assert load_index(data).manifest.count == len(TEXTS)


def test_a_damaged_embedding_cache_gives_one_line(tmp_path):
    write(tmp_path / "docs", "a.txt", TEXTS[0])
    cache = tmp_path / "data" / "cache" / "embeddings.sqlite"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 8)
    with pytest.raises(QAError) as caught:
        update_index([tmp_path / "docs"], tmp_path / "data", FakeEncoder())
    assert str(caught.value) == (
        f"the embedding cache {cache} is damaged (file is not a database); delete that file and index again (it only saves time)"
    )


def test_an_index_of_the_previous_format_is_rebuilt_with_all_its_documents(tmp_path):
    write(tmp_path / "one", "a.txt", TEXTS[0])
    write(tmp_path / "two", "b.txt", TEXTS[1])
    update_index([tmp_path / "one"], tmp_path / "data", FakeEncoder())
    manifest_path = index_dir(tmp_path / "data") / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["checksums"]
    manifest_path.write_text(json.dumps({**manifest, "format_version": 1}), encoding="utf-8")
    with pytest.raises(QAError, match=r"damaged \(format version 1, this program reads 3\)"):
        load_index(tmp_path / "data")
    update = update_index([tmp_path / "two"], tmp_path / "data", FakeEncoder())
    assert update.notes == (
        "the earlier index was unreadable (format version 1, this program reads 3); rebuilt it from the 1 documents it recorded",
    )
    assert documents(tmp_path / "data") == {(tmp_path / "one" / "a.txt").as_posix(), (tmp_path / "two" / "b.txt").as_posix()}


def _index_repeatedly(folder: Path, data_dir: Path, runs: int) -> None:
    for run in range(runs):
        write(folder, "changing.txt", f"第{run}次更新的内容。")
        update_index([folder], data_dir, FakeEncoder())
    os._exit(0)


def test_readers_never_see_a_half_written_index(tmp_path):
    _warm_up(tmp_path)
    data = tmp_path / "data"
    write(tmp_path / "docs", "fixed.txt", TEXTS[0])
    update_index([tmp_path / "docs"], data, FakeEncoder())
    writer = FORK.Process(target=_index_repeatedly, args=(tmp_path / "docs", data, 15))
    writer.start()
    loads = 0
    while writer.is_alive():
        loaded = load_index(data)
        assert TEXTS[0] in {p.text for p in loaded.passages.values()}
        loads += 1
    writer.join()
    assert writer.exitcode == 0 and loads > 0
    assert {p.text for p in load_index(data).passages.values()} == {TEXTS[0], "第14次更新的内容。"}
