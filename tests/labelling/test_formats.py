"""Export -> edit as an annotator would -> import, for Label Studio, doccano and CSV; and the
import errors (unknown label, rung out of range, conflicting duplicates, missing text)."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import LabelFileError
from pipeline.labelling.exports import labelstudio_config, to_doccano, to_labelstudio
from pipeline.labelling.formats import export_segments, import_labels, pre_annotations

NOW = "2024-05-01T12:00:00+00:00"


@pytest.fixture
def three(segments: list[dict]) -> list[dict]:
    return segments[:3]


@pytest.fixture
def preds() -> list[dict]:
    return [{"rung": 3, "actors": ["citizens"], "score": 0.8}, {"rung": 2, "actors": ["civil_society", "professionals"], "score": 0.6},
            {"rung": 0, "actors": [], "score": 0.9}]


def _ls_annotation(rung: str, actors: list[str], *, by: object = 7, at: str = "2024-03-02T10:00:00Z") -> dict:
    result = [{"from_name": "rung", "to_name": "text", "type": "choices", "value": {"choices": [rung]}}]
    if actors:
        result.append({"from_name": "actors", "to_name": "text", "type": "choices", "value": {"choices": actors}})
    return {"id": 1, "completed_by": by, "result": result, "created_at": "2024-03-01T09:00:00Z", "updated_at": at, "was_cancelled": False}


def _read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _write_csv(path: Path, rows: list[dict], delimiter: str = ",") -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)


def test_labelstudio_tasks_and_config(three, preds, codebook):
    tasks = to_labelstudio(three, preds, codebook=codebook, model_version="samskab:tiny")
    assert tasks[0]["data"] == {"text": three[0]["text"], "segment_id": three[0]["id"], "municipality": "Aarhus", "doc_id": "Aarhus-doc"}
    pred = tasks[1]["predictions"][0]
    assert pred["model_version"] == "samskab:tiny" and pred["score"] == 0.6
    assert pred["result"][0]["value"]["choices"] == ["co_production_others"]
    assert pred["result"][1]["value"]["choices"] == ["professionals", "civil_society"]  # codebook order
    assert [r["from_name"] for r in tasks[2]["predictions"][0]["result"]] == ["rung"]  # no empty actor choice

    root = ET.fromstring(labelstudio_config(codebook))
    assert root.find("Text").attrib == {"name": "text", "value": "$text"}
    rung, actors = root.findall("Choices")
    assert rung.attrib["choice"] == "single" and actors.attrib["choice"] == "multiple"
    # annotators see Danish names; the codebook ids are the aliases Label Studio stores in the annotations
    assert [c.attrib["alias"] for c in rung] == codebook.rung_ids
    assert [c.attrib["alias"] for c in actors] == codebook.actor_ids
    assert rung[2].attrib["value"] == "2 · frivillige skaber velfærd for andre" and actors[0].attrib["value"] == "politikere"
    assert rung[2].attrib["hint"] == " ".join(codebook.rungs[2].definition_da.split())
    assert len({c.attrib["value"] for c in [*rung, *actors]}) == len(codebook.rung_ids) + len(codebook.actor_ids)


def test_labelstudio_round_trip(tmp_path, three, preds, codebook):
    out = tmp_path / "tasks.json"
    paths = export_segments(three, out, fmt="labelstudio", predictions=preds, codebook=codebook)
    assert paths == [out, tmp_path / "tasks.xml"]
    tasks = json.loads(out.read_text(encoding="utf-8"))
    # the annotator accepts the first suggestion, corrects the second, leaves the third
    tasks[0]["annotations"] = [_ls_annotation("co_initiation_dialogue", ["citizens"], by={"id": 7, "email": "anna@kommune.dk"})]
    tasks[1]["annotations"] = [_ls_annotation("co_design_governance", ["citizens", "civil_society"], by=7, at="2024-03-05T08:00:00Z")]
    out.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")

    result = import_labels(out, fmt="labelstudio", codebook=codebook, now=NOW)
    assert result.skipped == 1
    first, second = result.records
    assert (first["id"], first["rung"], first["actors"], first["annotator"]) == (three[0]["id"], 3, ["citizens"], "anna@kommune.dk")
    assert (second["rung"], second["actors"], second["annotator"]) == (4, ["citizens", "civil_society"], "7")
    assert second["timestamp"] == "2024-03-05T08:00:00Z" and second["source"] == "labelstudio:tasks.json"
    assert second["text"] == three[1]["text"] and second["municipality"] == "Aarhus"


def test_labelstudio_json_min_and_only_annotator(tmp_path, three, codebook):
    rows = [{"id": 1, "text": three[0]["text"], "segment_id": three[0]["id"], "rung": "co_production_own",
             "actors": {"choices": ["citizens"]}, "annotator": "bo@kommune.dk", "updated_at": "2024-01-01"}]
    path = tmp_path / "min.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    (rec,) = import_labels(path, fmt="labelstudio", codebook=codebook).records
    assert (rec["rung"], rec["actors"], rec["annotator"], rec["timestamp"]) == (1, ["citizens"], "bo@kommune.dk", "2024-01-01")

    tasks = to_labelstudio(three[:1], codebook=codebook)
    tasks[0]["annotations"] = [_ls_annotation("none", [], by=1), _ls_annotation("co_initiation_dialogue", ["citizens"], by=2)]
    path.write_text(json.dumps(tasks), encoding="utf-8")
    with pytest.raises(LabelFileError, match="labelled again with different labels"):
        import_labels(path, fmt="labelstudio", codebook=codebook)
    only = import_labels(path, fmt="labelstudio", codebook=codebook, only_annotator="2").records
    assert [(r["rung"], r["annotator"]) for r in only] == [(3, "2")]


def test_doccano_round_trip(tmp_path, three, preds, codebook):
    assert to_doccano(three, preds, codebook=codebook)[0]["label"] == ["rung:co_initiation_dialogue", "actor:citizens"]
    out = tmp_path / "doccano.jsonl"
    paths = export_segments(three, out, fmt="doccano", predictions=preds, codebook=codebook)
    assert json.loads(paths[1].read_text(encoding="utf-8"))[0]["text"] == "rung:none"
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # doccano adds its own integer id on export; the annotator fixes the first example
    for n, row in enumerate(rows, 1):
        row["id"] = n
    rows[0]["label"] = ["rung:co_design_governance", "actor:citizens", "actor:politicians"]
    rows[2]["label"] = []
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")

    result = import_labels(out, fmt="doccano", annotator="carl", codebook=codebook, now=NOW)
    assert result.skipped == 1
    assert [(r["id"], r["rung"], r["actors"], r["annotator"], r["timestamp"]) for r in result.records] == [
        (three[0]["id"], 4, ["politicians", "citizens"], "carl", NOW),
        (three[1]["id"], 2, ["professionals", "civil_society"], "carl", NOW),
    ]


@pytest.mark.parametrize("delimiter", [",", ";"])  # ';' is what Danish Excel saves
def test_csv_round_trip(tmp_path, three, preds, codebook, delimiter):
    out = tmp_path / "to_label.csv"
    export_segments(three, out, fmt="csv", predictions=preds, codebook=codebook)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM so that Excel shows æøå
    rows = _read_csv(out)
    assert list(rows[0]) == ["id", "text", "municipality", "pred_rung", "pred_actors", "rung", "actors", "annotator", "note"]
    assert (rows[1]["pred_rung"], rows[1]["pred_actors"]) == ("co_production_others", "professionals;civil_society")
    rows[0].update(rung="3", actors="citizens; politicians", annotator="dorte", note="klar høring")
    rows[1].update(rung="co_production_others", actors=rows[1]["pred_actors"])
    rows[2].update(rung="", actors="")  # not done yet
    _write_csv(out, rows, delimiter)

    result = import_labels(out, fmt="csv", annotator="fallback", codebook=codebook, now=NOW)
    assert result.skipped == 1
    a, b = result.records
    assert (a["rung"], a["actors"], a["annotator"], a["note"]) == (3, ["politicians", "citizens"], "dorte", "klar høring")
    assert (b["rung"], b["actors"], b["annotator"], b["timestamp"]) == (2, ["professionals", "civil_society"], "fallback", NOW)


def test_pre_annotations_from_model_and_queue(tiny_model, three):
    from_model = pre_annotations(three, model=tiny_model)
    assert all(set(p) == {"rung", "actors", "score"} and 0 <= p["rung"] <= 4 for p in from_model)
    queued = [{**three[0], "pred_rung": 3, "pred_actors": ["citizens"], "rung_proba": [0.1, 0, 0, 0.7, 0.2]}, three[1]]
    assert pre_annotations(queued) == [{"rung": 3, "actors": ["citizens"], "score": 0.7}, None]


# -- errors --------------------------------------------------------------------------------
def _csv_file(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "bad.csv"
    _write_csv(path, [{"id": "", "text": "", "rung": "", "actors": "", **r} for r in rows])
    return path


@pytest.mark.parametrize(("rows", "message"), [
    ([{"id": "s1", "text": "Borgermøde.", "rung": "3", "actors": "mayor"}], r"bad\.csv:2: .*unknown actor id\(s\) \['mayor'\]"),
    ([{"id": "s1", "text": "Borgermøde.", "rung": "co_creation"}], r"bad\.csv:2: .*rung 'co_creation' is not an integer 0-4"),
    ([{"id": "s1", "text": "Tekst.", "rung": "0"}, {"id": "s2", "text": "Borgermøde.", "rung": "7"}], r"bad\.csv:3: record 's2': rung 7 is not"),
    ([{"id": "s1", "text": "", "rung": "2"}], r"bad\.csv:2: record 's1' has empty or missing 'text'"),
    ([{"id": "s1", "text": "Tekst.", "rung": "1"}, {"id": "s1", "text": "Tekst.", "rung": "1"},
      {"id": "s1", "text": "Tekst.", "rung": "2"}], r"bad\.csv:4: id 's1' is labelled again with different labels"),
])
def test_csv_errors_name_file_and_record(tmp_path, codebook, rows, message):
    with pytest.raises(LabelFileError, match=message):
        import_labels(_csv_file(tmp_path, rows), fmt="csv", codebook=codebook)


def test_csv_needs_id_and_rung_columns(tmp_path, codebook):
    path = tmp_path / "x.csv"
    path.write_text("segment,label\na,3\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match="needs 'id' and 'rung'"):
        import_labels(path, fmt="csv", codebook=codebook)


@pytest.mark.parametrize(("labels", "message"), [
    (["rung:co_creation"], r"doccano\.jsonl:1: record 's1': rung 'co_creation' is not an integer 0-4"),
    (["rung:none", "actor:mayor"], r"doccano\.jsonl:1: record 's1': unknown actor id\(s\) \['mayor'\]"),
    (["genre:referat"], r"doccano\.jsonl:1: unknown label 'genre:referat'; valid: \['rung:none'"),
    (["rung:none", "rung:co_production_own"], r"doccano\.jsonl:1: record 's1' has 2 rung labels"),
    (["actor:citizens"], r"doccano\.jsonl:1: record 's1' has 0 rung labels \[\]; exactly one is needed"),
])
def test_doccano_errors(tmp_path, codebook, labels, message):
    path = tmp_path / "doccano.jsonl"
    path.write_text(json.dumps({"id": 1, "segment_id": "s1", "text": "Et borgermøde.", "label": labels}) + "\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=message):
        import_labels(path, fmt="doccano", codebook=codebook)


@pytest.mark.parametrize(("data", "rung", "message"), [
    ({"segment_id": "s1", "text": "Tekst."}, "co_co_creation", r"tasks\.json:task 1: record 's1': rung 'co_co_creation'"),
    ({"segment_id": "s1", "text": ""}, "none", r"tasks\.json:task 1: record 's1' has empty or missing 'text'"),
    ({"text": "Tekst."}, "none", r"tasks\.json:task 1: missing 'id'"),
])
def test_labelstudio_errors(tmp_path, codebook, data, rung, message):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([{"id": 1, "data": data, "annotations": [_ls_annotation(rung, [])]}]), encoding="utf-8")
    with pytest.raises(LabelFileError, match=message):
        import_labels(path, fmt="labelstudio", codebook=codebook)


def test_not_json_and_unknown_format(tmp_path, codebook):
    from pipeline.errors import UnknownNameError

    path = tmp_path / "tasks.json"
    path.write_text("[{", encoding="utf-8")
    with pytest.raises(LabelFileError, match="not valid JSON"):
        import_labels(path, fmt="labelstudio", codebook=codebook)
    with pytest.raises(UnknownNameError, match="labelstudio, doccano, csv"):
        import_labels(path, fmt="prodigy", codebook=codebook)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1).filter(str.strip), fmt=st.sampled_from(["csv", "doccano", "labelstudio"]))
def test_any_text_survives_the_round_trip(tmp_path_factory, codebook, text, fmt):
    """Quotes, separators, newlines, æøå: the imported text is the exported text."""
    out = tmp_path_factory.mktemp("rt") / {"csv": "x.csv", "doccano": "x.jsonl", "labelstudio": "x.json"}[fmt]
    export_segments([{"id": "s1", "text": text}], out, fmt=fmt, predictions=[{"rung": 2, "actors": ["citizens"], "score": 0.5}],
                    codebook=codebook)
    if fmt == "csv":
        rows = _read_csv(out)
        rows[0].update(rung=rows[0]["pred_rung"], actors=rows[0]["pred_actors"])
        _write_csv(out, rows)
    elif fmt == "labelstudio":
        tasks = json.loads(out.read_text(encoding="utf-8"))
        tasks[0]["annotations"] = [{"completed_by": 1, "result": tasks[0]["predictions"][0]["result"]}]
        out.write_text(json.dumps(tasks), encoding="utf-8")
    (rec,) = import_labels(out, fmt=fmt, codebook=codebook, now=NOW).records
    assert (rec["id"], rec["text"], rec["rung"], rec["actors"]) == ("s1", text, 2, ["citizens"])


def test_labelstudio_shown_names_are_read_back_as_ids(tmp_path, three, codebook):
    """A project whose config has no aliases stores the shown Danish names: they map back to ids."""
    tasks = to_labelstudio(three[:1], codebook=codebook)
    tasks[0]["annotations"] = [_ls_annotation("3 · inddragelse i drøftelse af nye løsninger", ["borgere og brugere", "politikere"])]
    path = tmp_path / "shown.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    (rec,) = import_labels(path, fmt="labelstudio", codebook=codebook).records
    assert (rec["rung"], rec["actors"]) == (3, ["politicians", "citizens"])


def test_labelstudio_annotators_by_email(tmp_path, three, codebook):
    tasks = to_labelstudio(three, codebook=codebook)
    tasks[0]["annotations"] = [_ls_annotation("none", [], by={"id": 3, "email": "bo@kommune.dk", "first_name": "Bo"})]
    tasks[1]["annotations"] = [{**_ls_annotation("co_production_own", ["citizens"], by=4), "created_username": " eva@kommune.dk, 4"}]
    tasks[2]["annotations"] = [_ls_annotation("co_production_own", [], by=5)]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    names = [r["annotator"] for r in import_labels(path, fmt="labelstudio", codebook=codebook).records]
    assert names == ["bo@kommune.dk", "eva@kommune.dk", "5"]  # no user list: the bare id is all there is
    # the export's user list (an object with tasks and users) names the numeric ids
    users = [{"id": 5, "email": "finn@kommune.dk", "username": "finn"}]
    path.write_text(json.dumps({"tasks": tasks, "users": users}), encoding="utf-8")
    names = [r["annotator"] for r in import_labels(path, fmt="labelstudio", codebook=codebook).records]
    assert names == ["bo@kommune.dk", "eva@kommune.dk", "finn@kommune.dk"]
    # --only-annotator takes the e-mail or the user id
    only = import_labels(path, fmt="labelstudio", codebook=codebook, only_annotator="3").records
    assert [r["annotator"] for r in only] == ["bo@kommune.dk"]
    assert len(import_labels(path, fmt="labelstudio", codebook=codebook, only_annotator="finn@kommune.dk").records) == 1


def test_load_users(tmp_path):
    from pipeline.labelling.parsers import load_users

    path = tmp_path / "users.json"
    path.write_text(json.dumps([{"id": 1, "email": "a@k.dk"}, {"id": 2, "username": "bo"}]), encoding="utf-8")
    assert load_users(path) == {"1": "a@k.dk", "2": "bo"}
    path.write_text(json.dumps({"results": [{"id": 9, "user": {"id": 9, "email": "c@k.dk"}}]}), encoding="utf-8")
    assert load_users(path) == {"9": "c@k.dk"}
    path.write_text(json.dumps([{"id": 1}]), encoding="utf-8")
    with pytest.raises(LabelFileError, match="users.json:user 1: a user needs 'id' and 'email'"):
        load_users(path)


#: The shape of Label Studio 1.23.2's CSV export (checked against a running instance): columns sorted by
#: name, strings quoted, annotator = numeric user id, one choice plain, several as '{"choices": [...]}'.
LS_CSV = Path(__file__).parent / "data" / "labelstudio_export.csv"
LS_USERS = {"1": "anna@kommune.dk", "7": "carl@kommune.dk"}


@pytest.mark.parametrize("fmt", ["labelstudio", "csv"])
def test_labelstudio_csv_export(codebook, fmt):
    result = import_labels(LS_CSV, fmt=fmt, codebook=codebook, users=LS_USERS)
    assert result.skipped == 1
    got = [(r["id"], r["rung"], r["actors"], r["annotator"]) for r in result.records]
    assert got == [("aa-0", 3, ["citizens"], "anna@kommune.dk"),  # segment ids, not Label Studio's task ids
                   ("aa-1", 2, ["professionals", "civil_society"], "anna@kommune.dk"),
                   ("ko-0", 4, ["citizens", "businesses"], "carl@kommune.dk")]
    second = result.records[1]
    assert second["text"].endswith('og "Ung i Aarhus" hjælper.\nDet fortsætter i 2025.')
    assert (second["note"], second["timestamp"], second["municipality"]) == ("lærere = fagprofessionelle", "2024-04-02T09:15:31.870012Z", "Aarhus")


def test_labelstudio_csv_with_shown_names_and_a_bad_cell(tmp_path, codebook):
    rows = _read_csv(LS_CSV)
    rows[0]["rung"] = "3 · inddragelse i drøftelse af nye løsninger"
    rows[0]["actors"] = json.dumps({"choices": ["borgere og brugere"]}, ensure_ascii=False)
    path = tmp_path / "project-1-at-2024-04-03.csv"
    _write_csv(path, rows)
    first = import_labels(path, fmt="labelstudio", codebook=codebook).records[0]
    assert (first["rung"], first["actors"]) == (3, ["citizens"])

    rows[2]["actors"] = '{"choices": ["citizens", }'
    _write_csv(path, rows)
    # record 3 starts on line 5: the second record's text spans two lines
    with pytest.raises(LabelFileError, match=r"project-1-at-2024-04-03.csv:5: column 'actors' holds .* neither a plain label nor valid JSON"):
        import_labels(path, fmt="labelstudio", codebook=codebook)
    rows[2]["actors"] = "citizens"
    rows[2]["rung"] = "co-design"
    _write_csv(path, rows)
    with pytest.raises(LabelFileError, match=r"project-1-at-2024-04-03.csv:5:"):
        import_labels(path, fmt="labelstudio", codebook=codebook)


def test_labelstudio_csv_without_the_columns(tmp_path, codebook):
    path = tmp_path / "other.csv"
    path.write_text("id,text,sentiment\n1,Hej,positive\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"other.csv:1: not a Label Studio CSV export .* found \['id', 'sentiment', 'text'\]"):
        import_labels(path, fmt="labelstudio", codebook=codebook)


def test_labelstudio_csv_with_an_unterminated_quote(tmp_path, codebook):
    lines = LS_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[4].startswith('"{""choices"": [""citizens"", ""businesses""]}",13,')  # record 3 is line 5
    lines[4] = lines[4].rstrip("\r\n").removesuffix('"') + "\n"  # its last field's quote is never closed
    path = tmp_path / "export.csv"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"export\.csv:5: cannot parse the CSV from this line on"):
        import_labels(path, fmt="labelstudio", codebook=codebook)
