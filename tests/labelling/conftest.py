"""Cheap fixtures for the labelling tests: 30 handmade Danish label records and a small corpus
store with three municipalities (the codebook and the tiny model come from tests/conftest.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

# (text, rung, actors): six per rung, written for the tests
GOLD = [
    ("Byrådet godkendte budgettet for 2020 uden bemærkninger.", 0, ["politicians"]),
    ("Forvaltningen orienterede om status på renoveringen af rådhuset.", 0, ["administration"]),
    ("Kommunen udsender en pjece om affaldssortering til alle husstande.", 0, ["administration", "citizens"]),
    ("Udvalget tog regnskabet til efterretning.", 0, ["politicians"]),
    ("Der er indgået kontrakt med en ny leverandør af madservice efter udbud.", 0, ["businesses"]),
    ("Vejen lukkes i uge 12 på grund af kloakarbejde.", 0, []),
    ("Borgeren deltager i hverdagsrehabilitering og træner selv med støtte fra terapeuten.", 1, ["citizens", "professionals"]),
    ("Den ledige udarbejder sin egen jobplan sammen med jobkonsulenten.", 1, ["citizens", "professionals"]),
    ("Patienten lærer egenomsorg gennem patientuddannelse på sundhedscentret.", 1, ["citizens", "professionals"]),
    ("Borgerne får et træningsprogram, så de kan klare hverdagen selv.", 1, ["citizens"]),
    ("Et rehabiliteringsforløb efter § 83 a tager udgangspunkt i borgerens mål.", 1, ["citizens"]),
    ("Recovery-orienteret støtte, hvor borgeren selv sætter mål for eget liv.", 1, ["citizens", "professionals"]),
    ("Frivillige fra Røde Kors driver lektiecaféen sammen med skolens lærere.", 2, ["civil_society", "professionals"]),
    ("Besøgsvenner fra Ældre Sagen kommer på plejecentret hver uge.", 2, ["civil_society"]),
    ("Kommunen indgår en partnerskabsaftale med idrætsforeningen om motion for ældre.", 2, ["civil_society", "administration"]),
    ("Frivillige vågevenner sidder hos døende borgere i samarbejde med hjemmeplejen.", 2, ["civil_society", "professionals"]),
    ("Foreningsdrevne aktiviteter på biblioteket suppleres af frivillige.", 2, ["civil_society"]),
    ("Frivilligcentret hjælper flygtninge med integration i samarbejde med kommunen.", 2, ["civil_society", "administration"]),
    ("Borgerne inviteres til dialogmøde om den nye skolestruktur.", 3, ["citizens"]),
    ("Forslaget sendes i offentlig høring i otte uger, og høringssvar indgår i sagen.", 3, ["citizens", "politicians"]),
    ("Der afholdes borgermøde, hvor beboerne kan komme med idéer til parken.", 3, ["citizens"]),
    ("Ældrerådet og handicaprådet har afgivet bemærkninger til forslaget.", 3, ["civil_society"]),
    ("En workshop med forældre og elever giver input til den nye skolepolitik.", 3, ["citizens"]),
    ("Et borgerpanel har svaret på et spørgeskema om ønsker til kulturhuset.", 3, ["citizens"]),
    ("Der nedsættes et § 17, stk. 4-udvalg med borgere og foreninger, som skal udvikle planen sammen.", 4, ["politicians", "citizens", "civil_society"]),
    ("Borgerbudget: beboerne beslutter selv, hvilke projekter i lokalområdet der får penge.", 4, ["citizens"]),
    ("Samskabelse i lige partnerskab, hvor borgere og kommune sammen definerer problemet og løsningen.", 4, ["citizens", "administration"]),
    ("En brobygger ansættes til at støtte borgerinitiativer i landsbyerne.", 4, ["citizens", "administration"]),
    ("Et opgaveudvalg af borgere og politikere udvikler sammen den nye landdistriktspolitik.", 4, ["citizens", "politicians"]),
    ("Lokalrådet og kommunen driver i fællesskab et living lab, hvor løsninger udvikles sammen.", 4, ["civil_society", "administration"]),
]
MUNICIPALITIES = ("Aarhus", "Ærø", "Kolding")


@pytest.fixture(scope="session")
def gold() -> list[dict]:
    return [{"id": f"g{i:02d}", "text": t, "rung": r, "actors": a, "municipality": MUNICIPALITIES[i % 3], "annotator": "anna"}
            for i, (t, r, a) in enumerate(GOLD)]


@pytest.fixture
def segments() -> list[dict]:
    """Unlabelled segments: 8 in Aarhus, 2 in Ærø, 2 in Kolding (Aarhus would dominate a plain top-n)."""
    texts = {
        "Aarhus": [
            "Borgerne inviteres til dialogmøde om den nye bydelsplan.",
            "Borgerne inviteres til dialogmøde om den nye bydelsplan i Gellerup.",
            "Frivillige og medarbejdere driver sammen et værested.",
            "Byrådet godkendte regnskabet.",
            "Borgerne deltager i et partnerskab med foreninger om byens rum.",
            "Kommunen sender forslaget i høring, og borgerne kan komme med idéer.",
            "Der etableres et udvalg med borgere, som udvikler planen sammen med forvaltningen.",
            "Frivillige besøgsvenner hjælper ældre borgere med træning i eget hjem.",
        ],
        "Ærø": ["Vejen lukkes i uge 12.", "Borgerne kan komme med idéer til havnen på et borgermøde."],
        "Kolding": ["Et borgerpanel drøfter skolernes fremtid med politikerne.", "Budgettet blev vedtaget."],
    }
    out = []
    for m, items in texts.items():
        for i, t in enumerate(items):
            out.append({"id": f"{m[:2].lower()}-{i}", "text": t, "municipality": m, "doc_id": f"{m}-doc"})
    return out


@pytest.fixture
def store_path(tmp_path: Path, segments: list[dict]) -> Path:
    """A corpus store holding ``segments`` (one document per municipality)."""
    from pipeline.store import CorpusStore

    path = tmp_path / "corpus.duckdb"
    with CorpusStore(path) as store:
        for m in MUNICIPALITIES:
            segs = [{**s, "position": i, "year": 2020} for i, s in enumerate(x for x in segments if x["municipality"] == m)]
            text = "\n\n".join(s["text"] for s in segs)
            store.add_document({"id": f"{m}-doc", "text": text, "municipality": m, "year": 2020,
                                "content_hash": hashlib.sha256(text.encode()).hexdigest()}, segs)
    return path
