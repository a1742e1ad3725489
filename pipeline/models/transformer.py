"""Transformer backend: fine-tune any local Hugging Face encoder checkpoint.

One shared encoder (``AutoModel``), masked mean pooling, and two linear heads: a 5-way
softmax for the rung (class-weighted cross-entropy) and 6 sigmoids for the actors. Runs on
the GPU when there is one, else the CPU (slow: see shared/MEASURED.md). Nothing is ever
downloaded: the checkpoint is a local folder (``--set model.checkpoint=PATH``). The model
folder holds ``transformer/`` with the encoder and tokenizer (``save_pretrained``,
safetensors) and the heads in ``heads.safetensors``; loading never unpickles.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.models.base import Backend, ProgressFn

log = logging.getLogger(__name__)

MODEL_DIR = "transformer"
HEADS_FILE = "heads.safetensors"
DROPOUT = 0.1
WARMUP = 0.1          # fraction of the steps with a linearly rising learning rate
WEIGHT_DECAY = 0.01


def _require() -> tuple[Any, Any]:
    """torch and transformers, or a MissingExtraError that says how to install them."""
    from pipeline.errors import MissingExtraError

    try:
        import safetensors.torch  # noqa: F401
        import torch
        import transformers
    except ImportError as e:
        raise MissingExtraError(feature="transformer backend", extra="transformer",
                                detail=f"{e.name or 'torch/transformers'} is not installed") from e
    return torch, transformers


def _device(torch):  # noqa: ANN001, ANN202
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class TransformerBackend(Backend):
    name = "transformer"

    def __init__(self, config, codebook) -> None:  # noqa: ANN001
        super().__init__(config, codebook)
        self.tokenizer = None
        self.encoder = None
        self.heads = None
        self.device = None

    # -- building blocks ----------------------------------------------------------
    def _new_heads(self, hidden: int):  # noqa: ANN202
        torch, _ = _require()
        return torch.nn.ModuleDict({
            "rung": torch.nn.Linear(hidden, len(self.codebook.rung_ids)),
            "actors": torch.nn.Linear(hidden, len(self.codebook.actor_ids)),
        })

    def _logits(self, batch: dict[str, Any], *, train: bool):  # noqa: ANN202
        """(rung logits, actor logits) for one tokenised batch; masked mean pooling."""
        torch, _ = _require()
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        if train:
            pooled = torch.nn.functional.dropout(pooled, p=DROPOUT)
        pooled = pooled.float()
        return self.heads["rung"](pooled), self.heads["actors"](pooled)

    def _tokenise(self, texts: list[str]) -> dict[str, Any]:
        enc = self.tokenizer(texts, truncation=True, max_length=self.config.max_length, padding=True, return_tensors="pt")
        return {k: v.to(self.device) for k, v in enc.items()}

    def _autocast(self):  # noqa: ANN202
        """bf16 autocast on a GPU that has it; a no-op context elsewhere."""
        import contextlib

        torch, _ = _require()
        if self.device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # -- training -----------------------------------------------------------------
    def fit(self, texts, rungs, actors, *, progress: ProgressFn | None = None) -> None:  # noqa: ANN001
        torch, transformers = _require()
        from pipeline.errors import ConfigError

        cfg = self.config
        say = progress or (lambda msg, frac: None)
        if not cfg.checkpoint:
            raise ConfigError(path="model.checkpoint", detail=(
                "the transformer backend needs a local Hugging Face checkpoint folder: "
                "samskab train --backend transformer --set model.checkpoint=PATH"))
        checkpoint = Path(cfg.checkpoint).expanduser()
        if not (checkpoint / "config.json").is_file():
            raise ConfigError(path="model.checkpoint", detail=(
                f"{str(checkpoint)!r} is not a local checkpoint folder (no config.json); "
                "only local folders are used, nothing is downloaded"))
        transformers.set_seed(cfg.seed)
        self.device = _device(torch)
        say(f"loading {checkpoint.name} on {self.device.type}", 0.01)
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoint, local_files_only=True)
            self.encoder = transformers.AutoModel.from_pretrained(checkpoint, local_files_only=True)
        except (OSError, ValueError) as e:
            raise ConfigError(path="model.checkpoint", detail=f"cannot load {str(checkpoint)!r}: {e}") from e
        self.encoder.to(self.device)
        self.heads = self._new_heads(self.encoder.config.hidden_size).to(self.device)

        rungs = np.asarray(rungs, dtype=np.int64)
        actors = np.asarray(actors, dtype=np.float32)
        counts = np.bincount(rungs, minlength=len(self.codebook.rung_ids)).astype(np.float64)
        class_weight = np.where(counts > 0, len(rungs) / (len(counts) * np.maximum(counts, 1)), 0.0)
        rung_loss = torch.nn.CrossEntropyLoss(weight=torch.tensor(class_weight, dtype=torch.float32, device=self.device))
        actor_loss = torch.nn.BCEWithLogitsLoss()

        params = list(self.encoder.parameters()) + list(self.heads.parameters())
        optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=WEIGHT_DECAY)
        steps_per_epoch = math.ceil(len(texts) / cfg.batch_size)
        total = max(1, steps_per_epoch * cfg.epochs)
        warmup = int(WARMUP * total)

        def schedule(step: int) -> float:  # linear warm-up, then linear decay to 0
            if step < warmup:
                return (step + 1) / (warmup + 1)
            return max(0.0, (total - step) / max(1, total - warmup))

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
        generator = torch.Generator().manual_seed(cfg.seed)
        y_rung = torch.from_numpy(rungs)
        y_actor = torch.from_numpy(actors)
        step = 0
        self.encoder.train()
        for epoch in range(cfg.epochs):
            order = torch.randperm(len(texts), generator=generator).tolist()
            epoch_loss = 0.0
            for start in range(0, len(order), cfg.batch_size):
                idx = order[start:start + cfg.batch_size]
                batch = self._tokenise([texts[i] for i in idx])
                with self._autocast():
                    rung_logits, actor_logits = self._logits(batch, train=True)
                loss = (rung_loss(rung_logits, y_rung[idx].to(self.device))
                        + actor_loss(actor_logits, y_actor[idx].to(self.device)))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()
                scheduler.step()
                step += 1
                epoch_loss += float(loss.detach()) * len(idx)
                say(f"epoch {epoch + 1}/{cfg.epochs} step {step}/{total}", 0.02 + 0.97 * step / total)
            log.info("transformer epoch %d/%d mean loss %.4f", epoch + 1, cfg.epochs, epoch_loss / len(texts))
        self.encoder.eval()
        say("done", 1.0)

    # -- prediction ---------------------------------------------------------------
    def predict_proba(self, texts):  # noqa: ANN001
        torch, _ = _require()
        if self.encoder is None:
            from pipeline.errors import ModelError

            raise ModelError(path="transformer backend", detail="not trained or loaded; call fit() or load_model()")
        n = len(texts)
        rung = np.zeros((n, len(self.codebook.rung_ids)), dtype=np.float64)
        actors = np.zeros((n, len(self.codebook.actor_ids)), dtype=np.float64)
        # longest first, so that each batch pads to similar lengths
        order = sorted(range(n), key=lambda i: -len(texts[i]))
        size = max(self.config.batch_size, 32)
        self.encoder.eval()
        with torch.inference_mode():
            for start in range(0, n, size):
                idx = order[start:start + size]
                batch = self._tokenise([texts[i] for i in idx])
                with self._autocast():
                    rung_logits, actor_logits = self._logits(batch, train=False)
                rung[idx] = torch.softmax(rung_logits.float(), -1).cpu().numpy()
                actors[idx] = torch.sigmoid(actor_logits.float()).cpu().numpy()
        rung /= rung.sum(1, keepdims=True)
        return rung, actors

    # -- persistence --------------------------------------------------------------
    def save(self, directory: Path) -> list[str]:
        _require()
        from safetensors.torch import save_file

        path = Path(directory) / MODEL_DIR
        path.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(path, safe_serialization=True)
        self.tokenizer.save_pretrained(path)
        tensors = {k: v.detach().cpu().contiguous() for k, v in self.heads.state_dict().items()}
        save_file(tensors, str(path / HEADS_FILE), metadata={
            "rung_ids": json.dumps(self.codebook.rung_ids), "actor_ids": json.dumps(self.codebook.actor_ids),
            "pooling": "mean", "base_checkpoint": str(self.config.checkpoint or ""),
        })
        return [MODEL_DIR]

    @classmethod
    def load(cls, directory, config, codebook):  # noqa: ANN001
        torch, transformers = _require()
        from safetensors import safe_open
        from safetensors.torch import load_file

        from pipeline.errors import ModelError

        path = Path(directory) / MODEL_DIR
        backend = cls(config, codebook)
        backend.device = _device(torch)
        try:
            with safe_open(str(path / HEADS_FILE), framework="pt") as fh:
                meta = fh.metadata() or {}
            if json.loads(meta.get("rung_ids", "null")) != codebook.rung_ids or json.loads(meta.get("actor_ids", "null")) != codebook.actor_ids:
                raise ModelError(path=str(directory), detail="the heads were trained for other labels; retrain with `samskab train --backend transformer`")
            backend.tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
            backend.encoder = transformers.AutoModel.from_pretrained(path, local_files_only=True, use_safetensors=True)
            state = load_file(str(path / HEADS_FILE))
        except (OSError, ValueError) as e:
            raise ModelError(path=str(directory), detail=f"cannot load {MODEL_DIR}/ ({e})") from e
        backend.heads = backend._new_heads(backend.encoder.config.hidden_size)
        backend.heads.load_state_dict(state)
        backend.encoder.to(backend.device).eval()
        backend.heads.to(backend.device)
        return backend
