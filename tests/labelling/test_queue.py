"""Active-learning queue: scores, municipality round-robin, exclusion of labelled ids, diversity."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import UnknownNameError
from pipeline.labelling.queue import build_queue, entropy, labelled_ids, margin_score


class FakeModel:
    """Rung probabilities chosen per id: makes the expected queue computable by hand."""

    def __init__(self, proba: dict[str, list[float]]) -> None:
        self.proba = proba

    def predict_records(self, records, *, evidence_k=3):  # noqa: ANN001, ARG002
        out = []
        for r in records:
            p = self.proba.get(r["id"], [1.0, 0, 0, 0, 0])
            out.append({"id": r["id"], "rung": int(np.argmax(p)), "rung_proba": p, "actors": []})
        return out


UNIFORM = [0.2] * 5


def test_entropy_and_margin():
    assert entropy(np.array([UNIFORM, [1.0, 0, 0, 0, 0]])) == pytest.approx([1.0, 0.0], abs=1e-6)
    assert margin_score(np.array([[0.5, 0.5, 0, 0, 0], [0.1, 0.6, 0.3, 0, 0]])) == pytest.approx([1.0, 0.7])


def test_round_robin_keeps_small_municipalities_in(segments):
    # every Aarhus segment is more uncertain than any other, so a plain top-6 would be all Aarhus
    proba = {s["id"]: (UNIFORM if s["municipality"] == "Aarhus" else [0.6, 0.4, 0, 0, 0]) for s in segments}
    proba["ko-1"] = [0.5, 0.3, 0.2, 0, 0]
    queue = build_queue([segments], FakeModel(proba), n=6, strategy="uncertainty")
    assert [q["municipality"] for q in queue] == ["Aarhus", "Kolding", "Ærø"] * 2
    # best first in each; ties (ær-0, ær-1) go to the smaller id
    assert [q["id"] for q in queue] == ["aa-0", "ko-1", "ær-0", "aa-1", "ko-0", "ær-1"]
    assert [q["rank"] for q in queue] == [1, 2, 3, 4, 5, 6]
    assert set(queue[0]) >= {"id", "text", "municipality", "score", "pred_rung", "pred_actors", "rung_proba", "strategy"}
    # when the small municipalities run out, the rest comes from the large one
    queue = build_queue([segments], FakeModel(proba), n=10, strategy="margin")
    assert sum(q["municipality"] == "Aarhus" for q in queue) == 6


def test_labelled_ids_are_skipped(segments, tmp_path):
    from pipeline.io import write_records

    path = tmp_path / "done.jsonl"
    write_records(path, [{"id": "aa-0", "text": "x", "rung": 3}])
    exclude = labelled_ids(files=[path])
    queue = build_queue([segments[:4], segments[4:]], FakeModel({}), n=50, exclude=exclude | {"ær-0"})
    ids = {q["id"] for q in queue}
    assert len(queue) == len(segments) - 2 and "aa-0" not in ids and "ær-0" not in ids


def test_store_labels_count_but_rule_labels_do_not(store_path):
    from pipeline.store import CorpusStore

    with CorpusStore(store_path) as store:
        store.write_labels([{"id": "aa-1", "rung": 0, "annotator": "rules"}, {"id": "aa-2", "rung": 2, "annotator": "anna"}],
                           codebook_hash="x")
        assert labelled_ids(store=store) == {"aa-2"}


def test_diverse_skips_near_duplicates(segments):
    # aa-0 and aa-1 are near-identical and the two most uncertain; only one should be queued
    proba = {s["id"]: [0.5, 0.5, 0, 0, 0] for s in segments}
    proba["aa-0"] = proba["aa-1"] = UNIFORM
    plain = build_queue([segments], FakeModel(proba), n=4, strategy="uncertainty")
    diverse = build_queue([segments], FakeModel(proba), n=4, strategy="diverse")
    aarhus_plain = [q["id"] for q in plain if q["municipality"] == "Aarhus"]
    aarhus_diverse = [q["id"] for q in diverse if q["municipality"] == "Aarhus"]
    assert aarhus_plain == ["aa-0", "aa-1"]
    assert aarhus_diverse[0] == "aa-0" and "aa-1" not in aarhus_diverse
    assert {q["municipality"] for q in diverse} == {"Aarhus", "Ærø", "Kolding"}


def test_queue_is_deterministic_and_checks_strategy(segments, tiny_model):
    a = build_queue([segments], tiny_model, n=5, strategy="diverse")
    b = build_queue([segments], tiny_model, n=5, strategy="diverse")
    assert [q["id"] for q in a] == [q["id"] for q in b]
    with pytest.raises(UnknownNameError, match="uncertainty, margin, diverse"):
        build_queue([segments], tiny_model, n=5, strategy="random")


def test_queue_counts_what_it_leaves_out(segments):
    noise = [{"id": "toc-1", "text": "Indholdsfortegnelse 1. Godkendelse af dagsorden", "municipality": "Aarhus", "section_kind": "toc"},
             {"id": "blank", "text": "  ", "municipality": "Ærø"}]
    counts: dict[str, int] = {}
    queue = build_queue([segments, noise], FakeModel({}), n=200, exclude={"aa-0", "ko-0"}, counts=counts)
    assert counts == {"segments": len(segments) + 2, "labelled": 2, "noise": 1, "empty": 1}
    assert len(queue) == len(segments) - 2 and "toc-1" not in {q["id"] for q in queue}


def test_queue_result_says_why_it_is_short():
    from pipeline.labelling.queue import QueueResult

    full = QueueResult([{"id": "a"}] * 3, 3, {"segments": 9, "labelled": 6})
    assert full.shortfall is None
    short = QueueResult([{"id": "a"}] * 13, 200, {"segments": 40, "labelled": 20, "noise": 7, "empty": 0})
    assert short.shortfall.startswith("only 13 of the 200 asked for: the input has 40 segments, of which 20 already labelled, "
                                      "7 noise sections (not classified);")
    assert "without text" not in short.shortfall
