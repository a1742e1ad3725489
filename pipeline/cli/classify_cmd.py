"""`samskab classify` and `samskab explain`."""

from __future__ import annotations

import re
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
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes (local) or local-cluster workers (dask)."),
    batch_size: int = typer.Option(None, "--batch-size", min=1, help="Records per batch (memory is bounded by this)."),
    evidence: int = typer.Option(None, "--evidence", min=0, help="Evidence sentences per record."),
    keep_text: bool = typer.Option(False, "--keep-text", help="Copy each segment's text into the output."),
    vocab: bool = typer.Option(True, "--vocab/--no-vocab", help="Flag segments that use co-creation vocabulary (for talk vs. practice)."),
    to_store: bool = typer.Option(False, "--to-store", help="With --db: also write the predictions into the store as a run."),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first bad record instead of writing it to OUT.rejects.jsonl."),
) -> None:
    """Classify segments on the co-creation ladder; one output record per input record.

    Each output has id, rung, rung_label, rung_proba (5 floats), actors, actor_proba,
    evidence (sentences with scores), vocab, lang and the input's metadata. Noise segments
    (table of contents, attendance, ...) get rung null and skipped "noise". Bad records
    (malformed lines, no id or text, duplicate ids) go to OUT.rejects.jsonl with their line
    and reason; the rest is classified and the exit code is 1 (--strict stops at the first).
    An interrupted run continues where it stopped when started again with the same arguments.

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
                          vocab=vocab, keep_text=keep_text, min_rung_proba=cfg.min_rung_proba, strict=strict, to_store=to_store,
                          on_batch=lambda done, total: progress.update(task, completed=done, total=total))
    if result.resumed_batches:
        _ui.good(f"resumed: {result.resumed_batches} of {result.n_batches} batches were already done")
    rejected = f" ({result.n_rejected} rejected)" if result.n_rejected else ""
    _ui.good(f"{result.n_input + result.n_rejected} records in{rejected}, {result.n_output} {level} records out -> {result.out}")
    notes = ([f"{result.n_noise} noise segments (table of contents, attendance, ...) not classified"] if result.n_noise else []) + (
        [f"{result.n_non_danish} segments not in Danish (classified; trends leave them out by default)"] if result.n_non_danish else [])
    if notes:
        _ui.good("; ".join(notes))
    if result.run_id:
        _ui.good(f"stored {result.n_stored} segment predictions as run {result.run_id} in {db}")
    if result.n_rejected:
        first = result.first_reject or {}
        _ui.fail(f"{result.n_rejected} records rejected -> {result.rejects} (first: line {first.get('line')}: {first.get('reason')})")
        raise typer.Exit(1)


_CONTROL = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"      # CSI (7- and 8-bit): colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"       # DCS, PM, APC, SOS strings
    r"|\x1b[@-Z\\-_]?"                       # other escapes (and a lone ESC)
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]"  # other C0/C1 controls (\n, \t and \r stay)
)


def terminal_safe(text: str) -> str:
    """Text without terminal control sequences, so a document cannot drive the user's terminal."""
    return _CONTROL.sub("", text)


def _heading_and_body(sentence: str) -> tuple[str | None, str]:
    """Split heading lines ("Sagsfremstilling", "Beslutning:") off an evidence sentence, for display."""
    lines = [line.strip() for line in sentence.splitlines() if line.strip()]
    heads = []
    while len(lines) > 1 and len(lines[0]) <= 80 and not lines[0].endswith((".", "!", "?")):
        heads.append(lines.pop(0).rstrip(":"))
    body = " ".join(lines)
    label = re.match(r"^([A-ZÆØÅ][\wæøåÆØÅ ]{2,30}):\s+(?=\S)", body)
    if label and len(body) > len(label.group(0)) + 10:
        heads.append(label.group(1))
        body = body[label.end():]
    return (" · ".join(heads) or None), body


@_ui.handle_errors
def explain_cmd(
    text: str = typer.Argument(None, help="The text to explain (or use --file)."),
    file: Path = typer.Option(None, "--file", "-f", help="Read the text from a file (TXT, PDF, DOCX, HTML...)."),
    model: Path = typer.Option(None, "--model", help="Model folder (default: the packaged default model)."),
    k: int = typer.Option(3, "--k", min=0, help="Evidence sentences to show."),
) -> None:
    """Show the rung, actors and the sentences (and terms) that drove the decision.

    A file (or a long text) is segmented as ingest and the web page do: the document's
    rung first, then each segment's rung with its evidence.

    Examples:
      samskab explain "Byrådet nedsætter et § 17, stk. 4-udvalg med borgere og foreninger."
      samskab explain --file referat.pdf
    """
    from rich.markup import escape

    from pipeline.classify import classify_document
    from pipeline.models import load_model

    if file is not None:
        from pipeline.ingest import read_document

        docs = read_document(file)
        text = "\n\n".join(d["text"] for d in docs)
        meta = {k: v for k, v in (docs[0] if docs else {}).items() if k not in ("text", "id")}
    else:
        meta = {}
        if text:
            from pipeline.segment import clean_text

            text = clean_text(text)
    text = terminal_safe(text or "")
    if not text.strip():
        raise typer.BadParameter("give a text or --file with text in it")
    m = load_model(model)
    segments, document = classify_document(m, {**meta, "id": "text", "text": text}, evidence_k=k)
    if len(segments) == 1 and document is not None:
        _explain_one(m, segments[0], text, k)
        return
    if document is None:
        _ui.warn("every segment is noise (table of contents, attendance, ...): nothing to classify")
    else:
        _ui.console.print(_summary_panel(m, document, title=f"samskab explain · {len(segments)} segments"))
    item = None
    for seg in segments:
        if seg.get("item") and seg["item"] != item:  # the agenda item's title, once, above its segments
            _ui.console.print(f"[bold cyan]{escape(seg['item'])}[/]")
        item = seg.get("item")
        where = f"§{seg.get('position', 0) + 1}" + (f" · {escape(seg['section'])}" if seg.get("section") else "")
        if seg.get("rung") is None:
            _ui.console.print(f"[dim]{where} · skipped ({escape(str(seg.get('section_kind')))})[/]")
            continue
        proba = seg["rung_proba"][seg["rung"]]
        _ui.console.print(f"[bold]{where}[/] · rung {seg['rung']} ({proba:.2f}) · {seg['rung_label']}"
                          + (f" · lang {seg['lang']}" if seg.get("lang") not in ("da", "und") else ""))
        for ev in [e for e in seg["evidence"] if e.get("score", 0) > 0][:k]:
            head, body = _heading_and_body(ev["sentence"])
            _ui.console.print(f"   [yellow]{ev['score']:+.3f}[/] " + (f"[dim]\\[{escape(head)}][/] " if head else "") + escape(body))


def _summary_panel(m, row: dict, *, title: str):  # noqa: ANN001, ANN202
    from rich.markup import escape
    from rich.panel import Panel

    rung = row["rung"]
    defn = m.codebook.rungs[rung]
    return Panel.fit(
        f"[bold]rung {rung}[/] · {row['rung_label']} · {escape(defn.name_da)}\n"
        + "  ".join(f"{i}:{p:.2f}" for i, p in enumerate(row["rung_proba"]))
        + f"\n[dim]{escape(defn.definition_da)}[/]\nactors: {', '.join(row['actors']) or '—'}"
        + (f" ({', '.join(a.name_da for a in m.codebook.actors if a.id in row['actors'])})" if row["actors"] else "")
        + (f" · language: {row['lang']}" if row.get("lang") not in (None, "da", "und") else ""), title=title)


def _explain_one(m, row: dict, text: str, k: int) -> None:  # noqa: ANN001
    from rich.markup import escape
    from rich.text import Text

    _ui.console.print(_summary_panel(m, row, title="samskab explain"))
    highlighted = Text(text)
    offset = row.get("start") or 0
    for ev in row["evidence"]:
        if ev.get("start") is not None and ev["score"] > 0:
            highlighted.stylize("bold black on yellow", offset + ev["start"], offset + ev["end"])
    _ui.console.print(highlighted)
    for n, ev in enumerate(row["evidence"][:k], 1):
        terms = ", ".join(f"{t} ({v:+.2f})" for t, v in ev.get("terms", []))
        head, body = _heading_and_body(ev["sentence"])
        _ui.console.print(f"[yellow]{n}.[/] score {ev['score']:+.3f}  " + (f"[dim]\\[{escape(head)}][/] " if head else "") + escape(body)
                          + (f"\n   [dim]terms: {escape(terms)}[/]" if terms else ""))
