"""Training: fit a backend, score it on dev (and test when asked), write the model folder.

Reproducible: the seed, the config, the codebook hash and the training-data hash are
recorded in model.json and MODEL_CARD.md. The test split is only ever *reported*; the
hyper-parameter search looks at dev alone.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.codebook import Codebook, load_codebook
from pipeline.config import ModelConfig
from pipeline.labels import actor_matrix, data_hash
from pipeline.models import Model, create_backend, save_model
from pipeline.models.base import ProgressFn

#: The small grid searched on dev for the default backend. ``features``: word n-grams
#: alone, plus affixes of long words, or plus character n-grams (in order of cost).
TFIDF_GRID: dict[str, list[Any]] = {
    "C": [4.0, 16.0],
    "features": ["word", "word+affix", "word+char"],
    "ordinal_blend": [0.0, 0.3],
}
FEATURES = {"word": {"use_char": False}, "word+affix": {"use_char": True, "char_mode": "affix"},
            "word+char": {"use_char": True, "char_mode": "char_wb"}}
#: Settings whose dev objective is within this of the best count as tied; the cheaper wins.
TIE = 0.003


def _settings(keys: list[str], values: tuple) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in zip(keys, values, strict=True):
        out.update(FEATURES[v] if k == "features" else {k: v})
    return out


def fit_model(records: list[dict[str, Any]], config: ModelConfig, *, codebook: Codebook | None = None,
              progress: ProgressFn | None = None) -> Model:
    import random

    codebook = codebook or load_codebook()
    random.seed(config.seed)
    np.random.seed(config.seed)
    backend = create_backend(config, codebook)
    backend.fit([r["text"] for r in records], np.array([r["rung"] for r in records]),
                actor_matrix(records, codebook), progress=progress)
    manifest = {"config": config.model_dump(mode="json")}
    return Model(backend=backend, manifest=manifest, codebook=codebook)


def dev_score(model: Model, dev: list[dict[str, Any]]) -> dict[str, Any]:
    from pipeline.evaluate import predict_labelled, score

    rp, ap, _ = predict_labelled(model, dev)
    return score(dev, rp, (ap >= model.actor_threshold).astype(int), codebook=model.codebook, bootstrap=0)


def search(train: list[dict[str, Any]], dev: list[dict[str, Any]], base: ModelConfig, *,
           grid: dict[str, list[Any]] | None = None, progress: ProgressFn | None = None) -> tuple[ModelConfig, list[dict[str, Any]]]:
    """Grid search on dev only; objective = mean of rung macro-F1 and actors micro-F1."""
    grid = grid or TFIDF_GRID
    keys = list(grid)
    trials = []
    combos = list(itertools.product(*(grid[k] for k in keys)))
    configs = []
    for i, values in enumerate(combos):
        cfg = base.model_copy(update=_settings(keys, values))
        if progress:
            progress(f"search {i + 1}/{len(combos)}: " + ", ".join(f"{k}={v}" for k, v in zip(keys, values, strict=True)), i / len(combos))
        m = dev_score(fit_model(train, cfg), dev)
        objective = (m["rung_macro_f1"] + m["actors_micro_f1"]) / 2
        trials.append({**dict(zip(keys, values, strict=True)), "rung_macro_f1": m["rung_macro_f1"],
                       "actors_micro_f1": m["actors_micro_f1"], "objective": objective})
        configs.append(cfg)
    # ties go to the cheaper setting: fewer feature families, then no ordinal model, then stronger regularisation
    order = list(FEATURES)
    best_score = max(t["objective"] for t in trials)
    tied = [i for i, t in enumerate(trials) if t["objective"] >= best_score - TIE]
    chosen = min(tied, key=lambda i: (order.index(trials[i].get("features", "word+char")), trials[i].get("ordinal_blend", 0), trials[i].get("C", 0)))
    for i, t in enumerate(trials):
        t["chosen"] = i == chosen
    return configs[chosen], trials


def cross_validate(records: list[dict[str, Any]], config: ModelConfig, *, group: str, folds: int = 5) -> dict[str, Any]:
    """Grouped k-fold (by municipality or genre): how well does it carry to unseen groups?"""
    from sklearn.model_selection import GroupKFold

    groups = np.array([str(r.get(group)) for r in records])
    scores = []
    for tr, te in GroupKFold(n_splits=folds).split(records, groups=groups):
        model = fit_model([records[i] for i in tr], config)
        m = dev_score(model, [records[i] for i in te])
        scores.append({"rung_macro_f1": m["rung_macro_f1"], "actors_micro_f1": m["actors_micro_f1"], "rung_accuracy": m["rung_accuracy"]})
    summary = {k: {"mean": float(np.mean([s[k] for s in scores])), "sd": float(np.std([s[k] for s in scores]))} for k in scores[0]}
    return {"group": group, "folds": folds, "per_fold": scores, "summary": summary}


def heldout_records(model: Model, dev: list[dict[str, Any]]) -> str:
    """Out-of-sample dev predictions, used by the adjusted trend estimators (ACC/PACC)."""
    from pipeline.evaluate import predict_labelled

    rp, _, _ = predict_labelled(model, dev)
    return "".join(json.dumps({"id": r["id"], "rung_true": r["rung"], "rung_proba": [round(float(x), 6) for x in p]}) + "\n"
                   for r, p in zip(dev, rp, strict=True))


def train(train_records: list[dict[str, Any]], *, out: Path, config: ModelConfig, dev: list[dict[str, Any]] | None = None,
          test: list[dict[str, Any]] | None = None, do_search: bool = False, cv: bool = False,
          data_files: dict[str, str] | None = None, name: str | None = None, progress: ProgressFn | None = None,
          real: dict[str, list[dict[str, Any]]] | None = None, real_sources: dict[str, str] | None = None,
          card_notes: str | None = None) -> dict[str, Any]:
    """Train, evaluate, and write a complete model folder; return its manifest.

    ``real``: labelled sets of real text kept outside the repository (name -> records),
    scored with 95% bootstrap intervals and put first in the model card: the written
    dev/test splits say little about real documents.
    """
    codebook = load_codebook()
    trials: list[dict[str, Any]] = []
    if do_search:
        if not dev:
            from pipeline.errors import DataError

            raise DataError(detail="hyper-parameter search needs --dev data (it never looks at test)")
        config, trials = search(train_records, dev, config, progress=progress)
    started = time.perf_counter()
    model = fit_model(train_records, config, codebook=codebook, progress=progress)
    train_seconds = time.perf_counter() - started
    metrics: dict[str, Any] = {}
    extra: dict[str, str] = {}
    if dev:
        metrics["dev"] = _headline(dev_score(model, dev))
        extra["heldout_predictions.jsonl"] = heldout_records(model, dev)
    if test:
        metrics["test"] = _headline(dev_score(model, test))
        metrics["evaluated_on"] = "test"
    for set_name, records in (real or {}).items():
        metrics[set_name] = real_score(model, records, source=(real_sources or {}).get(set_name, ""))
    if cv:
        pool = train_records + (dev or [])
        metrics["cv"] = {g: cross_validate(pool, config, group=g)["summary"] for g in ("municipality", "genre")}
    dist = {codebook.rung_label(k): int(sum(r["rung"] == k for r in train_records)) for k in range(5)}
    actor_dist = {a: int(sum(a in r["actors"] for r in train_records)) for a in codebook.actor_ids}
    manifest = {
        "name": name or Path(out).name,
        "data_hash": data_hash(train_records),
        "data_files": data_files or {},
        "n_train": len(train_records), "n_dev": len(dev or []), "n_test": len(test or []),
        "label_distribution": {"rung": dist, "actors": actor_dist},
        "metrics": metrics, "search": {"grid": TFIDF_GRID if do_search else None, "trials": trials},
        "train_seconds": round(train_seconds, 2),
        "config": config.model_dump(mode="json"),
    }
    if card_notes:
        manifest["card_notes"] = card_notes
    extra["metrics.json"] = json.dumps(metrics, indent=2)
    extra["MODEL_CARD.md"] = model_card(manifest, model, codebook)
    manifest["_extra_files"] = extra
    save_model(model.backend, Path(out), manifest=manifest)
    manifest.pop("_extra_files", None)
    return manifest


def update_card(model_dir: Path, extra_metrics: dict[str, Any]) -> dict[str, Any]:
    """Add evaluation results (e.g. cross-validation, the rule baseline) to a model folder's
    manifest, metrics.json and MODEL_CARD.md; the folder is rewritten with fresh hashes."""
    import shutil
    import tempfile

    from pipeline.models import load_model

    model_dir = Path(model_dir)
    model = load_model(model_dir)
    manifest = {k: v for k, v in model.manifest.items() if k not in ("files", "format_version", "backend", "created", "codebook_hash")}
    manifest["metrics"] = {**manifest.get("metrics", {}), **extra_metrics}
    keep = tempfile.mkdtemp()
    for child in model_dir.iterdir():  # sub-folders such as evaluation/ are not part of the model
        if child.is_dir():
            shutil.move(str(child), keep)
    extra = {"metrics.json": json.dumps(manifest["metrics"], indent=2),
             "MODEL_CARD.md": model_card(manifest, model, model.codebook)}
    heldout = model_dir / "heldout_predictions.jsonl"
    if heldout.is_file():
        extra["heldout_predictions.jsonl"] = heldout.read_text(encoding="utf-8")
    save_model(model.backend, model_dir, manifest={**manifest, "_extra_files": extra})
    for child in Path(keep).iterdir():
        shutil.move(str(child), model_dir / child.name)
    return manifest


def real_score(model: Model, records: list[dict[str, Any]], *, source: str = "", bootstrap: int = 1000) -> dict[str, Any]:
    """Scores on a real-text set with 95% bootstrap intervals (kept in metrics, read by trends)."""
    from pipeline.evaluate import predict_labelled, score

    rp, ap, _ = predict_labelled(model, records)
    m = score(records, rp, (ap >= model.actor_threshold).astype(int), codebook=model.codebook, bootstrap=bootstrap)
    out = {**_headline(m), "real_text": True, "source": source}
    if "ci95" in m:
        out["ci95"] = m["ci95"]
    return out


def _real_sets(metrics: dict[str, Any]) -> list[str]:
    return [k for k, v in metrics.items() if isinstance(v, dict) and v.get("real_text")]


def _ci(s: dict[str, Any], key: str) -> str:
    ci = s.get("ci95", {}).get(key)
    return f"{s[key]:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else f"{s[key]:.3f}"


def _headline(m: dict[str, Any]) -> dict[str, Any]:
    keep = ("n", "rung_accuracy", "rung_macro_f1", "rung_mae", "rung_ece", "actors_micro_f1", "actors_macro_f1", "per_rung", "per_actor")
    return {k: m[k] for k in keep if k in m}


CALIBRATION_NOTES = {
    "ladder": "Stage 2 is a logistic regression fitted on out-of-fold stage-1 outputs (stacking), so its probabilities "
              "are calibrated on held-out *written* segments; nothing was fitted on real text.",
    "tfidf": "The rung classifier is calibrated by cross-validation on the written training data (sigmoid), when "
             "`calibration` is not `none`; nothing was fitted on real text.",
}


def model_card(manifest: dict[str, Any], model: Model, codebook: Codebook) -> str:
    m = manifest["metrics"]
    lines = [f"# Model card: {manifest['name']}", "",
             f"Backend `{model.backend.name}`, codebook `{codebook.hash}`, training data `{manifest['data_hash']}` "
             f"({manifest['n_train']} segments), seed {model.backend.config.seed}.", "",
             "## Intended use",
             "Classify segments (paragraphs, agenda items) of Danish municipal documents on the co-creation ladder "
             "(rung 0-4) and mark the actor roles taking part, as defined in the project codebook. Meant for aggregate "
             "analysis (trends per municipality and period) and for pointing readers to the sentences behind a rung; "
             "not for judging a single municipality or person without reading the evidence.", "",
             "## Data", f"Trained on {', '.join(f'{k}: {v}' for k, v in manifest.get('data_files', {}).items()) or 'labelled segments'}.",
             "Rung distribution: " + ", ".join(f"{k} {v}" for k, v in manifest["label_distribution"]["rung"].items()) + ".",
             "Actors: " + ", ".join(f"{k} {v}" for k, v in manifest["label_distribution"]["actors"].items()) + ".", "",
             ]
    real_sets = _real_sets(m)
    if real_sets:
        lines += ["## Scores on real text (read these first)", "",
                  "Real Danish public-sector paragraphs with gold labels, kept outside the repository and never used "
                  "for training (95% bootstrap intervals over segments):", "",
                  "| set | n | rung macro-F1 | rung accuracy | actors micro-F1 | ECE |", "|---|---|---|---|---|---|"]
        for k in real_sets:
            s = m[k]
            lines.append(f"| {k} | {s['n']} | {_ci(s, 'rung_macro_f1')} | {_ci(s, 'rung_accuracy')} | "
                         f"{_ci(s, 'actors_micro_f1')} | {s['rung_ece']:.3f} |")
        lines += ["", *(f"- {k}: {m[k]['source']}" for k in real_sets if m[k].get("source")), ""]
    lines += ["## Scores on the written splits", "",
              "Written for the project (see data/labelled/README.md): much easier than real text.", "",
              "| split | n | rung accuracy | rung macro-F1 | rung MAE | ECE | actors micro-F1 | actors macro-F1 |",
              "|---|---|---|---|---|---|---|---|"]
    for split in ("dev", "test"):
        if split in m:
            s = m[split]
            lines.append(f"| {split} | {s['n']} | {s['rung_accuracy']:.3f} | {s['rung_macro_f1']:.3f} | {s['rung_mae']:.3f} | "
                         f"{s['rung_ece']:.3f} | {s['actors_micro_f1']:.3f} | {s['actors_macro_f1']:.3f} |")
    if "rules_test" in m and "test" in m:
        r = m["rules_test"]
        lines += ["", f"Rule baseline on the same test data: rung macro-F1 {r['rung_macro_f1']:.3f}, rung accuracy "
                  f"{r['rung_accuracy']:.3f}, actors micro-F1 {r['actors_micro_f1']:.3f} (model: {m['test']['rung_macro_f1']:.3f}, "
                  f"{m['test']['rung_accuracy']:.3f}, {m['test']['actors_micro_f1']:.3f})."]
    if "cv" in m:
        lines += ["", "Grouped 5-fold cross-validation on train+dev (unseen groups in each fold):", ""]
        for g, summ in m["cv"].items():
            lines.append(f"- by {g}: rung macro-F1 {summ['rung_macro_f1']['mean']:.3f} ± {summ['rung_macro_f1']['sd']:.3f}, "
                         f"actors micro-F1 {summ['actors_micro_f1']['mean']:.3f} ± {summ['actors_micro_f1']['sd']:.3f}")
    if manifest["search"]["trials"]:
        chosen = next(t for t in manifest["search"]["trials"] if t.get("chosen"))
        lines += ["", f"Hyper-parameters chosen on dev from a grid of {len(manifest['search']['trials'])} settings "
                  f"(objective: mean of rung macro-F1 and actors micro-F1; settings within {TIE} of the best count as tied "
                  "and the cheapest wins): " + ", ".join(f"{k}={chosen[k]}" for k in manifest["search"]["grid"]) + ".", "",
                  "| " + " | ".join(manifest["search"]["grid"]) + " | dev rung macro-F1 | dev actors micro-F1 |",
                  "|" + "---|" * (len(manifest["search"]["grid"]) + 2)]
        lines += ["| " + " | ".join(str(t[k]) for k in manifest["search"]["grid"]) + f" | {t['rung_macro_f1']:.3f} | {t['actors_micro_f1']:.3f} |"
                  for t in manifest["search"]["trials"]]
    lines += ["", "## Probabilities", "", CALIBRATION_NOTES.get(model.backend.name, CALIBRATION_NOTES["tfidf"])]
    ece = [f"{k} {m[k]['rung_ece']:.3f}" for k in (*real_sets, "dev", "test") if k in m and "rung_ece" in m[k]]
    if ece:
        lines.append("Expected calibration error of the rung probabilities (10 bins): " + ", ".join(ece) + ". "
                     "Probabilities are sharper than they should be on real text; for trend shares, calibrate with a "
                     "labelled sample of your own corpus (`samskab trends --calibration`, README: \"How many labels do I need?\").")
    if hasattr(model.backend, "top_terms"):
        lines += ["", "## What the model looks at", ""]
        for k in range(1, 5):
            terms = ", ".join(t for t, _ in model.backend.top_terms(k, 12))
            lines.append(f"- rung {k} ({codebook.rung_label(k)}): {terms}")
    lines += ["", "## Limitations",
              "- The labelled data was written for this project, modelled on municipal genres (see data/labelled/README.md); "
              "scores on real minutes will be lower than on this test split. Check with your own gold labels "
              "(`samskab evaluate --data your_labels.jsonl`).",
              "- On real text the commonest error is generic or explanatory talk about co-creation (a method explained, "
              "guidance, a definition, a general opinion) read as a concrete activity: rung 0 predicted as 2-4. "
              "Read the evidence sentence before quoting a rung.",
              "- Actors are harder than rungs on real text: who counts as taking part is a fine line (the second blind "
              "labelling of real text agreed on actors at micro-F1 0.88).",
              "- The model sees one segment at a time: context from other agenda items is not used.",
              "- Rungs 3 and 4 (consultation vs. shared design and decision) are a hard pair; read the evidence.", ""]
    if manifest.get("card_notes"):
        lines += ["## Notes", "", manifest["card_notes"].strip(), ""]
    return "\n".join(lines)
