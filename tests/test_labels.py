import json
import re
from pathlib import Path

import pytest

from pipeline.errors import LabelFileError
from pipeline.labels import LABELLED_DIR, load_labels, to_dataset, to_pandas


@pytest.mark.parametrize("record, message", [
    ({"id": "a", "text": "tekst", "rung": 7, "actors": []}, "rung 7"),
    ({"id": "a", "text": "tekst", "rung": 1, "actors": ["journalists"]}, "unknown actor"),
    ({"id": "a", "text": "  ", "rung": 1, "actors": []}, "empty"),
])
def test_bad_records_name_file_and_line(tmp_path, record, message):
    path = tmp_path / "l.jsonl"
    path.write_text(json.dumps({"id": "ok", "text": "fin", "rung": 0, "actors": []}) + "\n" + json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(LabelFileError) as err:
        load_labels(path)
    assert f"{path}:2" in str(err.value) and message in str(err.value)


def test_duplicate_ids_refused(tmp_path):
    path = tmp_path / "d.jsonl"
    row = json.dumps({"id": "x", "text": "t", "rung": 0, "actors": []})
    path.write_text(row + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match="duplicate id"):
        load_labels(path)


def test_rung_ids_and_csv_actor_lists_are_accepted(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("id,text,rung,actors\na,Tekst her,co_initiation_dialogue,citizens;politicians\n", encoding="utf-8")
    rec = load_labels(path)[0]
    assert rec["rung"] == 3 and rec["actors"] == ["politicians", "citizens"]


def test_dataset_and_pandas(tiny_records):
    ds = to_dataset(tiny_records)
    assert ds.features["rung"].names[4] == "co_design_governance"
    assert len(ds) == len(tiny_records)
    assert list(to_pandas(tiny_records)["rung"])[:3] == [0, 0, 0]


# -- the shipped labelled data ------------------------------------------------------------
SPLITS = {s: load_labels(LABELLED_DIR / f"{s}.jsonl") for s in ("train", "dev", "test")} if (LABELLED_DIR / "train.jsonl").is_file() else {}
ALL = [r for rows in SPLITS.values() for r in rows]
needs_data = pytest.mark.skipif(not SPLITS, reason="data/labelled not built")


@needs_data
def test_counts_required_by_the_dataset_issue():
    assert len(ALL) >= 1500
    for k in range(5):
        assert sum(r["rung"] == k for r in ALL) >= 150
    assert sum(r["rung"] == 0 for r in ALL) >= 400
    assert sum(r["rung"] == 0 and r.get("hard_negative") for r in ALL) >= 100
    for actor in ("politicians", "administration", "professionals", "citizens", "civil_society", "businesses"):
        assert sum(actor in r["actors"] for r in ALL) >= 100
    assert len({r["municipality"] for r in ALL}) >= 40
    assert {r["year"] for r in ALL} >= set(range(2007, 2026))
    assert len({r["genre"] for r in ALL}) >= 7 and len({r["topic"] for r in ALL}) >= 11
    assert all(r["source"] for r in ALL)


@needs_data
def test_frivillig_is_no_surface_trick():
    rungs = {r["rung"] for r in ALL if re.search(r"\bfrivillig", r["text"].lower())}
    assert {0, 2, 3, 4} <= rungs


@needs_data
def test_no_near_duplicates_cross_splits():
    def shingles(text):
        words = re.findall(r"\w+", text.lower())
        return {" ".join(words[i:i + 3]) for i in range(len(words) - 2)}

    index = {}
    for split, rows in SPLITS.items():
        for r in rows:
            for g in shingles(r["text"]):
                index.setdefault(g, set()).add((split, r["id"]))
    sh = {r["id"]: shingles(r["text"]) for r in ALL}
    split_of = {r["id"]: s for s, rows in SPLITS.items() for r in rows}
    for r in ALL:
        counts = {}
        for g in sh[r["id"]]:
            for split, other in index[g]:
                if split != split_of[r["id"]]:
                    counts[other] = counts.get(other, 0) + 1
        for other, shared in counts.items():
            assert shared / len(sh[r["id"]] | sh[other]) < 0.3, (r["id"], other)


@needs_data
def test_splits_are_disjoint_and_stratified():
    ids = [set(r["id"] for r in rows) for rows in SPLITS.values()]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    # counterfactual rewrites follow the segment they were made from, so stratification is
    # checked on the segments written on their own
    original = [r for r in ALL if not r.get("counterfactual_of")]
    for split in ("dev", "test"):
        rows = [r for r in SPLITS[split] if not r.get("counterfactual_of")]
        share = [sum(r["rung"] == k for r in rows) / len(rows) for k in range(5)]
        overall = [sum(r["rung"] == k for r in original) / len(original) for k in range(5)]
        assert all(abs(a - b) < 0.05 for a, b in zip(share, overall))


@needs_data
def test_counterfactual_rewrites_share_their_sources_split():
    split_of = {r["id"]: s for s, rows in SPLITS.items() for r in rows}
    rewrites = [r for r in ALL if r.get("counterfactual_of")]
    for r in rewrites:
        assert split_of[r["id"]] == split_of[r["counterfactual_of"]], r["id"]


CHECKER = Path(__file__).resolve().parent.parent / "scripts" / "check_raw_labels.py"


@needs_data
def test_round5_rewrites_pass_the_raw_checker():
    import glob
    import subprocess
    import sys

    files = sorted(glob.glob(str(CHECKER.parent.parent / "data" / "labelled" / "raw" / "h2[0-5]_*.jsonl")))
    out = subprocess.run([sys.executable, str(CHECKER), *files], capture_output=True, text=True, check=False).stdout
    assert files and "errors: 0" in out, out[-2000:]


def test_raw_checker_flags_a_bad_rewrite(tmp_path):
    import subprocess
    import sys

    record = {"id": "zz-0001", "text": " ".join(["ord"] * 20), "rung": 2, "actors": [], "genre": "referat", "topic": "social",
              "municipality": "Aarhus", "year": 2020, "source": "x", "annotator": "x", "hard_negative": False,
              "counterfactual_of": "no-such-id", "flip": "Q9"}
    path = tmp_path / "zz_01.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    out = subprocess.run([sys.executable, str(CHECKER), str(path)], capture_output=True, text=True, check=False).stdout
    assert "must be rung 0" in out and "flip 'Q9'" in out and "'no-such-id' is no segment" in out and "errors: 2" in out
