"""The corpus store: one DuckDB file holding documents, segments, labels, runs and predictions.

Every document is written in its own transaction together with its segments, so a run
that is interrupted (Ctrl-C, kill) leaves whole documents or nothing; a rerun skips what
is there (by content hash). ``con`` is the DuckDB connection, for ad-hoc SQL.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import StoreError
from pipeline.records import SEGMENT_META, DocumentRecord, LabelRecord, PredictionRecord, SegmentRecord

DOCUMENT_COLUMNS = ("id", "content_hash", "file_hash", "text", "municipality", "date", "year", "doc_type", "title",
                    "committee", "url", "source_path", "inferred", "flags", "added_at")
SEGMENT_COLUMNS = ("id", "doc_id", "position", "section", "item", "start", "end", "text",
                   "municipality", "date", "year", "doc_type", "section_kind")
LABEL_COLUMNS = ("segment_id", "rung", "actors", "annotator", "source", "timestamp", "codebook_hash")
PREDICTION_COLUMNS = ("run_id", "segment_id", "rung", "rung_label", "rung_proba", "actors", "evidence", "model", "vocab", "lang")
_JSON_PREDICTION = ("rung_proba", "actors", "evidence")

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id VARCHAR PRIMARY KEY, content_hash VARCHAR NOT NULL UNIQUE, file_hash VARCHAR, text VARCHAR NOT NULL,
    municipality VARCHAR, date VARCHAR, year INTEGER, doc_type VARCHAR, title VARCHAR, committee VARCHAR,
    url VARCHAR, source_path VARCHAR, inferred VARCHAR[], flags VARCHAR[], added_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS segments (
    id VARCHAR PRIMARY KEY, doc_id VARCHAR NOT NULL, position INTEGER NOT NULL, section VARCHAR, item VARCHAR,
    start INTEGER, "end" INTEGER, text VARCHAR NOT NULL, municipality VARCHAR, date VARCHAR, year INTEGER,
    doc_type VARCHAR, section_kind VARCHAR
);
ALTER TABLE segments ADD COLUMN IF NOT EXISTS section_kind VARCHAR;  -- corpus files written before section kinds
CREATE TABLE IF NOT EXISTS labels (
    segment_id VARCHAR NOT NULL, rung INTEGER NOT NULL, actors VARCHAR, annotator VARCHAR NOT NULL,
    source VARCHAR, timestamp VARCHAR, codebook_hash VARCHAR, PRIMARY KEY (segment_id, annotator)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, params VARCHAR, status VARCHAR NOT NULL,
    started_at TIMESTAMP, finished_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS predictions (
    run_id VARCHAR NOT NULL, segment_id VARCHAR NOT NULL, rung INTEGER, rung_label VARCHAR, rung_proba VARCHAR,
    actors VARCHAR, evidence VARCHAR, model VARCHAR, vocab BOOLEAN, lang VARCHAR, PRIMARY KEY (run_id, segment_id)
);
ALTER TABLE predictions ADD COLUMN IF NOT EXISTS vocab BOOLEAN;  -- corpus files written before vocab and lang were kept
ALTER TABLE predictions ADD COLUMN IF NOT EXISTS lang VARCHAR;
"""


def _quote(column: str) -> str:
    return f'"{column}"'


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class CorpusStore:
    """A DuckDB corpus file. Use as a context manager: ``with CorpusStore(path) as store: ...``."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        import duckdb

        self.path = Path(path)
        if read_only and not self.path.is_file():
            raise StoreError(path=str(self.path), detail="no such corpus file; create it with `samskab ingest PATHS --db FILE`")
        try:
            if not read_only:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.con = duckdb.connect(str(self.path), read_only=read_only)
            if not read_only:
                self.con.execute(SCHEMA)
            stored = {r[0] for r in self.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'segments'").fetchall()}
        except duckdb.Error as e:
            raise StoreError(path=str(self.path), detail=f"cannot open ({e}); is another process writing to it?") from e
        # a corpus file from before section kinds, opened read-only, lacks the column: its segments are content
        self.segment_columns = tuple(c for c in SEGMENT_COLUMNS if c in stored or not stored)

    # -- lifecycle
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "CorpusStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _transaction(self, fn, *args: Any) -> Any:  # noqa: ANN001
        self.con.execute("BEGIN TRANSACTION")
        try:
            result = fn(*args)
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")
        return result

    # -- documents and segments
    def has_hash(self, content_hash: str) -> bool:
        return self.con.execute("SELECT 1 FROM documents WHERE content_hash = ? LIMIT 1", [content_hash]).fetchone() is not None

    def has_file_hash(self, file_hash: str) -> bool:
        """True when a file with these bytes was ingested before (lets reruns skip extraction)."""
        return self.con.execute("SELECT 1 FROM documents WHERE file_hash = ? LIMIT 1", [file_hash]).fetchone() is not None

    def add_document(self, doc: DocumentRecord, segments: list[SegmentRecord]) -> bool:
        """Store a document and its segments atomically; False if its content is already stored."""
        import duckdb

        if not doc.get("content_hash"):
            raise StoreError(path=str(self.path), detail=f"document {doc.get('id')!r} has no content_hash")
        if self.has_hash(doc["content_hash"]):
            return False
        row = {**{c: doc.get(c) for c in DOCUMENT_COLUMNS}, "added_at": _now()}
        row["inferred"] = list(doc.get("inferred") or [])
        row["flags"] = list(doc.get("flags") or [])

        def write() -> None:
            self.con.execute(
                f"INSERT INTO documents ({', '.join(map(_quote, DOCUMENT_COLUMNS))}) VALUES ({', '.join('?' * len(DOCUMENT_COLUMNS))})",
                [row[c] for c in DOCUMENT_COLUMNS],
            )
            if segments:
                self._insert_segments(segments)

        try:
            self._transaction(write)
        except duckdb.ConstraintException as e:
            raise StoreError(path=str(self.path), detail=f"document id {doc.get('id')!r} is already used by other content ({e})") from e
        return True

    def _insert_segments(self, segments: list[SegmentRecord]) -> None:
        import pyarrow as pa

        types = {"position": pa.int32(), "start": pa.int32(), "end": pa.int32(), "year": pa.int32()}
        table = pa.table({c: pa.array([s.get(c) for s in segments], type=types.get(c, pa.string())) for c in SEGMENT_COLUMNS})
        self.con.register("_new_segments", table)
        try:
            cols = ", ".join(map(_quote, SEGMENT_COLUMNS))
            self.con.execute(f"INSERT INTO segments ({cols}) SELECT {cols} FROM _new_segments")
        finally:
            self.con.unregister("_new_segments")

    def _iter(self, table: str, columns: tuple[str, ...], *, batch_size: int, where: str | None, params: list | None,
              order: str) -> Iterator[list[dict[str, Any]]]:
        sql = f"SELECT {', '.join(map(_quote, columns))} FROM {table}"
        if where:
            sql += f" WHERE {where}"
        sql += f" ORDER BY {order}"
        cursor = self.con.cursor()  # own cursor: callers may query the store while iterating
        try:
            cursor.execute(sql, params or [])
            while rows := cursor.fetchmany(batch_size):
                yield [dict(zip(columns, r)) for r in rows]
        finally:
            cursor.close()

    def iter_segments(self, *, batch_size: int = 2048, where: str | None = None, params: list | None = None) -> Iterator[list[SegmentRecord]]:
        """Segments in batches, ordered by (doc_id, position); ``where`` is a SQL condition with ``?`` params."""
        return self._iter("segments", self.segment_columns, batch_size=batch_size, where=where, params=params, order="doc_id, position")

    def iter_documents(self, *, batch_size: int = 256, where: str | None = None, params: list | None = None) -> Iterator[list[DocumentRecord]]:
        columns = tuple(c for c in DOCUMENT_COLUMNS if c != "added_at")
        return self._iter("documents", columns, batch_size=batch_size, where=where, params=params, order="id")

    def count_segments(self, where: str | None = None, params: list | None = None) -> int:
        sql = "SELECT count(*) FROM segments" + (f" WHERE {where}" if where else "")
        return int(self.con.execute(sql, params or []).fetchone()[0])

    def count_documents(self, where: str | None = None, params: list | None = None) -> int:
        sql = "SELECT count(*) FROM documents" + (f" WHERE {where}" if where else "")
        return int(self.con.execute(sql, params or []).fetchone()[0])

    # -- labels
    def write_labels(self, labels: list[LabelRecord], *, codebook_hash: str) -> int:
        """Upsert labels on (segment_id, annotator); ``segment_id`` may be given as ``id``."""
        rows = []
        for label in labels:
            segment_id = label.get("segment_id") or label.get("id")
            if segment_id is None or label.get("rung") is None:
                raise StoreError(path=str(self.path), detail=f"a label needs segment_id (or id) and rung: {label!r:.200}")
            rows.append([segment_id, int(label["rung"]), json.dumps(list(label.get("actors") or []), ensure_ascii=False),
                         label.get("annotator") or "unknown", label.get("source"),
                         label.get("timestamp") or _now().isoformat(timespec="seconds"), codebook_hash])
        if rows:
            self._transaction(self.con.executemany,
                              f"INSERT OR REPLACE INTO labels ({', '.join(LABEL_COLUMNS)}) VALUES ({', '.join('?' * len(LABEL_COLUMNS))})", rows)
        return len(rows)

    def read_labels(self) -> list[LabelRecord]:
        rows = self.con.execute(f"SELECT {', '.join(LABEL_COLUMNS)} FROM labels ORDER BY segment_id, annotator").fetchall()
        out = []
        for r in rows:
            record = dict(zip(LABEL_COLUMNS, r))
            record["actors"] = json.loads(record["actors"]) if record["actors"] else []
            out.append(record)
        return out

    # -- runs and predictions
    def start_run(self, kind: str, params: dict[str, Any]) -> str:
        run_id = f"{kind}-{_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        self.con.execute("INSERT INTO runs VALUES (?, ?, ?, 'running', ?, NULL)",
                         [run_id, kind, json.dumps(params, ensure_ascii=False, default=str), _now()])
        return run_id

    def finish_run(self, run_id: str, status: str = "done") -> None:
        updated = self.con.execute("UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ? RETURNING run_id",
                                   [status, _now(), run_id]).fetchall()
        if not updated:
            raise StoreError(path=str(self.path), detail=f"no run {run_id!r}")

    def runs(self) -> list[dict[str, Any]]:
        cols = ("run_id", "kind", "params", "status", "started_at", "finished_at")
        return [dict(zip(cols, r)) for r in self.con.execute(f"SELECT {', '.join(cols)} FROM runs ORDER BY started_at").fetchall()]

    def write_predictions(self, run_id: str, preds: list[PredictionRecord]) -> int:
        """Upsert predictions of a run; ``segment_id`` may be given as ``id`` (the classify contract).

        Noise segments (contract 2) are stored with rung NULL: they are part of the corpus,
        not classified, and every reader can count what it leaves out. Returns the number written.
        """
        rows = []
        for p in preds:
            row = [run_id, p.get("segment_id") or p.get("id"), p.get("rung"), p.get("rung_label")]
            row += [json.dumps(p.get(c), ensure_ascii=False, default=_jsonable) for c in _JSON_PREDICTION]
            row.append(p.get("model"))
            row.append(p.get("vocab") if isinstance(p.get("vocab"), bool) else None)
            row.append(p.get("lang"))
            rows.append(row)
        if rows:
            import pyarrow as pa

            types = {"rung": pa.int32(), "vocab": pa.bool_()}
            table = pa.table({c: pa.array([r[i] for r in rows], type=types.get(c, pa.string()))
                              for i, c in enumerate(PREDICTION_COLUMNS)})
            self.con.register("_new_predictions", table)
            try:
                self._transaction(self.con.execute,
                                  f"INSERT OR REPLACE INTO predictions SELECT {', '.join(PREDICTION_COLUMNS)} FROM _new_predictions")
            finally:
                self.con.unregister("_new_predictions")
        return len(rows)

    def latest_run(self, kind: str | None = None) -> str | None:
        sql = "SELECT run_id FROM runs WHERE status = 'done'" + (" AND kind = ?" if kind else "") + " ORDER BY finished_at DESC LIMIT 1"
        row = self.con.execute(sql, [kind] if kind else []).fetchone()
        return row[0] if row else None

    def read_predictions(self, run_id: str | None = None) -> list[PredictionRecord]:
        """Predictions of a run (the latest finished one by default) with their segment metadata."""
        run_id = run_id or self.latest_run()
        if run_id is None:
            raise StoreError(path=str(self.path), detail="no finished run with predictions; store one with "
                             f"`samskab classify --db {self.path} --out predictions.jsonl --to-store`")
        meta = tuple(c for c in (*SEGMENT_META, "doc_id", "text", "section_kind")
                     if c in self.segment_columns)
        have = {r[0] for r in self.con.execute("DESCRIBE predictions").fetchall()}  # a read-only store may predate a column
        selected = ", ".join(f"p.{c}" if c in have else f"NULL AS {c}" for c in PREDICTION_COLUMNS)
        sql = (f"SELECT {selected}, {', '.join('s.' + c for c in meta)} "
               "FROM predictions p LEFT JOIN segments s ON s.id = p.segment_id WHERE p.run_id = ? ORDER BY s.doc_id, s.position, p.segment_id")
        out = []
        for r in self.con.execute(sql, [run_id]).fetchall():
            record = dict(zip(PREDICTION_COLUMNS + meta, r))
            for c in _JSON_PREDICTION:
                record[c] = json.loads(record[c]) if record[c] is not None else None
            if record["rung"] is None:
                record["skipped"] = "noise"  # not classified (contract 2)
            for c in ("vocab", "lang"):  # unknown (an old corpus file, or not recorded): left out, as in a file without them
                if record.get(c) is None:
                    record.pop(c, None)
            out.append(record)
        return out

    def document_links(self) -> dict[str, tuple[str | None, str | None]]:
        """Each document's (url, title), by document id."""
        return {r[0]: (r[1], r[2]) for r in self.con.execute("SELECT id, url, title FROM documents").fetchall()}

    def search_predictions(self, run_id: str, *, municipality: str | None = None, rung: int | None = None,
                           actor: str | None = None, year: int | None = None, doc_id: str | None = None,
                           text: str | None = None, limit: int = 20, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        """One page of a run's predictions with segment and document metadata, and the total matching.

        ``text`` is a case-insensitive substring of the segment text (LIKE wildcards in it are
        literal); ``actor`` a codebook actor id. Ordered newest year first, then municipality,
        document and position.
        """
        where, params = ["p.run_id = ? AND p.rung IS NOT NULL"], [run_id]  # noise segments are not classified
        for condition, value in (("s.municipality = ?", municipality), ("p.rung = ?", rung), ("s.year = ?", year),
                                 ("s.doc_id = ?", doc_id)):
            if value is not None:
                where.append(condition)
                params.append(value)
        if actor:  # actors are stored as a JSON list of ids
            where.append("p.actors LIKE ?")
            params.append(f'%{json.dumps(actor)}%')
        if text:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append("s.text ILIKE ? ESCAPE '\\'")
            params.append(f"%{escaped}%")
        sql_from = ("FROM predictions p LEFT JOIN segments s ON s.id = p.segment_id "
                    "LEFT JOIN documents d ON d.id = s.doc_id WHERE " + " AND ".join(where))
        columns = ("segment_id", "rung", "rung_label", "rung_proba", "actors", "evidence", "doc_id", "municipality", "year",
                   "date", "text", "url", "title")
        select = ("SELECT p.segment_id, p.rung, p.rung_label, p.rung_proba, p.actors, p.evidence, s.doc_id, s.municipality, "
                  "s.year, s.date, s.text, d.url, d.title ")
        total = int(self.con.execute("SELECT count(*) " + sql_from, params).fetchone()[0])
        rows = self.con.execute(select + sql_from + " ORDER BY s.year DESC NULLS LAST, s.municipality, s.doc_id, s.position "
                                "LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
        out = []
        for r in rows:
            record = dict(zip(columns, r))
            for c in _JSON_PREDICTION:
                record[c] = json.loads(record[c]) if record[c] is not None else None
            out.append(record)
        return total, out

    # -- export and stats
    def export(self, what: Literal["documents", "segments"], out: str | Path) -> int:
        """Write all documents or segments to JSONL/CSV/Parquet (by extension), atomically."""
        from pipeline.io import RecordWriter, atomic_path, table_format

        if what not in ("documents", "segments"):
            raise StoreError(path=str(self.path), detail=f"cannot export {what!r}; choose documents or segments")
        out = Path(out)
        if table_format(out) == "parquet":  # typed columns straight from DuckDB
            columns = self.segment_columns if what == "segments" else tuple(c for c in DOCUMENT_COLUMNS if c != "added_at")
            order = "doc_id, position" if what == "segments" else "id"
            with atomic_path(out) as tmp:
                self.con.execute(f"COPY (SELECT {', '.join(map(_quote, columns))} FROM {what} ORDER BY {order}) "
                                 f"TO '{str(tmp).replace(chr(39), chr(39) * 2)}' (FORMAT parquet)")
            return self.count_segments() if what == "segments" else self.count_documents()
        batches = self.iter_segments() if what == "segments" else self.iter_documents()
        with RecordWriter(out) as writer:
            for batch in batches:
                writer.write(batch)
        return writer.count

    def stats(self) -> list[dict[str, Any]]:
        """Documents and segments per municipality and year."""
        sql = """
            SELECT d.municipality, d.year, count(*) AS documents, CAST(coalesce(sum(s.n), 0) AS BIGINT) AS segments
            FROM documents d LEFT JOIN (SELECT doc_id, count(*) AS n FROM segments GROUP BY doc_id) s ON s.doc_id = d.id
            GROUP BY d.municipality, d.year ORDER BY d.municipality NULLS LAST, d.year NULLS LAST
        """
        cols = ("municipality", "year", "documents", "segments")
        return [dict(zip(cols, r)) for r in self.con.execute(sql).fetchall()]


def _jsonable(value: Any) -> Any:
    """Evidence may arrive as pydantic models or numpy values."""
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
