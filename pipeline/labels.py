"""Labelled data: read, validate against the codebook, hand out as pandas or datasets.

Every record is checked (unknown actor id, rung out of range, empty text, duplicate id)
and a bad one raises ``LabelFileError`` naming the file and line, so a malformed label
file never trains a model silently.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pipeline import DATA_DIR
from pipeline.codebook import Codebook, load_codebook
from pipeline.errors import InputFileError, LabelFileError
from pipeline.records import LabelRecord

LABELLED_DIR = DATA_DIR / "labelled"
SPLITS = ("train", "dev", "test")


def validate_label(record: dict[str, Any], *, codebook: Codebook, where: str, need_text: bool = True) -> LabelRecord:
    """Return a normalised copy of one label record or raise LabelFileError.

    ``need_text=False`` for uses that compare labels by id only (agreement between annotators).
    """
    path, _, line = where.rpartition(":")

    def bad(detail: str) -> LabelFileError:
        return LabelFileError(path=path or where, line=line or "?", detail=detail)

    rid = record.get("id")
    if rid is None or str(rid).strip() == "":
        raise bad("missing 'id'")
    text = record.get("text")
    if need_text and (not isinstance(text, str) or not text.strip()):
        raise bad(f"record {rid!r} has empty or missing 'text'")
    rung = record.get("rung")
    if isinstance(rung, str) and rung.strip().lstrip("-").isdigit():
        rung = int(rung)
    if isinstance(rung, str) and rung in codebook.rung_ids:
        rung = codebook.rung_ids.index(rung)
    if isinstance(rung, float) and rung.is_integer():
        rung = int(rung)
    if not isinstance(rung, int) or isinstance(rung, bool) or not 0 <= rung <= 4:
        raise bad(f"record {rid!r}: rung {record.get('rung')!r} is not an integer 0-4 (or one of {codebook.rung_ids})")
    actors = record.get("actors") or []
    if isinstance(actors, str):
        actors = json.loads(actors) if actors.strip().startswith("[") else [a.strip() for a in actors.replace(";", ",").split(",") if a.strip()]
    unknown = [a for a in actors if a not in codebook.actor_ids]
    if unknown:
        raise bad(f"record {rid!r}: unknown actor id(s) {unknown}; valid: {codebook.actor_ids}")
    out = dict(record)
    out.update(id=str(rid), text=text, rung=rung, actors=codebook.order_actors(actors))
    if out.get("year") not in (None, ""):
        out["year"] = int(out["year"])
    return out


def load_labels(path: str | Path, *, codebook: Codebook | None = None, need_text: bool = True) -> list[LabelRecord]:
    """Read a JSONL/CSV/Parquet label file, validating every record (``need_text``: see ``validate_label``)."""
    from pipeline.io import iter_batches

    codebook = codebook or load_codebook()
    path = Path(path)
    seen: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    n = 0
    try:
        for batch in iter_batches(path):
            for record in batch:
                n += 1
                rec = validate_label(record, codebook=codebook, where=f"{path}:{n}", need_text=need_text)
                if rec["id"] in seen:
                    raise LabelFileError(path=str(path), line=n, detail=f"duplicate id {rec['id']!r} (first at record {seen[rec['id']]})")
                seen[rec["id"]] = n
                out.append(rec)
    except InputFileError as e:
        raise LabelFileError(path=str(path), line="?", detail=str(e)) from e
    if not out:
        raise LabelFileError(path=str(path), line="?", detail="no label records")
    return out


def load_split(split: str, *, directory: Path | None = None, codebook: Codebook | None = None) -> list[LabelRecord]:
    return load_labels((directory or LABELLED_DIR) / f"{split}.jsonl", codebook=codebook)


def to_pandas(records: list[LabelRecord]):
    import pandas as pd

    return pd.DataFrame.from_records(records)


def to_dataset(records: list[LabelRecord], *, codebook: Codebook | None = None):
    """A ``datasets.Dataset`` with the rung as a ClassLabel and actors as a multi-hot list."""
    import datasets

    codebook = codebook or load_codebook()
    features = datasets.Features({
        "id": datasets.Value("string"),
        "text": datasets.Value("string"),
        "rung": datasets.ClassLabel(names=codebook.rung_ids),
        "actors": datasets.Sequence(datasets.ClassLabel(names=codebook.actor_ids)),
        "municipality": datasets.Value("string"),
        "year": datasets.Value("int32"),
        "genre": datasets.Value("string"),
        "topic": datasets.Value("string"),
    })
    columns = {name: [r.get(name) for r in records] for name in features}
    return datasets.Dataset.from_dict(columns, features=features)


def data_hash(records: list[LabelRecord]) -> str:
    """Content hash of (id, text, rung, actors): which data trained a model."""
    h = hashlib.sha256()
    for r in sorted(records, key=lambda r: r["id"]):
        h.update(json.dumps([r["id"], r["text"], r["rung"], r["actors"]], ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()[:16]


def actor_matrix(records: list[LabelRecord], codebook: Codebook):
    import numpy as np

    ids = codebook.actor_ids
    return np.array([[a in r["actors"] for a in ids] for r in records], dtype=np.int8)
