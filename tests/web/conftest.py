"""Cheap fixtures for the web tests: a tiny model (fitted once per session), a predictions
file and a corpus store with 3 municipalities x 3 years, and TestClients."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import pytest

from fixtures_data import RECORDS

MUNICIPALITIES = ("Aarhus", "Ærø", "København")
YEARS = (2019, 2020, 2021)
XSS = '<script>alert("xss")</script>'

_SEGMENT_TEXTS = (
    ("Økonomiudvalget godkendte regnskabet uden bemærkninger.", 0),
    ("Frivillige fra foreningen driver lektiecaféen for børn i området.", 2),
    ("Borgerne blev inviteret til et dialogmøde og en workshop om lokalplanen.", 3),
    ("Byrådet nedsætter et § 17, stk. 4-udvalg, hvor borgere og foreninger sammen designer løsningen.", 4),
)


def _proba(rung: int, strength: float) -> list[float]:
    rest = (1 - strength) / 4
    return [round(strength if k == rung else rest, 6) for k in range(5)]


def prediction_records() -> list[dict]:
    """Segment predictions as `samskab classify --keep-text` writes them; higher rungs grow over the years."""
    records = []
    for m_index, muni in enumerate(MUNICIPALITIES):
        for y_index, year in enumerate(YEARS):
            for d in range(2):
                doc_id = f"{muni[:3].lower()}-{year}-{d}"
                for position in range(3):
                    text, rung = _SEGMENT_TEXTS[(position + y_index + m_index * d) % len(_SEGMENT_TEXTS)]
                    if muni == "Ærø" and rung >= 3:
                        text, rung = _SEGMENT_TEXTS[0]
                    if muni == "Aarhus" and year == 2019 and d == 0 and position == 0:
                        text, rung = f"Borgerne blev inviteret til dialogmøde {XSS} om skolen.", 3
                    evidence = [{"sentence": text, "score": round(1.0 + rung / 2, 3), "start": 0, "end": len(text), "rung": rung, "terms": []}]
                    records.append({
                        "id": f"{doc_id}#{position}", "doc_id": doc_id, "municipality": muni, "year": year,
                        "date": f"{year}-0{position + 3}-15", "position": position, "text": text,
                        "rung": rung, "rung_label": ["none", "co_production_own", "co_production_others",
                                                     "co_initiation_dialogue", "co_design_governance"][rung],
                        "rung_proba": _proba(rung, 0.8), "actors": ["citizens"] if rung >= 3 else ["administration"],
                        "evidence": evidence if rung > 0 else [], "vocab": rung > 0,
                        "url": "javascript:alert(1)" if doc_id == "aar-2019-0" else f"https://example.dk/{doc_id}",
                        "title": f"Referat {XSS}" if doc_id == "aar-2019-0" else f"Referat {doc_id}",
                    })
    return records


@pytest.fixture(scope="session")
def session_dir():
    """A private folder for the session's files. Not tmp_path_factory: pytest prunes old
    basetemp folders, and a concurrent pytest run by the same user could delete it mid-session."""
    folder = Path(tempfile.mkdtemp(prefix="samskab-web-tests-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def model_dir(session_dir) -> Path:
    from pipeline.config import ModelConfig
    from pipeline.models import save_model
    from pipeline.train import fit_model

    records = [{"id": f"r{i}", **r} for i, r in enumerate(RECORDS)]
    model = fit_model(records, ModelConfig(use_char=False, calibration="none", min_df=1))
    return save_model(model.backend, session_dir / "models" / "tiny", manifest={"name": "tiny"})


@pytest.fixture(scope="session")
def predictions_file(session_dir) -> Path:
    path = session_dir / "predictions.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in prediction_records()), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def corpus_db(session_dir) -> Path:
    """A corpus store with documents, segments and one finished classify run."""
    from pipeline.store import CorpusStore

    path = session_dir / "corpus.duckdb"
    records = prediction_records()
    with CorpusStore(path) as store:
        by_doc: dict[str, list[dict]] = {}
        for r in records:
            by_doc.setdefault(r["doc_id"], []).append(r)
        for doc_id, segs in by_doc.items():
            text, segments = f"Dokument {doc_id}\n\n", []  # a title line keeps each document's content unique
            for s in segs:
                start = len(text)
                text += s["text"] + "\n\n"
                segments.append({"id": s["id"], "doc_id": doc_id, "position": s["position"], "start": start,
                                 "end": start + len(s["text"]), "text": s["text"], "municipality": s["municipality"],
                                 "year": s["year"], "date": s["date"]})
            first = segs[0]
            store.add_document({"id": doc_id, "text": text, "content_hash": hashlib.sha256(text.encode()).hexdigest(),
                                "municipality": first["municipality"], "year": first["year"], "date": first["date"],
                                "url": first["url"], "title": first["title"]}, segments)
        run_id = store.start_run("classify", {"model": "test"})
        store.write_predictions(run_id, records)
        store.finish_run(run_id)
    return path


def quick(web):
    """Fewer bootstrap rounds for the trend intervals: the tests check pages, not intervals."""
    web.state.corpus.settings = web.state.corpus.settings.model_copy(update={"bootstrap": 50})
    return web


@pytest.fixture(scope="session")
def app(model_dir, predictions_file):
    from pipeline.web.app import create_app

    return quick(create_app(model_dir=model_dir, predictions=predictions_file, max_upload_mb=0.05))


@pytest.fixture(scope="session")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def store_client(model_dir, corpus_db):
    from fastapi.testclient import TestClient

    from pipeline.web.app import create_app

    with TestClient(quick(create_app(model_dir=model_dir, db=corpus_db))) as c:
        yield c


@pytest.fixture(scope="session")
def bare_client(model_dir):
    """No data source: only the text check works."""
    from fastapi.testclient import TestClient

    from pipeline.web.app import create_app

    with TestClient(create_app(model_dir=model_dir)) as c:
        yield c


@pytest.fixture(scope="module")
def server_url(app):
    """The test app served by uvicorn on 127.0.0.1 and a free port, in a background thread."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
