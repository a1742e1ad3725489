"""Hand-made Danish training records (six per rung) and a prediction table for the web tests."""

from __future__ import annotations

RECORDS: list[dict] = [
    # rung 0: no co-creation
    {"text": "Økonomiudvalget godkendte regnskabet for 2019 uden bemærkninger.", "rung": 0, "actors": ["politicians"]},
    {"text": "Forvaltningen orienterede om status på budgettet og de økonomiske konsekvenser.", "rung": 0, "actors": ["administration"]},
    {"text": "Byrådet vedtog takstbladet for vand og spildevand for det kommende år.", "rung": 0, "actors": ["politicians"]},
    {"text": "Sagen blev taget til efterretning. Mødet sluttede kl. 18.30.", "rung": 0, "actors": []},
    {"text": "Administrationen indstiller, at anlægsbevillingen frigives til renovering af rådhuset.", "rung": 0, "actors": ["administration"]},
    {"text": "Kommunen har udbudt rengøringsopgaven, og kontrakten er tildelt et privat firma.", "rung": 0, "actors": ["businesses", "administration"]},
    # rung 1: users contribute to their own welfare
    {"text": "Borgeren træner selv derhjemme med hverdagsrehabilitering og sætter egne mål for at klare indkøb.", "rung": 1, "actors": ["citizens", "professionals"]},
    {"text": "Ældre borgere lærer at klare personlig pleje selv gennem træning i eget hjem.", "rung": 1, "actors": ["citizens"]},
    {"text": "Forældrene deltager aktivt i barnets sprogtræning derhjemme efter vejledning fra pædagogen.", "rung": 1, "actors": ["citizens", "professionals"]},
    {"text": "Den ledige borger udarbejder selv sin jobplan og tager ansvar for egen jobsøgning.", "rung": 1, "actors": ["citizens"]},
    {"text": "Patienten bruger egenomsorg og måler selv sit blodsukker med støtte fra sygeplejersken.", "rung": 1, "actors": ["citizens", "professionals"]},
    {"text": "Brugerne af madservice vælger selv menuen og hjælper selv til med at dække bord.", "rung": 1, "actors": ["citizens"]},
    # rung 2: volunteers create welfare for others
    {"text": "Frivillige fra Røde Kors driver lektiecaféen for børn i boligområdet.", "rung": 2, "actors": ["civil_society"]},
    {"text": "Besøgsvenner fra ældresagen besøger ensomme ældre på plejecentret hver uge.", "rung": 2, "actors": ["civil_society", "citizens"]},
    {"text": "Idrætsforeningen tilbyder frivillige trænere til børn fra udsatte familier.", "rung": 2, "actors": ["civil_society"]},
    {"text": "Frivillige borgere passer den grønne park og arrangerer frivillige oprydningsdage.", "rung": 2, "actors": ["citizens", "civil_society"]},
    {"text": "En frivillig forening kører ældre borgere til lægen og handler ind for dem.", "rung": 2, "actors": ["civil_society"]},
    {"text": "Frivillige mentorer hjælper unge flygtninge med lektier og fritidsjob.", "rung": 2, "actors": ["civil_society", "citizens"]},
    # rung 3: involvement in discussing new solutions
    {"text": "Borgerne blev inviteret til et dialogmøde og en workshop om den nye lokalplan.", "rung": 3, "actors": ["citizens", "administration"]},
    {"text": "Der afholdes borgermøde, hvor borgere og foreninger kan komme med idéer til byfornyelsen.", "rung": 3, "actors": ["citizens", "civil_society"]},
    {"text": "Udvalget inddrager brugerne i en høring og drøfter forslagene på et dialogmøde.", "rung": 3, "actors": ["politicians", "citizens"]},
    {"text": "Politikerne mødtes med borgerne til en workshop om fremtidens ældrepleje.", "rung": 3, "actors": ["politicians", "citizens"]},
    {"text": "Et borgerpanel blev inddraget og kom med input til den nye klimaplan.", "rung": 3, "actors": ["citizens"]},
    {"text": "Virksomheder og borgere blev inviteret til dialog om erhvervsstrategien.", "rung": 3, "actors": ["businesses", "citizens"]},
    # rung 4: equal partnership on problem definition, design and delivery
    {"text": "Byrådet nedsætter et § 17, stk. 4-udvalg med borgere og foreninger, der sammen designer løsningen.", "rung": 4, "actors": ["politicians", "citizens", "civil_society"]},
    {"text": "Borgere, foreninger og forvaltningen samskaber som ligeværdige partnere fra problemdefinition til gennemførelse.", "rung": 4, "actors": ["citizens", "civil_society", "administration"]},
    {"text": "Et partnerskab mellem kommunen, virksomheder og borgere designer og driver sammen det nye kulturhus.", "rung": 4, "actors": ["businesses", "citizens", "administration"]},
    {"text": "Beboerne definerer selv problemet og udvikler og gennemfører løsningen i ligeværdigt samarbejde med kommunen.", "rung": 4, "actors": ["citizens", "administration"]},
    {"text": "Samskabelse: politikere og borgere sidder i samme styregruppe og træffer beslutninger sammen.", "rung": 4, "actors": ["politicians", "citizens"]},
    {"text": "Foreningerne er ligeværdige partnere i samskabelsen og har medansvar for design og drift.", "rung": 4, "actors": ["civil_society"]},
]


# -- predictions and app helpers shared by the web tests (import from here, not from conftest) --
MUNICIPALITIES = ("Aarhus", "Ærø", "København")
YEARS = (2019, 2020, 2021)
XSS = '<script>alert("xss")</script>'

_SEGMENT_TEXTS = (
    ("Økonomiudvalget godkendte regnskabet uden bemærkninger.", 0),
    ("Frivillige fra foreningen driver lektiecaféen for børn i området.", 2),
    ("Borgerne blev inviteret til et dialogmøde og en workshop om lokalplanen.", 3),
    ("Byrådet nedsætter et § 17, stk. 4-udvalg, hvor borgere og foreninger sammen designer løsningen.", 4),
)


def _proba(rung: int, strength: float) -> list[float]:
    rest = (1 - strength) / 4
    return [round(strength if k == rung else rest, 6) for k in range(5)]


def prediction_records() -> list[dict]:
    """Segment predictions as `samskab classify --keep-text` writes them; higher rungs grow over the years."""
    records = []
    for m_index, muni in enumerate(MUNICIPALITIES):
        for y_index, year in enumerate(YEARS):
            for d in range(2):
                doc_id = f"{muni[:3].lower()}-{year}-{d}"
                for position in range(3):
                    text, rung = _SEGMENT_TEXTS[(position + y_index + m_index * d) % len(_SEGMENT_TEXTS)]
                    if muni == "Ærø" and rung >= 3:
                        text, rung = _SEGMENT_TEXTS[0]
                    if muni == "Aarhus" and year == 2019 and d == 0 and position == 0:
                        text, rung = f"Borgerne blev inviteret til dialogmøde {XSS} om skolen.", 3
                    evidence = [{"sentence": text, "score": round(1.0 + rung / 2, 3), "start": 0, "end": len(text), "rung": rung, "terms": []}]
                    records.append({
                        "id": f"{doc_id}#{position}", "doc_id": doc_id, "municipality": muni, "year": year,
                        "date": f"{year}-0{position + 3}-15", "position": position, "text": text,
                        "rung": rung, "rung_label": ["none", "co_production_own", "co_production_others",
                                                     "co_initiation_dialogue", "co_design_governance"][rung],
                        "rung_proba": _proba(rung, 0.8), "actors": ["citizens"] if rung >= 3 else ["administration"],
                        "evidence": evidence if rung > 0 else [], "vocab": rung > 0,
                        "url": "javascript:alert(1)" if doc_id == "aar-2019-0" else f"https://example.dk/{doc_id}",
                        "title": f"Referat {XSS}" if doc_id == "aar-2019-0" else f"Referat {doc_id}",
                    })
    return records


def quick(web):
    """Fewer bootstrap rounds for the trend intervals: the tests check pages, not intervals."""
    web.state.corpus.settings = web.state.corpus.settings.model_copy(update={"bootstrap": 50})
    return web
