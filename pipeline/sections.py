"""The section vocabulary of Danish minutes: headings, item titles, case metadata, and each
block's ``section_kind``.

Minutes are published through a handful of systems that share their building blocks
(Punkt N, case numbers, Resume / Indstilling / Beslutning / Sagsforløb / Bilag, the meeting
head, navigation on web pages). ``pipeline.segment`` cuts documents; this module says what
each piece is. The kinds in ``NOISE_SECTION_KINDS`` are stored but not classified.
"""

from __future__ import annotations

import re

SECTION_KINDS = ("content", "decision", "proposal", "case_history", "appendix_list", "attendance", "toc", "navigation")
NOISE_SECTION_KINDS = frozenset({"toc", "navigation", "attendance", "appendix_list", "case_history"})
_SECTION_NAMES = (
    "Sagsfremstilling", "Supplerende sagsfremstilling", "Sagsbeskrivelse", "Sagens indhold", "Resumé", "Resume",
    "Baggrund", "Begrundelse", "Beslutningstema", "Problemstilling", "Løsning", "Vurdering", "Indstilling", "Indstillinger",
    "Forvaltningens indstilling", "Administrationens indstilling", "Direktionens indstilling", "Beslutningspunkter",
    "Beslutningsforslag", "Forslag til beslutning", "Sagsforløb", "Sagens forløb", "Tidligere behandling",
    "Bilag", "Bilagsliste", "Bilagsoversigt", "Økonomi", "Økonomiske konsekvenser", "Økonomiske forhold",
    "Bevillingsmæssige konsekvenser", "Høring", "Høringssvar",
    "Videre proces", "Kommunikation", "Lovgrundlag", "Retsgrundlag", "Tidsplan", "Miljøvurdering",
    "Beslutning", "Beslutninger", "Fremsendes", "Formål", "Målgruppe", "Aktiviteter", "Organisering", "Forankring", "Evaluering",
    "Vision", "Værdier", "Mål", "Indsatsområder", "Indledning", "Konklusion", "Budget", "Partnere",
    "Fraværende", "Fravær", "Afbud", "Mødedeltagere", "Deltagere", "Til stede", "Indholdsfortegnelse", "Indhold",
)
# section name (lower case) -> kind; every name not listed is content
_KIND_OF_SECTION = {
    **dict.fromkeys(("beslutning", "beslutninger", "fremsendes"), "decision"),
    **dict.fromkeys(("indstilling", "indstillinger", "forvaltningens indstilling", "administrationens indstilling",
                     "direktionens indstilling", "beslutningspunkter", "beslutningsforslag", "forslag til beslutning"), "proposal"),
    **dict.fromkeys(("sagsforløb", "sagens forløb", "tidligere behandling"), "case_history"),
    **dict.fromkeys(("bilag", "bilagsliste", "bilagsoversigt"), "appendix_list"),
    **dict.fromkeys(("fraværende", "fravær", "afbud", "mødedeltagere", "deltagere", "til stede"), "attendance"),
    **dict.fromkeys(("indholdsfortegnelse", "indhold"), "toc"),
}
_SECTION = re.compile(
    r"^(?P<name>" + "|".join(sorted((re.escape(n) for n in _SECTION_NAMES), key=len, reverse=True)) + r")"
    r"(?P<qual>\s+(?:i|på|fra|af)\s+[^\n:]{1,90}?)?"     # Beslutning i Økonomiudvalget den 1. oktober 2018
    r"\s*(?::\s*(?P<rest>.*)|\s*)$",
    re.IGNORECASE,
)
# headings that take a qualifier ("Beslutning i Økonomiudvalget den 1. oktober 2018", "Indstilling fra
# Magistratsafdelingen for Teknik og Miljø"); for other names "Evaluering af lektiecaféerne" is a title, not a heading
_QUALIFIED = frozenset(("beslutning", "beslutninger", "indstilling", "indstillinger", "beslutningsforslag",
                        "forvaltningens indstilling", "administrationens indstilling", "direktionens indstilling",
                        "sagsfremstilling", "supplerende sagsfremstilling"))


def _section_match(line: str) -> re.Match[str] | None:
    """The section heading on ``line``, if it is one."""
    m = _SECTION.match(line) if len(line) <= 140 else None
    if m and m.group("qual") and m.group("name").lower() not in _QUALIFIED:
        return None
    return m


_ITEM = re.compile(r"^(?:(?:Punkt|Pkt\.?)\s*(?P<p>\d{1,3})\s*[:.,]?\s*(?P<ptitle>.*)|(?P<n>\d{1,3})\.\s+(?P<title>\S.*))$")
_ITEM_PREFIX = re.compile(r"^(?:(?:Punkt|Pkt\.?)\s*\d{1,3}\s*[:.,]?|\d{1,3}\.)\s*")
_CASE_META = re.compile(
    r"^\s*(?:sags?\s*nr|sagsnummer|sagsid|sags-id|dok\.?\s*nr|j\.?\s*nr|journalnr|initialer|kompetence|sagsansvarlig|"
    r"emn-\d{4}-\d+|status\s*:\s*(?:åben|lukket)|sagsbehandler\s*:|"
    r"åben(?:t)?(?:\s+sag)?|lukket(?:\s+sag)?|\([bo]\)|til\s+behandling|til\s+efterretning)\b.*$",
    re.IGNORECASE,
)
_PAATEGNING = re.compile(r"^[A-ZÆØÅ][\wæøåÆØÅ .-]{2,80}s påtegning$", re.IGNORECASE)  # Borgmesterens Afdelings påtegning
_NAV_PHRASE = (
    r"(?:Tilbage(?:\s+til\s+[\wæøå ]{1,30}?)?|Hent\s+(?:som\s+)?PDF|Download(?:\s+som)?\s+PDF|Kopi[eé]r\s+link|"
    r"Del(?:\s+(?:på|via)\s+\w+)?|Udskriv|Print|(?:Gå\s+)?til\s+toppen|Forside|Næste|Forrige|Luk|Menu|Søg|"
    r"Se\s+(?:hele\s+)?dagsorden(?:en)?|Abonn[eé]r[\wæøå ]{0,30}?|Læs\s+mere|PDF|Accepter(?:\s+alle)?(?:\s+cookies)?|"
    r"Log\s+ind|Vis\s+bilag|Skjul|Politik|Referater|Dagsordener|(?:Gå|Spring(?:\s+over)?)\s+til\s+(?:hoved)?indhold(?:et)?)"
)
_NAVIGATION = re.compile(rf"^(?:{_NAV_PHRASE}\s*[|/·>»•]?\s*)+$", re.IGNORECASE)
_BODY = re.compile(r"\b(?:Byråd(?:et)?|Kommunalbestyrelsen|Borgerrepræsentationen|Magistraten|Regionsrådet|\w*[Uu]dvalg(?:et)?)\b")
_APPENDIX_LINE = re.compile(r"^\s*Bilag\s+\d{1,3}\s*[:.)-]", re.IGNORECASE)
_CASE_HISTORY_LINE = re.compile(r"^\s*(?:Udvalg|Punktnummer|Punkt\s*nr\.?|Behandlet\s+i)\s*:", re.IGNORECASE)
_PROPOSAL_START = re.compile(r"^(?:Det\s+indstilles|[\wæøåÆØÅ]+(?:\s+[\wæøåÆØÅ]+)?\s+indstiller)\s*(?:,|:|\s+at\b)", re.IGNORECASE)
_MEETING_HEAD = re.compile(
    r"^(?:(?:Mødedato|Mødested|Mødetidspunkt|Mødetid|Møde\s+(?:start|slut)|Mødeforum|Udvalg|Dato|Tid|Sted|Starttidspunkt|"
    r"Sluttidspunkt)\s*:.*|Referat|Dagsorden|Beslutningsprotokol|Åbent\s+referat|Åben\s+dagsorden|"
    r"(?:Mandag|Tirsdag|Onsdag|Torsdag|Fredag|Lørdag|Søndag)\s+den\s+\d{1,2}\..{0,40}|\d{1,2}\.\s*[a-zæøå]+\s+\d{4}.{0,30})$",
    re.IGNORECASE,
)

def _section_name(match: re.Match[str]) -> str:
    name = match.group("name")
    canonical = next((n for n in _SECTION_NAMES if n.lower() == name.lower()), name)
    return "Resumé" if canonical == "Resume" else canonical


def section_kind_of(section: str | None) -> str:
    """The kind of a section heading: decision, proposal, case_history, appendix_list, attendance, toc or content."""
    return _KIND_OF_SECTION.get((section or "").lower(), "content")


def item_title(item: str | None) -> str | None:
    """'5. Perles fremtid ...' / 'Punkt 5: ...' -> the title without its number."""
    return None if item is None else _ITEM_PREFIX.sub("", item, count=1).strip()


def _block_kind(text: str, *, kind: str, item: str | None, minutes: bool) -> str:
    """Refine a block's kind from its own lines: navigation, appendix lists, case history, proposals, meeting head."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if not lines:
        return kind
    if all(_NAVIGATION.match(ln) for ln in lines):
        return "navigation"
    if kind in ("toc", "attendance"):
        return kind
    if minutes and item is None and kind == "content" \
            and all(_MEETING_HEAD.match(ln) or (len(ln) <= 60 and not _is_prose(ln)) for ln in lines) \
            and any(_MEETING_HEAD.match(ln) or _BODY.search(ln) for ln in lines):
        return "attendance"  # the meeting head: body, date, place (who and when, not what)
    if sum(1 for ln in lines if _APPENDIX_LINE.match(ln)) * 2 > len(lines):
        return "appendix_list"
    if _CASE_HISTORY_LINE.match(lines[0]) and kind in ("content", "case_history", "decision"):
        return "case_history"
    if kind == "content" and _PROPOSAL_START.match(lines[0]):
        return "proposal"
    return kind


def _is_prose(line: str) -> bool:
    """A line of running text, not a (wrapped) title: long, or a sentence ending with a period."""
    return len(line) > 100 or (len(line) > 30 and line.endswith(".") and " " in line)
