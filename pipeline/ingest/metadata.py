"""Document metadata: from a manifest when given, else inferred from path and text.

Inference is deliberately conservative and always recorded in the document's
``inferred`` list, so analyses can separate given from guessed metadata.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any

from pipeline.errors import InputFileError, SamskabError
from pipeline.ingest.municipalities import find_municipality_in_path, find_municipality_in_text, require_municipality

MANIFEST_COLUMNS = ("path", "municipality", "date", "doc_type", "title", "url", "committee")
MINUTES_TYPES = ("referat", "dagsorden", "beslutningsprotokol")

MONTHS = {
    "januar": 1, "jan": 1, "februar": 2, "feb": 2, "marts": 3, "mar": 3, "april": 4, "apr": 4,
    "maj": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE_PATTERNS = (
    # 2019-03-12
    (re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)"), False),
    # 12. marts 2019, den 15. maj 2002, 3. feb. 2020
    (re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})\.?\s+(?P<m>{_MONTH_ALT})\.?\s+(?P<y>(?:19|20)\d\d)(?!\d)", re.IGNORECASE), True),
    # 12.03.2019, 12-03-2019, 12/03/2019
    (re.compile(r"(?<![\d.])(?P<d>\d{1,2})[./-](?P<m>\d{1,2})[./-](?P<y>(?:19|20)\d\d)(?!\d)"), False),
)
_DATE_LABEL = re.compile(r"(?im)^\s*(?:mødedato|møde\s*dato|dato|mødetidspunkt|mødetid|afholdt|tid|udgivet|publiceret|offentliggjort)\b[^\n]{0,40}")
_WEEKDAY_DATE = re.compile(r"(?i)\b(?:mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag)\s+den\s+[^\n]{0,30}")

_DOC_TYPE_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("beslutningsprotokol", re.compile(r"beslutningsprotokol", re.I)),
    ("høringsnotat", re.compile(r"høringsnotat|hoeringsnotat|høringssvar", re.I)),
    ("projektbeskrivelse", re.compile(r"projektbeskrivelse|projekt-?beskrivelse|projektansøgning", re.I)),
    ("referat", re.compile(r"\breferat\b|\breferater\b|\bbeslutning(?:er)?\s+(?:i|fra)\b", re.I)),
    ("dagsorden", re.compile(r"\bdagsorden\b", re.I)),
    ("evaluering", re.compile(r"\bevaluering\b|\bstatusnotat\b|\bevalueringsrapport\b", re.I)),
    ("politik_strategi", re.compile(r"\b[\wæøå-]*(?:politik|strategi)\b", re.I)),
    ("nyhed", re.compile(r"\bnyhed(?:er)?\b|\bpressemeddelelse\b", re.I)),
)
_COMMITTEE_LABEL = re.compile(r"(?im)^\s*(?:Udvalg|Mødeforum|Forum)\s*:\s*([A-ZÆØÅ§][^\n]{2,80}?)\s*$")
_COMMITTEE = re.compile(
    r"\b((?:[A-ZÆØÅ][\wæøå-]+\s+)?Byråd\b|Byrådet|Kommunalbestyrelsen|Borgerrepræsentationen|Regionsrådet|"
    r"[A-ZÆØÅ][\wæøå]*(?:-\s+og\s+[A-ZÆØÅ]?[\wæøå]+)?udvalget|Lokaludvalg[\wæøå ]{0,30}|§\s*17,\s*stk\.\s*4-udvalg[\wæøå]*)"
)

_TOKEN = re.compile(r"[a-zæøåäö]+")
_EN = frozenset("the and of to is in that with are this be on as by it was which from have will or an not for".split())
_DA_VS_EN = frozenset("og at det der til på med som en er har kan skal vil fra af ikke ved også samt være blev".split())
_SV = frozenset("och är inte att av ett från också när hur vad ska skall mycket kommer även bara finns måste".split())
_DA_VS_SV = frozenset("og ikke af hvad meget hvor også nogle mig dig at et fra når hvordan skal".split())
_NO = frozenset("av etter ble gjennom mellom vært hva mye noe noen kanskje ikkje eit ein berre meg deg seg nå".split())
_DA_VS_NO = frozenset("af efter blev gennem mellem været hvad meget noget nogle måske mig dig sig nu".split())


def parse_date(text: str | None) -> str | None:
    """First valid date in ``text`` as ISO YYYY-MM-DD (Danish and ISO formats)."""
    if not text:
        return None
    best: tuple[int, str] | None = None
    for pattern, named_month in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            month = MONTHS[match["m"].lower()] if named_month else int(match["m"])
            try:
                date = dt.date(int(match["y"]), month, int(match["d"]))
            except ValueError:
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), date.isoformat())
            break
    return best[1] if best else None


def infer_date(text: str, *, head: int = 4000) -> str | None:
    """Meeting/publication date: labelled lines first ('Mødedato: 23.08.2017'), then the first date."""
    head_text = text[:head]
    for pattern in (_DATE_LABEL, _WEEKDAY_DATE):
        for match in pattern.finditer(head_text):
            date = parse_date(match.group(0))
            if date:
                return date
    return parse_date(head_text)


def infer_doc_type(text: str, *, title: str | None = None, path: str | Path | None = None) -> str | None:
    """Genre from cues in the file name, the title, then the first lines of the text."""
    for source in (Path(path).stem.replace("_", " ").replace("-", " ") if path else None, title, text[:1500]):
        if not source:
            continue
        counts = Counter()
        for doc_type, cue in _DOC_TYPE_CUES:
            hits = len(cue.findall(source))
            if hits:
                counts[doc_type] = hits
        if counts:
            order = {t: i for i, (t, _) in enumerate(_DOC_TYPE_CUES)}
            return min(counts, key=lambda t: order[t])  # the most specific cue wins
    return None


def infer_committee(text: str, *, head: int = 1500) -> str | None:
    """The meeting body: a labelled line ('Udvalg: Teknisk Udvalg') or a body name, whichever comes first."""
    found = [m for m in (_COMMITTEE_LABEL.search(text[:head]), _COMMITTEE.search(text[:head])) if m]
    if not found:
        return None
    return min(found, key=lambda m: m.start()).group(1).strip()


def infer_title(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip()
        if len(line) >= 3:
            return line[:150]
    return None


def language_flags(text: str, *, sample: int = 6000, min_tokens: int = 20) -> list[str]:
    """['non_danish'] when function words point to English, Swedish or Norwegian."""
    tokens = _TOKEN.findall(text[:sample].lower())
    if len(tokens) < min_tokens:
        return []
    counts = Counter(tokens)

    def score(words: frozenset[str]) -> int:
        return sum(counts[w] for w in words)

    foreign = (score(_EN) > score(_DA_VS_EN), score(_SV) > score(_DA_VS_SV), score(_NO) > score(_DA_VS_NO))
    return ["non_danish"] if any(foreign) else []


_YEAR_IN_NAME = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


def date_from_path(path: str | Path) -> str | None:
    """A full date in the file name ('referat_2024-03-12.pdf', 'byraad 12.03.2024.pdf')."""
    return parse_date(Path(path).stem.replace("_", " "))


def year_from_path(path: str | Path) -> int | None:
    """A year in the file name, else in its folder's name ('holbaek_2024_referat.pdf' -> 2024)."""
    path = Path(path)
    for name in (path.stem, path.parent.name):
        match = _YEAR_IN_NAME.search(name)
        if match:
            return int(match.group(1))
    return None


def year_of(date: str | None) -> int | None:
    return int(date[:4]) if date and re.match(r"\d{4}-", date) else None


def load_manifest(path: Path) -> dict[str, dict[str, Any]]:
    """Manifest CSV -> {resolved file path: metadata}; bad rows map to their error.

    An unknown municipality or an unreadable date is kept as an ``error`` entry so that
    only that file fails, with a line naming the manifest row.
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputFileError(path=str(path), detail=f"cannot read manifest ({e})") from e
    if not rows or "path" not in rows[0]:
        raise InputFileError(path=str(path), detail=f"manifest needs a 'path' column; columns: {', '.join(MANIFEST_COLUMNS)}")
    manifest: dict[str, dict[str, Any]] = {}
    for n, row in enumerate(rows, start=2):
        if not (row.get("path") or "").strip():
            continue
        file_path = Path(row["path"].strip())
        if not file_path.is_absolute():
            file_path = path.parent / file_path
        meta: dict[str, Any] = {k: (row.get(k) or "").strip() or None for k in MANIFEST_COLUMNS if k != "path"}
        where = f"{path}:{n} ({row['path'].strip()})"
        try:
            if meta["municipality"]:
                meta["municipality"] = require_municipality(meta["municipality"], where=where)
            if meta["date"]:
                iso = parse_date(meta["date"])
                if iso is None:
                    raise InputFileError(path=where, detail=f"cannot read date {meta['date']!r}; use YYYY-MM-DD or '12. marts 2019'")
                meta["date"] = iso
        except SamskabError as e:
            meta = {"error": e}
        manifest[str(file_path.resolve())] = meta
    return manifest


def complete_metadata(doc: dict[str, Any], *, path: str | Path | None = None, raw_text: str | None = None) -> dict[str, Any]:
    """Fill municipality, date, year, doc_type, committee, title where missing; list what was inferred.

    ``raw_text`` is the text before cleaning: running headers removed by the cleaner often
    carry the municipality ("Aarhus Kommune - Økonomiudvalget").
    """
    doc = dict(doc)
    inferred = list(doc.get("inferred") or [])
    text = doc["text"]

    def fill(field: str, value: Any) -> None:
        if doc.get(field) in (None, "") and value not in (None, ""):
            doc[field] = value
            inferred.append(field)

    if doc.get("municipality") in (None, ""):
        fill("municipality", (find_municipality_in_path(path) if path else None) or find_municipality_in_text(raw_text or text))
    fill("date", infer_date(text) or (date_from_path(path) if path else None))
    fill("doc_type", infer_doc_type(text, title=doc.get("title"), path=path))
    fill("committee", infer_committee(text))
    fill("title", infer_title(text))
    if doc.get("year") in (None, ""):
        fill("year", year_of(doc.get("date")) or (year_from_path(path) if path else None))  # nothing better: the file name
    doc["inferred"] = inferred
    return doc
