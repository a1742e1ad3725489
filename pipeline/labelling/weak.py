"""Weak supervision: silver labels from rule votes and model probabilities.

The rule labeller votes for a rung only when a codebook cue fires (otherwise it abstains);
its vote counts as much as that rung's precision on labelled data. The vote is averaged
with the model's rung probabilities, and only confident silver labels are kept.
``silver_experiment`` answers the only question that matters: does training on gold +
silver beat gold alone on dev?
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.codebook import Codebook, load_codebook
from pipeline.config import ModelConfig

SILVER_ANNOTATOR = "weak"


def rule_results(records: list[dict[str, Any]], *, labeller=None) -> list[Any]:  # noqa: ANN001
    from pipeline.rules import RuleLabeller

    labeller = labeller or RuleLabeller()
    return list(labeller.label_texts(r["text"] for r in records))


def fired(result: Any) -> bool:
    """A rule 'rung 0' is the default when no cue fired: an abstention, not a vote."""
    return result.rule_id != "default_none"


def rule_precision(gold: list[dict[str, Any]], results: list[Any], *, codebook: Codebook | None = None) -> dict[str, Any]:
    """Per-rung and per-actor precision of the rules on gold labels (Laplace-smoothed)."""
    codebook = codebook or load_codebook()
    rung_hits, rung_n = np.ones(5), np.full(5, 2.0)
    actor_hits, actor_n = np.ones(6), np.full(6, 2.0)
    for rec, res in zip(gold, results, strict=True):
        if fired(res):
            rung_n[res.rung] += 1
            rung_hits[res.rung] += res.rung == rec["rung"]
        for j, a in enumerate(codebook.actor_ids):
            if a in res.actors:
                actor_n[j] += 1
                actor_hits[j] += a in rec["actors"]
    return {"rung": (rung_hits / rung_n).tolist(), "actors": (actor_hits / actor_n).tolist()}


def combine(rule_res: list[Any], rung_proba: np.ndarray, actor_proba: np.ndarray, *, precision: dict[str, Any],
            codebook: Codebook | None = None, rule_weight: float = 1.0) -> list[dict[str, Any]]:
    """Silver rung, its confidence and actors per segment from rule votes + model probabilities."""
    codebook = codebook or load_codebook()
    out = []
    for res, rp, ap in zip(rule_res, np.asarray(rung_proba), np.asarray(actor_proba), strict=True):
        p = np.asarray(rp, dtype=float)
        if fired(res):
            q = precision["rung"][res.rung]
            vote = np.full(5, (1 - q) / 4)
            vote[res.rung] = q
            p = (p + rule_weight * vote) / (1 + rule_weight)
        actor_score = [0.5 * float(ap[j]) + 0.5 * (precision["actors"][j] if a in res.actors else float(ap[j]))
                       for j, a in enumerate(codebook.actor_ids)]
        rung = int(p.argmax())
        out.append({"rung": rung, "confidence": round(float(p[rung]), 4), "rung_proba": [round(float(x), 4) for x in p],
                    "actors": [a for a, s in zip(codebook.actor_ids, actor_score, strict=True) if s >= 0.5],
                    "rule_rung": res.rung if fired(res) else None})
    return out


def silver_labels(records: list[dict[str, Any]], model, *, precision: dict[str, Any], min_confidence: float = 0.7,  # noqa: ANN001
                  labeller=None) -> list[dict[str, Any]]:  # noqa: ANN001
    """Label records (source 'silver') for the unlabelled ``records`` that pass ``min_confidence``."""
    out_model = model.predict([r["text"] for r in records], evidence_k=0)
    combined = combine(rule_results(records, labeller=labeller), out_model.rung_proba, out_model.actor_proba,
                       precision=precision, codebook=model.codebook)
    return [{"id": str(r["id"]), "text": r["text"], "rung": c["rung"], "actors": c["actors"], "confidence": c["confidence"],
             "annotator": SILVER_ANNOTATOR, "source": "silver"}
            for r, c in zip(records, combined, strict=True) if c["confidence"] >= min_confidence]


def silver_experiment(gold: list[dict[str, Any]], unlabelled: list[dict[str, Any]], dev: list[dict[str, Any]], *,
                      config: ModelConfig | None = None, min_confidence: float = 0.7) -> dict[str, Any]:
    """Train on gold, then on gold + silver-labelled ``unlabelled`` texts; score both on dev.

    Rule precision is measured on ``gold`` (never on dev), so dev stays a fair judge.
    """
    from pipeline.rules import RuleLabeller
    from pipeline.train import dev_score, fit_model

    config = config or ModelConfig()
    labeller = RuleLabeller()
    precision = rule_precision(gold, rule_results(gold, labeller=labeller))
    base = fit_model(gold, config)
    silver = silver_labels(unlabelled, base, precision=precision, min_confidence=min_confidence, labeller=labeller)
    gold_ids = {r["id"] for r in gold}
    augmented = fit_model(gold + [s for s in silver if s["id"] not in gold_ids], config)
    truth = {str(r["id"]): r for r in unlabelled if "rung" in r}
    silver_acc = float(np.mean([s["rung"] == truth[s["id"]]["rung"] for s in silver if s["id"] in truth])) if truth and silver else None
    keys = ("rung_accuracy", "rung_macro_f1", "actors_micro_f1")
    before, after = dev_score(base, dev), dev_score(augmented, dev)
    return {"n_gold": len(gold), "n_unlabelled": len(unlabelled), "n_silver": len(silver), "min_confidence": min_confidence,
            "silver_rung_accuracy": silver_acc, "rule_precision": precision,
            "gold_only": {k: before[k] for k in keys}, "gold_plus_silver": {k: after[k] for k in keys},
            "change": {k: after[k] - before[k] for k in keys}}
