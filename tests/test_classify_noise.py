"""Contract 2: noise segments are not classified; they get the null record, and consumers leave them out."""

import json

import pytest

from pipeline.classify import NOISE_SECTION_KINDS, classify
from pipeline.documents import aggregate_documents
from pipeline.io import read_records

TEXT = "Frivillige fra Røde Kors driver lektiecaféen sammen med skolens lærere to gange om ugen."
TOC = "Indholdsfortegnelse. Punkt 1 Godkendelse af dagsorden. Punkt 2 Lektiecafé. Punkt 3 Lokalplan for bymidten."


def _segments(tmp_path, kinds):
    rows = []
    for n, kind in enumerate(kinds):
        row = {"id": f"s{n}", "doc_id": f"d{n // 3}", "text": TOC if kind in NOISE_SECTION_KINDS else TEXT, "municipality": "Aarhus"}
        if kind is not None:
            row["section_kind"] = kind
        rows.append(row)
    path = tmp_path / "segments.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_noise_kinds_are_the_contract_set():
    assert NOISE_SECTION_KINDS == frozenset({"toc", "navigation", "attendance", "appendix_list", "case_history"})


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_noise_segments_get_the_null_record(tmp_path, tiny_model_dir, suffix):
    # noise first, so the first batch of a typed format holds only nulls
    kinds = ["toc", "attendance", "navigation", "content", None, "decision", "appendix_list", "case_history", "proposal"]
    out = tmp_path / f"p{suffix}"
    result = classify(_segments(tmp_path, kinds), out, model_dir=tiny_model_dir, batch_size=3)
    rows = read_records(out)
    assert [r["id"] for r in rows] == [f"s{n}" for n in range(len(kinds))]
    assert result.n_noise == 5
    for kind, row in zip(kinds, rows):
        if kind in NOISE_SECTION_KINDS:
            assert row["rung"] is None and row["rung_label"] is None and row["rung_proba"] is None
            assert row["actors"] == [] and row["evidence"] == [] and row["actor_proba"] is None
            assert row["skipped"] == "noise" and row["section_kind"] == kind and row["municipality"] == "Aarhus"
        else:
            assert isinstance(row["rung"], int) and len(row["rung_proba"]) == 5 and not row.get("skipped")
            assert row.get("section_kind") == kind
        assert row["lang"] in ("da", "und")


def test_document_level_leaves_noise_out(tmp_path, tiny_model_dir):
    out = tmp_path / "docs.jsonl"
    classify(_segments(tmp_path, ["toc", "content", "attendance", "toc", "navigation", "case_history"]), out,
             model_dir=tiny_model_dir, level="document")
    docs = read_records(out)
    assert [d["id"] for d in docs] == ["d0", "d1"]
    assert docs[0]["n_segments"] == 1 and sum(docs[0]["segment_rung_counts"]) == 1 and isinstance(docs[0]["rung"], int)
    assert "section_kind" not in docs[0]  # a segment's kind says nothing about its document
    # d1 is all noise: the null record, so every document still has one
    assert docs[1]["rung"] is None and docs[1]["skipped"] == "noise" and docs[1]["n_segments"] == 0


@pytest.mark.parametrize("level", ["segment", "document"])
def test_parquet_rung_stays_integer_beside_noise(tmp_path, tiny_model_dir, level):
    """pandas reads the rung of a Parquet output as nullable Int64 (noise: <NA>), not as floats."""
    pd = pytest.importorskip("pandas")
    out = tmp_path / f"{level}.parquet"
    classify(_segments(tmp_path, ["toc", "content", "attendance", "toc", "navigation", "case_history"]), out,
             model_dir=tiny_model_dir, level=level, batch_size=2)
    df = pd.read_parquet(out)
    assert str(df["rung"].dtype) == "Int64" and df["rung"].isna().any()
    assert all(isinstance(v, int) for v in df["rung"].dropna().tolist())
    assert [r["rung"] is None for r in read_records(out)] == df["rung"].isna().tolist()


def test_aggregate_accepts_null_rungs():
    preds = [{"id": "a", "doc_id": "d", "rung": None, "rung_proba": None, "actors": [], "evidence": [], "skipped": "noise"},
             {"id": "b", "doc_id": "d", "rung": 2, "rung_proba": [0.1, 0.1, 0.6, 0.1, 0.1], "actors": ["citizens"], "evidence": [], "lang": "da"}]
    [doc] = aggregate_documents(preds)
    assert doc["rung"] == 2 and doc["n_segments"] == 1 and doc["lang"] == "da"
