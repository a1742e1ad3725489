#!/usr/bin/env python
"""Grouped 5-fold cross-validation of a model config on train+dev (never test).

How well does the model carry to municipalities and genres it has not seen? Prints and
writes JSON with per-fold and mean/sd rung macro-F1 and actors micro-F1.

Usage: python scripts/cross_validate.py [--model models/default] [--out models/default/evaluation/cv.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipeline.config import ModelConfig
from pipeline.labels import load_split
from pipeline.models import read_manifest
from pipeline.train import cross_validate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/default", help="model folder whose config is cross-validated")
    ap.add_argument("--out", default=None)
    ap.add_argument("--groups", nargs="+", default=["municipality", "genre"])
    args = ap.parse_args()
    config = ModelConfig.model_validate(read_manifest(Path(args.model))["config"])
    records = load_split("train") + load_split("dev")
    result = {}
    for group in args.groups:
        cv = cross_validate(records, config, group=group)
        result[group] = cv
        s = cv["summary"]
        print(f"by {group}: rung macro-F1 {s['rung_macro_f1']['mean']:.3f} ± {s['rung_macro_f1']['sd']:.3f}, "
              f"actors micro-F1 {s['actors_micro_f1']['mean']:.3f} ± {s['actors_micro_f1']['sd']:.3f}", flush=True)
    out = Path(args.out or Path(args.model) / "evaluation" / "cv.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
