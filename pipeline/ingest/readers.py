"""One reader per file type, chosen by ``file_type(path)`` from the ``READERS`` registry.

A reader turns one file into raw documents: dicts with ``text`` (not yet cleaned), and
whatever metadata the file itself carries (title; for tables the metadata columns).
``reflow`` tells the cleaner that lines are visual lines (PDF), not paragraphs.
Readers raise the errors of pipeline/errors.py; they never print.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pipeline.errors import CorruptFileError, EmptyDocumentError, EncryptedFileError, InputFileError, NeedsOCRError, UnsupportedFileType
from pipeline.encoding import decode_bytes, repair_text
from pipeline.records import DOCUMENT_META

RawDoc = dict[str, Any]
Reader = Callable[..., Iterator[RawDoc]]

TABLE_META_COLUMNS = ("id", *DOCUMENT_META)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise InputFileError(path=str(path), detail=f"cannot read file ({e.strerror or e})") from e


def read_pdf(path: Path, **_: Any) -> Iterator[RawDoc]:
    """Text layer of every page (pypdf), pages separated by form feeds."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # owner-password-only PDFs open with an empty password
            except Exception as e:  # noqa: BLE001 - pypdf raises several types (missing crypto lib, bad algorithm)
                raise EncryptedFileError(path=str(path), kind="PDF") from e
            if not opened:
                raise EncryptedFileError(path=str(path), kind="PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    except (EncryptedFileError, InputFileError):
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError, IndexError, RecursionError) as e:
        raise CorruptFileError(path=str(path), kind="PDF", detail=str(e) or type(e).__name__) from e
    if not pages:
        raise EmptyDocumentError(path=str(path), detail="the PDF has no pages")
    with_text = sum(1 for p in pages if len(p.strip()) >= 10)
    if with_text == 0:
        raise NeedsOCRError(path=str(path), pages=len(pages))
    flags = [] if with_text == len(pages) else [f"pages_without_text:{len(pages) - with_text}"]
    text, repaired = repair_text("\f".join(pages))
    yield {"text": text, "title": str(title).strip() if title else None, "flags": flags + repaired,
           "reflow": True, "pages": len(pages)}


def _html_fallback(html: str) -> str:
    """Plain text of the page body without navigation, header, footer, scripts."""
    import lxml.html

    tree = lxml.html.fromstring(html)
    for bad in tree.xpath("//script|//style|//nav|//header|//footer|//aside|//form|//noscript"):
        bad.drop_tree()
    blocks = []
    for el in tree.iter("h1", "h2", "h3", "h4", "p", "li", "td", "pre", "blockquote"):
        text = " ".join(el.text_content().split())
        if text:
            blocks.append(text)
    if not blocks:
        blocks = [" ".join(tree.text_content().split())]
    return "\n".join(blocks)


_BLOCK_TAGS = frozenset(
    "address article aside blockquote body dd details div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section summary table tbody td tfoot th thead tr ul caption br".split()
)
_DROP_XPATH = ("//script|//style|//noscript|//template|//nav|//form|//footer|//aside|//svg|//iframe|//select|"
               "//body/header|//*[contains(translate(@class, 'COKIE', 'cokie'), 'cookie')]|"
               "//*[contains(translate(@id, 'COKIE', 'cokie'), 'cookie')]|//*[contains(@class, 'consent')]")
_ITEM_NUMBER_CELL = re.compile(r"^(?:Punkt\s*)?(\d{1,3})\.?$", re.IGNORECASE)


def _squash(text: str | None) -> str:
    return " ".join((text or "").split())


def html_blocks(html: str) -> list[str]:
    """The page's own blocks in reading order, one line each: headings, paragraphs, list items,
    a table row as one line (an item number cell and a title cell give '5. Title'), a definition
    list pair as 'term: definition'. Scripts, site header, menus, forms, footers and cookie
    banners are dropped; page tools stay (the segmenter marks them as navigation)."""
    import lxml.html

    tree = lxml.html.fromstring(html)
    for bad in tree.xpath(_DROP_XPATH):
        if bad.getparent() is not None:
            bad.drop_tree()
    lines: list[str] = []
    inline: list[str] = []

    def flush() -> None:
        text = _squash(" ".join(inline))
        if text:
            lines.append(text)
        inline.clear()

    def row(tr: Any) -> None:
        cells = [_squash(c.text_content()) for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
        cells = [c for c in cells if c]
        if not cells:
            return
        number = _ITEM_NUMBER_CELL.match(cells[0])
        if number and len(cells) > 1:
            lines.append(f"{number.group(1)}. {' '.join(cells[1:])}")
        else:
            lines.append(" | ".join(cells))

    def definitions(dl: Any) -> None:
        term = None
        for child in dl:
            if not isinstance(child.tag, str):
                continue
            text = _squash(child.text_content())
            if child.tag == "dt":
                if term:
                    lines.append(term)
                term = text
            elif child.tag == "dd":
                lines.append(f"{term}: {text}" if term else text)
                term = None
            else:
                walk(child)
        if term:
            lines.append(term)

    def walk(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is None:  # comment or processing instruction
            return
        if tag == "tr":
            flush()
            row(el)
            return
        if tag == "dl":
            flush()
            definitions(el)
            return
        if tag not in _BLOCK_TAGS:
            inline.append(el.text_content())
            return
        flush()
        if el.text:
            inline.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                inline.append(child.tail)
        flush()

    body = tree.find("body") if tree.tag != "body" else tree
    walk(body if body is not None else tree)
    flush()
    # an item number in its own block ('<div class="nr">4</div><div class="titel">...</div>') joins its title
    joined: list[str] = []
    for line in lines:
        number = _ITEM_NUMBER_CELL.match(joined[-1]) if joined else None
        if number and not _ITEM_NUMBER_CELL.match(line):
            joined[-1] = f"{number.group(1)}. {line}"
        else:
            joined.append(line)
    return joined


def read_html(path: Path, **_: Any) -> Iterator[RawDoc]:
    """Web minutes by the page's own structure (items, titles, case numbers and sections survive);
    other pages by their main text (trafilatura) without navigation and footer; lxml text as fallback."""
    from pipeline.segment import looks_like_minutes

    html, _encoding, flags = decode_bytes(_read_bytes(path))
    if not html.strip():
        raise EmptyDocumentError(path=str(path), detail="the file is empty")
    import trafilatura

    try:
        meta = trafilatura.extract_metadata(html, extensive=False)  # only dates the page states, no guessing
    except Exception:  # noqa: BLE001 - trafilatura can fail on odd markup
        meta = None
    try:
        structured = "\n".join(html_blocks(html))
    except Exception:  # noqa: BLE001 - lxml raises ParserError/ValueError on junk; the readers below decide
        structured = ""
    if looks_like_minutes(structured):
        text = structured
        flags.append("html_structure")
    else:
        try:
            text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_precision=True) or ""
        except Exception:  # noqa: BLE001 - trafilatura can fail on odd markup; lxml below still works
            text = ""
        if len(text.strip()) < 20:
            try:
                text = _html_fallback(html)
            except Exception as e:  # noqa: BLE001 - lxml raises ParserError/ValueError on junk
                raise CorruptFileError(path=str(path), kind="HTML", detail=str(e)) from e
            flags.append("html_fallback")
    text = re.sub(r"\n+", "\n\n", text)  # one line per paragraph -> blank-line paragraphs
    yield {"text": text, "title": getattr(meta, "title", None), "date": getattr(meta, "date", None),
           "url": getattr(meta, "url", None), "flags": flags}


def read_docx(path: Path, **_: Any) -> Iterator[RawDoc]:
    """Paragraphs and tables in document order (python-docx)."""
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    from pipeline.ingest.guards import check_docx

    check_docx(path)  # refuse bombs before python-docx builds millions of objects
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise CorruptFileError(path=str(path), kind="DOCX", detail=str(e) or type(e).__name__) from e
    blocks: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = Paragraph(child, document).text.strip()
            if text:
                blocks.append(text)
        elif tag == "tbl":
            rows = []
            for row in Table(child, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    value = " ".join(cell.text.split())
                    if value and (not cells or cells[-1] != value):  # merged cells repeat
                        cells.append(value)
                if cells:
                    rows.append(" | ".join(cells))
            if rows:
                blocks.append("\n".join(rows))
    text, flags = repair_text("\n\n".join(blocks))
    yield {"text": text, "title": (document.core_properties.title or None), "flags": flags}


def read_text(path: Path, **_: Any) -> Iterator[RawDoc]:
    """TXT/MD in any encoding we can detect (UTF-8, BOM, cp1252)."""
    text, _encoding, flags = decode_bytes(_read_bytes(path))
    if path.suffix.lower() in (".md", ".markdown"):
        text = re.sub(r"(?m)^#{1,6}\s+", "", text)
    yield {"text": text, "flags": flags}


def _rows_to_docs(rows: Iterator[dict[str, Any]], *, path: Path, text_column: str) -> Iterator[RawDoc]:
    for n, row in enumerate(rows, start=1):
        if n == 1 and text_column not in row:
            raise InputFileError(path=str(path), detail=f"no text column {text_column!r}; columns: {', '.join(map(str, row))}. Use --text-column")
        value = row.get(text_column)
        if value is None or not str(value).strip():
            continue
        text, flags = repair_text(str(value))
        doc: RawDoc = {"text": text, "flags": flags, "row": n}
        for col in TABLE_META_COLUMNS:
            if row.get(col) not in (None, ""):
                doc[col] = row[col] if col == "year" else str(row[col])
        yield doc


def read_table(path: Path, *, text_column: str = "text", **_: Any) -> Iterator[RawDoc]:
    """CSV/TSV/JSONL/Parquet: each row with text is one document, metadata columns kept."""
    from pipeline.io import iter_batches

    def rows() -> Iterator[dict[str, Any]]:
        for batch in iter_batches(path):
            yield from batch

    yield from _rows_to_docs(rows(), path=path, text_column=text_column)


def read_hf_dataset(path: Path, *, text_column: str = "text", **_: Any) -> Iterator[RawDoc]:
    """A folder written by ``datasets.save_to_disk`` (Dataset or DatasetDict: all splits)."""
    import datasets

    try:
        loaded = datasets.load_from_disk(str(path))
    except Exception as e:  # noqa: BLE001 - datasets raises FileNotFoundError/ValueError/arrow errors
        raise CorruptFileError(path=str(path), kind="a saved Hugging Face dataset", detail=str(e)) from e
    parts = list(loaded.values()) if isinstance(loaded, datasets.DatasetDict) else [loaded]

    def rows() -> Iterator[dict[str, Any]]:
        for part in parts:
            for batch in part.iter(batch_size=1024):
                keys = list(batch)
                for i in range(len(batch[keys[0]]) if keys else 0):
                    yield {k: batch[k][i] for k in keys}

    yield from _rows_to_docs(rows(), path=path, text_column=text_column)


READERS: dict[str, Reader] = {
    "pdf": read_pdf,
    "html": read_html,
    "docx": read_docx,
    "text": read_text,
    "table": read_table,
    "hf_dataset": read_hf_dataset,
}
SUFFIXES: dict[str, str] = {
    ".pdf": "pdf", ".html": "html", ".htm": "html", ".xhtml": "html", ".docx": "docx",
    ".txt": "text", ".text": "text", ".md": "text", ".markdown": "text",
    ".csv": "table", ".tsv": "table", ".jsonl": "table", ".ndjson": "table", ".json": "table",
    ".parquet": "table", ".pq": "table",
}


def is_hf_dataset(path: Path) -> bool:
    return path.is_dir() and ((path / "dataset_dict.json").is_file() or ((path / "state.json").is_file() and (path / "dataset_info.json").is_file()))


def file_type(path: Path) -> str:
    """Registry key for ``path``; raises UnsupportedFileType for anything else."""
    if is_hf_dataset(path):
        return "hf_dataset"
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise UnsupportedFileType(path=str(path), suffix=path.suffix or "(none)",
                                  supported=", ".join(sorted(SUFFIXES)) + ", a saved Hugging Face dataset folder")
    return kind
