"""The ingest API: discovery, per-file results, reruns, manifests, workers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.errors import EmptyDocumentError
from pipeline.ingest import IngestResult, discover, documents_from_paths, ingest
from pipeline.store import CorpusStore


def _by_name(results: list[IngestResult]) -> dict[str, IngestResult]:
    return {Path(r.path).name: r for r in results}


def test_discover_walks_folders_and_globs(mixed_folder: Path, tmp_path: Path):
    (mixed_folder / ".hidden.txt").write_text("x", encoding="utf-8")
    found = discover([str(mixed_folder)])
    names = sorted(p.name for p in found)
    assert names == ["evaluering.docx", "notat.txt", "nyhed.html", "referat.pdf", "tom.txt", "ødelagt.pdf"]
    assert sorted(p.name for p in discover([str(mixed_folder / "**" / "*.txt")])) == ["notat.txt", "tom.txt"]
    assert discover([str(tmp_path / "findes_ikke.pdf")]) == [tmp_path / "findes_ikke.pdf"]
    assert len(discover([str(mixed_folder), str(mixed_folder / "referat.pdf")])) == 6  # no duplicates


def test_ingest_mixed_folder(mixed_folder: Path, tmp_path: Path):
    with CorpusStore(tmp_path / "c.duckdb") as store:
        results = _by_name(list(ingest([str(mixed_folder)], store=store)))
        assert {n: r.status for n, r in results.items()} == {
            "referat.pdf": "added", "nyhed.html": "added", "notat.txt": "added", "evaluering.docx": "added",
            "ødelagt.pdf": "failed", "tom.txt": "failed"}
        assert "cannot be read as PDF" in results["ødelagt.pdf"].error and "empty" in results["tom.txt"].error
        assert results["referat.pdf"].segments >= 6
        n_docs, n_segs = store.count_documents(), store.count_segments()
        again = list(ingest([str(mixed_folder)], store=store))
        assert {r.status for r in again} == {"skipped", "failed"}
        assert (store.count_documents(), store.count_segments()) == (n_docs, n_segs)
        # the same bytes under another name: skipped by content hash
        shutil.copy(mixed_folder / "nyhed.html", tmp_path / "kopi.html")
        assert [r.status for r in ingest([str(tmp_path / "kopi.html")], store=store)] == ["skipped"]


def test_ingest_with_workers_matches_serial(mixed_folder: Path, tmp_path: Path):
    with CorpusStore(tmp_path / "serial.duckdb") as serial, CorpusStore(tmp_path / "par.duckdb") as parallel:
        list(ingest([str(mixed_folder)], store=serial, workers=1))
        results = list(ingest([str(mixed_folder)], store=parallel, workers=2))
        assert sorted(r.status for r in results).count("failed") == 2
        get = "SELECT id, text FROM segments ORDER BY id"
        assert serial.con.execute(get).fetchall() == parallel.con.execute(get).fetchall()


def test_manifest_metadata_and_errors(tmp_path: Path, cp1252_txt: Path, bom_txt: Path):
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,municipality,date,doc_type,title,url,committee\n"
                        f"{cp1252_txt.name},Høje Taastrup,2019-03-12,projektbeskrivelse,Fælles om Søndervang,https://example.dk,\n"
                        f"{bom_txt.name},Atlantis,,,,,\n", encoding="utf-8")
    with CorpusStore(tmp_path / "c.duckdb") as store:
        results = _by_name(list(ingest([str(tmp_path)], store=store, manifest=manifest)))
        assert "manifest.csv" not in results
        assert results[cp1252_txt.name].status == "added"
        assert results[bom_txt.name].status == "failed" and "Atlantis" in results[bom_txt.name].error
        [doc] = [d for b in store.iter_documents() for d in b]
        assert doc["municipality"] == "Høje-Taastrup" and doc["date"] == "2019-03-12" and doc["year"] == 2019
        assert doc["url"] == "https://example.dk" and "municipality" not in doc["inferred"] and "date" not in doc["inferred"]


def test_table_rows_and_text_column(tmp_path: Path):
    path = tmp_path / "rækker.jsonl"
    path.write_text('{"id": "a", "body": "Frivillige driver caféen sammen med kommunen i Odense.", "municipality": "Odense"}\n'
                    '{"id": "b", "body": "Borgerne inddrages i planen for den nye park i Kolding.", "date": "2021-05-01"}\n', encoding="utf-8")
    with CorpusStore(tmp_path / "c.duckdb") as store:
        [result] = ingest([str(path)], store=store, text_column="body")
        assert (result.status, result.documents) == ("added", 2)
        rows = store.con.execute("SELECT id, municipality, year, inferred FROM documents ORDER BY id").fetchall()
        assert rows[0][:3] == ("a", "Odense", None) and rows[1][:3] == ("b", "Kolding", 2021)
        assert "municipality" in rows[1][3]
        [again] = ingest([str(path)], store=store, text_column="body")
        assert again.status == "skipped"


def test_non_danish_kept_and_flagged(tmp_path: Path, english_txt: Path):
    with CorpusStore(tmp_path / "c.duckdb") as store:
        [result] = ingest([str(english_txt)], store=store)
        assert result.status == "added" and "non_danish" in result.warnings[0]
        assert "non_danish" in store.con.execute("SELECT flags FROM documents").fetchone()[0]


def test_interrupted_run_continues(mixed_folder: Path, tmp_path: Path):
    with CorpusStore(tmp_path / "c.duckdb") as store:
        run = ingest([str(mixed_folder)], store=store)
        first = next(run)
        run.close()  # the consumer stops (Ctrl-C) after the first file
        assert store.count_documents() == (1 if first.status == "added" else 0)
        rest = list(ingest([str(mixed_folder)], store=store))
        assert sum(r.status == "added" for r in rest) + (first.status == "added") == 4
        assert store.count_documents() == 4


def test_documents_from_paths(mixed_folder: Path):
    with pytest.raises(EmptyDocumentError):
        list(documents_from_paths([str(mixed_folder)]))
    docs = list(documents_from_paths([str(mixed_folder)], on_error="skip"))
    assert len(docs) == 4 and all(d["id"] and d["content_hash"] for d in docs)


def test_without_store_counts(mixed_folder: Path):
    results = list(ingest([str(mixed_folder / "referat.pdf")], store=None))
    assert results[0].status == "added" and results[0].documents == 1


def test_unreadable_file_fails_with_a_clear_line(tmp_path: Path, cp1252_txt: Path, monkeypatch):
    import os

    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == cp1252_txt else real_access(p, mode))
    [result] = ingest([str(cp1252_txt)], store=None)
    assert result.status == "failed" and "permission denied" in result.error and str(cp1252_txt) in result.error


def test_killed_run_leaves_store_consistent(tmp_path: Path):
    """SIGKILL a real ingest process mid-run: the store opens, has no orphans, and a rerun completes it."""
    import signal
    import subprocess
    import sys
    import time

    from .conftest import REFERAT_PAGES, _pdf

    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(12):
        _pdf(folder / f"referat_{n:02d}.pdf", REFERAT_PAGES * 4 + [[f"Bilag {n}: kommissorium for udvalg nummer {n}."]])
    db = tmp_path / "c.duckdb"
    code = ("import sys; from pipeline.ingest import ingest; from pipeline.store import CorpusStore\n"
            f"with CorpusStore({str(db)!r}) as s:\n"
            f"    [print(r.status, flush=True) for r in ingest([{str(folder)!r}], store=s)]\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
    assert proc.stdout.readline().strip() == "added"  # at least one document is committed
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with CorpusStore(db) as store:
        orphans = store.con.execute("SELECT count(*) FROM segments s LEFT JOIN documents d ON d.id = s.doc_id WHERE d.id IS NULL").fetchone()[0]
        empty = store.con.execute("SELECT count(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM segments s WHERE s.doc_id = d.id)").fetchone()[0]
        assert (orphans, empty) == (0, 0)
        before = store.count_documents()
        assert 1 <= before <= 12
        results = list(ingest([str(folder)], store=store))
        assert sum(r.status == "added" for r in results) == 12 - before
        assert store.count_documents() == 12
