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


def _record_problem(record: dict[str, Any], n: int, seen: dict[str, tuple[int, Any]]) -> str | None:
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
    if key in seen:
        first_n, first = seen[key]
        if type(first) is not type(rid):
            return f"id {rid!r} clashes with id {first!r} on line {first_n} (both become {key!r} in the output)"
        return f"duplicate id {rid!r} (first on line {first_n})"
    seen[key] = (n, rid)
    return None


def checked_batches(source: Source, batch_size: int, on_reject: Callable[[dict[str, Any]], None] | None
                    ) -> Iterator[list[dict[str, Any]]]:
    """Batches of classifiable records. Bad ones go to ``on_reject({"line", "id", "reason", "input"})``;
    without ``on_reject`` the first one raises (strict mode)."""

    def reject(n: int, reason: str, rid: Any = None) -> None:
        if on_reject is None:
            raise InputFileError(path=f"{source.name}:{n}", detail=reason)
        on_reject({"line": n, "id": rid, "reason": reason, "input": source.name})

    seen: dict[str, tuple[int, Any]] = {}
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
