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
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.codebook import Codebook, load_codebook
from pipeline.errors import DataError, LabelFileError, UnknownNameError

#: Segment fields copied into the annotation files (shown to annotators, kept on import).
META_FIELDS = ("municipality", "doc_id", "year", "date", "doc_type", "section")
CSV_COLUMNS = ("id", "text", "municipality", "pred_rung", "pred_actors", "rung", "actors", "annotator", "note")
RUNG_PREFIX, ACTOR_PREFIX = "rung:", "actor:"


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


# -- export: compute ---------------------------------------------------------------------
def _meta(segment: dict[str, Any]) -> dict[str, Any]:
    return {k: segment[k] for k in META_FIELDS if segment.get(k) not in (None, "")}


def to_labelstudio(segments: list[dict[str, Any]], predictions: list[dict[str, Any] | None] | None = None, *,
                   codebook: Codebook, model_version: str = "samskab") -> list[dict[str, Any]]:
    """Label Studio tasks; predictions become ``predictions`` (pre-filled choices)."""
    predictions = predictions or [None] * len(segments)
    tasks = []
    for n, (seg, pred) in enumerate(zip(segments, predictions, strict=True), 1):
        task: dict[str, Any] = {"id": n, "data": {"text": seg["text"], "segment_id": str(seg["id"]), **_meta(seg)}}
        if pred is not None:
            result = [{"from_name": "rung", "to_name": "text", "type": "choices",
                       "value": {"choices": [codebook.rung_label(pred["rung"])]}}]
            if pred["actors"]:
                result.append({"from_name": "actors", "to_name": "text", "type": "choices",
                               "value": {"choices": codebook.order_actors(pred["actors"])}})
            task["predictions"] = [{"model_version": model_version, "score": pred.get("score"), "result": result}]
        tasks.append(task)
    return tasks


def rung_display(rung) -> str:  # noqa: ANN001 - a codebook Rung
    """What annotators see for a rung in Label Studio: its code and Danish name."""
    return f"{rung.code} · {rung.name_da}"


def display_names(codebook: Codebook) -> dict[str, str]:
    """Shown Danish choice name -> codebook id (rungs and actors), to read back files that carry the shown names."""
    names = {rung_display(r): r.id for r in codebook.rungs} | {r.name_da: r.id for r in codebook.rungs}
    return names | {a.name_da: a.id for a in codebook.actors}


def labelstudio_config(codebook: Codebook) -> str:
    """The labelling interface matching ``to_labelstudio``: one rung, any number of actors.

    Annotators see the Danish names (rung code and ``name_da``, the Danish definition as
    the hover hint; actor ``name_da``); the codebook id is the choice's ``alias``, which
    Label Studio stores in the annotation instead of the shown name.
    """
    from xml.sax.saxutils import quoteattr

    rungs = "\n".join(f"    <Choice value={quoteattr(rung_display(r))} alias={quoteattr(r.id)} hint={quoteattr(' '.join(r.definition_da.split()))}/>"
                      for r in codebook.rungs)
    actors = "\n".join(f"    <Choice value={quoteattr(a.name_da)} alias={quoteattr(a.id)}/>" for a in codebook.actors)
    return (
        "<View>\n"
        '  <Header value="$municipality"/>\n'
        '  <Text name="text" value="$text"/>\n'
        '  <Header value="Trin på samskabelsesstigen (rung)"/>\n'
        '  <Choices name="rung" toName="text" choice="single" showInline="false" required="true">\n'
        f"{rungs}\n"
        "  </Choices>\n"
        '  <Header value="Aktører (actors)"/>\n'
        '  <Choices name="actors" toName="text" choice="multiple" showInline="true">\n'
        f"{actors}\n"
        "  </Choices>\n"
        '  <TextArea name="note" toName="text" placeholder="Note (optional)" rows="2" maxSubmissions="1"/>\n'
        "</View>\n"
    )


def to_doccano(segments: list[dict[str, Any]], predictions: list[dict[str, Any] | None] | None = None, *,
               codebook: Codebook) -> list[dict[str, Any]]:
    """doccano text classification JSONL; pre-annotations go in ``label`` (``rung:ID``, ``actor:ID``)."""
    predictions = predictions or [None] * len(segments)
    out = []
    for seg, pred in zip(segments, predictions, strict=True):
        labels = []
        if pred is not None:
            labels = [RUNG_PREFIX + codebook.rung_label(pred["rung"])]
            labels += [ACTOR_PREFIX + a for a in codebook.order_actors(pred["actors"])]
        out.append({"segment_id": str(seg["id"]), "text": seg["text"], "label": labels, **_meta(seg)})
    return out


def doccano_label_types(codebook: Codebook) -> list[dict[str, Any]]:
    """Label types to import into the doccano project (Labels -> Import) before the data."""
    colours = ("#9e9e9e", "#8bc34a", "#4caf50", "#ff9800", "#f44336")
    types = [{"text": RUNG_PREFIX + r.id, "background_color": colours[r.code], "text_color": "#ffffff",
              "suffix_key": str(r.code)} for r in codebook.rungs]
    types += [{"text": ACTOR_PREFIX + a.id, "background_color": "#2196f3", "text_color": "#ffffff", "suffix_key": None}
              for a in codebook.actors]
    return types


def to_csv_rows(segments: list[dict[str, Any]], predictions: list[dict[str, Any] | None] | None = None, *,
                codebook: Codebook) -> list[dict[str, Any]]:
    """One spreadsheet row per segment: suggestions in pred_*, empty rung/actors to fill."""
    predictions = predictions or [None] * len(segments)
    rows = []
    for seg, pred in zip(segments, predictions, strict=True):
        rows.append({"id": str(seg["id"]), "text": seg["text"], "municipality": seg.get("municipality") or "",
                     "pred_rung": codebook.rung_label(pred["rung"]) if pred else "",
                     "pred_actors": ";".join(codebook.order_actors(pred["actors"])) if pred else "",
                     "rung": "", "actors": "", "annotator": "", "note": ""})
    return rows


# -- export: write -----------------------------------------------------------------------
def export_segments(segments: list[dict[str, Any]], out: str | Path, *, fmt: str,
                    predictions: list[dict[str, Any] | None] | None = None, codebook: Codebook | None = None,
                    model_version: str = "samskab") -> list[Path]:
    """Write the annotation file (and its companion config); return the paths written."""
    spec = check_format(fmt)
    return spec.write(segments, predictions, Path(out), codebook or load_codebook(), model_version)


def _write_labelstudio(segments: list[dict[str, Any]], predictions: list[dict[str, Any] | None] | None, out: Path,
                       codebook: Codebook, model_version: str) -> list[Path]:
    from pipeline.io import atomic_write_text

    tasks = to_labelstudio(segments, predictions, codebook=codebook, model_version=model_version)
    atomic_write_text(out, json.dumps(tasks, ensure_ascii=False, indent=1))
    config = out.with_suffix(".xml")
    atomic_write_text(config, labelstudio_config(codebook))
    return [out, config]


def _write_doccano(segments: list[dict[str, Any]], predictions: list[dict[str, Any] | None] | None, out: Path,
                   codebook: Codebook, model_version: str) -> list[Path]:  # noqa: ARG001 - doccano has no model field
    from pipeline.io import atomic_write_text

    rows = to_doccano(segments, predictions, codebook=codebook)
    atomic_write_text(out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    types = out.with_name(out.stem + ".labels.json")
    atomic_write_text(types, json.dumps(doccano_label_types(codebook), ensure_ascii=False, indent=1))
    return [out, types]


def _write_csv(segments: list[dict[str, Any]], predictions: list[dict[str, Any] | None] | None, out: Path,
               codebook: Codebook, model_version: str) -> list[Path]:  # noqa: ARG001 - a spreadsheet has no model field
    import csv

    from pipeline.io import atomic_path

    rows = to_csv_rows(segments, predictions, codebook=codebook)
    with atomic_path(out) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:  # BOM: Excel reads æøå
        writer = csv.DictWriter(fh, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return [out]


# -- import ------------------------------------------------------------------------------
@dataclass
class ImportResult:
    """Validated labels of one annotation file, plus how many items had no annotation yet."""

    path: Path
    fmt: str
    records: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0


@dataclass
class _Raw:
    where: str  # "file:record" for error messages
    record: dict[str, Any]
    who: frozenset[str] = frozenset()  # every identifier of the annotator (user id, e-mail), for --only-annotator


def _annotator(value: Any, users: dict[str, str] | None = None, *, username: Any = None) -> tuple[str | None, frozenset[str]]:
    """Who annotated, as (name, every identifier seen): Label Studio writes ``completed_by`` as a
    user id or an object with email/username; ``created_username`` is "email, id"; a numeric
    id is looked up in ``users`` (id -> e-mail or username) when the export's user list is known."""
    ids: set[str] = set()
    name = None
    if isinstance(value, dict):
        ids |= {str(value[k]) for k in ("id", "email", "username") if value.get(k) not in (None, "")}
        name = value.get("email") or value.get("username")
        value = value.get("id")
    if value not in (None, ""):
        ids.add(str(value))
        name = name or (users or {}).get(str(value))
    if not name and isinstance(username, str) and username.strip(" ,"):
        given = username.strip().rpartition(",")[0].strip() if "," in username else username.strip()
        name = given or None
    if name:
        ids.add(name)
    name = name or (str(value) if value not in (None, "") else None)
    return name, frozenset(ids)


def load_users(path: str | Path) -> dict[str, str]:
    """Label Studio users (``GET /api/users`` or the organisation's member list saved as JSON):
    id -> e-mail (or username). A list of users, or an object with a ``users``/``results`` list."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, json.JSONDecodeError) as e:
        raise LabelFileError(path=str(path), line=getattr(e, "lineno", "?"),
                             detail=f"cannot read the user list ({e}); save Label Studio's /api/users answer as JSON") from e
    return _users_from(data, path)


def _users_from(data: Any, path: Path) -> dict[str, str]:
    if isinstance(data, dict):
        data = data.get("users", data.get("results"))
    if not isinstance(data, list):
        raise LabelFileError(path=str(path), line="?", detail="expected a list of users with id and email or username")
    users = {}
    for n, u in enumerate(data, 1):
        u = u.get("user", u) if isinstance(u, dict) else u  # organisation member lists wrap the user
        if not isinstance(u, dict) or u.get("id") in (None, "") or not (u.get("email") or u.get("username")):
            raise LabelFileError(path=str(path), line=f"user {n}", detail="a user needs 'id' and 'email' or 'username'")
        users[str(u["id"])] = str(u.get("email") or u.get("username"))
    return users


def _ids(choices: Any, names: dict[str, str]) -> Any:
    """Choices as codebook ids: shown Danish names (a config without aliases) are mapped back."""
    if isinstance(choices, str):
        return names.get(choices.strip(), choices)
    if isinstance(choices, list):
        return [names.get(c.strip(), c) if isinstance(c, str) else c for c in choices]
    return choices


def _shape_error(where: str, what: str, expected: str, value: Any) -> LabelFileError:
    path, _, task = where.rpartition(":")
    return LabelFileError(path=path, line=task, detail=(
        f"{what} must be {expected}, not {type(value).__name__} ({json.dumps(value, ensure_ascii=False, default=str)[:60]}); "
        "export from Label Studio as JSON (or JSON-MIN) and import that file unchanged"))


def _choices(result: list[dict[str, Any]], name: str, *, where: str = "?:?") -> list[str] | None:
    if not isinstance(result, list):
        raise _shape_error(where, "an annotation's 'result'", "a list of objects", result)
    for item in result:
        if not isinstance(item, dict):
            raise _shape_error(where, "each item of an annotation's 'result'", "an object", item)
        if item.get("from_name") == name:
            value = item.get("value") or {}
            if not isinstance(value, dict):
                raise _shape_error(where, f"the 'value' of {name!r}", "an object", value)
            if "choices" in value:
                return list(value["choices"])
            if "text" in value:
                return [" ".join(value["text"]) if isinstance(value["text"], list) else str(value["text"])]
    return None


def _parse_labelstudio(path: Path, *, annotator: str | None, names: dict[str, str],
                       users: dict[str, str] | None = None) -> Iterator[_Raw | None]:
    """Full JSON export (tasks with ``annotations``) or JSON-MIN (flat rows); None = unannotated.

    The file may also be an object {"tasks": [...], "users": [...]}; its users name the annotators.
    """
    if _looks_like_csv(path):
        yield from _parse_labelstudio_csv(path, annotator=annotator, names=names, users=users)
        return
    try:
        tasks = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as e:
        raise LabelFileError(path=str(path), line=e.lineno, detail=f"not valid JSON ({e.msg}); export from Label Studio "
                                                                   "as JSON, JSON-MIN or CSV") from e
    if isinstance(tasks, dict) and isinstance(tasks.get("tasks"), list):
        if tasks.get("users") is not None:
            users = {**_users_from(tasks["users"], path), **(users or {})}
        tasks = tasks["tasks"]
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise LabelFileError(path=str(path), line="?", detail="expected a JSON list of Label Studio tasks")
    for n, task in enumerate(tasks, 1):
        where = f"{path}:task {n}"
        if not isinstance(task, dict):
            raise LabelFileError(path=str(path), line=f"task {n}", detail="a task must be a JSON object")
        if "data" not in task:  # JSON-MIN: the data fields and the choices side by side
            if task.get("rung") is None and not task.get("actors"):
                yield None
                continue
            rung = task.get("rung")
            rung = rung.get("choices") if isinstance(rung, dict) else rung
            actors = task.get("actors")
            actors = actors.get("choices") if isinstance(actors, dict) else actors
            name, who = _annotator(task.get("annotator"), users)
            yield _Raw(where, {"id": task.get("segment_id"), "text": task.get("text"), "rung": _ids(rung, names),
                               "actors": _ids([actors] if isinstance(actors, str) else (actors or []), names),
                               "annotator": name or annotator,
                               "timestamp": task.get("updated_at") or task.get("created_at"),
                               **{k: task[k] for k in META_FIELDS if task.get(k) not in (None, "")}}, who)
            continue
        data = task.get("data") or {}
        if not isinstance(data, dict):
            raise _shape_error(where, "'data'", "an object with 'text' and 'segment_id'", data)
        given = task.get("annotations") or task.get("completions") or []
        if not isinstance(given, list):
            raise _shape_error(where, "'annotations'", "a list of annotation objects", given)
        for a in given:
            if not isinstance(a, dict):
                raise _shape_error(where, "each annotation", "an object with a 'result' list", a)
        annotations = [a for a in given if not a.get("was_cancelled") and a.get("result")]
        if not annotations:
            yield None
            continue
        for a in annotations:
            rung = _choices(a["result"], "rung", where=where)
            note = _choices(a["result"], "note", where=where)
            name, who = _annotator(a.get("completed_by"), users, username=a.get("created_username"))
            yield _Raw(where, {"id": data.get("segment_id"), "text": data.get("text"), "rung": _ids(rung, names),
                               "actors": _ids(_choices(a["result"], "actors", where=where) or [], names),
                               "annotator": name or annotator,
                               "timestamp": a.get("updated_at") or a.get("created_at"),
                               **({"note": note[0]} if note else {}),
                               **{k: data[k] for k in META_FIELDS if data.get(k) not in (None, "")}}, who)


def _looks_like_csv(path: Path) -> bool:
    """Label Studio's CSV/TSV export rather than JSON: by suffix, else by the first character."""
    if path.suffix.lower() in (".csv", ".tsv"):
        return True
    if path.suffix.lower() == ".json":
        return False
    with path.open("rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return bool(head) and head[:1] not in (b"[", b"{")


def _ls_cell(value: str, *, column: str, where: str) -> Any:
    """A Label Studio CSV cell: a plain string (one choice, or text) or JSON such as
    '{"choices": ["citizens", "businesses"]}', '["a", "b"]' or '{"text": ["..."]}'."""
    value = value.strip()
    if not value or value[0] not in "[{":
        return value or None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as e:
        path, _, line = where.rpartition(":")
        raise LabelFileError(path=path, line=line, detail=f"column {column!r} holds {value[:60]!r}, which is neither a plain "
                                                          f"label nor valid JSON ({e.msg})") from e
    if isinstance(parsed, dict):
        parsed = parsed.get("choices", parsed.get("text", parsed.get("labels")))
    return parsed


def _parse_labelstudio_csv(path: Path, *, annotator: str | None, names: dict[str, str],
                           users: dict[str, str] | None = None) -> Iterator[_Raw | None]:
    """Label Studio's CSV (or TSV) export: the task's data columns (text, segment_id, ...), its ``id``
    (Label Studio's task id, not the segment id), annotator, annotation_id, created_at,
    updated_at, lead_time, and one column per control (rung, actors, note)."""
    import csv
    import io

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise LabelFileError(path=str(path), line="?", detail=f"not UTF-8 ({e.reason} at byte {e.start}); "
                                                              "export again from Label Studio (it writes UTF-8)") from e
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        columns = set(reader.fieldnames or [])
    except csv.Error as e:
        raise LabelFileError(path=str(path), line=1, detail=f"cannot parse the CSV header ({e})") from e
    if "rung" not in columns or not columns & {"segment_id", "id"}:
        raise LabelFileError(path=str(path), line=1, detail=(
            f"not a Label Studio CSV export of `samskab label export` tasks: the header needs 'segment_id' (or 'id') and "
            f"'rung' columns; found {sorted(columns)}. A filled-in `--format csv` sheet is imported with --format csv"))
    id_column = "segment_id" if "segment_id" in columns else "id"
    end = reader.line_num  # the header's last line
    try:
        for row in reader:
            where, end = f"{path}:{end + 1}", reader.line_num  # the line the record starts on (texts span lines)
            rung = _ls_cell(row.get("rung") or "", column="rung", where=where)
            actors = _ls_cell(row.get("actors") or "", column="actors", where=where)
            if rung in (None, []) and not actors:
                yield None
                continue
            note = _ls_cell(row.get("note") or "", column="note", where=where)
            if isinstance(note, list):
                note = " ".join(map(str, note))
            name, who = _annotator((row.get("annotator") or "").strip() or None, users)
            rung = _ids(rung, names)
            yield _Raw(where, {"id": (row.get(id_column) or "").strip() or None, "text": row.get("text"),
                               "rung": _rung_cell(rung) if isinstance(rung, str) else rung,
                               "actors": _ids([actors] if isinstance(actors, str) else (actors or []), names),
                               "annotator": name or annotator,
                               "timestamp": (row.get("updated_at") or row.get("created_at") or "").strip() or None,
                               **({"note": note} if note else {}),
                               **{k: row[k].strip() for k in META_FIELDS if (row.get(k) or "").strip()}}, who)
    except csv.Error as e:
        raise LabelFileError(path=str(path), line=end + 1, detail=(
            f"cannot parse the CSV from this line on ({e}); is a quote (\") left open? Export again from Label Studio")) from e


def _split_doccano(labels: list[Any], *, where: str, codebook: Codebook) -> tuple[list[str], list[str]]:
    path, _, line = where.rpartition(":")
    rungs, actors = [], []
    for label in labels:
        text = str(label[-1] if isinstance(label, list) else label).strip()  # span exports: [start, end, label]
        if text.startswith(RUNG_PREFIX) or text in codebook.rung_ids:
            rungs.append(text.removeprefix(RUNG_PREFIX))
        elif text.startswith(ACTOR_PREFIX) or text in codebook.actor_ids:
            actors.append(text.removeprefix(ACTOR_PREFIX))
        else:
            valid = [RUNG_PREFIX + r for r in codebook.rung_ids] + [ACTOR_PREFIX + a for a in codebook.actor_ids]
            raise LabelFileError(path=path, line=line, detail=f"unknown label {text!r}; valid: {valid}")
    return rungs, actors


def _parse_doccano(path: Path, *, annotator: str | None, codebook: Codebook) -> Iterator[_Raw | None]:
    from pipeline.errors import InputFileError
    from pipeline.io import iter_batches

    n = 0
    try:
        for batch in iter_batches(path):
            for rec in batch:
                n += 1
                where = f"{path}:{n}"
                labels = rec.get("label", rec.get("labels")) or []
                rungs, actors = _split_doccano(labels, where=where, codebook=codebook)
                if not rungs and not actors:
                    yield None
                    continue
                yield _Raw(where, {"id": rec.get("segment_id", rec.get("id")), "text": rec.get("text"),
                                   "rung": rungs, "actors": actors,
                                   "annotator": _annotator(rec.get("annotator") or rec.get("user"))[0] or annotator,
                                   "timestamp": rec.get("timestamp") or rec.get("updated_at") or rec.get("created_at"),
                                   **{k: rec[k] for k in META_FIELDS if rec.get(k) not in (None, "")}})
    except InputFileError as e:
        raise LabelFileError(path=str(path), line=n + 1, detail=str(e)) from e


def _rung_cell(value: str) -> Any:
    """Spreadsheet rungs: '3', '3.0', 'co_initiation_dialogue' or '3 co_initiation_dialogue'."""
    value = value.strip()
    m = re.match(r"^(\d+)(?:\.0)?(?:\s*[-:–]?\s+\S.*)?$", value)
    return int(m.group(1)) if m else value


def _parse_csv(path: Path, *, annotator: str | None, names: dict[str, str],
               users: dict[str, str] | None = None) -> Iterator[_Raw | None]:
    """Comma or semicolon (Danish Excel) separated, UTF-8 (with or without BOM) or cp1252.

    A Label Studio CSV export given as ``--format csv`` is read as Label Studio's (its ``id``
    is the task id, the segment id is in ``segment_id``)."""
    import csv
    import io

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        columns = set(reader.fieldnames or [])
    except csv.Error as e:
        raise LabelFileError(path=str(path), line=1, detail=f"cannot parse the CSV header ({e})") from e
    if not columns & {"id", "segment_id"} or "rung" not in columns:
        raise LabelFileError(path=str(path), line=1, detail=f"the header needs 'id' and 'rung' columns; found {sorted(columns)}")
    if {"segment_id", "annotation_id"} <= columns:
        yield from _parse_labelstudio_csv(path, annotator=annotator, names=names, users=users)
        return
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:  # an unterminated quote would otherwise swallow the rest of the file
            raise LabelFileError(path=str(path), line=start, detail=(
                f"cannot parse the CSV from this line on ({e}); is a quote (\") left open? Save the sheet again as CSV")) from e
        start = reader.line_num + 1
        text = row.get("text")
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        row["text"] = text  # the segment text exactly as exported
        where = f"{path}:{reader.line_num}"
        if not row.get("rung") and not row.get("actors"):
            yield None
            continue
        yield _Raw(where, {"id": row.get("id") or row.get("segment_id"), "text": row.get("text"),
                           "rung": _rung_cell(row["rung"]) if row.get("rung") else None, "actors": row.get("actors") or [],
                           "annotator": row.get("annotator") or annotator, "timestamp": row.get("timestamp") or None,
                           **({"note": row["note"]} if row.get("note") else {}),
                           **{k: row[k] for k in META_FIELDS if row.get(k)}})


def _normalise_rung(raw: _Raw) -> None:
    """Choice lists (Label Studio, doccano) must hold exactly one rung."""
    rung = raw.record.get("rung")
    if isinstance(rung, list):
        path, _, line = raw.where.rpartition(":")
        if len(rung) != 1:
            raise LabelFileError(path=path, line=line, detail=f"record {raw.record.get('id')!r} has {len(rung)} rung labels "
                                                             f"{rung}; exactly one is needed")
        raw.record["rung"] = rung[0]


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
    parse: Callable[[Path, str | None, Codebook, dict[str, str] | None], Iterator[_Raw | None]]
    next_step: str | None = None


#: name -> format, like the model backends. A new tool: a writer and a parser above, an entry here.
FORMATS: dict[str, AnnotationFormat] = {
    "labelstudio": AnnotationFormat(
        _write_labelstudio, lambda path, annotator, codebook, users: _parse_labelstudio(
            path, annotator=annotator, names=display_names(codebook), users=users),
        "Label Studio: paste {companion} into Settings -> Labeling Interface, then import {data}"),
    "doccano": AnnotationFormat(
        _write_doccano, lambda path, annotator, codebook, users: _parse_doccano(path, annotator=annotator, codebook=codebook),
        "doccano: create a text classification project, import the label types {companion}, then the data {data}"),
    "csv": AnnotationFormat(_write_csv, lambda path, annotator, codebook, users: _parse_csv(
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
        _normalise_rung(raw)
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
    from pipeline.classify import open_source

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
