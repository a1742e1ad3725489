"""Minutes in the layouts of the common Danish publishing systems, written by the project.

Two layouts, each with its gold structure (item numbers, full titles, section kinds):

* ``committee_html()``: a committee-minutes web page as municipal portals render it: item
  number and title in separate table cells, the case number (EMN-...), then the sections
  Beslutninger / Resume / Beslutningspunkter / Sagsforløb (Udvalg / Dato / Punktnummer) /
  Bilag (each appendix followed by a "PDF" link), with site navigation and page tools
  ("Tilbage til forsiden", "Hent som PDF", "Kopier link") around the items.
* ``council_pdf(path)``: a council-minutes PDF (reportlab): running headers and "Side N af M"
  footers, a table of contents with dotted leaders, titles over two or three lines, real
  hyphens and word breaks at line ends, attendance, proposals from parties, case history
  blocks and appendix lists.

All texts are invented for the project. Used by tests/ingest/test_minutes_layouts.py and
scripts/bench_segment.py.
"""

from __future__ import annotations

import html as _html
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

# "¦" marks a forced line break in the PDF: after "2030-" the hyphen is real and kept;
# inside a word ("kom¦munen") the renderer adds a hyphen that the cleaner must remove.
BREAK = "¦"


@dataclass
class Section:
    heading: str
    kind: str
    body: str


@dataclass
class Item:
    number: int
    title: str
    case: str | None
    sections: list[Section] = field(default_factory=list)
    title_lines: list[str] | None = None  # how the PDF breaks the title


@dataclass
class Fixture:
    """A document and its gold structure."""

    name: str
    doc_type: str
    items: list[Item]
    front: list[Section] = field(default_factory=list)  # sections before the first item (attendance ...)
    noise_snippets: dict[str, list[str]] = field(default_factory=dict)  # kind -> texts that must carry it

    def gold_sections(self) -> list[tuple[int | None, str, str]]:
        """(item number, kind, plain body) for every section with text."""
        out = [(None, s.kind, plain(s.body)) for s in self.front]
        for item in self.items:
            out += [(item.number, s.kind, plain(s.body)) for s in item.sections]
        return out


def plain(text: str) -> str:
    """The text as a reader should see it: forced breaks gone, real hyphens kept."""
    return " ".join(text.replace(BREAK, "").split())


# ---------------------------------------------------------------- the committee web page

COMMITTEE_ITEMS = [
    Item(1, "Godkendelse af dagsorden", "EMN-2025-009101", [
        Section("Beslutninger", "decision", "Dagsordenen blev godkendt."),
    ]),
    Item(2, "Cykelstier langs Randersvej - borgerinddragelse i anlægsfasen", "EMN-2025-009242", [
        Section("Beslutninger", "decision", "Indstillingen blev tiltrådt. Venstre tog forbehold for finansieringen."),
        Section("Resume", "content",
                "Teknik og Miljø foreslår, at beboere, erhvervsdrivende og cyklistforeningen inddrages i en følgegruppe, "
                "der mødes fire gange i anlægsfasen. Følgegruppen kan påvirke trafikafviklingen og placeringen af "
                "midlertidige cykelparkeringer."),
        Section("Beslutningspunkter", "proposal",
                "Det indstilles: At 1) der nedsættes en følgegruppe for anlægget af cykelstierne, og at 2) "
                "kommissoriet for følgegruppen godkendes."),
        Section("Sagsforløb", "case_history",
                "Udvalg: Teknisk Udvalg Dato: 02-06-2025 Punktnummer: 7 Udsat til næste møde."),
        Section("Bilag", "appendix_list",
                "Kommissorium for følgegruppen PDF Kort over strækningen PDF"),
    ]),
    Item(3, "Ansøgning om midler fra puljen til grønne fællesskaber i boligområderne Gellerup og Bispehaven", "EMN-2025-010377", [
        Section("Beslutninger", "decision", "Godkendt."),
        Section("Resume", "content",
                "Boligforeningerne og tre lokale foreninger søger i fællesskab 1,2 mio. kr. til at omdanne "
                "græsarealer til fælleshaver, som beboerne selv driver. Kommunen stiller vejledning og redskaber til rådighed."),
        Section("Beslutningspunkter", "proposal", "Det indstilles: At 1) ansøgningen imødekommes med 1,2 mio. kr."),
        Section("Bilag", "appendix_list", "Ansøgning fra Brabrand Boligforening PDF"),
    ]),
    Item(4, "Trafiksikkerhedsplan 2026-2030", "EMN-2025-011020", [
        Section("Beslutninger", "decision", "Indstillingen blev tiltrådt."),
        Section("Resume", "content",
                "Planen bygger på 412 høringssvar og tre borgermøder. Skolernes trafikudvalg har udpeget de farligste "
                "krydsninger, og forslagene er indarbejdet i planens første etape."),
        Section("Beslutningspunkter", "proposal", "Det indstilles: At 1) trafiksikkerhedsplanen vedtages."),
        Section("Sagsforløb", "case_history",
                "Udvalg: Magistraten Dato: 19-05-2025 Punktnummer: 4 Fremsendes til Teknisk Udvalg med bemærkning om "
                "at inddrage skolebestyrelserne."),
        Section("Bilag", "appendix_list", "Trafiksikkerhedsplan 2026-2030 PDF Høringsnotat PDF"),
    ]),
    Item(5, "Eventuelt", "EMN-2025-009102", [
        Section("Beslutninger", "decision", "Intet at bemærke."),
    ]),
]

_NAV_TOP = """<header class="site-header"><a class="logo" href="/">Aarhus Kommune</a>
<nav aria-label="Hovedmenu"><ul><li><a href="/borger">Borger</a></li><li><a href="/erhverv">Erhverv</a></li>
<li><a href="/politik">Politik og indflydelse</a></li><li><a href="/om">Om kommunen</a></li></ul></nav>
<form class="search"><input name="q" placeholder="Søg"><button>Søg</button></form></header>
<div class="cookie-banner"><p>Vi bruger cookies for at forbedre siden.</p><button>Accepter alle</button></div>"""
_TOOLS = """<div class="page-tools"><a href="/politik/referater">Tilbage til forsiden</a>
<a href="referat.pdf">Hent som PDF</a><button data-copy="link">Kopier link</button></div>"""
_FOOTER = """<footer><p>Aarhus Kommune, Rådhuspladsen 2, 8000 Aarhus C</p><p><a href="/tilgaengelighed">Tilgængelighedserklæring</a>
<a href="/privatliv">Privatlivspolitik</a></p></footer>"""


def _split_fields(body: str) -> list[tuple[str, str]]:
    """'Udvalg: X Dato: Y Punktnummer: 7 rest' -> [(Udvalg, X), (Dato, Y), (Punktnummer, 7), ('', rest)]."""
    parts = re.split(r"(Udvalg|Dato|Punktnummer):\s*", body)
    out, rest = [], ""
    for label, value in zip(parts[1::2], parts[2::2]):
        if label == "Punktnummer":
            number, _, rest = value.partition(" ")
            out.append((label, number))
        else:
            out.append((label, value.strip()))
    if rest.strip():
        out.append(("", rest.strip()))
    return out


def _html_section(section: Section) -> str:
    e = _html.escape
    head = f'<h3 class="section-title">{e(section.heading)}</h3>'
    if section.kind == "case_history":
        blocks, dl = [], []
        for label, value in _split_fields(section.body):
            if label:
                dl.append(f"<dt>{e(label)}</dt><dd>{e(value)}</dd>")
            else:
                blocks.append(f"<p>{e(value)}</p>")
        return head + f'<div class="case-history"><dl>{"".join(dl)}</dl>{"".join(blocks)}</div>'
    if section.kind == "appendix_list":
        names = [n.strip() for n in section.body.split(" PDF") if n.strip()]
        links = "".join(f'<li><span class="bilag-title">{e(n)}</span> <a class="pdf" href="#">PDF</a></li>' for n in names)
        return head + f'<ul class="attachments">{links}</ul>'
    return head + f'<div class="section-body"><p>{e(section.body)}</p></div>'


def committee_html() -> tuple[str, Fixture]:
    """A Teknisk Udvalg minutes page (5 items), laid out as the municipal portal renders it."""
    e = _html.escape
    items = []
    for item in COMMITTEE_ITEMS:
        sections = "".join(_html_section(s) for s in item.sections)
        items.append(
            f'<div class="agenda-item" id="punkt-{item.number}">'
            f'<table class="item-head"><tr><td class="item-number">{item.number}.</td>'
            f'<td class="item-title"><span>{e(item.title)}</span></td></tr></table>'
            f'<div class="case-number">{e(item.case or "")}</div>{sections}'
            f'<div class="item-tools"><a href="#top">Til toppen</a> <a href="#">Kopier link</a></div></div>'
        )
    page = f"""<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>Referat - Teknisk Udvalg - 16. juni 2025</title></head>
<body>{_NAV_TOP}
<main id="top"><nav class="breadcrumb"><a href="/">Forside</a> / <a href="/politik">Politik</a> / Referater</nav>
{_TOOLS}
<div class="meeting-head"><h1>Referat</h1>
<p>Udvalg: Teknisk Udvalg</p><p>Mødedato: 16.06.2025, kl. 15:00</p><p>Mødested: Rådhuset, lokale 398</p></div>
{''.join(items)}
{_TOOLS}
</main>{_FOOTER}</body></html>"""
    fixture = Fixture("committee_web", "referat", COMMITTEE_ITEMS,
                      noise_snippets={"navigation": ["Tilbage til forsiden", "Hent som PDF"]})
    return page, fixture


# ---------------------------------------------------------------- a second portal layout

AGENDA_ITEMS = [
    Item(1, "Godkendelse af dagsorden", None, [Section("Beslutning i Børne- og Skoleudvalget den 15. maj 2024", "decision", "Godkendt.")]),
    Item(2, "Lektiecaféer i samarbejde med frivillige foreninger på fem skoler", "17.01.00-A00-3-24", [
        Section("Beslutningstema", "content",
                "Udvalget skal tage stilling til, om lektiecaféerne skal gøres permanente, så frivillige fra Red Barnet "
                "og Dansk Flygtningehjælp kan fortsætte arbejdet sammen med skolernes lærere."),
        Section("Sagsfremstilling", "content",
                "I forsøgsperioden har 240 elever brugt caféerne. Forældre og frivillige har selv planlagt åbningstiderne, "
                "og skolerne stiller lokaler og en koordinator til rådighed."),
        Section("Økonomiske konsekvenser", "content", "Udgiften på 0,6 mio. kr. årligt afholdes inden for udvalgets ramme."),
        Section("Indstilling", "proposal",
                "Børne- og Ungeforvaltningen indstiller, at lektiecaféerne gøres permanente fra skoleåret 2024/25."),
        Section("Beslutning i Børne- og Skoleudvalget den 15. maj 2024", "decision", "Indstillingen blev godkendt."),
        Section("Bilag", "appendix_list", "Evaluering af lektiecaféerne 2023"),
    ]),
    Item(3, "Orientering om skolernes trivselsmåling", "17.01.10-G01-1-24", [
        Section("Sagsfremstilling", "content",
                "Trivselsmålingen viser en svag fremgang på mellemtrinnet. Elevrådene har drøftet resultaterne og "
                "foreslået tre indsatser mod ensomhed i frikvartererne."),
        Section("Indstilling", "proposal", "Forvaltningen indstiller, at orienteringen tages til efterretning."),
        Section("Beslutning i Børne- og Skoleudvalget den 15. maj 2024", "decision", "Taget til efterretning."),
    ]),
]


def agenda_html() -> tuple[str, Fixture]:
    """A Børne- og Skoleudvalget minutes page laid out with blocks instead of tables: the item number
    and title in separate div's, case metadata in a definition list, sections as h3 headings."""
    e = _html.escape
    items = []
    for item in AGENDA_ITEMS:
        meta = (f'<dl class="meta"><dt>Sagsnr.</dt><dd>{e(item.case)}</dd><dt>Status</dt><dd>Åben sag</dd></dl>'
                if item.case else "")
        body = ""
        for section in item.sections:
            if section.kind == "appendix_list":
                text = f'<ul><li><a href="#">{e(section.body)}</a></li></ul>'
            else:
                text = f"<p>{e(section.body)}</p>"
            body += f"<h3>{e(section.heading)}</h3>{text}"
        items.append(f'<section class="punkt"><div class="punkt-nr">{item.number}</div>'
                     f'<div class="punkt-titel">{e(item.title)}</div>{meta}{body}</section>')
    page = f"""<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>Børne- og Skoleudvalget 15.05.2024</title></head>
<body><header><a href="/">Holbæk Kommune</a><nav><a href="/politik">Politik</a></nav></header>
<main><div class="skip"><a href="#indhold">Gå til indhold</a></div>
<h1>Referat</h1><p>Børne- og Skoleudvalget</p><p>Onsdag den 15. maj 2024 kl. 16.00</p><p>Mødested: Holbæk Rådhus</p>
<h2>Fraværende</h2><p>Mette Lund (F)</p>
<div id="indhold">{''.join(items)}</div>
<p><a href="#">Udskriv</a> | <a href="#">Del</a></p></main>
<footer>Holbæk Kommune, Kanalstræde 2</footer></body></html>"""
    fixture = Fixture("agenda_web", "referat", AGENDA_ITEMS,
                      front=[Section("Fraværende", "attendance", "Mette Lund (F)")],
                      noise_snippets={"navigation": ["Udskriv"]})
    return page, fixture


# ---------------------------------------------------------------- the council PDF

COUNCIL_ITEMS = [
    Item(1, "Godkendelse af dagsorden", None, [
        Section("Beslutninger", "decision", "Dagsordenen blev godkendt uden bemærkninger."),
    ]),
    Item(2, "Perles fremtid på Aarhus Ø - borgerinddragelse i udviklingen af den sidste byggegrund på havnefronten",
         None, [
             Section("Beslutninger", "decision",
                     "Fremsendes til Aarhus Byråd med bemærkning om, at beboerforeningen på Aarhus Ø inddrages i "
                     "konkurrenceprogrammet. Indstillingen blev vedtaget med 27 stemmer mod 4."),
             Section("INDSTILLING FRA MAGISTRATSAFDELINGEN FOR TEKNIK OG MILJØ", "proposal",
                     "Til Aarhus Byråd via Magistraten. Teknik og Miljø indstiller, at der gennemføres en åben "
                     "idékonkurrence om byggegrunden."),
             Section("Resume", "content",
                     "Byggegrunden ved Perlen er den sidste ubebyggede grund på havnefronten. Beboerne har i to år "
                     "arbejdet for, at grunden bruges til fællesfunktioner, og har samlet 3.100 under¦skrifter. Den nye "
                     "2030-¦fremskrivning af befolkningen viser et stigende behov for institutioner i området."),
             Section("Beslutningspunkter", "proposal",
                     "Det indstilles: At 1) der udskrives en idékonkurrence, hvor beboere og lokale foreninger sidder "
                     "med i dommerkomitéen, og at 2) kommunen afholder udgifterne på 0,8 mio. kr."),
             Section("Sagsforløb", "case_history",
                     "Udvalg: Magistraten Dato: 19-08-2025 Punktnummer: 5 Fremsendes til Aarhus Byråd med bemærkning "
                     "om, at konkurrencen annonceres inden årets udgang."),
             Section("Bilag", "appendix_list",
                     "Bilag 1: Beslutningsforslag / Meningstilkendegivelse fra Enhedslisten (påført 07.04.2025) "
                     "Bilag 2: Forslag til lokalplan nr. 1187 - Boliger og fællesfunktioner ved Perlen"),
         ], title_lines=["2. Perles fremtid på Aarhus Ø - borgerinddragelse i udviklingen af den sidste",
                         "byggegrund på havnefronten"]),
    Item(3, "Beslutningsforslag fra Enhedslisten om en borgersamling om klimatilpasning", None, [
        Section("Beslutninger", "decision", "Forslaget blev forkastet med 25 stemmer mod 6."),
        Section("BESLUTNINGSFORSLAG FRA ENHEDSLISTEN", "proposal",
                "Byrådet pålægger Borgmesterens Afdeling at nedsætte en borgersamling med 40 lodtrukne borgere, "
                "der skal komme med anbefalinger til klimatilpasningen af midtbyen."),
        Section("Baggrund", "content",
                "Kraftige regnskyl har de seneste år oversvømmet kældre i midtbyen. Borgersamlinger er afprøvet i "
                "flere kom¦muner, hvor borgerne sammen med fagfolk har formuleret løsninger, som byrådet har fulgt."),
        Section("Begrundelse", "content",
                "En borgersamling giver borgerne reel indflydelse på prioriteringen af de store investeringer i "
                "klimasikring, og den styrker tilliden til beslutningerne."),
        Section("Borgmesterens Afdelings påtegning", "content",
                "Borgmesterens Afdeling vurderer, at en borgersamling vil koste ca. 2 mio. kr., og at opgaven kan "
                "løses inden for den eksisterende ramme for borgerinddragelse."),
        Section("Bilag", "appendix_list",
                "Bilag 1: Beslutningsforslag fra Enhedslisten (påført 07.04.2025) Bilag 2: Notat om borgersamlinger i "
                "andre kommuner"),
    ], title_lines=["3. Beslutningsforslag fra Enhedslisten om en borgersamling om",
                    "klimatilpasning"]),
    Item(4, "Budgetopfølgning pr. 30. juni 2025 for Sociale Forhold og Beskæftigelse", None, [
        Section("Beslutninger", "decision", "Taget til efterretning."),
        Section("Problemstilling", "content",
                "Magistratsafdelingen forventer et merforbrug på 14,2 mio. kr., primært på det specialiserede "
                "voksenområde. Udgifterne til botilbud er steget mere end forudsat i budgettet."),
        Section("Økonomi", "content",
                "Merforbruget finansieres af afdelingens opsparing. Der er ingen bevillingsmæssige konsekvenser for "
                "kassebeholdningen i 2025."),
        Section("Sagsforløb", "case_history",
                "Udvalg: Magistraten Dato: 11-08-2025 Punktnummer: 3 Fremsendes til Aarhus Byråd uden bemærkninger."),
    ], title_lines=["4. Budgetopfølgning pr. 30. juni 2025 for Sociale Forhold og", "Beskæftigelse"]),
    Item(5, "Samarbejdsaftale med frivillige foreninger om nattevandring og tryghed i Bispehaven, Gellerup og "
            "Toveshøj i perioden 2026-2028", None, [
        Section("Beslutninger", "decision", "Indstillingen blev vedtaget."),
        Section("Resume", "content",
                "Kommunen, politiet, boligorganisationerne og fire frivillige foreninger har udarbejdet en fælles "
                "aftale om nattevandring. Foreningerne planlægger ruterne, og kommunen betaler uddannelse og udstyr."),
        Section("Beslutningspunkter", "proposal",
                "Det indstilles: At 1) samarbejdsaftalen godkendes, og at 2) der afsættes 0,5 mio. kr. årligt til "
                "uddannelse af nattevandrere."),
        Section("Høring", "content",
                "Lokalrådet i Gellerup og Hasle Lokalråd har afgivet høringssvar. Begge støtter aftalen og ønsker, at "
                "unge fra området uddannes som nattevandrere."),
        Section("Bilag", "appendix_list", "Bilag 1: Samarbejdsaftale om nattevandring 2026-2028"),
    ], title_lines=["5. Samarbejdsaftale med frivillige foreninger om nattevandring og tryghed",
                    "i Bispehaven, Gellerup og Toveshøj i perioden", "2026-2028"]),
    Item(6, "Meddelelser", None, [
        Section("Beslutninger", "decision", "Borgmesteren orienterede om dialogmødet med Klimarådet."),
    ]),
]
COUNCIL_FRONT = [Section("Fraværende", "attendance", "Anne Holm (A), Jens Bak (V), med stedfortræder Lise Berg (V).")]
HEADER = "Aarhus Byråd - Referat - 20. august 2025"


def _wrap(text: str, width: int = 92) -> list[str]:
    """Lines as the PDF prints them; forced breaks (¦) hyphenate inside words."""
    lines: list[str] = []
    chunks = text.split(BREAK)
    carry = ""
    for i, chunk in enumerate(chunks):
        wrapped = textwrap.wrap(carry + chunk, width=width) or [""]
        if i < len(chunks) - 1:
            last = wrapped[-1]
            wrapped[-1] = last if last.endswith("-") else last + "-"
        lines += wrapped
        carry = ""
    return lines


def _section_lines(section: Section) -> list[str]:
    if section.kind == "case_history":
        return [f"{label}: {value}" if label else value for label, value in _split_fields(section.body)]
    if section.kind == "appendix_list":
        return [("Bilag " + part).strip() for part in section.body.split("Bilag ") if part.strip()]
    return _wrap(section.body)


def council_lines() -> list[str]:
    """The PDF's body lines in reading order ("\\f" starts a new page), before page furniture."""
    lines = ["Aarhus Byråd", "Referat", "Mødedato: 20.08.2025, kl. 18:30", "Mødested: Byrådssalen, Aarhus Rådhus", ""]
    for section in COUNCIL_FRONT:
        lines += [section.heading, *_wrap(section.body), ""]
    lines += ["Indholdsfortegnelse", ""]
    for page, item in enumerate(COUNCIL_ITEMS, start=2):
        title = item.title_lines or [f"{item.number}. {item.title}"]
        lines += title[:-1]
        lines.append(f"{title[-1]} " + "." * max(8, 80 - len(title[-1])) + f" {page}")
    lines.append("\f")
    for item in COUNCIL_ITEMS:
        lines += item.title_lines or [f"{item.number}. {item.title}"]
        for section in item.sections:
            lines += [section.heading, *_section_lines(section)]
        lines.append("")
    return lines


def council_pdf(path: Path) -> Fixture:
    """Write the council-minutes PDF to ``path``; returns its gold structure."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    width, height = A4
    pages: list[list[str]] = [[]]
    per_page = 44
    for line in council_lines():
        if line == "\f" or len(pages[-1]) >= per_page:
            pages.append([])
            if line == "\f":
                continue
        pages[-1].append(line)
    pages = [p for p in pages if p]
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle("Referat Aarhus Byråd 20. august 2025")
    for number, page in enumerate(pages, start=1):
        pdf.setFont("Helvetica", 8)
        pdf.drawString(50, height - 35, HEADER)
        pdf.drawString(width - 110, 30, f"Side {number} af {len(pages)}")
        y = height - 70
        for line in page:
            bold = bool(re.match(r"^\d+\. ", line)) or line.isupper() or line in {"Beslutninger", "Resume", "Bilag"}
            pdf.setFont("Helvetica-Bold" if bold else "Helvetica", 10)
            pdf.drawString(50, y, line)
            y -= 15
        pdf.showPage()
    pdf.save()
    return Fixture("council_pdf", "referat", COUNCIL_ITEMS, front=COUNCIL_FRONT,
                   noise_snippets={"toc": ["Indholdsfortegnelse"]})
