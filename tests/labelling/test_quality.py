"""Agreement numbers on small examples computed by hand, and cleanlab's suspects."""

from __future__ import annotations

import pytest

from pipeline.errors import DataError
from pipeline.labelling.quality import agreement, cohen_kappa, krippendorff_alpha, label_errors


def _labels(rungs: list[int], actors: list[list[str]] | None = None) -> list[dict]:
    actors = actors or [[] for _ in rungs]
    return [{"id": f"s{i}", "text": "x", "rung": r, "actors": a} for i, (r, a) in enumerate(zip(rungs, actors, strict=True))]


def test_cohen_kappa_by_hand():
    # 50 items: both say rung 3 in 20, A=3/B=0 in 5, A=0/B=3 in 10, both 0 in 15.
    # p_o = 35/50 = 0.7; p_e = (25/50)(30/50) + (25/50)(20/50) = 0.5; kappa = (0.7-0.5)/(1-0.5) = 0.4
    a = [3] * 25 + [0] * 25
    b = [3] * 20 + [0] * 5 + [3] * 10 + [0] * 15
    assert cohen_kappa(a, b, k=5) == pytest.approx(0.4)
    assert cohen_kappa(a, a, k=5) == pytest.approx(1.0)
    assert cohen_kappa([2, 2], [2, 2], k=5) is None  # undefined: one code throughout
    assert cohen_kappa([], [], k=5) is None


def test_quadratic_kappa_by_hand_and_against_sklearn():
    from sklearn.metrics import cohen_kappa_score

    # A = [0, 4], B = [4, 0]: observed weighted disagreement = 2 x 0.5 x 1 = 1,
    # expected = sum over cells of 0.25 x w = 0.25 x (1 + 1) = 0.5 -> kappa = 1 - 1/0.5 = -1
    assert cohen_kappa([0, 4], [4, 0], k=5, weights="quadratic") == pytest.approx(-1.0)
    a, b = [0, 1, 2, 3, 4, 4, 3, 0, 1, 2], [0, 2, 2, 3, 3, 4, 1, 0, 1, 4]
    for weights in (None, "linear", "quadratic"):
        assert cohen_kappa(a, b, k=5, weights=weights) == pytest.approx(cohen_kappa_score(a, b, weights=weights))
    # near misses cost less under quadratic weights
    assert cohen_kappa(a, b, k=5, weights="quadratic") > cohen_kappa(a, b, k=5)


def test_krippendorff_alpha_by_hand():
    # A = [0,0,1,1], B = [0,1,1,1]: coincidences o00=2, o01=o10=1, o11=4, n=8, n0=3, n1=5.
    # D_o = 2/8; D_e = 2*3*5/(8*7) = 30/56; alpha = 1 - (2/8)/(30/56) = 8/15 (ordinal = nominal with two values)
    ratings = [[0, 0, 1, 1], [0, 1, 1, 1]]
    assert krippendorff_alpha(ratings, level="nominal") == pytest.approx(8 / 15)
    assert krippendorff_alpha(ratings, level="ordinal") == pytest.approx(8 / 15)
    assert krippendorff_alpha([[1, float("nan")], [float("nan"), 2]]) is None  # nothing pairable


def test_agreement_report_two_annotators():
    a = _labels([0, 0, 1, 1, 3], [["citizens"], [], ["citizens"], ["citizens", "politicians"], []])
    b = _labels([0, 1, 1, 1], [["citizens"], ["citizens"], ["citizens"], ["citizens"]])
    report = agreement([a, b], names=["anna", "bo"])
    assert report["n_labels"] == {"anna": 5, "bo": 4} and report["n_overlap_all"] == 4
    (pair,) = report["pairs"]
    assert pair["n_overlap"] == 4 and pair["rung"]["percent_agreement"] == pytest.approx(0.75)
    assert pair["rung"]["confusion"][0][:2] == [1, 1] and pair["rung"]["confusion"][1][:2] == [0, 2]
    # 2x2 kappa: p_o = 3/4; A: 0,0,1,1 B: 0,1,1,1 -> p_e = (2/4)(1/4) + (2/4)(3/4) = 1/2 -> kappa 0.5
    assert pair["rung"]["kappa"] == pytest.approx(0.5)
    assert report["rung_alpha_ordinal"] == pytest.approx(8 / 15)  # s4 is labelled once: not pairable
    citizens = pair["actors"]["citizens"]
    assert citizens["percent_agreement"] == pytest.approx(0.75) and citizens["kappa"] == pytest.approx(0.0)
    assert pair["actors"]["politicians"]["percent_agreement"] == pytest.approx(0.75)
    assert pair["actors"]["businesses"]["kappa"] is None  # nobody used it
    assert pair["disagreements"] == [{"id": "s1", "rung_a": 0, "rung_b": 1}]


def test_agreement_three_annotators_and_no_overlap():
    a, b, c = _labels([0, 1, 2, 3]), _labels([0, 1, 2, 4]), _labels([0, 1, 3, 4])
    report = agreement([a, b, c])
    assert [(p["a"], p["b"]) for p in report["pairs"]] == [("annotator_1", "annotator_2"), ("annotator_1", "annotator_3"),
                                                          ("annotator_2", "annotator_3")]
    assert 0 < report["rung_alpha_ordinal"] < 1
    with pytest.raises(DataError, match="at least two"):
        agreement([a])
    other = [{**r, "id": "x" + r["id"]} for r in b]
    with pytest.raises(DataError, match="share no segment ids"):
        agreement([a, other])


def test_label_errors_finds_flipped_labels(gold):
    # every text three times (three annotation rounds); one copy of two texts gets a wrong rung
    noisy = [dict(r) for r in gold] + [{**r, "id": r["id"] + copy} for copy in "bc" for r in gold]
    noisy[0]["rung"] = 4   # "Byrådet godkendte budgettet ..." is plainly rung 0
    noisy[18]["rung"] = 0  # "Borgerne inviteres til dialogmøde ..." is plainly rung 3
    rows = label_errors(noisy, folds=5)
    flagged = [r["id"] for r in rows]
    assert set(flagged[:2]) == {"g00", "g18"}  # the two wrong labels are the most suspicious
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["given_proba"] for r in rows] == sorted(r["given_proba"] for r in rows)  # self-confidence order
    row = rows[flagged.index("g00")]
    assert row["given_rung"] == 4 and row["suggested_rung"] != 4 and row["text"].startswith("Byrådet")
    with pytest.raises(DataError, match="at least two rungs"):
        label_errors([{**r, "rung": 2} for r in gold])


def test_agreement_needs_ids_and_labels_not_texts(tmp_path):
    from pipeline.labelling.quality import agreement_report

    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text('{"id": "s1", "rung": 3, "actors": ["citizens"]}\n{"id": "s2", "rung": 0, "actors": []}\n', encoding="utf-8")
    b.write_text('{"id": "s1", "rung": 3, "actors": ["citizens"]}\n{"id": "s2", "rung": 1, "actors": []}\n', encoding="utf-8")
    pair = agreement_report([a, b])["pairs"][0]
    assert pair["n_overlap"] == 2 and pair["rung"]["percent_agreement"] == 0.5
    assert pair["disagreements"] == [{"id": "s2", "rung_a": 0, "rung_b": 1}]
