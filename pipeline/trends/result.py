"""``compute_trends``: the one place trends are computed; CLI, workflow, report and web take its result."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import DataError
from pipeline.trends.calibration import MIN_CELL_LABELS
from pipeline.trends.features import DEFAULT_LANGUAGES
from pipeline.trends.io import load_heldout, model_real_text_figures
from pipeline.trends.quantify import ESTIMATORS_BY_NAME
from pipeline.trends.table import as_tuple, trend_table

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class TrendOptions:
    """What to compute. :meth:`from_config` is the one place config becomes trend options."""

    by: tuple[str, ...] = ("municipality",)
    period: str = "year"
    unit: str = "segment"
    estimator: str = "auto"
    threshold: float = 0.5
    min_support: int = 5
    bootstrap: int = 500
    seed: int = 13
    languages: tuple[str, ...] | None = DEFAULT_LANGUAGES
    min_cell_labels: int = MIN_CELL_LABELS

    @classmethod
    def from_config(cls, cfg: Any = None, **overrides: Any) -> TrendOptions:
        """Options from the ``trends:`` config section (loaded when ``cfg`` is None); None overrides are ignored."""
        if cfg is None:
            from pipeline.config import load_config

            cfg = load_config()
        section = getattr(cfg, "trends", cfg)
        base = dict(period=section.period, threshold=section.threshold, min_support=section.min_support,
                    bootstrap=section.bootstrap, seed=section.seed)
        base.update({k: v for k, v in overrides.items() if v is not None})
        if "by" in base:
            base["by"] = as_tuple(base["by"])
        return cls(**base)


@dataclass
class TrendResult:
    """Everything one trend computation yields.

    ``table``: one row per group and period (see :data:`pipeline.trends.TREND_COLUMNS`);
    ``national``: the same figures for the whole country (grouped by the ``by`` columns
    other than municipality); ``latest``: the latest period with documents per group;
    ``estimator`` / ``estimator_reason``; ``calibration``: None, or the calibration
    sample's size and use; ``error_source``: where the error rates come from, in words;
    ``warnings``; ``left_out``: rows not counted, by reason (noise / non_danish / no_date).
    """

    table: pd.DataFrame
    national: pd.DataFrame
    latest: pd.DataFrame
    options: TrendOptions
    estimator: str
    estimator_reason: str
    calibration: dict[str, Any] | None
    error_source: str
    model_real_text: str
    warnings: list[str] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)


def latest_per_group(table: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The latest period with documents, one row per group (the whole table's last filled row without groups)."""
    filled = table[table["n_documents"] > 0].sort_values("period_start", kind="stable")
    cols = list(by)
    return filled.groupby(cols, sort=True).tail(1).sort_values(cols, kind="stable") if cols else filled.tail(1)


def compute_trends(predictions: Iterable[Mapping[str, Any]], options: TrendOptions | None = None, *,
                   model_dir: str | Path | None = None, heldout: Any = None,
                   calibration: str | Path | Mapping[str, int] | Iterable[Mapping[str, Any]] | None = None,
                   calibration_weights: str | Path | Mapping[str, float] | None = None,
                   municipalities: Sequence[str] | None = None) -> TrendResult:
    """The trend table, national figures and latest period per group, computed once.

    ``model_dir`` gives the held-out predictions (unless ``heldout`` is given) and the
    model's real-text figures; ``calibration`` labelled records of this corpus replace the
    held-out error rates (see :mod:`pipeline.trends.calibration`); ``calibration_weights``
    are the sample weights of a stratified sample ({id: weight} or the `label sample` file).
    """
    options = options or TrendOptions()
    if municipalities and "municipality" not in options.by:
        raise DataError(detail="--municipality needs 'municipality' among the --by columns")
    records = list(predictions)
    held = heldout if heldout is not None else load_heldout(model_dir)
    if isinstance(held, (str, Path)) or (held is not None and not isinstance(held, tuple)):
        held = load_heldout(held)
    common = dict(period=options.period, unit=options.unit, threshold=options.threshold, min_support=options.min_support,
                  bootstrap=options.bootstrap, seed=options.seed, heldout=held, languages=options.languages,
                  min_cell_labels=options.min_cell_labels)
    if calibration is not None and not isinstance(calibration, Mapping):
        from pipeline.trends.io import load_calibration

        calibration = load_calibration(calibration)
    if calibration_weights is not None and not isinstance(calibration_weights, Mapping):
        from pipeline.trends.io import load_sample_weights

        calibration_weights = load_sample_weights(calibration_weights)
    common["calibration_weights"] = calibration_weights
    rest = tuple(c for c in options.by if c != "municipality")
    national = trend_table(records, by=rest, estimator=options.estimator, calibration=calibration, national=False, **common)
    if "municipality" in options.by:
        table = trend_table(records, by=options.by, estimator=options.estimator, calibration=calibration,
                            municipalities=municipalities, national=national, **common)
    else:  # the table is the national table
        table = national.copy()
        table.attrs = dict(national.attrs, warnings=list(national.attrs["warnings"]))
    real = model_real_text_figures(model_dir)
    warnings = list(table.attrs["warnings"])
    if calibration is None:
        corrected = held is not None and ESTIMATORS_BY_NAME[table.attrs["estimator"]].correction is not None
        source = "written examples (the model's held-out test set)" if corrected else "none: the classifier's counts, uncorrected"
        if corrected:
            warnings.append("the error rates come from written examples; on real text the model errs more often "
                            f"(real-text figures: {real}), so the intervals are optimistic. Calibrate with a labelled "
                            "sample of your own documents: `samskab label sample`, then `samskab trends --calibration`")
        else:
            warnings.append("the shares are the classifier's own counts, not corrected for its errors; on real text it errs "
                            f"more often than on written examples (real-text figures: {real}). Calibrate with "
                            "`samskab label sample` and `samskab trends --calibration`")
    else:
        cal = table.attrs["calibration"]
        source = f"calibration sample of this corpus ({cal['n_matched']} labelled segments)"
    table.attrs.update(error_source=source, model_real_text=real, warnings=warnings)
    return TrendResult(table=table, national=national, latest=latest_per_group(table, options.by), options=options,
                       estimator=table.attrs["estimator"], estimator_reason=table.attrs["estimator_reason"],
                       calibration=table.attrs["calibration"], error_source=source, model_real_text=real,
                       warnings=warnings, left_out=dict(table.attrs["left_out"]))
