"""Corrections of a cell's counts from labelled data: error rates (acc/pacc) or a PPI rectifier.

Labelled data is either the model's held-out predictions (written examples) or a
calibration sample of the user's own corpus (``--calibration``). A :class:`Correction`
holds the point correction and its bootstrap replicates (the labelled set resampled),
so the intervals carry the uncertainty of the correction itself.

The ``auto`` rule with a calibration sample: a cell with at least ``min_cell_labels``
labelled items uses ``ppi`` on its own labels (unbiased whatever the classifier's errors);
a thinner cell borrows the corpus-wide calibration sample through ``pacc`` - error rates
P(prediction | true rung) carry over to a cell with another rung mix, a mean correction
(PPI's rectifier) does not - and says so in its ``calibration`` column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.trends.quantify import N_RUNGS, confusion, stack

if TYPE_CHECKING:
    import numpy as np

#: Labelled items a cell needs to be corrected by its own labels rather than the corpus-wide ones.
MIN_CELL_LABELS = 30


@dataclass
class Correction:
    """One cell's correction: ``kind`` None, "rates" or "rectifier"; ``point`` / ``boot`` as
    stacked matrices (see :func:`pipeline.trends.quantify.stack`) or rectifier rows."""

    kind: str | None
    point: Any = None
    boot: Any = None
    source: str = "none"   # none | heldout | cell | corpus
    n: int = 0


NO_CORRECTION = Correction(None)


def rates_correction(y: np.ndarray, p: np.ndarray, *, observed: str, threshold: float, bootstrap: int,
                     rng: np.random.Generator, source: str) -> Correction:
    """Error rates from labelled items (true rungs ``y``, probabilities ``p``) and their bootstrap."""
    point = stack([confusion(y, p, threshold, observed)])
    draws = (rng.integers(0, len(y), len(y)) for _ in range(max(bootstrap, 1)))
    boot = stack([confusion(y[idx], p[idx], threshold, observed) for idx in draws])
    return Correction("rates", point, boot, source, int(len(y)))


def rectifier_correction(y: np.ndarray, p: np.ndarray, *, bootstrap: int, rng: np.random.Generator, source: str,
                         w: np.ndarray | None = None) -> Correction:
    """PPI's rectifier: the (sample-weighted) mean of (one-hot label - probabilities) and its bootstrap."""
    import numpy as np

    d = np.eye(N_RUNGS)[y] - p
    n = len(y)
    w = np.ones(n) if w is None else np.asarray(w, dtype=float)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=max(bootstrap, 1)) * w
    with np.errstate(invalid="ignore", divide="ignore"):
        boot = (counts @ d) / counts.sum(axis=1, keepdims=True)
    return Correction("rectifier", ((w @ d) / w.sum())[None, :], boot, source, int(n))


@dataclass
class CalibrationSample:
    """Labelled items matched to the predictions: true rungs, probabilities, and their cell."""

    y: Any            # (n,) true rungs
    p: Any            # (n, 5) the model's probabilities for the same items
    w: Any            # (n,) sample weights (segments each item stands for; all 1 for a simple random sample)
    cells: list[tuple]  # per item: (*group keys, period key)
    n_labels: int     # labelled records given
    n_unmatched: int  # labelled ids not among the counted predictions

    def in_cell(self, cell: tuple) -> Any:
        import numpy as np

        return np.array([c == cell for c in self.cells], dtype=bool)


def match_calibration(labels: Mapping[str, int], ids: Any, p: np.ndarray, cell_keys: list[tuple],
                      weights: Mapping[str, float] | None = None) -> CalibrationSample:
    """Join {id: rung} (and {id: sample weight}) to the counted segments (their ids, probabilities and cells)."""
    import numpy as np

    where = {str(i): n for n, i in enumerate(ids)}
    rows = [(where[i], rung, (weights or {}).get(i, 1.0)) for i, rung in labels.items() if i in where]
    idx = np.array([r for r, _, _ in rows], dtype=int)
    y = np.array([rung for _, rung, _ in rows], dtype=int)
    w = np.array([wt for _, _, wt in rows], dtype=float)
    return CalibrationSample(y=y, p=p[idx] if len(idx) else np.zeros((0, N_RUNGS)), w=w, cells=[cell_keys[i] for i in idx],
                             n_labels=len(labels), n_unmatched=len(labels) - len(rows))


def describe(corr: Correction) -> str:
    """The ``calibration`` column of a row: where its correction comes from."""
    if corr.kind is None:
        return "none"
    if corr.source == "heldout":
        return f"held-out written examples (n={corr.n})"
    if corr.source == "cell":
        return f"calibration sample, this cell's own labels (n={corr.n})"
    return f"calibration sample, corpus-wide labels borrowed (n={corr.n}; too few labels in this cell)"
