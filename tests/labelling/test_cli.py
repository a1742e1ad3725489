"""Every `samskab label` command through CliRunner, and the analyst's whole workflow:
rules -> queue -> export to Label Studio -> annotate -> import -> agreement -> errors -> retrain."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.io import read_records, write_records

runner = CliRunner()


def _ok(args: list[str]):  # noqa: ANN202
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def _annotate(tasks: list[dict], who: int, rungs: dict[str, str]) -> None:
    """What an annotator does in Label Studio: accept or change the pre-filled rung."""
    for task in tasks:
        pred = task["predictions"][0]["result"]
        result = [dict(r) for r in pred]
        sid = task["data"]["segment_id"]
        if sid in rungs:
            result[0] = {**result[0], "value": {"choices": [rungs[sid]]}}
        task.setdefault("annotations", []).append({"completed_by": who, "result": result, "was_cancelled": False,
                                                   "created_at": "2024-04-01T10:00:00Z", "updated_at": f"2024-04-0{who}T10:00:00Z"})


def test_workflow_from_corpus_to_retrained_model(tmp_path: Path, store_path: Path, gold: list[dict], tiny_model_dir: Path):
    from pipeline.store import CorpusStore

    db = store_path
    # 1. silver labels from the rules, stored under annotator 'rules'
    _ok(["label", "rules", "--db", db, "--out", tmp_path / "rules.jsonl", "--to-store"])
    # 2. queue 6 segments; the rule labels do not count as labelled
    out = _ok(["label", "queue", "--db", db, "-n", 6, "--strategy", "diverse", "--model", tiny_model_dir, "--out", tmp_path / "queue.jsonl"])
    queue = read_records(tmp_path / "queue.jsonl")
    assert len(queue) == 6 and {q["municipality"] for q in queue} == {"Aarhus", "Ærø", "Kolding"}
    assert "6 segments queued" in out.output
    # 3. export them to Label Studio with the model's suggestions
    tasks_path = tmp_path / "tasks.json"
    out = _ok(["label", "export", "--db", db, "--ids", tmp_path / "queue.jsonl", "--model", tiny_model_dir,
               "--format", "labelstudio", "--out", tasks_path])
    assert (tmp_path / "tasks.xml").is_file() and "Labeling Interface" in out.output
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    assert [t["data"]["segment_id"] for t in tasks] == [q["id"] for q in queue]
    assert all(t["predictions"][0]["model_version"] == "samskab:tiny" for t in tasks)
    # 4. two annotators; annotator 2 disagrees on two segments
    ids = [t["data"]["segment_id"] for t in tasks]
    _annotate(tasks, 1, {ids[0]: "co_initiation_dialogue", ids[1]: "none"})
    _annotate(tasks, 2, {ids[0]: "co_design_governance", ids[1]: "none", ids[2]: "co_production_others"})
    tasks_path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    # 5. import each annotator; annotator 1's labels go into the store
    _ok(["label", "import", tasks_path, "--format", "labelstudio", "--only-annotator", "1", "--out", tmp_path / "a1.jsonl", "--db", db])
    _ok(["label", "import", tasks_path, "--format", "labelstudio", "--only-annotator", "2", "--out", tmp_path / "a2.jsonl"])
    imported = read_records(tmp_path / "a1.jsonl")
    assert len(imported) == 6 and {r["annotator"] for r in imported} == {"1"}
    assert set(imported[0]) >= {"id", "text", "rung", "actors", "annotator", "timestamp", "source"}
    with CorpusStore(db, read_only=True) as store:
        assert {r["segment_id"] for r in store.read_labels() if r["annotator"] == "1"} == set(ids)
    # 6. agreement
    out = _ok(["label", "agreement", tmp_path / "a1.jsonl", tmp_path / "a2.jsonl", "--out", tmp_path / "agreement.json"])
    report = json.loads((tmp_path / "agreement.json").read_text(encoding="utf-8"))
    assert report["pairs"][0]["n_overlap"] == 6 and "Krippendorff" in out.output
    # 7. likely label errors in the training data plus the new labels
    train = tmp_path / "train.jsonl"
    write_records(train, gold)
    write_records(tmp_path / "all.jsonl", gold + imported)
    out = _ok(["label", "errors", tmp_path / "all.jsonl", "--folds", 3, "--out", tmp_path / "suspects.csv"])
    assert "labels look wrong" in out.output and (tmp_path / "suspects.csv").is_file()
    # 8. the next queue skips what is now labelled in the store
    out = _ok(["label", "queue", "--db", db, "-n", 50, "--model", tiny_model_dir, "--out", tmp_path / "queue2.jsonl"])
    queue2 = read_records(tmp_path / "queue2.jsonl")
    assert not {q["id"] for q in queue2} & set(ids)
    # fewer than asked: the command says how many and why
    assert len(queue2) < 50 and f"only {len(queue2)} of the 50 asked for" in " ".join(out.output.split())
    assert f"{len(ids)} already labelled" in " ".join(out.output.split())
    # 9. retrain a base model with the imported labels
    from pipeline.config import ModelConfig
    from pipeline.train import train as train_model

    base = tmp_path / "base"
    train_model(gold, out=base, config=ModelConfig(use_char=False, calibration="none", min_df=1), data_files={"train": str(train)})
    write_records(tmp_path / "test.jsonl", gold[::3])
    out = _ok(["retrain", "--base", base, "--add", tmp_path / "a1.jsonl", "--out", tmp_path / "new", "--test", tmp_path / "test.jsonl"])
    assert "30 base + 6 added labels -> 36 training segments" in out.output
    assert json.loads((tmp_path / "new" / "model.json").read_text(encoding="utf-8"))["n_train"] == 36


def test_export_formats_from_a_file(tmp_path: Path, segments: list[dict]):
    src = tmp_path / "segments.jsonl"
    write_records(src, segments)
    _ok(["label", "export", src, "--format", "csv", "--out", tmp_path / "x.csv", "--rules"])
    rows = read_records(tmp_path / "x.csv")
    assert len(rows) == len(segments) and rows[0]["pred_rung"] == "co_initiation_dialogue"
    out = _ok(["label", "export", src, "--format", "doccano", "--out", tmp_path / "d.jsonl"])
    assert (tmp_path / "d.labels.json").is_file() and "label types" in out.output


def test_import_csv_cli_and_errors(tmp_path: Path):
    good = tmp_path / "filled.csv"
    good.write_text("id,text,rung,actors\ns1,Borgermøde om skolen.,3,citizens\ns2,Budget.,,\n", encoding="utf-8")
    out = _ok(["label", "import", good, "--format", "csv", "--annotator", "eva", "--out", tmp_path / "eva.jsonl"])
    assert "1 labels" in out.output and "1 item(s) had no annotation" in out.output
    assert read_records(tmp_path / "eva.jsonl")[0]["annotator"] == "eva"

    bad = tmp_path / "bad.csv"
    bad.write_text("id,text,rung,actors\ns1,Borgermøde.,9,\n", encoding="utf-8")
    result = runner.invoke(app, ["label", "import", str(bad), "--format", "csv", "--out", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 1 and "bad.csv:2" in result.output and "rung 9" in result.output
    assert not (tmp_path / "x.jsonl").exists()
    result = runner.invoke(app, ["label", "export", str(good), "--format", "excel", "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1 and "labelstudio, doccano, csv" in result.output


def test_queue_cli_needs_a_model(tmp_path: Path, segments: list[dict]):
    src = tmp_path / "segments.jsonl"
    write_records(src, segments)
    result = runner.invoke(app, ["label", "queue", str(src), "--model", str(tmp_path / "nope"), "--out", str(tmp_path / "q.jsonl")])
    assert result.exit_code == 1 and "samskab train" in result.output


def test_help_texts():
    for cmd in ("export", "import", "queue", "agreement", "errors", "rules"):
        result = runner.invoke(app, ["label", cmd, "--help"])
        assert result.exit_code == 0 and "Example" in result.output


def test_import_labelstudio_csv_export_with_user_list(tmp_path: Path):
    users = tmp_path / "users.json"
    users.write_text(json.dumps([{"id": 1, "email": "anna@kommune.dk", "username": ""},
                                 {"id": 7, "email": "carl@kommune.dk", "username": "carl"}]), encoding="utf-8")
    src = Path(__file__).parent / "data" / "labelstudio_export.csv"
    out = _ok(["label", "import", src, "--format", "labelstudio", "--users", users, "--out", tmp_path / "l.jsonl"])
    assert "annotators: anna@kommune.dk, carl@kommune.dk" in " ".join(out.output.split())
    assert [r["id"] for r in read_records(tmp_path / "l.jsonl")] == ["aa-0", "aa-1", "ko-0"]
    # without the user list the numeric ids stay, and the command says how to name them
    out = _ok(["label", "import", src, "--format", "labelstudio", "--out", tmp_path / "ids.jsonl"])
    assert "annotators: 1, 7" in " ".join(out.output.split()) and "--users" in out.output
    bad = tmp_path / "bad.csv"
    bad.write_text(src.read_text(encoding="utf-8").replace('[""citizens"", ""businesses""]}', '[""citizens""'), encoding="utf-8")
    res = runner.invoke(app, ["label", "import", str(bad), "--format", "labelstudio", "--out", str(tmp_path / "l2.jsonl")])
    assert res.exit_code == 1 and "bad.csv:5: column 'actors'" in " ".join(res.output.split()) and "Traceback" not in res.output


def test_export_from_store_with_queue_ids_keeps_the_queue_suggestions(tmp_path: Path, store_path: Path, tiny_model_dir: Path):
    queue = tmp_path / "queue.jsonl"
    _ok(["label", "queue", "--db", store_path, "-n", 4, "--model", tiny_model_dir, "--out", queue])
    _ok(["label", "export", "--db", store_path, "--ids", queue, "--format", "labelstudio", "--out", tmp_path / "tasks.json"])
    tasks = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
    queued = {q["id"]: q for q in read_records(queue)}
    assert len(tasks) == 4
    for task in tasks:
        q = queued[task["data"]["segment_id"]]
        result = task["predictions"][0]["result"]
        assert result[0]["value"]["choices"] == [["none", "co_production_own", "co_production_others", "co_initiation_dialogue",
                                                  "co_design_governance"][q["pred_rung"]]]


def test_rules_skip_noise_segments_and_say_how_many(tmp_path: Path, segments: list[dict]):
    """Tables of contents, attendance lists, ... get no silver label (classify leaves them unclassified), in a file or the store."""
    from pipeline.segment import NOISE_SECTION_KINDS
    from pipeline.store import CorpusStore

    noisy = [{**s, "section_kind": "content"} for s in segments]
    for s, kind in zip(noisy[:len(NOISE_SECTION_KINDS)], sorted(NOISE_SECTION_KINDS), strict=False):
        s["section_kind"] = kind
    noise_ids = {s["id"] for s in noisy if s["section_kind"] in NOISE_SECTION_KINDS}
    assert len(noise_ids) == len(NOISE_SECTION_KINDS) == 5
    write_records(tmp_path / "segments.jsonl", noisy)
    out = _ok(["label", "rules", tmp_path / "segments.jsonl", "--out", tmp_path / "rules.jsonl"])
    labelled = {r["id"] for r in read_records(tmp_path / "rules.jsonl")}
    assert labelled == {s["id"] for s in noisy} - noise_ids
    assert "7 segments labelled" in out.output and "5 noise segments" in out.output and "skipped" in out.output
    db = tmp_path / "corpus.duckdb"
    with CorpusStore(db) as store:
        text = "\n\n".join(s["text"] for s in noisy)
        store.add_document({"id": "doc", "text": text, "content_hash": "h"},
                           [{**s, "doc_id": "doc", "position": i} for i, s in enumerate(noisy)])
    out = _ok(["label", "rules", "--db", db, "--out", tmp_path / "rules2.jsonl", "--to-store"])
    assert "5 noise segments" in out.output
    with CorpusStore(db, read_only=True) as store:
        assert {r["segment_id"] for r in store.read_labels()} == labelled
