"""End to end: `samskab run` on a slice of the demo corpus, through the CLI."""

import json
import re
import shutil
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from pipeline.cli import app

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"


def _table(output: str) -> str:
    """The trend table as printed (from its title to its bottom border)."""
    start = output.index("Latest ")
    return output[start:output.index("└", start)]


def test_run_pipeline_reports_progress(tmp_path, tiny_model_dir):
    from pipeline.workflow import run_pipeline

    docs = (DEMO / "documents.jsonl").read_text(encoding="utf-8").splitlines()[:6]
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jsonl").write_text("\n".join(docs[:3]) + "\n", encoding="utf-8")
    (src / "b.jsonl").write_text("\n".join(docs[3:]) + "\n", encoding="utf-8")
    ticks, events = [], []
    result = run_pipeline([src], out_dir=tmp_path / "out", model_dir=tiny_model_dir, on_progress=lambda *a: ticks.append(a),
                          on_event=lambda *a: events.append(a))
    ingest = [t for t in ticks if t[0] == "ingest"]
    assert ingest[0] == ("ingest", 0, 2) and ingest[-1] == ("ingest", 2, 2)
    classify = [t for t in ticks if t[0] == "classify"]
    assert classify[-1][1] == result.counts["segments"] and classify[-1][1] > 6
    assert [stage for stage, _ in events] == ["ingest", "classify", "aggregate", "trends", "report"]
    assert events[0][1].startswith("2 file(s) added, 0 already stored, 0 failed; 6 documents")


def test_run_whole_pipeline_on_demo_slice(tmp_path, tiny_model_dir):
    docs = [json.loads(line) for line in (DEMO / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    picked = [d for d in docs if d["municipality"] in ("Aarhus", "Lolland")][:8]
    src = tmp_path / "in"
    src.mkdir()
    (src / "documents.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in picked), encoding="utf-8")
    shutil.copytree(DEMO / "files", src / "files")
    out = tmp_path / "out"
    args = ["run", str(src / "documents.jsonl"), str(src / "files"), "--manifest", str(src / "files" / "manifest.csv"),
            "--out", str(out), "--model", str(tiny_model_dir), "--period", "year"]
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
    assert "Aarhus" in res.output and "share >= 3" in res.output, res.output
    # a line per finished stage, with counts and the seconds it took
    for stage in ("ingest: 5 file\\(s\\) added", "classify: \\d+ segment predictions", "aggregate: 12 document predictions",
                  "trends: \\d+ rows", "report: \\d+ plots"):
        assert re.search(stage + r".*\(\d+\.\d s\)", res.output), stage
    # `samskab trends` on the same predictions prints the very same table
    trends = CliRunner().invoke(app, ["trends", str(out / "predictions.jsonl"), "--model", str(tiny_model_dir), "--period", "year"])
    assert trends.exit_code == 0, trends.output
    assert _table(trends.output) == _table(res.output) and "Latest year per group" in _table(res.output)
    # a second run adds nothing and gives the same segment predictions
    before = (out / "predictions.jsonl").read_bytes()
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert (out / "predictions.jsonl").read_bytes() == before
