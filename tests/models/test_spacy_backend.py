"""spaCy textcat backend: overfit, save, reload, predict the same, and train through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.codebook import load_codebook
from pipeline.config import ModelConfig
from pipeline.models import load_model, save_model
from pipeline.models.spacy_textcat import SpacyBackend, spacy_config_str


@pytest.fixture(scope="module")
def trained(arrays) -> SpacyBackend:  # noqa: ANN001
    texts, rungs, actors = arrays
    backend = SpacyBackend(ModelConfig(backend="spacy", epochs=12, batch_size=8, seed=7), load_codebook())
    seen: list[float] = []
    backend.fit(texts, rungs, actors, progress=lambda msg, frac: seen.append(frac))
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    return backend


def test_overfitting_io(trained, arrays, labelled, tmp_path: Path) -> None:  # noqa: ANN001
    texts, rungs, actors = arrays
    rung_proba, actor_proba = trained.predict_proba(texts)
    assert rung_proba.shape == (len(texts), 5) and actor_proba.shape == (len(texts), 6)
    np.testing.assert_allclose(rung_proba.sum(1), 1.0, atol=1e-6)
    assert ((actor_proba >= 0) & (actor_proba <= 1)).all()
    assert (rung_proba.argmax(1) == rungs).mean() >= 0.9
    assert ((actor_proba >= 0.5) == actors.astype(bool)).mean() >= 0.9

    save_model(trained, tmp_path / "m", manifest={"name": "t"})
    model = load_model(tmp_path / "m")
    assert model.backend.name == "spacy"
    assert any(name.startswith("spacy_model/") for name in model.manifest["files"])
    rung2, actor2 = model.backend.predict_proba(texts)
    np.testing.assert_allclose(rung2, rung_proba, atol=1e-6)
    np.testing.assert_allclose(actor2, actor_proba, atol=1e-6)

    out = model.predict_records(labelled[:3], evidence_k=2)
    assert [r["id"] for r in out] == ["s00", "s01", "s02"]
    assert all(len(r["rung_proba"]) == 5 and 1 <= len(r["evidence"]) <= 2 for r in out)


def test_same_seed_same_model(trained, arrays) -> None:  # noqa: ANN001
    texts, rungs, actors = arrays
    again = SpacyBackend(trained.config, load_codebook())
    again.fit(texts, rungs, actors)
    np.testing.assert_allclose(again.predict_proba(texts)[0], trained.predict_proba(texts)[0], atol=1e-6)


@pytest.mark.parametrize("architecture", ["bow", "ensemble"])
def test_generated_config_trains(architecture: str, arrays) -> None:  # noqa: ANN001
    import spacy

    cfg = spacy.util.load_config_from_str(spacy_config_str(architecture=architecture))
    assert cfg["nlp"]["lang"] == "da" and cfg["paths"]["vectors"] is None
    texts, rungs, actors = arrays
    backend = SpacyBackend(ModelConfig(backend="spacy", epochs=1), load_codebook())
    backend.fit(texts[:10], rungs[:10], actors[:10], architecture=architecture)
    rung_proba, actor_proba = backend.predict_proba(["Borgerne inviteres til dialogmøde.", ""])
    assert rung_proba.shape == (2, 5) and actor_proba.shape == (2, 6)


def test_unknown_architecture() -> None:
    from pipeline.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="bow, ensemble"):
        spacy_config_str(architecture="cnn")


def test_predict_before_fit() -> None:
    from pipeline.errors import ModelError

    with pytest.raises(ModelError, match="not trained"):
        SpacyBackend(ModelConfig(backend="spacy"), load_codebook()).predict_proba(["x"])


def test_cli_train_spacy(label_file: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    out = tmp_path / "spacy_cli"
    result = CliRunner().invoke(app, ["train", "--backend", "spacy", "--data", str(label_file), "--out", str(out),
                                      "--set", "model.epochs=3"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert manifest["backend"] == "spacy" and manifest["config"]["epochs"] == 3
    assert (out / "spacy_model" / "meta.json").is_file()
    pred = load_model(out).predict_records([{"id": "x", "text": "Frivillige hjælper på plejehjemmet."}], evidence_k=0)
    assert pred[0]["id"] == "x" and len(pred[0]["rung_proba"]) == 5
