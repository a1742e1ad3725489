"""Danish throughout for journalists (issue 17): rung definitions, a plain account of the estimate,
Danish notes instead of the computation's English warnings; stored runs keep `vocab`; serving
what `samskab run` wrote just works."""

from __future__ import annotations

import html
import json
import re

import pytest

from conftest import prediction_records, quick

ENGLISH = ("held-out", "vocab", "records have", "estimator", "fell back", "requested ")


def visible_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page.split("<main>", 1)[-1].split("</main>", 1)[0]))


def test_result_page_defines_the_rung_in_danish(client):
    from pipeline.codebook import load_codebook

    r = client.post("/check", data={"text": "Borgerne blev inviteret til et dialogmøde og en workshop om den nye lokalplan."})
    rung = int(re.search(r"Dokumentet når <strong>trin (\d)", r.text).group(1))
    definition = load_codebook().rungs[rung].definition_da
    assert f"<strong>Trin {rung}:</strong> {html.escape(definition, quote=False)}" in r.text


@pytest.mark.parametrize("path", ["/municipality/Aarhus", "/compare?m=Aarhus&m=%C3%86r%C3%B8"])
def test_trend_pages_explain_the_estimate_in_danish(client, path):
    r = client.get(path)
    assert r.status_code == 200
    text = visible_text(r.text)
    assert "Intervallet (95 %)" in text
    for word in ENGLISH + ("Skøn: cc", "pcc", "pacc"):
        assert word not in text, word
    assert not re.search(r"\b(cc|acc)\b", text)


def test_trend_warnings_become_danish_notes(model_dir, tmp_path):
    """A predictions file without `vocab` and a model without held-out predictions: two warnings, both in Danish."""
    from fastapi.testclient import TestClient

    from pipeline.web.app import create_app

    path = tmp_path / "no-vocab.jsonl"
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "vocab"}, ensure_ascii=False) + "\n"
                            for r in prediction_records()), encoding="utf-8")
    with TestClient(quick(create_app(model_dir=model_dir, predictions=path))) as c:
        r = c.get("/municipality/Aarhus")
        warnings = c.get("/api/trends", params={"municipality": "Aarhus"}).json()["warnings"]
    assert any("vocab" in w for w in warnings)  # the API keeps the computation's own words
    note = re.search(r'<div class="note" role="note">(.*?)</div>', r.text, re.S)
    assert note and "Bemærk" in note.group(1)
    assert "»snak« og »praksis« er tomme" in html.unescape(note.group(1))
    for word in ENGLISH:
        assert word not in visible_text(r.text), word


@pytest.mark.parametrize("warning,danish", [
    ("cc needs a held-out set at segment level (none); fell back to cc", "ikke nok håndkodede afsnit"),
    ("no held-out predictions (heldout_predictions.jsonl): intervals cover document sampling only", "ingen håndkodede testafsnit"),
    ("ppi needs a labelled calibration sample (--calibration); fell back to pcc", "ingen håndkodet stikprøve"),
    ("no `vocab` field in the predictions: talk/practice columns are empty", "er tomme"),
    ("7 segments lack `vocab`: talk/practice use the others", "7 afsnit mangler oplysning om ordforråd"),
    ("the error rates come from written examples; on real text the model errs more often", "målt på skrevne eksempler"),
    ("the shares are the classifier's own counts, not corrected for its errors", "ikke rettet for dens fejl"),
    ("something new the web app does not know", "Beregningen har en bemærkning"),
])
def test_warnings_da(warning, danish):
    from pipeline.presentation import warnings_da

    out = warnings_da([warning])
    assert len(out) == 1 and danish in out[0]


@pytest.mark.parametrize("warning", ["41 noise segments (tables of contents, attendance, ...) were left out",
                                     "3 segments not in Danish were left out",
                                     "3 of 40 records have no a year or date and were left out"])
def test_left_out_warnings_are_said_once_by_left_out_da(warning):
    from pipeline.presentation import warnings_da

    assert warnings_da([warning]) == []


def test_left_out_da():
    from pipeline.presentation import left_out_da

    assert left_out_da({"noise": 0, "non_danish": 0}) is None and left_out_da(None) is None
    assert left_out_da({"noise": 12, "non_danish": 0, "no_date": 3}) == (
        "15 afsnit er ikke talt med: 12 var mødedeltagere, indholdsfortegnelser, bilagslister o.l. og 3 havde ingen dato.")
    assert left_out_da({"noise": 4}) == "4 afsnit er ikke talt med: 4 var mødedeltagere, indholdsfortegnelser, bilagslister o.l."


def test_estimate_sentence_says_whether_the_model_error_is_covered():
    from pipeline.presentation import estimate_sentence

    for uncorrected in ("cc", "pcc"):
        assert "ikke rettet for modellens fejl" in estimate_sentence({"estimator": uncorrected})
        assert "ikke hvor meget modellen kan tage fejl" in estimate_sentence({"estimator": uncorrected})
    for corrected in ("acc", "pacc"):
        sentence = estimate_sentence({"estimator": corrected, "min_support": 5})
        assert "rettet for de fejl" in sentence and "færre end 5 dokumenter" in sentence


# -- stored runs keep vocab (and lang) ----------------------------------------------------------

def test_store_keeps_vocab_and_lang(store_client, corpus_db):
    from pipeline.store import CorpusStore

    with CorpusStore(corpus_db, read_only=True) as store:
        records = store.read_predictions()
    assert {r["vocab"] for r in records} == {True, False}
    rows = store_client.get("/api/trends", params={"municipality": "Aarhus"}).json()
    assert all(row["talk_share"] is not None for row in rows["rows"])
    assert not any("vocab" in w for w in rows["warnings"])


def test_old_store_without_the_new_columns_still_reads(tmp_path):
    import duckdb

    from pipeline.store import CorpusStore

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE runs (run_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, params VARCHAR, status VARCHAR NOT NULL, "
                "started_at TIMESTAMP, finished_at TIMESTAMP)")
    con.execute("CREATE TABLE segments (id VARCHAR PRIMARY KEY, doc_id VARCHAR NOT NULL, position INTEGER NOT NULL, section VARCHAR, "
                "item VARCHAR, start INTEGER, \"end\" INTEGER, text VARCHAR NOT NULL, municipality VARCHAR, date VARCHAR, "
                "year INTEGER, doc_type VARCHAR)")
    con.execute("CREATE TABLE predictions (run_id VARCHAR NOT NULL, segment_id VARCHAR NOT NULL, rung INTEGER, rung_label VARCHAR, "
                "rung_proba VARCHAR, actors VARCHAR, evidence VARCHAR, model VARCHAR, PRIMARY KEY (run_id, segment_id))")
    con.execute("INSERT INTO runs VALUES ('r1', 'classify', '{}', 'done', now(), now())")
    con.execute("INSERT INTO segments VALUES ('s1', 'd1', 0, NULL, NULL, 0, 4, 'Hej.', 'Aarhus', '2020-01-01', 2020, NULL)")
    con.execute("INSERT INTO predictions VALUES ('r1', 's1', 0, 'none', '[1,0,0,0,0]', '[]', '[]', 'm')")
    con.close()
    with CorpusStore(path, read_only=True) as store:
        (record,) = store.read_predictions()
    assert record["rung"] == 0 and "vocab" not in record
    with CorpusStore(path) as store:  # opened for writing: the columns are added
        store.write_predictions("r1", [{"id": "s1", "rung": 1, "rung_label": "x", "vocab": True, "lang": "da"}])
        (record,) = store.read_predictions("r1")
    assert record["vocab"] is True and record["lang"] == "da"


# -- serving what `samskab run` wrote ----------------------------------------------------------

def test_serve_a_run_folder(model_dir, predictions_file, tmp_path, monkeypatch):
    import shutil

    import uvicorn
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.store import CorpusStore

    out = tmp_path / "demo"
    out.mkdir()
    shutil.copy(predictions_file, out / "predictions.jsonl")
    with CorpusStore(out / "corpus.duckdb"):  # as `make demo` leaves it: documents and segments, no stored run
        pass
    calls = {}
    monkeypatch.setattr(uvicorn, "run", lambda web, **kw: calls.update(kw, app=web))
    result = CliRunner().invoke(app, ["serve", str(out), "--model", str(model_dir)])
    assert result.exit_code == 0, result.output
    assert calls["app"].state.corpus.municipalities.keys() == {"Aarhus", "Ærø", "København"}
    both = CliRunner().invoke(app, ["serve", str(out), "--db", str(out / "corpus.duckdb"), "--model", str(model_dir)])
    assert both.exit_code != 0 and "one data source" in both.output
    store_only = CliRunner().invoke(app, ["serve", "--db", str(out / "corpus.duckdb"), "--model", str(model_dir)])
    assert store_only.exit_code == 1 and "--to-store" in store_only.output and "samskab serve out/demo" in store_only.output
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = CliRunner().invoke(app, ["serve", str(empty), "--model", str(model_dir)])
    assert nothing.exit_code == 1 and "no predictions.jsonl or corpus.duckdb" in nothing.output
