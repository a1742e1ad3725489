"""Documents -> segments, the units that get a rung.

Two steps. ``clean_text`` runs once at ingest: it removes page furniture (running
headers/footers, "Side 3 af 41", page numbers, dotted TOC lines), joins words hyphenated
at line ends and reflows PDF lines into paragraphs; its output *is* the stored document
text. ``segment_document`` then only cuts that text: every segment's text is exactly
``doc["text"][start:end]``, so evidence offsets can always be traced back.

Council minutes (referat/dagsorden/beslutningsprotokol) are cut into agenda items (titles
may run over several lines, up to the case number or the first section heading) and, within
items, into their sections (Resume, Indstilling, Beslutninger, Sagsforløb, Bilag ...); other
genres into paragraphs. Long pieces are split at sentence boundaries, tiny ones merged.

Every segment gets a ``section_kind`` (``SECTION_KINDS``). The kinds in
``NOISE_SECTION_KINDS`` (table of contents, navigation, attendance, appendix lists, case
history) are stored but not classified and not counted in trends.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from pipeline.records import SEGMENT_META, DocumentRecord, SegmentRecord
from pipeline.sections import NOISE_SECTION_KINDS, SECTION_KINDS, item_title  # noqa: F401 - read from here by other stages
from pipeline.sections import _CASE_META, _ITEM, _NAVIGATION, _PAATEGNING, _block_kind, _is_prose, _section_match, _section_name, section_kind_of

PAGE_BREAK = "\f"
MINUTES_TYPES = ("referat", "dagsorden", "beslutningsprotokol")

_FURNITURE = re.compile(
    r"^\s*(?:"
    r"(?:side|page|s\.)\s*\d{1,4}(?:\s*(?:af|of|/)\s*\d{1,4})?"  # Side 3 af 41
    r"|-?\s*\d{1,4}\s*-?"                                      # 12 / - 12 -
    r"|\d{1,4}\s*/\s*\d{1,4}"                                   # 3/41
    r"|.{0,200}?(?:\.\s?){4,}\s*\d{1,4}"                         # Indholdsfortegnelse ..... 3
    r"|.{0,200}?…+\s*\d{1,4}"
    r")\s*$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:\d{1,3}[.)]|[-•–*·▪])\s+")
_SENT_END = re.compile(r"[.!?:;»”\")]$")
_SUSPENDED = {"og", "eller", "samt", "til", "som", "&"}


# ---------------------------------------------------------------- cleaning (at ingest)

def _strip_repeated_edges(pages: list[list[str]]) -> list[list[str]]:
    """Drop header/footer lines that repeat (digits ignored) at the top/bottom of many pages."""
    if len(pages) < 3:
        return pages

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", line.strip().lower())

    edge_counts: Counter[str] = Counter()
    for lines in pages:
        body = [ln for ln in lines if ln.strip()]
        edge_counts.update({key(ln) for ln in body[:3] + body[-3:]})
    threshold = max(3, int(0.5 * len(pages)))
    repeated = {k for k, c in edge_counts.items() if c >= threshold and k}
    if not repeated:
        return pages
    out = []
    for lines in pages:
        idx = [i for i, ln in enumerate(lines) if ln.strip()]
        edges = set(idx[:3] + idx[-3:])
        out.append([ln for i, ln in enumerate(lines) if not (i in edges and key(ln) in repeated)])
    return out


def _dehyphenate(text: str) -> str:
    """'kom-\\nmune' -> 'kommune'; keeps 'Børne- og', 'Høje-\\nTaastrup' -> 'Høje-Taastrup',
    '2030-\\nfremskrivning' and 'EU-\\nmidler': only a break between two lower-case letters is a word break."""

    def join(match: re.Match[str]) -> str:
        left, right = match.group(1), match.group(2)
        if right.lower() in _SUSPENDED:
            return f"{left}- {right}"
        if not (left.isalpha() and left.islower() and right[:1].isalpha() and right[:1].islower()):
            return f"{left}-{right}"
        return f"{left}{right}"

    return re.sub(r"(\w)-[ \t]*\n[ \t]*(\w+|&)", join, text)


def _reflow(lines: list[str]) -> str:
    """Join hard-wrapped PDF lines into paragraphs separated by blank lines."""
    widths = sorted(len(ln) for ln in lines if len(ln.strip()) > 20)
    typical = widths[int(len(widths) * 0.75)] if widths else 80
    out: list[str] = []
    prev = ""
    for line in lines:
        line = line.strip()
        if not line:
            if prev:
                out.append("\n\n")
            prev = ""
            continue
        if not prev:
            out.append(line)
        else:
            heading_before = len(prev) < 70 and not _SENT_END.search(prev) and not prev.endswith(",") and line[:1].isupper()
            short_sentence = _SENT_END.search(prev) and len(prev) < 0.7 * typical
            starts_block = bool(_BULLET.match(line) or _ITEM.match(line) or _section_match(line) or _CASE_META.match(line))
            prev_block = bool(_section_match(prev) or _ITEM.match(prev) or _CASE_META.match(prev))
            out.append("\n\n" if (heading_before or short_sentence or starts_block or prev_block) else " ")
            out.append(line)
        prev = line
    return "".join(out)


def clean_text(text: str, *, reflow: bool = False) -> str:
    """Remove page furniture and line-end hyphenation; pages are separated by form feeds.

    ``reflow`` joins hard-wrapped lines into paragraphs (for PDF text, where a line is a
    visual line, not a paragraph).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00ad", "").replace("\u00a0", " ")
    text = text.replace("\ufb01", "fi").replace("\ufb02", "fl")
    pages = [page.split("\n") for page in text.split(PAGE_BREAK)]
    pages = _strip_repeated_edges(pages)
    lines = [ln.rstrip() for page in pages for ln in page if not _FURNITURE.match(ln) or not ln.strip()]
    joined = _dehyphenate("\n".join(lines))
    lines = joined.split("\n")
    if reflow:
        cleaned = _reflow(lines)
    else:
        cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    return cleaned.strip()


# ---------------------------------------------------------------- segmentation

def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, stripped line) for every line, offsets into ``text``."""
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        yield pos + lead, pos + lead + len(stripped), stripped
        pos += len(raw) + 1


def _is_heading_line(line: str) -> bool:
    return bool(len(line) <= 140 and (_section_match(line) or _PAATEGNING.match(line)))


def _title_continuation(lines: list[tuple[int, int, str]], i: int, *, max_lines: int = 3) -> tuple[list[str], int]:
    """Lines after an item heading that continue its title: accepted only when the case number
    or the first section heading follows them. Returns (lines, index after them)."""
    found: list[str] = []
    j = i
    while j < len(lines):
        _, _, line = lines[j]
        if not line or _FURNITURE.match(line):
            j += 1
            continue
        if _CASE_META.match(line) or _is_heading_line(line):
            return found, j
        title_like = (len(line) <= 150 and not _ITEM.match(line) and not _NAVIGATION.match(line)
                      and not (line.endswith(".") and len(line) > 25))
        if not title_like or len(found) == max_lines:
            return [], i
        found.append(line)
        j += 1
    return [], i


def _opens_item(lines: list[tuple[int, int, str]], i: int, *, window: int = 4) -> bool:
    """True when a section heading or case number follows within ``window`` lines, before another item:
    a real agenda item, not a table-of-contents entry."""
    seen = 0
    for _, _, line in lines[i:]:
        if not line or _FURNITURE.match(line):
            continue
        if _CASE_META.match(line) or _is_heading_line(line):
            return True
        if _ITEM.match(line):
            return False
        if _is_prose(line):  # an item without headings, straight into its text
            return True
        seen += 1
        if seen > window:
            return False
    return False


def _blocks(text: str, *, minutes: bool) -> list[dict[str, Any]]:
    """Paragraph blocks with their agenda item, section and section kind, skipping furniture and headings."""
    lines = list(_lines(text))
    blocks: list[dict[str, Any]] = []
    item: str | None = None
    item_no: int | None = None
    first_no: int | None = None
    item_bodies: list[int] = []
    section: str | None = None
    kind = "content"
    current: dict[str, Any] | None = None
    in_list = False
    in_toc = False

    def close() -> None:
        nonlocal current
        if current is not None:
            current["kind"] = _block_kind(text[current["start"]:current["end"]], kind=current["kind"], item=current["item"],
                                          minutes=minutes)
            blocks.append(current)
            if item_bodies:
                item_bodies[-1] += current["end"] - current["start"]
        current = None

    def extend(start: int, end: int) -> None:
        nonlocal current
        if current is None:
            current = {"start": start, "end": end, "item": item, "section": section, "kind": kind}
        else:
            current["end"] = end

    i = 0
    while i < len(lines):
        start, end, line = lines[i]
        i += 1
        if not line or _FURNITURE.match(line):
            if not in_toc:
                close()
            in_list = False
            continue
        if minutes:
            m = _ITEM.match(line)
            if m and len(line) <= 200:
                n = int(m["p"] or m["n"])
                title = (m["ptitle"] if m["p"] else m["title"]).strip()
                is_punkt = m["p"] is not None
                heading_like = is_punkt or (title[:1].isupper() and not title.endswith((".", ",", ";")) and not in_list)
                if in_toc:
                    if heading_like and _opens_item(lines, i):  # the first real item ends the table of contents
                        in_toc = False
                        close()
                        first_no = item_no = None
                        item_bodies.clear()
                    else:
                        extend(start, end)
                        continue
                toc_restart = first_no is not None and n == first_no and all(b < 20 for b in item_bodies)
                in_sequence = item_no is None or n == item_no + 1 or toc_restart
                if heading_like and (in_sequence or is_punkt):
                    close()
                    first_no = n if first_no is None or toc_restart else first_no
                    if toc_restart:
                        item_bodies.clear()
                    more, i = _title_continuation(lines, i)
                    item, item_no, section, kind = " ".join([line, *more]), n, None, "content"
                    item_bodies.append(0)
                    in_list = False
                    continue
            if in_toc:
                if not _is_heading_line(line) and not _is_prose(line):
                    extend(start, end)
                    continue
                in_toc = False
                close()
                section, kind = None, "content"
            if item is not None and section is None and _CASE_META.match(line):
                close()
                continue
            in_list = bool(_BULLET.match(line))
        s = _section_match(line)
        if s and (minutes or s.group("qual") is None):
            close()
            section = _section_name(s)
            kind = section_kind_of(section)
            if kind == "toc" and minutes:
                in_toc = True
                extend(start, end)  # the heading itself is the start of the toc segment
                continue
            rest = s.group("rest")
            if rest and rest.strip():
                extend(start + s.start("rest"), end)
            continue
        if minutes and _PAATEGNING.match(line):
            close()
            section, kind = "Påtegning", "content"
            continue
        extend(start, end)
    close()
    return blocks


# abbreviations after which a period does not end a Danish sentence (lower-cased, without the final period)
_ABBREVIATIONS = frozenset(
    "jf bl.a mio mia kr t.kr stk nr pkt f.eks fx ca dvs mht ift evt inkl ekskl pct kl tlf att vedr iht jvf "
    "ang mv m.v m.fl osv etc bla sml s mm cm km ha hhv ref red afd adm dir sagsnr dok.nr j.nr lb mf fhv".split()
)
_SENTENCE_END = re.compile(r"[.!?…]+[»”\")]*(?=\s+[\"«»“(]?[A-ZÆØÅ0-9§])")
_WORD_BEFORE = re.compile(r"(\S+)$")


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Danish sentence spans by rule: a period, ! or ? before whitespace and a capital or digit.

    Not after abbreviations ("jf.", "bl.a.", "mio.", "stk."), ordinals ("12. marts") or
    single letters. Deliberately cautious: it only has to find safe places to cut long
    paragraphs. spaCy (``pipeline.nlp.split_sentences``) would do too, but importing it
    costs seconds and hundreds of MB per worker (it pulls in torch when installed).
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if text[match.start()] == ".":
            word = _WORD_BEFORE.search(text, max(0, match.start() - 64), match.start())  # a window: linear, not quadratic
            token = word.group(1).lower().lstrip("(«\"") if word else ""
            if not token or token in _ABBREVIATIONS or (token.isdigit() and len(token) <= 2) or len(token) == 1 or "." in token and len(token) <= 6:
                continue
        if text[start:end].strip():
            spans.append((start, end))
        start = end
        while start < len(text) and text[start].isspace():
            start += 1
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut text[start:end] into spans <= max_chars at sentence boundaries (whitespace as a last resort)."""
    if end - start <= max_chars:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    for s, e in _sentence_spans(text[start:end]):
        s, e = start + s, start + e
        while e - s > max_chars:  # one very long "sentence": cut at the last space
            cut = text.rfind(" ", s, s + max_chars)
            cut = cut if cut > s else s + max_chars
            pieces.append((s, cut))
            s = cut
            while s < e and text[s].isspace():
                s += 1
        if e > s:
            pieces.append((s, e))
    spans: list[tuple[int, int]] = []
    for s, e in pieces:
        if spans and e - spans[-1][0] <= max_chars:
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    return [(s, _rstrip_end(text, s, e)) for s, e in spans if text[s:e].strip()]


def _rstrip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _looks_like_heading(block: str) -> bool:
    """One short line without closing punctuation: a title that belongs to the next paragraph."""
    return "\n" not in block and len(block) <= 80 and not _SENT_END.search(block)


def looks_like_minutes(text: str) -> bool:
    """Agenda items and section headings in the text: minutes, whatever the document says it is."""
    heads = sum(1 for _, _, line in _lines(text[:50_000]) if _section_match(line) and len(line) < 100)
    return heads >= 3 and sum(1 for _, _, ln in _lines(text[:50_000]) if _ITEM.match(ln)) >= 2


def _is_minutes(doc: DocumentRecord, text: str) -> bool:
    if doc.get("doc_type") in MINUTES_TYPES:
        return True
    if doc.get("doc_type"):
        return False
    return looks_like_minutes(text)


def segment_document(doc: DocumentRecord, *, max_chars: int = 1500, min_chars: int = 20) -> list[SegmentRecord]:
    """Cut one document into segments; ``doc["text"][start:end] == segment["text"]``."""
    text: str = doc.get("text") or ""
    doc_id = doc["id"]
    minutes = _is_minutes(doc, text)
    blocks = _blocks(text, minutes=minutes)

    # minutes: one segment per (item, section) when it fits; other genres: one per paragraph
    spans: list[dict[str, Any]] = []
    for block in blocks:
        for s, e in _split_long(text, block["start"], block["end"], max_chars):
            spans.append({**block, "start": s, "end": e})

    merged: list[dict[str, Any]] = []
    for span in spans:
        prev = merged[-1] if merged else None
        same_group = prev is not None and (prev["item"], prev["section"], prev["kind"]) == (span["item"], span["section"], span["kind"])
        fits = prev is not None and span["end"] - prev["start"] <= max_chars
        tiny = prev is not None and (prev["end"] - prev["start"] < min_chars or span["end"] - span["start"] < min_chars)
        heading = prev is not None and not minutes and _looks_like_heading(text[prev["start"]:prev["end"]])
        if same_group and fits and (tiny or minutes or heading):
            prev["end"] = span["end"]
        elif (fits and (heading or prev["end"] - prev["start"] < min_chars) and prev["section"] is None
              and prev["item"] == span["item"] and prev["kind"] == span["kind"]):
            # a tiny or heading-like unlabelled block (a title) joins what follows it
            prev.update(end=span["end"], section=span["section"])
        else:
            merged.append(dict(span))

    segments = []
    for position, span in enumerate(merged):
        seg = {
            "id": f"{doc_id}#{position}",
            "doc_id": doc_id,
            "position": position,
            "section": span["section"],
            "section_kind": span["kind"],
            "item": span["item"],
            "start": span["start"],
            "end": span["end"],
            "text": text[span["start"]:span["end"]],
        }
        for field in SEGMENT_META:
            seg[field] = doc.get(field)
        segments.append(seg)
    return segments


def segment_documents(docs: Iterable[DocumentRecord], *, max_chars: int = 1500, min_chars: int = 20) -> Iterator[SegmentRecord]:
    """Segments of many documents, streamed."""
    for doc in docs:
        yield from segment_document(doc, max_chars=max_chars, min_chars=min_chars)
