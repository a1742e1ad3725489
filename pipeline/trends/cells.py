"""The figures of one trend cell with their 95% intervals."""

from __future__ import annotations

import math
import warnings as pywarnings
from typing import TYPE_CHECKING

from pipeline.codebook import ACTOR_IDS
from pipeline.trends.calibration import Correction
from pipeline.trends.features import LAYOUT as L
from pipeline.trends.quantify import N_RUNGS, Estimator, adjust_many

if TYPE_CHECKING:
    import numpy as np

INTERVAL_FIELDS = [f"share_rung_{k}" for k in range(N_RUNGS)] + ["share_ge3", "share_docs_ge3", "mean_rung", "talk_practice_ratio"]
#: cc fields with a Wilson interval: field -> (count columns, denominator column)
WILSON_FIELDS = {**{f"share_rung_{k}": ((f"count_{k}",), "items") for k in range(N_RUNGS)},
                 "share_ge3": (("count_3", "count_4"), "items"),
                 "share_docs_ge3": (("doc_count_3", "doc_count_4"), "docs")}


def _correct(observed: np.ndarray, spec: Estimator, corr: Correction, boot: bool) -> np.ndarray:
    import numpy as np

    if corr.kind == "rates":
        return adjust_many(corr.boot if boot else corr.point, observed)
    if corr.kind == "rectifier":  # unclipped: linear figures (share >= 3, mean rung) are taken before clipping
        rect = corr.boot if boot else corr.point
        return observed[:, :N_RUNGS] + rect[: len(observed)]
    return observed[:, :N_RUNGS]


def figures(s: np.ndarray, spec: Estimator, corr: Correction, *, boot: bool = False) -> dict[str, np.ndarray]:
    """Figures of a cell from feature sums ``s`` (rows = point estimate, or bootstrap rounds when ``boot``).

    The document-level share is corrected with the same estimator and correction as the
    unit shares: exact for one-segment documents; for longer documents the segment-level
    error rates are an approximation (a document has several chances to be misread).
    """
    import numpy as np

    n = s[:, L.col("items")]
    docs = s[:, L.col("docs")]
    with np.errstate(divide="ignore", invalid="ignore"):
        if spec.cc_like:
            observed = s[:, L.block("count")] / n[:, None]
            doc_observed = s[:, L.block("doc_count")] / docs[:, None]
        else:
            observed = s[:, L.block("psum")] / n[:, None]
            doc_observed = s[:, L.block("doc_psum")] / docs[:, None]
        q = _correct(observed, spec, corr, boot)
        dq = _correct(doc_observed, spec, corr, boot)
        ks = np.arange(N_RUNGS)
        mean_rung = (q @ ks) / q.sum(axis=1) if spec.name == "cc" else np.clip(q @ ks, 0, N_RUNGS - 1)
        share_ge3 = np.clip(q[:, 3] + q[:, 4], 0, 1)
        share_docs_ge3 = np.clip(dq[:, 3] + dq[:, 4], 0, 1)
        q = np.clip(q, 0, 1)  # PPI can step below 0 where a rung is rare
        vocab_n = s[:, L.col("vocab_n")]
        talk = s[:, L.col("talk_cc" if spec.cc_like else "talk_p")] / vocab_n
        prac = s[:, L.col("prac_cc" if spec.cc_like else "prac_p")] / vocab_n
        ratio = np.where((prac == 0) & (talk > 0), np.inf, talk / prac)
        out = {f"share_rung_{k}": q[:, k] for k in range(N_RUNGS)}
        out.update(
            uncertain_share=s[:, L.col("count_uncertain")] / n,
            share_ge3=share_ge3,
            share_docs_ge3=share_docs_ge3,
            mean_rung=mean_rung,
            talk_share=talk, practice_share=prac, talk_practice_ratio=ratio,
            **{f"actor_{a}": s[:, L.col(f"actor_{a}")] / n for a in ACTOR_IDS},
        )
    return out


def wilson(k: np.ndarray, n: np.ndarray, z: float = 1.959964) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score 95% interval for k successes out of n (NaN where n == 0)."""
    import numpy as np

    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        phat = k / n
        denom = 1 + z**2 / n
        centre = (phat + z**2 / (2 * n)) / denom
        half = z * np.sqrt(phat * (1 - phat) / n + z**2 / (4 * n**2)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def cell_row(features: np.ndarray, *, spec: Estimator, corr: Correction, bootstrap: int,
             rng: np.random.Generator) -> dict[str, float]:
    """Point estimates and 95% intervals of one cell from its per-document feature rows.

    Intervals come from a bootstrap over the cell's documents, so a cell with one document
    gets none (NaN, shown as "–") rather than a zero-width interval; Wilson intervals on
    segment counts (cc) are kept.
    """
    import numpy as np

    total = features.sum(axis=0, keepdims=True)
    row: dict[str, float] = {k: float(v[0]) for k, v in figures(total, spec, corr).items()}
    boot = None
    if bootstrap > 0 and len(features) >= 2:  # one document: a bootstrap over documents would claim certainty
        d = len(features)
        weights = rng.multinomial(d, np.full(d, 1.0 / d), size=bootstrap).astype(float)
        boot = figures(weights @ features, spec, corr, boot=True)
    quantiles: dict[str, tuple[float, float]] = {}
    if boot is not None:
        stacked = np.column_stack([boot[f] for f in INTERVAL_FIELDS])
        stacked[np.isinf(stacked)] = np.nan  # only the ratio can be inf; its interval is redone below
        with np.errstate(invalid="ignore"), pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN, as they should
            lo, hi = np.nanquantile(stacked, [0.025, 0.975], axis=0)
        quantiles = {f: (float(a), float(b)) for f, a, b in zip(INTERVAL_FIELDS, lo, hi)}
    for field in INTERVAL_FIELDS:
        if spec.name == "cc" and field in WILSON_FIELDS:
            cols, denom = WILSON_FIELDS[field]
            lo, hi = wilson(sum(total[0, L.col(c)] for c in cols), total[0, L.col(denom)])
            row[f"{field}_lo"], row[f"{field}_hi"] = float(lo), float(hi)
        elif boot is not None and field == "talk_practice_ratio":
            values = boot[field]
            values = values[~np.isnan(values)]  # inf (no practice in a resample) is kept
            if len(values):
                row[f"{field}_lo"] = float(np.quantile(values, 0.025, method="nearest"))
                row[f"{field}_hi"] = float(np.quantile(values, 0.975, method="nearest"))
            else:
                row[f"{field}_lo"] = row[f"{field}_hi"] = math.nan
        elif boot is not None:
            row[f"{field}_lo"], row[f"{field}_hi"] = quantiles[field]
        else:
            row[f"{field}_lo"] = row[f"{field}_hi"] = math.nan
    return row


OPTIMISTIC = "optimistic: error rates from written examples, real text is misread more often"
COUNTS_ONLY = "covers the classifier's counts, not the true share"


def ci_method(spec: Estimator, corr: Correction, bootstrap: int) -> str:
    """How a row's 95% intervals were made, and what they do (not) cover."""
    if spec.name == "cc":
        return (f"wilson ({COUNTS_ONLY})" + (f"; mean_rung, ratio: bootstrap over documents ({bootstrap})" if bootstrap else ""))
    if not bootstrap:
        return "none (bootstrap=0)"
    if corr.kind is None:
        return f"percentile bootstrap over documents ({bootstrap}); {COUNTS_ONLY}"
    if corr.source == "heldout":
        return f"percentile bootstrap over documents and the held-out set ({bootstrap}); {OPTIMISTIC}"
    return f"percentile bootstrap over documents and the calibration sample ({bootstrap})"

