"""Ingest: files -> documents (+ segments) -> the corpus store.

``ingest`` reads like the stage list: discover files, extract text per file (in worker
processes when asked), clean it, complete the metadata, segment, and write each document
in its own transaction. Bad files give a failed ``IngestResult`` with one clear line; the
run goes on. Reruns skip what is stored (same file bytes, or same extracted text).
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pipeline.errors import EmptyDocumentError, InputFileError, SamskabError
from pipeline.ingest.guards import check_not_binary
from pipeline.ingest.metadata import complete_metadata, language_flags, load_manifest, parse_date, year_of
from pipeline.ingest.municipalities import require_municipality
from pipeline.ingest.readers import READERS, file_type, is_hf_dataset
from pipeline.io import sha256_file
from pipeline.records import DOCUMENT_META, DocumentRecord, SegmentRecord

if TYPE_CHECKING:
    from pipeline.store import CorpusStore

__all__ = ["IngestResult", "discover", "documents_from_paths", "find_manifests", "ingest", "read_document"]

MANIFEST_NAME = "manifest.csv"

STREAMED_TYPES = ("table", "hf_dataset")  # many documents per file: read in the main process, row by row


@dataclass(slots=True)
class IngestResult:
    """What happened to one input file."""

    path: str
    status: Literal["added", "skipped", "failed"]
    documents: int = 0
    segments: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    undated: int = 0  # documents stored without a date or year: they cannot enter trends


def _is_glob(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def discover(paths_or_globs: Iterable[str | Path]) -> list[Path]:
    """Files to ingest: folders walked recursively (hidden files skipped), globs expanded.

    A saved Hugging Face dataset folder counts as one input. Paths that do not exist are
    returned as they are, so that they fail with a clear line instead of vanishing.
    """
    found: list[Path] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve() if path.exists() else path
        if key not in seen:
            seen.add(key)
            found.append(path)

    def walk(folder: Path) -> None:
        if is_hf_dataset(folder):
            add(folder)
            return
        for root, dirs, files in os.walk(folder):
            root_path = Path(root)
            keep = []
            for d in sorted(dirs):
                if d.startswith("."):
                    continue
                if is_hf_dataset(root_path / d):
                    add(root_path / d)
                else:
                    keep.append(d)
            dirs[:] = keep
            for name in sorted(files):
                if not name.startswith((".", "~$")):
                    add(root_path / name)

    for item in paths_or_globs:
        text = str(item)
        matches = sorted(glob.glob(text, recursive=True)) if _is_glob(text) else [text]
        if not matches:
            add(Path(text))
        for match in matches:
            path = Path(match)
            if path.is_dir():
                walk(path)
            else:
                add(path)
    return found


def _is_manifest(path: Path) -> bool:
    """A file named manifest.csv whose header has a 'path' column."""
    if path.name.lower() != MANIFEST_NAME or not path.is_file():
        return False
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            header = fh.readline()
    except OSError:
        return False
    return "path" in [c.strip().strip('"').lower() for c in header.split(",")]


def find_manifests(paths_or_globs: Iterable[str | Path], *, manifest: Path | None = None) -> list[Path]:
    """The manifests an ingest of ``paths_or_globs`` uses: ``manifest`` when given, then every
    manifest.csv (with a 'path' column) among the inputs, e.g. beside the documents in a folder."""
    found = [Path(manifest)] if manifest else []
    seen = {p.resolve() for p in found if p.exists()}
    for path in discover(paths_or_globs):
        if _is_manifest(path) and path.resolve() not in seen:
            seen.add(path.resolve())
            found.append(path)
    return found


def _load_manifests(manifests: list[Path]) -> dict[str, dict[str, Any]]:
    """Metadata per file from all manifests; the first manifest (the one given) wins a clash."""
    meta_by_path: dict[str, dict[str, Any]] = {}
    for path in reversed(manifests):
        meta_by_path.update(load_manifest(path))
    return meta_by_path


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise InputFileError(path=str(path), detail="no such file or folder" + (" (no file matches this pattern)" if _is_glob(str(path)) else ""))
    if not os.access(path, os.R_OK):
        raise InputFileError(path=str(path), detail="permission denied; check the file's read permissions")
    if path.is_file() and path.stat().st_size == 0:
        raise EmptyDocumentError(path=str(path), detail="the file is empty (0 bytes)")


def _make_document(raw: dict[str, Any], *, path: Path, meta: dict[str, Any] | None, file_hash: str | None,
                   name: str | None = None) -> DocumentRecord | None:
    """Raw reader output -> a Document dict: cleaned text, ids, given + inferred metadata, flags.

    Metadata is inferred from ``name`` (see :func:`iter_file_documents`) instead of ``path`` when given.
    """
    from pipeline.segment import clean_text

    text = clean_text(raw["text"], reflow=bool(raw.get("reflow")))
    if not text:
        return None
    where = f"{path} row {raw['row']}" if "row" in raw else str(path)
    given = {k: raw.get(k) for k in DOCUMENT_META if raw.get(k) not in (None, "")}
    inferred: list[str] = []
    if raw.get("date") and "row" not in raw:  # a date found in HTML metadata is a guess, not a given
        inferred.append("date")
    given.update({k: v for k, v in (meta or {}).items() if v not in (None, "") and k != "error"})
    if meta and meta.get("date"):
        inferred = [f for f in inferred if f != "date"]
    if given.get("municipality"):
        given["municipality"] = require_municipality(str(given["municipality"]), where=where)
    if given.get("date"):
        iso = parse_date(str(given["date"]))
        if iso is None:
            raise InputFileError(path=where, detail=f"cannot read date {given['date']!r}; use YYYY-MM-DD or '12. marts 2019'")
        given["date"] = iso
    if given.get("year") not in (None, ""):
        try:
            given["year"] = int(given["year"])
        except (TypeError, ValueError) as e:
            raise InputFileError(path=where, detail=f"year {given['year']!r} is not a number") from e
    elif given.get("date"):
        given["year"] = year_of(given["date"])
    content_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    doc = {
        "id": str(raw["id"]) if raw.get("id") not in (None, "") else content_hash[:16],
        "text": text,
        **given,
        "source_path": str(path),
        "content_hash": content_hash,
        "file_hash": file_hash,
        "inferred": inferred,
        "flags": list(dict.fromkeys([*(raw.get("flags") or []), *language_flags(text)])),
    }
    return complete_metadata(doc, path=name or path, raw_text=raw["text"])


def iter_file_documents(path: Path, *, meta: dict[str, Any] | None = None, text_column: str = "text",
                        name: str | None = None) -> Iterator[DocumentRecord]:
    """Documents of one file, streamed (a table file gives one per row with text).

    ``name``: the file's name as its owner gave it, when ``path`` is a temporary copy (a web
    upload); the genre, municipality and year are then guessed from it, as ingest guesses
    them from a file's own name, and never from the copy's path.
    """
    path = Path(path)
    _check_readable(path)
    kind = file_type(path)
    if kind in ("text", "html") or (kind == "table" and path.suffix.lower() in (".csv", ".tsv", ".jsonl", ".ndjson", ".json")):
        check_not_binary(path)
    streamed = kind in STREAMED_TYPES
    file_hash = None if streamed else sha256_file(path)
    produced = 0
    for raw in READERS[kind](path, text_column=text_column):
        doc = _make_document(raw, path=path, meta=meta, file_hash=file_hash, name=name)
        if doc is not None:
            produced += 1
            yield doc
    if produced == 0:
        what = f"no row has text in column {text_column!r}" if streamed else "no text found"
        raise EmptyDocumentError(path=str(path), detail=what)


def read_document(path: Path, *, meta: dict[str, Any] | None = None, text_column: str = "text",
                  name: str | None = None) -> list[DocumentRecord]:
    """All documents of one file (usually one; a table file gives many); ``name`` as in :func:`iter_file_documents`."""
    return list(iter_file_documents(path, meta=meta, text_column=text_column, name=name))


def documents_from_paths(paths: Iterable[str | Path], *, text_column: str = "text", manifest: Path | None = None,
                         on_error: Literal["raise", "skip"] = "raise") -> Iterator[DocumentRecord]:
    """Documents of every file under ``paths`` without a store (e.g. classify a folder)."""
    manifests = find_manifests(paths, manifest=manifest)
    meta_by_path = _load_manifests(manifests)
    skip = {m.resolve() for m in manifests if m.exists()}
    for path in discover(paths):
        if path.exists() and path.resolve() in skip:
            continue
        meta = meta_by_path.get(str(path.resolve()))
        try:
            if meta and "error" in meta:
                raise meta["error"]
            yield from iter_file_documents(path, meta=meta, text_column=text_column)
        except SamskabError:
            if on_error == "raise":
                raise


def _extract(path: Path, meta: dict[str, Any] | None, text_column: str, max_chars: int, min_chars: int) -> tuple[list[tuple[DocumentRecord, list[SegmentRecord]]], str | None]:
    """Worker: one file -> [(document, segments)] or an error line. Never raises."""
    from pipeline.segment import segment_document

    try:
        return [(doc, segment_document(doc, max_chars=max_chars, min_chars=min_chars))
                for doc in iter_file_documents(path, meta=meta, text_column=text_column)], None
    except SamskabError as e:
        return [], str(e)
    except Exception as e:  # noqa: BLE001 - a bug or a library surprise in one file must not stop the run
        return [], f"{path}: unexpected error while reading ({type(e).__name__}: {e})"


def _store_file(path: Path, pairs: Iterable[tuple[DocumentRecord, list[SegmentRecord]]], store: CorpusStore | None) -> IngestResult:
    added = seen = n_segments = undated = 0
    warnings: list[str] = []

    def undated_warning() -> None:
        if undated:
            what = "the document has" if seen == 1 else f"{undated} of {seen} documents have"
            warnings.append(f"{path}: {what} no date (none in a manifest, the text or the file name); stored, but left out "
                            "of trends. Give the date in manifest.csv (columns path,date) or put the year in the file name")

    try:
        for doc, segments in pairs:
            seen += 1
            if "non_danish" in doc["flags"]:
                warnings.append(f"{path}: document {doc['id']} does not look Danish; kept and flagged non_danish")
            if store is None or store.add_document(doc, segments):
                added += 1
                n_segments += len(segments)
                undated += doc.get("date") in (None, "") and doc.get("year") in (None, "")
    except SamskabError as e:
        undated_warning()
        return IngestResult(str(path), "failed", added, n_segments, str(e), warnings, undated)
    undated_warning()
    return IngestResult(str(path), "added" if added else "skipped", added, n_segments, None, warnings, undated)


def _streamed_pairs(path: Path, meta: dict | None, text_column: str, max_chars: int, min_chars: int) -> Iterator[tuple[DocumentRecord, list[SegmentRecord]]]:
    from pipeline.segment import segment_document

    for doc in iter_file_documents(path, meta=meta, text_column=text_column):
        yield doc, segment_document(doc, max_chars=max_chars, min_chars=min_chars)


def ingest(paths: Iterable[str | Path], *, store: CorpusStore | None, manifest: Path | None = None, workers: int = 1,
           text_column: str = "text", max_chars: int = 1500, min_chars: int = 20) -> Iterator[IngestResult]:
    """Ingest files into ``store``, yielding one ``IngestResult`` per input file as it finishes."""
    # 1. metadata given by the user (--manifest, or a manifest.csv among the inputs), and the files
    #    to read (a manifest itself is not a document)
    manifests = find_manifests(paths, manifest=manifest)
    meta_by_path = _load_manifests(manifests)
    skip = {m.resolve() for m in manifests if m.exists()}
    files = [p for p in discover(paths) if not (p.exists() and p.resolve() in skip)]

    # 2. per file: manifest errors and already-stored files are settled without reading
    jobs: list[tuple[Path, dict | None]] = []
    for path in files:
        meta = meta_by_path.get(str(path.resolve())) if path.exists() else None
        if meta and "error" in meta:
            yield IngestResult(str(path), "failed", error=str(meta["error"]))
            continue
        if store is not None and path.is_file() and os.access(path, os.R_OK) and store.has_file_hash(sha256_file(path)):
            yield IngestResult(str(path), "skipped")
            continue
        jobs.append((path, meta))

    # 3. tables stream row by row in this process; other files are extracted (in parallel) and stored here
    def kind_of(path: Path) -> str | None:
        try:
            return file_type(path)
        except SamskabError:
            return None

    streamed = [(p, m) for p, m in jobs if kind_of(p) in STREAMED_TYPES]
    extracted = [(p, m) for p, m in jobs if kind_of(p) not in STREAMED_TYPES]
    for path, meta in streamed:
        try:
            yield _store_file(path, _streamed_pairs(path, meta, text_column, max_chars, min_chars), store)
        except SamskabError as e:
            yield IngestResult(str(path), "failed", error=str(e))
    for path, (pairs, error) in _run_extraction(extracted, text_column, max_chars, min_chars, workers):
        if error:
            yield IngestResult(str(path), "failed", error=error)
        else:
            yield _store_file(path, pairs, store)


def _run_extraction(jobs: list[tuple[Path, dict | None]], text_column: str, max_chars: int, min_chars: int,
                    workers: int) -> Iterator[tuple[Path, tuple[list, str | None]]]:
    """(path, extraction result) per job; a bounded window of futures keeps memory flat."""
    if workers <= 1 or len(jobs) <= 1:
        for path, meta in jobs:
            yield path, _extract(path, meta, text_column, max_chars, min_chars)
        return
    from pipeline.parallel import bounded_map

    calls = ((path, (path, meta, text_column, max_chars, min_chars)) for path, meta in jobs)
    for path, future in bounded_map(_extract, calls, workers=workers, window=4 * workers):
        try:
            yield path, future.result()
        except Exception as e:  # noqa: BLE001 - a worker killed by the OS (memory) fails its file only
            yield path, ([], f"{path}: worker process failed ({type(e).__name__}: {e})")
