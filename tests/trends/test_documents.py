"""The document-level share is corrected with the row's estimator (issue 19)."""

from __future__ import annotations

import pytest

from pipeline.trends import trend_table

from trend_helpers import seg, shifted_heldout, shifted_population


@pytest.mark.parametrize("estimator", ["cc", "pcc", "acc", "pacc"])
def test_one_segment_documents_make_the_two_shares_equal(estimator):
    truth = [0.5, 0.2, 0.1, 0.1, 0.1]
    r = trend_table(shifted_population(truth)[0], estimator=estimator, heldout=shifted_heldout(40), bootstrap=100).iloc[0]
    assert r.share_docs_ge3 == pytest.approx(r.share_ge3, abs=1e-9)
    assert (r.share_docs_ge3_lo, r.share_docs_ge3_hi) == pytest.approx((r.share_ge3_lo, r.share_ge3_hi), abs=1e-9)
    if estimator in ("acc", "pacc"):
        assert r.share_docs_ge3 == pytest.approx(0.2, abs=1e-6)  # corrected: the truth, not the raw count
        assert r.share_docs_ge3_lo <= 0.2 <= r.share_docs_ge3_hi


def test_ppi_corrects_the_document_share_too():
    truth = [0.5, 0.2, 0.1, 0.1, 0.1]
    recs = shifted_population(truth)[0]
    labels = {r["id"]: int(r["id"][1]) for r in recs[::4]}
    r = trend_table(recs, estimator="ppi", calibration=labels, bootstrap=100).iloc[0]
    assert r.share_docs_ge3 == pytest.approx(r.share_ge3, abs=1e-9)


def test_longer_documents_stay_in_range():
    recs = [seg(f"s{i}", f"d{i // 3}", "Odense", 2020, [0.7, 0.1, 0.1, 0.05, 0.05] if i % 3 else [0.05, 0.05, 0.1, 0.1, 0.7])
            for i in range(60)]
    r = trend_table(recs, estimator="pacc", heldout=shifted_heldout(40), bootstrap=50).iloc[0]
    assert 0 <= r.share_docs_ge3_lo <= r.share_docs_ge3 <= r.share_docs_ge3_hi <= 1
    # every document has one segment whose top rung is 4: more documents than segments reach 3+
    assert r.share_docs_ge3 > r.share_ge3


def test_cc_and_pcc_intervals_say_they_cover_the_counts(records):
    for estimator in ("cc", "pcc"):
        r = trend_table(records, estimator=estimator, bootstrap=20).iloc[0]
        assert "not the true share" in r.ci_method
    adjusted = trend_table(records, estimator="acc", heldout=shifted_heldout(40), bootstrap=20).iloc[0]
    assert "optimistic" in adjusted.ci_method


def test_chart_caption_says_what_the_bands_cover(records):
    from pipeline.plots import band_caption

    assert "ikke for den sande andel" in band_caption(trend_table(records, estimator="cc", bootstrap=0))
    assert "optimistisk" in band_caption(trend_table(records, estimator="acc", heldout=shifted_heldout(40), bootstrap=0))
    labels = {r["id"]: 0 for r in records}
    assert "stikprøve på 7" in band_caption(trend_table(records, estimator="ppi", calibration=labels, bootstrap=0))
