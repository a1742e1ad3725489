"""Honest evaluation: metrics with bootstrap intervals, calibration, the rule baseline.

Everything is computed from (true labels, predicted probabilities) so the same code
scores any backend and the rule labeller on the same data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.codebook import Codebook


def rung_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    y_pred = proba.argmax(1)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=range(5), zero_division=0)
    return {
        "rung_accuracy": float(accuracy_score(y_true, y_pred)),
        "rung_macro_f1": float(f1_score(y_true, y_pred, labels=range(5), average="macro", zero_division=0)),
        "rung_mae": float(np.abs(y_true - y_pred).mean()),
        "rung_ece": expected_calibration_error(y_true, proba),
        "per_rung": [{"rung": k, "precision": float(p[k]), "recall": float(r[k]), "f1": float(f[k]), "support": int(s[k])} for k in range(5)],
        "confusion": confusion_matrix(y_true, y_pred, labels=range(5)).tolist(),
    }


def actor_metrics(y_true: np.ndarray, y_pred: np.ndarray, actor_ids: list[str]) -> dict[str, Any]:
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    return {
        "actors_micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        "actors_macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "per_actor": [{"actor": a, "precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                      for i, a in enumerate(actor_ids)],
    }


def expected_calibration_error(y_true: np.ndarray, proba: np.ndarray, bins: int = 10) -> float:
    conf = proba.max(1)
    correct = proba.argmax(1) == y_true
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(ece)


def bootstrap_intervals(y_true: np.ndarray, proba: np.ndarray, a_true: np.ndarray, a_pred: np.ndarray,
                        *, n: int = 1000, seed: int = 13) -> dict[str, list[float]]:
    """95% percentile intervals by resampling segments."""
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(seed)
    y_pred = proba.argmax(1)
    stats: dict[str, list[float]] = {"rung_accuracy": [], "rung_macro_f1": [], "rung_mae": [], "actors_micro_f1": []}
    m = len(y_true)
    for _ in range(n):
        idx = rng.integers(0, m, m)
        yt, yp = y_true[idx], y_pred[idx]
        stats["rung_accuracy"].append(float((yt == yp).mean()))
        stats["rung_macro_f1"].append(float(f1_score(yt, yp, labels=range(5), average="macro", zero_division=0)))
        stats["rung_mae"].append(float(np.abs(yt - yp).mean()))
        stats["actors_micro_f1"].append(float(f1_score(a_true[idx], a_pred[idx], average="micro", zero_division=0)))
    return {k: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] for k, v in stats.items()}


def score(records: list[dict[str, Any]], rung_proba: np.ndarray, actor_pred: np.ndarray, *,
          codebook: Codebook, bootstrap: int = 1000) -> dict[str, Any]:
    from pipeline.labels import actor_matrix

    y = np.array([r["rung"] for r in records])
    a = actor_matrix(records, codebook)
    out = {"n": len(records), **rung_metrics(y, rung_proba), **actor_metrics(a, actor_pred, codebook.actor_ids)}
    if bootstrap:
        out["ci95"] = bootstrap_intervals(y, rung_proba, a, actor_pred, n=bootstrap)
    return out


def predict_labelled(model, records: list[dict[str, Any]], *, batch_size: int = 512) -> tuple[np.ndarray, np.ndarray, list]:  # noqa: ANN001
    rp, ap, ev = [], [], []
    for i in range(0, len(records), batch_size):
        out = model.predict([r["text"] for r in records[i:i + batch_size]], evidence_k=2)
        rp.append(out.rung_proba)
        ap.append(out.actor_proba)
        ev.extend(out.evidence)
    return np.vstack(rp), np.vstack(ap), ev


def rule_predictions(records: list[dict[str, Any]], codebook: Codebook) -> tuple[np.ndarray, np.ndarray, list]:
    from pipeline.rules import RuleLabeller

    labeller = RuleLabeller(codebook)
    proba, actors, evidence = [], [], []
    for res in labeller.label_texts(r["text"] for r in records):
        p = np.zeros(5)
        p[res.rung] = 1.0
        proba.append(p)
        actors.append([a in res.actors for a in codebook.actor_ids])
        evidence.append([{"sentence": m.text, "cue": m.cue_id} for m in res.matches if m.kind == "rung" and not (m.negated or m.demoted)])
    return np.array(proba), np.array(actors, dtype=int), evidence


def plot_confusion(confusion: list[list[int]], path: Path, *, title: str, labels: list[str]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.array(confusion)
    fig, ax = plt.subplots(figsize=(5.5, 4.8), dpi=110)
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(5), labels, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(5), labels, fontsize=8)
    ax.set_xlabel("predicted rung")
    ax.set_ylabel("true rung")
    for i in range(5):
        for j in range(5):
            ax.text(j, i, int(cm[i, j]), ha="center", va="center", color="white" if cm[i, j] > cm.max() / 2 else "black", fontsize=9)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_reliability(y_true: np.ndarray, proba: np.ndarray, path: Path, *, title: str, bins: int = 10) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conf = proba.max(1)
    correct = proba.argmax(1) == y_true
    edges = np.linspace(0, 1, bins + 1)
    xs, ys, ns = [], [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            xs.append(conf[mask].mean())
            ys.append(correct[mask].mean())
            ns.append(int(mask.sum()))
    fig, ax = plt.subplots(figsize=(4.8, 4.5), dpi=110)
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.plot(xs, ys, "o-", label="model")
    for x, y, n in zip(xs, ys, ns, strict=True):
        ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(0, 6), fontsize=7, ha="center")
    ax.set_xlabel("confidence (top rung probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{title}  (ECE {expected_calibration_error(y_true, proba):.3f})", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def worst_errors(records, rung_proba, evidence, *, n: int = 20) -> list[dict[str, Any]]:  # noqa: ANN001
    """Misclassifications ordered by how confident and how far off the model was."""
    rows = []
    for r, p, ev in zip(records, rung_proba, evidence, strict=True):
        pred = int(p.argmax())
        if pred != r["rung"]:
            rows.append({"id": r["id"], "true": r["rung"], "pred": pred, "confidence": float(p[pred]),
                         "distance": abs(pred - r["rung"]), "text": r["text"],
                         "evidence": [e.get("sentence") for e in ev][:2]})
    rows.sort(key=lambda d: (-d["distance"] * d["confidence"], -d["confidence"]))
    return rows[:n]


def evaluate(model, records: list[dict[str, Any]], out_dir: Path, *, with_rules: bool = True,  # noqa: ANN001
             bootstrap: int = 1000, errors: int = 20, data_name: str = "") -> dict[str, Any]:
    """Score ``model`` (and the rule baseline) on labelled ``records``; write JSON, Markdown, PNGs."""
    from pipeline.io import atomic_write_text

    codebook = model.codebook
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    y = np.array([r["rung"] for r in records])
    rp, ap, ev = predict_labelled(model, records)
    a_pred = (ap >= model.actor_threshold).astype(int)
    report: dict[str, Any] = {"data": data_name, "model": _display_path(model.directory) if model.directory else model.name,
                              "codebook_hash": codebook.hash, "model_metrics": score(records, rp, a_pred, codebook=codebook, bootstrap=bootstrap)}
    plot_confusion(report["model_metrics"]["confusion"], out_dir / "confusion_model.png", title="Model: confusion matrix", labels=codebook.rung_ids)
    plot_reliability(y, rp, out_dir / "reliability_model.png", title="Model reliability")
    if with_rules:
        rule_p, rule_a, rule_ev = rule_predictions(records, codebook)
        report["rules_metrics"] = score(records, rule_p, rule_a, codebook=codebook, bootstrap=bootstrap)
        plot_confusion(report["rules_metrics"]["confusion"], out_dir / "confusion_rules.png", title="Rule baseline: confusion matrix", labels=codebook.rung_ids)
    report["errors"] = worst_errors(records, rp, ev, n=errors)
    atomic_write_text(out_dir / "report.json", json.dumps(report, indent=2, ensure_ascii=False))
    atomic_write_text(out_dir / "report.md", markdown_report(report))
    return report


def _display_path(path: Path) -> str:
    """Relative to the working directory when inside it (reports travel with the repo)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _fmt_ci(metrics: dict[str, Any], key: str) -> str:
    ci = metrics.get("ci95", {}).get(key)
    return f"{metrics[key]:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def markdown_report(report: dict[str, Any]) -> str:
    lines = [f"# Evaluation of {report['model']}", "", f"Data: {report['data']} ({report['model_metrics']['n']} segments). "
             f"Codebook {report['codebook_hash']}. Intervals: 95% bootstrap over segments.", "",
             "| metric | model | rule baseline |", "|---|---|---|"]
    mm, rm = report["model_metrics"], report.get("rules_metrics")
    for key in ("rung_accuracy", "rung_macro_f1", "rung_mae", "actors_micro_f1"):
        lines.append(f"| {key} | {_fmt_ci(mm, key)} | {_fmt_ci(rm, key) if rm else '-'} |")
    for key in ("actors_macro_f1", "rung_ece"):
        lines.append(f"| {key} | {mm[key]:.3f} | {rm[key]:.3f} |" if rm else f"| {key} | {mm[key]:.3f} | - |")
    lines += ["", "## Per rung (model)", "", "| rung | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    lines += [f"| {d['rung']} | {d['precision']:.3f} | {d['recall']:.3f} | {d['f1']:.3f} | {d['support']} |" for d in mm["per_rung"]]
    lines += ["", "## Per actor (model)", "", "| actor | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    lines += [f"| {d['actor']} | {d['precision']:.3f} | {d['recall']:.3f} | {d['f1']:.3f} | {d['support']} |" for d in mm["per_actor"]]
    lines += ["", "![confusion](confusion_model.png) ![reliability](reliability_model.png)", ""]
    if report.get("errors"):
        lines += ["## Worst errors", ""]
        for e in report["errors"]:
            lines.append(f"- `{e['id']}` true {e['true']} predicted {e['pred']} ({e['confidence']:.2f}): {e['text'][:220]}")
    return "\n".join(lines) + "\n"
