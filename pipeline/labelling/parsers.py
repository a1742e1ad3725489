"""Annotation files back in: each tool's export read into raw items for ``formats.import_labels``.

Every parser names the file and the record (or line) in its errors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.codebook import Codebook
from pipeline.errors import LabelFileError
from pipeline.io import CsvBreak, csv_rows
from pipeline.labelling.exports import ACTOR_PREFIX, META_FIELDS, RUNG_PREFIX


@dataclass
class RawItem:
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


def parse_labelstudio(path: Path, *, annotator: str | None, names: dict[str, str],
                       users: dict[str, str] | None = None) -> Iterator[RawItem | None]:
    """Full JSON export (tasks with ``annotations``) or JSON-MIN (flat rows); None = unannotated.

    The file may also be an object {"tasks": [...], "users": [...]}; its users name the annotators.
    """
    if _looks_like_csv(path):
        yield from parse_labelstudio_csv(path, annotator=annotator, names=names, users=users)
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
            yield RawItem(where, {"id": task.get("segment_id"), "text": task.get("text"), "rung": _ids(rung, names),
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
            yield RawItem(where, {"id": data.get("segment_id"), "text": data.get("text"), "rung": _ids(rung, names),
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


def parse_labelstudio_csv(path: Path, *, annotator: str | None, names: dict[str, str],
                           users: dict[str, str] | None = None) -> Iterator[RawItem | None]:
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
    try:
        for start, row in csv_rows(reader):
            where = f"{path}:{start}"  # the line the record starts on (texts span lines)
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
            yield RawItem(where, {"id": (row.get(id_column) or "").strip() or None, "text": row.get("text"),
                               "rung": _rung_cell(rung) if isinstance(rung, str) else rung,
                               "actors": _ids([actors] if isinstance(actors, str) else (actors or []), names),
                               "annotator": name or annotator,
                               "timestamp": (row.get("updated_at") or row.get("created_at") or "").strip() or None,
                               **({"note": note} if note else {}),
                               **{k: row[k].strip() for k in META_FIELDS if (row.get(k) or "").strip()}}, who)
    except CsvBreak as e:
        raise LabelFileError(path=str(path), line=e.line, detail=(
            f"cannot parse the CSV from this line on ({e.error}); is a quote (\") left open? Export again from Label Studio")) from e


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


def parse_doccano(path: Path, *, annotator: str | None, codebook: Codebook) -> Iterator[RawItem | None]:
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
                yield RawItem(where, {"id": rec.get("segment_id", rec.get("id")), "text": rec.get("text"),
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


def parse_csv(path: Path, *, annotator: str | None, names: dict[str, str],
               users: dict[str, str] | None = None) -> Iterator[RawItem | None]:
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
        yield from parse_labelstudio_csv(path, annotator=annotator, names=names, users=users)
        return
    rows = csv_rows(reader)
    while True:
        try:
            _, row = next(rows)
        except StopIteration:
            return
        except CsvBreak as e:  # an unterminated quote would otherwise swallow the rest of the file
            raise LabelFileError(path=str(path), line=e.line, detail=(
                f"cannot parse the CSV from this line on ({e.error}); is a quote (\") left open? Save the sheet again as CSV")) from e
        text = row.get("text")
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        row["text"] = text  # the segment text exactly as exported
        where = f"{path}:{reader.line_num}"
        if not row.get("rung") and not row.get("actors"):
            yield None
            continue
        yield RawItem(where, {"id": row.get("id") or row.get("segment_id"), "text": row.get("text"),
                           "rung": _rung_cell(row["rung"]) if row.get("rung") else None, "actors": row.get("actors") or [],
                           "annotator": row.get("annotator") or annotator, "timestamp": row.get("timestamp") or None,
                           **({"note": row["note"]} if row.get("note") else {}),
                           **{k: row[k] for k in META_FIELDS if row.get(k)}})


def normalise_rung(raw: RawItem) -> None:
    """Choice lists (Label Studio, doccano) must hold exactly one rung."""
    rung = raw.record.get("rung")
    if isinstance(rung, list):
        path, _, line = raw.where.rpartition(":")
        if len(rung) != 1:
            raise LabelFileError(path=path, line=line, detail=f"record {raw.record.get('id')!r} has {len(rung)} rung labels "
                                                             f"{rung}; exactly one is needed")
        raw.record["rung"] = rung[0]
