"""Minutes as municipalities publish them (issue 18): web minutes pages and council PDFs.

Items with their full titles, the section vocabulary of real minutes with a section kind per
segment, noise kinds (table of contents, navigation, attendance, appendix lists, case history),
real hyphens kept at line ends, and section kinds stored and passed on by classify.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ingest import ingest, read_document
from pipeline.segment import NOISE_SECTION_KINDS, SECTION_KINDS, clean_text, item_title, segment_document
from pipeline.store import CorpusStore

from .minutes_fixtures import AGENDA_ITEMS, COMMITTEE_ITEMS, COUNCIL_ITEMS, Fixture, agenda_html, committee_html, council_pdf, plain


@pytest.fixture(scope="module")
def web_minutes(tmp_path_factory) -> tuple[dict, list[dict], Fixture]:
    html, fixture = committee_html()
    path = tmp_path_factory.mktemp("web") / "aarhus_teknisk_udvalg_referat.html"
    path.write_text(html, encoding="utf-8")
    [doc] = read_document(path)
    return doc, segment_document(doc), fixture


@pytest.fixture(scope="module")
def block_minutes(tmp_path_factory) -> tuple[dict, list[dict], Fixture]:
    html, fixture = agenda_html()
    path = tmp_path_factory.mktemp("blocks") / "holbaek_boerne_og_skoleudvalget_referat.html"
    path.write_text(html, encoding="utf-8")
    [doc] = read_document(path)
    return doc, segment_document(doc), fixture


@pytest.fixture(scope="module")
def pdf_minutes(tmp_path_factory) -> tuple[dict, list[dict], Fixture]:
    path = tmp_path_factory.mktemp("pdf") / "aarhus_byraad_referat.pdf"
    fixture = council_pdf(path)
    [doc] = read_document(path)
    return doc, segment_document(doc), fixture


def _items(segments: list[dict]) -> list[str]:
    return list(dict.fromkeys(s["item"] for s in segments if s["item"] and s["section_kind"] != "toc"))


def _kind_of(segments: list[dict], body: str) -> set[str]:
    """Kinds of the segments that hold (the first words of) a gold section body."""
    head = " ".join(plain(body).split()[:10])
    return {s["section_kind"] for s in segments if head in " ".join(s["text"].split())}


def test_section_kind_vocabulary_is_the_contract():
    assert set(SECTION_KINDS) == {"content", "decision", "proposal", "case_history", "appendix_list", "attendance", "toc", "navigation"}
    assert NOISE_SECTION_KINDS == frozenset({"toc", "navigation", "attendance", "appendix_list", "case_history"})


@pytest.mark.parametrize("layout", ["web_minutes", "block_minutes", "pdf_minutes"])
def test_every_item_with_its_full_title(layout, request):
    doc, segments, fixture = request.getfixturevalue(layout)
    items = _items(segments)
    assert [item_title(i) for i in items] == [" ".join(item.title.split()) for item in fixture.items]
    assert [i.split(".")[0] for i in items] == [str(item.number) for item in fixture.items]
    for s in segments:  # offsets stay exact, every segment carries a known kind
        assert doc["text"][s["start"]:s["end"]] == s["text"]
        assert s["section_kind"] in SECTION_KINDS


@pytest.mark.parametrize("layout", ["web_minutes", "block_minutes", "pdf_minutes"])
def test_section_kinds_and_no_segment_straddles_items(layout, request):
    _, segments, fixture = request.getfixturevalue(layout)
    for number, kind, body in fixture.gold_sections():
        assert _kind_of(segments, body) == {kind}, (number, kind, body[:40])
    for s in segments:  # a segment never runs into the next item: no item title inside a segment's text
        if s["section_kind"] != "toc":
            flat = " ".join(s["text"].split())
            assert not any(f"{item.number}. " + " ".join(item.title.split()[:4]) in flat for item in fixture.items)
    assert max(len(s["text"]) for s in segments) < 600


def test_web_minutes_metadata_case_numbers_and_navigation(web_minutes):
    doc, segments, _ = web_minutes
    assert doc["committee"] == "Teknisk Udvalg" and doc["date"] == "2025-06-16" and doc["doc_type"] == "referat"
    assert "html_structure" in doc["flags"]
    assert not any("EMN-2025" in s["text"] for s in segments)  # the case number is metadata, not text
    for phrase in ("Tilbage til forsiden", "Hent som PDF", "Til toppen"):
        holders = [s for s in segments if phrase in s["text"]]
        assert holders and {s["section_kind"] for s in holders} == {"navigation"}
    assert not any("cookies" in s["text"] or "Privatlivspolitik" in s["text"] for s in segments)
    head = [s for s in segments if s["item"] is None and s["section_kind"] != "navigation"]
    assert head and {s["section_kind"] for s in head} == {"attendance"}  # Udvalg / Mødedato / Mødested


def test_block_minutes_metadata(block_minutes):
    doc, segments, _ = block_minutes
    assert doc["municipality"] == "Holbæk" and doc["committee"] == "Børne- og Skoleudvalget" and doc["date"] == "2024-05-15"
    assert not any("Sagsnr" in s["text"] or "Åben sag" in s["text"] for s in segments)
    assert {s["section_kind"] for s in segments if s["item"] is None} == {"navigation", "attendance"}


def test_pdf_minutes_toc_hyphens_and_running_headers(pdf_minutes):
    doc, segments, _ = pdf_minutes
    assert doc["committee"] == "Aarhus Byråd" and doc["date"] == "2025-08-20"
    text = doc["text"]
    assert "2030-fremskrivning" in text and "underskrifter" in text and "flere kommuner" in text
    assert "Aarhus Byråd - Referat" not in text and "Side 2 af" not in text
    toc = [s for s in segments if s["section_kind"] == "toc"]
    assert len(toc) == 1 and toc[0]["text"].startswith("Indholdsfortegnelse") and toc[0]["item"] is None
    attendance = [s for s in segments if s["section_kind"] == "attendance"]
    assert any("Anne Holm" in s["text"] for s in attendance)
    perle = [s for s in segments if s["item"] and s["item"].startswith("2.")]
    assert perle[0]["section"] == "Beslutninger" and perle[0]["text"].startswith("Fremsendes til Aarhus Byråd")
    assert {s["section"]: s["section_kind"] for s in perle}["Sagsforløb"] == "case_history"
    bilag = next(s for s in perle if s["section"] == "Bilag")
    assert bilag["section_kind"] == "appendix_list" and "påført 07.04.2025" in bilag["text"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("den nye 2030-\nfremskrivning viser", "den nye 2030-fremskrivning viser"),
    ("midler fra EU-\nprogrammet", "midler fra EU-programmet"),
    ("Høje-\nTaastrup", "Høje-Taastrup"),
    ("i kom-\nmunen", "i kommunen"),
    ("Børne-\nog Ungeudvalget", "Børne- og Ungeudvalget"),
])
def test_only_real_word_breaks_are_joined(raw, expected):
    assert clean_text(raw) == expected


def test_title_continues_until_case_number_or_section():
    text = ("1. Godkendelse af dagsorden\nBeslutning\nGodkendt.\n\n"
            "2. Udvikling af den sidste byggegrund på havnefronten og\nborgerinddragelse i konkurrencen\n"
            "Sagsnr.: 25/1234\nResume\nBeboerne inddrages i dommerkomitéen.\n\n"
            "Punkt 3: Meddelelser\nBorgmesteren orienterede om budgettet.\n")
    segments = segment_document({"id": "d", "text": text, "doc_type": "referat"})
    assert _items(segments) == ["1. Godkendelse af dagsorden",
                                "2. Udvikling af den sidste byggegrund på havnefronten og borgerinddragelse i konkurrencen",
                                "Punkt 3: Meddelelser"]
    assert [s["text"] for s in segments if s["item"] == "Punkt 3: Meddelelser"] == ["Borgmesteren orienterede om budgettet."]


def test_table_of_contents_ends_at_the_first_real_item():
    toc = "Indholdsfortegnelse\n1. Godkendelse af dagsorden ...... 2\n2. Ny lokalplan for havnen og\nboligerne ved kajen ...... 3\n\n"
    no_headings = toc + ("1. Godkendelse af dagsorden\nDagsordenen blev godkendt uden bemærkninger.\n\n"
                         "2. Ny lokalplan for havnen og\nboligerne ved kajen\nBeslutning\nGodkendt.\n")
    segments = segment_document({"id": "d", "text": no_headings, "doc_type": "referat"})
    assert [(s["item"], s["section_kind"]) for s in segments] == [
        (None, "toc"), ("1. Godkendelse af dagsorden", "content"), ("2. Ny lokalplan for havnen og boligerne ved kajen", "decision")]
    prose = "Indholdsfortegnelse\n\nDenne rapport beskriver, hvordan borgerne blev inddraget i arbejdet med den nye plan for hele området.\n"
    segments = segment_document({"id": "d", "text": prose, "doc_type": "referat"})
    assert [s["section_kind"] for s in segments] == ["toc", "content"]


def test_section_name_variants_and_kinds():
    text = ("1. Anlæg af stier\nBESLUTNINGER\nGodkendt.\nSagsfremstilling\nStierne anlægges i samarbejde med grundejerne.\n"
            "Bevillingsmæssige konsekvenser\nUdgiften er 2 mio. kr.\nIndstilling\nForvaltningen indstiller, at stierne anlægges.\n"
            "Teknik og Miljøs påtegning\nIngen bemærkninger til sagen.\nBilag\nBilag 1: Kort over stierne\n")
    got = [(s["section"], s["section_kind"]) for s in segment_document({"id": "d", "text": text, "doc_type": "referat"})]
    assert got == [("Beslutninger", "decision"), ("Sagsfremstilling", "content"), ("Bevillingsmæssige konsekvenser", "content"),
                   ("Indstilling", "proposal"), ("Påtegning", "content"), ("Bilag", "appendix_list")]


def test_other_genres_stay_content():
    text = "Formål\n\nProjektet skal styrke samarbejdet med foreningerne.\n\nOrganisering\n\nDer nedsættes en styregruppe."
    assert {s["section_kind"] for s in segment_document({"id": "d", "text": text, "doc_type": "projektbeskrivelse"})} == {"content"}


def test_store_keeps_section_kind_and_old_files_still_read(tmp_path: Path, pdf_minutes):
    import duckdb

    path = tmp_path / "aarhus_byraad_referat.pdf"
    council_pdf(path)
    db = tmp_path / "corpus.duckdb"
    with CorpusStore(db) as store:
        [result] = list(ingest([path], store=store))
        assert result.status == "added"
        stored = [s for batch in store.iter_segments() for s in batch]
    assert {s["section_kind"] for s in stored} >= {"toc", "decision", "proposal", "case_history", "appendix_list", "content"}

    old = tmp_path / "old.duckdb"  # a corpus file written before section kinds
    con = duckdb.connect(str(old))
    con.execute('CREATE TABLE segments (id VARCHAR PRIMARY KEY, doc_id VARCHAR NOT NULL, position INTEGER NOT NULL, section VARCHAR, '
                'item VARCHAR, start INTEGER, "end" INTEGER, text VARCHAR NOT NULL, municipality VARCHAR, date VARCHAR, year INTEGER, '
                'doc_type VARCHAR)')
    con.execute("INSERT INTO segments VALUES ('d#0', 'd', 0, NULL, NULL, 0, 5, 'Tekst', 'Aarhus', NULL, 2020, 'referat')")
    con.close()
    with CorpusStore(old, read_only=True) as store:
        [[record]] = list(store.iter_segments())
        assert record["text"] == "Tekst" and "section_kind" not in record
    with CorpusStore(old) as store:  # opened for writing, the column is added
        [[record]] = list(store.iter_segments())
        assert record["section_kind"] is None


def test_classify_passes_section_kind_through(tiny_model_dir: Path):
    from pipeline.classify import classify_batch
    from pipeline.models import load_model

    model = load_model(tiny_model_dir)
    records = [{"id": "a", "text": "Borgerne inddrages i en følgegruppe.", "section_kind": "content"},
               {"id": "b", "text": "Bilag 1: Kort over stierne", "section_kind": "appendix_list"}]
    out = classify_batch(model, records)
    assert [r["section_kind"] for r in out] == ["content", "appendix_list"]


def test_fixture_items_are_distinct():  # guards the gold itself
    for items in (COMMITTEE_ITEMS, AGENDA_ITEMS, COUNCIL_ITEMS):
        assert len({i.number for i in items}) == len(items) and all(i.sections for i in items)


def test_a_short_sentence_about_the_body_is_content_not_the_meeting_head():
    """A one-line item text naming the council is what was done, not who met: it must be classified."""
    from pipeline.segment import segment_document

    segs = segment_document({"id": "d", "doc_type": "referat",
                             "text": "Referat\n\nByrådet drøftede borgerinddragelse i den nye lokalplan."})
    kinds = {s["text"].strip().splitlines()[-1]: s["section_kind"] for s in segs}
    assert kinds["Byrådet drøftede borgerinddragelse i den nye lokalplan."] == "content"
