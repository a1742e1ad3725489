"""Documents -> segments, the units that get a rung.

Two steps. ``clean_text`` runs once at ingest: it removes page furniture (running
headers/footers, "Side 3 af 41", page numbers, dotted TOC lines), joins words hyphenated
at line ends and reflows PDF lines into paragraphs; its output *is* the stored document
text. ``segment_document`` then only cuts that text: every segment's text is exactly
``doc["text"][start:end]``, so evidence offsets can always be traced back.

Council minutes (referat/dagsorden/beslutningsprotokol) are cut into agenda items and,
within items, into their sections (Sagsfremstilling, Indstilling, Beslutning ...); other
genres into paragraphs. Long pieces are split at sentence boundaries, tiny ones merged.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

PAGE_BREAK = "\f"
COPIED_FIELDS = ("municipality", "date", "year", "doc_type")
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
_SECTION_NAMES = (
    "Sagsfremstilling", "Supplerende sagsfremstilling", "Sagsbeskrivelse", "Sagens indhold", "Resumé", "Resume",
    "Baggrund", "Beslutningstema", "Problemstilling", "Løsning", "Vurdering", "Indstilling",
    "Forvaltningens indstilling", "Administrationens indstilling", "Direktionens indstilling",
    "Bilag", "Økonomi", "Økonomiske konsekvenser", "Økonomiske forhold", "Høring", "Høringssvar",
    "Videre proces", "Kommunikation", "Lovgrundlag", "Retsgrundlag", "Tidsplan", "Miljøvurdering",
    "Beslutning", "Formål", "Målgruppe", "Aktiviteter", "Organisering", "Forankring", "Evaluering",
    "Vision", "Værdier", "Mål", "Indsatsområder", "Indledning", "Konklusion", "Budget", "Partnere",
)
_SECTION = re.compile(
    r"^(?P<name>" + "|".join(sorted((re.escape(n) for n in _SECTION_NAMES), key=len, reverse=True)) + r")"
    r"(?P<qual>\s+(?:i|på|fra|af)\s+[^\n:]{1,90}?)?"     # Beslutning i Økonomiudvalget den 1. oktober 2018
    r"\s*(?::\s*(?P<rest>.*)|\s*)$",
    re.IGNORECASE,
)
_ITEM = re.compile(r"^(?:(?:Punkt|Pkt\.?)\s*(?P<p>\d{1,3})\s*[:.]?\s*(?P<ptitle>.*)|(?P<n>\d{1,3})\.\s+(?P<title>\S.*))$")
_CASE_META = re.compile(
    r"^\s*(?:sags?\s*nr|sagsid|sags-id|dok\.?\s*nr|j\.?\s*nr|journalnr|initialer|kompetence|sagsansvarlig|"
    r"åben(?:t)?(?:\s+sag)?|lukket(?:\s+sag)?|\([bo]\)|til\s+behandling|til\s+efterretning)\b.*$",
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
    """'kom-\\nmune' -> 'kommune'; keeps 'Børne- og' and 'Høje-\\nTaastrup' -> 'Høje-Taastrup'."""

    def join(match: re.Match[str]) -> str:
        left, right = match.group(1), match.group(2)
        if right.lower() in _SUSPENDED:
            return f"{left}- {right}"
        if right[:1].isupper() or right[:1].isdigit():
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
            starts_block = bool(_BULLET.match(line) or _ITEM.match(line) or _SECTION.match(line) or _CASE_META.match(line))
            prev_block = bool(_SECTION.match(prev) or _ITEM.match(prev) or _CASE_META.match(prev))
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


def _section_name(match: re.Match[str]) -> str:
    name = match.group("name")
    canonical = next((n for n in _SECTION_NAMES if n.lower() == name.lower()), name)
    return "Resumé" if canonical == "Resume" else canonical


def _blocks(text: str, *, minutes: bool) -> list[dict[str, Any]]:
    """Paragraph blocks with their agenda item and section, skipping furniture and headings."""
    blocks: list[dict[str, Any]] = []
    item: str | None = None
    item_no: int | None = None
    first_no: int | None = None
    item_bodies: list[int] = []
    section: str | None = None
    current: dict[str, Any] | None = None
    in_list = False

    def close() -> None:
        nonlocal current
        if current is not None:
            blocks.append(current)
            if item_bodies:
                item_bodies[-1] += current["end"] - current["start"]
        current = None

    for start, end, line in _lines(text):
        if not line or _FURNITURE.match(line):
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
                toc_restart = first_no is not None and n == first_no and all(b < 20 for b in item_bodies)
                in_sequence = item_no is None or n == item_no + 1 or toc_restart
                if heading_like and (in_sequence or is_punkt):
                    close()
                    first_no = n if first_no is None or toc_restart else first_no
                    if toc_restart:
                        item_bodies.clear()
                    item, item_no, section = line, n, None
                    item_bodies.append(0)
                    in_list = False
                    continue
            if item is not None and section is None and _CASE_META.match(line):
                close()
                continue
            in_list = bool(_BULLET.match(line))
        s = _SECTION.match(line) if len(line) <= 140 else None
        if s and (minutes or s.group("qual") is None):
            close()
            section = _section_name(s)
            rest = s.group("rest")
            if rest and rest.strip():
                offset = start + s.start("rest")
                current = {"start": offset, "end": end, "item": item, "section": section}
            continue
        if current is None:
            current = {"start": start, "end": end, "item": item, "section": section}
        else:
            current["end"] = end
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


def _is_minutes(doc: dict[str, Any], text: str) -> bool:
    if doc.get("doc_type") in MINUTES_TYPES:
        return True
    if doc.get("doc_type"):
        return False
    heads = sum(1 for _, _, line in _lines(text[:50_000]) if _SECTION.match(line) and len(line) < 100)
    return heads >= 3 and sum(1 for _, _, ln in _lines(text[:50_000]) if _ITEM.match(ln)) >= 2


def segment_document(doc: dict[str, Any], *, max_chars: int = 1500, min_chars: int = 20) -> list[dict[str, Any]]:
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
        same_group = prev is not None and (prev["item"], prev["section"]) == (span["item"], span["section"])
        fits = prev is not None and span["end"] - prev["start"] <= max_chars
        tiny = prev is not None and (prev["end"] - prev["start"] < min_chars or span["end"] - span["start"] < min_chars)
        heading = prev is not None and not minutes and _looks_like_heading(text[prev["start"]:prev["end"]])
        if same_group and fits and (tiny or minutes or heading):
            prev["end"] = span["end"]
        elif fits and (heading or prev["end"] - prev["start"] < min_chars) and prev["section"] is None and prev["item"] == span["item"]:
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
            "item": span["item"],
            "start": span["start"],
            "end": span["end"],
            "text": text[span["start"]:span["end"]],
        }
        for field in COPIED_FIELDS:
            seg[field] = doc.get(field)
        segments.append(seg)
    return segments


def segment_documents(docs: Iterable[dict[str, Any]], *, max_chars: int = 1500, min_chars: int = 20) -> Iterator[dict[str, Any]]:
    """Segments of many documents, streamed."""
    for doc in docs:
        yield from segment_document(doc, max_chars=max_chars, min_chars=min_chars)
