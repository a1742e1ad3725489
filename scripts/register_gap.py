#!/usr/bin/env python
"""How far is our written data from real text? A classifier tells them apart.

Trains a tf-idf (word 1-2-gram) logistic regression to separate segments written for the
project from real segments (e.g. the real_dev set kept outside the repository) and prints
the 5-fold cross-validated ROC AUC (0.5: indistinguishable; 1.0: trivially told apart)
per group of written files, on balanced samples, plus the terms that mark each side.

Usage: python scripts/register_gap.py REAL.jsonl [--groups old=h[1-8]_ new=h9_,h1[0-9]_]
"""

from __future__ import annotations

import argparse
import glob
import json
import random
import re
from pathlib import Path

import numpy as np

RAW = Path(__file__).resolve().parent.parent / "data" / "labelled" / "raw"


def auc_and_markers(ours: list[str], real: list[str], seed: int = 13) -> tuple[float, list[str], list[str]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    texts, y = ours + real, np.array([0] * len(ours) + [1] * len(real))
    pipe = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True), LogisticRegression(C=4, max_iter=2000))
    auc = cross_val_score(pipe, texts, y, cv=StratifiedKFold(5, shuffle=True, random_state=seed), scoring="roc_auc").mean()
    pipe.fit(texts, y)
    names = pipe[0].get_feature_names_out()
    coef = pipe[1].coef_[0]
    order = np.argsort(coef)
    return float(auc), [names[i] for i in order[:12]], [names[i] for i in order[-12:][::-1]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("real")
    ap.add_argument("--groups", nargs="+", default=["old=h[1-8]_", "new=h9_,h1[0-9]_"])
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    real = [json.loads(line)["text"] for line in open(args.real, encoding="utf-8") if line.strip()]
    rng = random.Random(args.seed)
    for spec in args.groups:
        name, _, patterns = spec.partition("=")
        files = sorted(f for f in glob.glob(str(RAW / "*.jsonl")) if any(re.match(p, Path(f).name) for p in patterns.split(",")))
        ours = [json.loads(line)["text"] for f in files for line in open(f, encoding="utf-8") if line.strip()]
        if not ours:
            print(f"{name}: no files match {patterns}")
            continue
        sample = rng.sample(ours, min(len(ours), len(real)))
        auc, ours_terms, real_terms = auc_and_markers(sample, real, args.seed)
        print(f"{name}: {len(files)} files, {len(ours)} segments (sample {len(sample)} vs {len(real)} real): AUC {auc:.3f}")
        print(f"  marks ours: {', '.join(ours_terms)}")
        print(f"  marks real: {', '.join(real_terms)}")


if __name__ == "__main__":
    main()
