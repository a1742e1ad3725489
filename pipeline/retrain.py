"""Retraining with new labels: merge, retrain, compare old and new on the same test data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.errors import ModelError


def merge_labels(base: list[dict[str, Any]], added: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Later annotation wins. Returns (merged, conflicts) where a conflict is an id whose
    rung or actors changed."""
    merged = {r["id"]: r for r in base}
    conflicts = []
    for r in added:
        old = merged.get(r["id"])
        if old is not None and (old["rung"] != r["rung"] or sorted(old["actors"]) != sorted(r["actors"])):
            conflicts.append({"id": r["id"], "old_rung": old["rung"], "new_rung": r["rung"],
                              "old_actors": old["actors"], "new_actors": r["actors"]})
        merged[r["id"]] = r
    return list(merged.values()), conflicts


def retrain(base_dir: Path, add_files: list[Path], out: Path, *, test_file: Path, dev_file: Path | None = None,
            progress=None) -> dict[str, Any]:  # noqa: ANN001
    from pipeline.resources import PROJECT_ROOT
    from pipeline.config import ModelConfig
    from pipeline.labels import load_labels
    from pipeline.models import load_model, read_manifest
    from pipeline.train import dev_score, train

    manifest = read_manifest(base_dir)
    train_file = manifest.get("data_files", {}).get("train")
    if not train_file:
        raise ModelError(path=str(base_dir), detail="its model.json does not name its training data; use `samskab train` instead")
    train_path = Path(train_file) if Path(train_file).is_absolute() else PROJECT_ROOT / train_file
    base_records = load_labels(train_path)
    added = [r for f in add_files for r in load_labels(f)]
    if not Path(test_file).is_absolute() and not Path(test_file).exists():  # the default split, run from another folder
        test_file = PROJECT_ROOT / test_file
    test = load_labels(test_file)
    test_ids = {r["id"] for r in test}
    leaked = [r["id"] for r in added if r["id"] in test_ids]
    added = [r for r in added if r["id"] not in test_ids]
    merged, conflicts = merge_labels(base_records, added)
    dev_path = dev_file or (PROJECT_ROOT / manifest["data_files"]["dev"] if manifest.get("data_files", {}).get("dev") else None)
    dev = load_labels(dev_path) if dev_path else None
    config = ModelConfig.model_validate(manifest["config"])
    new_manifest = train(merged, out=out, config=config, dev=dev, test=test, progress=progress,
                         data_files={"train": str(train_path), "added": ", ".join(str(f) for f in add_files),
                                     **({"dev": str(dev_path)} if dev_path else {}), "test": str(test_file)})
    old_scores = dev_score(load_model(base_dir), test)
    new_scores = new_manifest["metrics"]["test"]
    keys = ("rung_accuracy", "rung_macro_f1", "rung_mae", "actors_micro_f1", "actors_macro_f1")
    return {
        "n_base": len(base_records), "n_added": len(added), "n_merged": len(merged), "conflicts": conflicts,
        "dropped_test_ids": leaked,
        "comparison": [{"metric": k, "old": old_scores[k], "new": new_scores[k], "change": new_scores[k] - old_scores[k]} for k in keys],
        "out": str(out),
    }
