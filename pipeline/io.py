"""Reading and writing record files (JSONL, CSV, Parquet) by extension, atomically.

Writers go to a temporary file beside the target and ``os.replace`` it at the end, so a
killed run never leaves a half-written output. Readers stream in batches so memory is
bounded by batch size, not file size.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
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


def iter_batches(path: str | Path, batch_size: int = 2048) -> Iterator[list[dict[str, Any]]]:
    """Stream records of a JSONL/CSV/Parquet file in batches of plain dicts."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path=str(path), detail="file not found")
    fmt = table_format(path)
    if fmt == "jsonl":
        batch: list[dict[str, Any]] = []
        with path.open(encoding="utf-8-sig") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    raise InputFileError(path=f"{path}:{n}", detail=f"not valid JSON ({e.msg})") from e
                if not isinstance(record, dict):
                    raise InputFileError(path=f"{path}:{n}", detail="each line must be a JSON object")
                batch.append(record)
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
        if batch:
            yield batch
    elif fmt == "csv":
        import pandas as pd

        sep = "\t" if path.suffix.lower() == ".tsv" else ","
        try:
            chunks = pd.read_csv(path, sep=sep, chunksize=batch_size, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            for chunk in chunks:
                yield [{k: _decode_cell(k, v if v != "" else None) for k, v in row.items()} for row in chunk.to_dict("records")]
        except (UnicodeDecodeError, pd.errors.ParserError) as e:
            raise InputFileError(path=str(path), detail=f"cannot parse CSV ({e})") from e
    else:
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
        except Exception as e:  # pyarrow raises several types for corrupt files
            raise InputFileError(path=str(path), detail=f"cannot read Parquet ({e})") from e
        for rb in pf.iter_batches(batch_size=batch_size):
            yield [{k: _decode_cell(k, _clean(v)) for k, v in row.items()} for row in rb.to_pylist()]


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
    the target is left as it was.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.format = table_format(self.path)
        self._ctx = atomic_path(self.path)
        self._tmp: Path | None = None
        self._fh = None
        self._pq_writer = None
        self._csv_header = False
        self.count = 0

    def __enter__(self) -> "RecordWriter":
        self._tmp = self._ctx.__enter__()
        if self.format in ("jsonl", "csv"):
            self._fh = self._tmp.open("w", encoding="utf-8", newline="")
        return self

    def write(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        self.count += len(records)
        if self.format == "jsonl":
            self._fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        elif self.format == "csv":
            import csv

            rows = [{k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v) for k, v in r.items()} for r in records]
            if not self._csv_header:
                self._fields = list(rows[0].keys())
                self._csv = csv.DictWriter(self._fh, fieldnames=self._fields, extrasaction="ignore")
                self._csv.writeheader()
                self._csv_header = True
            self._csv.writerows(rows)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            rows = [{k: (json.dumps(v, ensure_ascii=False) if k == "evidence" else v) for k, v in r.items()} for r in records]
            table = pa.Table.from_pylist(rows)
            if self._pq_writer is None:
                self._schema = table.schema
                self._pq_writer = pq.ParquetWriter(self._tmp, self._schema)
            else:
                table = table.select(self._schema.names).cast(self._schema)
            self._pq_writer.write_table(table)

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._fh is not None:
            self._fh.close()
        if self._pq_writer is not None:
            self._pq_writer.close()
        elif self.format == "parquet" and exc_type is None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table({"id": pa.array([], pa.string())}), self._tmp)
        self._ctx.__exit__(exc_type, exc, tb)


def write_records(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    with RecordWriter(path) as writer:
        writer.write(list(records))
    return writer.count
