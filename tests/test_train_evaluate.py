"""train / evaluate / retrain / models list through the CLI, on the tiny handmade data."""

import json

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.retrain import merge_labels

runner = CliRunner()


def test_train_writes_a_complete_reproducible_model_folder(tmp_path, tiny_label_file):
    args = ["train", "--data", str(tiny_label_file), "--dev", str(tiny_label_file), "--set", "model.use_char=false",
            "--set", "model.min_df=1", "--set", "model.calibration=none"]
    res = runner.invoke(app, args + ["--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    folder = tmp_path / "a"
    manifest = json.loads((folder / "model.json").read_text())
    for key in ("codebook_hash", "data_hash", "config", "label_distribution", "metrics", "files", "created"):
        assert key in manifest
    assert manifest["config"]["seed"] == 13
    card = (folder / "MODEL_CARD.md").read_text()
    assert "Intended use" in card and "Limitations" in card and "rung macro-F1" in card
    assert (folder / "heldout_predictions.jsonl").read_text().count("\n") == len(tiny_label_file.read_text().splitlines())
    runner.invoke(app, args + ["--out", str(tmp_path / "b")])
    from pipeline.models import load_model  # seeded: a second run gives the same model

    texts = [json.loads(line)["text"] for line in tiny_label_file.read_text().splitlines()]
    assert (load_model(folder).predict(texts).rung_proba == load_model(tmp_path / "b").predict(texts).rung_proba).all()
    assert json.loads((tmp_path / "b" / "model.json").read_text())["data_hash"] == manifest["data_hash"]


def test_evaluate_writes_reports_and_plots(tmp_path, tiny_model_dir, tiny_label_file):
    out = tmp_path / "eval"
    res = runner.invoke(app, ["evaluate", "--model", str(tiny_model_dir), "--data", str(tiny_label_file), "--out", str(out),
                              "--bootstrap", "50", "--errors", "3"])
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text())
    mm = report["model_metrics"]
    assert {"rung_accuracy", "rung_macro_f1", "rung_mae", "rung_ece", "actors_micro_f1", "actors_macro_f1", "per_rung", "ci95"} <= set(mm)
    assert mm["ci95"]["rung_macro_f1"][0] <= mm["rung_macro_f1"] <= mm["ci95"]["rung_macro_f1"][1]
    assert "rules_metrics" in report
    for png in ("confusion_model.png", "reliability_model.png", "confusion_rules.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    assert "rule baseline" in (out / "report.md").read_text()


def test_merge_labels_later_wins_and_reports_conflicts():
    base = [{"id": "a", "rung": 0, "actors": []}, {"id": "b", "rung": 2, "actors": ["civil_society"]}]
    added = [{"id": "b", "rung": 3, "actors": ["citizens"]}, {"id": "c", "rung": 1, "actors": []}]
    merged, conflicts = merge_labels(base, added)
    assert {r["id"]: r["rung"] for r in merged} == {"a": 0, "b": 3, "c": 1}
    assert conflicts == [{"id": "b", "old_rung": 2, "new_rung": 3, "old_actors": ["civil_society"], "new_actors": ["citizens"]}]


def test_retrain_compares_old_and_new(tmp_path, tiny_label_file, tiny_records):
    base = tmp_path / "base"
    res = runner.invoke(app, ["train", "--data", str(tiny_label_file), "--out", str(base), "--set", "model.use_char=false",
                              "--set", "model.min_df=1", "--set", "model.calibration=none"])
    assert res.exit_code == 0, res.output
    added = tmp_path / "added.jsonl"
    added.write_text(json.dumps({"id": "n1", "text": "Borgerne holder selv øje med deres blodsukker med hjemmemåling.", "rung": 1,
                                 "actors": ["citizens"]}, ensure_ascii=False) + "\n" + json.dumps({**tiny_records[0], "rung": 0}) + "\n",
                     encoding="utf-8")
    res = runner.invoke(app, ["retrain", "--base", str(base), "--add", str(added), "--out", str(tmp_path / "new"), "--test", str(tiny_label_file)])
    assert res.exit_code == 0, res.output
    assert "Old" in res.output and "rung_macro_f1" in res.output
    res = runner.invoke(app, ["models", "list", "--root", str(tmp_path)])
    assert res.exit_code == 0 and "base" in res.output and "new" in res.output


def test_malformed_label_file_is_one_clear_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "x", "rung": 9, "actors": []}\n', encoding="utf-8")
    res = runner.invoke(app, ["train", "--data", str(bad), "--out", str(tmp_path / "m")])
    assert res.exit_code == 1
    assert "bad.jsonl:1" in res.output and "rung 9" in res.output
    assert not (tmp_path / "m").exists()
