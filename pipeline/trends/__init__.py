"""Trend tables: per-municipality (or any grouping) prevalence of each rung over time.

A classifier's raw counts are biased estimates of how common a rung is, so the table
offers the standard quantification estimators (Forman 2008; Bella et al. 2010; QuaPy)
and prediction-powered inference (Angelopoulos et al. 2023); see
:mod:`pipeline.trends.quantify`. ``auto`` picks the estimator: with a calibration sample
by the rule in :mod:`pipeline.trends.calibration`, else the lowest error on the model's
held-out set under shifted class priors (artificial-prevalence protocol).

Modules: ``periods`` (year/quarter/term), ``io`` (predictions, held-out set, calibration
labels, writing), ``features`` (which records count; per-document feature rows with named
columns), ``quantify`` (the estimator registry), ``calibration`` (corrections from
labelled data), ``cells`` (one cell's figures and intervals), ``table`` (the table),
``result`` (:func:`compute_trends`, the one entry point the CLI, workflow, report and
web app use).
"""

from __future__ import annotations

from pipeline.trends.calibration import MIN_CELL_LABELS
from pipeline.trends.io import HELDOUT_FILE, load_calibration, load_heldout, load_predictions, model_real_text_figures, write_table
from pipeline.trends.periods import PERIODS, choose_period, term_label
from pipeline.trends.quantify import ESTIMATOR_CHOICES, ESTIMATORS, ESTIMATORS_BY_NAME, quantify, select_estimator
from pipeline.trends.result import TrendOptions, TrendResult, compute_trends, latest_per_group
from pipeline.trends.table import TREND_COLUMNS, UNITS, as_tuple, check_calibration_unit, trend_table

_as_tuple = as_tuple  # old name, kept for callers not yet moved to compute_trends

__all__ = [
    "ESTIMATORS", "ESTIMATORS_BY_NAME", "ESTIMATOR_CHOICES", "HELDOUT_FILE", "MIN_CELL_LABELS", "PERIODS", "TREND_COLUMNS", "choose_period",
    "UNITS", "TrendOptions", "TrendResult", "as_tuple", "check_calibration_unit", "compute_trends", "latest_per_group", "load_calibration",
    "load_heldout", "load_predictions", "model_real_text_figures", "quantify", "select_estimator", "term_label",
    "trend_table", "write_table",
]
