#!/usr/bin/env python
"""Build data/labelled/{train,dev,test}.jsonl from the hand-written raw files.

Final labels = the writers' labels (raw/), with the actor lists replaced where the
adjudication (agreement/adjudicated.jsonl), the actor review under the adjudication
rules (review/actors.jsonl) or the review of professionals/administration under the
revised rule adj_3 (review/actors_institutions.jsonl) or of politicians under the
revised rule adj_1 (review/actors_politicians.jsonl) or the review of the round-5
counterfactual rewrites (review/actors_counterfactuals.jsonl) settled them, applied in that
order; ``annotator`` records who decided.

Splits are stratified by rung and grouped: segments whose word 3-gram Jaccard
similarity is >= 0.3 are put in one group, a counterfactual rewrite (``counterfactual_of``)
joins the group of the segment it was made from, and a group never crosses splits.
Append-only: a segment already in a split file stays there (so scores before and after a
new writing round are measured on the same dev and test segments); a new group joins the
split of any placed member, else the split furthest below its share for its rung.
Deterministic (seed 13). Usage: python scripts/make_splits.py
"""

from __future__ import annotations

import collections
import glob
import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "labelled" / "raw"
OUT = ROOT / "data" / "labelled"
FRACTIONS = {"train": 0.7, "dev": 0.15, "test": 0.15}
SIMILAR = 0.3


def shingles(text: str) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i:i + 3]) for i in range(max(len(words) - 2, 0))}


def groups_of(records: list[dict]) -> list[int]:
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    position = {r["id"]: i for i, r in enumerate(records)}
    for i, r in enumerate(records):  # a counterfactual rewrite stays with the segment it was made from
        if r.get("counterfactual_of"):
            if r["counterfactual_of"] not in position:
                raise SystemExit(f"{r['id']}: counterfactual_of {r['counterfactual_of']!r} is not a segment in raw/")
            parent[find(i)] = find(position[r["counterfactual_of"]])
    sh = [shingles(r["text"]) for r in records]
    index: dict[str, list[int]] = collections.defaultdict(list)
    for i, s in enumerate(sh):
        for g in s:
            index[g].append(i)
    for i, s in enumerate(sh):
        candidates = collections.Counter(j for g in s for j in index[g] if j > i)
        for j, shared in candidates.items():
            if shared / len(s | sh[j]) >= SIMILAR:
                parent[find(i)] = find(j)
    return [find(i) for i in range(len(records))]


def main() -> None:
    records = [json.loads(line) for f in sorted(glob.glob(str(RAW / "*.jsonl"))) for line in open(f, encoding="utf-8") if line.strip()]
    overrides = [("adjudicated", OUT / "agreement" / "adjudicated.jsonl"), ("actor-review", OUT / "review" / "actors.jsonl"),
                 ("institution-review", OUT / "review" / "actors_institutions.jsonl"),
                 ("politicians-review", OUT / "review" / "actors_politicians.jsonl"),
                 ("counterfactual-review", OUT / "review" / "actors_counterfactuals.jsonl")]
    for who, path in overrides:
        if not path.is_file():
            continue
        final = {r["id"]: r for r in (json.loads(line) for line in open(path, encoding="utf-8") if line.strip())}
        for r in records:
            if r["id"] in final and final[r["id"]]["actors"] != r["actors"]:
                r["actors"] = final[r["id"]]["actors"]
                r["annotator"] = f"{r['annotator']}+{who}"
    group = groups_of(records)
    members: dict[int, list[int]] = collections.defaultdict(list)
    for i, g in enumerate(group):
        members[g].append(i)
    placed = placed_ids()
    rng = random.Random(13)
    by_rung: dict[int, list[int]] = collections.defaultdict(list)
    for g, idx in members.items():
        by_rung[max(records[i]["rung"] for i in idx)].append(g)
    split_of: dict[int, str] = {}
    crossing = 0
    for rung in sorted(by_rung):
        gs = sorted(by_rung[rung])
        rng.shuffle(gs)
        # shares count the segments written on their own: rewrites follow their source wherever it goes
        own = {g: [i for i in members[g] if not records[i].get("counterfactual_of")] for g in gs}
        total = sum(len(own[g]) for g in gs)
        filled = collections.Counter(placed[records[i]["id"]] for g in gs for i in own[g] if records[i]["id"] in placed)
        for g in gs:
            already = sorted({placed[records[i]["id"]] for i in members[g] if records[i]["id"] in placed})
            crossing += len(already) > 1
            if already:
                split_of[g] = already[0]
                filled[already[0]] += sum(records[i]["id"] not in placed for i in own[g])
                continue
            # the split that is furthest below its target share takes the group
            name = min(FRACTIONS, key=lambda s: filled[s] / (FRACTIONS[s] * total))
            split_of[g] = name
            filled[name] += len(own[g])
    for name in FRACTIONS:
        rows = [records[i] for i in range(len(records))
                if placed.get(records[i]["id"], split_of[group[i]]) == name]
        rows.sort(key=lambda r: r["id"])
        with open(OUT / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(name, len(rows), dict(sorted(collections.Counter(r["rung"] for r in rows).items())))
    print("groups with more than one segment:", sum(len(v) > 1 for v in members.values()))
    if crossing:
        print(f"{crossing} groups hold segments placed in different splits earlier; those stay where they were")


def placed_ids() -> dict[str, str]:
    """Segment id -> the split file that already holds it."""
    placed: dict[str, str] = {}
    for name in FRACTIONS:
        path = OUT / f"{name}.jsonl"
        if path.is_file():
            placed.update((json.loads(line)["id"], name) for line in open(path, encoding="utf-8") if line.strip())
    return placed


if __name__ == "__main__":
    main()
