"""Charts, the HTML report and the CLI commands, on the conftest fixture."""

from __future__ import annotations

import json
import warnings
from html.parser import HTMLParser

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.plots import plot_heatmap, plot_lines, plot_stacked, slug, write_plots
from pipeline.report import build_report, safe_link
from pipeline.trends import trend_table

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def table(records):
    return trend_table(records, estimator="pcc", bootstrap=20)


def test_slug_keeps_danish_readable():
    assert slug("Ærø") == "aeroe" and slug("Høje-Taastrup") == "hoeje-taastrup" and slug("København") == "koebenhavn"


def test_plots_are_non_empty_pngs_with_danish_glyphs(table, tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = write_plots(table, out_dir=tmp_path)
    assert not [w for w in caught if "Glyph" in str(w.message)]  # æøå render with the font
    names = sorted(p.name for p in paths)
    assert names == ["heatmap_mean_rung.png", "stacked_latest.png", "trend_aarhus.png", "trend_aeroe.png"]
    for p in paths:
        data = p.read_bytes()
        assert data.startswith(PNG) and len(data) > 2000


def test_single_plots_return_paths(table, tmp_path):
    assert plot_lines(table, out_dir=tmp_path, groups=["Ærø"])[0].name == "trend_aeroe.png"
    assert plot_heatmap(table, out=tmp_path / "h.png", metric="share_ge3").read_bytes().startswith(PNG)
    assert plot_stacked(table, out=tmp_path / "s.png", period="2019").read_bytes().startswith(PNG)


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_report_is_self_contained_and_escaped(records, model_dir, tmp_path):
    out = build_report(records, out=tmp_path / "r.html", model_dir=model_dir, bootstrap=20)
    html = out.read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(html)
    tags = [t for t, _ in parser.tags]
    images = [a["src"] for t, a in parser.tags if t == "img"]
    assert len(images) >= 4 and all(src.startswith("data:image/png;base64,") for src in images)
    # no scripts, no external assets, no javascript: links
    assert "script" not in tags and "link" not in tags and "b" in tags  # <b> only from the template
    hrefs = [a.get("href", "") for t, a in parser.tags if t == "a"]
    assert "https://aarhus.dk/referat?id=1&x=2" in hrefs
    assert not [h for h in hrefs if h.lower().startswith("javascript")]
    assert any(h.startswith("file:///") and h.endswith("aarhus%202021.pdf") for h in hrefs)
    text = "".join(parser.text)
    # the quote and the model card keep their markup as text, not as tags
    assert '<script>alert("x")</script> dialogmøde & workshop' in text
    assert "&lt;script&gt;" in html and "Byrådet &lt;marts&gt;" in html
    assert "Trained on <b>few</b> Ærø documents." in text
    assert "macro_f1" in text and "0.6123" in text
    # the estimator and why, in the method section
    assert "Begrundelse:" in text and table_estimator(html) in ("cc", "pcc", "acc", "pacc")


def table_estimator(html: str) -> str:
    return html.split("Estimator: <b>", 1)[1].split("</b>", 1)[0]


def test_safe_link():
    assert safe_link({"url": "javascript:alert(1)"}) is None
    assert safe_link({"url": "https://x.dk/a"}) == "https://x.dk/a"
    assert safe_link({"url": "data:text/html,x", "source_path": "/tmp/a b.pdf"}) == "file:///tmp/a%20b.pdf"


runner = CliRunner()


def test_cli_trends_writes_table_plots_and_about(predictions_file, model_dir, tmp_path):
    out = tmp_path / "trends.csv"
    result = runner.invoke(app, ["trends", str(predictions_file), "--out", str(out), "--plots", str(tmp_path / "plots"),
                                 "--model", str(model_dir), "--bootstrap", "20", "--estimator", "cc"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert len(table) == 6 and table.loc[0, "municipality"] == "Aarhus"
    about = json.loads((tmp_path / "trends.csv.json").read_text(encoding="utf-8"))
    assert about["estimator"] == "cc" and about["n_heldout"] == 100
    assert (tmp_path / "plots" / "trend_aeroe.png").is_file()
    assert "Ærø" in result.output and "mean rung" in result.output


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_cli_trends_other_formats(predictions_file, tmp_path, suffix):
    out = tmp_path / f"t{suffix}"
    result = runner.invoke(app, ["trends", str(predictions_file), "--out", str(out), "--bootstrap", "0", "--period", "term",
                                 "-m", "Ærø", "--unit", "document"])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out) if suffix == ".parquet" else pd.read_excel(out, sheet_name="trends")
    assert list(table["municipality"]) == ["Ærø"] and list(table["period"]) == ["2018-2021"]
    if suffix == ".xlsx":
        about = pd.read_excel(out, sheet_name="about")
        assert "estimator_reason" in set(about["key"])


def test_cli_report(predictions_file, model_dir, tmp_path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(predictions_file), "--out", str(out), "--model", str(model_dir), "--bootstrap", "10"])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("args,message", [
    (["--estimator", "magic"], "E040"),
    (["-m", "Gotham"], "Gotham"),
    (["--out", "x.txt"], "unsupported output type"),
    (["--model", "no/such/model"], "E030"),
])
def test_cli_trends_errors(predictions_file, tmp_path, args, message):
    result = runner.invoke(app, ["trends", str(predictions_file), "--bootstrap", "0", *args])
    assert result.exit_code == 1
    assert message in result.output


def test_cli_missing_input():
    result = runner.invoke(app, ["trends", "no/such/file.jsonl"])
    assert result.exit_code == 1 and "file not found" in result.output


@pytest.mark.parametrize("command", ["trends", "report"])
def test_cli_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Examples" in result.output and "--model" in result.output


def test_cli_trends_from_store(records, tmp_path):
    store_mod = pytest.importorskip("pipeline.store")
    db = tmp_path / "corpus.duckdb"
    with store_mod.CorpusStore(db) as store:
        for doc_id in dict.fromkeys(r["doc_id"] for r in records):
            segs = [r for r in records if r["doc_id"] == doc_id]
            meta = {k: segs[0][k] for k in ("municipality", "year")}
            store.add_document({"id": doc_id, "content_hash": doc_id, "text": "x", **meta},
                               [{"id": r["id"], "doc_id": doc_id, "position": n, "text": "x", **meta} for n, r in enumerate(segs)])
        run = store.start_run("classify", {})
        store.write_predictions(run, records)
        store.finish_run(run)
    out = tmp_path / "t.csv"
    result = runner.invoke(app, ["trends", "--db", str(db), "--out", str(out), "--estimator", "cc", "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    aarhus = table[(table.municipality == "Aarhus") & (table.period == 2019)].iloc[0]
    assert aarhus.n_documents == 2 and aarhus.share_rung_3 == pytest.approx(0.25)


@pytest.mark.parametrize("command", ["trends", "report"])
def test_cli_store_without_a_run_says_how_to_store_one_not_serve(tmp_path, command):
    """A store with segments but no classify run: the hint is the classify command for that store, not `serve`."""
    store_mod = pytest.importorskip("pipeline.store")
    db = tmp_path / "corpus.duckdb"
    with store_mod.CorpusStore(db) as store:
        store.add_document({"id": "d1", "content_hash": "d1", "text": "x", "municipality": "Aarhus", "year": 2019},
                           [{"id": "d1#0", "doc_id": "d1", "position": 0, "text": "x", "municipality": "Aarhus", "year": 2019}])
    result = runner.invoke(app, [command, "--db", str(db), "--out", str(tmp_path / ("t.csv" if command == "trends" else "r.html"))],
                           env={"COLUMNS": "300"})
    assert result.exit_code == 1, result.output
    assert "[E050]" in result.output and f"samskab classify --db {db} --out predictions.jsonl --to-store" in result.output
    assert "serve" not in result.output
