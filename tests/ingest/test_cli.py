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


UNDATED = "Notat om frivillige foreninger\n\nForeningerne driver værestedet sammen med kommunens medarbejdere hver uge."


def _folder_with_manifest(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "referat_aarhus.txt").write_text("Referat\n\nByrådet drøftede borgerinddragelse i den nye lokalplan.", encoding="utf-8")
    (folder / "notat.txt").write_text(UNDATED, encoding="utf-8")
    (folder / "holbaek_2024_notat.txt").write_text(UNDATED.replace("Notat", "Holbæk notat"), encoding="utf-8")
    (folder / "manifest.csv").write_text("path,municipality,date,doc_type\nreferat_aarhus.txt,Aarhus,2019-03-12,referat\n",
                                         encoding="utf-8")
    return folder


def test_ingest_folder_uses_its_manifest_and_reports_undated(tmp_path: Path):
    folder = _folder_with_manifest(tmp_path)
    db = tmp_path / "corpus.duckdb"
    result = runner.invoke(app, ["ingest", str(folder), "--db", str(db)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "as the manifest" in output and "manifest.csv" in output and "E010" not in output
    assert "3 file(s) added" in output
    assert "notat.txt: the document has no date" in output and "1 document(s) have no date or year" in output
    assert "holbaek_2024_notat.txt: the document has no date" not in output
    docs = {Path(d["source_path"]).name: d for d in read_records(_export(db, tmp_path))}
    assert set(docs) == {"referat_aarhus.txt", "notat.txt", "holbaek_2024_notat.txt"}
    assert docs["referat_aarhus.txt"]["date"] == "2019-03-12" and docs["referat_aarhus.txt"]["municipality"] == "Aarhus"
    holbaek = docs["holbaek_2024_notat.txt"]
    assert holbaek["year"] == 2024 and holbaek["date"] is None and holbaek["municipality"] == "Holbæk"
    assert "year" in holbaek["inferred"]


def _export(db: Path, tmp_path: Path) -> Path:
    out = tmp_path / "documents.jsonl"
    exported = runner.invoke(app, ["corpus", "export", "--db", str(db), "--what", "documents", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    return out


def test_run_folder_uses_its_manifest(tmp_path: Path, tiny_model_dir: Path):
    folder = _folder_with_manifest(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(folder), "--out", str(out), "--model", str(tiny_model_dir)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "as the manifest" in output and "E010" not in output
    assert "1 document(s) have no date or year" in output
    assert len((out / "documents.jsonl").read_text(encoding="utf-8").splitlines()) == 3
