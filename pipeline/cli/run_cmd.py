"""`samskab run`: the whole pipeline, end to end."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli import _ui

ORDER = 5


def register(app: typer.Typer) -> None:
    app.command("run")(run_cmd)


@_ui.handle_errors
def run_cmd(
    inputs: list[Path] = typer.Argument(..., help="Files or folders of documents (PDF, HTML, DOCX, TXT, JSONL/CSV/Parquet tables)."),
    out: Path = typer.Option(Path("out/run"), "--out", "-o", help="Output folder (corpus, predictions, trends, plots, report)."),
    manifest: Path = typer.Option(None, "--manifest", help="CSV with path,municipality,date,doc_type,title,url,committee; a manifest.csv inside an input folder is used without this option."),
    model: Path = typer.Option(None, "--model", help="Model folder (default: the packaged default model)."),
    period: str = typer.Option("auto", "--period", help="year, quarter, term (valgperiode) or auto (term when the years are sparse)."),
    workers: int = typer.Option(1, "--workers", "-w", help="Processes for document extraction."),
) -> None:
    """Ingest documents, classify every segment, and build trend tables, plots and an HTML report.

    Examples:
      samskab run data/demo/documents.jsonl data/demo/files --manifest data/demo/files/manifest.csv --out out/demo
      samskab run ~/referater/ --out out/mine --period term
    """
    from pipeline.models import resolve_model_dir
    from pipeline.workflow import run_pipeline

    model = resolve_model_dir(model)  # fail before any work
    _ui.phase(f"Running the pipeline on {', '.join(map(str, inputs))}")
    result = run_pipeline(inputs, out_dir=out, manifest=manifest, model_dir=model, period=period, workers=workers,
                          on_event=lambda stage, msg: (_ui.warn if msg.startswith(("failed", "warning")) else _ui.good)(f"{stage}: {msg}"))
    table = result.summary
    period = result.trend.options.period
    rows = []
    empty = 0
    for _, r in table.iterrows():
        if r["n_documents"] == 0:
            empty += 1
            continue
        rows.append([r["municipality"], r["period"], int(r["n_documents"]), int(r["n_segments"]),
                     None if r["n_segments"] == 0 else f"{r['share_ge3']:.2f} [{r['share_ge3_lo']:.2f}, {r['share_ge3_hi']:.2f}]",
                     None if r["n_segments"] == 0 else round(float(r["mean_rung"]), 2)])
    _ui.table(f"Co-creation ladder per municipality and {period} (estimator {result.estimator}; share of segments at rung ≥ 3, 95% CI)",
              ["municipality", period, "docs", "segments", "share ≥ 3", "mean rung"], rows)
    if empty:
        _ui.good(f"{empty} empty municipality x {period} cells are left out here and kept (as empty, not zero) in trends.csv")
    _ui.good(f"outputs in {result.out_dir}: corpus.duckdb, predictions.jsonl, documents.jsonl, trends.csv, plots/, report.html")
    if result.ingest_failed:
        _ui.warn(f"{len(result.ingest_failed)} input file(s) failed; see the lines above")
