"""`samskab ingest` and `samskab corpus export|stats` through typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.io import read_records

runner = CliRunner()


def test_ingest_cli_mixed_folder(mixed_folder: Path, tmp_path: Path):
    db = tmp_path / "corpus.duckdb"
    result = runner.invoke(app, ["ingest", str(mixed_folder), "--db", str(db)])
    assert result.exit_code == 1, result.output
    output = result.output
    assert "ødelagt.pdf" in output and "cannot be read as PDF" in output
    assert "tom.txt" in output and "empty" in output
    assert "4 file(s) added" in output and "2 failed" in output

    out = tmp_path / "segments.jsonl"
    exported = runner.invoke(app, ["corpus", "export", "--db", str(db), "--what", "segments", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    texts = " ".join(r["text"] for r in read_records(out))
    for word in ("Økonomiudvalget", "Gellerup og Toveshøj", "Søndervang", "frivillige fra Røde Kors", "økonomi og aktiviteter", "Børne- og Skoleudvalget"):
        assert word in texts
    assert "Ã" not in texts

    again = runner.invoke(app, ["ingest", str(mixed_folder), "--db", str(db)])
    assert again.exit_code == 1  # the bad files are still bad
    assert "0 file(s) added" in again.output and "4 skipped" in again.output

    stats = runner.invoke(app, ["corpus", "stats", "--db", str(db)])
    assert stats.exit_code == 0, stats.output
    assert "Aarhus" in stats.output and "2017" in stats.output and "4 documents" in stats.output


def test_ingest_cli_all_good_exits_zero(tmp_path: Path, cp1252_txt: Path):
    db = tmp_path / "c.duckdb"
    result = runner.invoke(app, ["ingest", str(cp1252_txt), "--db", str(db), "--workers", "1"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "docs.parquet"
    assert runner.invoke(app, ["corpus", "export", "--db", str(db), "--what", "documents", "--out", str(out)]).exit_code == 0
    assert "Fælles om Søndervang" in read_records(out)[0]["text"]


def test_cli_errors_are_one_line(tmp_path: Path):
    result = runner.invoke(app, ["corpus", "stats", "--db", str(tmp_path / "nope.duckdb")])
    assert result.exit_code == 1 and "samskab ingest" in result.output
    bad = runner.invoke(app, ["corpus", "export", "--db", str(tmp_path / "nope.duckdb"), "--what", "labels", "--out", "x.csv"])
    assert bad.exit_code == 1 and "documents, segments" in bad.output


def test_help_texts():
    for args in (["ingest", "--help"], ["corpus", "export", "--help"], ["corpus", "stats", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Example" in result.output
