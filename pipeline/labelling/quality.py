"""Label quality: do annotators agree, and which labels are probably wrong?

``agreement`` compares label files of different annotators on the segments they share:
Cohen's kappa (plain and quadratic-weighted, since rungs are ordered) per pair, Krippendorff's
ordinal alpha over all annotators at once, per-actor kappa and a rung confusion table.
``label_errors`` flags labels that a cross-validated model finds implausible (cleanlab's
confident learning), ranked so that a reviewer sees the most suspicious first.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from pipeline.codebook import Codebook, load_codebook
from pipeline.config import ModelConfig
from pipeline.errors import DataError


# -- agreement ---------------------------------------------------------------------------
def confusion(a: list[int], b: list[int], *, k: int) -> np.ndarray:
    """k x k counts: rows are the first annotator's codes, columns the second's."""
    m = np.zeros((k, k), dtype=int)
    for x, y in zip(a, b, strict=True):
        m[x, y] += 1
    return m


def cohen_kappa(a: list[int], b: list[int], *, k: int, weights: str | None = None) -> float | None:
    """Cohen's kappa for codes 0..k-1; ``weights="quadratic"`` penalises far disagreements more.

    None when undefined (no items, or both annotators used one and the same code throughout).
    """
    if not a:
        return None
    observed = confusion(a, b, k=k) / len(a)
    expected = np.outer(observed.sum(1), observed.sum(0))
    i, j = np.indices((k, k))
    if weights is None:
        w = (i != j).astype(float)
    elif weights == "linear":
        w = np.abs(i - j) / (k - 1)
    elif weights == "quadratic":
        w = (i - j) ** 2 / (k - 1) ** 2
    else:
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', not {weights!r}")
    disagreement_expected = float((w * expected).sum())
    if disagreement_expected == 0:
        return None
    return 1.0 - float((w * observed).sum()) / disagreement_expected


def krippendorff_alpha(ratings: list[list[float]], *, level: str = "ordinal", k: int = 5) -> float | None:
    """Alpha over annotators (rows) x items (columns), NaN where an annotator did not label."""
    import krippendorff

    data = np.array(ratings, dtype=float)
    pairable = (~np.isnan(data)).sum(0) >= 2
    if pairable.sum() == 0 or len(np.unique(data[:, pairable][~np.isnan(data[:, pairable])])) < 2:
        return None
    try:
        return float(krippendorff.alpha(reliability_data=data[:, pairable], level_of_measurement=level,
                                        value_domain=list(range(k))))
    except (ValueError, ZeroDivisionError):
        return None


def _pair(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]], *, codebook: Codebook) -> dict[str, Any]:
    ids = sorted(set(a) & set(b))
    ra = [a[i]["rung"] for i in ids]
    rb = [b[i]["rung"] for i in ids]
    actors = {}
    for actor in codebook.actor_ids:
        xa = [int(actor in a[i]["actors"]) for i in ids]
        xb = [int(actor in b[i]["actors"]) for i in ids]
        actors[actor] = {"kappa": cohen_kappa(xa, xb, k=2),
                         "percent_agreement": float(np.mean([x == y for x, y in zip(xa, xb, strict=True)])) if ids else None}
    return {
        "n_overlap": len(ids),
        "rung": {"kappa": cohen_kappa(ra, rb, k=5), "kappa_quadratic": cohen_kappa(ra, rb, k=5, weights="quadratic"),
                 "percent_agreement": float(np.mean([x == y for x, y in zip(ra, rb, strict=True)])) if ids else None,
                 "confusion": confusion(ra, rb, k=5).tolist()},
        "actors": actors,
        "disagreements": [{"id": i, "rung_a": a[i]["rung"], "rung_b": b[i]["rung"]} for i in ids if a[i]["rung"] != b[i]["rung"]],
    }


def agreement(label_sets: list[list[dict[str, Any]]], *, names: list[str] | None = None,
              codebook: Codebook | None = None) -> dict[str, Any]:
    """Agreement report for two or more annotators' label records (matched on ``id``)."""
    codebook = codebook or load_codebook()
    if len(label_sets) < 2:
        raise DataError(detail="agreement needs the label files of at least two annotators")
    names = names or [f"annotator_{i + 1}" for i in range(len(label_sets))]
    by_id = [{r["id"]: r for r in labels} for labels in label_sets]
    shared = set.intersection(*(set(d) for d in by_id))
    union = sorted(set.union(*(set(d) for d in by_id)))
    ratings = [[float(d[i]["rung"]) if i in d else np.nan for i in union] for d in by_id]
    pairs = []
    for (na, a), (nb, b) in itertools.combinations(zip(names, by_id, strict=True), 2):
        pairs.append({"a": na, "b": nb, **_pair(a, b, codebook=codebook)})
    if not any(p["n_overlap"] for p in pairs):
        raise DataError(detail=f"the label files share no segment ids ({', '.join(names)}); agreement needs doubly-labelled segments")
    return {
        "annotators": names,
        "n_labels": {n: len(d) for n, d in zip(names, by_id, strict=True)},
        "n_overlap_all": len(shared),
        "rung_alpha_ordinal": krippendorff_alpha(ratings, level="ordinal"),
        "rung_alpha_nominal": krippendorff_alpha(ratings, level="nominal"),
        "rung_labels": codebook.rung_ids,
        "pairs": pairs,
    }


# -- likely label errors -----------------------------------------------------------------
def cross_val_proba(records: list[dict[str, Any]], *, folds: int = 5, config: ModelConfig | None = None) -> tuple[np.ndarray, list[int]]:
    """Out-of-fold rung probabilities from the default backend's features (TF-IDF over
    lemmas) and a class-weighted logistic regression; columns follow the returned rungs."""
    import warnings

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    from pipeline.nlp import Analyser

    config = config or ModelConfig()
    rungs = sorted({r["rung"] for r in records})
    if len(rungs) < 2:
        raise DataError(detail=f"all {len(records)} labels have rung {rungs}; finding label errors needs at least two rungs")
    y = np.array([rungs.index(r["rung"]) for r in records])
    smallest = int(np.bincount(y).min())
    n_splits = max(2, min(folds, len(records) // 2))
    texts = Analyser().lemma_texts([r["text"] for r in records])
    pipe = make_pipeline(
        TfidfVectorizer(token_pattern=r"\S+", lowercase=False, ngram_range=tuple(config.word_ngrams), min_df=1, sublinear_tf=True),
        LogisticRegression(C=config.C, class_weight="balanced", max_iter=3000, random_state=config.seed),
    )
    cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=config.seed)
    with warnings.catch_warnings():
        if smallest < n_splits:  # a rare rung missing from a fold is expected on small sets
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
        proba = cross_val_predict(pipe, np.array(texts, dtype=object), y, cv=cv, method="predict_proba")
    proba = proba / np.clip(proba.sum(1, keepdims=True), 1e-12, None)
    return proba, rungs


def label_errors(records: list[dict[str, Any]], *, folds: int = 5, config: ModelConfig | None = None,
                 codebook: Codebook | None = None) -> list[dict[str, Any]]:
    """Likely wrong rung labels, most suspicious first (lowest self-confidence).

    Each row: rank, id, given_rung, suggested_rung (the out-of-fold favourite), confidence
    (its probability), given_proba (probability of the given rung), annotator, text.
    """
    from cleanlab.filter import find_label_issues

    codebook = codebook or load_codebook()
    proba, rungs = cross_val_proba(records, folds=folds, config=config)
    y = np.array([rungs.index(r["rung"]) for r in records])
    issues = find_label_issues(labels=y, pred_probs=proba, return_indices_ranked_by="self_confidence")
    rows = []
    for rank, i in enumerate(issues.tolist(), 1):
        r = records[i]
        best = int(proba[i].argmax())
        rows.append({"rank": rank, "id": r["id"], "given_rung": r["rung"], "given_label": codebook.rung_label(r["rung"]),
                     "suggested_rung": rungs[best], "suggested_label": codebook.rung_label(rungs[best]),
                     "confidence": round(float(proba[i, best]), 4), "given_proba": round(float(proba[i, y[i]]), 4),
                     "annotator": r.get("annotator"), "text": r["text"]})
    return rows


def agreement_report(paths: list, *, out=None) -> dict[str, Any]:  # noqa: ANN001
    """Agreement of label files (one per annotator); written as JSON to ``out`` when given."""
    import json
    from pathlib import Path

    from pipeline.labels import load_labels

    codebook = load_codebook()
    names = [Path(p).stem for p in paths]
    if len(set(names)) < len(names):
        names = [str(p) for p in paths]
    report = agreement([load_labels(p, codebook=codebook, need_text=False) for p in paths], names=names, codebook=codebook)
    if out is not None:
        from pipeline.io import atomic_write_text

        atomic_write_text(out, json.dumps(report, indent=2, ensure_ascii=False))
    return report


def label_errors_file(labels_path, out, *, folds: int = 5) -> tuple[list[dict[str, Any]], int]:  # noqa: ANN001
    """Suspect labels of a label file written to ``out`` (CSV/JSONL); returns (rows, n labels)."""
    from pipeline.io import RecordWriter
    from pipeline.labels import load_labels

    records = load_labels(labels_path)
    rows = label_errors(records, folds=folds)
    with RecordWriter(out) as writer:
        writer.write(rows)
    if not rows:  # keep a header so spreadsheets open it
        from pipeline.io import atomic_write_text, table_format

        if table_format(out) == "csv":
            atomic_write_text(out, "rank,id,given_rung,given_label,suggested_rung,suggested_label,confidence,given_proba,annotator,text\n")
    return rows, len(records)
