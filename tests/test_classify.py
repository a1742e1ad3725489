"""classify: the output contract, levels, resuming after a kill, workers and dask equal local."""

import json

import pytest
from typer.testing import CliRunner

from pipeline.classify import classify
from pipeline.documents import aggregate_documents, cumulative
from pipeline.cli import app
from pipeline.io import read_records


@pytest.fixture()
def segments_file(tmp_path, tiny_records):
    rows = []
    for n, r in enumerate(tiny_records * 3):
        rows.append({"id": f"s{n}", "text": r["text"], "doc_id": f"d{n // 5}", "municipality": r["municipality"], "year": r["year"]})
    path = tmp_path / "segments.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _check_contract(inputs, outputs):
    assert [o["id"] for o in outputs] == [str(i["id"]) for i in inputs]
    for o in outputs:
        assert isinstance(o["rung"], int) and 0 <= o["rung"] <= 4
        assert len(o["rung_proba"]) == 5 and abs(sum(o["rung_proba"]) - 1) < 1e-3
        assert isinstance(o["actors"], list) and isinstance(o["evidence"], list)
        assert o["rung_label"] in ("none", "co_production_own", "co_production_others", "co_initiation_dialogue", "co_design_governance")


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_one_output_per_input_in_every_format(tmp_path, segments_file, tiny_model_dir, suffix):
    out = tmp_path / f"p{suffix}"
    result = classify(segments_file, out, model_dir=tiny_model_dir, batch_size=16)
    inputs = read_records(segments_file)
    outputs = read_records(out)
    assert result.n_output == len(inputs)
    _check_contract(inputs, outputs)
    assert outputs[0]["municipality"] == inputs[0]["municipality"]
    assert not (tmp_path / f"p{suffix}.parts").exists()


def test_killed_run_resumes_to_identical_output(tmp_path, segments_file, tiny_model_dir):
    whole = tmp_path / "whole.jsonl"
    classify(segments_file, whole, model_dir=tiny_model_dir, batch_size=10)
    resumed = tmp_path / "resumed.jsonl"
    first = classify(segments_file, resumed, model_dir=tiny_model_dir, batch_size=10, max_batches=3)  # "killed" after 3 batches
    assert not resumed.exists() and len(list((tmp_path / "resumed.jsonl.parts").glob("part-*.jsonl"))) == 3
    assert first.n_output == 0
    second = classify(segments_file, resumed, model_dir=tiny_model_dir, batch_size=10)
    assert second.resumed_batches == 3
    assert resumed.read_bytes() == whole.read_bytes()


def test_changed_input_does_not_reuse_stale_parts(tmp_path, segments_file, tiny_model_dir):
    out = tmp_path / "p.jsonl"
    classify(segments_file, out, model_dir=tiny_model_dir, batch_size=10, max_batches=2)
    rows = read_records(segments_file)[:12]
    for r in rows:
        r["text"] = "Budgettet godkendes."
    changed = tmp_path / "changed.jsonl"
    changed.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = classify(changed, out, model_dir=tiny_model_dir, batch_size=10)
    assert result.resumed_batches == 0 and result.n_output == 12


@pytest.mark.slow  # ~25 s: starts a process pool (pytest --durations)
def test_workers_equal_single_process(tmp_path, segments_file, tiny_model_dir):
    one = tmp_path / "one.jsonl"
    two = tmp_path / "two.jsonl"
    classify(segments_file, one, model_dir=tiny_model_dir, batch_size=8)
    classify(segments_file, two, model_dir=tiny_model_dir, batch_size=8, workers=2)
    assert one.read_bytes() == two.read_bytes()


@pytest.mark.slow  # ~25 s: starts a dask LocalCluster
def test_dask_local_cluster_equals_local_engine(tmp_path, segments_file, tiny_model_dir):
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    local = tmp_path / "local.jsonl"
    classify(segments_file, local, model_dir=tiny_model_dir, batch_size=8)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        distributed_out = tmp_path / "dask.jsonl"
        classify(segments_file, distributed_out, model_dir=tiny_model_dir, batch_size=8, engine="dask", scheduler=cluster.scheduler_address)
    assert [json.loads(x) for x in local.read_text().splitlines()] == [json.loads(x) for x in distributed_out.read_text().splitlines()]


def test_document_level_aggregation_rules():
    preds = [
        {"id": "a#0", "doc_id": "a", "rung": 0, "rung_proba": [0.9, 0.025, 0.025, 0.025, 0.025], "actors": ["politicians"], "evidence": []},
        {"id": "a#1", "doc_id": "a", "rung": 3, "rung_proba": [0.1, 0.0, 0.1, 0.6, 0.2], "actors": ["citizens"],
         "evidence": [{"sentence": "Der holdes borgermøde.", "score": 1.0, "rung": 3}]},
        {"id": "b#0", "doc_id": "b", "rung": 4, "rung_proba": [0.3, 0.0, 0.0, 0.3, 0.4], "actors": [], "evidence": []},
    ]
    docs = {d["id"]: d for d in aggregate_documents(preds, min_rung_proba=0.5)}
    # a: P(>=3) = 0.8 (segment a#1) -> rung 3; P(>=4) = 0.2 < 0.5
    assert docs["a"]["rung"] == 3 and docs["a"]["actors"] == ["politicians", "citizens"]
    assert docs["a"]["rung_proba"] == pytest.approx([0.1, 0.0, 0.1, 0.6, 0.2])
    assert docs["a"]["evidence"][0]["segment_id"] == "a#1" and docs["a"]["n_segments"] == 2
    # b: P(>=3) = 0.7 >= 0.5 but P(>=4) = 0.4: the document reaches rung 3, not its argmax 4
    assert docs["b"]["rung"] == 3
    assert cumulative([0.1, 0.2, 0.3, 0.2, 0.2]) == pytest.approx([1.0, 0.9, 0.7, 0.4, 0.2])


def test_cli_classify_and_explain(tmp_path, segments_file, tiny_model_dir):
    runner = CliRunner()
    out = tmp_path / "p.jsonl"
    res = runner.invoke(app, ["classify", str(segments_file), "--out", str(out), "--model", str(tiny_model_dir)])
    assert res.exit_code == 0, res.output
    assert len(out.read_text().splitlines()) == len(segments_file.read_text().splitlines())
    res = runner.invoke(app, ["classify", str(segments_file), "--out", str(tmp_path / "d.csv"), "--model", str(tiny_model_dir), "--level", "document"])
    assert res.exit_code == 0, res.output
    n_segments = len(segments_file.read_text().splitlines())
    assert len(read_records(tmp_path / "d.csv")) == -(-n_segments // 5)  # 5 segments per document
    res = runner.invoke(app, ["explain", "Frivillige fra Røde Kors driver lektiecaféen sammen med skolens lærere.", "--model", str(tiny_model_dir)])
    assert res.exit_code == 0 and "rung 2" in res.output and "Frivillige" in res.output
    res = runner.invoke(app, ["classify", str(tmp_path / "missing.jsonl"), "--out", str(out), "--model", str(tiny_model_dir)])
    assert res.exit_code == 1 and "missing.jsonl" in res.output


def test_output_assembled_from_parts_with_or_without_their_counts(tmp_path, segments_file, tiny_model_dir):
    """The JSONL output is the parts' bytes; a part whose counts file is missing (a run killed
    between the two writes) is counted by reading it, and the result is the same."""
    whole = tmp_path / "whole.jsonl"
    full = classify(segments_file, whole, model_dir=tiny_model_dir, batch_size=10)
    resumed = tmp_path / "resumed.jsonl"
    classify(segments_file, resumed, model_dir=tiny_model_dir, batch_size=10, max_batches=3)
    counts = sorted((tmp_path / "resumed.jsonl.parts").glob("part-*.counts"))
    assert len(counts) == 3
    counts[1].unlink()
    again = classify(segments_file, resumed, model_dir=tiny_model_dir, batch_size=10)
    assert resumed.read_bytes() == whole.read_bytes()
    assert (again.n_output, again.n_noise, again.n_non_danish) == (full.n_output, full.n_noise, full.n_non_danish)
