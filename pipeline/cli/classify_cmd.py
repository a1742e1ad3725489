"""`samskab classify` and `samskab explain`."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli import _ui

ORDER = 40


def register(app: typer.Typer) -> None:
    app.command("classify")(classify_cmd)
    app.command("explain")(explain_cmd)


@_ui.handle_errors
def classify_cmd(
    input: Path = typer.Argument(None, help="JSONL/CSV/Parquet of records with `id` and `text`, or a folder of documents."),
    out: Path = typer.Option(..., "--out", "-o", help="Output file; .jsonl, .csv or .parquet."),
    model: Path = typer.Option(None, "--model", help="Model folder (default: the packaged default model)."),
    db: Path = typer.Option(None, "--db", help="Classify the segments of a corpus store instead of INPUT."),
    level: str = typer.Option("segment", "--level", help="segment: one record per input; document: one per document."),
    engine: str = typer.Option("local", "--engine", help="local or dask."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address (tcp://host:8786); none starts a local cluster."),
    workers: int = typer.Option(1, "--workers", "-w", help="Worker processes (local) or local-cluster workers (dask)."),
    batch_size: int = typer.Option(None, "--batch-size", help="Records per batch (memory is bounded by this)."),
    evidence: int = typer.Option(None, "--evidence", help="Evidence sentences per record."),
    keep_text: bool = typer.Option(False, "--keep-text", help="Copy each segment's text into the output."),
    vocab: bool = typer.Option(True, "--vocab/--no-vocab", help="Flag segments that use co-creation vocabulary (for talk vs. practice)."),
    to_store: bool = typer.Option(False, "--to-store", help="With --db: also write the predictions into the store as a run."),
) -> None:
    """Classify segments on the co-creation ladder; one output record per input record.

    Each output has id, rung, rung_label, rung_proba (5 floats), actors, actor_proba,
    evidence (sentences with scores), vocab and the input's metadata. An interrupted run
    continues where it stopped when started again with the same arguments.

    Examples:
      samskab classify data/demo/segments.jsonl --out out/predictions.jsonl
      samskab classify minutes/ --out docs.csv --level document
      samskab classify --db corpus.duckdb --out preds.parquet --workers 2 --to-store
      samskab classify big.jsonl --out big.parquet --engine dask --scheduler tcp://10.0.0.5:8786
    """
    from pipeline.classify import classify
    from pipeline.config import load_config

    if level not in ("segment", "document"):
        raise typer.BadParameter("--level must be segment or document")
    if engine not in ("local", "dask"):
        raise typer.BadParameter("--engine must be local or dask")
    from pipeline.models import resolve_model_dir

    cfg = load_config().classify
    model = resolve_model_dir(model)
    with _ui.progress() as progress:
        task = progress.add_task("classifying", total=None)
        result = classify(input, out, model_dir=model, db=db, level=level, engine=engine, workers=workers, scheduler=scheduler,
                          batch_size=batch_size or cfg.batch_size, evidence_k=cfg.evidence_k if evidence is None else evidence,
                          vocab=vocab, keep_text=keep_text, min_rung_proba=cfg.min_rung_proba,
                          on_batch=lambda done, total: progress.update(task, completed=done, total=total))
    if result.resumed_batches:
        _ui.good(f"resumed: {result.resumed_batches} of {result.n_batches} batches were already done")
    _ui.good(f"{result.n_input} records in, {result.n_output} {level} records out -> {result.out}")
    if to_store and db is not None:
        from pipeline.io import iter_batches
        from pipeline.store import CorpusStore

        with CorpusStore(db) as store:
            run_id = store.start_run("classify", {"model": str(model), "level": level})
            for batch in iter_batches(result.out):
                store.write_predictions(run_id, batch)
            store.finish_run(run_id)
        _ui.good(f"stored as run {run_id} in {db}")


@_ui.handle_errors
def explain_cmd(
    text: str = typer.Argument(None, help="The text to explain (or use --file)."),
    file: Path = typer.Option(None, "--file", "-f", help="Read the text from a file (TXT, PDF, DOCX, HTML...)."),
    model: Path = typer.Option(None, "--model", help="Model folder (default: the packaged default model)."),
    k: int = typer.Option(3, "--k", help="Evidence sentences to show."),
) -> None:
    """Show the rung, actors and the sentences (and terms) that drove the decision.

    Examples:
      samskab explain "Byrådet nedsætter et § 17, stk. 4-udvalg med borgere og foreninger."
      samskab explain --file referat.pdf
    """
    from rich.markup import escape
    from rich.panel import Panel
    from rich.text import Text

    from pipeline.models import load_model

    if file is not None:
        from pipeline.ingest import read_document

        text = "\n\n".join(d["text"] for d in read_document(file))
    if not text or not text.strip():
        raise typer.BadParameter("give a text or --file with text in it")
    m = load_model(model)
    row = m.predict_records([{"id": "text", "text": text}], evidence_k=k)[0]
    rung = row["rung"]
    defn = m.codebook.rungs[rung]
    _ui.console.print(Panel.fit(
        f"[bold]rung {rung}[/] · {row['rung_label']} · {escape(defn.name_da)}\n"
        + "  ".join(f"{i}:{p:.2f}" for i, p in enumerate(row["rung_proba"]))
        + f"\n[dim]{escape(defn.definition)}[/]\nactors: {', '.join(row['actors']) or '—'}", title="samskab explain"))
    highlighted = Text(text)
    for ev in row["evidence"]:
        if ev.get("start") is not None and ev["score"] > 0:
            highlighted.stylize("bold black on yellow", ev["start"], ev["end"])
    _ui.console.print(highlighted)
    for n, ev in enumerate(row["evidence"], 1):
        terms = ", ".join(f"{t} ({v:+.2f})" for t, v in ev.get("terms", []))
        _ui.console.print(f"[yellow]{n}.[/] score {ev['score']:+.3f}  {escape(ev['sentence'])}" + (f"\n   [dim]terms: {escape(terms)}[/]" if terms else ""))
