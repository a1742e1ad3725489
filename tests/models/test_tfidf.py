"""The default backend by behaviour: overfit, save, reload, same predictions; refuse tampering."""

import json
import shutil

import numpy as np
import pytest

from pipeline.errors import ModelError, UntrustedModelError
from pipeline.models import load_model


def test_overfits_and_reloads_identically(tiny_model_dir, tiny_records):
    model = load_model(tiny_model_dir)
    texts = [r["text"] for r in tiny_records]
    out = model.predict(texts)
    assert out.rung_proba.shape == (len(texts), 5) and out.actor_proba.shape == (len(texts), 6)
    assert np.allclose(out.rung_proba.sum(1), 1.0)
    accuracy = (out.rung_proba.argmax(1) == np.array([r["rung"] for r in tiny_records])).mean()
    assert accuracy >= 0.9
    again = load_model(tiny_model_dir).predict(texts)
    assert np.array_equal(out.rung_proba, again.rung_proba)


def test_predict_records_contract(tiny_model_dir):
    model = load_model(tiny_model_dir)
    rows = model.predict_records([{"id": 7, "text": "Frivillige driver lektiecaféen sammen med lærerne.", "municipality": "Aarhus"}],
                                 passthrough=("municipality",))
    row = rows[0]
    assert row["id"] == "7" and 0 <= row["rung"] <= 4 and row["rung_label"] == model.codebook.rung_ids[row["rung"]]
    assert len(row["rung_proba"]) == 5 and abs(sum(row["rung_proba"]) - 1) < 1e-4
    assert row["actors"] == [a for a in model.codebook.actor_ids if a in row["actors"]]
    assert row["municipality"] == "Aarhus"
    ev = row["evidence"][0]
    assert ev["sentence"] and isinstance(ev["score"], float) and ev["rung"] == row["rung"]


def test_evidence_points_at_the_co_creation_sentence(tiny_model_dir):
    model = load_model(tiny_model_dir)
    text = ("Regnskabet for 2019 viser et mindreforbrug på 3,2 mio. kr. "
            "Frivillige fra Røde Kors driver lektiecaféen sammen med skolens lærere.")
    row = model.predict_records([{"id": "a", "text": text}])[0]
    assert row["rung"] == 2
    top = row["evidence"][0]
    assert "Frivillige" in top["sentence"] and text[top["start"]:top["end"]] == top["sentence"]
    assert any(t for t, _ in top["terms"])


def test_tampered_file_is_refused(tiny_model_dir, tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(tiny_model_dir, copy)
    with (copy / "tfidf.skops").open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(UntrustedModelError, match="sha256"):
        load_model(copy)


def test_foreign_folder_and_other_codebook_are_refused(tiny_model_dir, tmp_path):
    with pytest.raises(ModelError, match="not a samskab model"):
        load_model(tmp_path)
    copy = tmp_path / "m"
    shutil.copytree(tiny_model_dir, copy)
    manifest = json.loads((copy / "model.json").read_text())
    manifest["codebook_hash"] = "0000"
    (copy / "model.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="codebook"):
        load_model(copy)


def test_untrusted_types_inside_the_file_are_refused(tiny_model_dir, tmp_path, monkeypatch):
    from pipeline.models import tfidf

    monkeypatch.setattr(tfidf, "TRUSTED_TYPES", [t for t in tfidf.TRUSTED_TYPES if "Calibrat" not in t])
    copy = tmp_path / "m"
    shutil.copytree(tiny_model_dir, copy)
    from pipeline.config import ModelConfig
    from pipeline.models import save_model
    from pipeline.train import fit_model

    from tests.conftest import TINY  # noqa: F401  (records via fixture below)
    model = fit_model([{"id": i, "text": t, "rung": r, "actors": a} for i, t, r, a in TINY],
                      ModelConfig(use_char=False, min_df=1, calibration="sigmoid"))
    save_model(model.backend, copy, manifest={"name": "calibrated"})
    with pytest.raises(UntrustedModelError, match="trusted list"):
        load_model(copy)
