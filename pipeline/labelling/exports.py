"""Annotation files out: segments (and model pre-annotations) in Label Studio, doccano and CSV form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.codebook import Codebook

#: Segment fields copied into the annotation files (shown to annotators, kept on import).
META_FIELDS = ("municipality", "doc_id", "year", "date", "doc_type", "section")
CSV_COLUMNS = ("id", "text", "municipality", "pred_rung", "pred_actors", "rung", "actors", "annotator", "note")
RUNG_PREFIX, ACTOR_PREFIX = "rung:", "actor:"


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
def write_labelstudio(segments: list[dict[str, Any]], predictions: list[dict[str, Any] | None] | None, out: Path,
                       codebook: Codebook, model_version: str) -> list[Path]:
    from pipeline.io import atomic_write_text

    tasks = to_labelstudio(segments, predictions, codebook=codebook, model_version=model_version)
    atomic_write_text(out, json.dumps(tasks, ensure_ascii=False, indent=1))
    config = out.with_suffix(".xml")
    atomic_write_text(config, labelstudio_config(codebook))
    return [out, config]


def write_doccano(segments: list[dict[str, Any]], predictions: list[dict[str, Any] | None] | None, out: Path,
                   codebook: Codebook, model_version: str) -> list[Path]:  # noqa: ARG001 - doccano has no model field
    from pipeline.io import atomic_write_text

    rows = to_doccano(segments, predictions, codebook=codebook)
    atomic_write_text(out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    types = out.with_name(out.stem + ".labels.json")
    atomic_write_text(types, json.dumps(doccano_label_types(codebook), ensure_ascii=False, indent=1))
    return [out, types]


def write_csv(segments: list[dict[str, Any]], predictions: list[dict[str, Any] | None] | None, out: Path,
               codebook: Codebook, model_version: str) -> list[Path]:  # noqa: ARG001 - a spreadsheet has no model field
    import csv

    from pipeline.io import atomic_path

    rows = to_csv_rows(segments, predictions, codebook=codebook)
    with atomic_path(out) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:  # BOM: Excel reads æøå
        writer = csv.DictWriter(fh, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return [out]
