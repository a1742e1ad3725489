"""Where classify's records come from: a file, a folder of documents or the corpus store.

A ``Source`` streams numbered records and carries a fingerprint of the input's *content*
(so a resumed run never reuses parts of an input edited in place); ``checked_batches``
cuts it into batches and sends every record that cannot be classified (malformed line,
no id, no text, duplicate or clashing id) to ``on_reject`` with its line and reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import DataError, InputFileError
from pipeline.io import chunked
from pipeline.records import SegmentRecord

#: ``records(on_bad)`` streams ``(number, record)``; ``on_bad(number, reason)`` takes lines that are not records.
Records = Callable[[Callable[[int, str], None] | None], Iterator[tuple[int, dict[str, Any]]]]


@dataclass
class Source:
    """A stream of numbered input records, with a content fingerprint for resuming."""

    records: Records
    fingerprint: str
    total: int | None
    name: str

    def batches(self, batch_size: int = 2048) -> Iterator[list[SegmentRecord]]:
        """All records in batches; a line that is not a record raises (for readers that need every one)."""
        yield from chunked((record for _, record in self.records(None)), batch_size)


def _content_hash(paths: list[Path], root: Path | None = None) -> str:
    """blake2b over the bytes (and, for folders, the relative names) of the files: fast, and edits in place count."""
    h = hashlib.blake2b(digest_size=16)
    for path in paths:
        if root is not None:
            h.update(str(path.relative_to(root)).encode("utf-8", "surrogateescape") + b"\0")
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):  # noqa: B023 - fh is the loop's own file
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


def open_source(input_path: str | Path | None, *, db: str | Path | None = None, max_chars: int = 1500,
                min_chars: int = 20) -> Source:
    """Table file, folder of documents (ingested on the fly), or the corpus store."""
    if db is not None:
        from pipeline.store import CorpusStore

        def store_records(on_bad: Callable[[int, str], None] | None) -> Iterator[tuple[int, dict[str, Any]]]:
            n = 0
            with CorpusStore(db, read_only=True) as store:
                for batch in store.iter_segments():
                    for rec in batch:
                        n += 1
                        yield n, rec

        with CorpusStore(db, read_only=True) as store:
            total = store.count_segments()
        return Source(store_records, f"db:{_content_hash([Path(db)])}", total, str(db))
    if input_path is None:
        raise DataError(detail="give an INPUT file/folder or --db")
    path = Path(input_path)
    if path.is_dir():
        from pipeline.ingest import documents_from_paths
        from pipeline.segment import segment_documents

        def folder_records(on_bad: Callable[[int, str], None] | None) -> Iterator[tuple[int, dict[str, Any]]]:
            docs = documents_from_paths([path], on_error="skip")
            yield from enumerate(segment_documents(docs, max_chars=max_chars, min_chars=min_chars), 1)

        files = sorted(p for p in path.rglob("*") if p.is_file())
        return Source(folder_records, f"dir:{_content_hash(files, root=path)}", None, str(path))
    if not path.is_file():
        raise InputFileError(path=str(path), detail="no such file or folder")
    from pipeline.io import count_records, iter_numbered

    return Source(lambda on_bad: iter_numbered(path, on_bad=on_bad), f"file:{_content_hash([path])}", count_records(path), str(path))


class SeenIds:
    """The ids of a run so far, for the duplicate check, in about 16 bytes per id.

    Each id is kept as the 64-bit hash of its output form (``str(id)``) with its line and
    whether it was an integer; the last ``RECENT`` in a dict, the rest in two numpy arrays
    sorted by hash (merged in every ``RECENT`` ids), so the parent of a long run stays small
    (a dict of the ids themselves grew by about 200 bytes per record). Two different ids
    share a hash with probability about n^2 / 2^65 (1e-8 for a million ids).
    """

    RECENT = 1 << 16

    def __init__(self) -> None:
        import numpy as np

        self._recent: dict[int, int] = {}  # hash -> line * 2 + (1 if the id was an integer)
        self._hashes = np.empty(0, dtype=np.int64)
        self._marks = np.empty(0, dtype=np.int64)

    def first(self, key: str) -> tuple[int, str | int] | None:
        """(line, id) where an id with output form ``key`` was first seen; None if not seen."""
        h = hash(key)
        mark = self._recent.get(h)
        if mark is None and len(self._hashes):
            i = int(self._hashes.searchsorted(h))
            if i < len(self._hashes) and self._hashes[i] == h:
                mark = int(self._marks[i])
        if mark is None:
            return None
        return mark >> 1, int(key) if mark & 1 else key

    def add(self, key: str, line: int, rid: str | int) -> None:
        self._recent[hash(key)] = line * 2 + (not isinstance(rid, str))
        if len(self._recent) >= self.RECENT:
            import numpy as np

            new = np.fromiter(self._recent, dtype=np.int64, count=len(self._recent))
            marks = np.fromiter(self._recent.values(), dtype=np.int64, count=len(self._recent))
            order = new.argsort()
            new, marks = new[order], marks[order]
            at = self._hashes.searchsorted(new)
            self._hashes = np.insert(self._hashes, at, new)
            self._marks = np.insert(self._marks, at, marks)
            self._recent = {}


def _record_problem(record: dict[str, Any], n: int, seen: SeenIds) -> str | None:
    """Why ``record`` cannot be classified (None when it can); remembers its id in ``seen``."""
    rid = record.get("id")
    if rid is None or rid == "":
        return "no 'id'"
    if isinstance(rid, float) and rid.is_integer():  # integer ids in a float column (pandas with a missing value)
        rid = record["id"] = int(rid)
    if isinstance(rid, bool) or not isinstance(rid, (str, int)):
        return f"'id' must be a string or an integer, not {type(rid).__name__} ({str(rid)[:40]})"
    text = record.get("text")
    if not isinstance(text, str):
        return "no 'text'" if text is None else f"'text' must be a string, not {type(text).__name__}"
    if not text.strip():
        return "empty 'text'"
    key = str(rid)
    found = seen.first(key)
    if found is not None:
        first_n, first = found
        if type(first) is not type(rid):
            return f"id {rid!r} clashes with id {first!r} on line {first_n} (both become {key!r} in the output)"
        return f"duplicate id {rid!r} (first on line {first_n})"
    seen.add(key, n, rid)
    return None


def checked_batches(source: Source, batch_size: int, on_reject: Callable[[dict[str, Any]], None] | None
                    ) -> Iterator[list[dict[str, Any]]]:
    """Batches of classifiable records. Bad ones go to ``on_reject({"line", "id", "reason", "input"})``;
    without ``on_reject`` the first one raises (strict mode)."""

    def reject(n: int, reason: str, rid: Any = None) -> None:
        if on_reject is None:
            raise InputFileError(path=f"{source.name}:{n}", detail=reason)
        on_reject({"line": n, "id": rid, "reason": reason, "input": source.name})

    seen = SeenIds()
    batch: list[dict[str, Any]] = []
    for n, record in source.records(lambda n, reason: reject(n, reason)):
        problem = _record_problem(record, n, seen)
        if problem:
            rid = record.get("id")
            reject(n, problem, rid if isinstance(rid, (str, int)) else None)
            continue
        batch.append(record)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch
