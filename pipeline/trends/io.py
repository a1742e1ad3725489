"""Reading predictions, held-out sets, calibration labels and model figures; writing tables."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import DataError, LabelFileError, ModelError, StoreError
from pipeline.records import PredictionRecord
from pipeline.trends.quantify import N_RUNGS, normalise

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

HELDOUT_FILE = "heldout_predictions.jsonl"


def load_predictions(path: str | Path | None = None, *, db: str | Path | None = None, run_id: str | None = None) -> list[PredictionRecord]:
    """Prediction records from a table file, or from the corpus store with ``db``."""
    if db is not None:
        try:
            from pipeline.store import CorpusStore
        except ImportError as e:
            raise StoreError(path=str(db), detail=f"the corpus store is not available in this installation ({e})") from e
        with CorpusStore(db, read_only=True) as store:
            records = list(store.read_predictions(run_id=run_id))
        for r in records:  # the store names the segment id segment_id
            if r.get("id") is None and r.get("segment_id") is not None:
                r["id"] = r["segment_id"]
        return records
    if path is None:
        raise DataError(detail="give a predictions file (e.g. predictions.jsonl) or --db PATH")
    from pipeline.io import read_records

    return read_records(path)


def load_heldout(source: str | Path | Iterable[Mapping[str, Any]] | None) -> tuple[np.ndarray, np.ndarray] | None:
    """(true rungs, probability matrix) of a model's held-out predictions, or None if absent.

    ``source`` is a model folder, the ``heldout_predictions.jsonl`` file, or its records.
    """
    import numpy as np

    if source is None:
        return None
    where = "held-out records"
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            path = path / HELDOUT_FILE
        if not path.is_file():
            return None
        where = str(path)
        from pipeline.io import read_records

        source = read_records(path)
    ys: list[int] = []
    ps: list[list[float]] = []
    for n, r in enumerate(source, 1):
        try:
            y = int(r["rung_true"])
            p = [float(v) for v in r["rung_proba"]]
        except (KeyError, TypeError, ValueError) as e:
            raise ModelError(path=where, detail=f"record {n}: needs rung_true (0-4) and rung_proba (5 floats) ({e!r})") from e
        if not 0 <= y < N_RUNGS or len(p) != N_RUNGS:
            raise ModelError(path=where, detail=f"record {n}: rung_true={y!r}, {len(p)} probabilities; expected 0-4 and 5")
        ys.append(y)
        ps.append(p)
    if not ys:
        return None
    return np.asarray(ys, dtype=int), normalise(np.asarray(ps, dtype=float))


def load_calibration(source: str | Path | Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Labelled calibration records (``id``, ``rung``; jsonl/csv/parquet) as {id: rung}.

    A record without an id or with a rung outside 0-4 stops with the file and record
    number; one id labelled twice with different rungs too (which label would be true?).
    """
    where = "calibration records"
    if isinstance(source, (str, Path)):
        where = str(source)
        if not Path(source).is_file():
            raise DataError(detail=f"{where}: calibration file not found; label a sample with `samskab label sample`, "
                                   "then `samskab label export` / `label import`")
        from pipeline.io import read_records

        source = read_records(source)
    labels: dict[str, int] = {}
    for n, r in enumerate(source, 1):
        rid, rung = r.get("id"), r.get("rung")
        try:
            rung = int(rung)
        except (TypeError, ValueError):
            rung = -1
        if rid in (None, "") or not 0 <= rung < N_RUNGS:
            raise LabelFileError(path=where, line=n, detail=f"needs an id and a rung 0-4, got id={rid!r} rung={r.get('rung')!r}")
        rid = str(rid)
        if labels.get(rid, rung) != rung:
            raise LabelFileError(path=where, line=n, detail=f"id {rid!r} is labelled both {labels[rid]} and {rung}")
        labels[rid] = rung
    if not labels:
        raise DataError(detail=f"{where}: no labelled records")
    return labels


def load_sample_weights(source: str | Path | Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """{id: sample_weight} from a `samskab label sample` file (segments each labelled item stands for)."""
    where = str(source) if isinstance(source, (str, Path)) else "sample records"
    if isinstance(source, (str, Path)):
        from pipeline.io import read_records

        source = read_records(source)
    weights: dict[str, float] = {}
    for n, r in enumerate(source, 1):
        try:
            w = float(r["sample_weight"])
        except (KeyError, TypeError, ValueError):
            raise LabelFileError(path=where, line=n, detail="needs sample_weight (write the file with `samskab label sample`)") from None
        if not w > 0:
            raise LabelFileError(path=where, line=n, detail=f"sample_weight must be positive, got {w}")
        weights[str(r.get("id"))] = w
    return weights


def _find_real_text(metrics: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    """A real-text evaluation: an entry flagged ``real_text`` (``samskab train --real``), else one named *real*."""
    entries = [(str(k), v) for k, v in metrics.items() if isinstance(v, Mapping)]
    flagged = [(k, v) for k, v in entries if v.get("real_text")]
    named = [(k, v) for k, v in entries if "real" in k.lower()]
    return (flagged or named or [None])[0]


def model_real_text_figures(model_dir: str | Path | None) -> str:
    """The model's measured accuracy on real (not written) text, from its metadata, or 'unknown'."""
    if model_dir is None:
        return "unknown (no model folder)"
    found = None
    for name in ("metrics.json", "model.json"):
        path = Path(model_dir) / name
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        found = _find_real_text(data) or (_find_real_text(data["metrics"]) if isinstance(data.get("metrics"), Mapping) else None)
        if found:
            break
    if not found:
        return "unknown (the model's metadata has no real-text evaluation)"
    key, figures = found
    parts = [f"{name} {float(figures[name]):.2f}" for name in ("rung_accuracy", "rung_macro_f1", "rung_mae")
             if isinstance(figures.get(name), (int, float))]
    n = figures.get("n")
    return f"{key}: " + (", ".join(parts) or "no rung figures") + (f" (n={n})" if n else "")


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a trend table by extension (.csv, .parquet, .xlsx), atomically.

    The ``.attrs`` (estimator and why, warnings) go to an ``about`` sheet in .xlsx and to
    a ``PATH.json`` sidecar for .csv/.parquet, so the choice is never separated from the numbers.
    """
    from pipeline.io import atomic_path, atomic_write_text

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".xlsx"):
        raise DataError(detail=f"{path}: unsupported output type '{suffix}'; use .csv, .parquet or .xlsx")
    about = json.loads(json.dumps(table.attrs, default=str))
    plain = table.copy()
    plain.attrs = {}
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            plain.to_csv(tmp, index=False, encoding="utf-8")
        elif suffix == ".parquet":
            plain.to_parquet(tmp, index=False)
        else:
            import pandas as pd

            meta = pd.DataFrame({"key": list(about), "value": [json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v for v in about.values()]})
            with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
                plain.to_excel(xl, sheet_name="trends", index=False)
                meta.to_excel(xl, sheet_name="about", index=False)
    if suffix != ".xlsx":
        atomic_write_text(path.with_name(path.name + ".json"), json.dumps(about, ensure_ascii=False, indent=2))
    return path
