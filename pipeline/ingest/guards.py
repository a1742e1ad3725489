"""Cheap checks made before a reader parses a file: binary content under a text name, and
DOCX archives that would cost minutes and gigabytes to parse (zip bombs, millions of
empty paragraphs). Both read only what they must and raise the catalogue's errors, so the
CLI reports one line and the web upload path can refuse the file the same way.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import BinaryIO

from pipeline.errors import BinaryFileError, CorruptFileError, UnsafeFileError

SNIFF_BYTES = 8192
_MAGIC = (
    (b"\x7fELF", "an executable program (ELF)"),
    (b"\xcf\xfa\xed\xfe", "an executable program (Mach-O)"), (b"\xfe\xed\xfa", "an executable program (Mach-O)"),
    (b"%PDF-", "a PDF"), (b"PK\x03\x04", "a ZIP archive (DOCX/XLSX?)"), (b"\x89PNG", "an image (PNG)"),
    (b"\xff\xd8\xff", "an image (JPEG)"), (b"GIF8", "an image (GIF)"), (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7z archive"), (b"Rar!", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc/.xls); save it as .docx"), (b"SQLite format 3", "an SQLite database"),
    (b"\x00asm", "a WebAssembly program"), (b"\xca\xfe\xba\xbe", "a Java class file"),
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# DOCX limits: far above any real council document (a 300-page referat has some 20,000 paragraphs
# and a document.xml of a few MB), far below what takes a parser minutes.
MAX_DOCX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_DOCX_PART = 100 * 1024 * 1024
MAX_DOCX_PARAGRAPHS = 200_000
MAX_DOCX_ELEMENTS = 5_000_000
MAX_COMPRESSION_RATIO = 200
_PARAGRAPH = re.compile(rb"<w:p[\s>/]")


def sniff_binary(head: bytes) -> str | None:
    """What the bytes are when they are not text (e.g. 'an executable program (ELF)'), else None."""
    if head.startswith(_UTF16_BOMS) or head.startswith(b"\xef\xbb\xbf"):
        return None
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    sample = head[:SNIFF_BYTES]
    if not sample:
        return None
    if b"\x00" in sample:
        return "binary data (NUL bytes)"
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return "binary data (control characters)" if control / len(sample) > 0.05 else None


def check_not_binary(path: Path) -> None:
    """Raise BinaryFileError when a file named as text (TXT, HTML, CSV ...) holds binary content."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    what = sniff_binary(head)
    if what:
        raise BinaryFileError(path=str(path), what=what, suffix=path.suffix or "(no suffix)")


def check_docx(source: str | Path | bytes | BinaryIO, *, name: str | None = None,
               max_uncompressed: int = MAX_DOCX_UNCOMPRESSED, max_paragraphs: int = MAX_DOCX_PARAGRAPHS,
               max_elements: int = MAX_DOCX_ELEMENTS, max_ratio: int = MAX_COMPRESSION_RATIO) -> None:
    """Refuse a DOCX (path, bytes or file object) whose parsing would cost too much, before parsing it.

    Checks the declared uncompressed sizes and compression ratio from the zip directory, then
    streams ``word/document.xml`` counting paragraphs and elements, stopping as soon as a limit
    is passed (so a bomb costs a fraction of a second). Raises UnsafeFileError or CorruptFileError.
    """
    label = name or (str(source) if isinstance(source, (str, Path)) else "upload")
    opened = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    try:
        with zipfile.ZipFile(opened) as archive:
            infos = archive.infolist()
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            if total > max_uncompressed:
                raise UnsafeFileError(path=label, detail=f"it unpacks to {total / 2**20:.0f} MB (limit {max_uncompressed / 2**20:.0f} MB)")
            if total > 10 * 2**20 and total / packed > max_ratio:
                raise UnsafeFileError(path=label, detail=f"it unpacks {total / packed:.0f} times its size (a zip bomb?)")
            try:
                part = archive.getinfo("word/document.xml")
            except KeyError:
                raise CorruptFileError(path=label, kind="DOCX", detail="no word/document.xml in the archive") from None
            _count_elements(archive, part, label, max_part=MAX_DOCX_PART, max_paragraphs=max_paragraphs, max_elements=max_elements)
    except zipfile.BadZipFile as e:
        raise CorruptFileError(path=label, kind="DOCX", detail=str(e) or "not a zip archive") from e


def _count_elements(archive: zipfile.ZipFile, part: zipfile.ZipInfo, label: str, *, max_part: int, max_paragraphs: int,
                    max_elements: int) -> None:
    paragraphs = elements = size = 0
    tail = b""
    with archive.open(part) as fh:
        while chunk := fh.read(1 << 20):
            size += len(chunk)
            if size > max_part:
                raise UnsafeFileError(path=label, detail=f"its text part is over {max_part / 2**20:.0f} MB")
            window = tail + chunk
            paragraphs += len(_PARAGRAPH.findall(window))  # the tail (4 bytes) cannot hold a whole match
            elements += chunk.count(b"<")
            tail = window[-4:]
            if paragraphs > max_paragraphs:
                raise UnsafeFileError(path=label, detail=f"it holds over {max_paragraphs:,} paragraphs (empty or generated?)")
            if elements > max_elements:
                raise UnsafeFileError(path=label, detail=f"it holds over {max_elements:,} XML elements")
