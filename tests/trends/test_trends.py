"""Trend numbers checked against hand computation on the conftest fixture."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import DataError, UnknownNameError
from pipeline.trends import load_heldout, term_label, trend_table

from trend_helpers import seg, shifted_heldout, shifted_population


def row(table, muni, period):
    hit = table[(table["municipality"] == muni) & (table["period"] == period)]
    assert len(hit) == 1, (muni, period, len(hit))
    return hit.iloc[0]


@pytest.fixture
def cc(records):
    return trend_table(records, estimator="cc", bootstrap=50, min_support=2)


def test_cc_shares_by_hand(cc):
    r = row(cc, "Aarhus", "2019")
    # predictions at threshold 0.5: a1 -> 3, a2 -> 0, a3 -> uncertain (top 0.4), a4 -> 2
    assert (r.n_documents, r.n_segments) == (2, 4)
    expected = [1 / 4, 0, 1 / 4, 1 / 4, 0]
    assert [r[f"share_rung_{k}"] for k in range(5)] == pytest.approx(expected)
    assert r.uncertain_share == pytest.approx(1 / 4)
    assert r.share_ge3 == pytest.approx(1 / 4)
    # mean over the 3 certain segments: (3 + 0 + 2) / 3
    assert r.mean_rung == pytest.approx(5 / 3)
    # A1 reaches 3, A2 reaches 2 -> 1 of 2 documents
    assert r.share_docs_ge3 == pytest.approx(1 / 2)
    # actors: citizens in a1, politicians in a1, civil_society in a4 -> 1/4 each
    assert (r.actor_citizens, r.actor_politicians, r.actor_civil_society, r.actor_businesses) == pytest.approx((0.25, 0.25, 0.25, 0))
    # Wilson 95% for 1 of 4: (0.0456, 0.6994)
    assert (r.share_rung_0_lo, r.share_rung_0_hi) == pytest.approx((0.0456, 0.6994), abs=1e-4)
    assert r.ci_method.startswith("wilson")
    assert not r.low_support  # 2 documents, min_support 2


def test_empty_periods_are_rows_not_zeros(cc):
    # the global range is 2019-2021: 2 municipalities x 3 years
    assert len(cc) == 6
    assert list(cc["period"]) == ["2019", "2020", "2021"] * 2
    for muni, period in (("Aarhus", "2020"), ("Ærø", "2020"), ("Ærø", "2021")):
        r = row(cc, muni, period)
        assert r.n_documents == 0 and r.n_segments == 0
        assert math.isnan(r.share_rung_0) and math.isnan(r.mean_rung) and math.isnan(r.share_rung_0_lo)
        assert r.low_support


def test_one_document_group(cc):
    r = row(cc, "Aarhus", "2021")
    # a single rung-4 segment
    assert (r.n_documents, r.n_segments) == (1, 1)
    assert r.share_rung_4 == 1.0 and r.share_ge3 == 1.0 and r.mean_rung == 4.0 and r.share_docs_ge3 == 1.0
    assert r.low_support  # 1 < min_support 2
    # one document: nothing to resample, so no interval (not a zero-width one); cc keeps its Wilson interval
    assert math.isnan(r.mean_rung_lo) and math.isnan(r.mean_rung_hi)
    assert 0 < r.share_ge3_lo < 1.0 == r.share_ge3_hi


def test_municipality_without_co_creation(cc):
    r = row(cc, "Ærø", "2019")
    assert r.share_rung_0 == 1.0 and r.share_ge3 == 0.0 and r.mean_rung == 0.0 and r.share_docs_ge3 == 0.0
    # talk without practice: e1 has vocabulary at rung 0 (1 of 2), nothing at rungs 1-4
    assert r.talk_share == pytest.approx(0.5) and r.practice_share == 0.0
    assert math.isinf(r.talk_practice_ratio)


def test_national_difference(cc):
    # national 2019 (6 segments): preds 3,0,U,2,0,0 -> share_0 3/6, share_ge3 1/6, mean (3+0+2+0+0)/5 = 1
    a = row(cc, "Aarhus", "2019")
    assert a.diff_national_share_rung_0 == pytest.approx(1 / 4 - 1 / 2)
    assert a.diff_national_share_ge3 == pytest.approx(1 / 4 - 1 / 6)
    assert a.diff_national_mean_rung == pytest.approx(5 / 3 - 1)
    e = row(cc, "Ærø", "2019")
    assert e.diff_national_share_ge3 == pytest.approx(-1 / 6)
    assert e.diff_national_mean_rung == pytest.approx(-1)
    # Aarhus is the whole country in 2021
    assert row(cc, "Aarhus", "2021").diff_national_mean_rung == pytest.approx(0)
    assert math.isnan(row(cc, "Ærø", "2021").diff_national_mean_rung)


def test_national_table_with_empty_by(records):
    table = trend_table(records, by=(), estimator="cc", bootstrap=0)
    assert list(table["period"]) == ["2019", "2020", "2021"]
    assert table.iloc[0].share_rung_0 == pytest.approx(1 / 2)
    assert "diff_national_mean_rung" not in table


def test_talk_practice_cc(cc):
    r = row(cc, "Aarhus", "2019")
    # talk: vocab and rung 0 -> a2 only (1/4); practice: rungs 1-4 -> a1, a4 (2/4)
    assert r.talk_share == pytest.approx(0.25) and r.practice_share == pytest.approx(0.5)
    assert r.talk_practice_ratio == pytest.approx(0.5)
    assert r.talk_practice_ratio_lo <= r.talk_practice_ratio <= r.talk_practice_ratio_hi


def test_pcc_by_hand(records):
    table = trend_table(records, estimator="pcc", bootstrap=50)
    r = row(table, "Aarhus", "2019")
    # mean of a1..a4 probabilities
    assert [r[f"share_rung_{k}"] for k in range(5)] == pytest.approx([1.3 / 4, 0.5 / 4, 1.3 / 4, 0.9 / 4, 0])
    assert r.mean_rung == pytest.approx(0.125 + 2 * 0.325 + 3 * 0.225)  # 1.45
    # P(A1 reaches 3) = 0.9, P(A2 reaches 3) = 0
    assert r.share_docs_ge3 == pytest.approx(0.45)
    # talk = mean(vocab * p0) = (0.1 + 0.8) / 4; practice = mean(1 - p0) = 2.7 / 4
    assert r.talk_share == pytest.approx(0.225) and r.practice_share == pytest.approx(0.675)
    assert r.talk_practice_ratio == pytest.approx(1 / 3)
    assert r.ci_method.startswith("percentile bootstrap over documents")
    assert r.share_rung_3_lo <= r.share_rung_3 <= r.share_rung_3_hi


def test_document_unit_by_hand(records):
    pcc = trend_table(records, estimator="pcc", unit="document", bootstrap=0)
    r = row(pcc, "Aarhus", "2019")
    # A1: max P(>=k) over a1, a2 = [1, .9, .9, .9, 0] -> [.1, 0, 0, .9, 0]; A2: [1, 1, 1, 0, 0] -> [0, 0, 1, 0, 0]
    assert [r[f"share_rung_{k}"] for k in range(5)] == pytest.approx([0.05, 0, 0.5, 0.45, 0])
    assert r.mean_rung == pytest.approx(2.35)
    assert r.n_segments == 4 and r.n_documents == 2
    cc = trend_table(records, estimator="cc", unit="document", bootstrap=0)
    r = row(cc, "Aarhus", "2019")
    # A1 reaches 3, A2 reaches 2 (a3 is uncertain, a4 is 2)
    assert [r[f"share_rung_{k}"] for k in range(5)] == pytest.approx([0, 0, 0.5, 0.5, 0])
    assert r.uncertain_share == 0
    assert r.actor_citizens == pytest.approx(0.5)  # A1 of A1, A2


def test_missing_doc_id_is_its_own_document(records):
    for r in records:
        r.pop("doc_id")
    table = trend_table(records, estimator="cc", bootstrap=0)
    assert row(table, "Aarhus", "2019").n_documents == 4


@pytest.mark.parametrize("year,term", [(2006, "2006-2009"), (2009, "2006-2009"), (2010, "2010-2013"), (2017, "2014-2017"),
                                       (2018, "2018-2021"), (2022, "2022-2025"), (2025, "2022-2025"), (2005, "2002-2005")])
def test_term_label(year, term):
    assert term_label(year) == term


def test_term_period(records):
    records.append(seg("x", "X", "Aarhus", 2013, [1, 0, 0, 0, 0]))
    table = trend_table(records, estimator="cc", period="term", bootstrap=0)
    # 2013 -> 2010-2013; 2019/2021 -> 2018-2021; 2014-2017 is empty
    assert list(table[table.municipality == "Aarhus"].period) == ["2010-2013", "2014-2017", "2018-2021"]
    assert row(table, "Aarhus", "2018-2021").n_documents == 3
    assert row(table, "Aarhus", "2014-2017").n_documents == 0


def test_quarter_period_and_year_from_date():
    recs = [seg("q1", "D1", "Køge", None, [0, 0, 0, 1, 0], date="2019-02-01"),
            seg("q2", "D2", "Køge", None, [1, 0, 0, 0, 0], date="2019-08-15"),
            seg("q3", "D3", "Køge", None, [1, 0, 0, 0, 0])]  # no date: left out
    table = trend_table(recs, estimator="cc", period="quarter", bootstrap=0)
    assert list(table.period) == ["2019Q1", "2019Q2", "2019Q3"]
    assert list(table.n_documents) == [1, 0, 1]
    assert table.attrs["n_dropped"] == 1 and any("left out" in w for w in table.attrs["warnings"])
    yearly = trend_table(recs, estimator="cc", period="year", bootstrap=0)
    assert list(yearly.period) == ["2019"] and yearly.iloc[0].n_documents == 2


def test_missing_vocab_leaves_talk_empty(records):
    for r in records:
        r.pop("vocab", None)
    table = trend_table(records, estimator="cc", bootstrap=0)
    assert table["talk_share"].isna().all() and table["talk_practice_ratio"].isna().all()
    assert any("vocab" in w for w in table.attrs["warnings"])


@pytest.mark.parametrize("estimator", ["acc", "pacc"])
def test_adjusted_estimators_recover_prevalence(estimator):
    truth = [0.5, 0.2, 0.1, 0.1, 0.1]
    recs = shifted_population(truth, 1000)[0]
    held = shifted_heldout(100)
    table = trend_table(recs, estimator=estimator, heldout=held, bootstrap=0)
    r = table.iloc[0]
    assert [r[f"share_rung_{k}"] for k in range(5)] == pytest.approx(truth, abs=1e-6)
    # the unadjusted count is off: rung 0 observed 0.7*0.5 + 0.3*0.1 = 0.38
    naive = trend_table(recs, estimator={"acc": "cc", "pacc": "pcc"}[estimator], heldout=held, bootstrap=0).iloc[0]
    assert naive.share_rung_0 == pytest.approx(0.38 if estimator == "acc" else 0.38 * 0.9 + 0.62 * 0.025, abs=1e-6)


def test_adjusted_intervals_cover_truth_and_use_heldout():
    truth = [0.5, 0.2, 0.1, 0.1, 0.1]
    table = trend_table(shifted_population(truth, 400)[0], estimator="acc", heldout=shifted_heldout(40), bootstrap=200)
    r = table.iloc[0]
    assert "held-out" in r.ci_method
    for k in range(5):
        assert r[f"share_rung_{k}_lo"] <= truth[k] <= r[f"share_rung_{k}_hi"]


def test_auto_prefers_adjusted_under_shift_and_records_why():
    table = trend_table(shifted_population([0.5, 0.2, 0.1, 0.1, 0.1], 200)[0], estimator="auto", heldout=shifted_heldout(40), bootstrap=0)
    assert table.attrs["estimator"] in ("acc", "pacc")
    assert set(table.attrs["estimator_errors"]) == {"cc", "pcc", "acc", "pacc"}
    assert "held-out" in table.attrs["estimator_reason"]
    assert (table["estimator"] == table.attrs["estimator"]).all()


def test_auto_without_heldout_falls_back(records):
    table = trend_table(records, estimator="auto", bootstrap=0)
    assert table.attrs["estimator"] == "pcc"
    assert any("held-out" in w for w in table.attrs["warnings"])
    forced = trend_table(records, estimator="acc", bootstrap=0)
    assert forced.attrs["estimator"] == "cc" and any("fell back" in w for w in forced.attrs["warnings"])
    doc = trend_table(records, estimator="pacc", unit="document", heldout=shifted_heldout(10), bootstrap=0)
    assert doc.attrs["estimator"] == "pcc"


def test_load_heldout_from_model_dir(model_dir, tmp_path):
    y, p = load_heldout(model_dir)
    assert y.shape == (100,) and p.shape == (100, 5)
    assert load_heldout(tmp_path / "nowhere") is None


def test_select_municipalities_keeps_national(records):
    table = trend_table(records, estimator="cc", bootstrap=0, municipalities=["Ærø"])
    assert set(table.municipality) == {"Ærø"}
    assert row(table, "Ærø", "2019").diff_national_share_ge3 == pytest.approx(-1 / 6)
    with pytest.raises(DataError, match="Gotham"):
        trend_table(records, municipalities=["Gotham"], bootstrap=0)


def test_grouping_by_two_fields(records):
    for r in records:
        r["doc_type"] = "referat" if r["id"] != "a4" else None
    table = trend_table(records, by="municipality,doc_type", estimator="cc", bootstrap=0)
    assert {"municipality", "doc_type"} <= set(table.columns)
    assert set(table.doc_type) == {"referat", "(unknown)"}


@pytest.mark.parametrize("kwargs", [{"estimator": "magic"}, {"period": "decade"}, {"unit": "word"}])
def test_bad_options(records, kwargs):
    with pytest.raises(UnknownNameError):
        trend_table(records, **kwargs)


def test_deterministic(records):
    a = trend_table(records, estimator="pcc", bootstrap=30, seed=3)
    b = trend_table(records, estimator="pcc", bootstrap=30, seed=3)
    assert a.equals(b)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Aarhus", "Ærø"]), st.integers(2018, 2020), st.integers(0, 3),
                          st.lists(st.floats(0, 1), min_size=5, max_size=5)), min_size=1, max_size=25),
       st.sampled_from(["cc", "pcc"]), st.sampled_from(["segment", "document"]))
def test_invariants(rows, estimator, unit):
    recs = [seg(str(i), f"{m}{d}", m, y, p) for i, (m, y, d, p) in enumerate(rows)]
    table = trend_table(recs, estimator=estimator, unit=unit, bootstrap=20)
    filled = table[table.n_documents > 0]
    shares = filled[[f"share_rung_{k}" for k in range(5)]].to_numpy()
    assert np.all((shares >= -1e-12) & (shares <= 1 + 1e-12))
    total = shares.sum(axis=1) + (filled.uncertain_share.to_numpy() if estimator == "cc" else 0)
    assert np.allclose(total, 1)
    assert np.all((filled.mean_rung >= 0) & (filled.mean_rung <= 4) | filled.mean_rung.isna())
    assert table.n_documents.sum() == len({(m, d, y) for m, y, d, _ in rows})
    assert table.n_segments.sum() == len(rows)
