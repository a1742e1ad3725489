"""compute_trends: one result for the CLI, workflow, report and web; rows left out by reason."""

from __future__ import annotations

import pytest

from pipeline.report import build_report
from pipeline.trends import TrendOptions, compute_trends, trend_table

from trend_helpers import seg

OPTS = TrendOptions(estimator="cc", bootstrap=0, min_support=1)


def test_result_holds_table_national_and_latest(records):
    result = compute_trends(records, OPTS)
    assert result.estimator == "cc" and result.table.attrs["estimator"] == "cc"
    national = trend_table(records, by=(), estimator="cc", bootstrap=0, min_support=1, national=False)
    assert result.national["share_ge3"].tolist() == pytest.approx(national["share_ge3"].tolist(), nan_ok=True)
    # latest period with documents per municipality: Aarhus 2021, Ærø 2019
    assert list(zip(result.latest["municipality"], result.latest["period"])) == [("Aarhus", "2021"), ("Ærø", "2019")]
    # the municipality rows are compared with that same national table
    aarhus = result.table[(result.table.municipality == "Aarhus") & (result.table.period == "2019")].iloc[0]
    assert aarhus.diff_national_share_rung_0 == pytest.approx(1 / 4 - 1 / 2)
    assert result.left_out == {"noise": 0, "non_danish": 0, "no_date": 0}
    assert "uncorrected" in result.error_source


def test_noise_other_languages_and_undated_rows_are_left_out_and_counted(records):
    extra = [
        {"id": "n1", "doc_id": "A1", "municipality": "Aarhus", "year": 2019, "section_kind": "toc", "rung": None,
         "rung_label": None, "rung_proba": None, "actors": [], "actor_proba": None, "evidence": [], "skipped": "noise"},
        {**seg("x1", "A9", "Aarhus", 2019, [0, 0, 0, 0, 1]), "lang": "en"},
        {**seg("x2", "A9", "Aarhus", 2019, [0, 0, 0, 0, 1]), "lang": "und"},
        {**seg("x3", "A8", "Aarhus", None, [0, 0, 0, 0, 1]), "lang": "da"},
    ]
    result = compute_trends(records + extra, OPTS)
    assert result.left_out == {"noise": 1, "non_danish": 1, "no_date": 1}
    aarhus = result.table[(result.table.municipality == "Aarhus") & (result.table.period == "2019")].iloc[0]
    assert aarhus.n_segments == 5  # the 4 fixture segments + the 'und' one
    assert any("noise" in w for w in result.warnings) and any("not in Danish" in w for w in result.warnings)
    every = compute_trends(records + extra, TrendOptions(estimator="cc", bootstrap=0, languages=None))
    assert every.left_out["non_danish"] == 0


def test_options_from_config_apply_overrides():
    from pipeline.config import load_config

    cfg = load_config()
    opts = TrendOptions.from_config(cfg, by="municipality,doc_type", period="term", bootstrap=None)
    assert opts.by == ("municipality", "doc_type") and opts.period == "term" and opts.bootstrap == cfg.trends.bootstrap


def test_report_takes_a_computed_result(records, tmp_path, monkeypatch):
    result = compute_trends(records, OPTS)
    import pipeline.trends as trends_pkg

    monkeypatch.setattr(trends_pkg, "compute_trends", lambda *a, **k: pytest.fail("the report recomputed the trends"))
    out = build_report(records, out=tmp_path / "r.html", trends=result)
    html = out.read_text(encoding="utf-8")
    assert "uncorrected" in html and f"Estimator: <b>{result.estimator}</b>" in html


def test_auto_leaves_thin_cells_uncorrected_and_says_so(tmp_path):
    """One rung-3 segment among eleven must not come out as ~0 % because pacc amplified noise."""
    import json

    from trend_helpers import seg, shifted_heldout

    from pipeline.trends import TrendOptions, compute_trends
    from pipeline.trends.table import MIN_CELL_SEGMENTS

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "heldout_predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in shifted_heldout(100)))
    thin = [seg(f"v{i}", "V1", "Viborg", 2024, [0, 0, 0, 1, 0] if i == 0 else [1, 0, 0, 0, 0]) for i in range(11)]
    thick = [seg(f"a{i}", f"A{i // 5}", "Aarhus", 2024, [0, 0, 0, 1, 0] if i % 3 == 0 else [1, 0, 0, 0, 0])
             for i in range(MIN_CELL_SEGMENTS + 10)]
    result = compute_trends(thin + thick, TrendOptions(by=("municipality",), period="year", estimator="auto", bootstrap=50),
                            model_dir=folder)
    rows = {r["municipality"]: r for r in result.table.to_dict("records")}
    assert result.estimator in ("acc", "pacc")  # the held-out set favours an adjusted estimator
    assert rows["Viborg"]["estimator"] == "pcc" and abs(rows["Viborg"]["share_ge3"] - 1 / 11) < 1e-9
    assert rows["Aarhus"]["estimator"] == result.estimator
    assert any("estimators differ by cell" in w for w in result.table.attrs["warnings"])
