"""Cheap fixtures for the backend tests: 40 short hand-made Danish segments, 8 per rung,
every actor role present, and a writer for a label file the CLI can read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

P, A, F, C, S, B = "politicians", "administration", "professionals", "citizens", "civil_society", "businesses"

# (text, rung, actors)
SEGMENTS: list[tuple[str, int, list[str]]] = [
    # rung 0: administration, budgets, one-way information
    ("Økonomiudvalget godkendte budgetopfølgningen for andet kvartal.", 0, [P]),
    ("Forvaltningen har udbudt renoveringen af rådhusets tag.", 0, [A]),
    ("Byrådet vedtog takstbladet for affaldsindsamling.", 0, [P]),
    ("Kommunen sender et informationsbrev om vejarbejdet til alle husstande.", 0, [A]),
    ("Direktionen har omorganiseret sekretariatet i to nye afdelinger.", 0, [A]),
    ("Regnskabet for anlægsprojekterne blev taget til efterretning.", 0, [P]),
    ("Teknisk forvaltning indgår kontrakt med en privat entreprenør om vejbelysning.", 0, [A]),
    ("Samarbejdet med regionen om sygehuskørsel fortsætter uændret.", 0, [A]),
    # rung 1: users co-produce their own welfare
    ("Borgeren lægger sin egen genoptræningsplan sammen med terapeuten.", 1, [C, F]),
    ("Den ledige udarbejder selv sin jobplan med jobkonsulenten.", 1, [C, F]),
    ("Hverdagsrehabilitering lærer ældre at klare rengøring og indkøb selv.", 1, [C, F]),
    ("Patienten træner hjemme med støtte fra sygeplejersken.", 1, [C, F]),
    ("Forældre og pædagoger laver sammen en plan for barnets sprog.", 1, [C, F]),
    ("Borgerne får kurser i at sikre deres egne huse mod oversvømmelse.", 1, [C, A]),
    ("Recovery-planen skrives sammen med borgeren og socialrådgiveren.", 1, [C, F]),
    ("Eleverne sætter selv mål for deres læsning med læreren.", 1, [C, F]),
    # rung 2: volunteers create welfare for others
    ("Frivillige besøgsvenner kommer på plejehjemmet hver uge.", 2, [S, F]),
    ("Lektiecaféen drives af frivillige sammen med skolens lærere.", 2, [S, F]),
    ("Røde Kors hjælper flygtninge med integration i samarbejde med kommunen.", 2, [S, A]),
    ("Frivilligcentret og biblioteket arrangerer læseklub for ensomme ældre.", 2, [S, F]),
    ("Idrætsforeningen tilbyder motion for plejehjemmets beboere med personalet.", 2, [S, F]),
    ("Kommunen indgår partnerskabsaftale med foreninger om sommeraktiviteter.", 2, [S, A]),
    ("Frivillige hjælper på hospitalet med at følge patienter rundt.", 2, [S, F]),
    ("Pensionister læser højt for børn i dagplejen som frivillige.", 2, [S, F]),
    # rung 3: consultation, dialogue, hearings
    ("Lokalplanen sendes i offentlig høring, og borgerne kan indsende høringssvar.", 3, [C, A]),
    ("Der afholdes dialogmøde med beboerne om den nye park.", 3, [C, A]),
    ("Et borgerpanel giver input til den nye sundhedspolitik.", 3, [C, P]),
    ("Virksomhederne inviteres til workshop om erhvervsstrategien.", 3, [B, A]),
    ("Spørgeskemaundersøgelsen afdækker forældrenes ønsker til skoledagen.", 3, [C, A]),
    ("Borgermødet samlede idéer til byens torv.", 3, [C, P]),
    ("En følgegruppe af lokale erhvervsdrivende kommenterer planen.", 3, [B, A]),
    ("Kommunen holder idékonkurrence om fremtidens bibliotek.", 3, [C, A]),
    # rung 4: co-design and shared governance
    ("Byrådet nedsætter et § 17, stk. 4-udvalg med borgere, foreninger og virksomheder.", 4, [P, C, S, B]),
    ("Borgerbudgettet lader beboerne beslutte, hvilke projekter der gennemføres.", 4, [C, P]),
    ("Kommunen og lokalrådet designer og driver sammen det nye forsamlingshus.", 4, [A, S]),
    ("Brobyggere støtter borgernes egne initiativer i landsbyerne.", 4, [C, A]),
    ("Et samskabelsespartnerskab med virksomheder og fonde udvikler klimaløsninger.", 4, [B, A]),
    ("Visionen skrives sammen med borgere og politikere i fælles værksteder.", 4, [C, P]),
    ("Et living lab med erhvervslivet og borgere designer og tester nye løsninger.", 4, [B, C]),
    ("Borgernes initiativ til en naturpark udvikles i fællesskab med kommunen.", 4, [C, A]),
]


@pytest.fixture(scope="session")
def labelled() -> list[dict]:
    return [{"id": f"s{i:02d}", "text": t, "rung": r, "actors": a} for i, (t, r, a) in enumerate(SEGMENTS)]


@pytest.fixture(scope="session")
def arrays(labelled) -> tuple[list[str], np.ndarray, np.ndarray]:  # noqa: ANN001
    """texts, rungs (n,), multi-hot actors (n, 6) in codebook order."""
    from pipeline.codebook import load_codebook
    from pipeline.labels import actor_matrix

    return ([r["text"] for r in labelled], np.array([r["rung"] for r in labelled]),
            actor_matrix(labelled, load_codebook()))


@pytest.fixture
def label_file(tmp_path: Path, labelled) -> Path:  # noqa: ANN001
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in labelled), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def ladder_dir(tmp_path_factory, labelled) -> Path:  # noqa: ANN001
    """A real (tiny) ladder model folder, trained once on the hand-made segments."""
    from pipeline.config import ModelConfig
    from pipeline.models import save_model
    from pipeline.train import fit_model

    model = fit_model(labelled, ModelConfig(backend="ladder", min_df=1, C=20.0, actor_C=20.0))
    directory = tmp_path_factory.mktemp("models") / "ladder"
    save_model(model.backend, directory, manifest={"name": "ladder"})
    return directory
