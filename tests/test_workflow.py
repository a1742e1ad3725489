"""End to end: `samskab run` on a slice of the demo corpus, through the CLI."""

import json
import shutil
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from pipeline.cli import app

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"


def test_run_whole_pipeline_on_demo_slice(tmp_path, tiny_model_dir):
    docs = [json.loads(line) for line in (DEMO / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    picked = [d for d in docs if d["municipality"] in ("Aarhus", "Lolland")][:8]
    src = tmp_path / "in"
    src.mkdir()
    (src / "documents.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in picked), encoding="utf-8")
    shutil.copytree(DEMO / "files", src / "files")
    out = tmp_path / "out"
    args = ["run", str(src / "documents.jsonl"), str(src / "files"), "--manifest", str(src / "files" / "manifest.csv"),
            "--out", str(out), "--model", str(tiny_model_dir)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    for name in ("corpus.duckdb", "predictions.jsonl", "documents.jsonl", "trends.csv", "report.html"):
        assert (out / name).is_file(), name
    preds = [json.loads(line) for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len({p["id"] for p in preds}) == len(preds) > len(picked)
    doc_preds = (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(doc_preds) == len(picked) + 4  # the 4 files with the manifest
    assert any("ø" in p.get("text", "") or "æ" in p.get("text", "") for p in preds if p.get("municipality") == "Viborg")  # cp1252 decoded
    table = pd.read_csv(out / "trends.csv")
    assert {"Aarhus", "Lolland", "Viborg"} <= set(table["municipality"])
    assert "share_ge3" in table.columns and "mean_rung_lo" in table.columns
    assert list(out.glob("plots/*.png"))
    assert "Aarhus" in res.output and "share ≥ 3" in res.output
    # a second run adds nothing and gives the same segment predictions
    before = (out / "predictions.jsonl").read_bytes()
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert (out / "predictions.jsonl").read_bytes() == before
