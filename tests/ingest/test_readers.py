"""Each reader on a real small file; bad input gives the right error."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import CorruptFileError, EmptyDocumentError, EncryptedFileError, InputFileError, NeedsOCRError, UnsupportedFileType
from pipeline.ingest import read_document
from pipeline.ingest.readers import READERS, SUFFIXES, file_type


def test_registry_covers_every_suffix():
    assert set(SUFFIXES.values()) <= set(READERS)
    assert {"pdf", "html", "docx", "text", "table", "hf_dataset"} == set(READERS)


def test_pdf_text_with_danish_letters_and_no_furniture(referat_pdf: Path):
    [doc] = read_document(referat_pdf)
    text = doc["text"]
    assert "Økonomiudvalget" in text and "Gellerup og Toveshøj" in text and "fællesskab" in text
    assert "Side 1 af 41" not in text and "Side 2" not in text
    assert "Referat 23.08.2017" not in text  # the running header
    assert "kommune- og lokalplan" in text and "kom-" not in text  # hyphen joined, suspended hyphen kept
    assert "gennem et borgerpanel" in text  # a paragraph continues over the line break
    assert doc["municipality"] == "Aarhus"  # from the running header, before it was removed
    assert doc["date"] == "2017-08-23" and doc["year"] == 2017 and doc["doc_type"] == "referat"


def test_two_column_page_keeps_columns_apart(two_column_pdf: Path):
    [doc] = read_document(two_column_pdf)
    text = doc["text"]
    left = text.index("Venstre spalte handler om ældreplejen og om plejecentrets nye værested for pårørende og frivillige.")
    right = text.index("Højre spalte handler om skolerne og om lektiecaféen på Søndervang drevet af forældre og lærere.")
    assert left < right


@pytest.mark.parametrize(("fixture", "error", "words"), [
    ("corrupt_pdf", CorruptFileError, "cannot be read as PDF"),
    ("encrypted_pdf", EncryptedFileError, "encrypted"),
    ("scanned_pdf", NeedsOCRError, "OCR"),
    ("empty_file", EmptyDocumentError, "empty"),
])
def test_bad_files_raise_one_clear_error(request, fixture: str, error: type, words: str):
    path = request.getfixturevalue(fixture)
    with pytest.raises(error) as info:
        read_document(path)
    message = str(info.value)
    assert str(path) in message and words in message and "\n" not in message


def test_unsupported_and_missing(tmp_path: Path):
    odd = tmp_path / "regneark.xlsx"
    odd.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(UnsupportedFileType, match="xlsx"):
        read_document(odd)
    with pytest.raises(InputFileError, match="no such file"):
        read_document(tmp_path / "findes_ikke.pdf")


def test_docx_paragraphs_and_tables(docx_file: Path):
    [doc] = read_document(docx_file)
    assert "Søndervang Boligforening | Stiller lokaler til rådighed" in doc["text"]
    assert doc["text"].index("Formål") < doc["text"].index("Partner") < doc["text"].index("1,2 mio. kr.")
    assert doc["title"] == "Projektbeskrivelse: Fælles om Søndervang" and "title" not in doc["inferred"]
    assert doc["doc_type"] == "projektbeskrivelse"


def test_html_main_text_without_boilerplate(html_file: Path):
    [doc] = read_document(html_file)
    text = doc["text"]
    assert "Børne- og Skoleudvalget tre modeller" in text
    for junk in ("Forside", "Erhverv", "cookies", "Tilgængelighedserklæring", "Rådhuspladsen"):
        assert junk not in text
    assert doc["date"] == "2020-03-12"


def test_html_fallback_when_trafilatura_finds_nothing(tmp_path: Path):
    path = tmp_path / "kort.htm"
    path.write_text("<html><body><nav>Menu Forside</nav><p>Kort besked om vejarbejde på Åboulevarden.</p>"
                    "<footer>Kontakt os</footer></body></html>", encoding="utf-8")
    [doc] = read_document(path)
    assert "Åboulevarden" in doc["text"] and "Menu" not in doc["text"] and "Kontakt" not in doc["text"]


def test_markdown_headings(tmp_path: Path):
    path = tmp_path / "strategi.md"
    path.write_text("# Strategi for frivillighed\n\n## Vision\n\nVi vil skabe mere sammen med borgerne i hele kommunen.\n", encoding="utf-8")
    [doc] = read_document(path)
    assert doc["text"].startswith("Strategi for frivillighed") and doc["doc_type"] == "politik_strategi"


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_tables_one_document_per_row(tmp_path: Path, suffix: str):
    import pandas as pd

    frame = pd.DataFrame({
        "id": ["r1", "r2", "r3"],
        "body": ["Frivillige driver lektiecaféen på skolen sammen med lærerne.", "", "Kbh. inviterer borgere til dialogmøde om ny park."],
        "municipality": ["Århus", "Aarhus", None],
        "date": ["2019-03-12", None, "12. marts 2019"],
        "doc_type": ["evaluering", None, "nyhed"],
    })
    path = tmp_path / f"tabel{suffix}"
    {"csv": lambda: frame.to_csv(path, index=False), "jsonl": lambda: frame.to_json(path, orient="records", lines=True, force_ascii=False),
     "parquet": lambda: frame.to_parquet(path)}[suffix.lstrip(".")]()
    docs = read_document(path, text_column="body")
    assert [d["id"] for d in docs] == ["r1", "r3"]  # the empty row is skipped, ids kept
    assert docs[0]["municipality"] == "Aarhus" and "municipality" not in docs[0]["inferred"]
    assert docs[0]["year"] == 2019 and docs[0]["doc_type"] == "evaluering"
    assert docs[1]["municipality"] == "København" and "municipality" in docs[1]["inferred"]
    assert docs[1]["date"] == "2019-03-12"


def test_table_without_text_column(tmp_path: Path):
    path = tmp_path / "forkert.csv"
    path.write_text("id,tekst\n1,hej\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="--text-column"):
        read_document(path)


def test_hf_dataset_folder(tmp_path: Path):
    import datasets

    folder = tmp_path / "ds"
    ds = datasets.DatasetDict({
        "train": datasets.Dataset.from_dict({"text": ["Borgerne inddrages i planlægningen af den nye skole i Vejle."], "municipality": ["Vejle"]}),
        "test": datasets.Dataset.from_dict({"text": ["Foreningerne driver idrætshallen sammen med kommunen i Vejle."], "municipality": ["Vejle Kommune"]}),
    })
    ds.save_to_disk(str(folder))
    assert file_type(folder) == "hf_dataset"
    docs = read_document(folder)
    assert len(docs) == 2 and {d["municipality"] for d in docs} == {"Vejle"}
