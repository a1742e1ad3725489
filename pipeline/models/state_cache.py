"""A fast-loading copy of a model's state, kept in the user's cache folder (issue 15: start-up).

Reading ``ladder.skops`` imports skops, which imports every scikit-learn estimator (about two
seconds per process, more than classifying ten thousand segments). After the first
trusted load, the state is written once more as plain arrays (``.npz``, no pickle) plus a
JSON tree, keyed by the sha256 of the model file; later loads read that. Fitted
``LogisticRegression`` objects come back as ``FrozenLogisticRegression``: the same
attributes, and the same ``decision_function`` / ``predict_proba`` / ``predict``
arithmetic in numpy, so scikit-learn is not imported at all. A state holding anything
else (another estimator type, non-string dict keys, object arrays) is simply not cached.

The cache can hold nothing but numbers, strings and arrays, so a tampered cache file
cannot run code; it is only ever used for the model file whose hash names it. The folder is
``pipeline.cache.cache_dir()`` (``SAMSKAB_CACHE_DIR`` moves it; empty turns it off).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from pipeline.cache import cache_dir, write_cached

FORMAT = "state-cache-1"
LR_TYPE = "sklearn.linear_model._logistic.LogisticRegression"


class FrozenLogisticRegression:
    """A fitted logistic regression's predictions in numpy (scikit-learn's arithmetic)."""

    def __init__(self, attrs: dict[str, Any]) -> None:
        self.__dict__.update(attrs)

    def decision_function(self, X: Any) -> np.ndarray:  # noqa: N803 - scikit-learn's name
        coef_t = self.coef_.T if self.coef_.ndim == 2 else self.coef_
        scores = np.asarray(X @ coef_t) + self.intercept_
        return scores.reshape(-1) if scores.ndim > 1 and scores.shape[1] == 1 else scores

    def predict_proba(self, X: Any) -> np.ndarray:  # noqa: N803
        d = self.decision_function(X)
        if self.classes_.size <= 2:
            from scipy.special import expit

            p = expit(d, out=d)
            return np.stack([1 - p, p], axis=1)
        d -= d.max(axis=1).reshape(-1, 1)
        np.exp(d, out=d)
        d /= d.sum(axis=1).reshape(-1, 1)
        return d

    def predict(self, X: Any) -> np.ndarray:  # noqa: N803
        d = self.decision_function(X)
        return self.classes_[(d > 0).astype(int) if d.ndim == 1 else d.argmax(axis=1)]


def _key(digest: str) -> str:
    from importlib.metadata import version

    return f"{digest[:32]}-{FORMAT}-np{np.__version__}-sp{version('scipy')}-sk{version('scikit-learn')}"


def _encode(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    """JSON tree of ``obj`` with arrays set aside; raises TypeError for anything else."""
    if obj is None or isinstance(obj, (bool, int, float, str)) and not isinstance(obj, np.generic):
        return {"t": "v", "v": obj}
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise TypeError("object array")
        name = f"a{len(arrays)}"
        arrays[name] = obj
        return {"t": "array", "k": name}
    if isinstance(obj, np.generic):
        name = f"a{len(arrays)}"
        arrays[name] = np.asarray(obj)
        return {"t": "scalar", "k": name}
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise TypeError("non-string keys")
        return {"t": "dict", "items": [[k, _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"t": type(obj).__name__, "items": [_encode(v, arrays) for v in obj]}
    if f"{type(obj).__module__}.{type(obj).__qualname__}" == LR_TYPE or isinstance(obj, FrozenLogisticRegression):
        return {"t": "lr", "attrs": _encode(dict(vars(obj)), arrays)}
    raise TypeError(type(obj).__name__)


def _decode(node: Any, arrays: Any) -> Any:
    t = node["t"]
    if t == "v":
        return node["v"]
    if t == "array":
        return arrays[node["k"]]
    if t == "scalar":
        return arrays[node["k"]][()]
    if t == "dict":
        return {k: _decode(v, arrays) for k, v in node["items"]}
    if t in ("list", "tuple"):
        items = [_decode(v, arrays) for v in node["items"]]
        return items if t == "list" else tuple(items)
    if t == "lr":
        return FrozenLogisticRegression(_decode(node["attrs"], arrays))
    raise ValueError(f"unknown node {t!r}")


def load_cached(digest: str) -> Any | None:
    """The cached state for a model file with this sha256, or None."""
    folder = cache_dir()
    if folder is None or not digest:
        return None
    path = folder / f"{_key(digest)}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        tree = json.loads(str(arrays.pop("__tree__")))
        return _decode(tree, arrays)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(digest: str, state: Any) -> None:
    """Write the cache for a freshly loaded state (quietly nothing when it cannot be cached or written)."""
    folder = cache_dir()
    if folder is None or not digest:
        return
    arrays: dict[str, np.ndarray] = {}
    try:
        tree = _encode(state, arrays)
    except TypeError:
        return
    arrays["__tree__"] = np.array(json.dumps(tree))
    write_cached(folder / f"{_key(digest)}.npz", lambda tmp: np.savez(tmp, **arrays))
