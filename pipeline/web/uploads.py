"""Uploaded files: their type sniffed from the bytes alone, their text read through the project's readers.

Uploads are checked by their bytes, never by their name: ``%PDF-`` is a PDF, a ZIP with
``word/document.xml`` a DOCX, ``<!doctype html``/``<html`` HTML, anything else must decode
as text. The bytes go to a server-made temporary file whose suffix comes from that check,
so no name or path from a request reaches the file system.
"""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from pipeline.errors import CorruptFileError, EmptyDocumentError, EncryptedFileError, NeedsOCRError, SamskabError
from pipeline.web.errors import WebError

log = logging.getLogger(__name__)

#: sniffed type -> the fixed suffix of the temporary file (what the project's readers dispatch on)
UPLOAD_SUFFIX = {"pdf": ".pdf", "docx": ".docx", "html": ".html", "text": ".txt"}
#: DOCX limits for one upload (ingest allows more); the text is capped at check.MAX_CHARS characters anyway
DOCX_MAX_UNCOMPRESSED = 50 * 1024 * 1024
DOCX_MAX_PARAGRAPHS = 20_000
DOCX_MAX_ELEMENTS = 500_000
TYPE_NAMES_DA = {"pdf": "PDF", "docx": "Word-dokument (DOCX)", "html": "HTML-side", "text": "tekstfil"}
#: magic bytes of common files we do not read, with a name for the error message
_BINARY_MAGIC = (
    (b"MZ", "et Windows-program (.exe/.dll)"), (b"\x7fELF", "et program (ELF)"), (b"\x89PNG", "et billede (PNG)"),
    (b"\xff\xd8\xff", "et billede (JPEG)"), (b"GIF8", "et billede (GIF)"), (b"\x1f\x8b", "et gzip-arkiv"),
    (b"7z\xbc\xaf", "et 7z-arkiv"), (b"Rar!", "et RAR-arkiv"), (b"\xd0\xcf\x11\xe0", "et gammelt Office-dokument (.doc/.xls); gem det som .docx"),
    (b"{\\rtf", "et RTF-dokument; gem det som .docx eller .txt"), (b"%!PS", "en PostScript-fil"),
)


def sniff_type(data: bytes) -> str:
    """'pdf', 'docx', 'html' or 'text' from the bytes alone; WebError 415/422 for anything else."""
    head = data[:1024]
    if head.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError) as e:
            raise WebError(422, "Filen ligner et Word-dokument (ZIP), men den er beskadiget og kan ikke åbnes.",
                           message_en=f"the file looks like a ZIP/DOCX but is damaged ({e})") from e
        if "word/document.xml" not in names:
            raise WebError(415, "Filen er et ZIP-arkiv, men ikke et Word-dokument (.docx). Upload PDF, DOCX, HTML eller TXT.",
                           message_en="a ZIP archive that is not a Word document; upload PDF, DOCX, HTML or plain text")
        check_docx_size(data)
        return "docx"
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            raise WebError(415, f"Filen er {what}, ikke en tekst. Upload PDF, DOCX, HTML eller TXT.",
                           message_en="unsupported file content; upload PDF, DOCX, HTML or plain text")
    text = _decode_text(data)
    start = text[:2048].lstrip("\ufeff \t\r\n").lower()
    if start.startswith(("<!doctype html", "<html")) or "<html" in start[:1024]:
        return "html"
    return "text"


def check_docx_size(data: bytes) -> None:
    """Refuse a DOCX "bomb" before a reader parses it (the ingest guard: declared sizes and ratio, then
    a streamed paragraph and element count), as WebError 413; a damaged archive is 422. The limits are
    tighter than ingest's: a web request may cost a few seconds, and its text is capped anyway."""
    from pipeline.errors import UnsafeFileError
    from pipeline.ingest.guards import check_docx

    try:
        check_docx(data, name="upload", max_uncompressed=DOCX_MAX_UNCOMPRESSED, max_paragraphs=DOCX_MAX_PARAGRAPHS,
                   max_elements=DOCX_MAX_ELEMENTS)
    except UnsafeFileError as e:
        raise WebError(413, "Word-dokumentet er for stort, når det pakkes ud (for mange afsnit eller for meget XML). "
                            "Gem det som PDF eller TXT, eller del det op.",
                       message_en="the DOCX unpacks to too much (too many paragraphs or too much XML)") from e
    except CorruptFileError as e:
        raise WebError(422, "Filen ligner et Word-dokument (ZIP), men den er beskadiget og kan ikke åbnes.",
                       message_en="the file looks like a ZIP/DOCX but is damaged") from e


def _decode_text(data: bytes) -> str:
    """The bytes as text, or WebError 415 when they are not text (NUL bytes, many control characters)."""
    not_text = WebError(415, "Filen er hverken PDF, Word (DOCX), HTML eller almindelig tekst. Upload en af de typer.",
                        message_en="the file is not PDF, DOCX, HTML or plain text")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise not_text from e
    if b"\x00" in data:
        raise not_text
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from pipeline.encoding import decode_bytes

        text = decode_bytes(data)[0]
    sample = text[:20000]
    control = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f") or 0x7f <= ord(ch) < 0xa0)
    if sample and control / len(sample) > 0.01:
        raise not_text
    return text


def _upload_error(e: SamskabError, kind: str, path: Path) -> WebError:
    """A reader's error as a message for the user, without the server's temporary path."""
    detail = str(e).replace(str(path), "den uploadede fil").split("] ", 1)[-1]
    name = TYPE_NAMES_DA[kind]
    if isinstance(e, EmptyDocumentError):
        return WebError(400, f"Der er ingen tekst i filen ({name}).", message_en="the file has no text")
    if isinstance(e, NeedsOCRError):
        return WebError(422, "PDF'en har ingen tekst – den er sandsynligvis scannet. Kør tekstgenkendelse (OCR) først, "
                             "fx med `ocrmypdf ind.pdf ud.pdf`, og upload resultatet.",
                        message_en="the PDF has no text layer (scanned?); run OCR first")
    if isinstance(e, EncryptedFileError):
        return WebError(422, f"Filen ({name}) er krypteret. Gem en ukrypteret kopi og upload den.",
                        message_en="the file is encrypted")
    return WebError(422, f"Filen ligner en {name}, men den kan ikke læses: {detail}",
                    message_en=f"the file looks like {kind} but cannot be read: {detail}")


def upload_name(filename: str | None, kind: str) -> str:
    """The uploaded file's own name (its last part, at most 200 characters), only for guessing metadata
    from it as ingest does; ``upload`` plus the sniffed type's suffix when the browser sent none."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    return name if name.strip(".") else f"upload{UPLOAD_SUFFIX[kind]}"


def extract_upload(data: bytes, filename: str | None = None) -> dict[str, Any]:
    """Uploaded bytes -> one document (text cleaned, metadata inferred), via a temporary file.

    The genre, municipality and year are guessed as ``samskab ingest`` guesses them (the one
    :func:`pipeline.ingest.metadata.complete_metadata`), from ``filename`` as the browser sent
    it; that name is never used as a path.
    """
    from pipeline.ingest import read_document

    if not data.strip():
        raise WebError(400, "Filen er tom.", message_en="the file is empty")
    kind = sniff_type(data)
    name = upload_name(filename, kind)
    suffix = UPLOAD_SUFFIX[kind]
    if kind == "text" and Path(name).suffix.lower() in (".md", ".markdown"):
        suffix = ".md"  # read as ingest reads Markdown (heading marks dropped)
    folder = Path(tempfile.mkdtemp(prefix="samskab-upload-"))  # private (0700) and new for every upload
    path = folder / f"upload{suffix}"
    try:
        path.write_bytes(data)
        docs = read_document(path, name=name)
    except SamskabError as e:
        raise _upload_error(e, kind, path) from e
    except Exception as e:  # noqa: BLE001 - a damaged file can make a third-party reader fail in any way
        log.warning("reading an uploaded %s failed: %s: %s", kind, type(e).__name__, e)
        raise _upload_error(CorruptFileError(path=str(path), kind=kind, detail=type(e).__name__), kind, path) from e
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    doc = dict(docs[0])
    if len(docs) > 1:
        doc["text"] = "\n\n".join(d["text"] for d in docs)
    doc.update(source_path=None, file_type=kind)
    return doc
