"""samskab's cache folder: a cache that cannot be written is skipped, never a failure."""

from __future__ import annotations

import threading
from pathlib import Path

from pipeline.cache import cache_dir, write_cached


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMSKAB_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.setenv("SAMSKAB_CACHE_DIR", "")
    assert cache_dir() is None
    monkeypatch.delenv("SAMSKAB_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "samskab"


def test_write_cached_moves_a_whole_file_into_place(tmp_path):
    target = tmp_path / "sub" / "copy.bin"
    assert write_cached(target, lambda tmp: tmp.write_bytes(b"abc"))
    assert target.read_bytes() == b"abc"
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.bin"]


def test_a_failing_writer_leaves_nothing_behind(tmp_path):
    def broken(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError("disk full")

    assert not write_cached(tmp_path / "copy.bin", broken)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_cannot_be_made_is_no_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert not write_cached(blocker / "samskab" / "copy.bin", lambda tmp: tmp.write_bytes(b"abc"))
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


def test_concurrent_writers_do_not_collide(tmp_path):
    target = tmp_path / "copy.bin"
    start = threading.Barrier(8)

    def write(n: int) -> None:
        def fill(tmp: Path) -> None:
            start.wait()
            tmp.write_bytes(bytes([n]) * 100_000)

        assert write_cached(target, fill)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    data = target.read_bytes()
    assert len(data) == 100_000 and len(set(data)) == 1  # one writer's whole file
    assert [p.name for p in tmp_path.iterdir()] == ["copy.bin"]
