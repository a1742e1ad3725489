"""æ, ø and å survive every encoding our users bring."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ingest import read_document
from pipeline.encoding import decode_bytes, detect_encoding, repair_text

from .conftest import DANISH_TEXT


@pytest.mark.parametrize("fixture", ["cp1252_txt", "bom_txt", "mojibake_txt"])
def test_danish_letters_survive(request, fixture: str):
    [doc] = read_document(request.getfixturevalue(fixture))
    assert "Fælles om Søndervang" in doc["text"] and "følger op på økonomi" in doc["text"]
    assert "\ufeff" not in doc["text"] and "Ã" not in doc["text"]


def test_flags(cp1252_txt: Path, bom_txt: Path, mojibake_txt: Path):
    assert "encoding_cp1252" in read_document(cp1252_txt)[0]["flags"]
    assert read_document(bom_txt)[0]["flags"] == []
    assert "mojibake_repaired" in read_document(mojibake_txt)[0]["flags"]


def test_detect_encoding():
    assert detect_encoding("Ærø og Læsø".encode("utf-8")) == "utf-8"
    assert detect_encoding("Ærø og Læsø".encode("cp1252")) == "cp1252"
    assert detect_encoding(b"\xef\xbb\xbfhej") == "utf-8-sig"
    assert detect_encoding("Ærø og Læsø".encode("utf-16")) == "utf-16"


def test_clean_text_is_not_touched():
    text = "Borgerne på Ærø: “samskabelse” – ja tak. Ã er ikke altid mojibake? Ja: Ãbenrå"
    assert repair_text("Københavns Kommune")[0] == "Københavns Kommune"
    assert repair_text("KÃ¸benhavns Kommune") == ("Københavns Kommune", ["mojibake_repaired"])
    assert repair_text(text)[0].startswith("Borgerne på Ærø")


# "§" and "½" are left out: in cp1252 they are UTF-8 continuation bytes, so "Å§" is
# genuinely ambiguous (it is also the UTF-8 of "ŧ"); real Danish text does not hit it
@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcæøåÆØÅ éè.,-\n")), max_size=200))
def test_round_trip_utf8_and_cp1252(text: str):
    for encoding in ("utf-8", "cp1252"):
        decoded, _, _ = decode_bytes(text.encode(encoding))
        assert decoded == text


def test_danish_sample_round_trip():
    assert decode_bytes(DANISH_TEXT.encode("cp1252"))[0] == DANISH_TEXT
    law = "jf. serviceloven § 83 og § 17, stk. 4 – ½ mio. kr. til Ærø"
    assert decode_bytes(law.encode("cp1252"))[0] == law
