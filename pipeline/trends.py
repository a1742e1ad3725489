"""Trend tables: per-municipality (or any grouping) prevalence of each rung over time.

A classifier's raw counts are biased estimates of how common a rung is, so the table
offers the standard quantification estimators (Forman 2008; Bella et al. 2010; QuaPy):

* ``cc``   classify and count: a unit counts toward its top rung only when that rung's
  probability is >= ``threshold``; the rest are reported as ``uncertain_share``.
* ``pcc``  probabilistic classify and count: the mean of the rung probabilities.
* ``acc``  cc adjusted by the held-out confusion rates P(pred | true) (NNLS, renormalised).
* ``pacc`` pcc adjusted by the held-out mean probabilities per true rung.
* ``auto`` the one with the lowest absolute error on the held-out set under shifted
  class priors (artificial-prevalence protocol); the choice and why go in ``.attrs``.

The held-out set is ``heldout_predictions.jsonl`` in a model folder: out-of-sample
``{"id", "rung_true", "rung_proba"}`` per labelled segment. Intervals resample documents
inside each cell and, for acc/pacc, the held-out set too, so they carry the classifier's
own uncertainty, not only the sampling of documents.

Columns of the returned table (one row per group and period, a "TrendRow"): see
:data:`TREND_COLUMNS`.
"""

from __future__ import annotations

import json
import math
import re
import warnings as pywarnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.codebook import ACTOR_IDS, RUNG_IDS
from pipeline.errors import DataError, ModelError, StoreError, UnknownNameError

if TYPE_CHECKING:  # heavy imports stay lazy at runtime
    import numpy as np
    import pandas as pd

PERIODS = ("year", "quarter", "term")
UNITS = ("segment", "document")
ESTIMATORS = ("cc", "pcc", "acc", "pacc")
_UNADJUSTED = {"acc": "cc", "pacc": "pcc"}
N_RUNGS = len(RUNG_IDS)
UNCERTAIN = N_RUNGS  # index of the "top probability below threshold" prediction
UNKNOWN = "(unknown)"
HELDOUT_FILE = "heldout_predictions.jsonl"
#: Municipal election terms (valgperioder) start on 1 January after the November election.
TERM_FIRST_YEAR = 2006
TERM_YEARS = 4
#: Smallest held-out set on which ``auto`` compares estimators instead of defaulting to pcc.
MIN_HELDOUT_FOR_AUTO = 30

_DATE = re.compile(r"^\s*(\d{4})-(\d{2})(?:-(\d{2}))?")

#: The TrendRow contract: column -> meaning. ``by`` columns come first.
TREND_COLUMNS: dict[str, str] = {
    "period": "period label: '2019', '2019Q1' or the election term '2018-2021'",
    "period_start": "ISO date the period starts (sortable)",
    "n_documents": "documents in the cell (0 = empty period, all figures NaN)",
    "n_segments": "segments in the cell",
    "estimator": "quantification estimator used (cc, pcc, acc, pacc)",
    "ci_method": "how the 95% intervals were made",
    **{f"share_rung_{k}": f"estimated share of units at rung {k} ({RUNG_IDS[k]}); _lo/_hi: 95% interval" for k in range(N_RUNGS)},
    "uncertain_share": "share of units whose top rung probability is below the threshold (cc leaves them out of the rung shares)",
    "share_ge3": "share of units at rung 3 or 4 (_lo/_hi: 95% interval)",
    "share_docs_ge3": "share of documents reaching rung >= 3 (_lo/_hi: 95% interval)",
    "mean_rung": "co-creation index: expected rung 0-4 (cc: among certain units) (_lo/_hi)",
    **{f"actor_{a}": f"share of units in which {a} take part" for a in ACTOR_IDS},
    "talk_share": "share of segments using co-creation vocabulary but at rung 0 (rhetoric)",
    "practice_share": "share of segments at rungs 1-4 (practice)",
    "talk_practice_ratio": "talk_share / practice_share (_lo/_hi: bootstrap interval; inf when there is no practice)",
    "low_support": f"fewer than min_support documents in the cell",
    **{f"diff_national_share_rung_{k}": f"share_rung_{k} minus the national figure for the period" for k in range(N_RUNGS)},
    "diff_national_share_ge3": "share_ge3 minus the national figure",
    "diff_national_share_docs_ge3": "share_docs_ge3 minus the national figure",
    "diff_national_mean_rung": "mean_rung minus the national figure",
}


# -- periods -------------------------------------------------------------------------


def term_label(year: int) -> str:
    """The municipal election term (valgperiode) a year falls in, e.g. 2019 -> '2018-2021'."""
    start = TERM_FIRST_YEAR + TERM_YEARS * ((year - TERM_FIRST_YEAR) // TERM_YEARS)
    return f"{start}-{start + TERM_YEARS - 1}"


def _period_key(year: int | None, month: int | None, period: str) -> int | None:
    """An integer per period so that ranges of periods can be filled in."""
    if year is None:
        return None
    if period == "year":
        return year
    if period == "quarter":
        return None if month is None else year * 4 + (month - 1) // 3
    return (year - TERM_FIRST_YEAR) // TERM_YEARS


def _period_label(key: int, period: str) -> tuple[str, str]:
    """(label, ISO start date) of a period key."""
    if period == "year":
        return str(key), f"{key:04d}-01-01"
    if period == "quarter":
        year, q = divmod(key, 4)
        return f"{year}Q{q + 1}", f"{year:04d}-{3 * q + 1:02d}-01"
    start = TERM_FIRST_YEAR + TERM_YEARS * key
    return f"{start}-{start + TERM_YEARS - 1}", f"{start:04d}-01-01"


def _year_month(record: Mapping[str, Any]) -> tuple[int | None, int | None]:
    date = record.get("date")
    y = m = None
    if hasattr(date, "isoformat"):  # datetime.date from a database or a Parquet date column
        date = date.isoformat()
    if isinstance(date, str):
        match = _DATE.match(date)
        if match:
            y, m = int(match.group(1)), int(match.group(2))
            if not 1 <= m <= 12:
                m = None
    year = record.get("year")
    if year is not None and year == year:  # not NaN
        try:
            year = int(year)
        except (TypeError, ValueError):
            year = None
        if year is not None and y is not None and year != y:
            m = None  # the date belongs to another year: trust the explicit year, no quarter
        y = year if year is not None else y
    return y, m


# -- inputs --------------------------------------------------------------------------


def load_predictions(path: str | Path | None = None, *, db: str | Path | None = None, run_id: str | None = None) -> list[dict[str, Any]]:
    """Prediction records from a table file, or from the corpus store with ``db``."""
    if db is not None:
        try:
            from pipeline.store import CorpusStore
        except ImportError as e:
            raise StoreError(path=str(db), detail=f"the corpus store is not available in this installation ({e})") from e
        with CorpusStore(db, read_only=True) as store:
            records = list(store.read_predictions(run_id=run_id))
        for r in records:  # the store names the segment id segment_id
            if r.get("id") is None and r.get("segment_id") is not None:
                r["id"] = r["segment_id"]
        return records
    if path is None:
        raise DataError(detail="give a predictions file (e.g. predictions.jsonl) or --db PATH")
    from pipeline.io import read_records

    return read_records(path)


def load_heldout(source: str | Path | Iterable[Mapping[str, Any]] | None) -> tuple[np.ndarray, np.ndarray] | None:
    """(true rungs, probability matrix) of a model's held-out predictions, or None if absent.

    ``source`` is a model folder, the ``heldout_predictions.jsonl`` file, or its records.
    """
    import numpy as np

    if source is None:
        return None
    where = "held-out records"
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            path = path / HELDOUT_FILE
        if not path.is_file():
            return None
        where = str(path)
        from pipeline.io import read_records

        source = read_records(path)
    ys: list[int] = []
    ps: list[list[float]] = []
    for n, r in enumerate(source, 1):
        try:
            y = int(r["rung_true"])
            p = [float(v) for v in r["rung_proba"]]
        except (KeyError, TypeError, ValueError) as e:
            raise ModelError(path=where, detail=f"record {n}: needs rung_true (0-4) and rung_proba (5 floats) ({e!r})") from e
        if not 0 <= y < N_RUNGS or len(p) != N_RUNGS:
            raise ModelError(path=where, detail=f"record {n}: rung_true={y!r}, {len(p)} probabilities; expected 0-4 and 5")
        ys.append(y)
        ps.append(p)
    if not ys:
        return None
    return np.asarray(ys, dtype=int), _normalise(np.asarray(ps, dtype=float))


def _normalise(p: np.ndarray) -> np.ndarray:
    import numpy as np

    p = np.clip(np.nan_to_num(p, nan=0.0), 0.0, None)
    s = p.sum(axis=1, keepdims=True)
    return np.divide(p, s, out=np.full_like(p, 1.0 / p.shape[1]), where=s > 0)


def _predict(p: np.ndarray, threshold: float) -> np.ndarray:
    """Top rung when its probability reaches the threshold, else UNCERTAIN."""
    import numpy as np

    top = p.argmax(axis=1)
    return np.where(p.max(axis=1) >= threshold, top, UNCERTAIN)


def _segments_frame(records: Sequence[Mapping[str, Any]], by: Sequence[str], period: str, threshold: float) -> tuple[pd.DataFrame, np.ndarray, int]:
    """One row per placeable segment (keys, doc, period key, vocab, actors) + probabilities."""
    import numpy as np
    import pandas as pd

    rows: list[dict[str, Any]] = []
    probs: list[list[float]] = []
    dropped = 0
    for i, r in enumerate(records):
        year, month = _year_month(r)
        key = _period_key(year, month, period)
        if key is None:
            dropped += 1
            continue
        proba = r.get("rung_proba")
        if proba is not None and not isinstance(proba, (list, tuple)) and hasattr(proba, "tolist"):
            proba = proba.tolist()
        if isinstance(proba, (list, tuple)) and len(proba) == N_RUNGS:
            try:
                probs.append([float(v) for v in proba])
            except (TypeError, ValueError) as e:
                raise DataError(detail=f"record {r.get('id', i)!r}: rung_proba {proba!r} is not 5 numbers") from e
        else:
            rung = r.get("rung")
            try:
                rung = int(rung)
            except (TypeError, ValueError):
                rung = -1
            if not 0 <= rung < N_RUNGS:
                raise DataError(detail=f"record {r.get('id', i)!r}: needs rung_proba (5 floats) or rung 0-4, got rung={r.get('rung')!r}; run `samskab classify` first")
            probs.append([1.0 if k == rung else 0.0 for k in range(N_RUNGS)])
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
        row.update(doc=f"doc:{doc}" if doc not in (None, "") else f"seg:{seg_id}", pkey=key,
                   vocab=np.nan if vocab is None else float(bool(vocab)),
                   **{f"actor_{a}": float(a in actors) for a in ACTOR_IDS})
        rows.append(row)
    columns = [f"key_{c}" for c in by] + ["doc", "pkey", "vocab"] + [f"actor_{a}" for a in ACTOR_IDS]
    frame = pd.DataFrame(rows, columns=columns)
    p = _normalise(np.asarray(probs, dtype=float).reshape(-1, N_RUNGS))
    return frame, p, dropped


# -- quantification ------------------------------------------------------------------


def _confusion(y: np.ndarray, p: np.ndarray, threshold: float, kind: str) -> np.ndarray:
    """Columns are true rungs: P(pred=j | true=i) (cc, 6 rows) or E[p_j | true=i] (pcc, 5 rows).

    A rung absent from the held-out sample gets an identity column (no adjustment).
    """
    import numpy as np

    rows = N_RUNGS + 1 if kind == "cc" else N_RUNGS
    m = np.zeros((rows, N_RUNGS))
    pred = _predict(p, threshold) if kind == "cc" else None
    for i in range(N_RUNGS):
        mask = y == i
        if not mask.any():
            m[i, i] = 1.0
        elif kind == "cc":
            m[:, i] = np.bincount(pred[mask], minlength=rows) / mask.sum()
        else:
            m[:, i] = p[mask].mean(axis=0)
    return m


def _adjust(m: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Solve M x = observed for prevalences x >= 0 by NNLS, then renormalise."""
    import numpy as np
    from scipy.optimize import nnls

    if not np.all(np.isfinite(observed)):
        return np.full(N_RUNGS, np.nan)
    x, _ = nnls(m, observed)
    s = x.sum()
    return x / s if s > 0 else np.full(N_RUNGS, 1.0 / N_RUNGS)


def _stack(mats: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Matrices and their pseudo-inverses, stacked for :func:`_adjust_many`."""
    import numpy as np

    arr = np.stack(list(mats))
    return arr, np.linalg.pinv(arr)


def _adjust_many(mats: tuple[np.ndarray, np.ndarray], observed: np.ndarray) -> np.ndarray:
    """:func:`_adjust` for many rows (row i uses matrix i, or the last one).

    Where the least-squares solution is already non-negative it is the NNLS solution, so
    only the other rows pay for NNLS.
    """
    import numpy as np

    arr, pinv = mats
    idx = np.minimum(np.arange(len(observed)), len(arr) - 1)
    x = np.einsum("rij,rj->ri", pinv[idx], np.nan_to_num(observed))
    for i in np.flatnonzero((x < 0).any(axis=1)):
        x[i] = _adjust(arr[idx[i]], observed[i])
    x = np.clip(x, 0, None)
    total = x.sum(axis=1, keepdims=True)
    x = np.divide(x, total, out=np.full_like(x, 1.0 / N_RUNGS), where=total > 0)
    x[~np.isfinite(observed).all(axis=1)] = np.nan
    return x


def quantify(p: np.ndarray, *, estimator: str, threshold: float = 0.5, m: np.ndarray | None = None) -> np.ndarray:
    """Estimated rung prevalence (5 shares) of a set of units from their probabilities.

    ``m`` is the held-out matrix of :func:`_confusion` for acc/pacc. For cc the shares
    leave out the uncertain units, so they sum to 1 - uncertain share.
    """
    import numpy as np

    n = len(p)
    if n == 0:
        return np.full(N_RUNGS, np.nan)
    if estimator in ("cc", "acc"):
        observed = np.bincount(_predict(p, threshold), minlength=N_RUNGS + 1) / n
        return observed[:N_RUNGS] if estimator == "cc" else _adjust(m, observed)
    observed = p.mean(axis=0)
    return observed if estimator == "pcc" else _adjust(m, observed)


def select_estimator(heldout: tuple[np.ndarray, np.ndarray] | None, *, threshold: float = 0.5, rounds: int = 200,
                     seed: int = 13) -> tuple[str, dict[str, float], str]:
    """Pick the estimator with the lowest mean absolute prevalence error on held-out data.

    Each round splits the held-out set in two halves, calibrates on one, and draws a test
    sample from the other with class priors drawn from a flat Dirichlet (the artificial
    prevalence protocol), so the choice rewards robustness to prior shift - the thing
    that differs between municipalities and years. Returns (name, errors, reason).
    """
    import numpy as np

    if heldout is None:
        return "pcc", {}, "no held-out predictions: pcc (mean probability) by default; adjusted estimators need a held-out set"
    y, p = heldout
    present = np.unique(y)
    if len(y) < MIN_HELDOUT_FOR_AUTO or len(present) < 2:
        return "pcc", {}, f"held-out set too small to compare estimators ({len(y)} segments, {len(present)} rungs; need {MIN_HELDOUT_FOR_AUTO}+ and 2+): pcc by default"
    rng = np.random.default_rng(seed)
    errors = {e: 0.0 for e in ESTIMATORS}
    done = 0
    for _ in range(rounds):
        order = rng.permutation(len(y))
        cal, test = order[: len(y) // 2], order[len(y) // 2:]
        test_classes = [c for c in range(N_RUNGS) if (y[test] == c).any()]
        if len(test_classes) < 2:
            continue
        prior = rng.dirichlet(np.ones(len(test_classes)))
        counts = rng.multinomial(len(test), prior)
        idx = np.concatenate([rng.choice(test[y[test] == c], size=k) for c, k in zip(test_classes, counts) if k])
        truth = np.bincount(y[idx], minlength=N_RUNGS) / len(idx)
        mats = {"cc": _confusion(y[cal], p[cal], threshold, "cc"), "pcc": _confusion(y[cal], p[cal], threshold, "pcc")}
        for e in ESTIMATORS:
            est = quantify(p[idx], estimator=e, threshold=threshold, m=mats["cc" if e == "acc" else "pcc"])
            errors[e] += float(np.abs(est - truth).mean())
        done += 1
    if not done:
        return "pcc", {}, "held-out set has too few rungs per half to compare estimators: pcc by default"
    errors = {e: v / done for e, v in errors.items()}
    best = min(ESTIMATORS, key=lambda e: (errors[e], ESTIMATORS.index(e)))
    ranking = ", ".join(f"{e} {errors[e]:.4f}" for e in sorted(errors, key=errors.get))
    reason = (f"lowest mean absolute prevalence error on {len(y)} held-out segments over {done} prior-shifted "
              f"resamples (artificial prevalence protocol): {ranking}")
    return best, errors, reason


def _wilson(k: np.ndarray, n: np.ndarray, z: float = 1.959964) -> tuple[np.ndarray, np.ndarray]:
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


# -- per-cell statistics -------------------------------------------------------------

# Per-document feature columns; the cell's figures are functions of their column sums,
# so a bootstrap over documents is a weight matrix times this table.
_F_DOCS, _F_ITEMS = 0, 1
_F_CNT = 2                                  # 6 columns: counts of predictions 0-4, uncertain
_F_PSUM = _F_CNT + N_RUNGS + 1              # 5 columns: summed probabilities
_F_DOC_GE3_CC = _F_PSUM + N_RUNGS           # 1 if the document reaches rung >= 3 (threshold rule)
_F_DOC_GE3_P = _F_DOC_GE3_CC + 1            # P(document reaches rung >= 3)
_F_TALK_CC, _F_PRAC_CC, _F_TALK_P, _F_PRAC_P, _F_VOCAB_N, _F_SEGS = range(_F_DOC_GE3_P + 1, _F_DOC_GE3_P + 7)
_F_ACTORS = _F_SEGS + 1
_N_FEATURES = _F_ACTORS + len(ACTOR_IDS)


def _figures(s: np.ndarray, estimator: str, threshold: float, mats: tuple[np.ndarray, np.ndarray] | None) -> dict[str, np.ndarray]:
    """Figures of a cell from feature sums ``s`` (rows = point estimate or bootstrap rounds)."""
    import numpy as np

    n = s[:, _F_ITEMS]
    with np.errstate(divide="ignore", invalid="ignore"):
        observed_cc = s[:, _F_CNT:_F_CNT + N_RUNGS + 1] / n[:, None]
        observed_p = s[:, _F_PSUM:_F_PSUM + N_RUNGS] / n[:, None]
        if estimator == "cc":
            q = observed_cc[:, :N_RUNGS]
        elif estimator == "pcc":
            q = observed_p
        else:
            q = _adjust_many(mats, observed_cc if estimator == "acc" else observed_p)
        ks = np.arange(N_RUNGS)
        mean_rung = (q @ ks) / q.sum(axis=1) if estimator == "cc" else q @ ks
        cc_like = estimator in ("cc", "acc")
        vocab_n = s[:, _F_VOCAB_N]
        talk = s[:, _F_TALK_CC if cc_like else _F_TALK_P] / vocab_n
        prac = s[:, _F_PRAC_CC if cc_like else _F_PRAC_P] / vocab_n
        ratio = np.where((prac == 0) & (talk > 0), np.inf, talk / prac)
        out = {f"share_rung_{k}": q[:, k] for k in range(N_RUNGS)}
        out.update(
            uncertain_share=observed_cc[:, UNCERTAIN],
            share_ge3=q[:, 3] + q[:, 4],
            share_docs_ge3=s[:, _F_DOC_GE3_CC if cc_like else _F_DOC_GE3_P] / s[:, _F_DOCS],
            mean_rung=mean_rung,
            talk_share=talk, practice_share=prac, talk_practice_ratio=ratio,
            **{f"actor_{a}": s[:, _F_ACTORS + j] / n for j, a in enumerate(ACTOR_IDS)},
        )
    return out


_INTERVAL_FIELDS = [f"share_rung_{k}" for k in range(N_RUNGS)] + ["share_ge3", "share_docs_ge3", "mean_rung", "talk_practice_ratio"]
_WILSON_FIELDS = {**{f"share_rung_{k}": (_F_CNT + k,) for k in range(N_RUNGS)}, "share_ge3": (_F_CNT + 3, _F_CNT + 4),
                  "share_docs_ge3": (_F_DOC_GE3_CC,)}


def _cell_row(features: np.ndarray, *, estimator: str, threshold: float, mat: tuple[np.ndarray, np.ndarray] | None,
              boot_mats: tuple[np.ndarray, np.ndarray] | None, bootstrap: int, rng: np.random.Generator) -> dict[str, float]:
    """Point estimates and 95% intervals of one cell from its per-document feature table."""
    import numpy as np

    total = features.sum(axis=0, keepdims=True)
    point = {k: float(v[0]) for k, v in _figures(total, estimator, threshold, mat).items()}
    row: dict[str, float] = dict(point)
    boot = None
    if bootstrap > 0:
        d = len(features)
        weights = rng.multinomial(d, np.full(d, 1.0 / d), size=bootstrap).astype(float)
        boot = _figures(weights @ features, estimator, threshold, boot_mats)
    quantiles: dict[str, tuple[float, float]] = {}
    if boot is not None:
        stacked = np.column_stack([boot[f] for f in _INTERVAL_FIELDS])
        stacked[np.isinf(stacked)] = np.nan  # only the ratio can be inf; its interval is redone below
        with np.errstate(invalid="ignore"), pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN, as they should
            lo, hi = np.nanquantile(stacked, [0.025, 0.975], axis=0)
        quantiles = {f: (float(a), float(b)) for f, a, b in zip(_INTERVAL_FIELDS, lo, hi)}
    for field in _INTERVAL_FIELDS:
        if estimator == "cc" and field in _WILSON_FIELDS:
            cols = _WILSON_FIELDS[field]
            k = sum(total[0, c] for c in cols)
            n = total[0, _F_DOCS if field == "share_docs_ge3" else _F_ITEMS]
            lo, hi = _wilson(k, n)
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


def _ci_method(estimator: str, bootstrap: int) -> str:
    if estimator == "cc":
        return "wilson" + (f"; mean_rung, ratio: bootstrap over documents ({bootstrap})" if bootstrap else "")
    if not bootstrap:
        return "none (bootstrap=0)"
    if estimator == "pcc":
        return f"percentile bootstrap over documents ({bootstrap})"
    return f"percentile bootstrap over documents and the held-out set ({bootstrap})"


# -- the table -----------------------------------------------------------------------


def _as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(value)


def _check(kind: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise UnknownNameError(kind=kind, name=value, choices=", ".join(choices))


def trend_table(
    records: Iterable[Mapping[str, Any]],
    *,
    by: str | Sequence[str] = ("municipality",),
    period: str = "year",
    unit: str = "segment",
    estimator: str = "auto",
    heldout: str | Path | Iterable[Mapping[str, Any]] | tuple[Any, Any] | None = None,
    threshold: float = 0.5,
    min_support: int = 5,
    bootstrap: int = 500,
    seed: int = 13,
    municipalities: Sequence[str] | None = None,
    national: bool = True,
) -> pd.DataFrame:
    """Per group and period: rung shares with 95% intervals, index, actors, talk/practice.

    ``by`` are record fields to group on (``()`` = the whole country). Every group gets
    every period between the first and last period in the data, empty ones as n=0/NaN.
    ``unit="document"`` first collapses each document: its rung probabilities are the
    per-document maximum of P(rung >= k) over its segments, differenced, and its cc rung
    is the highest rung reaching ``threshold`` in any segment. ``municipalities`` limits
    the rows (the national comparison still uses every municipality). ``heldout`` is a
    model folder, its held-out file or its records (see :func:`load_heldout`).

    Returns a DataFrame with the ``by`` columns followed by :data:`TREND_COLUMNS`
    (intervals as ``*_lo`` / ``*_hi``). ``.attrs`` records the estimator chosen and why
    (``estimator``, ``estimator_reason``, ``estimator_errors``), ``warnings``, and the
    options used.
    """
    import numpy as np
    import pandas as pd

    by = _as_tuple(by)
    _check("period", period, PERIODS)
    _check("unit", unit, UNITS)
    _check("estimator", estimator, (*ESTIMATORS, "auto"))
    if not 0 <= threshold <= 1:
        raise DataError(detail=f"threshold must be between 0 and 1, got {threshold}")
    records = list(records)
    warnings: list[str] = []

    # 1. the held-out set and the estimator
    if isinstance(heldout, tuple) and len(heldout) == 2 and hasattr(heldout[0], "shape"):
        held = heldout
    else:
        held = load_heldout(heldout)
    requested = estimator
    errors: dict[str, float] = {}
    if estimator == "auto":
        candidates = select_estimator(held, threshold=threshold, seed=seed)
        estimator, errors, reason = candidates
        if unit == "document" and estimator in ("acc", "pacc"):
            estimator = _UNADJUSTED[estimator]
            reason += f"; at unit=document the segment-level held-out rates do not apply, so {estimator} (its unadjusted form)"
    elif estimator in ("acc", "pacc") and (held is None or unit == "document"):
        fallback = _UNADJUSTED[estimator]
        why = "no held-out predictions found" if held is None else "held-out rates are per segment and do not apply to documents"
        warnings.append(f"{estimator} needs a held-out set at segment level ({why}); fell back to {fallback}")
        reason = f"requested {estimator}, {why}: fell back to {fallback}"
        estimator = fallback
    else:
        reason = f"requested {estimator}"
    if held is None:
        warnings.append("no held-out predictions (heldout_predictions.jsonl): intervals cover document sampling only, not classifier error")
    mat = boot_mats = None
    if estimator in ("acc", "pacc"):
        kind = "cc" if estimator == "acc" else "pcc"
        y, p = held
        mat = _stack([_confusion(y, p, threshold, kind)])
        hrng = np.random.default_rng(seed + 1)
        boot_mats = _stack([_confusion(y[idx], p[idx], threshold, kind) for idx in (hrng.integers(0, len(y), len(y)) for _ in range(max(bootstrap, 1)))])

    # 2. segments -> units (segments or documents), with per-document features
    seg, p_seg, dropped = _segments_frame(records, by, period, threshold)
    if dropped:
        what = "a date (YYYY-MM-DD)" if period == "quarter" else "a year or date"
        warnings.append(f"{dropped} of {len(records)} records have no {what} and were left out")
    if seg["vocab"].isna().all():
        warnings.append("no `vocab` field in the predictions: talk/practice columns are empty")
    elif seg["vocab"].isna().any():
        warnings.append(f"{int(seg['vocab'].isna().sum())} segments lack `vocab`: talk/practice use the others")
    keys = [f"key_{c}" for c in by]
    features = _features(seg, p_seg, unit=unit, threshold=threshold, keys=keys)

    # 3. one row per group and period
    if len(features):
        all_periods = range(int(features["pkey"].min()), int(features["pkey"].max()) + 1)
    else:
        all_periods = range(0)
    groups = features[keys].drop_duplicates().sort_values(keys).itertuples(index=False, name=None) if keys else [()]
    groups = list(groups)
    if municipalities:
        wanted = list(dict.fromkeys(municipalities))
        if "municipality" not in by:
            raise DataError(detail="--municipality needs 'municipality' among the --by columns")
        present = set(features["key_municipality"])
        missing = [m for m in wanted if m not in present]
        if missing:
            sample = ", ".join(sorted(present)[:8]) + (" ..." if len(present) > 8 else "")
            raise DataError(detail=f"no predictions for municipality {', '.join(map(repr, missing))}; the data has: {sample}")
        pos = by.index("municipality")
        groups = [g for g in groups if g[pos] in set(wanted)]
    rng = np.random.default_rng(seed)
    feature_cols = [c for c in features.columns if c.startswith("f")]
    cells: dict[tuple, np.ndarray] = {}
    if len(features):
        matrix = features[feature_cols].to_numpy(dtype=float)
        for key, idx in features.groupby(keys + ["pkey"], sort=False).indices.items():
            cells[key if isinstance(key, tuple) else (key,)] = matrix[idx]
    ci = _ci_method(estimator, bootstrap)
    rows = []
    for group in groups:
        for pkey in all_periods:
            label, start = _period_label(pkey, period)
            row: dict[str, Any] = {c: v for c, v in zip(by, group)}
            row.update(period=label, period_start=start, estimator=estimator, ci_method=ci)
            cell = cells.get((*group, pkey))
            if cell is None:
                row.update(n_documents=0, n_segments=0)
            else:
                f = cell
                row.update(n_documents=len(f), n_segments=int(f[:, _F_SEGS].sum()))
                row.update(_cell_row(f, estimator=estimator, threshold=threshold, mat=mat, boot_mats=boot_mats,
                                     bootstrap=bootstrap, rng=rng))
            rows.append(row)
    table = pd.DataFrame(rows, columns=_columns(by))
    table["n_documents"] = table["n_documents"].astype(int)
    table["n_segments"] = table["n_segments"].astype(int)
    table["low_support"] = table["n_documents"] < min_support

    # 4. the difference from the national figure for the same period
    if national and "municipality" in by:
        rest = tuple(c for c in by if c != "municipality")
        nat = trend_table(records, by=rest, period=period, unit=unit, estimator=estimator, heldout=held,
                          threshold=threshold, min_support=min_support, bootstrap=0, seed=seed, national=False)
        main = [f"share_rung_{k}" for k in range(N_RUNGS)] + ["share_ge3", "share_docs_ge3", "mean_rung"]
        merged = table[list(rest) + ["period"]].merge(nat[list(rest) + ["period"] + main], how="left", on=list(rest) + ["period"])
        for c in main:
            table[f"diff_national_{c}"] = table[c].to_numpy() - merged[c].to_numpy()

    table.attrs.update(
        by=list(by), period=period, unit=unit, estimator=estimator, estimator_requested=requested,
        estimator_reason=reason, estimator_errors=errors, ci_method=ci, threshold=threshold,
        min_support=min_support, bootstrap=bootstrap, seed=seed, n_records=len(records),
        n_dropped=dropped, n_heldout=0 if held is None else int(len(held[0])), warnings=warnings,
    )
    return table


def _columns(by: Sequence[str]) -> list[str]:
    cols = list(by)
    for c in TREND_COLUMNS:
        if c.startswith("diff_national"):
            continue
        cols.append(c)
        if c in _INTERVAL_FIELDS:
            cols += [f"{c}_lo", f"{c}_hi"]
    return cols


def _features(seg: pd.DataFrame, p_seg: np.ndarray, *, unit: str, threshold: float, keys: list[str]) -> pd.DataFrame:
    """Per-document feature table (columns f00..) with the cell keys and period key."""
    import numpy as np
    import pandas as pd

    n = len(seg)
    if n == 0:
        return pd.DataFrame(columns=keys + ["doc", "pkey"] + [f"f{i:02d}" for i in range(_N_FEATURES)])
    pred_seg = _predict(p_seg, threshold)
    # cumulative P(rung >= k) per segment; the document takes the max over its segments
    cum = np.cumsum(p_seg[:, ::-1], axis=1)[:, ::-1]
    # the segment's cc rung (-1: uncertain); a document reaches the highest of them. For
    # threshold >= 0.5 this is "the highest rung whose probability reaches the threshold".
    reach = np.where(pred_seg < UNCERTAIN, pred_seg, -1)
    vocab = seg["vocab"].to_numpy(dtype=float)
    known = ~np.isnan(vocab)
    v = np.nan_to_num(vocab)
    certain = pred_seg < UNCERTAIN
    seg_cols = {
        "s_talk_cc": known * v * (pred_seg == 0),
        "s_prac_cc": known * (certain & (pred_seg > 0)),
        "s_talk_p": known * v * p_seg[:, 0],
        "s_prac_p": known * (1 - p_seg[:, 0]),
        "s_vocab_n": known.astype(float),
        "s_segs": np.ones(n),
        **{f"s_cum{k}": cum[:, k] for k in range(N_RUNGS)},
        "s_reach": reach.astype(float),
    }
    # a document split over groups or periods (segment-level fields) counts once in each
    frame = seg.assign(**seg_cols)
    frame["doc"] = frame.groupby(keys + ["pkey", "doc"], sort=False, dropna=False).ngroup()
    actor_cols = [f"actor_{a}" for a in ACTOR_IDS]
    agg = {c: "sum" for c in seg_cols if not c.startswith(("s_cum", "s_reach"))}
    agg.update({f"s_cum{k}": "max" for k in range(N_RUNGS)}, s_reach="max", **{c: "max" for c in actor_cols},
               **{k: "first" for k in keys}, pkey="first")
    docs = frame.groupby("doc", sort=False).agg(agg)
    doc_cum = np.column_stack([docs[f"s_cum{k}"].to_numpy() for k in range(N_RUNGS)] + [np.zeros(len(docs))])
    doc_p = doc_cum[:, :-1] - doc_cum[:, 1:]
    doc_reach = docs["s_reach"].to_numpy().astype(int)
    doc_pred = np.where(doc_reach >= 0, doc_reach, UNCERTAIN)

    f = np.zeros((len(docs), _N_FEATURES))
    f[:, _F_DOCS] = 1.0
    if unit == "document":
        f[:, _F_ITEMS] = 1.0
        f[np.arange(len(docs)), _F_CNT + doc_pred] = 1.0
        f[:, _F_PSUM:_F_PSUM + N_RUNGS] = doc_p
        f[:, _F_ACTORS:] = docs[actor_cols].to_numpy()
    else:
        onehot = np.zeros((n, N_RUNGS + 1))
        onehot[np.arange(n), pred_seg] = 1.0
        per_seg = pd.DataFrame(np.hstack([onehot, p_seg, seg[actor_cols].to_numpy()]))
        per_seg["doc"] = frame["doc"].to_numpy()
        sums = per_seg.groupby("doc", sort=False).sum().loc[docs.index].to_numpy()
        f[:, _F_ITEMS] = docs["s_segs"].to_numpy()
        f[:, _F_CNT:_F_CNT + N_RUNGS + 1] = sums[:, :N_RUNGS + 1]
        f[:, _F_PSUM:_F_PSUM + N_RUNGS] = sums[:, N_RUNGS + 1:2 * N_RUNGS + 1]
        f[:, _F_ACTORS:] = sums[:, 2 * N_RUNGS + 1:]
    f[:, _F_DOC_GE3_CC] = (doc_pred >= 3) & (doc_pred < UNCERTAIN)
    f[:, _F_DOC_GE3_P] = doc_cum[:, 3]
    for col, name in ((_F_TALK_CC, "s_talk_cc"), (_F_PRAC_CC, "s_prac_cc"), (_F_TALK_P, "s_talk_p"),
                      (_F_PRAC_P, "s_prac_p"), (_F_VOCAB_N, "s_vocab_n"), (_F_SEGS, "s_segs")):
        f[:, col] = docs[name].to_numpy()
    out = pd.DataFrame(f, columns=[f"f{i:02d}" for i in range(_N_FEATURES)])
    for k in keys:
        out[k] = docs[k].to_numpy()
    out["doc"] = docs.index.to_numpy()
    out["pkey"] = docs["pkey"].to_numpy()
    return out


# -- writing -------------------------------------------------------------------------


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a trend table by extension (.csv, .parquet, .xlsx), atomically.

    The ``.attrs`` (estimator and why, warnings) go to an ``about`` sheet in .xlsx and to
    a ``PATH.json`` sidecar for .csv/.parquet, so the choice is never separated from the numbers.
    """
    from pipeline.io import atomic_path, atomic_write_text

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".xlsx"):
        raise DataError(detail=f"{path}: unsupported output type '{suffix}'; use .csv, .parquet or .xlsx")
    about = json.loads(json.dumps(table.attrs, default=str))
    plain = table.copy()
    plain.attrs = {}
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            plain.to_csv(tmp, index=False, encoding="utf-8")
        elif suffix == ".parquet":
            plain.to_parquet(tmp, index=False)
        else:
            import pandas as pd

            meta = pd.DataFrame({"key": list(about), "value": [json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v for v in about.values()]})
            with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
                plain.to_excel(xl, sheet_name="trends", index=False)
                meta.to_excel(xl, sheet_name="about", index=False)
    if suffix != ".xlsx":
        atomic_write_text(path.with_name(path.name + ".json"), json.dumps(about, ensure_ascii=False, indent=2))
    return path
