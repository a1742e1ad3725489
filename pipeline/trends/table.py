"""The trend table: one row per group and period (a "TrendRow", see :data:`TREND_COLUMNS`)."""

from __future__ import annotations

from collections import Counter

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.codebook import ACTOR_IDS, RUNG_IDS
from pipeline.errors import DataError, UnknownNameError
from pipeline.trends.calibration import (MIN_CELL_LABELS, NO_CORRECTION, CalibrationSample, Correction, describe,
                                         match_calibration, rates_correction, rectifier_correction)
from pipeline.trends.cells import INTERVAL_FIELDS, cell_row, ci_method
from pipeline.trends.features import DEFAULT_LANGUAGES, LAYOUT, document_features, leave_out_reason, segments_frame
from pipeline.trends.io import load_calibration, load_heldout
from pipeline.trends.periods import PERIODS, period_label
from pipeline.trends.quantify import ESTIMATOR_CHOICES, ESTIMATORS_BY_NAME, N_RUNGS, get_estimator, select_estimator

if TYPE_CHECKING:
    import pandas as pd

UNITS = ("segment", "document")
LEFT_OUT_REASONS = ("noise", "non_danish", "no_date")

#: The TrendRow contract: column -> meaning. ``by`` columns come first.
TREND_COLUMNS: dict[str, str] = {
    "period": "period label: '2019', '2019Q1' or the election term '2018-2021'",
    "period_start": "ISO date the period starts (sortable)",
    "n_documents": "documents in the cell (0 = empty period, all figures NaN)",
    "n_segments": "segments in the cell",
    "estimator": "quantification estimator used (cc, pcc, acc, pacc, ppi)",
    "ci_method": "how the 95% intervals were made and what they cover",
    "calibration": "where the correction's error rates come from: none, held-out written examples, or the calibration sample (this cell's own labels or corpus-wide ones borrowed)",
    "n_labelled": "calibration-sample items in this cell",
    **{f"share_rung_{k}": f"estimated share of units at rung {k} ({RUNG_IDS[k]}); _lo/_hi: 95% interval" for k in range(N_RUNGS)},
    "uncertain_share": "share of units whose top rung probability is below the threshold (cc leaves them out of the rung shares)",
    "share_ge3": "share of units at rung 3 or 4 (_lo/_hi: 95% interval)",
    "share_docs_ge3": "share of documents reaching rung >= 3, corrected with the same estimator as share_ge3 "
                      "(exact for one-segment documents; segment-level error rates otherwise) (_lo/_hi: 95% interval)",
    "mean_rung": "co-creation index: expected rung 0-4 (cc: among certain units) (_lo/_hi)",
    **{f"actor_{a}": f"share of units in which {a} take part" for a in ACTOR_IDS},
    "talk_share": "share of segments using co-creation vocabulary but at rung 0 (rhetoric)",
    "practice_share": "share of segments at rungs 1-4 (practice)",
    "talk_practice_ratio": "talk_share / practice_share (_lo/_hi: bootstrap interval; inf when there is no practice)",
    "low_support": "fewer than min_support documents in the cell",
    **{f"diff_national_share_rung_{k}": f"share_rung_{k} minus the national figure for the period" for k in range(N_RUNGS)},
    "diff_national_share_ge3": "share_ge3 minus the national figure",
    "diff_national_share_docs_ge3": "share_docs_ge3 minus the national figure",
    "diff_national_mean_rung": "mean_rung minus the national figure",
}
NATIONAL_FIELDS = [f"share_rung_{k}" for k in range(N_RUNGS)] + ["share_ge3", "share_docs_ge3", "mean_rung"]


def as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"a,b"`` or a sequence -> ("a", "b")."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(value)


def _check(kind: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise UnknownNameError(kind=kind, name=value, choices=", ".join(choices))


def _columns(by: Sequence[str]) -> list[str]:
    cols = list(by)
    for c in TREND_COLUMNS:
        if c.startswith("diff_national"):
            continue
        cols.append(c)
        if c in INTERVAL_FIELDS:
            cols += [f"{c}_lo", f"{c}_hi"]
    return cols


def _choose(estimator: str, *, unit: str, held: Any, labels: Mapping[str, int] | None, threshold: float, seed: int,
            warnings: list[str]) -> tuple[str, str, dict[str, float]]:
    """(estimator, why, held-out errors) for the table as a whole."""
    errors: dict[str, float] = {}
    if labels is not None:
        if estimator == "auto":
            return "ppi", (f"calibration sample given: ppi in cells with {MIN_CELL_LABELS}+ labelled items, pacc with the "
                           "corpus-wide calibration error rates in thinner cells (rates carry over to another rung mix, "
                           "a mean correction does not)"), errors
        if ESTIMATORS_BY_NAME[estimator].correction is None:
            warnings.append(f"{estimator} does not correct counts, so the calibration sample is not used; try --estimator auto")
            return estimator, f"requested {estimator} (uncorrected; calibration sample unused)", errors
        return estimator, f"requested {estimator}, corrected by the calibration sample", errors
    if estimator == "ppi":
        warnings.append("ppi needs a labelled calibration sample (--calibration); fell back to pcc")
        return "pcc", "requested ppi without a calibration sample: fell back to pcc", errors
    if estimator == "auto":
        name, errors, reason = select_estimator(held, threshold=threshold, seed=seed)
        if unit == "document" and name in ("acc", "pacc"):
            name = ESTIMATORS_BY_NAME[name].unadjusted
            reason += f"; at unit=document the segment-level held-out rates do not apply, so {name} (its unadjusted form)"
        return name, reason, errors
    if ESTIMATORS_BY_NAME[estimator].correction == "rates" and (held is None or unit == "document"):
        fallback = ESTIMATORS_BY_NAME[estimator].unadjusted
        why = "no held-out predictions found" if held is None else "held-out rates are per segment and do not apply to documents"
        warnings.append(f"{estimator} needs a held-out set at segment level ({why}); fell back to {fallback}")
        return fallback, f"requested {estimator}, {why}: fell back to {fallback}", errors
    return estimator, f"requested {estimator}", errors


def check_calibration_unit(unit: str, calibration: object) -> None:
    """Refuse a calibration sample with ``unit="document"`` (its labels are per segment), before any work."""
    if calibration is not None and unit == "document":
        raise DataError(detail=DOCUMENT_CALIBRATION)


#: Why --calibration and --unit document do not go together, and what to do instead.
DOCUMENT_CALIBRATION = ("--calibration cannot correct a --unit document table: its labels are per segment. Use --unit segment "
                        "with --calibration (the share_docs_ge3 column, the share of documents reaching rung 3 or higher, "
                        "is calibrated there too), or leave out --calibration for an uncorrected document table")


#: Fewest segments in a cell for ``auto`` to correct it with held-out error rates (acc/pacc).
MIN_CELL_SEGMENTS = 30


class _Corrections:
    """Picks each cell's estimator and correction (see :mod:`pipeline.trends.calibration`)."""

    def __init__(self, name: str, *, auto: bool, held: Any, cal: CalibrationSample | None, threshold: float,
                 bootstrap: int, seed: int, min_cell_labels: int) -> None:
        import numpy as np

        self.name, self.auto, self.cal, self.threshold, self.bootstrap = name, auto, cal, threshold, bootstrap
        self.min_cell_labels = min_cell_labels
        self.rng = np.random.default_rng(seed + 2)
        spec = ESTIMATORS_BY_NAME[name]
        self.corpus: dict[str, Correction] = {}
        self.heldout = NO_CORRECTION
        if cal is None:
            if spec.correction == "rates":
                y, p = held
                self.heldout = rates_correction(y, p, observed=spec.observed, threshold=threshold, bootstrap=bootstrap,
                                                rng=np.random.default_rng(seed + 1), source="heldout")

    def _build(self, name: str, y: Any, p: Any, w: Any, source: str) -> Correction:
        spec = ESTIMATORS_BY_NAME[name]
        if spec.correction == "rectifier":
            return rectifier_correction(y, p, bootstrap=self.bootstrap, rng=self.rng, source=source, w=w)
        if spec.correction == "rates":
            return rates_correction(y, p, observed=spec.observed, threshold=self.threshold, bootstrap=self.bootstrap,
                                    rng=self.rng, source=source)
        return NO_CORRECTION

    def _corpus(self, name: str) -> Correction:
        if name not in self.corpus:
            self.corpus[name] = self._build(name, self.cal.y, self.cal.p, self.cal.w, "corpus")
        return self.corpus[name]

    def for_cell(self, cell: tuple, n_segments: int = 0) -> tuple[str, Correction, int]:
        """(estimator, correction, labelled items in the cell).

        Without a calibration sample, ``auto`` corrects a cell with held-out error rates only
        when it holds at least ``MIN_CELL_SEGMENTS`` segments: on a handful of segments an
        adjusted estimator amplifies noise (one rung-3 segment in eleven can come out as 0 %),
        so thinner cells get the probability average, and the row says so.
        """
        if self.cal is None:
            spec = ESTIMATORS_BY_NAME[self.name]
            if self.auto and spec.correction == "rates" and 0 < n_segments < MIN_CELL_SEGMENTS:
                return "pcc", NO_CORRECTION, 0
            return self.name, self.heldout, 0
        own = self.cal.in_cell(cell)
        n_own = int(own.sum())
        name = self.name
        if self.auto and n_own < self.min_cell_labels:
            name = "pacc"
        if ESTIMATORS_BY_NAME[name].correction is None or len(self.cal.y) == 0:
            return name, NO_CORRECTION, n_own
        if n_own >= self.min_cell_labels:
            return name, self._build(name, self.cal.y[own], self.cal.p[own], self.cal.w[own], "cell"), n_own
        return name, self._corpus(name), n_own


def trend_table(
    records: Iterable[Mapping[str, Any]],
    *,
    by: str | Sequence[str] = ("municipality",),
    period: str = "year",
    unit: str = "segment",
    estimator: str = "auto",
    heldout: str | Path | Iterable[Mapping[str, Any]] | tuple[Any, Any] | None = None,
    calibration: str | Path | Mapping[str, int] | Iterable[Mapping[str, Any]] | None = None,
    calibration_weights: Mapping[str, float] | None = None,
    threshold: float = 0.5,
    min_support: int = 5,
    bootstrap: int = 500,
    seed: int = 13,
    municipalities: Sequence[str] | None = None,
    national: bool | pd.DataFrame = True,
    languages: Sequence[str] | None = DEFAULT_LANGUAGES,
    min_cell_labels: int = MIN_CELL_LABELS,
) -> pd.DataFrame:
    """Per group and period: rung shares with 95% intervals, index, actors, talk/practice.

    ``by`` are record fields to group on (``()`` = the whole country). Every group gets
    every period between the first and last period in the data, empty ones as n=0/NaN.
    ``unit="document"`` first collapses each document: its rung probabilities are the
    per-document maximum of P(rung >= k) over its segments, differenced, and its cc rung
    is the highest rung reaching ``threshold`` in any segment. ``municipalities`` limits
    the rows (the national comparison still uses every municipality). ``heldout`` is a
    model folder, its held-out file or its records (see :func:`load_heldout`);
    ``calibration`` labelled records of this corpus ({id: rung}, records or a file), which
    then replace the held-out set; ``calibration_weights`` {id: sample weight} for a
    stratified sample. Noise segments and languages outside ``languages``
    (None: keep all) are left out and counted. ``national`` is True (compute the national
    comparison), False (none) or a national table computed already.

    Returns a DataFrame with the ``by`` columns followed by :data:`TREND_COLUMNS`
    (intervals as ``*_lo`` / ``*_hi``). ``.attrs`` records the estimator chosen and why,
    ``warnings``, ``left_out`` counts, the calibration used, and the options.
    """
    import numpy as np
    import pandas as pd

    by = as_tuple(by)
    _check("period", period, PERIODS)
    _check("unit", unit, UNITS)
    _check("estimator", estimator, ESTIMATOR_CHOICES)
    if not 0 <= threshold <= 1:
        raise DataError(detail=f"threshold must be between 0 and 1, got {threshold}")
    check_calibration_unit(unit, calibration)
    warnings: list[str] = []
    left_out = dict.fromkeys(LEFT_OUT_REASONS, 0)
    kept = []
    n_records = 0
    for r in records:
        n_records += 1
        why = leave_out_reason(r, languages)
        if why:
            left_out[why] += 1
        else:
            kept.append(r)
    if left_out["noise"]:
        warnings.append(f"{left_out['noise']} noise segments (tables of contents, attendance, ...) were left out")
    if left_out["non_danish"]:
        warnings.append(f"{left_out['non_danish']} segments not in Danish were left out")

    # 1. the labelled data and the estimator
    if isinstance(heldout, tuple) and len(heldout) == 2 and hasattr(heldout[0], "shape"):
        held = heldout
    else:
        held = load_heldout(heldout)
    labels = None
    if calibration is not None:
        labels = dict(calibration) if isinstance(calibration, Mapping) else load_calibration(calibration)
    name, reason, errors = _choose(estimator, unit=unit, held=held, labels=labels, threshold=threshold, seed=seed,
                                   warnings=warnings)
    if labels is None and held is None:
        warnings.append("no held-out predictions (heldout_predictions.jsonl): intervals cover document sampling only, not classifier error")

    # 2. segments -> units (segments or documents), with per-document features
    seg, p_seg, dropped = segments_frame(kept, by, period)
    left_out["no_date"] = dropped
    if dropped:
        what = "a date (YYYY-MM-DD)" if period == "quarter" else "a year or date"
        warnings.append(f"{dropped} of {n_records} records have no {what} and were left out")
    if len(seg) and seg["vocab"].isna().all():
        warnings.append("no `vocab` field in the predictions: talk/practice columns are empty")
    elif seg["vocab"].isna().any():
        warnings.append(f"{int(seg['vocab'].isna().sum())} segments lack `vocab`: talk/practice use the others")
    keys = [f"key_{c}" for c in by]
    features = document_features(seg, p_seg, unit=unit, threshold=threshold, keys=keys)
    cal = None
    if labels is not None and unit == "segment":
        cell_keys = list(zip(*[seg[k] for k in keys], seg["pkey"])) if len(seg) else []
        cal = match_calibration(labels, seg["id"].tolist(), p_seg, cell_keys, calibration_weights)
        if len(cal.y) == 0 and len(seg):
            raise DataError(detail=f"none of the {cal.n_labels} calibration labels matches a counted prediction by id; "
                                   "label a sample of this corpus (`samskab label sample`) and keep its ids")
        if cal.n_unmatched:
            warnings.append(f"{cal.n_unmatched} of {cal.n_labels} calibration labels match no counted prediction "
                            "(unknown id, noise, other language or no date) and were not used")
        if len(cal.y) < MIN_CELL_LABELS:
            warnings.append(f"only {len(cal.y)} calibration labels matched: the corrections are rough and the intervals wide")
    corrections = _Corrections(name, auto=estimator == "auto", held=held, cal=cal, threshold=threshold,
                               bootstrap=bootstrap, seed=seed, min_cell_labels=min_cell_labels)

    # 3. one row per group and period
    all_periods = range(int(features["pkey"].min()), int(features["pkey"].max()) + 1) if len(features) else range(0)
    groups = list(features[keys].drop_duplicates().sort_values(keys).itertuples(index=False, name=None)) if keys else [()]
    if municipalities:
        groups = _only(groups, features, by, municipalities)
    rng = np.random.default_rng(seed)
    cells: dict[tuple, np.ndarray] = {}
    if len(features):
        matrix = features[list(LAYOUT.names)].to_numpy(dtype=float)
        for key, idx in features.groupby(keys + ["pkey"], sort=False).indices.items():
            cells[key if isinstance(key, tuple) else (key,)] = matrix[idx]
    rows = []
    borrowed = 0
    for group in groups:
        for pkey in all_periods:
            label, start = period_label(pkey, period)
            row: dict[str, Any] = dict(zip(by, group))
            row.update(period=label, period_start=start)
            cell = cells.get((*group, pkey))
            n_segs = int(cell[:, LAYOUT.col("segs")].sum()) if cell is not None else 0
            cell_name, corr, n_lab = corrections.for_cell((*group, pkey), n_segs)
            spec = get_estimator(cell_name)
            row.update(estimator=cell_name, ci_method=ci_method(spec, corr, bootstrap), calibration=describe(corr),
                       n_labelled=n_lab)
            if cell is None:
                row.update(n_documents=0, n_segments=0)
            else:
                borrowed += corr.source == "corpus"
                row.update(n_documents=len(cell), n_segments=int(cell[:, LAYOUT.col("segs")].sum()))
                row.update(cell_row(cell, spec=spec, corr=corr, bootstrap=bootstrap, rng=rng))
            rows.append(row)
    if borrowed:
        warnings.append(f"{borrowed} cells have fewer than {min_cell_labels} calibration labels and borrow the corpus-wide error rates")
    used = Counter(r["estimator"] for r in rows if r.get("n_segments"))
    if set(used) - {name}:
        mix = ", ".join(f"{e} in {n}" for e, n in used.most_common())
        warnings.append(f"estimators differ by cell: the table-level choice is {name}, used are {mix} cells (see the "
                        "estimator column): "
                        + ("ppi needs its own labels, thinner cells borrow corpus-wide rates" if cal is not None else
                           f"adjusted estimators need {MIN_CELL_SEGMENTS}+ segments in a cell, thinner cells use pcc"))
    table = pd.DataFrame(rows, columns=_columns(by))
    for c in ("n_documents", "n_segments", "n_labelled"):
        table[c] = table[c].astype(int)
    table["low_support"] = table["n_documents"] < min_support

    # 4. the difference from the national figure for the same period
    rest = tuple(c for c in by if c != "municipality")
    if national is not False and "municipality" in by:
        nat = national if isinstance(national, pd.DataFrame) else trend_table(
            kept, by=rest, period=period, unit=unit, estimator="auto" if labels is not None and estimator == "auto" else name, heldout=held,
            calibration=labels, calibration_weights=calibration_weights,
            threshold=threshold, min_support=min_support, bootstrap=0, seed=seed, national=False, languages=None,
            min_cell_labels=min_cell_labels)
        merged = table[list(rest) + ["period"]].merge(nat[list(rest) + ["period"] + NATIONAL_FIELDS], how="left",
                                                      on=list(rest) + ["period"])
        for c in NATIONAL_FIELDS:
            table[f"diff_national_{c}"] = table[c].to_numpy() - merged[c].to_numpy()

    table_ci = ci_method(get_estimator(name), corrections.heldout if cal is None else Correction("rates", source="corpus"), bootstrap)
    table.attrs.update(
        by=list(by), period=period, unit=unit, estimator=name, estimator_requested=estimator,
        estimator_reason=reason, estimator_errors=errors, ci_method=table_ci, estimators_by_cell=dict(used),
        threshold=threshold, min_support=min_support, bootstrap=bootstrap, seed=seed, n_records=n_records,
        n_dropped=dropped, left_out=left_out, n_heldout=0 if held is None else int(len(held[0])),
        calibration=None if labels is None else {"n_labels": len(labels), "n_matched": 0 if cal is None else int(len(cal.y)),
                                                 "min_cell_labels": min_cell_labels, "cells_borrowing": borrowed},
        warnings=warnings,
    )
    return table


def _only(groups: list[tuple], features: pd.DataFrame, by: Sequence[str], municipalities: Sequence[str]) -> list[tuple]:
    wanted = list(dict.fromkeys(municipalities))
    if "municipality" not in by:
        raise DataError(detail="--municipality needs 'municipality' among the --by columns")
    present = set(features["key_municipality"])
    missing = [m for m in wanted if m not in present]
    if missing:
        sample = ", ".join(sorted(present)[:8]) + (" ..." if len(present) > 8 else "")
        raise DataError(detail=f"no predictions for municipality {', '.join(map(repr, missing))}; the data has: {sample}")
    pos = list(by).index("municipality")
    return [g for g in groups if g[pos] in set(wanted)]
