"""Cheap fixtures for the web tests: a tiny model (fitted once per session), a predictions
file and a corpus store with 3 municipalities x 3 years, and TestClients."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import pytest

from fixtures_data import MUNICIPALITIES, RECORDS, XSS, YEARS, prediction_records, quick  # noqa: F401

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
