"""The data behind the municipality, compare and search pages: segment predictions from a
predictions file (searched with pandas) or the corpus store's latest run (searched by the store)."""

from __future__ import annotations

import difflib
import json
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pipeline.codebook import ACTOR_IDS, RUNG_IDS
from pipeline.errors import DataError, StoreError
from pipeline.presentation import clean_number
from pipeline.web.check import evidence_items
from pipeline.web.errors import WebError

QUOTES_PER_RUNG = 3


@dataclass(frozen=True)
class SegmentQuery:
    municipality: str | None = None
    rung: int | None = None
    actor: str | None = None
    year: int | None = None
    q: str | None = None
    doc_id: str | None = None



def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return []
    if hasattr(value, "tolist"):
        value = value.tolist()
    return list(value) if isinstance(value, (list, tuple)) else []


def _hit(record: dict[str, Any]) -> dict[str, Any]:
    """A prediction record (store row or file row) as a SegmentHit dict."""
    year = clean_number(record.get("year"))
    proba = [float(p) for p in _as_list(record.get("rung_proba"))] or None
    rung = clean_number(record.get("rung"))
    if rung is None and proba:
        rung = max(range(len(proba)), key=proba.__getitem__)
    evidence = [e for e in _as_list(record.get("evidence")) if isinstance(e, dict) and e.get("sentence")]
    return {"id": str(record.get("segment_id") or record.get("id")), "doc_id": _str_or_none(record.get("doc_id")),
            "municipality": _str_or_none(record.get("municipality")), "year": None if year is None else int(year),
            "date": _str_or_none(record.get("date")), "rung": int(rung or 0),
            "rung_label": _str_or_none(record.get("rung_label")) or RUNG_IDS[int(rung or 0)], "rung_proba": proba,
            "actors": [str(a) for a in _as_list(record.get("actors"))], "text": _str_or_none(record.get("text")),
            "title": _str_or_none(record.get("title")), "url": safe_url(record.get("url")),
            "evidence": evidence_items(evidence, 0)}


def _str_or_none(value: Any) -> str | None:
    value = clean_number(value)
    return None if value is None or value == "" else str(value)


def safe_url(value: Any) -> str | None:
    """An http(s) URL, or None (never javascript:, data: or a local path)."""
    if isinstance(value, str) and urlparse(value.strip()).scheme in ("http", "https"):
        return value.strip()
    return None


class Corpus:
    """Segment predictions with metadata, held in memory for trends and quotes.

    Subclasses say where they come from and how they are searched.
    """

    source = ""

    def __init__(self, records: list[dict[str, Any]], *, model_dir: Path | None = None) -> None:
        from pipeline.config import load_config
        from pipeline.trends import load_heldout

        self.model_dir = model_dir
        self.heldout = load_heldout(model_dir) if model_dir else None  # read once, not per trend
        self.records = records  # all of them: the trend computation counts what it leaves out, and why
        self.classified = [r for r in records if r.get("rung") is not None]  # noise segments are not classified
        self.settings = load_config().trends
        from pipeline.trends import choose_period

        # the pages' default period: election terms when the years are sparse (scattered yearly dots otherwise)
        self.default_period = choose_period(records, by="municipality", min_support=self.settings.min_support)
        self._cache: dict[tuple, Any] = {}
        self._lock = threading.Lock()
        docs: dict[str, set[str]] = {}
        segments: Counter[str] = Counter()
        years: set[int] = set()
        for r in self.classified:
            name = r.get("municipality")
            if name:
                segments[name] += 1
                docs.setdefault(name, set()).add(str(r.get("doc_id") or r.get("id")))
            year = clean_number(r.get("year"))
            if isinstance(year, (int, float)):
                years.add(int(year))
        self.municipalities = {name: {"segments": segments[name], "documents": len(docs[name])} for name in sorted(segments)}
        self.years = sorted(years)

    # -- names
    def resolve(self, name: str) -> str:
        """The municipality as named in the data; WebError 404 with close names otherwise."""
        from pipeline.ingest.municipalities import resolve_municipality
        from pipeline.web.templating import municipality_url

        name = (name or "").strip()
        if name in self.municipalities:
            return name
        lowered = {n.lower(): n for n in self.municipalities}
        canonical = resolve_municipality(name)
        if name.lower() in lowered:
            return lowered[name.lower()]
        if canonical in self.municipalities:
            return canonical
        close = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.5)
        suggestions = [lowered[c] for c in close]
        if canonical:
            message = f"Der er ingen data for {canonical} Kommune i denne datakilde."
            message_en = f"no data for municipality {canonical!r} in this data source"
        else:
            message = f"Ukendt kommune: »{name}«."
            message_en = f"unknown municipality {name!r}"
        if suggestions:
            message += " Mente du " + " eller ".join(suggestions) + "?"
            message_en += "; did you mean " + " or ".join(suggestions) + "?"
        raise WebError(404, message, message_en=message_en,
                       hint=f"Kommuner med data: {len(self.municipalities)}. Se listen under »Kommuner«.",
                       suggestions=[(s, municipality_url(s)) for s in suggestions])

    # -- trends
    def trends(self, names: Sequence[str], period: str):  # noqa: ANN201 - a pipeline.trends.TrendResult
        """The trend for these municipalities and the national figure (``compute_trends``), cached per request shape."""
        key = (period, tuple(names))
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        from pipeline.trends import TrendOptions, compute_trends

        options = TrendOptions.from_config(self.settings, period=period, by=("municipality",))
        try:
            result = compute_trends(self.records, options, model_dir=self.model_dir, heldout=self.heldout,
                                    municipalities=list(names))
        except DataError as e:
            raise WebError(422, f"Tendensen kan ikke beregnes: {e}", message_en=str(e)) from e
        with self._lock:
            self._cache[key] = result
        return result

    def quotes(self, name: str, *, k: int = QUOTES_PER_RUNG) -> dict[int, list[dict[str, Any]]]:
        """The strongest evidence sentences per rung (1-4) for one municipality."""
        from pipeline.report import top_quotes

        found = top_quotes((r for r in self.classified if r.get("municipality") == name), k=k, threshold=self.settings.threshold)
        out = found.get(name, {})
        for quotes in out.values():
            for q in quotes:
                q["link"] = safe_url(q.get("link"))  # top_quotes also offers file: links; a web page gets http(s) only
        return out

    # -- search
    def search(self, query: SegmentQuery, *, page: int, per_page: int) -> tuple[int, list[dict[str, Any]]]:
        raise NotImplementedError


class FileCorpus(Corpus):
    """Predictions from a file written by ``samskab classify``; searched with pandas."""

    def __init__(self, path: Path, *, model_dir: Path | None = None) -> None:
        from pipeline.trends import load_predictions

        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(detail=f"{self.path}: no such predictions file; write one with `samskab classify INPUT --out FILE`")
        super().__init__(load_predictions(self.path), model_dir=model_dir)
        self.source = f"forudsigelser fra {self.path.name}"
        self._frame = None

    def frame(self):  # noqa: ANN201 - a pandas DataFrame with helper columns
        if self._frame is None:
            import pandas as pd

            frame = pd.DataFrame(self.classified)
            for col in ("municipality", "year", "doc_id", "text", "url", "title", "date", "position"):
                if col not in frame:
                    frame[col] = None
            frame["_actors"] = frame.get("actors", pd.Series([[]] * len(frame))).map(lambda a: set(_as_list(a)))
            evidence_text = frame.get("evidence", pd.Series([[]] * len(frame))).map(
                lambda ev: " ".join(str(e.get("sentence", "")) for e in _as_list(ev) if isinstance(e, dict)))
            frame["_search"] = frame["text"].where(frame["text"].notna(), evidence_text).fillna("").astype(str)
            frame["_year"] = pd.to_numeric(frame["year"], errors="coerce")
            self._frame = frame
        return self._frame

    def search(self, query: SegmentQuery, *, page: int, per_page: int) -> tuple[int, list[dict[str, Any]]]:
        frame = self.frame()
        mask = frame["municipality"].notna() | frame["municipality"].isna()
        if query.municipality:
            mask &= frame["municipality"] == query.municipality
        if query.rung is not None:
            mask &= frame["rung"] == query.rung
        if query.actor:
            mask &= frame["_actors"].map(lambda a: query.actor in a)
        if query.year is not None:
            mask &= frame["_year"] == query.year
        if query.doc_id:
            mask &= frame["doc_id"].astype(str) == query.doc_id
        if query.q:
            mask &= frame["_search"].str.contains(query.q, case=False, regex=False)
        hits = frame[mask].sort_values(["_year", "municipality", "doc_id", "position"], ascending=[False, True, True, True],
                                       na_position="last", kind="stable")
        rows = hits.iloc[(page - 1) * per_page: page * per_page]
        return int(len(hits)), [_hit({k: v for k, v in r.items() if not k.startswith("_")}) for r in rows.to_dict("records")]


class StoreCorpus(Corpus):
    """Predictions of the latest finished run in the corpus store; searched by the store (SQL)."""

    def __init__(self, path: Path, *, model_dir: Path | None = None) -> None:
        from pipeline.store import CorpusStore

        self.path = Path(path)
        with CorpusStore(self.path, read_only=True) as store:
            self.run_id = store.latest_run()
            if self.run_id is None:
                raise StoreError(path=str(self.path), detail="no finished run with predictions; store one with "
                                 f"`samskab classify --db {self.path} --out predictions.jsonl --to-store`, or serve a predictions "
                                 "file (`samskab serve --predictions FILE`; after `make demo`: `samskab serve out/demo`)")
            records = store.read_predictions(self.run_id)
            links = store.document_links()
        for r in records:
            url, title = links.get(r.get("doc_id"), (None, None))
            r.setdefault("url", url)
            r.setdefault("title", title)
        super().__init__(records, model_dir=model_dir)
        self.source = f"korpus {self.path.name}, kørsel {self.run_id}"

    def search(self, query: SegmentQuery, *, page: int, per_page: int) -> tuple[int, list[dict[str, Any]]]:
        from pipeline.store import CorpusStore

        try:
            with CorpusStore(self.path, read_only=True) as store:
                total, rows = store.search_predictions(self.run_id, municipality=query.municipality, rung=query.rung,
                                                       actor=query.actor, year=query.year, doc_id=query.doc_id, text=query.q,
                                                       limit=per_page, offset=(page - 1) * per_page)
        except StoreError as e:
            raise WebError(503, "Korpusset kan ikke læses lige nu (skriver et andet program til det?). Prøv igen om lidt.",
                           message_en=str(e)) from e
        return total, [_hit(r) for r in rows]


def resolve_source(source: str | Path) -> tuple[Path | None, Path | None]:
    """(db, predictions) for one data source: a `samskab run` output folder (its predictions.jsonl, or its
    corpus.duckdb when there is no such file), a corpus store, or a predictions file."""
    from pipeline.errors import InputFileError
    from pipeline.io import table_format

    path = Path(source)
    if path.is_dir():
        store, preds = path / "corpus.duckdb", path / "predictions.jsonl"
        if preds.is_file():
            return None, preds
        if store.is_file():
            return store, None
        raise DataError(detail=f"{path}: no predictions.jsonl or corpus.duckdb in this folder; give the folder "
                               "`samskab run` wrote (e.g. out/demo after `make demo`)")
    if not path.is_file():
        raise DataError(detail=f"{path}: no such file or folder")
    if path.suffix.lower() in (".duckdb", ".db"):
        return path, None
    try:
        table_format(path)
    except InputFileError as e:
        raise DataError(detail=f"{path}: not a corpus store (.duckdb) or predictions file (.jsonl, .csv, .parquet)") from e
    return None, path


def open_corpus(*, db: str | Path | None, predictions: str | Path | None, model_dir: Path | None) -> Corpus | None:
    """The data behind the trend and search pages, or None when none is given."""
    if db is not None and predictions is not None:
        raise DataError(detail="give the corpus store (--db) or a predictions file (--predictions), not both")
    if db is None and predictions is None:
        return None
    if db is not None:
        return StoreCorpus(Path(db), model_dir=model_dir)
    return FileCorpus(Path(predictions), model_dir=model_dir)


# -- trend rows and charts ----------------------------------------------------------------


def trend_rows(frame) -> list[dict[str, Any]]:  # noqa: ANN001
    """A trend table as TrendRow dicts (NaN and infinity become None)."""
    rows = []
    for raw in frame.to_dict("records"):
        r = {k: clean_number(v) for k, v in raw.items()}
        rows.append({
            "municipality": r.get("municipality"), "period": str(r["period"]), "period_start": str(r["period_start"]),
            "n_documents": int(r["n_documents"]), "n_segments": int(r["n_segments"]), "low_support": bool(r["low_support"]),
            "share_rung": [r.get(f"share_rung_{k}") for k in range(len(RUNG_IDS))],
            "share_rung_lo": [r.get(f"share_rung_{k}_lo") for k in range(len(RUNG_IDS))],
            "share_rung_hi": [r.get(f"share_rung_{k}_hi") for k in range(len(RUNG_IDS))],
            **{c: r.get(c) for c in ("uncertain_share", "share_ge3", "share_ge3_lo", "share_ge3_hi", "share_docs_ge3", "mean_rung",
                                     "mean_rung_lo", "mean_rung_hi", "talk_share", "practice_share",
                                     "diff_national_share_ge3", "diff_national_mean_rung")},
            "actors": {a: r.get(f"actor_{a}") for a in ACTOR_IDS},
        })
    return rows
