"""`samskab ingest` and `samskab corpus export|stats`: thin wrappers over pipeline.ingest and pipeline.store."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli import _ui

ORDER = 10

corpus_app = typer.Typer(help="Look into a corpus file: export documents/segments, counts per municipality and year.",
                         no_args_is_help=True, rich_markup_mode="rich")


@_ui.handle_errors
def ingest_cli(
    paths: list[str] = typer.Argument(..., help="Files, folders (walked recursively) or quoted globs, e.g. [bold]data/raw/[/] 'referater/**/*.pdf' notes.txt table.parquet"),
    db: Path = typer.Option(Path("corpus.duckdb"), "--db", help="Corpus file to create or add to, e.g. --db corpus.duckdb"),
    manifest: Path | None = typer.Option(None, "--manifest", help="CSV with columns path,municipality,date,doc_type,title,url,committee; paths relative to the CSV. Given fields beat inferred ones. A manifest.csv inside an input folder is used without this option."),
    workers: int = typer.Option(1, "--workers", min=1, help="Processes that extract text in parallel, e.g. --workers 4 (the store is written by one process)."),
    text_column: str = typer.Option("text", "--text-column", help="Column holding the text in CSV/JSONL/Parquet/dataset inputs, e.g. --text-column body"),
    config: Path | None = typer.Option(None, "--config", help="Pipeline config (segment.max_chars, segment.min_chars); default configs/default.yaml"),
) -> None:
    """Read documents (PDF, HTML, DOCX, TXT/MD, CSV/JSONL/Parquet, saved datasets) into a corpus file.

    Each document is cleaned, given metadata (manifest, else inferred from path and text),
    cut into segments and stored. Rerunning adds only what is new; bad files are reported
    and skipped, and the exit code is 1 if any file failed.

    Example: [bold]samskab ingest data/raw/ --db corpus.duckdb --workers 4[/]
    """
    import logging

    from pipeline.config import load_config
    from pipeline.ingest import discover, find_manifests, ingest
    from pipeline.store import CorpusStore

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns about every odd PDF; our one line suffices
    cfg = load_config(config)
    manifests = find_manifests(paths, manifest=manifest)
    skip = {m.resolve() for m in manifests if m.exists()}
    total = sum(1 for p in discover(paths) if not (p.exists() and p.resolve() in skip))
    counts = {"added": 0, "skipped": 0, "failed": 0}
    n_docs = n_segments = undated = 0
    _ui.phase(f"Ingesting {total} input(s) into {db}")
    for found in manifests:
        _ui.good(f"using {found} as the manifest (metadata per file)")
    with CorpusStore(db) as store, _ui.progress() as bar:
        task = bar.add_task("reading", total=total)
        for result in ingest(paths, store=store, manifest=manifest, workers=workers, text_column=text_column,
                             max_chars=cfg.segment.max_chars, min_chars=cfg.segment.min_chars):
            counts[result.status] += 1
            n_docs += result.documents
            n_segments += result.segments
            undated += result.undated
            for warning in result.warnings[:3]:
                _ui.warn(warning)
            if result.status == "failed":
                _ui.fail(result.error or f"{result.path}: failed")
            bar.advance(task)
        stored_docs, stored_segments = store.count_documents(), store.count_segments()
    summary = (f"{counts['added']} file(s) added ({n_docs} documents, {n_segments} segments), "
               f"{counts['skipped']} skipped (already stored), {counts['failed']} failed. "
               f"{db} now holds {stored_docs} documents, {stored_segments} segments.")
    if undated:
        _ui.warn(f"{undated} document(s) have no date or year and will be left out of trends; "
                 "add a date column to manifest.csv or a year to the file names")
    if counts["failed"]:
        _ui.fail(summary)
        raise typer.Exit(1)
    _ui.good(summary)


@corpus_app.command("export")
@_ui.handle_errors
def export_cli(
    db: Path = typer.Option(..., "--db", help="Corpus file, e.g. --db corpus.duckdb"),
    what: str = typer.Option("segments", "--what", help="documents or segments"),
    out: Path = typer.Option(..., "--out", help="Output file; format from the extension: .jsonl, .csv or .parquet, e.g. --out segments.parquet"),
) -> None:
    """Write all documents or segments of a corpus file to JSONL/CSV/Parquet.

    Example: [bold]samskab corpus export --db corpus.duckdb --what segments --out segments.jsonl[/]
    """
    from pipeline.errors import UnknownNameError
    from pipeline.store import CorpusStore

    if what not in ("documents", "segments"):
        raise UnknownNameError(kind="export table", name=what, choices="documents, segments")
    with CorpusStore(db, read_only=True) as store:
        n = store.export(what, out)  # type: ignore[arg-type]
    _ui.good(f"wrote {n} {what} to {out}")


@corpus_app.command("stats")
@_ui.handle_errors
def stats_cli(db: Path = typer.Option(..., "--db", help="Corpus file, e.g. --db corpus.duckdb")) -> None:
    """Documents and segments per municipality and year.

    Example: [bold]samskab corpus stats --db corpus.duckdb[/]
    """
    from pipeline.store import CorpusStore

    with CorpusStore(db, read_only=True) as store:
        rows = store.stats()
    _ui.table(f"Corpus {db}", ["municipality", "year", "documents", "segments"],
              [[r["municipality"] or "(unknown)", r["year"] or "(unknown)", r["documents"], r["segments"]] for r in rows])
    _ui.good(f"{sum(r['documents'] for r in rows)} documents, {sum(r['segments'] for r in rows)} segments")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_cli)
    app.add_typer(corpus_app, name="corpus")
