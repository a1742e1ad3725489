"""Quantification estimators: from a classifier's outputs to rung prevalences.

The estimators are a registry (:data:`ESTIMATORS_BY_NAME`), chosen by name:

* ``cc``   classify and count: a unit counts toward its top rung only when that rung's
  probability is >= ``threshold``; the rest are reported as ``uncertain_share``.
* ``pcc``  probabilistic classify and count: the mean of the rung probabilities.
* ``acc``  cc adjusted by error rates P(pred | true) (NNLS, renormalised).
* ``pacc`` pcc adjusted by the mean probabilities per true rung.
* ``ppi``  prediction-powered inference (Angelopoulos et al., Science 2023): the mean
  probability over all units plus the mean of (label - probability) over a labelled
  calibration sample. Needs ``--calibration``.

Error rates for acc/pacc come from a labelled calibration sample of the user's own
corpus when one is given, else from the model's held-out predictions (written examples).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.codebook import RUNG_IDS
from pipeline.errors import UnknownNameError

if TYPE_CHECKING:
    import numpy as np

N_RUNGS = len(RUNG_IDS)
UNCERTAIN = N_RUNGS  # index of the "top probability below threshold" prediction
#: Smallest held-out set on which ``auto`` compares estimators instead of defaulting to pcc.
MIN_HELDOUT_FOR_AUTO = 30


@dataclass(frozen=True)
class Estimator:
    """A quantification estimator.

    ``observed``: what is counted, "cc" (hard predictions) or "pcc" (mean probabilities).
    ``correction``: None, "rates" (error rates P(pred|true) from labelled data, solved by
    NNLS) or "rectifier" (PPI: plus the mean of label - prediction on labelled data).
    ``unadjusted``: the estimator used where the correction cannot apply.
    """

    name: str
    observed: str
    correction: str | None
    unadjusted: str
    needs_calibration: bool = False

    @property
    def cc_like(self) -> bool:
        return self.observed == "cc"


ESTIMATORS_BY_NAME: dict[str, Estimator] = {e.name: e for e in (
    Estimator("cc", "cc", None, "cc"),
    Estimator("pcc", "pcc", None, "pcc"),
    Estimator("acc", "cc", "rates", "cc"),
    Estimator("pacc", "pcc", "rates", "pcc"),
    Estimator("ppi", "pcc", "rectifier", "pcc", needs_calibration=True),
)}
#: The estimators ``auto`` compares on held-out data (ppi needs a sample of the target corpus).
ESTIMATORS = ("cc", "pcc", "acc", "pacc")
ESTIMATOR_CHOICES = (*ESTIMATORS_BY_NAME, "auto")


def get_estimator(name: str) -> Estimator:
    try:
        return ESTIMATORS_BY_NAME[name]
    except KeyError:
        raise UnknownNameError(kind="estimator", name=name, choices=", ".join(ESTIMATOR_CHOICES)) from None


def normalise(p: np.ndarray) -> np.ndarray:
    """Rows clipped at 0 and scaled to sum 1 (all-zero rows become uniform)."""
    import numpy as np

    p = np.clip(np.nan_to_num(p, nan=0.0), 0.0, None)
    s = p.sum(axis=1, keepdims=True)
    return np.divide(p, s, out=np.full_like(p, 1.0 / p.shape[1]), where=s > 0)


def predict(p: np.ndarray, threshold: float) -> np.ndarray:
    """Top rung when its probability reaches the threshold, else UNCERTAIN."""
    import numpy as np

    top = p.argmax(axis=1)
    return np.where(p.max(axis=1) >= threshold, top, UNCERTAIN)


def confusion(y: np.ndarray, p: np.ndarray, threshold: float, observed: str) -> np.ndarray:
    """Columns are true rungs: P(pred=j | true=i) (cc, 6 rows) or E[p_j | true=i] (pcc, 5 rows).

    A rung absent from the labelled sample gets an identity column (no adjustment).
    """
    import numpy as np

    rows = N_RUNGS + 1 if observed == "cc" else N_RUNGS
    m = np.zeros((rows, N_RUNGS))
    pred = predict(p, threshold) if observed == "cc" else None
    for i in range(N_RUNGS):
        mask = y == i
        if not mask.any():
            m[i, i] = 1.0
        elif observed == "cc":
            m[:, i] = np.bincount(pred[mask], minlength=rows) / mask.sum()
        else:
            m[:, i] = p[mask].mean(axis=0)
    return m


def adjust(m: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Solve M x = observed for prevalences x >= 0 by NNLS, then renormalise."""
    import numpy as np
    from scipy.optimize import nnls

    if not np.all(np.isfinite(observed)):
        return np.full(N_RUNGS, np.nan)
    x, _ = nnls(m, observed)
    s = x.sum()
    return x / s if s > 0 else np.full(N_RUNGS, 1.0 / N_RUNGS)


def stack(mats: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Matrices and their pseudo-inverses, stacked for :func:`adjust_many`."""
    import numpy as np

    arr = np.stack(list(mats))
    return arr, np.linalg.pinv(arr)


def adjust_many(mats: tuple[np.ndarray, np.ndarray], observed: np.ndarray) -> np.ndarray:
    """:func:`adjust` for many rows (row i uses matrix i, or the last one).

    Where the least-squares solution is already non-negative it is the NNLS solution, so
    only the other rows pay for NNLS.
    """
    import numpy as np

    arr, pinv = mats
    idx = np.minimum(np.arange(len(observed)), len(arr) - 1)
    x = np.einsum("rij,rj->ri", pinv[idx], np.nan_to_num(observed))
    for i in np.flatnonzero((x < 0).any(axis=1)):
        x[i] = adjust(arr[idx[i]], observed[i])
    x = np.clip(x, 0, None)
    total = x.sum(axis=1, keepdims=True)
    x = np.divide(x, total, out=np.full_like(x, 1.0 / N_RUNGS), where=total > 0)
    x[~np.isfinite(observed).all(axis=1)] = np.nan
    return x


def observed_shares(p: np.ndarray, observed: str, threshold: float) -> np.ndarray:
    """The uncorrected figure: 6 hard-prediction shares (cc, last = uncertain) or 5 mean probabilities."""
    import numpy as np

    if observed == "cc":
        return np.bincount(predict(p, threshold), minlength=N_RUNGS + 1) / len(p)
    return p.mean(axis=0)


def quantify(p: np.ndarray, *, estimator: str, threshold: float = 0.5, m: np.ndarray | None = None,
             rectifier: np.ndarray | None = None) -> np.ndarray:
    """Estimated rung prevalence (5 shares) of a set of units from their probabilities.

    ``m`` is the matrix of :func:`confusion` for acc/pacc; ``rectifier`` the mean of
    (one-hot label - probability) on a labelled sample for ppi. For cc the shares leave
    out the uncertain units, so they sum to 1 - uncertain share.
    """
    import numpy as np

    spec = get_estimator(estimator)
    if len(p) == 0:
        return np.full(N_RUNGS, np.nan)
    observed = observed_shares(p, spec.observed, threshold)
    if spec.correction == "rates":
        return adjust(m, observed)
    if spec.correction == "rectifier":
        return np.clip(observed + rectifier, 0.0, 1.0)
    return observed[:N_RUNGS]


def select_estimator(heldout: tuple[np.ndarray, np.ndarray] | None, *, threshold: float = 0.5, rounds: int = 200,
                     seed: int = 13) -> tuple[str, dict[str, float], str]:
    """Pick the estimator with the lowest mean absolute prevalence error on held-out data.

    Each round splits the held-out set in two halves, calibrates on one, and draws a test
    sample from the other with class priors drawn from a flat Dirichlet (the artificial
    prevalence protocol), so the choice rewards robustness to prior shift - the thing
    that differs between municipalities and years. Returns (name, errors, reason).
    """
    import numpy as np

    if heldout is None:
        return "pcc", {}, "no held-out predictions: pcc (mean probability) by default; adjusted estimators need a held-out set"
    y, p = heldout
    present = np.unique(y)
    if len(y) < MIN_HELDOUT_FOR_AUTO or len(present) < 2:
        return "pcc", {}, f"held-out set too small to compare estimators ({len(y)} segments, {len(present)} rungs; need {MIN_HELDOUT_FOR_AUTO}+ and 2+): pcc by default"
    rng = np.random.default_rng(seed)
    errors = {e: 0.0 for e in ESTIMATORS}
    done = 0
    for _ in range(rounds):
        order = rng.permutation(len(y))
        cal, test = order[: len(y) // 2], order[len(y) // 2:]
        test_classes = [c for c in range(N_RUNGS) if (y[test] == c).any()]
        if len(test_classes) < 2:
            continue
        prior = rng.dirichlet(np.ones(len(test_classes)))
        counts = rng.multinomial(len(test), prior)
        idx = np.concatenate([rng.choice(test[y[test] == c], size=k) for c, k in zip(test_classes, counts) if k])
        truth = np.bincount(y[idx], minlength=N_RUNGS) / len(idx)
        mats = {"cc": confusion(y[cal], p[cal], threshold, "cc"), "pcc": confusion(y[cal], p[cal], threshold, "pcc")}
        for e in ESTIMATORS:
            est = quantify(p[idx], estimator=e, threshold=threshold, m=mats[ESTIMATORS_BY_NAME[e].observed])
            errors[e] += float(np.abs(est - truth).mean())
        done += 1
    if not done:
        return "pcc", {}, "held-out set has too few rungs per half to compare estimators: pcc by default"
    errors = {e: v / done for e, v in errors.items()}
    best = min(ESTIMATORS, key=lambda e: (errors[e], ESTIMATORS.index(e)))
    ranking = ", ".join(f"{e} {errors[e]:.4f}" for e in sorted(errors, key=errors.get))
    reason = (f"lowest mean absolute prevalence error on {len(y)} held-out segments over {done} prior-shifted "
              f"resamples (artificial prevalence protocol): {ranking}")
    return best, errors, reason
