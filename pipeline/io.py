"""Reading and writing record files (JSONL, CSV, Parquet) by extension, atomically.

Writers go to a temporary file beside the target and ``os.replace`` it at the end, so a
killed run never leaves a half-written output. Readers stream in batches so memory is
bounded by batch size, not file size.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pipeline.errors import InputFileError

_UMASK = os.umask(0)
os.umask(_UMASK)
TABLE_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")
LIST_COLUMNS = ("actors", "rung_proba", "evidence", "inferred", "flags", "actor_proba", "segment_rung_counts")
INT_COLUMNS = ("rung", "year", "position", "start", "end", "n_segments", "rung_true")
BOOL_COLUMNS = ("vocab", "hard_negative")


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks."""
    import hashlib

    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def table_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise InputFileError(path=str(path), detail=f"unknown table format '{suffix}'; use .jsonl, .csv or .parquet")


@contextlib.contextmanager
def atomic_path(path: str | Path, mode: str = "w") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give outputs the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _decode_cell(key: str, value: Any) -> Any:
    """CSV cells are strings: decode the known list/dict (JSON), integer and boolean columns."""
    if isinstance(value, str) and key in INT_COLUMNS and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, str) and key in BOOL_COLUMNS and value in ("True", "False", "true", "false"):
        return value.lower() == "true"
    if isinstance(value, str) and key in LIST_COLUMNS:
        text = value.strip()
        if text.startswith(("[", "{")):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                return value
        if key == "actors":
            return [a.strip() for a in text.replace(";", ",").split(",") if a.strip()]
    return value


def _clean(value: Any) -> Any:
    """pandas/pyarrow give NaN for missing and numpy arrays for lists; give plain Python."""
    if value is None:
        return None
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def detect_table_encoding(path: str | Path) -> str:
    """Codec of a JSONL/CSV file, decided as ingest decides for documents (BOM > UTF-8 > cp1252 > detector).

    UTF-8 is checked over the whole file in streaming chunks, so a cp1252 byte on line
    700,000 is found before any record is read, in one fast pass.
    """
    import codecs

    from pipeline.encoding import detect_encoding

    with Path(path).open("rb") as fh:
        head = fh.read(1 << 16)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunk = head
        while chunk:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return detect_encoding(chunk)
            chunk = fh.read(1 << 20)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return detect_encoding(head)
    return "utf-8"


def loads_line(line: str | bytes) -> Any:
    """One JSON value from a line: orjson when it can, else the standard library (same
    values, and the standard library's errors and leniency: NaN, huge integers, lone
    surrogates)."""
    try:
        return _orjson().loads(line)
    except ValueError:
        return json.loads(line)


def dumps_lines(records: Iterable[dict[str, Any]]) -> str:
    """JSONL text of ``records`` (orjson: compact, UTF-8; the standard library for what orjson
    refuses, such as integers beyond 64 bits or non-string keys). orjson writes NaN as null."""
    return dumps_jsonl(records, errors="surrogatepass").decode("utf-8", "surrogatepass")


def dumps_jsonl(records: Iterable[dict[str, Any]], *, errors: str = "strict") -> bytes:
    """``dumps_lines`` as UTF-8 bytes, for writing them as they are (no decoding and encoding
    again: a fifth of a second per 100,000 classify records). A lone surrogate, which UTF-8
    cannot hold, raises UnicodeEncodeError as writing the text would (``errors="surrogatepass"``
    keeps it, for ``dumps_lines``)."""
    orjson = _orjson()
    out = []
    for r in records:
        try:
            out.append(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE))
        except TypeError:
            out.append(json.dumps(r, ensure_ascii=False).encode("utf-8", errors) + b"\n")
    return b"".join(out)


def lone_surrogate(value: Any, where: str = "") -> str | None:
    """Where a parsed JSON value holds a lone surrogate (a ``"\\ud800"`` escape parses to one),
    e.g. "field 'text' holds a lone surrogate (U+D800) at character 12"; None when it holds none."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            return f"{where or 'the value'} holds a lone surrogate (U+{ord(value[e.start]):04X}) at character {e.start}"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = lone_surrogate(key, "a field name") or lone_surrogate(item, f"field {key!r}")
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = lone_surrogate(item, where)
            if found:
                return found
    return None


@functools.lru_cache(maxsize=1)
def _orjson() -> Any:
    import orjson

    return orjson


def iter_numbered(path: str | Path, *, on_bad: Callable[[int, str], None] | None = None
                  ) -> Iterator[tuple[int, dict[str, Any]]]:
    """Stream ``(number, record)`` of a JSONL/CSV/Parquet file, decoded as ingest decodes text.

    ``number`` is the line (JSONL), the line a row starts on (CSV) or the row (Parquet),
    counted from 1. A line that is not a JSON object goes to ``on_bad(number, reason)``
    and the stream goes on; without ``on_bad`` it raises InputFileError naming the line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path=str(path), detail="file not found")
    fmt = table_format(path)

    def bad(n: int, reason: str) -> None:
        if on_bad is None:
            raise InputFileError(path=f"{path}:{n}", detail=reason)
        on_bad(n, reason)

    if fmt == "jsonl":
        encoding = detect_table_encoding(path)
        # valid UTF-8 (checked over the whole file): lines are read as bytes and a line that starts a
        # JSON object goes to orjson as it is (no decoding, a faster parse); any other line, or one
        # orjson refuses, is decoded and read as in the text path, so values and errors are the same
        binary = encoding == "utf-8"
        with (path.open("rb") if binary else path.open(encoding=encoding, errors="replace", newline="\n")) as fh:
            for n, line in enumerate(fh, 1):
                if binary:
                    if line[:1] == b"{":
                        try:
                            record = _orjson().loads(line)
                        except ValueError:
                            pass
                        else:
                            yield n, record  # a dict: the line starts an object
                            continue
                    line = line.decode("utf-8", "replace")
                if not line.strip():
                    continue
                try:
                    record = loads_line(line)
                except (json.JSONDecodeError, RecursionError) as e:
                    where = f" at column {e.colno}" if getattr(e, "colno", None) else ""
                    bad(n, f"not valid JSON ({getattr(e, 'msg', 'nested too deeply')}{where})")
                    continue
                if not isinstance(record, dict):
                    bad(n, f"each line must be a JSON object, not {type(record).__name__}")
                    continue
                surrogate = lone_surrogate(record)  # orjson refuses them; the standard library lets them through
                if surrogate:
                    bad(n, f"{surrogate}, which is not text (UTF-8 cannot hold it); fix or drop that escape")
                    continue
                yield n, record
    elif fmt == "csv":
        yield from _iter_csv(path, bad)
    else:
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
        except Exception as e:  # pyarrow raises several types for corrupt files
            raise InputFileError(path=str(path), detail=f"cannot read Parquet ({e})") from e
        n = 0
        for rb in pf.iter_batches(batch_size=4096):
            for row in rb.to_pylist():
                n += 1
                yield n, {k: _decode_cell(k, _clean(v)) for k, v in row.items()}


class CsvBreak(Exception):
    """A CSV that cannot be read on from ``line`` (an unterminated quote swallows the rest of the file)."""

    def __init__(self, line: int, error: Exception) -> None:
        super().__init__(f"line {line}: {error}")
        self.line, self.error = line, error


def csv_rows(reader: Any) -> Iterator[tuple[int, Any]]:
    """``(line the row starts on, row)`` of a csv reader (rows may span lines); CsvBreak where it breaks."""
    import csv

    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise CsvBreak(start, e) from e
        yield start, row
        start = reader.line_num + 1


def _iter_csv(path: Path, bad: Callable[[int, str], None]) -> Iterator[tuple[int, dict[str, Any]]]:
    import csv
    import sys

    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    encoding = detect_table_encoding(path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise InputFileError(path=f"{path}:1", detail=f"cannot parse the CSV header ({e})") from e
        header = [h.strip() for h in header]
        try:
            for n, row in csv_rows(reader):
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != len(header):
                    bad(n, f"{len(row)} fields where the header has {len(header)}")
                    continue
                yield n, {k: _decode_cell(k, v if v != "" else None) for k, v in zip(header, row)}
        except CsvBreak as e:  # the rows before it are kept; from here on nothing can be read
            bad(e.line, f"cannot parse CSV from this line on ({e.error}; an unterminated quote?): the rest of the file is left out")


def iter_batches(path: str | Path, batch_size: int = 2048) -> Iterator[list[dict[str, Any]]]:
    """Stream records of a JSONL/CSV/Parquet file in batches of plain dicts (strict: a bad line raises)."""
    yield from chunked((record for _, record in iter_numbered(path)), batch_size)


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of ``size`` items (the last may be shorter)."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def read_records(path: str | Path) -> list[dict[str, Any]]:
    return [r for batch in iter_batches(path) for r in batch]


def count_records(path: str | Path) -> int | None:
    """Cheap record count for progress bars (None when it would cost a full parse)."""
    fmt = table_format(path)
    if fmt == "jsonl":
        with Path(path).open("rb") as fh:
            return sum(1 for line in fh if line.strip())
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    return None


class RecordWriter:
    """Append records batch by batch to a table file; atomic on ``close``.

    Use as a context manager. On an exception the partial temporary file is removed and
    the target is left as it was. Records may differ in their keys (a noise segment has
    ``skipped``, a later batch may bring a new metadata column): JSONL writes them as they
    are; CSV and Parquet, whose columns are fixed by a header or schema, spool the records
    to a temporary JSONL and write the file at the end with the union of the columns (in
    first-seen order) and, for Parquet, types unified over all batches (a column that is
    null in the first batch takes its type from later ones).
    """

    _CHUNK = 4096

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.format = table_format(self.path)
        self._ctx = atomic_path(self.path)
        self._tmp: Path | None = None
        self._fh = None
        self._spool = None
        self._columns: dict[str, None] = {}
        self.count = 0

    def __enter__(self) -> "RecordWriter":
        self._tmp = self._ctx.__enter__()
        if self.format == "jsonl":
            self._fh = self._tmp.open("w", encoding="utf-8", newline="")
        else:
            self._spool = tempfile.TemporaryFile("w+", encoding="utf-8", dir=self._tmp.parent, prefix=f".{self.path.name}.")
        return self

    def write(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        self.count += len(records)
        lines = dumps_lines(records)
        if self.format == "jsonl":
            self._fh.write(lines)
            return
        for r in records:
            for k in r:
                if k not in self._columns:
                    self._columns[k] = None
        self._spool.write(lines)

    def append_jsonl(self, path: Path, count: int) -> None:
        """Append the lines of a JSONL file written by ``dumps_lines`` (``count`` records) as they
        are: the bytes ``write`` would write for its records, without parsing them again."""
        import shutil

        if self.format != "jsonl":
            with Path(path).open(encoding="utf-8") as fh:
                self.write([loads_line(line) for line in fh if line.strip()])
            return
        self._fh.flush()
        with Path(path).open("rb") as src:
            shutil.copyfileobj(src, self._fh.buffer, 1 << 20)
        self.count += count

    def _spooled(self) -> Iterator[list[dict[str, Any]]]:
        self._spool.seek(0)
        chunk: list[dict[str, Any]] = []
        columns = list(self._columns)
        for line in self._spool:
            record = loads_line(line)
            chunk.append({k: record.get(k) for k in columns})
            if len(chunk) >= self._CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _write_csv(self) -> None:
        import csv

        with self._tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(self._columns))
            if self._columns:
                writer.writeheader()
            for chunk in self._spooled():
                writer.writerows({k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v) for k, v in r.items()}
                                 for r in chunk)

    def _write_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        def rows(chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{k: (json.dumps(v, ensure_ascii=False) if k == "evidence" and v is not None else v) for k, v in r.items()} for r in chunk]

        if not self._columns:
            pq.write_table(pa.table({"id": pa.array([], pa.string())}), self._tmp)
            return
        schema = None
        for chunk in self._spooled():  # pass 1: one schema for all batches
            found = pa.Table.from_pylist(rows(chunk)).schema
            try:
                schema = found if schema is None else pa.unify_schemas([schema, found], promote_options="permissive")
            except (pa.ArrowTypeError, pa.ArrowInvalid) as e:
                from pipeline.errors import DataError

                raise DataError(detail=f"cannot write {self.path}: a column changes type between records ({e}); write .jsonl instead") from e
        schema = _nullable_int_schema(schema)
        with pq.ParquetWriter(self._tmp, schema) as writer:  # pass 2
            for chunk in self._spooled():
                writer.write_table(pa.Table.from_pylist(rows(chunk), schema=schema))

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self._fh is not None:
                self._fh.close()
            if self._spool is not None and exc_type is None:
                if self.format == "csv":
                    self._write_csv()
                else:
                    self._write_parquet()
        except BaseException as e:
            if self._spool is not None:
                self._spool.close()
            self._ctx.__exit__(type(e), e, e.__traceback__)
            raise
        if self._spool is not None:
            self._spool.close()
        self._ctx.__exit__(exc_type, exc, tb)


def write_records(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    with RecordWriter(path) as writer:
        writer.write(list(records))
    return writer.count


def _nullable_int_schema(schema: Any) -> Any:
    """``schema`` with pandas metadata that reads every integer column as pandas' nullable ``Int64``:
    a null (the rung of a noise segment, an unknown year) then stays <NA> instead of turning the column into floats."""
    import pandas as pd
    import pyarrow as pa

    empty = schema.empty_table().to_pandas(types_mapper=lambda t: pd.Int64Dtype() if pa.types.is_integer(t) else None)
    return schema.with_metadata({**(schema.metadata or {}), b"pandas": pa.Schema.from_pandas(empty, preserve_index=False).metadata[b"pandas"]})
