"""Segmentation: agenda items and sections of a referat, paragraphs elsewhere, exact offsets."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ingest import read_document
from pipeline.segment import clean_text, segment_document, segment_documents

from .conftest import DANISH_TEXT

REFERAT = """Referat
Økonomiudvalget
Mødedato: 23.08.2017, kl. 11:00
Indholdsfortegnelse
1. Godkendelse af dagsorden ............ 2
2. Borgerinddragelse i lokalplan ........ 3

1. Godkendelse af dagsorden
Beslutning
Godkendt.

2. Borgerinddragelse i ny lokalplan for Gellerup
Sagsnr.: 330-2018-3619
Åben sag
Resumé
Forvaltningen foreslår, at borgerne inddrages tidligt i arbejdet med lokalplanen.
Sagsfremstilling
Byrådet besluttede i 2016 at styrke borgerinddragelsen. Der nedsættes et § 17, stk. 4-udvalg.

Udvalget skal mødes fire gange og aflevere anbefalinger til Teknik- og Miljøudvalget.
Økonomi
Udgifterne på 0,4 mio. kr. afholdes inden for rammen.
Indstilling
Forvaltningen indstiller,
1. at udvalget nedsættes
2. at kommissoriet godkendes
Beslutning i Økonomiudvalget den 23. august 2017:
Anbefales.
Bilag
Kommissorium for § 17, stk. 4-udvalget

Punkt 3: Meddelelser
Borgmesteren orienterede om status på budgetforhandlingerne.
"""


def _doc(text: str, **meta) -> dict:
    return {"id": "d1", "text": text, "municipality": "Aarhus", "date": "2017-08-23", "year": 2017, **meta}


def test_referat_items_and_sections():
    segments = segment_document(_doc(REFERAT, doc_type="referat"))
    got = [(s["item"], s["section"], s["text"]) for s in segments]
    item2 = "2. Borgerinddragelse i ny lokalplan for Gellerup"
    assert ("1. Godkendelse af dagsorden", "Beslutning", "Godkendt.") in got
    sections = [sec for item, sec, _ in got if item == item2]
    assert sections == ["Resumé", "Sagsfremstilling", "Økonomi", "Indstilling", "Beslutning", "Bilag"]
    sag = next(t for item, sec, t in got if sec == "Sagsfremstilling")
    assert sag.startswith("Byrådet besluttede") and sag.endswith("Teknik- og Miljøudvalget.")  # two paragraphs, one section
    assert ("Punkt 3: Meddelelser", None, "Borgmesteren orienterede om status på budgetforhandlingerne.") in got
    indstilling = next(t for _, sec, t in got if sec == "Indstilling")
    assert "1. at udvalget nedsættes" in indstilling  # numbered at-clauses are not agenda items
    assert not any("Sagsnr" in t or "Åben sag" in t or "......" in t for _, _, t in got)  # case metadata and TOC dropped
    for s in segments:
        assert s["municipality"] == "Aarhus" and s["year"] == 2017 and s["doc_type"] == "referat"
        assert s["id"] == f"d1#{s['position']}"
    assert [s["position"] for s in segments] == list(range(len(segments)))


def test_referat_from_pdf_has_sections(referat_pdf: Path):
    [doc] = read_document(referat_pdf)
    segments = segment_document(doc)
    assert {"Resumé", "Sagsfremstilling", "Indstilling", "Beslutning"} <= {s["section"] for s in segments}
    assert any("kommune- og lokalplan udarbejdes i fællesskab" in s["text"] for s in segments)
    assert all("Side " not in s["text"] for s in segments)
    for s in segments:
        assert doc["text"][s["start"]:s["end"]] == s["text"]


def test_paragraphs_for_other_genres():
    segments = segment_document(_doc(DANISH_TEXT, doc_type="projektbeskrivelse"))
    assert [s["section"] for s in segments] == ["Formål", "Organisering"]
    assert segments[0]["text"].startswith("Projektbeskrivelse: Fælles om Søndervang")  # the title joins its paragraph
    assert segments[1]["text"].startswith("Der nedsættes en styregruppe")  # the heading line is the section, not text
    news = "Borgermøde om skolerne\n\nKommunen inviterer alle forældre til møde.\n\nForeningerne deltager også i arbejdet."
    assert [s["text"] for s in segment_document(_doc(news, doc_type="nyhed"))] == [
        "Borgermøde om skolerne\n\nKommunen inviterer alle forældre til møde.", "Foreningerne deltager også i arbejdet."]


def test_long_paragraph_split_at_sentences():
    sentence = "Borgerne inddrages i arbejdet med den nye plan for området, og foreningerne får en fast plads i styregruppen. "
    text = sentence * 40
    segments = segment_document(_doc(text.strip(), doc_type="projektbeskrivelse"), max_chars=500)
    assert len(segments) > 1
    assert all(len(s["text"]) <= 500 for s in segments)
    assert all(s["text"].endswith("styregruppen.") for s in segments)


def test_tiny_fragments_merged():
    text = "Kort.\n\nOgså kort.\n\nHer kommer et afsnit, som er langt nok til at stå for sig selv i korpusset."
    segments = segment_document(_doc(text, doc_type="nyhed"), min_chars=20)
    assert len(segments) == 1 and segments[0]["text"].startswith("Kort.")


def test_clean_text_furniture_and_hyphenation():
    pages = []
    for i in range(1, 5):
        body = ["Første side handler om kom-\nmunens plan og Børne-\nog Unge-\nudvalget.", "Anden side om skolen.",
                "Tredje side om ældreplejen.", "Fjerde side om foreningerne."][i - 1]
        pages.append(f"Byrådet 12. marts 2019\nSide {i} af 41\n{body}\n{i}")
    cleaned = clean_text("\f".join(pages))
    assert "Side" not in cleaned and "Byrådet 12. marts" not in cleaned
    assert "kommunens plan og Børne- og Ungeudvalget." in cleaned and "Fjerde side om foreningerne." in cleaned
    assert "\n1\n" not in cleaned and not cleaned.endswith("4")
    assert clean_text("Indledning ........ 3\nTekst") == "Tekst"
    assert clean_text("Høje-\nTaastrup") == "Høje-Taastrup"


def test_segment_documents_streams():
    docs = [_doc("Et afsnit om borgerinddragelse i kommunen.", doc_type="nyhed"), {**_doc("Endnu et afsnit om frivillige foreninger."), "id": "d2"}]
    assert [s["doc_id"] for s in segment_documents(docs)] == ["d1", "d2"]


def test_empty_document_gives_no_segments():
    assert segment_document(_doc("")) == []
    assert segment_document(_doc("\n\n  \n")) == []


_pieces = st.sampled_from([
    "1. Godkendelse af dagsorden", "Punkt 3: Meddelelser", "Sagsfremstilling", "Beslutning i Byrådet den 1. maj 2019:",
    "Indstilling: Godkendt.", "Side 3 af 41", "12", "Indhold ..... 4", "Sagsnr.: 330-2018", "", " ", "\f",
    "Borgerne inddrages.", "Foreningerne driver huset sammen med kommunen, og de frivillige står for caféen.",
    "kom-", "mune", "2. at der bevilges 1 mio. kr.",
])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_pieces, st.text(max_size=80)), max_size=40), st.sampled_from(["referat", "nyhed", None]),
       st.integers(min_value=50, max_value=400), st.integers(min_value=0, max_value=40))
def test_offsets_invariant(lines, doc_type, max_chars, min_chars):
    text = "\n".join(lines)
    segments = segment_document({"id": "h", "text": text, "doc_type": doc_type}, max_chars=max_chars, min_chars=min_chars)
    previous_end = 0
    for i, s in enumerate(segments):
        assert s["position"] == i
        assert s["text"] in text[s["start"]:s["end"]]
        assert s["text"].strip()
        assert s["start"] >= previous_end  # in order, not overlapping
        previous_end = s["end"]


SENTENCE_SAMPLE = ("Byrådet besluttede jf. § 17, stk. 4 at nedsætte et udvalg. Udvalget mødes den 12. marts og bl.a. i maj. "
                   "Der er afsat 1,2 mio. kr. til projektet, f.eks. til lokaler. Frivillige fra Røde Kors deltager! "
                   "Er det samskabelse? Det vurderes i 2020. Sagen behandles af Børne- og Skoleudvalget.")


def test_sentence_spans_danish_rules():
    from pipeline.segment import _sentence_spans

    sentences = [SENTENCE_SAMPLE[s:e] for s, e in _sentence_spans(SENTENCE_SAMPLE)]
    assert sentences == [
        "Byrådet besluttede jf. § 17, stk. 4 at nedsætte et udvalg.", "Udvalget mødes den 12. marts og bl.a. i maj.",
        "Der er afsat 1,2 mio. kr. til projektet, f.eks. til lokaler.", "Frivillige fra Røde Kors deltager!",
        "Er det samskabelse?", "Det vurderes i 2020.", "Sagen behandles af Børne- og Skoleudvalget."]


@pytest.mark.slow
def test_sentence_cuts_are_spacy_boundaries():
    """Every cut our rules make is also a sentence end for pipeline.nlp.split_sentences."""
    from pipeline.nlp import split_sentences
    from pipeline.segment import _sentence_spans

    spacy_ends = {e for _, e in split_sentences(SENTENCE_SAMPLE)}
    assert {e for _, e in _sentence_spans(SENTENCE_SAMPLE)} <= spacy_ends
