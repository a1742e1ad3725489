"""The corpus store: idempotent writes, consistent after failures, labels, runs, exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import StoreError
from pipeline.io import read_records
from pipeline.store import CorpusStore


def _doc(n: int, municipality: str = "Aarhus", year: int = 2019) -> tuple[dict, list[dict]]:
    doc = {"id": f"doc{n}", "text": f"Første afsnit {n} om æøå.\n\nAndet afsnit {n}.", "content_hash": f"hash{n}",
           "municipality": municipality, "date": f"{year}-03-12", "year": year, "doc_type": "referat",
           "inferred": ["municipality"], "flags": []}
    segments = [
        {"id": f"doc{n}#0", "doc_id": f"doc{n}", "position": 0, "section": "Sagsfremstilling", "item": "1. Punkt",
         "start": 0, "end": 23, "text": doc["text"][0:23], "municipality": municipality, "date": doc["date"], "year": year, "doc_type": "referat"},
        {"id": f"doc{n}#1", "doc_id": f"doc{n}", "position": 1, "section": None, "item": None,
         "start": 25, "end": len(doc["text"]), "text": doc["text"][25:], "municipality": municipality, "date": doc["date"], "year": year, "doc_type": "referat"},
    ]
    return doc, segments


@pytest.fixture
def store(tmp_path: Path):
    with CorpusStore(tmp_path / "corpus.duckdb") as s:
        yield s


def test_add_is_idempotent(store: CorpusStore):
    assert store.add_document(*_doc(1)) is True
    assert store.add_document(*_doc(1)) is False
    assert store.has_hash("hash1") and not store.has_hash("nope")
    assert store.count_segments() == 2


def test_consistent_after_exception_mid_document(store: CorpusStore, monkeypatch):
    store.add_document(*_doc(1))

    def boom(segments):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_insert_segments", boom)
    with pytest.raises(RuntimeError):
        store.add_document(*_doc(2))
    monkeypatch.undo()
    assert not store.has_hash("hash2")  # the document row was rolled back with its segments
    assert store.con.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
    assert store.add_document(*_doc(2)) is True  # a rerun continues
    assert store.count_segments() == 4


def test_reopen_keeps_data(tmp_path: Path):
    with CorpusStore(tmp_path / "c.duckdb") as s:
        s.add_document(*_doc(1))
    with CorpusStore(tmp_path / "c.duckdb") as s:
        assert s.has_hash("hash1") and s.count_segments() == 2


def test_id_clash_is_a_store_error(store: CorpusStore):
    store.add_document(*_doc(1))
    doc, segments = _doc(1)
    doc["content_hash"] = "other"
    with pytest.raises(StoreError, match="doc1"):
        store.add_document(doc, segments)


def test_iter_segments_ordered_batched_filtered(store: CorpusStore):
    for n in (3, 1, 2):
        store.add_document(*_doc(n, municipality="Odense" if n == 2 else "Aarhus"))
    batches = list(store.iter_segments(batch_size=4))
    assert [len(b) for b in batches] == [4, 2]
    ids = [s["id"] for b in batches for s in b]
    assert ids == ["doc1#0", "doc1#1", "doc2#0", "doc2#1", "doc3#0", "doc3#1"]
    odense = [s for b in store.iter_segments(where="municipality = ?", params=["Odense"]) for s in b]
    assert {s["doc_id"] for s in odense} == {"doc2"}
    assert store.count_segments("municipality = 'Aarhus'") == 4
    docs = [d for b in store.iter_documents() for d in b]
    assert [d["id"] for d in docs] == ["doc1", "doc2", "doc3"] and docs[0]["inferred"] == ["municipality"]


def test_labels_upsert(store: CorpusStore):
    store.write_labels([{"segment_id": "doc1#0", "rung": 2, "actors": ["citizens"], "annotator": "a"},
                        {"id": "doc1#1", "rung": 0, "annotator": "a"}], codebook_hash="cb1")
    store.write_labels([{"segment_id": "doc1#0", "rung": 3, "actors": ["citizens", "civil_society"], "annotator": "a"},
                        {"segment_id": "doc1#0", "rung": 1, "annotator": "b", "source": "rules"}], codebook_hash="cb2")
    labels = store.read_labels()
    assert len(labels) == 3
    first = next(x for x in labels if x["segment_id"] == "doc1#0" and x["annotator"] == "a")
    assert first["rung"] == 3 and first["actors"] == ["citizens", "civil_society"] and first["codebook_hash"] == "cb2"
    with pytest.raises(StoreError):
        store.write_labels([{"text": "no id"}], codebook_hash="x")


def test_runs_and_predictions(store: CorpusStore):
    store.add_document(*_doc(1))
    with pytest.raises(StoreError, match="classify"):
        store.read_predictions()
    run = store.start_run("classify", {"model": "tfidf"})
    preds = [{"id": "doc1#0", "rung": 2, "rung_label": "co_production_others", "rung_proba": [0.1, 0.1, 0.6, 0.1, 0.1],
              "actors": ["civil_society"], "evidence": [{"sentence": "Første afsnit", "score": 1.0}], "model": "tfidf-1"}]
    store.write_predictions(run, preds)
    store.write_predictions(run, preds)  # upsert, no duplicates
    store.finish_run(run)
    [pred] = store.read_predictions()
    assert pred["rung"] == 2 and pred["rung_proba"][2] == 0.6 and pred["evidence"][0]["sentence"] == "Første afsnit"
    assert pred["municipality"] == "Aarhus" and pred["year"] == 2019 and pred["doc_id"] == "doc1" and "æøå" in pred["text"]
    second = store.start_run("classify", {})
    store.write_predictions(second, [{**preds[0], "rung": 4}])
    assert store.read_predictions()[0]["rung"] == 2  # the unfinished run is not "latest"
    store.finish_run(second)
    assert store.read_predictions()[0]["rung"] == 4 and store.read_predictions(run)[0]["rung"] == 2


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_export(store: CorpusStore, tmp_path: Path, suffix: str):
    store.add_document(*_doc(1))
    store.add_document(*_doc(2, municipality="Odense", year=2020))
    out = tmp_path / f"segments{suffix}"
    assert store.export("segments", out) == 4
    records = read_records(out)
    assert [r["id"] for r in records] == ["doc1#0", "doc1#1", "doc2#0", "doc2#1"]
    assert "æøå" in records[0]["text"] and records[0]["section"] == "Sagsfremstilling"
    docs_out = tmp_path / f"documents{suffix}"
    assert store.export("documents", docs_out) == 2
    docs = read_records(docs_out)
    assert docs[0]["inferred"] == ["municipality"] and "æøå" in docs[0]["text"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_stats(store: CorpusStore):
    store.add_document(*_doc(1))
    store.add_document(*_doc(2))
    store.add_document(*_doc(3, municipality="Odense", year=2020))
    doc, _ = _doc(4, municipality=None, year=None)
    store.add_document({**doc, "year": None}, [])
    assert store.stats() == [
        {"municipality": "Aarhus", "year": 2019, "documents": 2, "segments": 4},
        {"municipality": "Odense", "year": 2020, "documents": 1, "segments": 2},
        {"municipality": None, "year": None, "documents": 1, "segments": 0},
    ]


def test_sql_through_con(store: CorpusStore):
    store.add_document(*_doc(1))
    assert store.con.execute('SELECT "end" - start FROM segments WHERE position = 0').fetchone()[0] == 23


def test_read_only_missing_file(tmp_path: Path):
    with pytest.raises(StoreError, match="samskab ingest"):
        CorpusStore(tmp_path / "nope.duckdb", read_only=True)


def test_json_columns_are_json(store: CorpusStore):
    store.write_labels([{"segment_id": "s", "rung": 1, "actors": ["æ"], "annotator": "x"}], codebook_hash="h")
    assert json.loads(store.con.execute("SELECT actors FROM labels").fetchone()[0]) == ["æ"]
