#!/usr/bin/env python3
"""Check raw hand-written label files before they are merged into data/labelled.

Usage: python3 scripts/check_raw_labels.py data/labelled/raw/h1_*.jsonl

Prints counts per rung, actor, genre, topic, municipality, year, hard negatives,
and flags invalid records and near-duplicate pairs (word 3-gram Jaccard >= 0.5).
Standard library only so that writers can run it anywhere.
"""
from __future__ import annotations

import collections
import json
import re
import sys
from pathlib import Path

ACTORS = ["politicians", "administration", "professionals", "citizens", "civil_society", "businesses"]
GENRES = {"dagsordenspunkt", "referat", "projektbeskrivelse", "politik_strategi", "hoeringsnotat", "evaluering", "kommunal_nyhed",
          "lokalavis", "webside", "budgetforslag"}
TOPICS = {"aeldre", "skole_dagtilbud", "beskaeftigelse", "social", "sundhed", "klima_miljoe", "plan_byudvikling", "kultur_fritid", "integration", "oekonomi_budget", "teknik_veje"}
FIELDS = {"id", "text", "rung", "actors", "genre", "topic", "municipality", "year", "source", "annotator", "hard_negative"}
# counterfactual rewrites (round 5) also name their source segment and the kind of rewrite
OPTIONAL = {"counterfactual_of", "flip"}
FLIPS = {"G1", "G2", "G3", "G4", "G5", "G6", "R3", "R4", "R6", "RH", "R7", "RS"}
RAW = Path(__file__).resolve().parent.parent / "data" / "labelled" / "raw"


def shingles(text: str) -> set:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + 3]) for i in range(max(len(words) - 2, 0))}


def main(paths: list[str]) -> int:
    records, errors = [], 0
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as e:
                    print(f"ERROR {path}:{n}: not JSON ({e})"); errors += 1; continue
                problems = []
                if not FIELDS <= set(rec) <= FIELDS | OPTIONAL:
                    problems.append(f"fields differ: missing {sorted(FIELDS - set(rec))} extra {sorted(set(rec) - FIELDS - OPTIONAL)}")
                if rec.get("rung") not in (0, 1, 2, 3, 4):
                    problems.append(f"rung {rec.get('rung')!r}")
                acts = rec.get("actors", [])
                if not isinstance(acts, list) or any(a not in ACTORS for a in acts) or acts != [a for a in ACTORS if a in acts]:
                    problems.append(f"actors {acts!r} (must be ids in codebook order)")
                if rec.get("genre") not in GENRES:
                    problems.append(f"genre {rec.get('genre')!r}")
                if rec.get("topic") not in TOPICS:
                    problems.append(f"topic {rec.get('topic')!r}")
                if not isinstance(rec.get("year"), int) or not 2007 <= rec["year"] <= 2025:
                    problems.append(f"year {rec.get('year')!r}")
                if rec.get("hard_negative") and rec.get("rung") != 0:
                    problems.append("hard_negative only for rung 0")
                if "counterfactual_of" in rec or "flip" in rec:
                    if rec.get("rung") != 0:
                        problems.append("a counterfactual rewrite must be rung 0")
                    if str(rec.get("flip", "")).split(" ")[0] not in FLIPS:
                        problems.append(f"flip {rec.get('flip')!r} (one of {sorted(FLIPS)})")
                if len(str(rec.get("text", "")).split()) < 15:
                    problems.append("text shorter than 15 words")
                if problems:
                    print(f"ERROR {path}:{n} id={rec.get('id')}: " + "; ".join(problems)); errors += 1
                rec["_where"] = f"{path}:{n}"
                records.append(rec)
    ids = collections.Counter(r.get("id") for r in records)
    for i, c in ids.items():
        if c > 1:
            print(f"ERROR duplicate id {i} ({c} times)"); errors += 1
    raw_ids = {json.loads(line).get("id") for f in RAW.glob("*.jsonl") for line in open(f, encoding="utf-8") if line.strip()}
    for r in records:
        if r.get("counterfactual_of") and r["counterfactual_of"] not in raw_ids | set(ids):
            print(f"ERROR {r['_where']} id={r.get('id')}: counterfactual_of {r['counterfactual_of']!r} is no segment in {RAW}"); errors += 1
    sh = [shingles(r.get("text", "")) for r in records]
    for i in range(len(records)):
        for j in range(i + 1, len(records)):
            a, b = sh[i], sh[j]
            pair = records[i].get("counterfactual_of") == records[j].get("id") or records[j].get("counterfactual_of") == records[i].get("id")
            if a and b and not pair and len(a & b) / len(a | b) >= 0.5:  # a rewrite may stay close to its source
                print(f"NEAR-DUPLICATE {records[i]['id']} ~ {records[j]['id']} ({records[i]['_where']} / {records[j]['_where']})"); errors += 1
    print(f"records: {len(records)}")
    for key in ("rung", "genre", "topic", "municipality", "year"):
        print(f"{key}: " + ", ".join(f"{k}={v}" for k, v in sorted(collections.Counter(r.get(key) for r in records).items(), key=lambda kv: str(kv[0]))))
    print("hard negatives:", sum(bool(r.get("hard_negative")) for r in records))
    print("actors: " + ", ".join(f"{a}={sum(a in r.get('actors', []) for r in records)}" for a in ACTORS))
    lens = sorted(len(r.get("text", "").split()) for r in records)
    if lens:
        print(f"words per text: min {lens[0]}, median {lens[len(lens)//2]}, max {lens[-1]}")
    print(f"errors: {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
