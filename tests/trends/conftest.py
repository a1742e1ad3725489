"""Cheap hand-made fixtures for the trend tests (numbers in test_trends.py are computed by hand from these)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from trend_helpers import seg, shifted_heldout


@pytest.fixture
def records() -> list[dict]:
    """Aarhus 2019 (2 docs, 4 segments), Aarhus 2021 (1 doc), Ærø 2019 (1 doc, no co-creation).

    2020 has no documents at all: it must appear as an empty row for both municipalities.
    """
    return [
        # Aarhus 2019, document A1: a1 rung 3 (certain), a2 rung 0 (certain)
        seg("a1", "A1", "Aarhus", 2019, [0.1, 0, 0, 0.9, 0], vocab=True, actors=["politicians", "citizens"],
            evidence=[{"sentence": 'Borgerne blev inviteret til <script>alert("x")</script> dialogmøde & workshop', "score": 2.5, "rung": 3}],
            url="javascript:alert(1)", title="Byrådet <marts>"),
        seg("a2", "A1", "Aarhus", 2019, [0.8, 0.2, 0, 0, 0], vocab=True),
        # Aarhus 2019, document A2: a3 uncertain (top 0.4 < 0.5), a4 rung 2 (certain)
        seg("a3", "A2", "Aarhus", 2019, [0.4, 0.3, 0.3, 0, 0], vocab=False),
        seg("a4", "A2", "Aarhus", 2019, [0, 0, 1, 0, 0], vocab=False, actors=["civil_society"],
            evidence=[{"sentence": "Frivillige driver lektiecaféen sammen med skolen.", "score": 1.5, "rung": 2}],
            url="https://aarhus.dk/referat?id=1&x=2"),
        # Aarhus 2021, document A3: a5 rung 4 (certain)
        seg("a5", "A3", "Aarhus", 2021, [0, 0, 0, 0.2, 0.8], vocab=True, actors=["citizens"],
            evidence=[{"sentence": "Et § 17, stk. 4-udvalg med borgere og foreninger nedsættes.", "score": 3.0, "rung": None}],
            source_path="data/raw/aarhus 2021.pdf"),
        # Ærø 2019, document E1: both rung 0
        seg("e1", "E1", "Ærø", 2019, [1, 0, 0, 0, 0], vocab=True),
        seg("e2", "E1", "Ærø", 2019, [0.9, 0.1, 0, 0, 0], vocab=False),
    ]


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    with (folder / "heldout_predictions.jsonl").open("w", encoding="utf-8") as fh:
        for r in shifted_heldout(20):
            fh.write(json.dumps(r) + "\n")
    (folder / "metrics.json").write_text(json.dumps({"macro_f1": 0.61234, "per_rung": {"3": {"f1": 0.7}}}), encoding="utf-8")
    (folder / "MODEL_CARD.md").write_text(
        "# Model card\n\nTF-IDF rungs.\n\n## Limitations\n\nTrained on <b>few</b> Ærø documents.\n\n## Other\n\nx\n",
        encoding="utf-8")
    return folder


@pytest.fixture
def predictions_file(tmp_path: Path, records: list[dict]) -> Path:
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path
