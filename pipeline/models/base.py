"""The small interface every classifier backend implements.

A backend maps texts to rung probabilities (n x 5, code order), actor probabilities
(n x 6, codebook order) and evidence (the sentences that drove each decision).
Everything else (saving folders, hashes, model cards, thresholds) is shared.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from pipeline.codebook import Codebook
from pipeline.config import ModelConfig

#: rungs on the ladder (codes 0..4); the probabilities every backend returns have this many columns
N_RUNGS = 5


def rounded(values: Any, digits: int) -> list[float]:
    """Numbers as written to output files: numpy's rounding on a whole array at once.

    Python's ``round(x, n)`` costs about 0.2 microseconds a number (it rounds exactly
    via decimal digits), which adds up to several percent of classification time; every
    path that writes probabilities or scores rounds with this one function, so the fast
    and the reference paths give the same numbers.
    """
    return np.round(np.asarray(values, dtype=np.float64), digits).tolist()

ProgressFn = Callable[[str, float], None]  # (message, fraction done)


@dataclass
class BatchOutput:
    rung_proba: np.ndarray         # (n, 5)
    actor_proba: np.ndarray        # (n, 6)
    evidence: list[list[dict[str, Any]]]
    #: each text's vocabulary flag (``rules.has_vocabulary``), when the backend found it on the way
    vocab: list[bool] | None = None


class Backend(ABC):
    name: ClassVar[str]

    def __init__(self, config: ModelConfig, codebook: Codebook) -> None:
        self.config = config
        self.codebook = codebook

    @abstractmethod
    def fit(self, texts: list[str], rungs: np.ndarray, actors: np.ndarray, *, progress: ProgressFn | None = None) -> None:
        """Train on texts with integer rungs (n,) and a multi-hot actor matrix (n, 6)."""

    @abstractmethod
    def predict_proba(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Rung probabilities (n, 5) and actor probabilities (n, 6)."""

    def predict(self, texts: list[str], *, evidence_k: int = 3) -> BatchOutput:
        rung_proba, actor_proba = self.predict_proba(texts)
        evidence = self.sentence_evidence(texts, rung_proba.argmax(1), k=evidence_k) if evidence_k else [[] for _ in texts]
        return BatchOutput(rung_proba, actor_proba, evidence)

    def sentence_evidence(self, texts: list[str], rungs: np.ndarray, *, k: int) -> list[list[dict[str, Any]]]:
        """Generic evidence: score every sentence alone by the probability of the chosen rung.

        Backends with a cheaper exact attribution (the linear model) override this.
        """
        from pipeline.nlp import split_sentences

        spans = [split_sentences(t) for t in texts]
        flat = [(i, s, e) for i, sp in enumerate(spans) for (s, e) in sp]
        if not flat:
            return [[] for _ in texts]
        proba, _ = self.predict_proba([texts[i][s:e] for i, s, e in flat])
        out: list[list[dict[str, Any]]] = [[] for _ in texts]
        for (i, s, e), p in zip(flat, proba, strict=True):
            r = int(rungs[i])
            out[i].append({"sentence": texts[i][s:e], "score": round(float(p[r]), 4), "start": s, "end": e, "rung": r})
        return [sorted(ev, key=lambda d: -d["score"])[:k] for ev in out]

    @abstractmethod
    def save(self, directory: Path) -> list[str]:
        """Write the backend's files into ``directory``; return their names."""

    @classmethod
    @abstractmethod
    def load(cls, directory: Path, config: ModelConfig, codebook: Codebook) -> "Backend":
        """Read a backend written by ``save`` (files already integrity-checked)."""


def load_trusted_skops(directory: Path, file_name: str, trusted: list[str]) -> Any:
    """Read a skops file, refusing any type outside ``trusted`` (a model file is never unpickled blindly)."""
    import skops.io as sio

    from pipeline.errors import UntrustedModelError

    path = Path(directory) / file_name
    untrusted = sio.get_untrusted_types(file=path)
    unexpected = sorted(set(untrusted) - set(trusted))
    if unexpected:
        raise UntrustedModelError(path=str(directory), detail=f"{file_name} contains types outside the trusted list: {unexpected}")
    return sio.load(path, trusted=[t for t in untrusted if t in trusted])
