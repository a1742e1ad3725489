"""Hostile and careless input to the web app (issue 16): every error is a clean 4xx/5xx with the
security headers, the work per request is bounded, odd names link, and DOCX bombs are refused."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from fixtures_data import prediction_records, quick

SECURITY = ("content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options")


def assert_secure(response) -> None:
    missing = [h for h in SECURITY if h not in response.headers]
    assert not missing, f"{response.status_code} response without {missing}"


# -- values JSON allows but text is not -------------------------------------------------------

@pytest.mark.parametrize("body", [b'{"text":1e999}', b'{"text":-1e999}', b'{"text":NaN}', b'{"text":Infinity}',
                                  b'{"text":"\\ud800"}', b'{"text":"ok \\udfff end"}', b'{"\\ud800":1}'])
def test_api_classify_non_text_values_are_422_json_with_headers(client, body):
    r = client.post("/api/classify", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["detail"].startswith("invalid request")
    assert_secure(r)


def test_keep_alive_connection_survives_a_bad_request(server_url):
    import http.client
    from urllib.parse import urlparse

    url = urlparse(server_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        for body, status in ((b'{"text":1e999}', 422), (b'{"text":"\\ud800"}', 422), (b'{"text":NaN}', 422),
                             (json.dumps({"text": "Borgerne blev inviteret til dialogmøde."}).encode(), 200)):
            conn.request("POST", "/api/classify", body=body, headers={"content-type": "application/json"})
            response = conn.getresponse()
            response.read()
            assert response.status == status
            assert response.getheader("x-content-type-options") == "nosniff"
    finally:
        conn.close()


@pytest.mark.parametrize("path,module", [("/api/classify", "pipeline.web.api"), ("/check", "pipeline.web.pages")])
def test_unexpected_error_is_500_with_headers_not_a_traceback(app, monkeypatch, path, module):
    import importlib

    from fastapi.testclient import TestClient

    def broken(*args, **kwargs):
        raise RuntimeError("boom /secret/path")

    monkeypatch.setattr(importlib.import_module(module), "check_text", broken)
    with TestClient(app) as c:
        r = c.post(path, **({"json": {"text": "hej"}} if path.startswith("/api") else {"data": {"text": "hej"}}))
    assert r.status_code == 500
    assert "Traceback" not in r.text and "/secret/path" not in r.text and "RuntimeError" not in r.text
    assert_secure(r)
    if path.startswith("/api"):
        assert r.json()["detail"]
    else:
        assert "Der skete en fejl" in r.text


# -- bounded work per request -----------------------------------------------------------------

def test_text_over_the_character_cap_is_413_before_any_work(model_dir, monkeypatch):
    from fastapi.testclient import TestClient

    from pipeline import segment
    from pipeline.web import check
    from pipeline.web.app import create_app

    monkeypatch.setattr(segment, "clean_text", lambda *a, **k: pytest.fail("a text over the cap was cleaned"))
    with TestClient(create_app(model_dir=model_dir, max_upload_mb=5)) as c:
        r = c.post("/api/classify", json={"text": "Borgerne blev inviteret. " * (check.MAX_CHARS // 25 + 10)})
        assert r.status_code == 413 and "samskab classify" in r.json()["detail"]
        page = c.post("/check", data={"text": "x " * (check.MAX_CHARS // 2 + 10)})
        assert page.status_code == 413 and "for lang" in page.text


def test_too_many_segments_is_413(client, monkeypatch):
    from pipeline.web import check

    monkeypatch.setattr(check, "MAX_SEGMENTS", 5)
    r = client.post("/api/classify", json={"text": "\n\n".join(f"Borgerne blev inviteret til møde nummer {i}." for i in range(12))})
    assert r.status_code == 413 and "too many segments" in r.json()["detail"]
    ok = client.post("/api/classify", json={"text": "Borgerne blev inviteret til et dialogmøde."})
    assert ok.status_code == 200


def test_second_big_text_waits_its_turn_but_small_ones_pass(client, monkeypatch):
    from pipeline.web import check

    monkeypatch.setattr(check, "BIG_CHARS", 100)
    assert check._BIG_SLOT.acquire(blocking=False)  # another big text is being worked on
    try:
        big = client.post("/api/classify", json={"text": "Borgerne blev inviteret til dialogmøde. " * 10})
        assert big.status_code == 503 and "try again" in big.json()["detail"]
        assert_secure(big)
        small = client.post("/api/classify", json={"text": "Borgerne blev inviteret til dialogmøde."})
        assert small.status_code == 200
    finally:
        check._BIG_SLOT.release()
    assert client.post("/api/classify", json={"text": "Borgerne blev inviteret til dialogmøde. " * 10}).status_code == 200


def test_batched_prediction_equals_one_call(client, monkeypatch):
    """Predicting in batches (so small requests can slip in between) gives the same result as one call."""
    from pipeline.web import check

    text = "\n\n".join(f"Borgerne blev inviteret til dialogmøde nummer {i} om skolen." for i in range(9))
    whole = client.post("/api/classify", json={"text": text}).json()
    monkeypatch.setattr(check, "PREDICT_BATCH", 2)
    batched = client.post("/api/classify", json={"text": text}).json()
    assert batched == whole and len(whole["segments"]) == 9


# -- municipality names with "/" --------------------------------------------------------------

def test_municipality_with_slash_links_work(model_dir, tmp_path):
    import re

    from fastapi.testclient import TestClient

    from pipeline.web.app import create_app

    records = []
    for r in prediction_records():
        if r["municipality"] == "Aarhus":
            records.append({**r, "municipality": "Nord/Syd Bydel"})
        elif r["municipality"] == "Ærø":
            records.append({**r, "municipality": "A/B/C"})
    path = tmp_path / "slash.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    with TestClient(quick(create_app(model_dir=model_dir, predictions=path))) as c:
        listing = c.get("/municipalities")
        links = re.findall(r'href="(/municipality/[^"]+)"', listing.text)
        assert len(links) == 2, links
        for link in links:
            page = c.get(link)
            assert page.status_code == 200, link
            assert "Nord/Syd Bydel" in page.text or "A/B/C" in page.text
        assert c.get("/municipality/A/B/C").status_code == 200
        assert c.get("/compare", params=[("m", "Nord/Syd Bydel"), ("m", "A/B/C")]).status_code == 200
        assert c.get("/api/trends", params={"municipality": "A/B/C"}).json()["municipality"] == "A/B/C"


# -- DOCX bombs ---------------------------------------------------------------------------------

def docx_with_body(body: bytes) -> bytes:
    """A real DOCX (python-docx) whose word/document.xml body is replaced by ``body``."""
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                head, _, rest = data.partition(b"<w:body>")
                data = head + b"<w:body>" + body + b"</w:body></w:document>"
            dst.writestr(item.filename, data)
    return out.getvalue()


@pytest.mark.parametrize("body", [b"<w:p/>" * 3_000_000, b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * 200_000,
                                  b"<w:p><w:r><w:t>" + b"a" * 60_000_000 + b"</w:t></w:r></w:p>"])
def test_docx_bomb_is_refused_before_parsing(model_dir, monkeypatch, body):
    from fastapi.testclient import TestClient

    import pipeline.ingest
    from pipeline.web.app import create_app

    data = docx_with_body(body)
    assert len(data) < 200_000  # small on the wire
    monkeypatch.setattr(pipeline.ingest, "read_document", lambda *a, **k: pytest.fail("the bomb reached the reader"))
    with TestClient(create_app(model_dir=model_dir, max_upload_mb=1)) as c:
        r = c.post("/check", files={"file": ("bombe.docx", data, "application/octet-stream")})
    assert r.status_code == 413, r.text[:300]
    assert "Word-dokumentet er for stort" in r.text
    assert_secure(r)


def test_ordinary_docx_passes_the_bomb_check():
    from pipeline.web.uploads import check_docx_size

    check_docx_size(docx_with_body(b"<w:p><w:r><w:t>Borgerne blev inviteret.</w:t></w:r></w:p>" * 2_000))


# -- noise segments (rung null) are left out ------------------------------------------------------

def noise_records() -> list[dict]:
    """The fixture's predictions plus one unclassified noise segment per document (the classify contract)."""
    records = prediction_records()
    for r in [r for r in records if r["position"] == 0]:
        records.append({"id": r["doc_id"] + "#9", "doc_id": r["doc_id"], "municipality": r["municipality"], "year": r["year"],
                        "date": r["date"], "position": 9, "text": "Fraværende: ingen. Dialogmøde.", "section_kind": "attendance",
                        "rung": None, "rung_label": None, "rung_proba": None, "actors": [], "actor_proba": None,
                        "evidence": [], "skipped": "noise"})
    return records


def test_noise_segments_are_left_out_of_pages_and_search(model_dir, tmp_path):
    from fastapi.testclient import TestClient

    from pipeline.store import CorpusStore
    from pipeline.web.app import create_app

    records = noise_records()
    path = tmp_path / "noise.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    db = tmp_path / "noise.duckdb"
    with CorpusStore(db) as store:
        for r in records:
            store.add_document({"id": r["id"], "text": r["text"] + r["id"], "content_hash": r["id"], "municipality": r["municipality"]},
                               [{"id": r["id"], "doc_id": r["doc_id"], "position": r["position"], "start": 0, "end": 1,
                                 "text": r["text"], "municipality": r["municipality"], "year": r["year"], "date": r["date"],
                                 "section_kind": r.get("section_kind", "content")}])
        run_id = store.start_run("classify", {})
        store.write_predictions(run_id, records)
        store.finish_run(run_id)
    for source in ({"predictions": path}, {"db": db}):
        with TestClient(quick(create_app(model_dir=model_dir, **source))) as c:
            assert c.get("/api/segments").json()["total"] == 54, source  # the 18 noise segments are not listed
            assert c.get("/api/segments", params={"q": "Fraværende"}).json()["total"] == 0
            page = c.get("/municipality/Aarhus")
            assert page.status_code == 200 and "18 afsnit er ikke talt med: 18 var mødedeltagere" in page.text
            assert '<td class="num">6</td><td class="num">18</td>' in c.get("/municipalities").text  # not 24 segments
            trend = c.get("/api/trends", params={"municipality": "Aarhus"}).json()
            assert trend["left_out"]["noise"] == 18 and sum(r["n_segments"] for r in trend["national"]) == 54


@pytest.mark.parametrize("method,path,kwargs,status", [
    ("get", "/nope", {}, 404), ("get", "/api/nope", {}, 404), ("get", "/static/nope.css", {}, 404),
    ("delete", "/check", {}, 405), ("get", "/search", {"params": {"rung": "x"}}, 422),
    ("post", "/check", {"files": {"file": ("x.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")}}, 415),
    ("post", "/api/classify", {"content": b"x" * 400_000, "headers": {"content-type": "application/json"}}, 413),
])
def test_every_error_response_carries_the_security_headers(client, method, path, kwargs, status):
    r = getattr(client, method)(path, **kwargs) if method != "delete" else client.request("DELETE", path)
    assert r.status_code == status
    assert_secure(r)


def test_no_data_503_carries_the_security_headers(bare_client):
    r = bare_client.get("/api/trends")
    assert r.status_code == 503
    assert_secure(r)
