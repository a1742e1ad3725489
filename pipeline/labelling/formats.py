"""Annotation files out and back in: Label Studio, doccano and CSV (for spreadsheets).

Export turns segments (plus optional model pre-annotations, so annotators correct rather
than start from nothing) into the tool's own format. Import reads what annotators saved,
checks every record against the codebook with ``pipeline.labels.validate_label`` and
returns label records (id, text, rung, actors, annotator, timestamp, source) ready for
``samskab retrain --add``. A bad record raises ``LabelFileError`` naming file and record,
so a typo in a spreadsheet never reaches a model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.codebook import Codebook, load_codebook
from pipeline.errors import DataError, LabelFileError, UnknownNameError
from pipeline.labelling.exports import write_csv, write_doccano, write_labelstudio, display_names
from pipeline.labelling.parsers import normalise_rung, parse_csv, parse_doccano, parse_labelstudio, RawItem, load_users



def check_format(fmt: str) -> AnnotationFormat:
    """The registered format of that name, or UnknownNameError listing the names."""
    if fmt not in FORMATS:
        raise UnknownNameError(kind="annotation format", name=fmt, choices=", ".join(FORMATS))
    return FORMATS[fmt]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


# -- choosing and pre-annotating segments ------------------------------------------------
def read_ids(path: str | Path) -> list[str]:
    """Segment ids of a queue (or any table file with an ``id`` column), in file order."""
    from pipeline.io import read_records

    ids = []
    for n, r in enumerate(read_records(path), 1):
        rid = r.get("id", r.get("segment_id"))
        if rid in (None, ""):
            raise LabelFileError(path=str(path), line=n, detail="record without 'id'")
        ids.append(str(rid))
    return ids


def select_segments(batches: Iterable[list[dict[str, Any]]], *, ids: list[str] | None = None) -> list[dict[str, Any]]:
    """All segments, or those whose id is in ``ids`` in the order of ``ids``."""
    if ids is None:
        return [s for batch in batches for s in batch]
    wanted = set(ids)
    found = {str(s["id"]): s for batch in batches for s in batch if str(s.get("id")) in wanted}
    missing = [i for i in ids if i not in found]
    if missing:
        raise DataError(detail=f"{len(missing)} queued id(s) are not in the input, e.g. {missing[:3]}; "
                               "export from the same corpus the queue was built from")
    return [found[i] for i in dict.fromkeys(ids)]


def pre_annotations(segments: list[dict[str, Any]], *, model=None) -> list[dict[str, Any] | None]:  # noqa: ANN001
    """Model suggestions per segment: {rung, actors, score}; None where there are none.

    With a model, it predicts; without, suggestions already on the records (a queue file
    carries ``pred_rung``/``pred_actors``/``rung_proba``) are reused.
    """
    if model is not None:
        preds = model.predict_records(segments, evidence_k=0)
        return [{"rung": p["rung"], "actors": p["actors"], "score": round(max(p["rung_proba"]), 4)} for p in preds]
    out: list[dict[str, Any] | None] = []
    for s in segments:
        if s.get("pred_rung") is None:
            out.append(None)
            continue
        proba = s.get("rung_proba") or []
        out.append({"rung": int(s["pred_rung"]), "actors": list(s.get("pred_actors") or []),
                    "score": round(max(proba), 4) if proba else None})
    return out


def export_segments(segments: list[dict[str, Any]], out: str | Path, *, fmt: str,
                    predictions: list[dict[str, Any] | None] | None = None, codebook: Codebook | None = None,
                    model_version: str = "samskab") -> list[Path]:
    """Write the annotation file (and its companion config); return the paths written."""
    spec = check_format(fmt)
    return spec.write(segments, predictions, Path(out), codebook or load_codebook(), model_version)


# -- import ------------------------------------------------------------------------------
@dataclass
class ImportResult:
    """Validated labels of one annotation file, plus how many items had no annotation yet."""

    path: Path
    fmt: str
    records: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0


# -- the registry ------------------------------------------------------------------------
@dataclass(frozen=True)
class AnnotationFormat:
    """One annotation tool's files: how segments go out, how labels come back, what to tell the user.

    ``write(segments, predictions, out, codebook, model_version)`` returns the paths written
    (the data file first); ``parse(path, annotator, codebook, users)`` yields raw items (None
    for an item nobody annotated; ``users`` maps the tool's user ids to e-mails, or is None);
    ``next_step`` is formatted with ``data`` and ``companion``.
    """

    write: Callable[[list[dict[str, Any]], list[dict[str, Any] | None] | None, Path, Codebook, str], list[Path]]
    parse: Callable[[Path, str | None, Codebook, dict[str, str] | None], Iterator[RawItem | None]]
    next_step: str | None = None


#: name -> format, like the model backends. A new tool: a writer and a parser above, an entry here.
FORMATS: dict[str, AnnotationFormat] = {
    "labelstudio": AnnotationFormat(
        write_labelstudio, lambda path, annotator, codebook, users: parse_labelstudio(
            path, annotator=annotator, names=display_names(codebook), users=users),
        "Label Studio: paste {companion} into Settings -> Labeling Interface, then import {data}"),
    "doccano": AnnotationFormat(
        write_doccano, lambda path, annotator, codebook, users: parse_doccano(path, annotator=annotator, codebook=codebook),
        "doccano: create a text classification project, import the label types {companion}, then the data {data}"),
    "csv": AnnotationFormat(write_csv, lambda path, annotator, codebook, users: parse_csv(
        path, annotator=annotator, names=display_names(codebook), users=users)),
}


def import_labels(path: str | Path, *, fmt: str, annotator: str | None = None, only_annotator: str | None = None,
                  codebook: Codebook | None = None, now: str | None = None, users: dict[str, str] | None = None) -> ImportResult:
    """Read an annotated file back into validated label records.

    Items nobody annotated yet are skipped and counted. The same id twice with the same
    labels is kept once (the latest); with different labels it is an error, since a label
    file holds one truth per segment (import one annotator at a time with
    ``only_annotator`` to compare annotators). Label Studio files may be JSON, JSON-MIN or
    CSV/TSV exports; ``users`` (Label Studio user id -> e-mail) names annotators that the
    file gives only as numeric ids.
    """
    from pipeline.labels import validate_label

    spec = check_format(fmt)
    codebook = codebook or load_codebook()
    path = Path(path)
    if not path.is_file():
        raise LabelFileError(path=str(path), line="?", detail="file not found")
    now = now or _now()
    items = spec.parse(path, annotator, codebook, users)
    result = ImportResult(path=path, fmt=fmt)
    kept: dict[str, tuple[str, dict[str, Any]]] = {}
    for raw in items:
        if raw is None:
            result.skipped += 1
            continue
        if only_annotator is not None and raw.record.get("annotator") != only_annotator and only_annotator not in raw.who:
            continue
        normalise_rung(raw)
        rec = validate_label(raw.record, codebook=codebook, where=raw.where)
        rec["annotator"] = rec.get("annotator") or "unknown"
        rec["timestamp"] = str(rec.get("timestamp") or now)
        rec["source"] = f"{fmt}:{path.name}"
        previous = kept.get(rec["id"])
        if previous is not None:
            where, old = previous
            if (old["rung"], old["actors"]) != (rec["rung"], rec["actors"]):
                p, _, line = raw.where.rpartition(":")
                raise LabelFileError(path=p, line=line, detail=(
                    f"id {rec['id']!r} is labelled again with different labels: rung {rec['rung']} {rec['actors']} "
                    f"(annotator {rec['annotator']}) vs rung {old['rung']} {old['actors']} (annotator {old['annotator']}, "
                    f"{where.rpartition(':')[2]}); settle it in the file, or import one annotator at a time with --only-annotator"))
            if rec["timestamp"] < old["timestamp"]:
                continue
        kept[rec["id"]] = (raw.where, rec)
    result.records = [rec for _, rec in kept.values()]
    return result


# -- whole steps (what the CLI calls) ----------------------------------------------------
def export_for_annotation(input_path: str | Path | None, out: str | Path, *, fmt: str, db: str | Path | None = None,
                          model_dir: str | Path | None = None, ids_path: str | Path | None = None,
                          rules: bool = False) -> tuple[list[Path], int]:
    """Read segments (file, folder or store), pre-annotate, write the annotation file(s).

    Pre-annotations come from ``model_dir``, else from the rule labeller when ``rules``,
    else from suggestions already on the records (a queue file). Returns (paths, n tasks).
    """
    from pipeline.sources import open_source

    check_format(fmt)
    codebook = load_codebook()
    if input_path is None and db is None and ids_path is not None:
        input_path = ids_path  # a queue file carries the texts itself
    ids = read_ids(ids_path) if ids_path is not None else None
    segments = select_segments(open_source(input_path, db=db).batches(), ids=ids)
    if not segments:
        raise DataError(detail="no segments to export")
    model_version = "samskab"
    if model_dir is not None:
        from pipeline.models import load_model

        model = load_model(model_dir)
        predictions = pre_annotations(segments, model=model)
        model_version = f"samskab:{model.name}"
    elif rules:
        from pipeline.rules import RuleLabeller

        predictions = [{"rung": r["rung"], "actors": r["actors"], "score": None} for r in RuleLabeller().label_records(segments)]
        model_version = "samskab:rules"
    else:
        suggested = segments
        if ids_path is not None:  # a queue file carries the model's suggestions beside the ids
            from pipeline.io import read_records

            queued = {str(r.get("id", r.get("segment_id"))): r for r in read_records(ids_path)}
            suggested = [{**{k: v for k, v in queued.get(str(s["id"]), {}).items() if k in ("pred_rung", "pred_actors", "rung_proba")},
                          **s} for s in segments]
        predictions = pre_annotations(suggested)
    return export_segments(segments, out, fmt=fmt, predictions=predictions, codebook=codebook, model_version=model_version), len(segments)


def import_to_labels(path: str | Path, out: str | Path, *, fmt: str, db: str | Path | None = None, annotator: str | None = None,
                     only_annotator: str | None = None, users: str | Path | None = None) -> ImportResult:
    """Import an annotated file, write the label file ``out`` and, with ``db``, store the labels."""
    from pipeline.io import RecordWriter

    codebook = load_codebook()
    result = import_labels(path, fmt=fmt, annotator=annotator, only_annotator=only_annotator, codebook=codebook,
                           users=load_users(users) if users is not None else None)
    if not result.records:
        raise LabelFileError(path=str(path), line="?", detail=f"no annotated records ({result.skipped} item(s) without annotation)")
    with RecordWriter(out) as writer:
        writer.write(result.records)
    if db is not None:
        from pipeline.store import CorpusStore

        with CorpusStore(db) as store:
            store.write_labels(result.records, codebook_hash=codebook.hash)
    return result
