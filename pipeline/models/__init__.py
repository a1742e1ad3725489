"""Classifier backends behind one interface, chosen by name, and model folders.

A model folder holds the backend's files, ``model.json`` (backend, config, codebook hash,
training-data hash, label distribution, metrics, sha256 of every file), ``metrics.json``,
``heldout_predictions.jsonl`` and ``MODEL_CARD.md``. Loading verifies the hashes and the
codebook, so a tampered or foreign folder is refused rather than unpickled.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import Any

import numpy as np

from pipeline import MODELS_DIR
from pipeline.codebook import Codebook, load_codebook
from pipeline.config import ModelConfig
from pipeline.errors import ModelError, SamskabError, UnknownNameError, UntrustedModelError
from pipeline.io import sha256_file
from pipeline.models.base import Backend, BatchOutput, rounded

#: name -> "module:Class". Names are stable; heavy modules are imported on first use.
BACKENDS: dict[str, str] = {
    "tfidf": "pipeline.models.tfidf:TfidfBackend",
    "ladder": "pipeline.models.ladder:LadderBackend",
    "spacy": "pipeline.models.spacy_textcat:SpacyBackend",
    "transformer": "pipeline.models.transformer:TransformerBackend",
}
MANIFEST = "model.json"
FORMAT_VERSION = 1
DEFAULT_MODEL_DIR = MODELS_DIR / "default"


def resolve_model_dir(directory: str | Path | None = None) -> Path:
    """The one default-model policy (classify, explain, serve, trends, run): the folder given,
    else the packaged default model. A bare name of a shipped model (``fast``) means the packaged
    folder when no such folder exists here. Never trains one; a missing folder is a ModelError."""
    if directory is None or str(directory) == "":
        if not (DEFAULT_MODEL_DIR / MANIFEST).is_file():
            raise ModelError(path=str(DEFAULT_MODEL_DIR), detail=(
                "the packaged default model is missing; reinstall samskab, or give --model DIR (from `samskab train --out DIR`)"))
        return DEFAULT_MODEL_DIR
    path = Path(directory)
    if not path.is_dir() and len(path.parts) == 1 and (MODELS_DIR / path / MANIFEST).is_file():
        return MODELS_DIR / path
    if not path.is_dir():
        raise ModelError(path=str(path), detail=(
            "folder not found; give a model folder written by `samskab train --out DIR`, or leave out --model for the packaged default"))
    return path


def backend_class(name: str) -> type[Backend]:
    if name not in BACKENDS:
        raise UnknownNameError(kind="backend", name=name, choices=", ".join(BACKENDS))
    module, cls = BACKENDS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def create_backend(config: ModelConfig, codebook: Codebook | None = None) -> Backend:
    return backend_class(config.backend)(config, codebook or load_codebook())


def _files_of(directory: Path, names: list[str]) -> dict[str, str]:
    out = {}
    for name in names:
        p = directory / name
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file():
                    out[str(f.relative_to(directory))] = sha256_file(f)
        else:
            out[name] = sha256_file(p)
    return out


#: The keys ``Model.predict_records`` sets itself (passthrough keys never replace them).
_ROW_KEYS = frozenset({"id", "rung", "rung_label", "rung_proba", "actors", "actor_proba", "evidence"})


@dataclass
class Model:
    """A loaded model: the backend plus the facts recorded when it was trained."""

    backend: Backend
    manifest: dict[str, Any]
    directory: Path | None = None
    codebook: Codebook = field(default_factory=load_codebook)

    @property
    def name(self) -> str:
        return self.manifest.get("name") or (self.directory.name if self.directory else self.backend.name)

    @property
    def actor_threshold(self) -> float:
        return float(self.manifest.get("config", {}).get("actor_threshold", 0.5))

    def predict(self, texts: list[str], *, evidence_k: int = 3) -> BatchOutput:
        return self.backend.predict(texts, evidence_k=evidence_k)

    def predict_records(self, records: list[dict[str, Any]], *, evidence_k: int = 3, passthrough: tuple[str, ...] = (),
                        vocab: bool = False) -> list[dict[str, Any]]:
        """The classify contract for one batch: one output per input, same ``id``; ``vocab`` adds
        each text's vocabulary flag (``rules.has_vocabulary``) after the passthrough keys."""
        if not records:
            return []
        texts = [r.get("text") or "" for r in records]
        out = self.predict(texts, evidence_k=evidence_k)
        flags = None
        if vocab:
            flags = out.vocab
            if flags is None:
                from pipeline.rules import has_vocabulary

                flags = has_vocabulary(texts, self.codebook)
        rung_ids = self.codebook.rung_ids
        actor_ids = self.codebook.actor_ids
        thr = self.actor_threshold
        results = []
        rungs = np.asarray(out.rung_proba).argmax(axis=1).tolist()
        taking = (np.asarray(out.actor_proba) >= thr).tolist()
        extra = [k for k in passthrough if k not in _ROW_KEYS]
        for rec, rung, rp, took, ap4, ev in zip(records, rungs, rounded(out.rung_proba, 6), taking,
                                                 rounded(out.actor_proba, 4), out.evidence, strict=True):
            row = {
                "id": str(rec["id"]), "rung": rung, "rung_label": rung_ids[rung],
                "rung_proba": rp,
                "actors": list(compress(actor_ids, took)),
                "actor_proba": dict(zip(actor_ids, ap4, strict=True)),
                "evidence": ev,
            }
            for key in extra:
                if key in rec:
                    row[key] = rec[key]
            results.append(row)
        if flags is not None:
            for row, flag in zip(results, flags, strict=True):
                row["vocab"] = flag
        return results


def save_model(model: Backend, directory: Path, *, manifest: dict[str, Any]) -> Path:
    """Write backend files + manifest with file hashes. The folder is replaced atomically."""
    import shutil
    import tempfile

    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        names = model.save(tmp)
        for extra in manifest.pop("_extra_files", {}).items():
            (tmp / extra[0]).write_text(extra[1], encoding="utf-8")
            names.append(extra[0])
        full = {
            "format_version": FORMAT_VERSION,
            "backend": model.name,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "codebook_hash": model.codebook.hash,
            "config": model.config.model_dump(mode="json"),
            **manifest,
            "files": _files_of(tmp, names),
        }
        (tmp / MANIFEST).write_text(json.dumps(full, indent=2, ensure_ascii=False), encoding="utf-8")
        if directory.exists():
            old = directory.with_name(f".{directory.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            directory.rename(old)
            tmp.rename(directory)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def read_manifest(directory: Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise ModelError(path=str(directory), detail=f"no {MANIFEST}; not a samskab model folder (train one with `samskab train`)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise UntrustedModelError(path=str(directory), detail=f"{MANIFEST} is not valid JSON ({e.msg})") from e
    if manifest.get("format_version") != FORMAT_VERSION:
        raise UntrustedModelError(path=str(directory), detail=f"format version {manifest.get('format_version')!r} is not {FORMAT_VERSION}")
    return manifest


def verify_model(directory: str | Path | None = None, *, codebook: Codebook | None = None) -> dict[str, Any]:
    """Check a model folder (manifest, file hashes, codebook) without loading it; return the manifest."""
    directory = resolve_model_dir(directory)
    codebook = codebook or load_codebook()
    manifest = read_manifest(directory)
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise UntrustedModelError(path=str(directory), detail="the manifest lists no files")
    for name, digest in files.items():
        path = (directory / name).resolve()
        if directory.resolve() not in path.parents or not path.is_file():
            raise UntrustedModelError(path=str(directory), detail=f"file {name!r} is missing or outside the folder")
        if sha256_file(path) != digest:
            raise UntrustedModelError(path=str(directory), detail=f"file {name!r} does not match its recorded sha256 (tampered or corrupted)")
    if manifest.get("codebook_hash") != codebook.hash:
        raise ModelError(path=str(directory), detail=(
            f"trained with codebook {manifest.get('codebook_hash')}, current codebook is {codebook.hash}; "
            "labels may differ. Retrain with `samskab train`."))
    return manifest


def load_model(directory: str | Path | None = None, *, codebook: Codebook | None = None) -> Model:
    """Load and verify a model folder (default: the packaged models/default)."""
    directory = resolve_model_dir(directory)
    codebook = codebook or load_codebook()
    manifest = verify_model(directory, codebook=codebook)
    try:
        config = ModelConfig.model_validate(manifest["config"])
    except (KeyError, ValueError) as e:
        raise UntrustedModelError(path=str(directory), detail=f"its configuration in {MANIFEST} is invalid ({str(e).splitlines()[0]})") from e
    cls = backend_class(str(manifest.get("backend")))
    try:
        backend = cls.load(directory, config, codebook)
    except SamskabError:
        raise
    except Exception as e:  # noqa: BLE001 - corrupt files fail inside zipfile/skops/torch with many types
        raise ModelError(path=str(directory), detail=(
            f"its {manifest.get('backend')} files cannot be read ({type(e).__name__}: {str(e)[:160]}); "
            "the folder is damaged: retrain with `samskab train` or restore a copy")) from e
    return Model(backend=backend, manifest=manifest, directory=directory, codebook=codebook)


def list_models(root: Path | None = None) -> list[dict[str, Any]]:
    """Model folders under ``root`` with their headline metrics."""
    root = Path(root) if root else MODELS_DIR
    rows = []
    for manifest_path in sorted(root.glob(f"*/{MANIFEST}")):
        try:
            m = json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            continue
        metrics = m.get("metrics", {})
        test = metrics.get("test") or metrics.get("dev") or {}
        real = next((v for v in metrics.values() if isinstance(v, dict) and v.get("real_text")), {})
        rows.append({
            "name": manifest_path.parent.name, "path": str(manifest_path.parent), "backend": m.get("backend"),
            "created": (m.get("created") or "")[:10], "rung_macro_f1": test.get("rung_macro_f1"),
            "actors_micro_f1": test.get("actors_micro_f1"), "evaluated_on": metrics.get("evaluated_on"),
            "n_train": m.get("n_train"), "real_rung_macro_f1": real.get("rung_macro_f1"),
            "real_actors_micro_f1": real.get("actors_micro_f1"),
        })
    return rows
