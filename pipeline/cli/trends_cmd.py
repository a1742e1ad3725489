"""``samskab trends`` and ``samskab report``: tables, charts and the HTML report.

Thin: parse, call pipeline.trends / plots / report, say what was written.
"""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli._ui import handle_errors

ORDER = 60

_PRED_HELP = "Predictions table from `samskab classify` (.jsonl, .csv or .parquet). Leave out with --db."
_DB_HELP = "Read the predictions from the corpus store instead of a file."
_ESTIMATOR_HELP = ("auto | cc | pcc | acc | pacc | ppi. auto: with --calibration ppi in cells with enough labels and pacc "
                   "with the corpus-wide calibration rates elsewhere; without, the lowest error on the model's held-out set.")
_CALIBRATION_HELP = ("Labelled sample of this corpus (id, rung; .jsonl/.csv/.parquet, e.g. from `samskab label sample` + "
                     "export/import): corrects the counts and widens the intervals by the error that remains. Segment labels: "
                     "not with --unit document.")
_SAMPLE_HELP = "The `samskab label sample` file the labels came from: its weights correct for a stratified sample."
_MODEL_HELP = "Model folder whose heldout_predictions.jsonl feeds acc/pacc/auto (and whose metrics.json / MODEL_CARD.md the report shows)."


def _options(overrides: list[str] | None, **given):  # noqa: ANN202 - a TrendOptions
    from pipeline.config import load_config
    from pipeline.trends import TrendOptions

    return TrendOptions.from_config(load_config(overrides=overrides), **given)


def _model_dir(model: Path | None) -> Path:
    from pipeline.models import resolve_model_dir

    return resolve_model_dir(model)


def _ci(row, field: str, *, pct: bool = False) -> str:  # noqa: ANN001 - a table row
    import math

    def fmt(v: float) -> str:
        return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else (f"{v:.1%}" if pct else f"{v:.2f}")

    return f"{fmt(row[field])} [{fmt(row[field + '_lo'])}, {fmt(row[field + '_hi'])}]"


def print_trends(result, *, limit: int = 40) -> None:  # noqa: ANN001 - a TrendResult
    """What `samskab trends` and `samskab run` print about one trend result: warnings, the
    estimator and why, rows left out, and the latest period per group with 95% intervals."""
    from pipeline.cli import _ui

    for w in result.warnings:
        _ui.warn(w)
    mix = result.table.attrs.get("estimators_by_cell") or {}
    shown = (next(iter(mix)) if len(mix) == 1 else result.estimator) if len(mix) <= 1 else \
        " / ".join(f"{e} ({n} cells)" for e, n in sorted(mix.items(), key=lambda x: -x[1]))
    _ui.good(f"estimator {shown}: {result.estimator_reason}")
    _ui.good(f"error rates from: {result.error_source}")
    left = ", ".join(f"{n} {why.replace('_', '-')}" for why, n in result.left_out.items() if n)
    if left:
        _ui.good(f"left out: {left}")
    cols = list(result.options.by)
    latest = result.latest
    rows = [[" / ".join(str(r[c]) for c in cols) or "Hele landet", r["period"], int(r["n_documents"]), int(r["n_segments"]),
             _ci(r, "share_ge3", pct=True), _ci(r, "mean_rung")] for _, r in latest.head(limit).iterrows()]
    _ui.table(f"Latest {result.options.period} per group (estimator {shown}; 95% intervals)",
              [" / ".join(cols) or "group", "period", "docs", "segments", "share >= 3", "mean rung"], rows)
    if len(latest) > limit:
        _ui.warn(f"{len(latest) - limit} more groups not shown; every group and period is in the written table")


def register(app: typer.Typer) -> None:
    @app.command("trends")
    @handle_errors
    def trends_cli(
        predictions: Path = typer.Argument(None, help=_PRED_HELP, show_default=False),
        db: Path = typer.Option(None, "--db", help=_DB_HELP),
        by: str = typer.Option("municipality", "--by", help="Comma-separated grouping fields, e.g. municipality,doc_type or municipality,committee."),
        period: str = typer.Option(None, "--period", help="year | quarter | term (election terms 2006-2009 ... 2022-2025). Default: config trends.period."),
        unit: str = typer.Option("segment", "--unit", help="segment | document (a document counts at the highest rung any of its segments reaches)."),
        estimator: str = typer.Option("auto", "--estimator", help=_ESTIMATOR_HELP),
        calibration: Path = typer.Option(None, "--calibration", help=_CALIBRATION_HELP),
        sample: Path = typer.Option(None, "--sample", help=_SAMPLE_HELP),
        model: Path = typer.Option(None, "--model", help=_MODEL_HELP + " Default: the packaged default model."),
        municipality: list[str] = typer.Option(None, "--municipality", "-m", help="Only these municipalities (repeatable)."),
        all_languages: bool = typer.Option(False, "--all-languages", help="Count segments in every language (default: Danish and too-short-to-tell only)."),
        out: Path = typer.Option(None, "--out", "-o", help="Write the table: .csv, .parquet or .xlsx (the estimator choice goes to OUT.json / an 'about' sheet)."),
        plots: Path = typer.Option(None, "--plots", help="Folder for PNG charts (a line chart per group, heat map, stacked bars)."),
        threshold: float = typer.Option(None, "--threshold", help="Top-probability threshold for classify-and-count. Default: config."),
        bootstrap: int = typer.Option(None, "--bootstrap", help="Bootstrap rounds for the intervals (0 = none). Default: config."),
        seed: int = typer.Option(None, "--seed", help="Random seed. Default: config."),
        overrides: list[str] = typer.Option(None, "--set", help="Config override, e.g. --set trends.min_support=10."),
    ) -> None:
        """Per-municipality trend table of the co-creation ladder, with 95% intervals.

        Examples:

          samskab trends predictions.jsonl --out trends.csv

          samskab trends predictions.parquet --period term --unit document -m Aarhus -m Køge --plots plots/

          samskab trends --db corpus.duckdb --by municipality,doc_type --estimator pacc --model models/default --out trends.xlsx

          samskab trends predictions.jsonl --calibration labels.jsonl --out trends.csv
        """
        from pipeline.cli import _ui
        from pipeline.trends import check_calibration_unit, compute_trends, load_predictions, write_table

        options = _options(overrides, by=by, unit=unit, estimator=estimator, period=period, threshold=threshold,
                           bootstrap=bootstrap, seed=seed, **({"languages": None} if all_languages else {}))
        check_calibration_unit(options.unit, calibration)
        _ui.phase("Reading predictions")
        records = load_predictions(predictions, db=db)
        _ui.phase(f"Estimating trends ({len(records)} segments)")
        result = compute_trends(records, options, model_dir=_model_dir(model), calibration=calibration,
                                calibration_weights=sample, municipalities=municipality or None)
        table = result.table
        if out is not None:
            write_table(table, out)
            _ui.good(f"wrote {len(table)} rows to {out}")
        if plots is not None:
            from pipeline.plots import write_plots

            paths = write_plots(table, out_dir=plots, groups=municipality or None)
            _ui.good(f"wrote {len(paths)} charts to {plots}")
        print_trends(result)

    @app.command("report")
    @handle_errors
    def report_cli(
        predictions: Path = typer.Argument(None, help=_PRED_HELP, show_default=False),
        db: Path = typer.Option(None, "--db", help=_DB_HELP),
        out: Path = typer.Option(Path("report.html"), "--out", "-o", help="HTML file to write (self-contained: charts embedded)."),
        model: Path = typer.Option(None, "--model", help=_MODEL_HELP + " Default: the packaged default model."),
        by: str = typer.Option("municipality", "--by", help="Comma-separated grouping fields."),
        period: str = typer.Option("auto", "--period", help="year | quarter | term | auto (term when the years are sparse, "
                                   "i.e. many municipality-years without documents or few documents a year; else year)."),
        unit: str = typer.Option("segment", "--unit", help="segment | document."),
        estimator: str = typer.Option("auto", "--estimator", help=_ESTIMATOR_HELP),
        calibration: Path = typer.Option(None, "--calibration", help=_CALIBRATION_HELP),
        sample: Path = typer.Option(None, "--sample", help=_SAMPLE_HELP),
        municipality: list[str] = typer.Option(None, "--municipality", "-m", help="Only these municipalities (repeatable)."),
        bootstrap: int = typer.Option(None, "--bootstrap", help="Bootstrap rounds (0 = none). Default: config."),
        lang: str = typer.Option("da", "--lang", help="da (Danish, for journalists) | en (English, for researchers)."),
        overrides: list[str] = typer.Option(None, "--set", help="Config override, e.g. --set trends.threshold=0.6."),
    ) -> None:
        """Write a self-contained HTML report: trend tables, charts, evidence quotes, model card.

        Examples:

          samskab report predictions.jsonl --out report.html

          samskab report --db corpus.duckdb --model models/default --period term -m Aarhus -m Odense

          samskab report predictions.jsonl --lang en --out report_en.html
        """
        from pipeline.cli import _ui
        from pipeline.presentation import check_lang
        from pipeline.report import build_report
        from pipeline.trends import choose_period
        from pipeline.trends import as_tuple, check_calibration_unit, load_predictions

        check_lang(lang)
        check_calibration_unit(unit, calibration)
        _ui.phase("Reading predictions")
        records = load_predictions(predictions, db=db)
        if period == "auto":
            groups = as_tuple(by)
            period = choose_period(records, by=groups[0] if groups else None)
            _ui.good(f"period: {period} (chosen by data density; set --period to choose)")
        options = _options(overrides, by=by, unit=unit, estimator=estimator, period=period, bootstrap=bootstrap)
        _ui.phase(f"Building the report ({len(records)} segments)")
        path = build_report(records, out=out, model_dir=_model_dir(model), options=options, calibration=calibration,
                            calibration_weights=sample, municipalities=municipality or None, lang=lang)
        _ui.good(f"wrote {path}")
