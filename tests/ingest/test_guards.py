"""Hostile input at ingest (issue 16): binary files under text names, DOCX bombs."""

from __future__ import annotations

import shutil
import sys
import time
import zipfile
from pathlib import Path

import pytest

from pipeline.errors import BinaryFileError, CorruptFileError, UnsafeFileError
from pipeline.ingest import ingest, read_document
from pipeline.ingest.guards import check_docx, sniff_binary
from pipeline.store import CorpusStore


def _docx_with_body(src: Path, out: Path, body: bytes) -> Path:
    """A copy of a real DOCX whose word/document.xml body is replaced by ``body``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "word/document.xml":
                head, _, rest = data.partition(b"<w:body>")
                data = head + b"<w:body>" + body + b"</w:body></w:document>"
            zout.writestr(info.filename, data)
    return out


def test_elf_renamed_txt_is_reported_not_stored(tmp_path: Path):
    fake = tmp_path / "referat.txt"
    shutil.copyfile(sys.executable if Path(sys.executable).read_bytes()[:4] == b"\x7fELF" else "/bin/ls", fake)
    with pytest.raises(BinaryFileError, match=r"E018.*referat\.txt.*executable program \(ELF\)"):
        read_document(fake)
    good = tmp_path / "note.txt"
    good.write_text("Borgerne inddrages i planen for området.", encoding="utf-8")
    with CorpusStore(tmp_path / "c.duckdb") as store:
        results = {Path(r.path).name: r for r in ingest([tmp_path], store=store)}
        assert results["referat.txt"].status == "failed" and "E018" in results["referat.txt"].error
        assert results["note.txt"].status == "added"
        assert store.count_documents() == 1


@pytest.mark.parametrize(("head", "binary"), [
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 40, True),
    (b"\x89PNG\r\n\x1a\n", True),
    (b"Tekst\x00med\x00nul", True),
    (bytes(range(1, 32)) * 20, True),
    ("Referat fra Byrådet, æøå.\n\fSide 2".encode("utf-8"), False),
    ("Kommunen".encode("utf-16"), False),
    ("Å".encode("cp1252") * 100, False),
    (b"", False),
])
def test_sniff_binary(head: bytes, binary: bool):
    assert (sniff_binary(head) is not None) is binary


def test_html_with_binary_content_is_refused(tmp_path: Path):
    path = tmp_path / "page.html"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(BinaryFileError, match="image"):
        read_document(path)


def test_docx_bomb_refused_fast(tmp_path: Path, docx_file: Path):
    bomb = _docx_with_body(docx_file, tmp_path / "bomb.docx", b"<w:p/>" * 3_000_000)
    assert bomb.stat().st_size < 100_000  # small on disk, 18 MB of XML inside
    t0 = time.perf_counter()
    with pytest.raises(UnsafeFileError, match=r"E019.*bomb\.docx: refused"):
        read_document(bomb)
    assert time.perf_counter() - t0 < 5  # parsing it took 26 s; the check reads the stream once and stops
    with pytest.raises(UnsafeFileError, match="upload.docx.*over 200,000 paragraphs"):  # the web upload path checks bytes
        check_docx(bomb.read_bytes(), name="upload.docx", max_ratio=10_000)  # counted, even when the ratio looks fine
    with CorpusStore(tmp_path / "c.duckdb") as store:
        [result] = list(ingest([bomb], store=store))
        assert result.status == "failed" and "E019" in result.error and store.count_documents() == 0


def test_docx_declared_size_and_ratio(tmp_path: Path, docx_file: Path):
    big = _docx_with_body(docx_file, tmp_path / "big.docx", b"<w:p><w:r><w:t>" + b"a" * 30_000_000 + b"</w:t></w:r></w:p>")
    with pytest.raises(UnsafeFileError, match="times its size"):
        check_docx(big)
    with pytest.raises(UnsafeFileError, match="unpacks to"):
        check_docx(big, max_uncompressed=1_000_000)


def test_normal_docx_passes_and_broken_zip_is_corrupt(tmp_path: Path, docx_file: Path):
    check_docx(docx_file)
    check_docx(docx_file.read_bytes())
    assert read_document(docx_file)[0]["text"]
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04" + b"junk" * 10)
    with pytest.raises(CorruptFileError):
        check_docx(broken)
