"""`samskab label ...`: rule-based silver labels, annotation export/import, the active-learning
queue, agreement and likely label errors. Thin: each command calls one library function."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli import _ui

ORDER = 20

label_app = typer.Typer(help="Labelling: rule-based silver labels, annotation export/import, queues, quality.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(label_app, name="label")


@label_app.command("rules")
@_ui.handle_errors
def rules_cmd(
    input: Path = typer.Argument(None, help="JSONL/CSV/Parquet with `id` and `text` (or use --db)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output file (.jsonl/.csv/.parquet) with rung, actors, evidence and rule_id."),
    db: Path = typer.Option(None, "--db", help="Label the segments of a corpus store."),
    to_store: bool = typer.Option(False, "--to-store", help="With --db: also store the silver labels (annotator 'rules')."),
) -> None:
    """Silver labels from the codebook cues (spaCy Matcher over lemmas), with the matched spans.

    Noise segments (table of contents, attendance, ...) get no label, as classify leaves
    them unclassified; the command says how many it skipped.

    Examples:
      samskab label rules data/demo/segments.jsonl --out out/rules.jsonl
      samskab label rules --db corpus.duckdb --out out/rules.parquet --to-store
    """
    from pipeline.classify import is_noise
    from pipeline.codebook import load_codebook
    from pipeline.io import RecordWriter, iter_batches
    from pipeline.rules import RuleLabeller

    labeller = RuleLabeller()
    codebook = load_codebook()
    if db is not None:
        from pipeline.store import CorpusStore

        store = CorpusStore(db, read_only=not to_store)
        batches = store.iter_segments(batch_size=1024)
    elif input is not None:
        store, batches = None, iter_batches(input, batch_size=1024)
    else:
        raise typer.BadParameter("give INPUT or --db")
    n = skipped = 0
    counts = [0] * 5
    with RecordWriter(out) as writer, _ui.progress() as progress:
        task = progress.add_task("rules", total=None)
        for batch in batches:
            content = [r for r in batch if not is_noise(r)]
            skipped += len(batch) - len(content)
            rows = labeller.label_records(content)
            writer.write(rows)
            if store is not None and to_store:
                store.write_labels([{"segment_id": r["id"], "rung": r["rung"], "actors": r["actors"], "annotator": "rules",
                                     "source": r["rule_id"]} for r in rows], codebook_hash=codebook.hash)
            for r in rows:
                counts[r["rung"]] += 1
            n += len(rows)
            progress.update(task, completed=n + skipped)
    if store is not None:
        store.close()
    _ui.good(f"{n} segments labelled by rules -> {out} (codebook {codebook.hash})")
    if skipped:
        _ui.good(f"{skipped} noise segments (table of contents, attendance, ...) skipped: not labelled, as classify leaves them")
    _ui.table("Silver rung distribution", ["rung", "segments"], [[k, counts[k]] for k in range(5)])


FORMAT_HELP = "labelstudio, doccano or csv."


@label_app.command("export")
@_ui.handle_errors
def export_cmd(
    input: Path = typer.Argument(None, help="Segments (JSONL/CSV/Parquet or a folder of documents), or use --db / --ids."),
    fmt: str = typer.Option(..., "--format", "-f", help=f"Annotation tool: {FORMAT_HELP}"),
    out: Path = typer.Option(..., "--out", "-o", help="File to write (Label Studio: .json, doccano: .jsonl, csv: .csv)."),
    db: Path = typer.Option(None, "--db", help="Take the segments from a corpus store."),
    model: Path = typer.Option(None, "--model", help="Model folder whose predictions pre-fill the choices."),
    ids: Path = typer.Option(None, "--ids", help="Export only these ids, in this order (a `label queue` output)."),
    rules: bool = typer.Option(False, "--rules", help="Without --model: pre-fill the choices with the rule labeller."),
) -> None:
    """Write segments for annotation, with pre-annotations to correct.

    Label Studio gets FILE.json plus the labelling config FILE.xml; doccano gets
    FILE.jsonl plus the label types FILE.labels.json; csv is one row per segment with
    empty rung/actors columns.

    Examples:
      samskab label export --db corpus.duckdb --ids queue.jsonl --model models/default --format labelstudio --out tasks.json
      samskab label export queue.jsonl --format csv --out to_label.csv
    """
    from pipeline.labelling.formats import check_format, export_for_annotation

    spec = check_format(fmt)
    paths, n = export_for_annotation(input, out, fmt=fmt, db=db, model_dir=model, ids_path=ids, rules=rules)
    _ui.good(f"{n} segments -> {', '.join(map(str, paths))}")
    if spec.next_step:
        _ui.good(spec.next_step.format(data=paths[0], companion=paths[-1]))


@label_app.command("import")
@_ui.handle_errors
def import_cmd(
    file: Path = typer.Argument(..., help="The annotated file exported from the tool (or the filled-in CSV)."),
    fmt: str = typer.Option(..., "--format", "-f", help=f"Annotation tool: {FORMAT_HELP}"),
    out: Path = typer.Option(..., "--out", "-o", help="Label file to write (.jsonl/.csv), usable by `samskab retrain --add`."),
    db: Path = typer.Option(None, "--db", help="Also store the labels in this corpus store."),
    annotator: str = typer.Option(None, "--annotator", help="Annotator name where the file does not say who labelled."),
    only_annotator: str = typer.Option(None, "--only-annotator", help="Keep only this annotator's labels (Label Studio user id or email)."),
    users: Path = typer.Option(None, "--users", help="Label Studio user list (JSON from /api/users): names annotators the export gives as numeric ids."),
) -> None:
    """Read annotations back, validated against the codebook.

    Items not yet annotated are skipped; an unknown label, a rung outside 0-4, missing
    text or one id with two different labels stops the import with the file and record.
    Label Studio: its JSON, JSON-MIN and CSV/TSV exports; annotators are named by e-mail.

    Examples:
      samskab label import export.json --format labelstudio --out data/labelled/new.jsonl --db corpus.duckdb
      samskab label import project-3-at-2024.csv --format labelstudio --users users.json --out new.jsonl
      samskab label import to_label.csv --format csv --annotator anna --out anna.jsonl
    """
    from pipeline.labelling.formats import import_to_labels

    result = import_to_labels(file, out, fmt=fmt, db=db, annotator=annotator, only_annotator=only_annotator, users=users)
    counts = [0] * 5
    for r in result.records:
        counts[r["rung"]] += 1
    annotators = sorted({r["annotator"] for r in result.records})
    _ui.good(f"{len(result.records)} labels from {file} -> {out}" + (f" and {db}" if db else "")
             + f" (annotators: {', '.join(annotators)})")
    if result.skipped:
        _ui.warn(f"{result.skipped} item(s) had no annotation yet and were skipped")
    if fmt == "labelstudio" and users is None and annotators and all(a.isdigit() for a in annotators):
        _ui.warn("the annotators are Label Studio user ids; to name them by e-mail save the user list "
                 "(GET /api/users, as JSON) and import again with --users users.json")
    _ui.table("Imported rung distribution", ["rung", "labels"], [[k, counts[k]] for k in range(5)])


@label_app.command("sample")
@_ui.handle_errors
def sample_cmd(
    input: Path = typer.Argument(None, help="Segments or predictions (JSONL/CSV/Parquet), or use --db."),
    out: Path = typer.Option(..., "--out", "-o", help="Sample file (.jsonl/.csv) for `label export` (as INPUT or --ids)."),
    db: Path = typer.Option(None, "--db", help="Take the segments from a corpus store."),
    n: int = typer.Option(200, "-n", "--n", min=1, help="How many segments to draw (see README: How many labels do I need?)."),
    seed: int = typer.Option(13, "--seed", help="Random seed (recorded in the sample)."),
    stratify: str = typer.Option(None, "--stratify", help="Field to stratify on, e.g. municipality: equal labels per stratum, weights recorded."),
) -> None:
    """A random sample of the corpus to label, so `samskab trends --calibration` can correct the model's counts.

    Examples:
      samskab label sample --db corpus.duckdb -n 200 --out sample.jsonl
      samskab label sample predictions.jsonl -n 300 --stratify municipality --out sample.jsonl
      then: samskab label export sample.jsonl --format csv --out to_label.csv, label it,
            samskab label import to_label.csv --format csv --out labels.jsonl,
            samskab trends predictions.jsonl --calibration labels.jsonl --sample sample.jsonl
    """
    from pipeline.labelling.sample import sample_for_labelling

    summary = sample_for_labelling(input, out, db=db, n=n, seed=seed, stratify=stratify)
    _ui.good(f"{summary.drawn} of {summary.population} segments drawn (seed {seed}) -> {out}")
    for why, count in summary.left_out.items():
        _ui.warn(f"{count} {why.replace('_', '-')} segments are not counted by the trends and were not drawn")
    if stratify:
        rows = [[k, big_n, small_n, f"{big_n / small_n:.1f}" if small_n else "-"] for k, (big_n, small_n) in summary.per_stratum.items()]
        _ui.table(f"Sample per {stratify}", [stratify, "segments", "drawn", "weight"], rows[:30])


@label_app.command("queue")
@_ui.handle_errors
def queue_cmd(
    input: Path = typer.Argument(None, help="Segments (JSONL/CSV/Parquet or a folder of documents), or use --db."),
    out: Path = typer.Option(..., "--out", "-o", help="Queue file (.jsonl) for `label export --ids`."),
    db: Path = typer.Option(None, "--db", help="Take the segments from a corpus store (its human labels are skipped)."),
    n: int = typer.Option(200, "-n", "--n", min=1, help="How many segments to queue."),
    strategy: str = typer.Option("uncertainty", "--strategy", help="uncertainty (entropy), margin (top-2 margin) or diverse (uncertainty x TF-IDF spread)."),
    model: Path = typer.Option(None, "--model", help="Model folder (default models/default)."),
    exclude: list[Path] = typer.Option(None, "--exclude", help="Label files whose ids are already labelled (repeatable)."),
) -> None:
    """Pick the unlabelled segments that would help the model most, municipalities in turn.

    Examples:
      samskab label queue --db corpus.duckdb -n 200 --strategy diverse --out queue.jsonl
      samskab label queue segments.jsonl --exclude data/labelled/train.jsonl --out queue.jsonl
    """
    from pipeline.labelling.queue import queue_for_annotation

    result = queue_for_annotation(input, out, db=db, n=n, strategy=strategy, model_dir=model, exclude=exclude or [])
    queue = result.records
    per_municipality: dict[str, int] = {}
    for r in queue:
        per_municipality[r["municipality"]] = per_municipality.get(r["municipality"], 0) + 1
    _ui.good(f"{len(queue)} segments queued ({strategy}) -> {out}")
    if result.shortfall:
        _ui.warn(result.shortfall)
    _ui.table("Queued per municipality", ["municipality", "segments"], sorted(per_municipality.items(), key=lambda kv: (-kv[1], kv[0]))[:20])


@label_app.command("agreement")
@_ui.handle_errors
def agreement_cmd(
    files: list[Path] = typer.Argument(..., help="Two or more label files, one per annotator."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the full report (JSON)."),
) -> None:
    """Inter-annotator agreement: Cohen's kappa (plain, quadratic), Krippendorff's alpha, per actor.

    Example:
      samskab label agreement anna.jsonl bo.jsonl --out agreement.json
    """
    from pipeline.labelling.quality import agreement_report

    report = agreement_report(files, out=out)
    _ui.good(f"Krippendorff's alpha (ordinal, rung, {len(files)} annotators): {_fmt(report['rung_alpha_ordinal'])}")
    _ui.table("Rung agreement per pair", ["a", "b", "overlap", "kappa", "kappa (quadratic)", "% agree"],
              [[p["a"], p["b"], p["n_overlap"], _fmt(p["rung"]["kappa"]), _fmt(p["rung"]["kappa_quadratic"]),
                _fmt(p["rung"]["percent_agreement"])] for p in report["pairs"]])
    first = report["pairs"][0]
    _ui.table(f"Actors ({first['a']} vs {first['b']})", ["actor", "kappa", "% agree"],
              [[a, _fmt(v["kappa"]), _fmt(v["percent_agreement"])] for a, v in first["actors"].items()])
    _ui.table(f"Rung confusion (rows {first['a']}, columns {first['b']})", ["rung", *map(str, range(5))],
              [[k, *row] for k, row in enumerate(first["rung"]["confusion"])])
    if out:
        _ui.good(f"report -> {out}")


@label_app.command("errors")
@_ui.handle_errors
def errors_cmd(
    labels: Path = typer.Argument(..., help="Label file to check (JSONL/CSV/Parquet)."),
    out: Path = typer.Option(..., "--out", "-o", help="Suspects for review (.csv/.jsonl), most suspicious first."),
    folds: int = typer.Option(5, "--folds", min=2, help="Cross-validation folds for the out-of-fold probabilities."),
) -> None:
    """Likely label errors: cross-validated probabilities + cleanlab, ranked by self-confidence.

    Example:
      samskab label errors data/labelled/train.jsonl --folds 5 --out suspects.csv
    """
    from pipeline.labelling.quality import label_errors_file

    rows, n = label_errors_file(labels, out, folds=folds)
    _ui.good(f"{len(rows)} of {n} labels look wrong -> {out}")
    if rows:
        _ui.table("Most suspicious", ["id", "given", "suggested", "conf", "text"],
                  [[r["id"], r["given_rung"], r["suggested_rung"], r["confidence"], r["text"][:100]] for r in rows[:10]])


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
