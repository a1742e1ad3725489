"""Cheap shared fixtures: a handful of handmade Danish labelled segments and a tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

TINY = [
    # rung 0: ordinary administration, talk, public-only cooperation, tenders
    ("t00", "Budgettet for 2021 godkendes, og anlægsrammen på 12 mio. kr. til vejene frigives.", 0, ["politicians"]),
    ("t01", "Forvaltningen orienterer om regnskabet for 2019, som viser et mindreforbrug på 3,2 mio. kr.", 0, ["administration"]),
    ("t02", "Vi vil være en kommune, der samskaber og tænker nyt, og hvor dialog er en selvfølge.", 0, []),
    ("t03", "Rengøringen af kommunens bygninger sendes i udbud med en kontraktperiode på fire år.", 0, ["administration"]),
    ("t04", "Kommunen samarbejder med nabokommunerne om fælles indkøb af it-systemer.", 0, ["administration"]),
    ("t05", "Dagsordenen blev godkendt. Borgmesteren orienterede om status på byggeriet af den nye skole.", 0, ["politicians"]),
    # rung 1: own welfare
    ("t10", "Borgeren sætter selv mål for sit rehabiliteringsforløb og træner sammen med terapeuten i eget hjem.", 1, ["professionals", "citizens"]),
    ("t11", "Hverdagsrehabilitering betyder, at ældre borgere selv træner de daglige gøremål med støtte fra hjemmeplejen.", 1, ["professionals", "citizens"]),
    ("t12", "Den ledige udarbejder sin egen jobplan sammen med jobkonsulenten ud fra egne ønsker.", 1, ["professionals", "citizens"]),
    ("t13", "Patienterne lærer egenomsorg og mestring af eget liv i et forløb med sygeplejersker.", 1, ["professionals", "citizens"]),
    ("t14", "Borgerne i det oversvømmelsestruede område lærer at sikre egen bolig mod skybrud.", 1, ["citizens"]),
    # rung 2: volunteers for others
    ("t20", "Frivillige fra Røde Kors driver lektiecaféen sammen med skolens lærere to gange om ugen.", 2, ["professionals", "civil_society"]),
    ("t21", "Besøgsvenner fra Ældre Sagen kommer på plejehjemmet i samarbejde med personalet.", 2, ["professionals", "civil_society"]),
    ("t22", "Kommunen har indgået en partnerskabsaftale med idrætsforeningen om aktiviteter for flygtninge.", 2, ["administration", "civil_society"]),
    ("t23", "Frivilligcentret og biblioteket tilbyder sammen it-hjælp til ældre med frivillige hjælpere.", 2, ["civil_society"]),
    ("t24", "Frivillige vågevenner sidder hos døende beboere i samarbejde med sygeplejerskerne.", 2, ["professionals", "civil_society"]),
    # rung 3: consultation
    ("t30", "Forslaget til lokalplan sendes i offentlig høring i otte uger, og borgerne kan indsende høringssvar.", 3, ["politicians", "citizens"]),
    ("t31", "Der holdes et borgermøde, hvor borgerne kan komme med idéer til den nye bypark.", 3, ["administration", "citizens"]),
    ("t32", "Forvaltningen gennemfører en spørgeskemaundersøgelse blandt forældre om ønsker til åbningstider.", 3, ["administration", "citizens"]),
    ("t33", "Ældrerådet og brugerrådet er hørt og har afgivet bemærkninger til kvalitetsstandarden.", 3, ["citizens"]),
    ("t34", "Virksomheder og borgere inviteres til workshop om idéer til fremtidens bymidte.", 3, ["citizens", "businesses"]),
    # rung 4: co-design and governance
    ("t40", "Byrådet nedsætter et § 17, stk. 4-udvalg med borgere, foreninger og virksomheder, der sammen skal udvikle og gennemføre en ny plan.", 4, ["politicians", "citizens", "civil_society", "businesses"]),
    ("t41", "Borgerne fordeler selv borgerbudgettet på 2 mio. kr., og projekterne gennemføres sammen med kommunen.", 4, ["administration", "citizens"]),
    ("t42", "Kommunen ansætter en brobygger, der understøtter borgernes egne initiativer i lokalsamfundet.", 4, ["administration", "citizens"]),
    ("t43", "Lokalrådet, beboerne og forvaltningen definerer sammen problemet og designer løsningen på lige fod.", 4, ["administration", "citizens", "civil_society"]),
    ("t44", "Et living lab, hvor borgere, virksomheder og kommunen sammen udvikler og driver nye løsninger.", 4, ["administration", "citizens", "businesses"]),
]


@pytest.fixture(scope="session", autouse=True)
def _state_cache(tmp_path_factory):  # noqa: ANN001, ANN202
    """Loaded models cache their state in a temporary folder, not in the user's cache."""
    patch = pytest.MonkeyPatch()
    patch.setenv("SAMSKAB_CACHE_DIR", str(tmp_path_factory.mktemp("state-cache")))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def tiny_records() -> list[dict]:
    munis = ["Aarhus", "Odense", "Viborg"]
    return [{"id": i, "text": t, "rung": r, "actors": a, "municipality": munis[n % 3], "year": 2015 + n % 4,
             "genre": "referat", "topic": "social", "source": "test", "annotator": "test"}
            for n, (i, t, r, a) in enumerate(TINY)]


@pytest.fixture(scope="session")
def tiny_label_file(tmp_path_factory, tiny_records) -> Path:
    path = tmp_path_factory.mktemp("labels") / "tiny.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in tiny_records), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def codebook():
    from pipeline.codebook import load_codebook

    return load_codebook()


@pytest.fixture(scope="session")
def tiny_model(tiny_records):
    """A real (tiny) tfidf model, trained once per session on the handmade records."""
    from pipeline.config import ModelConfig
    from pipeline.train import fit_model

    return fit_model(tiny_records, ModelConfig(use_char=False, calibration="none", min_df=1, C=20.0))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tiny_model, tiny_records) -> Path:
    """``tiny_model`` saved as a model folder (with its held-out predictions)."""
    from pipeline.models import save_model
    from pipeline.train import heldout_records

    directory = tmp_path_factory.mktemp("models") / "tiny"
    save_model(tiny_model.backend, directory, manifest={"name": "tiny", "_extra_files": {"heldout_predictions.jsonl": heldout_records(tiny_model, tiny_records)}})
    return directory


CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROME_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,1400")


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through Selenium (the `browser` tests); skipped, with the reason, without Debian's chromium."""
    import tempfile

    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.skip(f"headless browser tests need {' and '.join(missing)} (apt-get install chromium chromium-driver)")
    pytest.importorskip("selenium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='samskab-chromium-')}")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
