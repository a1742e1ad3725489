"""Checking one text: segment, classify, aggregate to the document, and cut the text into highlighted parts.

The work per request is bounded so that any accepted request answers within a few
seconds and small requests stay fast beside big ones: at most ``MAX_CHARS`` characters
and ``MAX_SEGMENTS`` classified segments (413 beyond, with a pointer to the CLI); the model predicts
``PREDICT_BATCH`` segments at a time and lets other requests in between; and only one big
text (over ``BIG_CHARS``) is worked on at a time: a second one gets 503 and "try again".
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

from pipeline.presentation import term_label
from pipeline.web.errors import WebError

MAX_CHARS = 200_000  # about 80 pages; longer texts are refused (413): the web page checks a document, not a corpus
MAX_SEGMENTS = 1_000  # segments per request (a text of many tiny paragraphs costs per segment)
BIG_CHARS = 20_000  # texts over this take the one big-text slot
PREDICT_BATCH = 64  # segments per model call; other requests may predict between batches
EVIDENCE_K = 3
_PREDICT_LOCK = threading.Lock()  # one prediction at a time: spaCy pipelines are not guaranteed thread-safe
_BIG_SLOT = threading.Semaphore(1)
_CLI_HINT = "samskab classify FILE --out predictions.jsonl"


def evidence_items(items: list[dict[str, Any]], offset: int) -> list[dict[str, Any]]:
    out = []
    for ev in items:
        start, end = ev.get("start"), ev.get("end")
        out.append({"sentence": " ".join(str(ev.get("sentence", "")).split()), "score": float(ev.get("score") or 0.0),
                    "start": None if start is None else offset + int(start), "end": None if end is None else offset + int(end),
                    "rung": ev.get("rung"), "terms": [(str(t), float(v)) for t, v in ev.get("terms") or []]})
    return out


class SharedModel:
    """The app's one model, as one request hands it to the library (:func:`pipeline.classify.classify_document`).

    ``predict_records`` refuses more than ``MAX_SEGMENTS`` records (413, before any
    prediction) and predicts ``PREDICT_BATCH`` records at a time under the one lock, so
    small requests slip in between the batches of a big one; everything else is the model's.
    """

    def __init__(self, model) -> None:  # noqa: ANN001
        self._model = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def predict_records(self, records: list[dict[str, Any]], **kwargs: Any) -> list[dict[str, Any]]:
        if len(records) > MAX_SEGMENTS:
            raise WebError(413, f"Teksten har for mange afsnit ({len(records):,}; højst {MAX_SEGMENTS:,}). Del den op, "
                                f"eller klassificér den på kommandolinjen: {_CLI_HINT}".replace(",", "."),
                           message_en=f"the text has too many segments ({len(records)}; at most {MAX_SEGMENTS}); "
                                      f"split it or use the CLI: {_CLI_HINT}")
        out: list[dict[str, Any]] = []
        for i in range(0, len(records), PREDICT_BATCH):
            with _PREDICT_LOCK:
                out += self._model.predict_records(records[i:i + PREDICT_BATCH], **kwargs)
        return out


def check_document(model, doc: dict[str, Any], *, evidence_k: int = EVIDENCE_K) -> dict[str, Any]:  # noqa: ANN001
    """One document -> its segments' predictions and the document's rung (pure; no I/O).

    The classification is the library's (:func:`pipeline.classify.classify_document`, as
    ``samskab explain --file``); a text of nothing but noise is classified anyway, so the
    page has an answer. Evidence offsets in the result refer to ``doc["text"]``.
    """
    from pipeline.classify import classify_document

    text = checked(doc)["text"]
    big = len(text) > BIG_CHARS
    if big and not _BIG_SLOT.acquire(blocking=False):
        raise WebError(503, "Serveren arbejder allerede på en anden lang tekst. Prøv igen om et øjeblik.",
                       message_en="busy with another long text; try again in a moment")
    try:
        preds, document = classify_document(SharedModel(model), {**doc, "id": str(doc.get("id") or "tekst")},
                                            evidence_k=evidence_k, classify_all_noise=True)
    finally:
        if big:
            _BIG_SLOT.release()
    starts = {p["id"]: int(p["start"]) for p in preds}
    doc_evidence = []
    for ev in document["evidence"]:
        doc_evidence += evidence_items([ev], starts.get(ev.get("segment_id"), 0))
    rung = int(document["rung"])
    return {
        "model": model.name,
        "text": text,
        "document": {"rung": rung, "rung_label": document["rung_label"], "rung_name_da": model.codebook.rungs[rung].name_da,
                     "rung_proba": [float(p) for p in document["rung_proba"]], "actors": list(document["actors"]),
                     "n_segments": int(document["n_segments"]), "segment_rung_counts": list(document["segment_rung_counts"]),
                     "evidence": doc_evidence},
        "segments": [_segment_result(pred) for pred in preds],
    }


def _segment_result(pred: dict[str, Any]) -> dict[str, Any]:
    """One segment of the result: its prediction, or (noise, not classified) rung None and skipped 'noise'."""
    base = {"id": pred["id"], "position": int(pred["position"]), "section": pred.get("section"),
            "section_kind": pred.get("section_kind"), "item": pred.get("item"), "start": int(pred["start"]),
            "end": int(pred["end"]), "text": pred["text"]}
    if pred["rung"] is None:
        return {**base, "rung": None, "rung_label": None, "rung_proba": None, "actors": [], "actor_proba": {},
                "evidence": [], "skipped": "noise"}
    return {**base, "rung": int(pred["rung"]), "rung_label": pred["rung_label"], "rung_proba": [float(v) for v in pred["rung_proba"]],
            "actors": list(pred["actors"]), "actor_proba": {k: float(v) for k, v in pred["actor_proba"].items()},
            "evidence": evidence_items(pred["evidence"], int(pred["start"])), "skipped": None}


def check_text(model, text: str) -> dict[str, Any]:  # noqa: ANN001
    """Pasted text -> :func:`check_document` of its cleaned version; WebError 400/413 for empty or huge text."""
    from pipeline.segment import clean_text

    if not text or not text.strip():
        raise WebError(400, "Teksten er tom. Indsæt en tekst eller vælg en fil.", message_en="the text is empty")
    checked({"text": text})  # refuse a huge text before cleaning it
    return check_document(model, {"id": "tekst", "text": clean_text(text)})


def checked(doc: dict[str, Any]) -> dict[str, Any]:
    n = len(doc.get("text") or "")
    if not n or not doc["text"].strip():
        raise WebError(400, "Der er ingen tekst at tjekke.", message_en="there is no text to check")
    if n > MAX_CHARS:
        raise WebError(413, f"Teksten er for lang ({n:,} tegn; højst {MAX_CHARS:,}). Del den op, eller klassificér den "
                            f"på kommandolinjen: {_CLI_HINT}".replace(",", "."),
                       message_en=f"the text is too long ({n} characters; at most {MAX_CHARS}); split it or use the CLI: {_CLI_HINT}")
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
    return [(ev["start"] - offset, ev["end"] - offset, {"rung": rung, "score": ev["score"], "terms": ", ".join(dict.fromkeys(term_label(t) for t, _ in ev.get("terms") or []))})
            for ev in sorted(scored, key=lambda e: -e["score"]) if ev["score"] >= min_share * top]


def segment_parts(segment: dict[str, Any]) -> list[dict[str, Any]]:
    return highlight(segment["text"], evidence_spans(segment["evidence"], offset=segment["start"], rung=segment["rung"]))


def find_all(text: str, needle: str | None) -> list[tuple[int, int, dict[str, Any]]]:
    """Case-insensitive occurrences of ``needle`` in ``text`` as highlight spans (at most 50)."""


    if not needle:
        return []
    found = re.finditer(re.escape(needle), text, flags=re.IGNORECASE)
    return [(m.start(), m.end(), {"rung": None, "score": None, "terms": ""}) for _, m in zip(range(50), found)]
