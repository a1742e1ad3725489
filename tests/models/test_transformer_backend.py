"""Transformer backend on a tiny BERT built in the test (nothing is downloaded):
overfit, save, reload, predict the same, train through the CLI; and the error cases."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.codebook import load_codebook
from pipeline.config import ModelConfig

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_tiny_bert(texts: list[str], folder: Path) -> Path:
    """A randomly initialised 2-layer BERT (hidden 32) and a WordPiece vocabulary of ``texts``."""
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    normalise, pre = BertNormalizer(lowercase=True), BertPreTokenizer()
    words = sorted({w for t in texts for w, _ in pre.pre_tokenize_str(normalise.normalize_str(t))})
    chars = sorted({c for w in words for c in w})
    vocab = SPECIAL + words + [c for c in chars if c not in words] + [f"##{c}" for c in chars]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"))
    if len(tokenizer) < len(vocab):  # transformers >= 5 takes the vocabulary as `vocab`
        tokenizer = BertTokenizerFast(vocab={token: i for i, token in enumerate(vocab)})
    assert len(tokenizer) == len(vocab)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():  # noqa: ANN202
    """A 32-wide model trains faster on one thread, and much faster on a busy 2-core machine."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory, arrays) -> Path:  # noqa: ANN001
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    return build_tiny_bert(arrays[0], tmp_path_factory.mktemp("tiny_bert"))


def _config(checkpoint: Path, **kw) -> ModelConfig:  # noqa: ANN003
    return ModelConfig(backend="transformer", checkpoint=str(checkpoint), max_length=32, seed=5,
                       **{"epochs": 3, "batch_size": 8, "learning_rate": 3e-3, **kw})


@pytest.fixture(scope="module")
def trained(tiny_bert, arrays):  # noqa: ANN001, ANN201
    from pipeline.models.transformer import TransformerBackend

    texts, rungs, actors = arrays
    backend = TransformerBackend(_config(tiny_bert, epochs=20), load_codebook())
    seen: list[float] = []
    backend.fit(texts, rungs, actors, progress=lambda msg, frac: seen.append(frac))
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    return backend


@pytest.mark.transformer
def test_overfitting_io(trained, arrays, labelled, tmp_path: Path) -> None:  # noqa: ANN001
    from pipeline.models import load_model, save_model

    texts, rungs, actors = arrays
    rung_proba, actor_proba = trained.predict_proba(texts)
    assert rung_proba.shape == (len(texts), 5) and actor_proba.shape == (len(texts), 6)
    np.testing.assert_allclose(rung_proba.sum(1), 1.0, atol=1e-6)
    assert (rung_proba.argmax(1) == rungs).mean() >= 0.9
    assert ((actor_proba >= 0.5) == actors.astype(bool)).mean() >= 0.85

    save_model(trained, tmp_path / "m", manifest={"name": "t"})
    files = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))["files"]
    assert "transformer/heads.safetensors" in files and "transformer/model.safetensors" in files
    assert not any(f.endswith((".bin", ".pt", ".pkl")) for f in files)
    model = load_model(tmp_path / "m")
    assert model.backend.name == "transformer"
    rung2, actor2 = model.backend.predict_proba(texts)
    np.testing.assert_allclose(rung2, rung_proba, atol=1e-5)
    np.testing.assert_allclose(actor2, actor_proba, atol=1e-5)
    out = model.predict_records(labelled[:2] + [{"id": "empty", "text": ""}], evidence_k=1)
    assert [r["id"] for r in out] == ["s00", "s01", "empty"]


@pytest.mark.transformer
def test_batching_does_not_change_predictions(trained, arrays) -> None:  # noqa: ANN001
    texts = arrays[0]
    together = trained.predict_proba(texts)[0]
    alone = np.vstack([trained.predict_proba([t])[0] for t in texts[:5]])
    np.testing.assert_allclose(alone, together[:5], atol=1e-5)


@pytest.mark.transformer
def test_cli_train_transformer(tiny_bert, label_file: Path, tmp_path: Path) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.models import load_model

    out = tmp_path / "tf_cli"
    result = CliRunner().invoke(app, ["train", "--backend", "transformer", "--data", str(label_file), "--out", str(out),
                                      "--set", f"model.checkpoint={tiny_bert}", "--set", "model.epochs=2",
                                      "--set", "model.max_length=32"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert manifest["backend"] == "transformer" and manifest["config"]["checkpoint"] == str(tiny_bert)
    pred = load_model(out).predict_records([{"id": "x", "text": "Frivillige hjælper på plejehjemmet."}], evidence_k=0)
    assert pred[0]["id"] == "x" and abs(sum(pred[0]["rung_proba"]) - 1) < 1e-4


@pytest.mark.transformer
@pytest.mark.parametrize("checkpoint", [None, "does/not/exist", "bert-base-multilingual-cased"])
def test_checkpoint_must_be_a_local_folder(checkpoint, arrays) -> None:  # noqa: ANN001
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from pipeline.errors import ConfigError
    from pipeline.models.transformer import TransformerBackend

    texts, rungs, actors = arrays
    cfg = ModelConfig(backend="transformer", checkpoint=checkpoint)
    with pytest.raises(ConfigError, match="model.checkpoint"):
        TransformerBackend(cfg, load_codebook()).fit(texts, rungs, actors)


def test_missing_extra(monkeypatch, arrays) -> None:  # noqa: ANN001
    """Without torch the backend says which extra to install (no torch needed for this test)."""
    from pipeline.errors import MissingExtraError
    from pipeline.models.transformer import TransformerBackend

    monkeypatch.setitem(sys.modules, "torch", None)
    texts, rungs, actors = arrays
    with pytest.raises(MissingExtraError, match=r"samskab\[transformer\]"):
        TransformerBackend(ModelConfig(backend="transformer", checkpoint="x"), load_codebook()).fit(texts, rungs, actors)
