"""Synthetic corpora with a known truth, to check the estimators' error and interval coverage.

Used by the tests and by ``scripts/calibration_widths.py`` (the README's "How many labels
do I need?" table). The classifier has a known confusion: it reads the true rung right
with probability ``accuracy`` and otherwise as a neighbouring rung (mostly the one below),
and its probabilities put at least 0.5 on the rung it reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.trends.quantify import N_RUNGS

#: A prior unlike the balanced training data: most segments at rung 0, few at 3-4.
SHIFTED_PRIOR = (0.55, 0.12, 0.11, 0.13, 0.09)
FIELDS = [f"share_rung_{k}" for k in range(N_RUNGS)] + ["share_ge3", "mean_rung"]


def confusion_matrix(accuracy: float, down: float = 0.7) -> Any:
    """Rows true rung, columns predicted rung: right with ``accuracy``; a miss goes one rung down
    with share ``down`` (real text is under-called more than over-called) and one up otherwise,
    folded back at rungs 0 and 4."""
    import numpy as np

    c = np.zeros((N_RUNGS, N_RUNGS))
    for i in range(N_RUNGS):
        c[i, i] = accuracy
        lower, upper = (i - 1 if i > 0 else i + 1), (i + 1 if i < N_RUNGS - 1 else i - 1)
        c[i, lower] += (1 - accuracy) * down
        c[i, upper] += (1 - accuracy) * (1 - down)
    return c


def synthetic_corpus(n: int, *, prior: Sequence[float] = SHIFTED_PRIOR, accuracy: float = 0.7,
                     rng: Any) -> tuple[list[dict[str, Any]], Any]:
    """``n`` one-segment documents (municipality 'Sim', year 2020) and their true rungs."""
    import numpy as np

    y = rng.choice(N_RUNGS, size=n, p=np.asarray(prior) / np.sum(prior))
    c = confusion_matrix(accuracy)
    pred = np.array([rng.choice(N_RUNGS, p=c[t]) for t in y])
    p = 0.5 * rng.dirichlet(np.ones(N_RUNGS), size=n)
    p[np.arange(n), pred] += 0.5
    records = [{"id": f"s{i}", "doc_id": f"d{i}", "municipality": "Sim", "year": 2020, "rung_proba": p[i].tolist()}
               for i in range(n)]
    return records, y


def truth_of(y: Any) -> dict[str, float]:
    import numpy as np

    shares = np.bincount(y, minlength=N_RUNGS) / len(y)
    return {**{f"share_rung_{k}": float(shares[k]) for k in range(N_RUNGS)}, "share_ge3": float(shares[3] + shares[4]),
            "mean_rung": float(y.mean())}


@dataclass
class SimulationResult:
    reps: int
    n_labels: int
    coverage: dict[str, float]      # share of repetitions whose 95% interval contains the truth
    width: dict[str, float]         # mean interval width
    error: dict[str, float]         # mean absolute error of the point estimate
    cc_error: dict[str, float]      # the same for classify-and-count
    cc_coverage: dict[str, float]   # how often classify-and-count's own (Wilson) interval contains the truth


def simulate(*, reps: int, n_labels: int, n_population: int = 2000, accuracy: float = 0.7, bootstrap: int = 200,
             estimator: str = "auto", seed: int = 0) -> SimulationResult:
    """Draw ``reps`` corpora, label a random ``n_labels`` of each, and score the calibrated estimates."""
    import numpy as np

    from pipeline.trends.table import trend_table

    rng = np.random.default_rng(seed)
    hits = {f: 0 for f in FIELDS}
    width = {f: 0.0 for f in FIELDS}
    error = {f: 0.0 for f in FIELDS}
    cc_error = {f: 0.0 for f in FIELDS}
    cc_hits = {f: 0 for f in FIELDS}
    for r in range(reps):
        records, y = synthetic_corpus(n_population, accuracy=accuracy, rng=rng)
        truth = truth_of(y)
        chosen = rng.choice(n_population, size=n_labels, replace=False)
        labels = {f"s{i}": int(y[i]) for i in chosen}
        row = trend_table(records, by=(), estimator=estimator, calibration=labels, bootstrap=bootstrap, seed=seed + r,
                          min_support=1).iloc[0]
        naive = trend_table(records, by=(), estimator="cc", bootstrap=0, min_support=1).iloc[0]
        for f in FIELDS:
            hits[f] += bool(row[f"{f}_lo"] <= truth[f] <= row[f"{f}_hi"])
            width[f] += row[f"{f}_hi"] - row[f"{f}_lo"]
            error[f] += abs(row[f] - truth[f])
            cc_error[f] += abs(naive[f] - truth[f])
            cc_hits[f] += bool(naive[f"{f}_lo"] <= truth[f] <= naive[f"{f}_hi"])
    return SimulationResult(reps, n_labels, {f: v / reps for f, v in hits.items()}, {f: v / reps for f, v in width.items()},
                            {f: v / reps for f, v in error.items()}, {f: v / reps for f, v in cc_error.items()}, {f: v / reps for f, v in cc_hits.items()})
