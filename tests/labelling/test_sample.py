"""`samskab label sample`: a random, reproducible sample of the counted segments, weights recorded."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import DataError
from pipeline.labelling.sample import draw_sample


def _segments():
    out = []
    for m, count in (("Aarhus", 60), ("Ærø", 6)):
        for i in range(count):
            out.append({"id": f"{m}-{i}", "text": f"Tekst {i} fra {m}.", "municipality": m, "year": 2020,
                        "rung": 2, "rung_proba": [0, 0, 1, 0, 0], "evidence": []})
    out.append({"id": "noise-1", "municipality": "Aarhus", "year": 2020, "section_kind": "toc", "rung": None,
                "rung_proba": None, "skipped": "noise"})
    out.append({"id": "en-1", "text": "English text.", "municipality": "Aarhus", "year": 2020, "lang": "en", "rung": 0})
    return out


def test_simple_random_sample_is_reproducible_and_weighted():
    a, summary = draw_sample(_segments(), n=10, seed=5)
    b, _ = draw_sample(_segments(), n=10, seed=5)
    c, _ = draw_sample(_segments(), n=10, seed=6)
    assert [r["id"] for r in a] == [r["id"] for r in b] != [r["id"] for r in c]
    assert len({r["id"] for r in a}) == 10
    assert summary.population == 66 and summary.left_out == {"noise": 1, "non_danish": 1}
    assert all(r["sample_weight"] == pytest.approx(6.6) and r["sample_seed"] == 5 for r in a)
    # the model's answers are not shown to the annotators
    assert not {"rung", "rung_proba", "evidence"} & set(a[0])


def test_stratified_sample_gives_thin_strata_labels_and_records_weights():
    sample, summary = draw_sample(_segments(), n=20, seed=1, stratify="municipality")
    counts = Counter(r["municipality"] for r in sample)
    assert counts == {"Aarhus": 14, "Ærø": 6}  # Ærø has only 6: all of them, the rest go to Aarhus
    weights = {r["municipality"]: r["sample_weight"] for r in sample}
    assert weights == {"Aarhus": pytest.approx(60 / 14), "Ærø": 1.0}
    assert summary.per_stratum == {"Aarhus": (60, 14), "Ærø": (6, 6)}


def test_more_than_the_corpus_takes_everything_and_empty_input_fails():
    sample, _ = draw_sample(_segments(), n=500, seed=1)
    assert len(sample) == 66
    with pytest.raises(DataError, match="no segments to sample"):
        draw_sample([], n=5)


def test_cli_sample_then_export_round_trip(tmp_path):
    src = tmp_path / "segments.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _segments()), encoding="utf-8")
    out = tmp_path / "sample.jsonl"
    runner = CliRunner()
    res = runner.invoke(app, ["label", "sample", str(src), "-n", "8", "--seed", "3", "--stratify", "municipality", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "8 of 66 segments drawn" in res.output and "noise" in res.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 8 and all("sample_weight" in r for r in rows)
    csv_out = tmp_path / "to_label.csv"
    res = runner.invoke(app, ["label", "export", str(out), "--format", "csv", "--out", str(csv_out)])
    assert res.exit_code == 0, res.output
    assert csv_out.read_text(encoding="utf-8").count("\n") == 9  # header + 8


def test_cli_sample_from_the_store_feeds_export_by_ids(store_path, tmp_path):
    out = tmp_path / "sample.jsonl"
    runner = CliRunner()
    res = runner.invoke(app, ["label", "sample", "--db", str(store_path), "-n", "6", "--stratify", "municipality", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert Counter(r["municipality"] for r in rows) == {"Aarhus": 2, "Ærø": 2, "Kolding": 2}
    csv_out = tmp_path / "to_label.csv"
    res = runner.invoke(app, ["label", "export", "--db", str(store_path), "--ids", str(out), "--format", "csv", "--out", str(csv_out)])
    assert res.exit_code == 0, res.output
