#!/usr/bin/env python
"""Put the evaluation of a model folder into its model card and manifest.

Reads MODEL/evaluation/report.json (from `samskab evaluate --out MODEL/evaluation`) for
the rule baseline on the same test data, and MODEL/evaluation/cv.json (from
scripts/cross_validate.py) for grouped cross-validation, then rewrites model.json,
metrics.json and MODEL_CARD.md (with fresh file hashes). Optionally renames the model.

Usage: python scripts/update_model_card.py [--model models/default] [--name default]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipeline.train import _headline, update_card


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/default")
    ap.add_argument("--name", default=None)
    args = ap.parse_args()
    model = Path(args.model)
    extra = {}
    report = model / "evaluation" / "report.json"
    if report.is_file():
        data = json.loads(report.read_text(encoding="utf-8"))
        extra["rules_test"] = _headline(data["rules_metrics"])
        extra["test_ci95"] = data["model_metrics"].get("ci95", {})
        extra["rules_test_ci95"] = data["rules_metrics"].get("ci95", {})
    cv = model / "evaluation" / "cv.json"
    if cv.is_file():
        extra["cv"] = {g: v["summary"] for g, v in json.loads(cv.read_text(encoding="utf-8")).items()}
    if args.name:
        manifest_path = model / "model.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest["name"] = args.name
        manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    update_card(model, extra)
    print(f"updated {model}: " + ", ".join(extra) if extra else f"nothing to add to {model}")


if __name__ == "__main__":
    main()
