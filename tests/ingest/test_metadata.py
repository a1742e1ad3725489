"""Dates, municipalities, genres and language inferred from Danish documents."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeline.errors import UnknownMunicipalityError
from pipeline.ingest.metadata import infer_date, infer_doc_type, language_flags, load_manifest, parse_date
from pipeline.ingest.municipalities import (
    MUNICIPALITIES_CSV, find_municipality_in_path, find_municipality_in_text, load_municipalities, require_municipality,
    resolve_municipality,
)

from .conftest import DANISH_TEXT, ENGLISH_TEXT


@pytest.mark.parametrize(("text", "iso"), [
    ("Byrådets møde 12. marts 2019", "2019-03-12"),
    ("12.03.2019", "2019-03-12"),
    ("2019-03-12", "2019-03-12"),
    ("Mødedato: 23.08.2017, kl. 11:00", "2017-08-23"),
    ("Onsdag den 15. maj 2002 kl. 16.00", "2002-05-15"),
    ("den 3. feb. 2020", "2020-02-03"),
    ("1.12.2020", "2020-12-01"),
    ("31.02.2019 og 1. april 2019", "2019-04-01"),  # impossible dates are skipped
    ("Sagsnr.: 330-2018-3619", None),
    ("", None),
])
def test_parse_date(text: str, iso: str | None):
    assert parse_date(text) == iso


def test_labelled_date_beats_earlier_dates():
    text = "Referat\nBudget 2019-2022, vedtaget 01.10.2018\nMødedato: 23.08.2017\n"
    assert infer_date(text) == "2017-08-23"
    assert infer_date("Kommunalbestyrelsen\nOnsdag den 15. maj 2002\nLovgrundlag fra 1.1.1999") == "2002-05-15"


@pytest.mark.parametrize(("text", "doc_type"), [
    ("Referat\nØkonomiudvalget\n1. Godkendelse af dagsorden", "referat"),
    ("Dagsorden\nByrådet\n1. Godkendelse af dagsorden", "dagsorden"),
    ("Beslutningsprotokol for Kommunalbestyrelsen", "beslutningsprotokol"),
    ("Projektbeskrivelse: Fælles om Søndervang", "projektbeskrivelse"),
    ("Høringsnotat vedrørende lokalplan 1042", "høringsnotat"),
    ("Frivillighedspolitik 2020-2024\nVi vil ...", "politik_strategi"),
    ("Evaluering af lektiecaféen", "evaluering"),
    ("Nyheder\nBorgermøde om skolerne", "nyhed"),
    ("Noget helt andet", None),
])
def test_infer_doc_type(text: str, doc_type: str | None):
    assert infer_doc_type(text) == doc_type


def test_doc_type_from_file_name_first():
    assert infer_doc_type("Høringsnotat ...", path="data/referat_2019-03-12.pdf") == "referat"


def test_municipality_table_is_complete():
    rows = load_municipalities()
    assert len(rows) == 98 and len({m.code for m in rows}) == 98 and len({m.name for m in rows}) == 98
    by_code = {m.code: m.name for m in rows}
    assert by_code["101"] == "København" and by_code["147"] == "Frederiksberg" and by_code["751"] == "Aarhus"
    assert by_code["851"] == "Aalborg" and by_code["461"] == "Odense" and by_code["400"] == "Bornholm"
    assert {m.region for m in rows} == {"Region Hovedstaden", "Region Sjælland", "Region Syddanmark",
                                        "Region Midtjylland", "Region Nordjylland"}
    with open(MUNICIPALITIES_CSV, encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ["kommunekode", "name", "region", "variants"]


@pytest.mark.parametrize(("value", "name"), [
    ("Kbh.", "København"), ("Kbh", "København"), ("Københavns Kommune", "København"), ("Borgerrepræsentationen", "København"),
    ("Århus", "Aarhus"), ("Århus Kommune", "Aarhus"), ("aarhus", "Aarhus"),
    ("Høje Taastrup", "Høje-Taastrup"), ("Høje-Taastrup Kommune", "Høje-Taastrup"), ("Roskilde Kommunes", "Roskilde"),
    ("Lyngby-Taarbæk", "Lyngby-Taarbæk"), ("Ringkøbing Skjern", "Ringkøbing-Skjern"), ("koebenhavn", "København"),
    ("Bornholms Regionskommune", "Bornholm"), ("751", "Aarhus"), ("Atlantis", None), ("", None),
])
def test_resolve_municipality(value: str, name: str | None):
    assert resolve_municipality(value) == name


def test_unknown_municipality_error_names_the_place():
    with pytest.raises(UnknownMunicipalityError, match=r"manifest.csv:3.*'Atlantis'"):
        require_municipality("Atlantis", where="manifest.csv:3")


@pytest.mark.parametrize(("text", "name"), [
    ("Referat fra Borgerrepræsentationen. Kbh. vil inddrage borgerne.", "København"),
    ("Århus Kommune inviterer til borgermøde. Odense var også med.", "Aarhus"),
    ("Høje Taastrup Kommune og foreningerne", "Høje-Taastrup"),
    ("Vejen til samskabelse er lang.", None),  # 'vejen' the road, not Vejen Kommune
    ("Vejen Kommune har vedtaget en frivillighedspolitik.", "Vejen"),
    ("Intet stednavn her.", None),
])
def test_municipality_in_text(text: str, name: str | None):
    assert find_municipality_in_text(text) == name


@pytest.mark.parametrize(("path", "name"), [
    ("corpus/koebenhavn/2019/referat.pdf", "København"),
    ("corpus/aarhus_kommune/referat.pdf", "Aarhus"),
    ("corpus/hoeje_taastrup/notat.txt", "Høje-Taastrup"),
    ("corpus/Høje-Taastrup/notat.txt", "Høje-Taastrup"),
    ("corpus/2019/referat.pdf", None),
])
def test_municipality_in_path(path: str, name: str | None):
    assert find_municipality_in_path(path) == name


def test_language_flags():
    assert language_flags(DANISH_TEXT) == []
    assert language_flags(ENGLISH_TEXT) == ["non_danish"]
    swedish = ("Kommunen och föreningarna ska arbeta tillsammans för att skapa fler aktiviteter för unga. "
               "Det är inte alltid lätt, men vi kommer att göra det också i år när projektet startar.")
    norwegian = ("Kommunen skal samarbeide med frivillige lag og foreninger om aktiviteter for ungdom. Det ble "
                 "besluttet etter møtet at noen av midlene skal brukes til dette, og hva det koster er avklart.")
    assert language_flags(swedish) == ["non_danish"]
    assert language_flags(norwegian) == ["non_danish"]
    assert language_flags("For kort.") == []


def test_manifest(tmp_path: Path):
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,municipality,date,doc_type,title,url,committee\n"
                        "a.txt,Kbh.,12. marts 2019,referat,Et referat,,Økonomiudvalget\n"
                        "b.txt,Atlantis,,,,,\n"
                        "c.txt,Aarhus,not a date,,,,\n", encoding="utf-8")
    meta = load_manifest(manifest)
    a = meta[str((tmp_path / "a.txt").resolve())]
    assert a["municipality"] == "København" and a["date"] == "2019-03-12" and a["committee"] == "Økonomiudvalget"
    b = meta[str((tmp_path / "b.txt").resolve())]
    assert "Atlantis" in str(b["error"]) and "manifest.csv:3" in str(b["error"])
    assert "not a date" in str(meta[str((tmp_path / "c.txt").resolve())]["error"])


@pytest.mark.parametrize(("name", "date", "year"), [
    ("holbaek_2024_referat.pdf", None, 2024),
    ("referat_2024-03-12.pdf", "2024-03-12", 2024),
    ("byraad 12.03.2019.txt", "2019-03-12", 2019),
    ("notat.txt", None, None),
    ("sag_12345678.txt", None, None),
])
def test_date_and_year_from_file_name(name, date, year):
    from pipeline.ingest.metadata import date_from_path, year_from_path

    assert date_from_path(name) == date and year_from_path(name) == year


def test_text_date_beats_file_name(tmp_path: Path):
    from pipeline.ingest.metadata import complete_metadata

    doc = complete_metadata({"text": "Mødedato: 23.08.2017\n\nReferat"}, path=tmp_path / "holbaek_2024_referat.txt")
    assert doc["date"] == "2017-08-23" and doc["year"] == 2017
    doc = complete_metadata({"text": "Referat uden dato"}, path=tmp_path / "2021" / "referat.txt")
    assert doc.get("date") is None and doc["year"] == 2021 and "year" in doc["inferred"]


def test_documents_from_paths_uses_folder_manifest(tmp_path: Path):
    from pipeline.ingest import documents_from_paths

    (tmp_path / "a.txt").write_text("Borgerne inddrages i planen for området.", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("path,municipality,date\na.txt,Odense,2020-01-02\n", encoding="utf-8")
    [doc] = list(documents_from_paths([tmp_path]))
    assert doc["municipality"] == "Odense" and doc["date"] == "2020-01-02"
    (tmp_path / "manifest.csv").write_text("id,text\n1,Et manifest uden path-kolonne er en tabel.\n", encoding="utf-8")
    assert len(list(documents_from_paths([tmp_path]))) == 2  # no 'path' column: just a table of documents
