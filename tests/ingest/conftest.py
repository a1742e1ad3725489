"""Small real input files, built on the fly: PDFs (furniture, two columns, corrupt,
encrypted, scanned), DOCX, HTML with boilerplate, texts in several encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

SAGSFREMSTILLING = (
    "Byrådet besluttede i 2016 at styrke borgerinddragelsen i byudviklingen. Der nedsættes et "
    "§ 17, stk. 4-udvalg med repræsentanter fra boligforeninger, idrætsforeninger og lokale "
    "virksomheder i Gellerup og Toveshøj. Udvalget skal mødes fire gange og aflevere sine "
    "anbefalinger til Teknik- og Miljøudvalget inden udgangen af året."
)

REFERAT_PAGES = [
    [
        "Referat",
        "Økonomiudvalget",
        "Mødedato: 23.08.2017, kl. 11:00",
        "Mødested: Rådhuset, mødelokale 1",
        "",
        "1. Godkendelse af dagsorden",
        "Beslutning",
        "Godkendt.",
        "",
        "2. Borgerinddragelse i ny lokalplan for Gellerup",
        "Sagsnr.: 330-2018-3619",
        "Resumé",
        "Forvaltningen foreslår, at borgerne inddrages tidligt i arbejdet med lokalplanen gennem et",
        "borgerpanel, hvor beboere, foreninger og skoler får en fast plads ved bordet.",
    ],
    [
        "Sagsfremstilling",
        "Byrådet besluttede i 2016 at styrke borgerinddragelsen i byudviklingen. Der nedsættes et",
        "§ 17, stk. 4-udvalg med repræsentanter fra boligforeninger, idrætsforeninger og lokale",
        "virksomheder i Gellerup og Toveshøj. Udvalget skal mødes fire gange, og den endelige kom-",
        "mune- og lokalplan udarbejdes i fællesskab med udvalget.",
        "Indstilling",
        "Forvaltningen indstiller, at udvalget nedsættes, og at kommissoriet godkendes.",
        "Beslutning i Økonomiudvalget den 23. august 2017:",
        "Anbefales. Et flertal (A, V, O) stemte for; Ø stemte imod.",
    ],
    [
        "3. Meddelelser",
        "Borgmesteren orienterede om status på budgetforhandlingerne og om næste møde i",
        "Børne- og Skoleudvalget, hvor frivillige fra Røde Kors deltager.",
    ],
]
COLUMN_LEFT = ["Venstre spalte handler om ældreplejen", "og om plejecentrets nye værested", "for pårørende og frivillige."]
COLUMN_RIGHT = ["Højre spalte handler om skolerne", "og om lektiecaféen på Søndervang", "drevet af forældre og lærere."]

HTML_PAGE = """<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>Borgermøde om ny skolestruktur</title></head>
<body>
<header><nav><ul><li><a href="/">Forside</a></li><li><a href="/borger">Borger</a></li><li><a href="/erhverv">Erhverv</a></li>
<li><a href="/politik">Politik og demokrati</a></li></ul></nav></header>
<div class="cookie">Vi bruger cookies til statistik. Accepter alle cookies</div>
<main><article>
<h1>Borgermøde om ny skolestruktur</h1>
<p>Kommunen inviterer alle forældre, elever og lærere til borgermøde om den nye skolestruktur torsdag den 12. marts 2020 i Multihuset.</p>
<p>På mødet præsenterer Børne- og Skoleudvalget tre modeller, og borgerne kan stille spørgsmål og komme med forslag. Forslagene indgår i det videre arbejde, før udvalget træffer beslutning.</p>
<p>Skolebestyrelserne og de lokale foreninger er inviteret til at deltage i en arbejdsgruppe, som skal udvikle modellerne sammen med forvaltningen hen over foråret.</p>
</article></main>
<footer><p>Rådhuspladsen 1 · Telefon 70 70 12 12 · Tilgængelighedserklæring · Privatlivspolitik</p></footer>
</body></html>"""

DANISH_TEXT = (
    "Projektbeskrivelse: Fælles om Søndervang\n\n"
    "Formål\n\n"
    "Projektet skal styrke samarbejdet mellem kommunen, boligforeningen og de frivillige foreninger i "
    "området. Beboerne inddrages i at udvikle aktiviteterne, og de får ansvar for driften af værestedet.\n\n"
    "Organisering\n\n"
    "Der nedsættes en styregruppe med to repræsentanter fra hver part. Styregruppen mødes fire gange om året "
    "og følger op på økonomi og aktiviteter.\n"
)
ENGLISH_TEXT = (
    "The municipality will work with local associations to develop new activities for young people. "
    "This is a project description that was written in English for an international partner, and it is "
    "not the kind of text that the Danish classifier has been trained on.\n"
)


def _pdf(path: Path, pages: list[list[str]], *, header: str | None = None, total: int | None = None,
         columns: tuple[list[str], list[str]] | None = None) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    c.setTitle("")
    width, height = A4
    n_pages = len(pages) + (1 if columns else 0)
    for i, lines in enumerate(pages, start=1):
        if header:
            c.setFont("Helvetica", 8)
            c.drawString(50, height - 30, header)
            c.drawString(width / 2 - 20, 25, f"Side {i} af {total or n_pages}")
        c.setFont("Helvetica", 10)
        y = height - 70
        for line in lines:
            c.drawString(50, y, line)
            y -= 14
        c.showPage()
    if columns:
        if header:
            c.setFont("Helvetica", 8)
            c.drawString(50, height - 30, header)
            c.drawString(width / 2 - 20, 25, f"Side {n_pages} af {total or n_pages}")
        c.setFont("Helvetica", 10)
        for x, lines in ((50, columns[0]), (310, columns[1])):  # written column by column, as typesetters do
            y = height - 70
            for line in lines:
                c.drawString(x, y, line)
                y -= 14
        c.showPage()
    c.save()
    return path


@pytest.fixture
def referat_pdf(tmp_path: Path) -> Path:
    return _pdf(tmp_path / "referat_oekonomiudvalget.pdf", REFERAT_PAGES,
                header="Aarhus Kommune – Økonomiudvalget – Referat 23.08.2017", total=41)


@pytest.fixture
def two_column_pdf(tmp_path: Path) -> Path:
    return _pdf(tmp_path / "nyhedsbrev.pdf", [["Nyhedsbrev fra Søndervang Lokalråd", "Her er nyt fra området."]],
                columns=(COLUMN_LEFT, COLUMN_RIGHT))


@pytest.fixture
def corrupt_pdf(tmp_path: Path, referat_pdf: Path) -> Path:
    data = referat_pdf.read_bytes()
    path = tmp_path / "ødelagt.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00garbage\x13\x37" * 50 + data[200:600])
    return path


@pytest.fixture
def encrypted_pdf(tmp_path: Path, referat_pdf: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(str(referat_pdf)).pages:
        writer.add_page(page)
    writer.encrypt(user_password="hemmelig", owner_password="ejer", algorithm="RC4-128")
    path = tmp_path / "krypteret.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    return path


@pytest.fixture
def scanned_pdf(tmp_path: Path) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "scannet.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(2):
        for k in range(30):  # grey bars where a scanner would have put an image of text
            c.setFillGray(0.3 + 0.02 * (k % 5))
            c.rect(50, 780 - 22 * k, 400 + 5 * (k % 7), 10, fill=1, stroke=0)
        c.showPage()
    c.save()
    return path


@pytest.fixture
def docx_file(tmp_path: Path) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = "Projektbeskrivelse: Fælles om Søndervang"
    document.add_heading("Projektbeskrivelse: Fælles om Søndervang", level=1)
    document.add_paragraph("Formål")
    document.add_paragraph("Projektet skal styrke samarbejdet mellem kommunen, boligforeningen og de frivillige "
                           "foreninger i området, så beboerne selv driver værestedet.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Partner"
    table.cell(0, 1).text = "Rolle"
    table.cell(1, 0).text = "Søndervang Boligforening"
    table.cell(1, 1).text = "Stiller lokaler til rådighed"
    document.add_paragraph("Økonomi")
    document.add_paragraph("Projektet støttes med 1,2 mio. kr. fra puljen til udsatte boligområder.")
    path = tmp_path / "projekt.docx"
    document.save(str(path))
    return path


@pytest.fixture
def html_file(tmp_path: Path) -> Path:
    path = tmp_path / "nyhed.html"
    path.write_text(HTML_PAGE, encoding="utf-8")
    return path


@pytest.fixture
def cp1252_txt(tmp_path: Path) -> Path:
    path = tmp_path / "notat_cp1252.txt"
    path.write_bytes(DANISH_TEXT.encode("cp1252"))
    return path


@pytest.fixture
def bom_txt(tmp_path: Path) -> Path:
    path = tmp_path / "notat_bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + DANISH_TEXT.encode("utf-8"))
    return path


@pytest.fixture
def mojibake_txt(tmp_path: Path) -> Path:
    path = tmp_path / "notat_mojibake.txt"
    path.write_text(DANISH_TEXT.encode("utf-8").decode("cp1252"), encoding="utf-8")
    return path


@pytest.fixture
def empty_file(tmp_path: Path) -> Path:
    path = tmp_path / "tom.txt"
    path.write_bytes(b"")
    return path


@pytest.fixture
def english_txt(tmp_path: Path) -> Path:
    path = tmp_path / "english.txt"
    path.write_text(ENGLISH_TEXT, encoding="utf-8")
    return path


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """The CLI scenario: good PDF/HTML/DOCX/cp1252 TXT plus one corrupt PDF and one empty file."""
    import shutil

    folder = tmp_path / "input"
    sub = folder / "underudvalg"
    sub.mkdir(parents=True)
    src = tmp_path / "src"
    src.mkdir()
    ref = _pdf(src / "referat.pdf", REFERAT_PAGES, header="Aarhus Kommune – Økonomiudvalget – Referat 23.08.2017", total=41)
    shutil.copy(ref, folder / "referat.pdf")
    (folder / "nyhed.html").write_text(HTML_PAGE, encoding="utf-8")
    (sub / "notat.txt").write_bytes(DANISH_TEXT.encode("cp1252"))
    import docx

    document = docx.Document()
    document.add_paragraph("Evaluering af lektiecaféen på Søndervang Skole: 40 elever deltog, og frivillige fra Røde Kors "
                           "hjalp hver uge sammen med lærerne.")
    document.save(str(sub / "evaluering.docx"))
    (folder / "ødelagt.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 40)
    (folder / "tom.txt").write_bytes(b"")
    return folder
