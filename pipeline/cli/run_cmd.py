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
    from pipeline.cli.trends_cmd import print_trends
    from pipeline.models import resolve_model_dir
    from pipeline.workflow import run_pipeline

    model = resolve_model_dir(model)  # fail before any work
    _ui.phase(f"Running the pipeline on {', '.join(map(str, inputs))}")
    with _ui.StageProgress() as progress:
        def on_event(stage: str, msg: str) -> None:
            if msg.startswith(("failed", "warning")):
                _ui.warn(f"{stage}: {msg}")
            else:
                progress.step(stage, msg)

        result = run_pipeline(inputs, out_dir=out, manifest=manifest, model_dir=model, period=period, workers=workers,
                              on_event=on_event, on_progress=progress.update)
    print_trends(result.trend)
    _ui.good(f"every municipality and {result.trend.options.period} (empty cells kept as empty, not zero): {result.trends}")
    _ui.good(f"outputs in {result.out_dir}: corpus.duckdb, predictions.jsonl, documents.jsonl, trends.csv, plots/, report.html")
    if result.ingest_failed:
        _ui.warn(f"{len(result.ingest_failed)} input file(s) failed; see the lines above")
