"""Active learning: which unlabelled segments should annotators see next?

Every candidate gets a usefulness score from the model's rung probabilities
(``uncertainty`` = entropy, ``margin`` = 1 - (top1 - top2)); ``diverse`` additionally
spreads the picks over TF-IDF space (uncertainty-weighted k-center greedy) so that 200
near-identical agenda items are not queued together. All strategies take municipalities
in turn (round-robin, best first), so one large municipality cannot fill the queue.

Memory stays bounded on a large corpus: segments are scored batch by batch and only the
best ``pool`` candidates per municipality are kept.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import DataError, UnknownNameError
from pipeline.labelling import STRATEGIES

UNKNOWN_MUNICIPALITY = "(unknown)"


def entropy(proba: np.ndarray) -> np.ndarray:
    """Rung entropy scaled to [0, 1] (1 = all five rungs equally likely)."""
    p = np.clip(np.asarray(proba, dtype=float), 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=1) / math.log(p.shape[1])


def margin_score(proba: np.ndarray) -> np.ndarray:
    """1 - (top1 - top2): high when the two likeliest rungs are close."""
    top = np.sort(np.asarray(proba, dtype=float), axis=1)
    return 1.0 - (top[:, -1] - top[:, -2])


def usefulness(proba: np.ndarray, *, strategy: str) -> np.ndarray:
    if strategy not in STRATEGIES:
        raise UnknownNameError(kind="queue strategy", name=strategy, choices=", ".join(STRATEGIES))
    return margin_score(proba) if strategy == "margin" else entropy(proba)


def _why_not(segment: dict[str, Any], exclude: set[str]) -> str | None:
    """Why a segment cannot be queued: 'labelled', 'noise' (contract 2: never classified) or 'empty'; None if it can."""
    from pipeline.segment import NOISE_SECTION_KINDS

    if str(segment["id"]) in exclude:
        return "labelled"
    if segment.get("skipped") == "noise" or segment.get("section_kind") in NOISE_SECTION_KINDS:
        return "noise"
    if not (isinstance(segment.get("text"), str) and segment["text"].strip()):
        return "empty"
    return None


def score_candidates(batches: Iterable[list[dict[str, Any]]], model, *, strategy: str,  # noqa: ANN001
                     exclude: set[str] | None = None, pool: int = 1000,
                     counts: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Predict unlabelled segments batch by batch; keep the ``pool`` best per municipality.

    ``counts`` (when given) is filled with the segments read ('segments') and those left
    out by reason ('labelled', 'noise', 'empty').
    """
    exclude = exclude or set()
    counts = counts if counts is not None else {}
    for key in ("segments", "labelled", "noise", "empty"):
        counts.setdefault(key, 0)
    heaps: dict[str, list[tuple[float, str, int, dict[str, Any]]]] = {}
    seen = 0
    for batch in batches:
        todo = []
        for s in batch:
            counts["segments"] += 1
            why = _why_not(s, exclude)
            if why:
                counts[why] += 1
            else:
                todo.append(s)
        if not todo:
            continue
        preds = model.predict_records(todo, evidence_k=0)
        scores = usefulness(np.array([p["rung_proba"] for p in preds]), strategy=strategy)
        for seg, pred, score in zip(todo, preds, scores.tolist(), strict=True):
            cand = {"id": str(seg["id"]), "text": seg["text"], "municipality": seg.get("municipality") or UNKNOWN_MUNICIPALITY,
                    **{k: seg[k] for k in ("doc_id", "year", "doc_type") if seg.get(k) is not None},
                    "score": round(float(score), 6), "pred_rung": pred["rung"], "pred_actors": pred["actors"],
                    "rung_proba": pred["rung_proba"]}
            heap = heaps.setdefault(cand["municipality"], [])
            # min-heap on (score, reversed id) keeps the best; ties go to the smaller id
            seen += 1
            item = (cand["score"], _Desc(cand["id"]), -seen, cand)
            if len(heap) < pool:
                heapq.heappush(heap, item)
            elif item[:2] > heap[0][:2]:
                heapq.heapreplace(heap, item)
    return [c for heap in heaps.values() for *_, c in heap]


class _Desc(str):
    """A string that sorts in reverse, so that heap ties prefer the smaller id."""

    def __lt__(self, other: str) -> bool:  # type: ignore[override]
        return str.__gt__(self, other)

    def __gt__(self, other: str) -> bool:  # type: ignore[override]
        return str.__lt__(self, other)


def _by_municipality(candidates: list[dict[str, Any]]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        groups.setdefault(c["municipality"], []).append(i)
    for idx in groups.values():
        idx.sort(key=lambda i: (-candidates[i]["score"], candidates[i]["id"]))
    return groups


def round_robin(candidates: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """Best first within each municipality, one municipality after another."""
    groups = _by_municipality(candidates)
    order = sorted(groups, key=lambda m: (-candidates[groups[m][0]]["score"], m))
    picked: list[dict[str, Any]] = []
    depth = 0
    while len(picked) < n and any(depth < len(groups[m]) for m in order):
        for m in order:
            if depth < len(groups[m]) and len(picked) < n:
                picked.append(candidates[groups[m][depth]])
        depth += 1
    return picked


def diverse_round_robin(candidates: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """Uncertainty-weighted k-center greedy over TF-IDF, taking municipalities in turn.

    Each pick maximises score x (cosine distance to the nearest segment already picked,
    from any municipality), so near-duplicates score ~0 once one of them is queued.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not candidates:
        return []
    x = TfidfVectorizer(sublinear_tf=True, min_df=1, lowercase=True).fit_transform([c["text"] for c in candidates])
    scores = np.array([c["score"] for c in candidates])
    distance = np.ones(len(candidates))
    taken = np.zeros(len(candidates), dtype=bool)
    groups = _by_municipality(candidates)
    order = sorted(groups, key=lambda m: (-candidates[groups[m][0]]["score"], m))
    members = {m: np.array(idx) for m, idx in groups.items()}
    picked: list[dict[str, Any]] = []
    while len(picked) < n:
        progressed = False
        for m in order:
            idx = members[m][~taken[members[m]]]
            if not len(idx) or len(picked) >= n:
                continue
            gain = scores[idx] * distance[idx]
            best = int(idx[np.argmax(gain)])  # argmax takes the first on ties: idx is sorted best score, then id
            taken[best] = True
            picked.append({**candidates[best], "distance": round(float(distance[best]), 4)})
            sims = (x @ x[best].T).toarray().ravel()
            distance = np.minimum(distance, np.clip(1.0 - sims, 0.0, 1.0))
            progressed = True
        if not progressed:
            break
    return picked


def build_queue(batches: Iterable[list[dict[str, Any]]], model, *, n: int = 200, strategy: str = "uncertainty",  # noqa: ANN001
                exclude: set[str] | None = None, pool_factor: int = 5,
                counts: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """The ``n`` unlabelled segments worth labelling next, ranked, with the model's suggestions.

    Returns records {id, text, municipality, rank, strategy, score, pred_rung, pred_actors,
    rung_proba}, ready for ``samskab label export --ids``; ``counts`` as in :func:`score_candidates`.
    """
    usefulness(np.zeros((1, 5)) + 0.2, strategy=strategy)  # fail early on an unknown strategy
    if n < 1:
        raise DataError(detail=f"queue size must be at least 1, not {n}")
    pool = n * (pool_factor if strategy == "diverse" else 1)
    candidates = score_candidates(batches, model, strategy=strategy, exclude=exclude, pool=pool, counts=counts)
    if strategy == "diverse":
        picked = diverse_round_robin(candidates, n)
    else:
        picked = round_robin(candidates, n)
    return [{**c, "rank": rank, "strategy": strategy} for rank, c in enumerate(picked, 1)]


def labelled_ids(*, store=None, files: Iterable[str] = (), human_only: bool = True) -> set[str]:  # noqa: ANN001
    """Ids that already have labels: human labels in the store (rule silver labels do not
    count) and every id in the given label files."""
    from pipeline.io import read_records
    from pipeline.labelling import RULES_ANNOTATOR

    ids: set[str] = set()
    if store is not None:
        ids |= {r["segment_id"] for r in store.read_labels() if not (human_only and r["annotator"] == RULES_ANNOTATOR)}
    for path in files:
        ids |= {str(r.get("id", r.get("segment_id"))) for r in read_records(path)}
    return ids


@dataclass
class QueueResult:
    """The queue written, and why it may be shorter than asked: segments read and left out by reason."""

    records: list[dict[str, Any]]
    asked: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def shortfall(self) -> str | None:
        """Why fewer than ``asked`` were queued, in words; None when the queue is full."""
        if len(self.records) >= self.asked:
            return None
        c = self.counts
        left = ", ".join(f"{c[k]} {words}" for k, words in (("labelled", "already labelled"), ("noise", "noise sections (not classified)"),
                                                              ("empty", "without text")) if c.get(k))
        return (f"only {len(self.records)} of the {self.asked} asked for: the input has {c.get('segments', 0)} segments"
                + (f", of which {left}" if left else "") + "; add documents (samskab ingest) to queue more")


def queue_for_annotation(input_path: str | Path | None, out: str | Path, *, db: str | Path | None = None, n: int = 200,
                         strategy: str = "uncertainty", model_dir: str | Path | None = None,
                         exclude: Iterable[str | Path] = ()) -> QueueResult:
    """Build the queue from a file, folder or store (skipping labelled ids and noise) and write ``out``."""
    from pipeline.sources import open_source
    from pipeline.io import RecordWriter
    from pipeline.models import load_model

    usefulness(np.full((1, 5), 0.2), strategy=strategy)
    model = load_model(model_dir)
    skip: set[str] = set()
    if db is not None:
        from pipeline.store import CorpusStore

        with CorpusStore(db, read_only=True) as store:
            skip = labelled_ids(store=store)
    skip |= labelled_ids(files=[str(p) for p in exclude])
    counts: dict[str, int] = {}
    queue = build_queue(open_source(input_path, db=db).batches(), model, n=n, strategy=strategy, exclude=skip, counts=counts)
    result = QueueResult(queue, n, counts)
    if not queue:
        raise DataError(detail=f"no unlabelled segments left to queue ({result.shortfall})")
    with RecordWriter(out) as writer:
        writer.write(queue)
    return result
