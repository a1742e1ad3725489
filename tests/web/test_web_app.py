"""The web app through FastAPI's TestClient: every page and endpoint, and the error cases."""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path

import pytest

from fixtures_data import XSS

DIALOGUE = "Borgerne blev inviteret til et dialogmøde og en workshop om den nye lokalplan."
TEXT = f"Referat fra Teknik- og Miljøudvalget\n\n{DIALOGUE}\n\nFrivillige fra Røde Kors driver lektiecaféen for børn i området."


# -- builders for real upload fixtures ------------------------------------------------------

def docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in text.split("\n\n"):
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(text: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    y = 800
    for paragraph in text.split("\n\n"):
        pdf.drawString(50, y, paragraph)
        y -= 40
    pdf.save()
    return buffer.getvalue()


def html_bytes(text: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
    return f"<!DOCTYPE html><html><head><title>Referat</title></head><body><main>{body}</main></body></html>".encode()


def assert_no_external_assets(html: str) -> None:
    """Every stylesheet, script and image is served by the app itself or inline."""
    for tag, attr in (("link", "href"), ("script", "src"), ("img", "src")):
        for value in re.findall(rf"<{tag}\b[^>]*\b{attr}=\"([^\"]*)\"", html):
            assert value.startswith(("/", "data:image/png;base64,")), f"external {tag}: {value}"


# -- the check page -------------------------------------------------------------------------

def test_index_has_form_and_ladder(client):
    r = client.get("/")
    assert r.status_code == 200
    assert 'enctype="multipart/form-data"' in r.text and 'name="file"' in r.text and 'name="text"' in r.text
    for name in ("ingen samskabelse", "inddragelse i drøftelse af nye løsninger"):
        assert name in r.text
    from pipeline.codebook import load_codebook

    for rung in load_codebook().rungs:  # the ladder in Danish, from the codebook
        assert html.escape(rung.definition_da, quote=False) in r.text
        assert html.escape(rung.definition, quote=False) not in r.text
    assert_no_external_assets(r.text)
    css = client.get("/static/style.css")
    assert css.status_code == 200 and "mark" in css.text and "http" not in css.text


def test_check_pasted_text(client):
    r = client.post("/check", data={"text": TEXT})
    assert r.status_code == 200
    assert "<mark" in r.text
    assert re.search(r"trin \d \(\d+ %\)", r.text)  # "rung 3 (72 %)"
    assert 'class="bar r' in r.text
    assert "Sandsynlighed pr. trin" in r.text
    assert_no_external_assets(r.text)


@pytest.mark.parametrize("name,build", [
    ("referat.txt", lambda t: t.encode("utf-8")),
    ("referat.txt", lambda t: t.encode("cp1252")),
    ("side.html", html_bytes),
    ("referat.docx", docx_bytes),
    ("referat.pdf", pdf_bytes),
    ("uden-endelse", lambda t: t.encode("utf-8")),  # the name does not matter
])
def test_check_upload_each_type(client, name, build):
    r = client.post("/check", files={"file": (name, build(TEXT), "application/octet-stream")})
    assert r.status_code == 200, r.text
    assert "<mark" in r.text
    assert "dialogmøde" in r.text


def test_file_wins_over_text_and_name_is_ignored(client, monkeypatch):
    import tempfile

    made: list[str] = []
    real = tempfile.mkdtemp

    def spy(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", spy)
    r = client.post("/check", data={"text": "ignored"},
                    files={"file": ("../../etc/passwd.pdf", TEXT.encode(), "application/pdf")})
    assert r.status_code == 200
    assert "dialogmøde" in r.text and "uploadet tekstfil" in r.text  # sniffed as text despite the .pdf name
    assert len(made) == 1 and not Path(made[0]).exists()  # the server's temp folder is gone afterwards


@pytest.mark.parametrize("data", [{"text": ""}, {"text": "   \n  "}, {}])
def test_check_empty_text_is_400(client, data):
    r = client.post("/check", data=data)
    assert r.status_code == 400
    assert "Teksten er tom" in r.text


def test_empty_file_is_400(client):
    r = client.post("/check", files={"file": ("tom.txt", b"   \n", "text/plain")})
    assert r.status_code == 400


def test_upload_too_large_is_413(client):  # the test app caps uploads at 0.05 MB
    r = client.post("/check", files={"file": ("stor.txt", b"a" * 400_000, "text/plain")})
    assert r.status_code == 413
    assert "for stor" in r.text and "0.05 MB" in r.text


def test_too_large_without_content_length_is_413(client):
    def chunks():
        for _ in range(40):
            yield b"x" * 10_000

    r = client.post("/api/classify", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize("name,data,status", [
    ("program.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(range(256)) * 4, 415),   # an .exe renamed .pdf
    ("billede.txt", b"\x89PNG\r\n\x1a\n" + bytes(200), 415),
    ("arkiv.docx", b"", 415),                                                           # a ZIP without word/document.xml
    ("binary.txt", bytes(range(256)) * 8, 415),
    ("brudt.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage, no xref, no trailer", 422),
    ("brudt.docx", b"PK\x03\x04 this is not really a zip file", 422),
])
def test_bad_uploads(client, name, data, status):
    if name == "arkiv.docx":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("hello.txt", "hej")
        data = buffer.getvalue()
    r = client.post("/check", files={"file": (name, data, "application/pdf")})
    assert r.status_code == status, r.text[:500]
    assert '<p class="message">' in r.text
    assert "/tmp" not in r.text and "samskab-upload" not in r.text  # no server path leaks into the message


def test_sniff_type_by_content_only():
    from pipeline.web.errors import WebError
    from pipeline.web.uploads import sniff_type

    assert sniff_type(b"%PDF-1.4 ...") == "pdf"
    assert sniff_type(b"<!DOCTYPE html><html><body>x</body></html>") == "html"
    assert sniff_type(b"\xef\xbb\xbf  <html lang='da'>") == "html"
    assert sniff_type("Borgermøde om skolen".encode("cp1252")) == "text"
    assert sniff_type(docx_bytes("hej")) == "docx"
    with pytest.raises(WebError) as e:
        sniff_type(b"\x7fELF\x02\x01")
    assert e.value.status == 415


def test_xss_payload_is_escaped_on_the_check_page(client):
    payload = f'{DIALOGUE} {XSS} <img src=x onerror=alert(1)> "quoted" & more'
    r = client.post("/check", data={"text": payload})
    assert r.status_code == 200
    assert XSS not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;" in r.text
    html_upload = client.post("/check", files={"file": ("x.html", f"<html><body><p>{DIALOGUE}</p><p>&lt;script&gt;alert(1)&lt;/script&gt;</p></body></html>".encode(), "text/html")})
    assert html_upload.status_code == 200 and "<script>alert(1)" not in html_upload.text


def test_security_headers(client):
    r = client.get("/")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


# -- municipality, compare ------------------------------------------------------------------

def test_municipalities_list(client):
    r = client.get("/municipalities")
    assert r.status_code == 200
    for name in ("Aarhus", "Ærø", "København"):
        assert f">{name}</a>" in r.text


def test_municipality_page_defaults_to_terms_when_years_are_sparse(client):
    # two documents a year per municipality: too few for yearly figures, so the page pools election terms
    r = client.get("/municipality/Aarhus")
    assert r.status_code == 200 and "<td>2018-2021</td>" in r.text and "<td>2019</td>" not in r.text


def test_municipality_page(client):
    r = client.get("/municipality/Aarhus", params={"period": "year"})
    assert r.status_code == 200
    assert r.text.count('src="data:image/png;base64,') == 2
    assert "hele landet" in r.text.lower() or "landet" in r.text
    for year in ("2019", "2020", "2021"):
        assert f"<td>{year}</td>" in r.text
    assert "Stærkeste citater pr. trin" in r.text
    assert 'href="https://example.dk/aar-2020-0"' in r.text  # a quote links to its source document
    assert XSS not in r.text and "&lt;script&gt;" in r.text  # an evidence sentence carrying a payload is escaped
    assert 'href="javascript:' not in r.text  # an unsafe URL is not linked
    assert_no_external_assets(r.text)


@pytest.mark.parametrize("name", ["aarhus", "AARHUS", "%C3%A6r%C3%B8", "Koebenhavn"])
def test_municipality_names_are_forgiving(client, name):
    assert client.get(f"/municipality/{name}").status_code == 200


def test_municipality_by_quarter(client):
    r = client.get("/municipality/Aarhus?period=quarter")
    assert r.status_code == 200 and "2019Q1" in r.text


def test_unknown_municipality_suggests_close_names(client):
    r = client.get("/municipality/Arhus")
    assert r.status_code == 404
    assert "Mente du Aarhus?" in r.text and 'href="/municipality/Aarhus"' in r.text
    r = client.get("/municipality/Odense")  # a real municipality without data
    assert r.status_code == 404 and "ingen data for Odense" in r.text


def test_bad_period_is_422(client):
    r = client.get("/municipality/Aarhus?period=week")
    assert r.status_code == 422 and "Ukendt periode" in r.text


def test_compare(client):
    r = client.get("/compare", params=[("m", "Aarhus"), ("m", "Ærø"), ("m", "København")])
    assert r.status_code == 200
    assert 'src="data:image/png;base64,' in r.text
    assert r.text.count("<th class=\"num\" colspan=\"2\">") == 4  # three municipalities and the country


@pytest.mark.parametrize("names,status", [([], 200), (["Aarhus"], 400), (["Aarhus"] * 2, 400),
                                          (["Aarhus", "Ærø", "København", "Odense", "Vejle"], 400), (["Aarhus", "Arhuss"], 404)])
def test_compare_needs_2_to_4_known_names(client, names, status):
    r = client.get("/compare", params=[("m", n) for n in names])
    assert r.status_code == status


# -- search -------------------------------------------------------------------------------

def test_search_filters_and_pagination(client):
    r = client.get("/search")
    assert r.status_code == 200 and "54 afsnit" in r.text and "side 1 af 3" in r.text and "næste" in r.text
    r = client.get("/search", params={"municipality": "Aarhus", "rung": "3", "actor": "citizens", "year": "2019", "q": "dialogmøde"})
    assert r.status_code == 200
    assert "<mark>dialogmøde</mark>" in r.text
    assert XSS not in r.text
    page2 = client.get("/search", params={"page": "2"})
    assert "side 2 af 3" in page2.text and "forrige" in page2.text


def test_search_empty_fields_mean_all(client):
    r = client.get("/search", params={"municipality": "", "rung": "", "actor": "", "year": "", "q": ""})
    assert r.status_code == 200 and "54 afsnit" in r.text


@pytest.mark.parametrize("params,status", [({"rung": "x"}, 422), ({"rung": "9"}, 422), ({"actor": "aliens"}, 422),
                                           ({"municipality": "Arhus"}, 404), ({"page": "0"}, 422)])
def test_search_bad_input(client, params, status):
    r = client.get("/search", params=params)
    assert r.status_code == status
    assert '<p class="message">' in r.text


# -- the JSON API -------------------------------------------------------------------------

def test_api_classify(client):
    r = client.post("/api/classify", json={"text": TEXT})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"model", "text", "document", "segments"}
    assert 0 <= body["document"]["rung"] <= 4 and len(body["document"]["rung_proba"]) == 5
    for seg in body["segments"]:
        assert body["text"][seg["start"]:seg["end"]] == seg["text"]
        for ev in seg["evidence"]:
            assert " ".join(body["text"][ev["start"]:ev["end"]].split()) == ev["sentence"]


@pytest.mark.parametrize("payload,status", [({"text": ""}, 400), ({"text": "  "}, 400), ({}, 422), ({"text": 5}, 422)])
def test_api_classify_bad_input(client, payload, status):
    r = client.post("/api/classify", json=payload)
    assert r.status_code == status
    assert "detail" in r.json()


def test_api_trends(client):
    r = client.get("/api/trends", params={"municipality": "aarhus", "period": "year"})
    assert r.status_code == 200
    body = r.json()
    assert body["municipality"] == "Aarhus"
    assert [row["period"] for row in body["rows"]] == ["2019", "2020", "2021"]
    assert len(body["national"]) == 3 and len(body["rows"][0]["share_rung"]) == 5
    assert client.get("/api/trends").json()["rows"] == []
    missing = client.get("/api/trends", params={"municipality": "Arhus"})
    assert missing.status_code == 404 and missing.json()["suggestions"] == ["Aarhus"]
    assert client.get("/api/trends", params={"period": "week"}).status_code == 422


def test_api_segments(client):
    r = client.get("/api/segments", params={"municipality": "Aarhus", "rung": 3, "actor": "citizens", "q": "DIALOGMØDE", "page": 1})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] > 0 and body["page"] == 1
    assert all(i["municipality"] == "Aarhus" and i["rung"] == 3 and "citizens" in i["actors"] for i in body["items"])
    everything = client.get("/api/segments", params={"per_page": 50, "page": 2}).json()
    assert everything["total"] == 54 and everything["pages"] == 2 and len(everything["items"]) == 4
    by_year = client.get("/api/segments", params={"year": 2020, "per_page": 100}).json()
    assert by_year["total"] == 18 and {i["year"] for i in by_year["items"]} == {2020}


@pytest.mark.parametrize("params", [{"rung": 7}, {"actor": "aliens"}, {"page": 0}, {"year": "x"}])
def test_api_segments_validation(client, params):
    assert client.get("/api/segments", params=params).status_code == 422


def test_openapi_schema_and_no_cdn_docs(client):
    schema = client.get("/openapi.json").json()
    assert {"/api/classify", "/api/trends", "/api/segments"} <= set(schema["paths"])
    assert {"ClassifyResponse", "TrendsResponse", "SegmentPage"} <= set(schema["components"]["schemas"])
    assert "/" not in schema["paths"] and "/docs" not in schema["paths"]  # HTML pages stay out of the API schema
    api = client.get("/api")
    assert api.status_code == 200 and "/api/segments" in api.text


def test_docs_are_served_offline(client):
    r = client.get("/docs")
    assert r.status_code == 200 and 'id="swagger-ui"' in r.text
    assets = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"', r.text)
    assert len(assets) == 3
    for asset in assets:
        assert asset.startswith("/"), f"external asset {asset}"
        fetched = client.get(asset)
        assert fetched.status_code == 200 and len(fetched.content) > 50, asset
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp and "http" not in csp
    assert "<script>" not in r.text  # no inline script: the CSP allows the app's own files only
    assert "script-src" not in client.get("/").headers["content-security-policy"]  # other pages run no script at all


def test_api_page_examples_use_the_requests_host(app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://10.1.2.3:8765") as c:
        page = c.get("/api").text
    assert "curl -s -X POST http://10.1.2.3:8765/api/classify" in page and "8000" not in page


def test_unknown_page_is_404(client):
    r = client.get("/nope")
    assert r.status_code == 404 and "Siden findes ikke" in r.text
    assert client.get("/api/nope").json()["detail"]


# -- other data sources -------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/municipalities", "/municipality/Aarhus", "/compare?m=Aarhus&m=Ærø", "/search"])
def test_without_data_pages_say_how_to_start(bare_client, path):
    r = bare_client.get(path)
    assert r.status_code == 200
    assert "Der er ingen data indlæst" in r.text and "samskab serve --db" in r.text


def test_without_data_api_is_503_and_check_works(bare_client):
    assert bare_client.get("/api/trends").status_code == 503
    assert bare_client.get("/api/segments").status_code == 503
    assert bare_client.post("/api/classify", json={"text": DIALOGUE}).status_code == 200


def test_store_backed_pages(store_client):
    r = store_client.get("/municipality/Aarhus")
    assert r.status_code == 200 and 'href="https://example.dk/aar-2020-0"' in r.text
    r = store_client.get("/search", params={"municipality": "Aarhus", "rung": "3", "q": "dialogmøde"})
    assert r.status_code == 200 and "<mark>dialogmøde</mark>" in r.text and XSS not in r.text
    body = store_client.get("/api/segments", params={"actor": "citizens", "per_page": 100}).json()
    assert body["total"] > 0 and all("citizens" in i["actors"] for i in body["items"])
    assert store_client.get("/api/segments", params={"q": "100%_"}).json()["total"] == 0  # LIKE wildcards are literal


def test_store_and_file_search_agree(client, store_client):
    for params in ({"municipality": "Ærø"}, {"rung": 4}, {"year": 2021, "actor": "citizens"}, {"q": "workshop"}):
        a = client.get("/api/segments", params=params).json()["total"]
        b = store_client.get("/api/segments", params=params).json()["total"]
        assert a == b, params


def test_create_app_errors(model_dir, predictions_file, tmp_path):
    from pipeline.errors import DataError, ModelError
    from pipeline.web.app import create_app

    with pytest.raises(ModelError, match="samskab train"):
        create_app(model_dir=tmp_path / "no-model")
    with pytest.raises(DataError, match="not both"):
        create_app(model_dir=model_dir, db=tmp_path / "x.duckdb", predictions=predictions_file)
    with pytest.raises(DataError, match="no such predictions file"):
        create_app(model_dir=model_dir, predictions=tmp_path / "missing.jsonl")


def test_allowed_hosts(model_dir):
    from fastapi.testclient import TestClient

    from pipeline.web.app import create_app

    with TestClient(create_app(model_dir=model_dir, allowed_hosts=["127.0.0.1"]), base_url="http://127.0.0.1") as c:
        assert c.get("/").status_code == 200
        refused = c.get("/", headers={"host": "evil.example"})
        assert refused.status_code == 400
        assert refused.headers["x-content-type-options"] == "nosniff"  # error responses carry the security headers too


# -- the CLI ------------------------------------------------------------------------------

def test_serve_cli(model_dir, predictions_file, monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from pipeline.cli import app

    runner = CliRunner()
    help_text = runner.invoke(app, ["serve", "--help"]).output
    assert "samskab serve --db corpus.duckdb" in help_text and "127.0.0.1" in help_text
    calls = {}
    monkeypatch.setattr(uvicorn, "run", lambda web, **kw: calls.update(kw, app=web))
    result = runner.invoke(app, ["serve", "--model", str(model_dir), "--predictions", str(predictions_file), "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert calls["host"] == "127.0.0.1" and calls["port"] == 8123
    assert calls["app"].state.corpus is not None
    failed = runner.invoke(app, ["serve", "--model", str(model_dir.parent / "missing")])
    assert failed.exit_code == 1 and "samskab train" in failed.output


MINUTES = """Referat af mødet i Børne- og Ungeudvalget

Indholdsfortegnelse
1. Godkendelse af dagsorden
2. Dialogmøde om skolestruktur

Deltagere: Anne Hansen, Bo Jensen, Carl Nielsen
Fraværende: Ingen

1. Godkendelse af dagsorden
Beslutning: Godkendt.

2. Dialogmøde om skolestruktur
Borgerne blev inviteret til et dialogmøde og en workshop om den nye skolestruktur, hvor forældre og foreninger kunne komme med idéer.
"""


def test_noise_segments_are_not_classified(client):
    """Tables of contents and attendance lists are shown but not judged, as `samskab classify` leaves them out."""
    from pipeline.segment import NOISE_SECTION_KINDS

    body = client.post("/api/classify", json={"text": MINUTES}).json()
    noise = [s for s in body["segments"] if s["section_kind"] in NOISE_SECTION_KINDS]
    judged = [s for s in body["segments"] if s["section_kind"] not in NOISE_SECTION_KINDS]
    assert noise and judged
    assert all(s["rung"] is None and s["rung_proba"] is None and s["skipped"] == "noise" for s in noise)
    assert all(s["rung"] is not None and s["skipped"] is None for s in judged)
    assert body["document"]["n_segments"] == len(judged)
    page = client.post("/check", data={"text": MINUTES})
    assert page.status_code == 200 and "ikke vurderet" in page.text and "indholdsfortegnelse" in page.text
    only_noise = client.post("/api/classify", json={"text": "Indholdsfortegnelse\n1. Godkendelse af dagsorden\n2. Eventuelt"}).json()
    assert only_noise["document"]["n_segments"] >= 1  # nothing but noise: judged anyway, so there is an answer


def test_check_takes_the_library_classification(client, monkeypatch):
    """One place computes a document's classification: the page and the API show what
    `classify.classify_document` (the library, as `samskab explain --file`) returns, agenda-item titles included."""
    from pipeline import classify

    results = []
    library = classify.classify_document

    def spy(*args, **kwargs):
        results.append(library(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(classify, "classify_document", spy)
    body = client.post("/api/classify", json={"text": MINUTES}).json()
    assert len(results) == 1
    preds, document = results[0]
    assert [(s["id"], s["rung"], s["rung_proba"], s["item"]) for s in body["segments"]] == [
        (p["id"], p["rung"], p["rung_proba"], p.get("item")) for p in preds]
    assert [s["item"] for s in body["segments"] if s["item"]][-1] == "2. Dialogmøde om skolestruktur"
    assert (body["document"]["rung"], body["document"]["rung_proba"]) == (document["rung"], document["rung_proba"])
    page = client.post("/check", data={"text": MINUTES}).text
    assert len(results) == 2
    assert '<h3 class="item-title">2. Dialogmøde om skolestruktur</h3>' in page


UPLOAD_MINUTES = ("Arbejdsmarkedsudvalget\n\n1. Godkendelse af dagsorden\nBeslutning: Godkendt.\n\n"
                  "2. Ny model for jobsamtaler\nSagsfremstilling: Der er indkommet høringssvar fra Handicaprådet, og borgerne "
                  "forbereder selv deres samtaler sammen med sagsbehandleren.\nBeslutning: Godkendt.\n")


def test_upload_guesses_the_document_type_as_ingest_does(client, tmp_path, monkeypatch):
    """One function guesses genre, municipality and year for `samskab ingest` and the upload: from the file's
    own name (here "referat", where the text alone suggests a høringsnotat), never from the server's temporary copy."""
    import tempfile

    from pipeline.ingest import read_document
    from pipeline.web.uploads import extract_upload

    path = tmp_path / "viborg_2024_referat.txt"
    path.write_text(UPLOAD_MINUTES, encoding="utf-8")
    (ingested,) = read_document(path)
    assert (ingested["doc_type"], ingested["municipality"], ingested["year"]) == ("referat", "Viborg", 2024)
    uploaded = extract_upload(path.read_bytes(), path.name)
    assert {k: uploaded.get(k) for k in ("doc_type", "municipality", "year", "inferred")} == {
        k: ingested.get(k) for k in ("doc_type", "municipality", "year", "inferred")}
    page = client.post("/check", files={"file": (path.name, path.read_bytes(), "text/plain")})
    assert page.status_code == 200 and "Type: referat (gættet)" in page.text and "Kommune: Viborg (gættet)" in page.text
    real_mkdtemp = tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", lambda prefix="": real_mkdtemp(prefix=prefix + "2019-"))
    assert extract_upload(path.read_bytes()).get("year") is None  # not the year in the server's folder name
    markdown = extract_upload(b"# Projektbeskrivelse: Spisevenner\n\nFrivillige spiser med beboerne.\n", "odense.md")
    assert markdown["title"] == "Projektbeskrivelse: Spisevenner" and markdown["doc_type"] == "projektbeskrivelse"
