"""Calibrated trends (issue 14): PPI and ACC/PACC from a labelled sample of the corpus itself."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import DataError, LabelFileError
from pipeline.trends import TrendOptions, compute_trends, model_real_text_figures, trend_table
from pipeline.trends.simulate import simulate

from trend_helpers import seg, shifted_population


@pytest.fixture
def four():
    """One cell, four one-segment documents; the probabilities are chosen for hand computation."""
    return [seg("s1", "d1", "Aarhus", 2019, [0.8, 0.2, 0, 0, 0]), seg("s2", "d2", "Aarhus", 2019, [0.6, 0, 0, 0.4, 0]),
            seg("s3", "d3", "Aarhus", 2019, [0, 0, 0, 1, 0]), seg("s4", "d4", "Aarhus", 2019, [0.5, 0.5, 0, 0, 0])]


def test_ppi_by_hand(four):
    # mean probabilities over all four: [0.475, 0.175, 0, 0.35, 0]
    # labelled s1 -> 0: label - p = [0.2, -0.2, 0, 0, 0];  s2 -> 3: [-0.6, 0, 0, 0.6, 0];  mean [-0.2, -0.1, 0, 0.3, 0]
    r = trend_table(four, estimator="ppi", calibration={"s1": 0, "s2": 3}, bootstrap=0, min_cell_labels=1).iloc[0]
    assert [r[f"share_rung_{k}"] for k in range(5)] == pytest.approx([0.275, 0.075, 0, 0.65, 0])
    assert r.share_ge3 == pytest.approx(0.65) and r.share_docs_ge3 == pytest.approx(0.65)
    assert r.mean_rung == pytest.approx(0.075 + 3 * 0.65)
    assert r.n_labelled == 2 and "own labels" in r.calibration


def test_ppi_weights_a_stratified_sample(four):
    # the same labels, s2 standing for three segments: rectifier (1*d1 + 3*d2) / 4 = [-0.4, -0.05, 0, 0.45, 0]
    r = trend_table(four, estimator="ppi", calibration={"s1": 0, "s2": 3}, calibration_weights={"s1": 1, "s2": 3},
                    bootstrap=0, min_cell_labels=1).iloc[0]
    assert [r[f"share_rung_{k}"] for k in range(5)] == pytest.approx([0.075, 0.125, 0, 0.8, 0])


@pytest.mark.parametrize("estimator", ["acc", "pacc"])
def test_acc_pacc_with_rates_from_the_calibration_sample(estimator):
    truth = [0.5, 0.2, 0.1, 0.1, 0.1]
    recs, labels = shifted_population(truth)
    # a full calibration sample measures the confusion exactly, so the correction recovers the truth
    r = trend_table(recs, estimator=estimator, calibration=labels, bootstrap=0).iloc[0]
    assert [r[f"share_rung_{k}"] for k in range(5)] == pytest.approx(truth, abs=1e-6)
    assert "calibration" in r.calibration


def test_thin_cells_borrow_the_corpus_wide_rates_and_say_so():
    big, big_truth = shifted_population([0.5, 0.2, 0.1, 0.1, 0.1], 200, muni="Odense", prefix="o")
    small, small_truth = shifted_population([0.2, 0.2, 0.2, 0.2, 0.2], 50, muni="Ærø", prefix="e")
    labels = {**big_truth, **dict(list(small_truth.items())[:5])}
    table = trend_table(big + small, estimator="auto", calibration=labels, bootstrap=50)
    odense, aeroe = table[table.municipality == "Odense"].iloc[0], table[table.municipality == "Ærø"].iloc[0]
    assert odense.estimator == "ppi" and "own labels" in odense.calibration and odense.n_labelled == 200
    assert aeroe.estimator == "pacc" and "borrowed" in aeroe.calibration and aeroe.n_labelled == 5
    # the borrowed rates are the same classifier's, so Ærø's flat prior is still recovered
    assert [aeroe[f"share_rung_{k}"] for k in range(5)] == pytest.approx([0.2] * 5, abs=0.02)
    assert any("borrow" in w for w in table.attrs["warnings"])
    assert table.attrs["calibration"]["cells_borrowing"] == 1


def test_labels_outside_the_predictions_are_reported(four):
    table = trend_table(four, estimator="ppi", calibration={"s1": 0, "nope": 2}, bootstrap=0, min_cell_labels=1)
    assert any("1 of 2 calibration labels match no counted prediction" in w for w in table.attrs["warnings"])
    with pytest.raises(DataError, match="none of the 1 calibration labels"):
        trend_table(four, estimator="ppi", calibration={"nope": 2}, bootstrap=0)


def test_bad_calibration_file_names_the_line(tmp_path, four):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"id": "s1", "rung": 0}\n{"id": "s2", "rung": 7}\n', encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"labels.jsonl:2: .*rung 0-4"):
        trend_table(four, calibration=path)


def test_without_calibration_the_warnings_say_where_error_rates_come_from(tmp_path):
    recs, _ = shifted_population([0.5, 0.2, 0.1, 0.1, 0.1])
    model = tmp_path / "m"
    model.mkdir()
    (model / "heldout_predictions.jsonl").write_text("".join(
        json.dumps({"rung_true": int(r["id"][1]), "rung_proba": r["rung_proba"]}) + "\n" for r in recs[::2]), encoding="utf-8")
    res = compute_trends(recs, TrendOptions(by=(), estimator="pacc", bootstrap=0), model_dir=model)
    assert any("written examples" in w and "unknown" in w and "optimistic" in w for w in res.warnings)
    (model / "metrics.json").write_text(json.dumps({"real_dev": {"n": 170, "rung_accuracy": 0.41, "rung_macro_f1": 0.38}}),
                                        encoding="utf-8")
    res = compute_trends(recs, TrendOptions(by=(), estimator="pacc", bootstrap=0), model_dir=model)
    assert "real_dev: rung_accuracy 0.41, rung_macro_f1 0.38 (n=170)" == res.model_real_text
    assert "written examples" in res.error_source
    (model / "metrics.json").write_text(json.dumps({"minutes": {"real_text": True, "n": 150, "rung_accuracy": 0.52}}),
                                        encoding="utf-8")
    assert model_real_text_figures(model) == "minutes: rung_accuracy 0.52 (n=150)"


def test_cli_trends_with_calibration(tmp_path):
    recs, labels = shifted_population([0.5, 0.2, 0.1, 0.1, 0.1])
    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    lab = tmp_path / "labels.csv"
    lab.write_text("id,rung,actors\n" + "".join(f"{i},{y},\n" for i, y in list(labels.items())[::4]), encoding="utf-8")
    out = tmp_path / "t.csv"
    res = CliRunner().invoke(app, ["trends", str(pred), "--calibration", str(lab), "--by", "", "--bootstrap", "50",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "calibration sample of this corpus (50 labelled segments)" in res.output
    about = json.loads(out.with_name("t.csv.json").read_text(encoding="utf-8"))
    assert about["calibration"]["n_matched"] == 50 and about["estimator"] == "ppi"


@pytest.mark.parametrize("command", ["trends", "report"])
def test_calibration_with_unit_document_is_one_coded_error(tmp_path, four, command):
    """Segment labels cannot correct a document table: one error before any work, naming what to do instead."""
    with pytest.raises(DataError, match="--unit segment"):
        trend_table(four, estimator="auto", unit="document", calibration={"s1": 0, "s2": 3}, bootstrap=0)
    lab = tmp_path / "labels.csv"
    lab.write_text("id,rung,actors\ns1,0,\ns2,3,\n", encoding="utf-8")
    out = tmp_path / ("t.csv" if command == "trends" else "r.html")
    res = CliRunner().invoke(app, [command, str(tmp_path / "not-read.jsonl"), "--calibration", str(lab), "--unit", "document",
                                   "--out", str(out)], env={"COLUMNS": "300"})
    assert res.exit_code == 1 and "[E060] --calibration cannot correct a --unit document table" in res.output
    assert "share_docs_ge3" in res.output and "Reading predictions" not in res.output and not out.exists()
    assert "uncorrected" in res.output.split("[E060]")[1] and res.output.count("[E060]") == 1


@pytest.mark.slow  # ~9 s of bootstrap rounds
def test_simulation_coverage_small():
    """A fast version of the coverage check below (fewer repetitions, so a looser bound)."""
    r = simulate(reps=40, n_labels=200, bootstrap=100, seed=1)
    assert min(r.coverage.values()) >= 0.85, r.coverage
    assert sum(r.error.values()) < 0.5 * sum(r.cc_error.values()), (r.error, r.cc_error)


@pytest.mark.slow
def test_simulation_coverage_500():
    """Issue 14: with 200 labels the 95% intervals contain the truth in >= 93% of 500 repetitions."""
    r = simulate(reps=500, n_labels=200, bootstrap=200, seed=7)
    assert min(r.coverage.values()) >= 0.93, r.coverage
    assert sum(r.error.values()) < 0.5 * sum(r.cc_error.values()), (r.error, r.cc_error)


def test_report_shows_the_calibration_used(tmp_path):
    from pipeline.report import build_report

    recs, labels = shifted_population([0.5, 0.2, 0.1, 0.1, 0.1])
    out = build_report(recs, out=tmp_path / "r.html", by="", bootstrap=20, calibration=dict(list(labels.items())[:40]), lang="en")
    html = out.read_text(encoding="utf-8")
    assert "calibration sample of this corpus (40 labelled segments)" in html and "40 of 40 labels matched" in html
    danish = build_report(recs, out=tmp_path / "da.html", by="", bootstrap=0, calibration=dict(list(labels.items())[:40]))
    assert "en stikprøve på 40 afsnit" in danish.read_text(encoding="utf-8")


def test_cli_report_with_a_weighted_sample(tmp_path):
    recs, labels = shifted_population([0.5, 0.2, 0.1, 0.1, 0.1])
    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    chosen = list(labels.items())[::5]
    (tmp_path / "labels.jsonl").write_text("".join(json.dumps({"id": i, "rung": y}) + "\n" for i, y in chosen), encoding="utf-8")
    (tmp_path / "sample.jsonl").write_text("".join(json.dumps({"id": i, "sample_weight": 5.0}) + "\n" for i, _ in chosen),
                                           encoding="utf-8")
    res = CliRunner().invoke(app, ["report", str(pred), "--calibration", str(tmp_path / "labels.jsonl"), "--sample",
                                   str(tmp_path / "sample.jsonl"), "--by", "", "--bootstrap", "20", "--out", str(tmp_path / "r.html"),
                                   "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "40 of 40 labels matched" in (tmp_path / "r.html").read_text(encoding="utf-8")
    (tmp_path / "sample.jsonl").write_text('{"id": "x"}\n', encoding="utf-8")
    res = CliRunner().invoke(app, ["trends", str(pred), "--calibration", str(tmp_path / "labels.jsonl"), "--sample",
                                   str(tmp_path / "sample.jsonl"), "--by", ""])
    assert res.exit_code != 0 and "sample.jsonl:1" in res.output and "sample_weight" in res.output
