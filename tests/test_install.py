"""Packaging: shipped data, the one default-model policy, optional extras, a real `pip install .`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str):
    from pipeline.cli import app

    return CliRunner().invoke(app, list(args))


def test_a_checkout_reads_the_repository_files():
    import pipeline
    from pipeline.models import DEFAULT_MODEL_DIR
    from pipeline.resources import SHIPPED, resource_root

    assert resource_root() == ROOT
    assert pipeline.CONFIG_DIR == ROOT / "configs" and DEFAULT_MODEL_DIR == ROOT / "models" / "default"
    assert all((ROOT / rel).exists() for rel in SHIPPED)


def test_default_model_is_the_packaged_one_and_a_missing_one_is_a_coded_error(tmp_path, monkeypatch):
    import pipeline.models as models
    from pipeline.errors import ModelError

    assert models.resolve_model_dir(None) == models.DEFAULT_MODEL_DIR
    assert models.resolve_model_dir(tmp_path) == tmp_path
    with pytest.raises(ModelError, match="folder not found"):
        models.resolve_model_dir(tmp_path / "nope")
    monkeypatch.setattr(models, "DEFAULT_MODEL_DIR", tmp_path / "gone")
    with pytest.raises(ModelError, match="packaged default model is missing"):
        models.resolve_model_dir(None)


@pytest.mark.parametrize("command", [
    ["classify", "in.jsonl", "--out", "o.jsonl"], ["explain", "Borgerne er hørt."], ["trends", "p.jsonl"], ["serve"], ["run", "x"],
])
def test_every_command_refuses_a_missing_model_folder_the_same_way(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "Borgerne er hørt."}\n', encoding="utf-8")
    (tmp_path / "p.jsonl").write_text('{"id": "a", "rung": 3}\n', encoding="utf-8")
    (tmp_path / "x").mkdir()
    res = _cli(*command, "--model", str(tmp_path / "no-such-model"))
    assert res.exit_code != 0
    assert "[E030]" in res.output and "no-such-model: folder not found" in res.output


def test_classify_never_trains_a_default_model(tmp_path, monkeypatch):
    import pipeline.models as models

    monkeypatch.setattr(models, "DEFAULT_MODEL_DIR", tmp_path / "models" / "default")
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "Borgerne er hørt."}\n', encoding="utf-8")
    res = _cli("classify", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "o.jsonl"))
    assert res.exit_code != 0 and "[E030]" in res.output and "packaged default model is missing" in res.output
    assert not (tmp_path / "models").exists() and not (tmp_path / "o.jsonl").exists()


def test_serve_without_the_web_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn -> ImportError
    res = _cli("serve")
    assert res.exit_code != 0
    assert "[E041]" in res.output and "pip install 'samskab[web]'" in res.output and "uvicorn" in res.output
    assert "Traceback" not in res.output


def test_dask_engine_without_the_dask_extra_names_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "Borgerne er hørt."}\n', encoding="utf-8")
    res = _cli("classify", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "o.jsonl"), "--engine", "dask")
    assert res.exit_code != 0 and "[E041]" in res.output and "pip install 'samskab[dask]'" in res.output


@pytest.mark.slow
def test_pip_install_dot_runs_explain_and_classify_from_another_folder(tmp_path):
    spec = importlib.util.spec_from_file_location("check_install", ROOT / "scripts" / "check_install.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    result = check.check_install(tmp_path)
    assert "/site-packages/pipeline/" in result["package"] and result["model"].endswith("pipeline/_data/models/default")


def test_a_shipped_model_can_be_named_from_any_folder(tmp_path, monkeypatch):
    from pipeline.models import MODELS_DIR, resolve_model_dir

    monkeypatch.chdir(tmp_path)
    assert resolve_model_dir("fast") == MODELS_DIR / "fast"
    (tmp_path / "fast").mkdir()  # a folder here wins over the packaged name
    assert resolve_model_dir("fast") == Path("fast")
