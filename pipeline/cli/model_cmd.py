"""`samskab train | evaluate | retrain | models list`."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli import _ui

ORDER = 30

models_app = typer.Typer(help="Inspect trained models.", no_args_is_help=True)


def _progress_fn(progress, task):  # noqa: ANN001, ANN202
    def update(message: str, fraction: float) -> None:
        progress.update(task, description=message, completed=int(fraction * 100))

    return update


def register(app: typer.Typer) -> None:
    app.command("train")(train_cmd)
    app.command("evaluate")(evaluate_cmd)
    app.command("retrain")(retrain_cmd)
    models_app.command("list")(models_list_cmd)
    app.add_typer(models_app, name="models")


@_ui.handle_errors
def train_cmd(
    data: Path = typer.Option(Path("data/labelled/train.jsonl"), "--data", help="Labelled training segments (JSONL/CSV/Parquet)."),
    dev: Path = typer.Option(None, "--dev", help="Dev split: scores, held-out predictions and the hyper-parameter search use it."),
    test: Path = typer.Option(None, "--test", help="Test split, only reported (never used for choices)."),
    backend: str = typer.Option(None, "--backend", help="ladder (the config default), tfidf, spacy or transformer."),
    out: Path = typer.Option(Path("models/tfidf"), "--out", help="Model folder to write."),
    search: bool = typer.Option(False, "--search", help="Grid-search the tfidf hyper-parameters on --dev."),
    cv: bool = typer.Option(False, "--cv", help="Also run 5-fold CV grouped by municipality and by genre."),
    config: Path = typer.Option(None, "--config", help="Pipeline config (default configs/default.yaml)."),
    set_: list[str] = typer.Option(None, "--set", help="Override a config value, e.g. --set model.C=2.0 (repeatable)."),
    real: list[str] = typer.Option(None, "--real", help="NAME=PATH of a labelled real-text set kept outside the repository; "
                                   "scored with intervals and put first in the model card (repeatable; never trained on)."),
    card_notes: Path = typer.Option(None, "--card-notes", help="Markdown file appended to MODEL_CARD.md (e.g. the designs tried)."),
) -> None:
    """Train a classifier and write a model folder with its model card.

    Examples:
      samskab train --data data/labelled/train.jsonl --dev data/labelled/dev.jsonl --out models/tfidf
      samskab train --backend spacy --dev data/labelled/dev.jsonl --out models/spacy --set model.epochs=5
      samskab train --search --cv --dev data/labelled/dev.jsonl --test data/labelled/test.jsonl --out models/default
    """
    from pipeline.config import load_config
    from pipeline.labels import load_labels
    from pipeline.train import train

    cfg = load_config(config, (set_ or []) + ([f"model.backend={backend}"] if backend else []))
    _ui.phase(f"Training {cfg.model.backend} model -> {out}")
    records = load_labels(data)
    dev_records = load_labels(dev) if dev else None
    test_records = load_labels(test) if test else None
    real_sets, real_sources = {}, {}
    for spec in real or []:
        set_name, sep, path = spec.partition("=")
        if not sep or not set_name or not path:
            raise typer.BadParameter(f"--real expects NAME=PATH, got {spec!r}")
        real_sets[set_name], real_sources[set_name] = load_labels(Path(path)), f"{Path(path).name} (kept outside the repository)"
    with _ui.progress() as progress:
        task = progress.add_task("training", total=100)
        manifest = train(records, out=out, config=cfg.model, dev=dev_records, test=test_records, do_search=search, cv=cv,
                         data_files={k: str(v) for k, v in (("train", data), ("dev", dev), ("test", test)) if v},
                         progress=_progress_fn(progress, task), real=real_sets, real_sources=real_sources,
                         card_notes=card_notes.read_text(encoding="utf-8") if card_notes else None)
    _ui.good(f"trained on {manifest['n_train']} segments in {manifest['train_seconds']} s; wrote {out}")
    rows = [[split, s["rung_accuracy"], s["rung_macro_f1"], s["rung_mae"], s["actors_micro_f1"]]
            for split, s in manifest["metrics"].items() if isinstance(s, dict) and "rung_macro_f1" in s]
    if rows:
        _ui.table("Scores", ["split", "rung acc", "rung macro-F1", "rung MAE", "actors micro-F1"], rows)
    if search:
        chosen = next(t for t in manifest["search"]["trials"] if t.get("chosen"))
        _ui.good("chosen on dev: " + ", ".join(f"{k}={chosen[k]}" for k in manifest["search"]["grid"]))


@_ui.handle_errors
def evaluate_cmd(
    data: Path = typer.Option(Path("data/labelled/test.jsonl"), "--data", help="Labelled segments to score on."),
    model: Path = typer.Option(None, "--model", help="Model folder (default models/default)."),
    out: Path = typer.Option(Path("out/eval"), "--out", help="Folder for report.json, report.md and the PNG plots."),
    errors: int = typer.Option(0, "--errors", help="List the N worst misclassifications with their evidence."),
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for the 95% intervals."),
) -> None:
    """Score a model and the rule baseline on the same labelled data.

    Examples:
      samskab evaluate --data data/labelled/test.jsonl --out out/eval
      samskab evaluate --model models/spacy --data my_gold.csv --errors 20
    """
    from pipeline.evaluate import evaluate
    from pipeline.labels import load_labels
    from pipeline.models import load_model

    m = load_model(model)
    records = load_labels(data)
    _ui.phase(f"Evaluating {m.directory} on {data} ({len(records)} segments)")
    report = evaluate(m, records, out, bootstrap=bootstrap, errors=max(errors, 20), data_name=str(data))
    mm, rm = report["model_metrics"], report["rules_metrics"]

    def fmt(metrics: dict, key: str) -> str:
        lo, hi = metrics["ci95"][key]
        return f"{metrics[key]:.3f} [{lo:.3f}, {hi:.3f}]"

    _ui.table("Model vs. rule baseline (95% bootstrap intervals)", ["metric", "model", "rules"],
              [[k, fmt(mm, k), fmt(rm, k)] for k in ("rung_accuracy", "rung_macro_f1", "rung_mae", "actors_micro_f1")]
              + [["actors_macro_f1", f"{mm['actors_macro_f1']:.3f}", f"{rm['actors_macro_f1']:.3f}"],
                 ["rung_ece", f"{mm['rung_ece']:.3f}", "-"]])
    if errors:
        _ui.table(f"{errors} worst errors", ["id", "true", "pred", "conf", "text / evidence"],
                  [[e["id"], e["true"], e["pred"], e["confidence"], e["text"][:160] + (f"\n→ {e['evidence'][0][:120]}" if e["evidence"] else "")]
                   for e in report["errors"][:errors]])
    _ui.good(f"wrote {out}/report.json, report.md, confusion_model.png, reliability_model.png, confusion_rules.png")


@_ui.handle_errors
def retrain_cmd(
    base: Path = typer.Option(..., "--base", help="The model folder to start from (its training data is reused)."),
    add: list[Path] = typer.Option(..., "--add", help="New or corrected labels (JSONL/CSV); later annotations win."),
    out: Path = typer.Option(..., "--out", help="Folder for the new model."),
    test: Path = typer.Option(Path("data/labelled/test.jsonl"), "--test", help="Held-out data both models are scored on."),
) -> None:
    """Merge new labels into a model's training data, retrain, compare old and new.

    Example:
      samskab retrain --base models/default --add annotated.jsonl --out models/default-v2
    """
    from pipeline.retrain import retrain

    _ui.phase(f"Retraining {base} with {', '.join(map(str, add))}")
    with _ui.progress() as progress:
        task = progress.add_task("training", total=100)
        result = retrain(base, add, out, test_file=test, progress=_progress_fn(progress, task))
    _ui.good(f"{result['n_base']} base + {result['n_added']} added labels -> {result['n_merged']} training segments")
    for c in result["conflicts"]:
        _ui.warn(f"conflict {c['id']}: rung {c['old_rung']} -> {c['new_rung']}, actors {c['old_actors']} -> {c['new_actors']} (new label kept)")
    if result["dropped_test_ids"]:
        _ui.warn(f"{len(result['dropped_test_ids'])} added labels are test segments and were not trained on")
    _ui.table(f"Old ({base}) vs new ({out}) on {test}", ["metric", "old", "new", "change"],
              [[r["metric"], r["old"], r["new"], f"{r['change']:+.3f}"] for r in result["comparison"]])


@_ui.handle_errors
def models_list_cmd(root: Path = typer.Option(None, "--root", help="Folder holding model folders (default: ./models if "
                                                                    "it exists, else the models shipped with samskab).")) -> None:
    """List model folders with their backend, date and scores: on real text first, then on the written split."""
    from pipeline.models import MODELS_DIR, list_models

    root = root or (Path("models") if Path("models").is_dir() else MODELS_DIR)
    rows = list_models(root)
    if not rows:
        _ui.warn(f"no models under {root}; train one with `samskab train`")
        return

    def f(x):  # noqa: ANN001, ANN202
        return "—" if x is None else f"{x:.3f}"

    _ui.table(f"Models in {root}", ["name", "backend", "created", "n train", "real rung F1", "real actors F1",
                                    "written rung F1", "written actors F1"],
              [[r["name"], r["backend"], r["created"], r["n_train"], f(r["real_rung_macro_f1"]), f(r["real_actors_micro_f1"]),
                f(r["rung_macro_f1"]), f(r["actors_micro_f1"])] for r in rows])
    _ui.console.print("[dim]real: scored on real text kept outside the repository (`samskab train --real`); written: the project's "
             "written test split. Choose by the real-text scores.[/]")
