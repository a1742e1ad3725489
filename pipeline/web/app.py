"""The web app: check a text, follow a municipality's trend, search segments; a JSON API.

``create_app`` loads the model once (a missing or untrusted model folder is an error at
start, not on the first request) and, when given, the predictions from the corpus store
(``db``) or a predictions file. Pages are rendered on the server by Jinja2 with
autoescaping on, so every text from a user, a document or the model is escaped; no page
uses JavaScript or an external asset.

Uploads are checked by their bytes, never by their name: ``%PDF-`` is a PDF, a ZIP with
``word/document.xml`` a DOCX, ``<!doctype html``/``<html`` HTML, anything else must decode
as text. The bytes go to a server-made temporary file whose suffix comes from that check,
so no name or path from a request reaches the file system. Request bodies over the size
cap are refused with 413 before they are read (``Content-Length``) or as soon as the cap
is passed (streamed bodies).
"""

from __future__ import annotations

import base64
import difflib
import io
import json
import logging
import math
import shutil
import tempfile
import threading
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlparse

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.codebook import ACTOR_IDS, RUNG_IDS
from pipeline.records import Evidence
from pipeline.errors import (CorruptFileError, DataError, EmptyDocumentError, EncryptedFileError, NeedsOCRError,
                             SamskabError, StoreError)

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent
PER_PAGE = 20
MAX_CHARS = 500_000  # extracted text longer than this is refused (413): a page, not a corpus
EVIDENCE_K = 3
QUOTES_PER_RUNG = 3
#: sniffed type -> the fixed suffix of the temporary file (what the project's readers dispatch on)
UPLOAD_SUFFIX = {"pdf": ".pdf", "docx": ".docx", "html": ".html", "text": ".txt"}
TYPE_NAMES_DA = {"pdf": "PDF", "docx": "Word-dokument (DOCX)", "html": "HTML-side", "text": "tekstfil"}
#: magic bytes of common files we do not read, with a name for the error message
_BINARY_MAGIC = (
    (b"MZ", "et Windows-program (.exe/.dll)"), (b"\x7fELF", "et program (ELF)"), (b"\x89PNG", "et billede (PNG)"),
    (b"\xff\xd8\xff", "et billede (JPEG)"), (b"GIF8", "et billede (GIF)"), (b"\x1f\x8b", "et gzip-arkiv"),
    (b"7z\xbc\xaf", "et 7z-arkiv"), (b"Rar!", "et RAR-arkiv"), (b"\xd0\xcf\x11\xe0", "et gammelt Office-dokument (.doc/.xls); gem det som .docx"),
    (b"{\\rtf", "et RTF-dokument; gem det som .docx eller .txt"), (b"%!PS", "en PostScript-fil"),
)
PERIODS = ("year", "quarter", "term")
_PREDICT_LOCK = threading.Lock()
PERIOD_NAMES_DA = {"year": "år", "quarter": "kvartal", "term": "valgperiode"}


class Actor(str, Enum):
    """Actor ids of the codebook (for the API's query validation and schema)."""

    politicians = "politicians"
    administration = "administration"
    professionals = "professionals"
    citizens = "citizens"
    civil_society = "civil_society"
    businesses = "businesses"


assert tuple(a.value for a in Actor) == ACTOR_IDS  # noqa: S101 - the codebook fixes the six ids


class WebError(Exception):
    """An error shown to the user: HTTP status, a Danish message for pages, an English one for the API."""

    def __init__(self, status: int, message: str, *, message_en: str | None = None, hint: str | None = None,
                 suggestions: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message_en or message)
        self.status = status
        self.message = message
        self.message_en = message_en or message
        self.hint = hint
        self.suggestions = list(suggestions)  # (label, url)


# -- the API's record types ---------------------------------------------------------------


class SegmentResult(BaseModel):
    id: str
    position: int
    section: str | None = None
    start: int
    end: int
    text: str
    rung: int
    rung_label: str
    rung_proba: list[float]
    actors: list[str]
    actor_proba: dict[str, float]
    evidence: list[Evidence]


class DocumentResult(BaseModel):
    rung: int
    rung_label: str
    rung_name_da: str
    rung_proba: list[float]
    actors: list[str]
    n_segments: int
    segment_rung_counts: list[int]
    evidence: list[Evidence]


class ClassifyRequest(BaseModel):
    text: str = Field(description="The text to classify (Danish).", examples=["Byrådet nedsætter et § 17, stk. 4-udvalg med borgere og foreninger."])


class ClassifyResponse(BaseModel):
    model: str
    text: str = Field(description="The text after cleaning; all offsets refer to it.")
    document: DocumentResult
    segments: list[SegmentResult]


class TrendRow(BaseModel):
    """One period of a trend (see pipeline.trends.TREND_COLUMNS); missing figures are null."""

    municipality: str | None = None
    period: str
    period_start: str
    n_documents: int
    n_segments: int
    low_support: bool
    share_rung: list[float | None]
    share_rung_lo: list[float | None]
    share_rung_hi: list[float | None]
    uncertain_share: float | None = None
    share_ge3: float | None = None
    share_ge3_lo: float | None = None
    share_ge3_hi: float | None = None
    share_docs_ge3: float | None = None
    mean_rung: float | None = None
    mean_rung_lo: float | None = None
    mean_rung_hi: float | None = None
    actors: dict[str, float | None]
    talk_share: float | None = None
    practice_share: float | None = None
    diff_national_share_ge3: float | None = None
    diff_national_mean_rung: float | None = None


class TrendsResponse(BaseModel):
    municipality: str | None
    period: str
    estimator: str
    estimator_reason: str | None = None
    warnings: list[str]
    rows: list[TrendRow]
    national: list[TrendRow]


class SegmentHit(BaseModel):
    id: str
    doc_id: str | None = None
    municipality: str | None = None
    year: int | None = None
    date: str | None = None
    rung: int
    rung_label: str | None = None
    rung_proba: list[float] | None = None
    actors: list[str]
    text: str | None = None
    title: str | None = None
    url: str | None = None
    evidence: list[Evidence]


class SegmentPage(BaseModel):
    total: int
    page: int
    per_page: int
    pages: int
    items: list[SegmentHit]


class ErrorBody(BaseModel):
    detail: str
    suggestions: list[str] = Field(default_factory=list)


# -- uploads ------------------------------------------------------------------------------


def sniff_type(data: bytes) -> str:
    """'pdf', 'docx', 'html' or 'text' from the bytes alone; WebError 415/422 for anything else."""
    head = data[:1024]
    if head.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError) as e:
            raise WebError(422, "Filen ligner et Word-dokument (ZIP), men den er beskadiget og kan ikke åbnes.",
                           message_en=f"the file looks like a ZIP/DOCX but is damaged ({e})") from e
        if "word/document.xml" not in names:
            raise WebError(415, "Filen er et ZIP-arkiv, men ikke et Word-dokument (.docx). Upload PDF, DOCX, HTML eller TXT.",
                           message_en="a ZIP archive that is not a Word document; upload PDF, DOCX, HTML or plain text")
        return "docx"
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            raise WebError(415, f"Filen er {what}, ikke en tekst. Upload PDF, DOCX, HTML eller TXT.",
                           message_en="unsupported file content; upload PDF, DOCX, HTML or plain text")
    text = _decode_text(data)
    start = text[:2048].lstrip("\ufeff \t\r\n").lower()
    if start.startswith(("<!doctype html", "<html")) or "<html" in start[:1024]:
        return "html"
    return "text"


def _decode_text(data: bytes) -> str:
    """The bytes as text, or WebError 415 when they are not text (NUL bytes, many control characters)."""
    not_text = WebError(415, "Filen er hverken PDF, Word (DOCX), HTML eller almindelig tekst. Upload en af de typer.",
                        message_en="the file is not PDF, DOCX, HTML or plain text")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise not_text from e
    if b"\x00" in data:
        raise not_text
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from pipeline.ingest.encoding import decode_bytes

        text = decode_bytes(data)[0]
    sample = text[:20000]
    control = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f") or 0x7f <= ord(ch) < 0xa0)
    if sample and control / len(sample) > 0.01:
        raise not_text
    return text


def _upload_error(e: SamskabError, kind: str, path: Path) -> WebError:
    """A reader's error as a message for the user, without the server's temporary path."""
    detail = str(e).replace(str(path), "den uploadede fil").split("] ", 1)[-1]
    name = TYPE_NAMES_DA[kind]
    if isinstance(e, EmptyDocumentError):
        return WebError(400, f"Der er ingen tekst i filen ({name}).", message_en="the file has no text")
    if isinstance(e, NeedsOCRError):
        return WebError(422, "PDF'en har ingen tekst – den er sandsynligvis scannet. Kør tekstgenkendelse (OCR) først, "
                             "fx med `ocrmypdf ind.pdf ud.pdf`, og upload resultatet.",
                        message_en="the PDF has no text layer (scanned?); run OCR first")
    if isinstance(e, EncryptedFileError):
        return WebError(422, f"Filen ({name}) er krypteret. Gem en ukrypteret kopi og upload den.",
                        message_en="the file is encrypted")
    return WebError(422, f"Filen ligner en {name}, men den kan ikke læses: {detail}",
                    message_en=f"the file looks like {kind} but cannot be read: {detail}")


def extract_upload(data: bytes) -> dict[str, Any]:
    """Uploaded bytes -> one document (text cleaned, metadata inferred), via a temporary file."""
    from pipeline.ingest import read_document

    if not data.strip():
        raise WebError(400, "Filen er tom.", message_en="the file is empty")
    kind = sniff_type(data)
    folder = Path(tempfile.mkdtemp(prefix="samskab-upload-"))  # private (0700) and new for every upload
    path = folder / f"upload{UPLOAD_SUFFIX[kind]}"
    try:
        path.write_bytes(data)
        docs = read_document(path)
    except SamskabError as e:
        raise _upload_error(e, kind, path) from e
    except Exception as e:  # noqa: BLE001 - a damaged file can make a third-party reader fail in any way
        log.warning("reading an uploaded %s failed: %s: %s", kind, type(e).__name__, e)
        raise _upload_error(CorruptFileError(path=str(path), kind=kind, detail=type(e).__name__), kind, path) from e
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    doc = dict(docs[0])
    if len(docs) > 1:
        doc["text"] = "\n\n".join(d["text"] for d in docs)
    doc.update(source_path=None, file_type=kind)
    return doc


# -- checking a text ----------------------------------------------------------------------


def _evidence(items: list[dict[str, Any]], offset: int) -> list[dict[str, Any]]:
    out = []
    for ev in items:
        start, end = ev.get("start"), ev.get("end")
        out.append({"sentence": " ".join(str(ev.get("sentence", "")).split()), "score": float(ev.get("score") or 0.0),
                    "start": None if start is None else offset + int(start), "end": None if end is None else offset + int(end),
                    "rung": ev.get("rung"), "terms": [(str(t), float(v)) for t, v in ev.get("terms") or []]})
    return out


def check_document(model, doc: dict[str, Any], *, evidence_k: int = EVIDENCE_K) -> dict[str, Any]:  # noqa: ANN001
    """One document -> its segments' predictions and the document's rung (pure; no I/O).

    Evidence offsets in the result refer to ``doc["text"]`` (segment offsets are shifted).
    """
    from pipeline.classify import aggregate_documents
    from pipeline.segment import segment_document

    text = doc["text"]
    doc_id = str(doc.get("id") or "tekst")
    segments = segment_document({**doc, "id": doc_id}) or [{"id": f"{doc_id}#0", "doc_id": doc_id, "position": 0,
                                                             "section": None, "start": 0, "end": len(text), "text": text}]
    with _PREDICT_LOCK:  # one prediction at a time: spaCy pipelines are not guaranteed thread-safe
        preds = model.predict_records(segments, evidence_k=evidence_k, passthrough=("doc_id", "position", "section", "start", "end", "text"))
    starts = {p["id"]: int(p["start"]) for p in preds}
    document = aggregate_documents(preds, evidence_k=evidence_k)[0]
    doc_evidence = []
    for ev in document["evidence"]:
        doc_evidence += _evidence([ev], starts.get(ev.get("segment_id"), 0))
    rung = int(document["rung"])
    return {
        "model": model.name,
        "text": text,
        "document": {"rung": rung, "rung_label": document["rung_label"], "rung_name_da": model.codebook.rungs[rung].name_da,
                     "rung_proba": [float(p) for p in document["rung_proba"]], "actors": list(document["actors"]),
                     "n_segments": int(document["n_segments"]), "segment_rung_counts": list(document["segment_rung_counts"]),
                     "evidence": doc_evidence},
        "segments": [{"id": p["id"], "position": int(p["position"]), "section": p.get("section"), "start": int(p["start"]),
                      "end": int(p["end"]), "text": p["text"], "rung": int(p["rung"]), "rung_label": p["rung_label"],
                      "rung_proba": [float(v) for v in p["rung_proba"]], "actors": list(p["actors"]),
                      "actor_proba": {k: float(v) for k, v in p["actor_proba"].items()},
                      "evidence": _evidence(p["evidence"], int(p["start"]))} for p in preds],
    }


def check_text(model, text: str) -> dict[str, Any]:  # noqa: ANN001
    """Pasted text -> :func:`check_document` of its cleaned version; WebError 400/413 for empty or huge text."""
    from pipeline.segment import clean_text

    if not text or not text.strip():
        raise WebError(400, "Teksten er tom. Indsæt en tekst eller vælg en fil.", message_en="the text is empty")
    cleaned = clean_text(text)
    return check_document(model, _checked({"id": "tekst", "text": cleaned}))


def _checked(doc: dict[str, Any]) -> dict[str, Any]:
    n = len(doc.get("text") or "")
    if not n or not doc["text"].strip():
        raise WebError(400, "Der er ingen tekst at tjekke.", message_en="there is no text to check")
    if n > MAX_CHARS:
        raise WebError(413, f"Teksten er for lang ({n:,} tegn; højst {MAX_CHARS:,}). Del den op.".replace(",", "."),
                       message_en=f"the text is too long ({n} characters; at most {MAX_CHARS})")
    return doc


def highlight(text: str, spans: Sequence[tuple[int, int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """``text`` cut into plain and marked parts (the template escapes each part).

    ``spans`` are (start, end, info) offsets into ``text``; whitespace at their edges is
    left unmarked, overlapping spans keep the first (highest-scoring) one.
    """
    chosen: list[tuple[int, int, dict[str, Any]]] = []
    for start, end, info in spans:
        start, end = max(0, start), min(len(text), end)
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end and all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, info))
    parts, pos = [], 0
    for start, end, info in sorted(chosen, key=lambda s: s[0]):
        if start > pos:
            parts.append({"text": text[pos:start], "mark": False})
        parts.append({"text": text[start:end], "mark": True, **info})
        pos = end
    if pos < len(text):
        parts.append({"text": text[pos:], "mark": False})
    return parts


def evidence_spans(evidence: Sequence[dict[str, Any]], *, offset: int = 0, rung: int | None = None,
                   min_share: float = 0.25) -> list[tuple[int, int, dict[str, Any]]]:
    """Highlight spans of the evidence that pulled towards the decision, strongest first.

    Sentences with a score <= 0 or below ``min_share`` of the strongest are left unmarked:
    a near-zero score says the sentence barely mattered.
    """
    scored = [ev for ev in evidence if ev.get("start") is not None and ev.get("end") is not None and ev.get("score", 0) > 0]
    if not scored:
        return []
    top = max(ev["score"] for ev in scored)
    return [(ev["start"] - offset, ev["end"] - offset, {"rung": rung, "score": ev["score"], "terms": ", ".join(t for t, _ in ev.get("terms") or [])})
            for ev in sorted(scored, key=lambda e: -e["score"]) if ev["score"] >= min_share * top]


def _segment_parts(segment: dict[str, Any]) -> list[dict[str, Any]]:
    return highlight(segment["text"], evidence_spans(segment["evidence"], offset=segment["start"], rung=segment["rung"]))


# -- the corpus behind the municipality, compare and search pages --------------------------


@dataclass(frozen=True)
class SegmentQuery:
    municipality: str | None = None
    rung: int | None = None
    actor: str | None = None
    year: int | None = None
    q: str | None = None
    doc_id: str | None = None


def _clean_number(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


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
    year = _clean_number(record.get("year"))
    proba = [float(p) for p in _as_list(record.get("rung_proba"))] or None
    rung = _clean_number(record.get("rung"))
    if rung is None and proba:
        rung = max(range(len(proba)), key=proba.__getitem__)
    evidence = [e for e in _as_list(record.get("evidence")) if isinstance(e, dict) and e.get("sentence")]
    return {"id": str(record.get("segment_id") or record.get("id")), "doc_id": _str_or_none(record.get("doc_id")),
            "municipality": _str_or_none(record.get("municipality")), "year": None if year is None else int(year),
            "date": _str_or_none(record.get("date")), "rung": int(rung or 0),
            "rung_label": _str_or_none(record.get("rung_label")) or RUNG_IDS[int(rung or 0)], "rung_proba": proba,
            "actors": [str(a) for a in _as_list(record.get("actors"))], "text": _str_or_none(record.get("text")),
            "title": _str_or_none(record.get("title")), "url": safe_url(record.get("url")),
            "evidence": _evidence(evidence, 0)}


def _str_or_none(value: Any) -> str | None:
    value = _clean_number(value)
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

    def __init__(self, records: list[dict[str, Any]], *, heldout: Any = None) -> None:
        from pipeline.config import load_config

        self.records = records
        self.heldout = heldout
        self.settings = load_config().trends
        self._cache: dict[tuple, Any] = {}
        self._lock = threading.Lock()
        docs: dict[str, set[str]] = {}
        segments: Counter[str] = Counter()
        years: set[int] = set()
        for r in records:
            name = r.get("municipality")
            if name:
                segments[name] += 1
                docs.setdefault(name, set()).add(str(r.get("doc_id") or r.get("id")))
            year = _clean_number(r.get("year"))
            if isinstance(year, (int, float)):
                years.add(int(year))
        self.municipalities = {name: {"segments": segments[name], "documents": len(docs[name])} for name in sorted(segments)}
        self.years = sorted(years)

    # -- names
    def resolve(self, name: str) -> str:
        """The municipality as named in the data; WebError 404 with close names otherwise."""
        from pipeline.ingest.municipalities import resolve_municipality

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
    def trends(self, names: Sequence[str], period: str):  # noqa: ANN201 - (table, national) DataFrames
        """Trend tables for these municipalities and the national figure, cached per request shape."""
        key = (period, tuple(names))
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        from pipeline.trends import trend_table

        s = self.settings
        options = dict(period=period, threshold=s.threshold, min_support=s.min_support, bootstrap=s.bootstrap, seed=s.seed,
                       heldout=self.heldout)
        try:
            table = trend_table(self.records, by=("municipality",), estimator="auto", municipalities=list(names), **options)
            nat_key = ("national", period, table.attrs["estimator"])
            with self._lock:
                national = self._cache.get(nat_key)
            if national is None:
                national = trend_table(self.records, by=(), estimator=table.attrs["estimator"], national=False, **options)
        except DataError as e:
            raise WebError(422, f"Tendensen kan ikke beregnes: {e}", message_en=str(e)) from e
        with self._lock:
            self._cache[nat_key] = national
            self._cache[key] = (table, national)
        return table, national

    def quotes(self, name: str, *, k: int = QUOTES_PER_RUNG) -> dict[int, list[dict[str, Any]]]:
        """The strongest evidence sentences per rung (1-4) for one municipality."""
        from pipeline.report import top_quotes

        found = top_quotes((r for r in self.records if r.get("municipality") == name), k=k, threshold=self.settings.threshold)
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

    def __init__(self, path: Path, *, heldout: Any = None) -> None:
        from pipeline.trends import load_predictions

        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(detail=f"{self.path}: no such predictions file; write one with `samskab classify INPUT --out FILE`")
        super().__init__(load_predictions(self.path), heldout=heldout)
        self.source = f"forudsigelser fra {self.path.name}"
        self._frame = None

    def frame(self):  # noqa: ANN201 - a pandas DataFrame with helper columns
        if self._frame is None:
            import pandas as pd

            frame = pd.DataFrame(self.records)
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
    """Predictions of the latest finished run in the corpus store; searched with SQL (DuckDB)."""

    def __init__(self, path: Path, *, heldout: Any = None) -> None:
        from pipeline.store import CorpusStore

        self.path = Path(path)
        with CorpusStore(self.path, read_only=True) as store:
            self.run_id = store.latest_run()
            records = store.read_predictions(self.run_id)
            docs = {r[0]: r[1:] for r in store.con.execute("SELECT id, url, title FROM documents").fetchall()}
        for r in records:
            url, title = docs.get(r.get("doc_id"), (None, None))
            r.setdefault("url", url)
            r.setdefault("title", title)
        super().__init__(records, heldout=heldout)
        self.source = f"korpus {self.path.name}, kørsel {self.run_id}"

    def search(self, query: SegmentQuery, *, page: int, per_page: int) -> tuple[int, list[dict[str, Any]]]:
        from pipeline.store import CorpusStore

        where, params = ["p.run_id = ?"], [self.run_id]
        if query.municipality:
            where.append("s.municipality = ?")
            params.append(query.municipality)
        if query.rung is not None:
            where.append("p.rung = ?")
            params.append(query.rung)
        if query.actor:  # actors are stored as a JSON list of codebook ids; the id is validated
            where.append("p.actors LIKE ?")
            params.append(f'%"{query.actor}"%')
        if query.year is not None:
            where.append("s.year = ?")
            params.append(query.year)
        if query.doc_id:
            where.append("s.doc_id = ?")
            params.append(query.doc_id)
        if query.q:
            escaped = query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append("s.text ILIKE ? ESCAPE '\\'")
            params.append(f"%{escaped}%")
        sql_from = ("FROM predictions p LEFT JOIN segments s ON s.id = p.segment_id "
                    "LEFT JOIN documents d ON d.id = s.doc_id WHERE " + " AND ".join(where))
        columns = ("segment_id", "rung", "rung_label", "rung_proba", "actors", "evidence", "doc_id", "municipality", "year",
                   "date", "text", "url", "title")
        select = ("SELECT p.segment_id, p.rung, p.rung_label, p.rung_proba, p.actors, p.evidence, s.doc_id, s.municipality, "
                  "s.year, s.date, s.text, d.url, d.title ")
        try:
            with CorpusStore(self.path, read_only=True) as store:
                total = int(store.con.execute("SELECT count(*) " + sql_from, params).fetchone()[0])
                rows = store.con.execute(select + sql_from + " ORDER BY s.year DESC NULLS LAST, s.municipality, s.doc_id, "
                                         "s.position LIMIT ? OFFSET ?", [*params, per_page, (page - 1) * per_page]).fetchall()
        except StoreError as e:
            raise WebError(503, "Korpusset kan ikke læses lige nu (skriver et andet program til det?). Prøv igen om lidt.",
                           message_en=str(e)) from e
        return total, [_hit(dict(zip(columns, r))) for r in rows]


def open_corpus(*, db: str | Path | None, predictions: str | Path | None, model_dir: Path | None) -> Corpus | None:
    """The data behind the trend and search pages, or None when none is given."""
    if db is not None and predictions is not None:
        raise DataError(detail="give the corpus store (--db) or a predictions file (--predictions), not both")
    if db is None and predictions is None:
        return None
    from pipeline.trends import load_heldout

    heldout = load_heldout(model_dir) if model_dir else None
    if db is not None:
        return StoreCorpus(Path(db), heldout=heldout)
    return FileCorpus(Path(predictions), heldout=heldout)


# -- trend rows and charts ----------------------------------------------------------------


def trend_rows(frame) -> list[dict[str, Any]]:  # noqa: ANN001
    """A trend table as TrendRow dicts (NaN and infinity become None)."""
    rows = []
    for raw in frame.to_dict("records"):
        r = {k: _clean_number(v) for k, v in raw.items()}
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


_PLOT_LOCK = threading.Lock()  # pyplot keeps global state; one chart at a time


def _png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def index_chart(series: dict[str, list[dict[str, Any]]], national: list[dict[str, Any]]) -> str:
    """Mean rung and share at rungs 3-4 per period, one line per municipality and a dashed national line."""
    from matplotlib.figure import Figure

    periods = [r["period"] for r in national]
    fig = Figure(figsize=(9, 3.4), dpi=100)
    axes = fig.subplots(1, 2)
    palette = ("#08519c", "#d95f02", "#1b9e77", "#7570b3")
    for ax, metric, label, top in ((axes[0], "mean_rung", "samskabelsesindeks (gns. trin 0-4)", 4),
                                   (axes[1], "share_ge3", "andel på trin 3-4", 1)):
        for (name, rows), colour in zip(series.items(), palette):
            by_period = {r["period"]: r.get(metric) for r in rows}
            y = [by_period.get(p) for p in periods]
            ax.plot(range(len(periods)), [math.nan if v is None else v for v in y], marker="o", color=colour, label=name)
        ax.plot(range(len(periods)), [math.nan if r.get(metric) is None else r[metric] for r in national], linestyle="--",
                color="#777777", label="hele landet")
        ax.set_xticks(range(len(periods)), periods, rotation=45 if len(periods) > 6 else 0)
        ax.set_ylim(0, top)
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return _png_uri(buffer.getvalue())


def rung_chart(table) -> str | None:  # noqa: ANN001
    """The share at each rung over time for one municipality (pipeline.plots.plot_lines), as a data URI."""
    from pipeline import plots

    if not len(table) or not (table["n_documents"] > 0).any():
        return None
    with _PLOT_LOCK, tempfile.TemporaryDirectory(prefix="samskab-chart-") as tmp:
        paths = plots.plot_lines(table, out_dir=tmp)
        return _png_uri(paths[0].read_bytes()) if paths else None


# -- page helpers -------------------------------------------------------------------------


def municipality_url(name: str) -> str:
    return "/municipality/" + quote(name, safe="")


def _pct(value: Any, digits: int = 0) -> str:
    value = _clean_number(value)
    if value is None:
        return "–"
    return f"{100 * value:.{digits}f} %".replace(".", ",")


def _num(value: Any, digits: int = 2) -> str:
    value = _clean_number(value)
    if value is None:
        return "–"
    return f"{value:.{digits}f}".replace(".", ",")


def _signed_pct(value: Any) -> str:
    value = _clean_number(value)
    if value is None:
        return "–"
    return f"{100 * value:+.1f} pp".replace(".", ",")


def _templates() -> Jinja2Templates:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(WEB_DIR / "templates")), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True, undefined=StrictUndefined)
    env.filters.update(pct=_pct, num=_num, signed_pct=_signed_pct, municipality_url=municipality_url)
    return Jinja2Templates(env=env)


def _int_param(value: str | None, name: str, *, low: int | None = None, high: int | None = None) -> int | None:
    """A number from a form field ('' = not given); WebError 422 with a human message otherwise."""
    if value is None or not value.strip():
        return None
    try:
        number = int(value.strip())
    except ValueError as e:
        raise WebError(422, f"»{value}« er ikke et gyldigt tal for {name}.", message_en=f"{name}: {value!r} is not a number") from e
    if (low is not None and number < low) or (high is not None and number > high):
        raise WebError(422, f"{name} skal være mellem {low} og {high}, ikke {number}.",
                       message_en=f"{name} must be between {low} and {high}, not {number}")
    return number


def _period(value: str | None) -> str:
    value = (value or "year").strip() or "year"
    if value not in PERIODS:
        raise WebError(422, f"Ukendt periode »{value}«. Vælg år (year), kvartal (quarter) eller valgperiode (term).",
                       message_en=f"unknown period {value!r}; choose year, quarter or term")
    return value


# -- middleware ---------------------------------------------------------------------------


class _TooLarge(Exception):
    pass


SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                                 b"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class GuardMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413 (early when Content-Length says so) and add security headers."""

    def __init__(self, app, *, max_bytes: int, too_large) -> None:  # noqa: ANN001
        self.app = app
        self.max_bytes = max_bytes
        self.too_large = too_large  # (path) -> Response

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.max_bytes:
            await self.too_large(scope["path"])(scope, receive, send_with_headers)
            return
        received = 0
        exceeded = False
        started = False

        async def limited_receive():  # noqa: ANN202
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message) -> None:  # noqa: ANN001
            nonlocal started
            if exceeded:  # the app turned the aborted read into some error; answer 413 instead
                if not started:
                    started = True
                    await self.too_large(scope["path"])(scope, receive, send_with_headers)
                return
            if message["type"] == "http.response.start":
                started = True
            await send_with_headers(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            if not started:
                await self.too_large(scope["path"])(scope, receive, send_with_headers)


# -- the app ------------------------------------------------------------------------------


def create_app(*, model_dir: str | Path | None = None, db: str | Path | None = None, predictions: str | Path | None = None,
               max_upload_mb: float = 10, allowed_hosts: Sequence[str] | None = None) -> FastAPI:
    """The web app with the model loaded and the data (store or predictions file, if given) read.

    Raises the project's ModelError / UntrustedModelError when the model folder is missing
    or not trusted, and StoreError / DataError when the data cannot be read, so a bad
    start fails at once with the reason. ``allowed_hosts`` limits the Host header (guards a
    local server against DNS rebinding); None accepts any.
    """
    from pipeline.models import DEFAULT_MODEL_DIR, load_model

    model = load_model(Path(model_dir) if model_dir else DEFAULT_MODEL_DIR)
    corpus = open_corpus(db=db, predictions=predictions, model_dir=model.directory)
    max_bytes = int(max_upload_mb * 1024 * 1024)
    templates = _templates()
    codebook = model.codebook
    actor_names = {a.id: a.name_da for a in codebook.actors}

    app = FastAPI(title="samskab", version=_version(), docs_url=None, redoc_url=None,  # Swagger/ReDoc load from a CDN
                  description="Classify Danish municipal text on the co-creation ladder (samskabelsesstigen), "
                              "and read per-municipality trends and segments.")
    app.state.model = model
    app.state.corpus = corpus
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")

    def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        base = {"request": request, "model_name": model.name, "corpus": corpus, "rungs": codebook.rungs,
                "actor_names": actor_names, "max_upload_mb": max_upload_mb, "period_names": PERIOD_NAMES_DA}
        return templates.TemplateResponse(request, template, {**base, **context}, status_code=status)

    def error_response(request: Request, error: WebError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": error.message_en, "suggestions": [s for s, _ in error.suggestions]},
                                status_code=error.status)
        return render(request, "error.html", error.status, error=error)

    def too_large(path: str) -> Response:
        message = f"Filen eller teksten er for stor. Grænsen er {max_upload_mb:g} MB."
        if path.startswith("/api/"):
            return JSONResponse({"detail": f"request body too large; the limit is {max_upload_mb:g} MB", "suggestions": []},
                                status_code=413)
        request = Request({"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b"", "app": app})
        return render(request, "error.html", 413, error=WebError(413, message))

    app.add_middleware(GuardMiddleware, max_bytes=max_bytes + 64 * 1024, too_large=too_large)  # + room for the form's framing
    if allowed_hosts:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))

    @app.exception_handler(WebError)
    async def _web_error(request: Request, error: WebError) -> Response:
        return error_response(request, error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        problems = []
        for e in error.errors():
            where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path"))
            problems.append(f"{where or 'input'}: {e.get('msg')}")
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "invalid request: " + "; ".join(problems), "suggestions": [],
                                 "errors": json.loads(json.dumps(error.errors(), default=str))}, status_code=422)
        return error_response(request, WebError(422, "Ugyldigt input: " + "; ".join(problems)))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        messages = {404: "Siden findes ikke.", 405: "Den handling er ikke tilladt her."}
        message = messages.get(error.status_code, str(error.detail))
        return error_response(request, WebError(error.status_code, message, message_en=str(error.detail)))

    def no_data(request: Request, title: str) -> HTMLResponse:
        return render(request, "nodata.html", title=title)

    def require_corpus() -> Corpus:
        if corpus is None:
            raise WebError(503, "Der er ingen data indlæst.",
                           message_en="no data loaded; start the server with --db CORPUS or --predictions FILE")
        return corpus

    # -- check a text
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request) -> HTMLResponse:
        return render(request, "index.html")

    @app.get("/check", include_in_schema=False)
    def check_get() -> RedirectResponse:
        return RedirectResponse("/", status_code=303)

    @app.post("/check", response_class=HTMLResponse, include_in_schema=False)
    async def check(request: Request) -> HTMLResponse:
        from starlette.concurrency import run_in_threadpool

        try:
            try:
                form = await request.form(max_files=1, max_fields=10, max_part_size=max_bytes)
            except TypeError:  # older Starlette without the limits
                form = await request.form()
        except _TooLarge:
            raise
        except Exception as e:  # noqa: BLE001 - python-multipart raises several types for broken forms
            raise WebError(400, "Formularen kunne ikke læses. Prøv igen fra siden »Tjek tekst«.",
                           message_en=f"the form could not be parsed ({type(e).__name__})") from e
        upload = form.get("file")
        text = form.get("text")
        source = "tekst"
        if upload is not None and hasattr(upload, "read"):
            data = await upload.read(max_bytes + 1)
            await upload.close()
            if len(data) > max_bytes:
                raise WebError(413, f"Filen er for stor. Grænsen er {max_upload_mb:g} MB.")
            if data:
                source = "fil"
                doc = await run_in_threadpool(extract_upload, data)
                result = await run_in_threadpool(check_document, model, _checked(doc))
                return _result_page(request, result, source=source, doc=doc)
        text = text if isinstance(text, str) else ""
        result = await run_in_threadpool(check_text, model, text)
        return _result_page(request, result, source=source, doc={})

    def _result_page(request: Request, result: dict[str, Any], *, source: str, doc: dict[str, Any]) -> HTMLResponse:
        for segment in result["segments"]:
            segment["parts"] = _segment_parts(segment)
        meta = {k: doc.get(k) for k in ("title", "municipality", "date", "doc_type") if doc.get(k)}
        return render(request, "result.html", result=result, doc=result["document"], source=source, meta=meta,
                    file_type=TYPE_NAMES_DA.get(doc.get("file_type", ""), ""), inferred=doc.get("inferred") or [])

    # -- municipalities
    @app.get("/municipalities", response_class=HTMLResponse, include_in_schema=False)
    def municipalities(request: Request) -> HTMLResponse:
        if corpus is None:
            return no_data(request, "Kommuner")
        return render(request, "municipalities.html")

    @app.get("/municipality", include_in_schema=False)
    def municipality_index() -> RedirectResponse:
        return RedirectResponse("/municipalities", status_code=303)

    @app.get("/municipality/{name}", response_class=HTMLResponse, include_in_schema=False)
    def municipality(request: Request, name: str, period: str | None = None) -> HTMLResponse:
        if corpus is None:
            return no_data(request, f"Kommune: {name}")
        name = corpus.resolve(name)
        period = _period(period)
        table, national = corpus.trends([name], period)
        rows, nat_rows = trend_rows(table), trend_rows(national)
        nat_by_period = {r["period"]: r for r in nat_rows}
        return render(request, "municipality.html", name=name, period=period, rows=rows, national=nat_by_period,
                    attrs=table.attrs, chart=index_chart({name: rows}, nat_rows), rung_chart=rung_chart(table),
                    quotes=corpus.quotes(name), info=corpus.municipalities[name])

    @app.get("/compare", response_class=HTMLResponse, include_in_schema=False)
    def compare(request: Request, m: list[str] = Query(default=[]), period: str | None = None) -> HTMLResponse:
        if corpus is None:
            return no_data(request, "Sammenlign kommuner")
        wanted = [x for x in dict.fromkeys(s.strip() for s in m) if x]
        if not wanted:
            return render(request, "compare.html", names=[], period=_period(period), selected=[])
        if not 2 <= len(wanted) <= 4:
            raise WebError(400, f"Vælg 2 til 4 kommuner at sammenligne (du valgte {len(wanted)}).",
                           message_en="choose 2 to 4 municipalities")
        names = list(dict.fromkeys(corpus.resolve(x) for x in wanted))
        period = _period(period)
        table, national = corpus.trends(names, period)
        rows, nat_rows = trend_rows(table), trend_rows(national)
        series = {n: [r for r in rows if r["municipality"] == n] for n in names}
        periods = [r["period"] for r in nat_rows]
        grid = [{"period": p, "national": next(r for r in nat_rows if r["period"] == p),
                 "cells": [next((r for r in series[n] if r["period"] == p), None) for n in names]} for p in periods]
        return render(request, "compare.html", names=names, period=period, selected=names, grid=grid, attrs=table.attrs,
                    chart=index_chart(series, nat_rows))

    # -- search
    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search(request: Request, municipality: str | None = None, rung: str | None = None, actor: str | None = None,
               year: str | None = None, q: str | None = None, doc: str | None = None, page_: str | None = Query(None, alias="page")) -> HTMLResponse:
        if corpus is None:
            return no_data(request, "Søg")
        if actor and actor not in ACTOR_IDS:
            raise WebError(422, f"Ukendt aktør »{actor}«. Vælg en af: {', '.join(ACTOR_IDS)}.")
        query = SegmentQuery(municipality=corpus.resolve(municipality) if municipality and municipality.strip() else None,
                             rung=_int_param(rung, "trin", low=0, high=4), actor=actor or None,
                             year=_int_param(year, "år", low=1000, high=3000), q=(q or "").strip()[:200] or None,
                             doc_id=(doc or "").strip() or None)
        number = _int_param(page_, "side", low=1, high=1_000_000) or 1
        total, hits = corpus.search(query, page=number, per_page=PER_PAGE)
        pages = max(1, math.ceil(total / PER_PAGE))
        for hit in hits:
            text = hit["text"] or ""
            spans = _find_all(text, query.q) if query.q else evidence_spans(hit["evidence"], rung=hit["rung"])
            hit["parts"] = highlight(text, spans) if text else None
            hit["link"] = hit["url"]

        def link(n: int) -> str:
            params = {"municipality": query.municipality, "rung": query.rung, "actor": query.actor, "year": query.year,
                      "q": query.q, "doc": query.doc_id, "page": n}
            return "/search?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})

        return render(request, "search.html", query=query, total=total, hits=hits, page_number=number, pages=pages,
                    prev_link=link(number - 1) if number > 1 else None, next_link=link(number + 1) if number < pages else None,
                    searched=any(v is not None for v in vars(query).values()))

    # -- API
    @app.get("/api", response_class=HTMLResponse, include_in_schema=False)
    def api_page(request: Request) -> HTMLResponse:
        schema = app.openapi()
        endpoints = [{"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                      "description": op.get("description", "")}
                     for path, ops in schema.get("paths", {}).items() for method, op in ops.items()]
        return render(request, "api.html", endpoints=endpoints)

    errors = {400: {"model": ErrorBody}, 404: {"model": ErrorBody}, 413: {"model": ErrorBody}, 503: {"model": ErrorBody}}

    @app.post("/api/classify", response_model=ClassifyResponse, responses=errors, tags=["classify"])
    def api_classify(body: ClassifyRequest) -> dict[str, Any]:
        """Classify a text: the document's rung and actors, every segment with probabilities and evidence.

        Evidence ``start``/``end`` are character offsets into the returned (cleaned) ``text``.
        """
        return check_text(model, body.text)

    @app.get("/api/trends", response_model=TrendsResponse, responses=errors, tags=["trends"])
    def api_trends(municipality: str | None = Query(None, description="Municipality name; leave out for the national trend only."),
                   period: Literal["year", "quarter", "term"] = "year") -> dict[str, Any]:
        """Rung shares, co-creation index and actors per period for one municipality, and the national figure."""
        data = require_corpus()
        names = [data.resolve(municipality)] if municipality and municipality.strip() else []
        table, national = data.trends(names, period)
        return {"municipality": names[0] if names else None, "period": period, "estimator": table.attrs.get("estimator"),
                "estimator_reason": table.attrs.get("estimator_reason"), "warnings": list(table.attrs.get("warnings") or []),
                "rows": trend_rows(table) if names else [], "national": trend_rows(national)}

    @app.get("/api/segments", response_model=SegmentPage, responses=errors, tags=["search"])
    def api_segments(municipality: str | None = None, rung: int | None = Query(None, ge=0, le=4), actor: Actor | None = None,
                     year: int | None = Query(None, ge=1000, le=3000), q: str | None = Query(None, max_length=200),
                     doc_id: str | None = None, page: int = Query(1, ge=1), per_page: int = Query(PER_PAGE, ge=1, le=100)) -> dict[str, Any]:
        """Predicted segments filtered by municipality, rung, actor, year, document and free text (case-insensitive), paginated."""
        data = require_corpus()
        query = SegmentQuery(municipality=data.resolve(municipality) if municipality and municipality.strip() else None,
                             rung=rung, actor=actor.value if actor else None, year=year, q=(q or "").strip() or None,
                             doc_id=doc_id or None)
        total, hits = data.search(query, page=page, per_page=per_page)
        return {"total": total, "page": page, "per_page": per_page, "pages": max(1, math.ceil(total / per_page)), "items": hits}

    return app


def _find_all(text: str, needle: str | None) -> list[tuple[int, int, dict[str, Any]]]:
    """Case-insensitive occurrences of ``needle`` in ``text`` as highlight spans (at most 50)."""
    import re

    if not needle:
        return []
    found = re.finditer(re.escape(needle), text, flags=re.IGNORECASE)
    return [(m.start(), m.end(), {"rung": None, "score": None, "terms": ""}) for _, m in zip(range(50), found)]


def _version() -> str:
    from pipeline import __version__

    return __version__
