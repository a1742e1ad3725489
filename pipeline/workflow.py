"""The whole pipeline in one function that reads like a table of contents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EventFn = Callable[[str, str], None]  # (stage, message)
ProgressFn = Callable[[str, int, "int | None"], None]  # (stage, done, total or None when unknown)
STAGES = ("ingest", "classify", "aggregate", "trends", "report")


@dataclass
class PipelineResult:
    out_dir: Path
    store: Path
    segments: Path
    documents: Path
    trends: Path
    plots: list[Path]
    report: Path
    ingest_failed: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    estimator: str = ""
    summary: Any = None  # DataFrame: one row per municipality and period
    trend: Any = None  # the pipeline.trends.TrendResult behind summary, plots and report


def run_pipeline(inputs: list[str | Path], *, out_dir: Path, manifest: Path | None = None, model_dir: Path | None = None,
                 period: str = "year", workers: int = 1, on_event: EventFn | None = None,
                 on_progress: ProgressFn | None = None) -> PipelineResult:
    """Ingest -> segment -> classify -> aggregate -> trends -> plots -> report, into ``out_dir``.

    ``period`` "auto" chooses year or election term by data density (:func:`pipeline.trends.choose_period`).

    Every step is resumable or idempotent: rerunning adds nothing already done.
    ``on_event(stage, message)`` gets one line per finished step (with counts and the
    seconds it took) and per warning; ``on_progress(stage, done, total)`` gets the files
    ingested and the segments classified so far (stages in :data:`STAGES`).
    """
    import time

    from pipeline.classify import classify
    from pipeline.config import load_config
    from pipeline.documents import aggregate_documents
    from pipeline.ingest import discover, find_manifests, ingest
    from pipeline.io import read_records, write_records
    from pipeline.models import resolve_model_dir
    from pipeline.plots import write_plots
    from pipeline.report import build_report
    from pipeline.trends import choose_period
    from pipeline.store import CorpusStore
    from pipeline.trends import TrendOptions, compute_trends, write_table

    say = on_event or (lambda stage, message: None)
    tick = on_progress or (lambda stage, done, total: None)
    started = time.perf_counter()

    def took() -> str:
        nonlocal started
        now = time.perf_counter()
        seconds, started = now - started, now
        return f"({seconds:.1f} s)"
    cfg = load_config()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_dir = resolve_model_dir(model_dir)
    store_path = out_dir / "corpus.duckdb"

    # 1. ingest documents (and segment them) into the corpus store; a manifest.csv among the inputs is used
    failed = []
    undated = 0
    manifests = find_manifests(inputs, manifest=manifest)
    for found in manifests:
        say("ingest", f"using {found} as the manifest (metadata per file)")
    skip = {m.resolve() for m in manifests if m.exists()}
    n_files = sum(1 for p in discover(inputs) if not (p.exists() and p.resolve() in skip))
    added = skipped = 0
    tick("ingest", 0, n_files)
    with CorpusStore(store_path) as store:
        for done, res in enumerate(ingest(inputs, store=store, manifest=manifest, workers=workers,
                                          max_chars=cfg.segment.max_chars, min_chars=cfg.segment.min_chars), 1):
            tick("ingest", done, max(n_files, done))
            added += res.status == "added"
            skipped += res.status == "skipped"
            undated += res.undated
            for warning in res.warnings[:3]:
                say("ingest", f"warning {warning}")
            if res.status == "failed":
                failed.append(f"{res.path}: {res.error}")
                say("ingest", f"failed {res.error}")
        n_docs, n_segs = store.count_documents(), store.count_segments()
    say("ingest", f"{added} file(s) added, {skipped} already stored, {len(failed)} failed; "
                  f"{n_docs} documents, {n_segs} segments in {store_path} {took()}")
    if undated:
        say("ingest", f"warning {undated} document(s) have no date or year and are left out of the trends; "
                      "add a date column to manifest.csv or a year to the file names")

    # 2. classify every segment (one record per segment, with evidence)
    segments = out_dir / "predictions.jsonl"
    tick("classify", 0, n_segs)
    classify(None, segments, db=store_path, model_dir=model_dir, batch_size=cfg.classify.batch_size,
             evidence_k=cfg.classify.evidence_k, min_rung_proba=cfg.classify.min_rung_proba, keep_text=True,
             on_batch=lambda done, total: tick("classify", done, total))

    # 3. aggregate the segment predictions to documents (no second pass through the model)
    records = read_records(segments)
    say("classify", f"{len(records)} segment predictions -> {segments} {took()}")
    documents = out_dir / "documents.jsonl"
    n_doc_preds = write_records(documents, aggregate_documents(records, min_rung_proba=cfg.classify.min_rung_proba,
                                                               evidence_k=cfg.classify.evidence_k))
    say("aggregate", f"{n_doc_preds} document predictions -> {documents} {took()}")

    # 4. trend table per municipality x period, with intervals: computed once, used by the plots and the report
    if period == "auto":
        period = choose_period(records, by="municipality", min_support=cfg.trends.min_support)
        say("trends", f"period: {period} (chosen by data density)")
    trend = compute_trends(records, TrendOptions.from_config(cfg, by=("municipality",), period=period), model_dir=model_dir)
    table = trend.table
    trends = write_table(table, out_dir / "trends.csv")
    say("trends", f"{len(table)} rows (estimator {trend.estimator}) -> {trends} {took()}")

    # 5. plots and the self-contained HTML report
    plots = write_plots(table, out_dir=out_dir / "plots")
    report = build_report(records, out=out_dir / "report.html", model_dir=model_dir, trends=trend)
    say("report", f"{len(plots)} plots, report -> {report} {took()}")
    return PipelineResult(out_dir, store_path, segments, documents, trends, plots, report, failed,
                          {"documents": n_docs, "segments": n_segs, "undated": undated}, trend.estimator, table, trend)
