"""From prediction records to units: which records count, and one feature row per document.

Every figure of a trend cell is a function of the column sums of its per-document
feature rows, so a bootstrap over documents is a weight matrix times the feature table.
The columns are named (:data:`LAYOUT`), never addressed by bare offsets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pipeline.codebook import ACTOR_IDS
from pipeline.errors import DataError
from pipeline.trends.periods import period_key, year_month
from pipeline.trends.quantify import N_RUNGS, UNCERTAIN, normalise, predict

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

UNKNOWN = "(unknown)"
#: Languages trends keep by default (contract 3): Danish, and too short to tell.
DEFAULT_LANGUAGES = ("da", "und")
try:  # the ingest helper's section kinds (contract 1); older trees lack them
    from pipeline.segment import NOISE_SECTION_KINDS
except ImportError:  # pragma: no cover - depends on the merge order
    NOISE_SECTION_KINDS = frozenset({"toc", "navigation", "attendance", "appendix_list", "case_history"})


class Layout:
    """Named columns of the per-document feature matrix.

    ``col(name)`` is one column, ``block(prefix)`` the consecutive columns ``prefix_*``.
    """

    def __init__(self) -> None:
        rungs = [str(k) for k in range(N_RUNGS)]
        names = ["docs", "items"]
        names += [f"count_{k}" for k in rungs] + ["count_uncertain"]          # hard predictions per unit
        names += [f"psum_{k}" for k in rungs]                                 # summed probabilities
        names += [f"doc_count_{k}" for k in rungs] + ["doc_count_uncertain"]  # the document's highest certain rung
        names += [f"doc_psum_{k}" for k in rungs]                             # P(document's highest rung = k)
        names += ["talk_cc", "prac_cc", "talk_p", "prac_p", "vocab_n", "segs"]
        names += [f"actor_{a}" for a in ACTOR_IDS]
        self.names = tuple(names)
        self._index = {n: i for i, n in enumerate(names)}

    def __len__(self) -> int:
        return len(self.names)

    def col(self, name: str) -> int:
        return self._index[name]

    def block(self, prefix: str) -> slice:
        idx = [i for n, i in self._index.items() if n.startswith(prefix + "_")]
        assert idx == list(range(idx[0], idx[-1] + 1)), prefix  # blocks are consecutive by construction
        return slice(idx[0], idx[-1] + 1)


LAYOUT = Layout()


def leave_out_reason(record: Mapping[str, Any], languages: Sequence[str] | None) -> str | None:
    """Why a record is not counted: 'noise' (contract 2), 'non_danish' (contract 3), or None."""
    if record.get("skipped") == "noise" or record.get("section_kind") in NOISE_SECTION_KINDS:
        return "noise"
    if record.get("rung") is None and record.get("rung_proba") is None and record.get("skipped"):
        return "noise"
    lang = record.get("lang")
    if languages is not None and lang not in (None, "") and str(lang) not in languages:
        return "non_danish"
    return None


def segments_frame(records: Sequence[Mapping[str, Any]], by: Sequence[str], period: str) -> tuple[pd.DataFrame, np.ndarray, int]:
    """One row per placeable segment (id, keys, doc, period key, vocab, actors) + probabilities.

    Returns the frame, the probability matrix and the number of records without a date.
    """
    import numpy as np
    import pandas as pd

    rows: list[dict[str, Any]] = []
    probs: list[list[float]] = []
    dropped = 0
    for i, r in enumerate(records):
        year, month = year_month(r)
        key = period_key(year, month, period)
        if key is None:
            dropped += 1
            continue
        probs.append(_probabilities(r, i))
        seg_id = r.get("id")
        seg_id = str(seg_id) if seg_id is not None else f"#{i}"
        doc = r.get("doc_id")
        vocab = r.get("vocab")
        if isinstance(vocab, str):
            vocab = {"true": True, "1": True, "false": False, "0": False}.get(vocab.strip().lower())
        actors = r.get("actors") or []
        if isinstance(actors, str):
            actors = [a.strip() for a in actors.replace(";", ",").split(",")]
        row = {f"key_{c}": (UNKNOWN if r.get(c) in (None, "") else str(r.get(c))) for c in by}
        row.update(id=seg_id, doc=f"doc:{doc}" if doc not in (None, "") else f"seg:{seg_id}", pkey=key,
                   vocab=np.nan if vocab is None else float(bool(vocab)),
                   **{f"actor_{a}": float(a in actors) for a in ACTOR_IDS})
        rows.append(row)
    columns = [f"key_{c}" for c in by] + ["id", "doc", "pkey", "vocab"] + [f"actor_{a}" for a in ACTOR_IDS]
    frame = pd.DataFrame(rows, columns=columns)
    p = normalise(np.asarray(probs, dtype=float).reshape(-1, N_RUNGS))
    return frame, p, dropped


def _probabilities(r: Mapping[str, Any], i: int) -> list[float]:
    proba = r.get("rung_proba")
    if proba is not None and not isinstance(proba, (list, tuple)) and hasattr(proba, "tolist"):
        proba = proba.tolist()
    if isinstance(proba, (list, tuple)) and len(proba) == N_RUNGS:
        try:
            return [float(v) for v in proba]
        except (TypeError, ValueError) as e:
            raise DataError(detail=f"record {r.get('id', i)!r}: rung_proba {proba!r} is not 5 numbers") from e
    rung = r.get("rung")
    try:
        rung = int(rung)
    except (TypeError, ValueError):
        rung = -1
    if not 0 <= rung < N_RUNGS:
        raise DataError(detail=f"record {r.get('id', i)!r}: needs rung_proba (5 floats) or rung 0-4, got rung={r.get('rung')!r}; run `samskab classify` first")
    return [1.0 if k == rung else 0.0 for k in range(N_RUNGS)]


def document_features(seg: pd.DataFrame, p_seg: np.ndarray, *, unit: str, threshold: float, keys: list[str]) -> pd.DataFrame:
    """Per-document feature table (columns :data:`LAYOUT`) with the cell keys and period key.

    A document's rung probabilities are the per-document maximum of P(rung >= k) over its
    segments, differenced; its cc rung is the highest certain rung of its segments.
    """
    import numpy as np
    import pandas as pd

    L = LAYOUT
    if len(seg) == 0:
        return pd.DataFrame(columns=list(L.names) + keys + ["doc", "pkey"])
    n = len(seg)
    pred_seg = predict(p_seg, threshold)
    cum = np.cumsum(p_seg[:, ::-1], axis=1)[:, ::-1]  # P(rung >= k) per segment
    # the segment's cc rung (-1: uncertain); a document reaches the highest of them. For
    # threshold >= 0.5 this is "the highest rung whose probability reaches the threshold".
    reach = np.where(pred_seg < UNCERTAIN, pred_seg, -1)
    vocab = seg["vocab"].to_numpy(dtype=float)
    known = ~np.isnan(vocab)
    v = np.nan_to_num(vocab)
    certain = pred_seg < UNCERTAIN
    seg_cols = {
        "talk_cc": known * v * (pred_seg == 0),
        "prac_cc": known * (certain & (pred_seg > 0)),
        "talk_p": known * v * p_seg[:, 0],
        "prac_p": known * (1 - p_seg[:, 0]),
        "vocab_n": known.astype(float),
        "segs": np.ones(n),
        **{f"s_cum{k}": cum[:, k] for k in range(N_RUNGS)},
        "s_reach": reach.astype(float),
    }
    # a document split over groups or periods (segment-level fields) counts once in each
    frame = seg.assign(**seg_cols)
    frame["doc"] = frame.groupby(keys + ["pkey", "doc"], sort=False, dropna=False).ngroup()
    actor_cols = [f"actor_{a}" for a in ACTOR_IDS]
    agg = {c: "sum" for c in seg_cols if not c.startswith("s_")}
    agg.update({f"s_cum{k}": "max" for k in range(N_RUNGS)}, s_reach="max", **{c: "max" for c in actor_cols},
               **{k: "first" for k in keys}, pkey="first")
    docs = frame.groupby("doc", sort=False).agg(agg)
    doc_cum = np.column_stack([docs[f"s_cum{k}"].to_numpy() for k in range(N_RUNGS)] + [np.zeros(len(docs))])
    doc_p = doc_cum[:, :-1] - doc_cum[:, 1:]
    doc_reach = docs["s_reach"].to_numpy().astype(int)
    doc_pred = np.where(doc_reach >= 0, doc_reach, UNCERTAIN)
    doc_onehot = np.zeros((len(docs), N_RUNGS + 1))
    doc_onehot[np.arange(len(docs)), doc_pred] = 1.0

    f = np.zeros((len(docs), len(L)))
    f[:, L.col("docs")] = 1.0
    f[:, L.block("doc_count")] = doc_onehot
    f[:, L.block("doc_psum")] = doc_p
    if unit == "document":
        f[:, L.col("items")] = 1.0
        f[:, L.block("count")] = doc_onehot
        f[:, L.block("psum")] = doc_p
        f[:, L.block("actor")] = docs[actor_cols].to_numpy()
    else:
        onehot = np.zeros((n, N_RUNGS + 1))
        onehot[np.arange(n), pred_seg] = 1.0
        per_seg = pd.DataFrame(np.hstack([onehot, p_seg, seg[actor_cols].to_numpy()]))
        per_seg["doc"] = frame["doc"].to_numpy()
        sums = per_seg.groupby("doc", sort=False).sum().loc[docs.index].to_numpy()
        f[:, L.col("items")] = docs["segs"].to_numpy()
        f[:, L.block("count")] = sums[:, :N_RUNGS + 1]
        f[:, L.block("psum")] = sums[:, N_RUNGS + 1:2 * N_RUNGS + 1]
        f[:, L.block("actor")] = sums[:, 2 * N_RUNGS + 1:]
    for name in ("talk_cc", "prac_cc", "talk_p", "prac_p", "vocab_n", "segs"):
        f[:, L.col(name)] = docs[name].to_numpy()
    out = pd.DataFrame(f, columns=list(L.names))
    for k in keys:
        out[k] = docs[k].to_numpy()
    out["doc"] = docs.index.to_numpy()
    out["pkey"] = docs["pkey"].to_numpy()
    return out
