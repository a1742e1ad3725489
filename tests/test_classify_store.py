"""classify --to-store: the library stores the run (no re-read in the CLI), keeps vocab and lang,
keeps noise unclassified, and refuses document-level storing."""

import pytest
from typer.testing import CliRunner

from pipeline.classify import classify
from pipeline.cli import app
from pipeline.errors import DataError
from pipeline.io import read_records
from pipeline.store import CorpusStore

TEXTS = [
    "Byrådet vil samskabe med borgerne og sætte dialog og medinddragelse i centrum for al udvikling i kommunen.",
    "Frivillige fra Røde Kors driver lektiecaféen sammen med skolens lærere to gange om ugen.",
    "The city council approved the budget for the coming year and asked for a report on the new school.",
    "Budgettet for 2021 godkendes, og anlægsrammen på 12 mio. kr. til vejene frigives.",
]


@pytest.fixture()
def corpus(tmp_path):
    db = tmp_path / "corpus.duckdb"
    with CorpusStore(db) as store:
        for d in range(2):
            segs = [{"id": f"d{d}#{i}", "doc_id": f"d{d}", "position": i, "text": t, "municipality": "Aarhus", "year": 2020}
                    for i, t in enumerate(TEXTS)]
            store.add_document({"id": f"d{d}", "content_hash": f"h{d}", "text": "\n\n".join(TEXTS), "municipality": "Aarhus",
                                "year": 2020}, segs)
    return db


def test_to_store_writes_a_finished_run_with_vocab_and_lang(tmp_path, corpus, tiny_model_dir):
    result = classify(None, tmp_path / "p.jsonl", db=corpus, model_dir=tiny_model_dir, to_store=True)
    assert result.run_id and result.n_stored == 8
    with CorpusStore(corpus, read_only=True) as store:
        assert store.latest_run("classify") == result.run_id
        stored = {p["segment_id"]: p for p in store.read_predictions(result.run_id)}
    out = {r["id"]: r for r in read_records(tmp_path / "p.jsonl")}
    assert set(stored) == set(out)
    for sid, p in stored.items():
        assert p["rung"] == out[sid]["rung"] and p["vocab"] is out[sid]["vocab"] and p["lang"] == out[sid]["lang"]
    assert stored["d0#0"]["vocab"] is True and stored["d0#3"]["vocab"] is False  # talk vs practice needs both
    assert stored["d0#2"]["lang"] == "en"


def test_store_keeps_noise_unclassified(corpus):
    with CorpusStore(corpus) as store:
        run = store.start_run("classify", {})
        n = store.write_predictions(run, [{"id": "d0#0", "rung": None, "skipped": "noise"},
                                          {"id": "d0#1", "rung": 2, "rung_label": "x", "rung_proba": [0, 0, 1, 0, 0], "vocab": True}])
        store.finish_run(run)
        noise, content = store.read_predictions(run)
        assert n == 2 and noise["rung"] is None and noise["skipped"] == "noise" and content["rung"] == 2


def test_document_level_to_store_is_refused_before_any_work(tmp_path, corpus, tiny_model_dir):
    with pytest.raises(DataError, match="--level segment --to-store"):
        classify(None, tmp_path / "d.jsonl", db=corpus, model_dir=tiny_model_dir, level="document", to_store=True)
    assert not (tmp_path / "d.jsonl").exists()
    with pytest.raises(DataError, match="--db"):
        classify(tmp_path / "x.jsonl", tmp_path / "d.jsonl", model_dir=tiny_model_dir, to_store=True)
    res = CliRunner().invoke(app, ["classify", "--db", str(corpus), "--out", str(tmp_path / "d.jsonl"), "--model", str(tiny_model_dir),
                                   "--level", "document", "--to-store"])
    assert res.exit_code == 1 and "--level segment --to-store" in res.output
    with CorpusStore(corpus, read_only=True) as store:
        assert store.runs() == []


def test_cli_to_store(tmp_path, corpus, tiny_model_dir):
    res = CliRunner().invoke(app, ["classify", "--db", str(corpus), "--out", str(tmp_path / "p.parquet"), "--model", str(tiny_model_dir),
                                   "--to-store"])
    assert res.exit_code == 0, res.output
    assert "stored 8 segment predictions as run classify-" in res.output


def test_old_store_without_the_new_columns_still_reads(tmp_path, corpus):
    import duckdb

    con = duckdb.connect(str(corpus))
    con.execute("ALTER TABLE predictions DROP COLUMN vocab")
    con.execute("ALTER TABLE predictions DROP COLUMN lang")
    con.execute("INSERT INTO runs VALUES ('r1', 'classify', '{}', 'done', now(), now())")
    con.execute("INSERT INTO predictions VALUES ('r1', 'd0#0', 0, 'none', '[1,0,0,0,0]', '[]', '[]', NULL)")
    con.close()
    with CorpusStore(corpus, read_only=True) as store:
        [p] = store.read_predictions("r1")
        assert p.get("vocab") is None and p["rung"] == 0  # unknown: left out, as in a file without the column
    with CorpusStore(corpus) as store:  # opened for writing: migrated
        assert store.read_predictions("r1")[0].get("lang") is None
