"""The shipped default model on textbook cases of the codebook (issue 13's probes).

Written for the project in the codebook's terms; they check that the default model reads
the activity, not the register: a borgerværksted that collects ideas is consultation
(rung 3), a binding borgerbudget is shared decision (rung 4).
"""

import pytest

from pipeline.models import load_model

PROBES = [
    ("Kommunen inviterede til borgerværksted på biblioteket, hvor beboerne kom med idéer til den nye bypark. "
     "Forvaltningen samler forslagene, og udvalget beslutter derefter, hvordan parken skal se ud.", 3),
    ("Byrådet har afsat midler til et borgerbudget i bydelen. Beboerne stiller selv forslag og stemmer om, "
     "hvilke projekter pengene skal bruges på, og resultatet af afstemningen er bindende for kommunen.", 4),
    ("Byrådet nedsætter et opgaveudvalg med seks borgere og fire byrådsmedlemmer, som sammen skal formulere "
     "og gennemføre en ny plan for landsbyernes fællesskaber.", 4),
    ("Forslaget til lokalplan sendes i offentlig høring i otte uger, og alle kan indsende høringssvar.", 3),
    ("Frivillige besøgsvenner fra Røde Kors kommer hver uge på plejecentret og går ture med beboerne i samarbejde "
     "med personalet.", 2),
    ("Borgeren sætter selv mål for sit rehabiliteringsforløb og træner de daglige gøremål med støtte fra terapeuten.", 1),
    ("Økonomiudvalget godkendte regnskabet for 2023 og tog orienteringen om likviditeten til efterretning.", 0),
]


@pytest.fixture(scope="module")
def model():  # noqa: ANN201
    return load_model()


@pytest.mark.parametrize("text, rung", PROBES)
def test_textbook_probe_lands_on_the_codebooks_rung(model, text, rung):  # noqa: ANN001
    row = model.predict_records([{"id": "p", "text": text}])[0]
    assert row["rung"] == rung, (row["rung_proba"], row["evidence"][:1])


def test_default_model_reports_its_real_text_scores(model):  # noqa: ANN001
    real = [v for v in model.manifest.get("metrics", {}).values() if isinstance(v, dict) and v.get("real_text")]
    assert real and all("ci95" in v and v["n"] >= 100 for v in real)
