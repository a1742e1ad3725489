"""Aggregate segment predictions to documents: one strong paragraph is enough.

A document's rung is the highest rung some classified segment reaches with
P(rung >= k) >= ``min_rung_proba``; its actors are the union of its segments'; its evidence
is the segments' best sentences for that rung. Noise segments are left out.
"""

from __future__ import annotations

from typing import Any

from pipeline.records import PASSTHROUGH, PredictionRecord


def cumulative(proba: list[float]) -> list[float]:
    """P(rung >= k) for k = 0..4."""
    out, acc = [0.0] * 5, 0.0
    for k in range(4, -1, -1):
        acc += proba[k]
        out[k] = min(acc, 1.0)
    return out


def aggregate_documents(preds: list[PredictionRecord], *, min_rung_proba: float = 0.5, evidence_k: int = 3) -> list[PredictionRecord]:
    """Segment predictions -> one record per document.

    A document reaches rung k when some segment has P(rung >= k) >= ``min_rung_proba``;
    its distribution is built from the per-document maximum of those cumulative
    probabilities, so one strong paragraph is enough and weak ones do not add up.
    Noise segments (rung null) are left out; a document with nothing but noise gets the
    null record (rung null, ``skipped: "noise"``, ``n_segments`` 0), as its segments do.
    """
    from pipeline.codebook import load_codebook

    rung_ids = load_codebook().rung_ids
    docs: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    for p in preds:
        doc_id = str(p.get("doc_id") or p["id"])
        d = docs.get(doc_id)
        if d is None:
            order.append(doc_id)
            d = docs[doc_id] = {"id": doc_id, "cum": [0.0] * 5, "actors": set(), "evidence": [], "segment_rungs": [0] * 5, "langs": {},
                                "n_segments": 0, "meta": {k: p.get(k) for k in PASSTHROUGH
                                                          if k not in ("doc_id", "position", "section", "section_kind")}}
        if p.get("rung") is None:  # noise segments are left out (contract 2)
            continue
        d["n_segments"] += 1
        d["segment_rungs"][p["rung"]] += 1
        d["cum"] = [max(a, b) for a, b in zip(d["cum"], cumulative(p["rung_proba"]), strict=True)]
        d["actors"].update(p.get("actors") or [])
        if p.get("lang"):
            d["langs"][p["lang"]] = d["langs"].get(p["lang"], 0) + 1
        for ev in p.get("evidence", []):
            d["evidence"].append({**ev, "segment_id": p["id"]})
    actor_order = load_codebook().actor_ids
    out = []
    for doc_id in order:
        d = docs[doc_id]
        if not d["n_segments"]:
            out.append({"id": doc_id, "rung": None, "rung_label": None, "rung_proba": None, "actors": [], "evidence": [],
                        "n_segments": 0, "segment_rung_counts": d["segment_rungs"], "skipped": "noise",
                        **{k: v for k, v in d["meta"].items() if v is not None}})
            continue
        cum = d["cum"]
        cum[0] = 1.0
        for k in range(1, 5):  # keep it monotone
            cum[k] = min(cum[k], cum[k - 1])
        proba = [round(cum[k] - (cum[k + 1] if k < 4 else 0.0), 6) for k in range(5)]
        rung = max([k for k in range(5) if cum[k] >= min_rung_proba] or [0])
        evidence = sorted((e for e in d["evidence"] if e.get("rung") == rung), key=lambda e: -e.get("score", 0))[:evidence_k]
        out.append({"id": doc_id, "rung": rung, "rung_label": rung_ids[rung], "rung_proba": proba,
                    "actors": [a for a in actor_order if a in d["actors"]], "evidence": evidence,
                    "n_segments": d["n_segments"], "segment_rung_counts": d["segment_rungs"],
                    **({"lang": _document_lang(d["langs"])} if d["langs"] else {}),
                    **{k: v for k, v in d["meta"].items() if v is not None}})
    return out


def _document_lang(langs: dict[str, int]) -> str:
    """The language of most of a document's classified segments ("und" only when nothing else is known)."""
    known = {k: v for k, v in langs.items() if k != "und"}
    return max(sorted(known), key=known.__getitem__) if known else "und"
