#!/usr/bin/env python
"""Inter-annotator agreement on the double-labelled subset of data/labelled.

Compares the first annotation (the writers' labels, data/labelled/agreement/annotator1.jsonl)
with the independent second pass (data/labelled/agreement/annotator2.jsonl): Cohen's kappa
(unweighted and quadratic) and Krippendorff's alpha (ordinal) for the rung, per-actor
kappa and percent agreement. Writes data/labelled/agreement/report.json and the list of
disagreements (disagreements.jsonl: rung; actor_disagreements.jsonl: actors) for adjudication.

Usage: python scripts/agreement.py
"""

from __future__ import annotations

import glob
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AGREE = ROOT / "data" / "labelled" / "agreement"
ACTORS = ["politicians", "administration", "professionals", "citizens", "civil_society", "businesses"]


def main() -> dict:
    import krippendorff
    import numpy as np
    from sklearn.metrics import cohen_kappa_score, confusion_matrix

    texts = {}
    for f in sorted(glob.glob(str(ROOT / "data" / "labelled" / "raw" / "*.jsonl"))):
        for line in open(f, encoding="utf-8"):
            if line.strip():
                r = json.loads(line)
                texts[r["id"]] = r["text"]
    first = {r["id"]: {**r, "text": texts.get(r["id"], "")} for r in
             (json.loads(line) for line in open(AGREE / "annotator1.jsonl", encoding="utf-8") if line.strip())}
    second = [json.loads(line) for line in open(AGREE / "annotator2.jsonl", encoding="utf-8") if line.strip()]
    ids = [r["id"] for r in second if r["id"] in first]
    a = np.array([first[i]["rung"] for i in ids])
    b = np.array([r["rung"] for r in second if r["id"] in first])
    report = {
        "n": len(ids),
        "rung_percent_agreement": float((a == b).mean()),
        "rung_cohen_kappa": float(cohen_kappa_score(a, b)),
        "rung_cohen_kappa_quadratic": float(cohen_kappa_score(a, b, weights="quadratic")),
        "rung_krippendorff_alpha_ordinal": float(krippendorff.alpha(reliability_data=np.vstack([a, b]), level_of_measurement="ordinal")),
        "rung_confusion_first_rows_second_cols": confusion_matrix(a, b, labels=range(5)).tolist(),
        "actors": {},
    }
    sec = {r["id"]: r for r in second}
    for actor in ACTORS:
        x = np.array([actor in first[i]["actors"] for i in ids])
        y = np.array([actor in sec[i]["actors"] for i in ids])
        report["actors"][actor] = {"percent_agreement": float((x == y).mean()), "cohen_kappa": float(cohen_kappa_score(x, y))}
    disagreements = [{"id": i, "text": first[i]["text"], "first_rung": first[i]["rung"], "second_rung": sec[i]["rung"],
                      "first_actors": first[i]["actors"], "second_actors": sec[i]["actors"], "second_note": sec[i].get("note", "")}
                     for i in ids if first[i]["rung"] != sec[i]["rung"]]
    actor_dis = [{"id": i, "text": first[i]["text"], "rung": first[i]["rung"], "annotator1_actors": first[i]["actors"],
                  "annotator2_actors": sec[i]["actors"]} for i in ids if first[i]["actors"] != sec[i]["actors"]]
    report["actor_lists_identical"] = 1 - len(actor_dis) / len(ids)
    (AGREE / "actor_disagreements.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in actor_dis), encoding="utf-8")
    (AGREE / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (AGREE / "disagreements.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in disagreements), encoding="utf-8")
    return report


if __name__ == "__main__":
    rep = main()
    print(f"double-labelled segments: {rep['n']}")
    print(f"rung: agreement {rep['rung_percent_agreement']:.3f}, Cohen's kappa {rep['rung_cohen_kappa']:.3f}, "
          f"quadratic-weighted kappa {rep['rung_cohen_kappa_quadratic']:.3f}, Krippendorff's alpha (ordinal) {rep['rung_krippendorff_alpha_ordinal']:.3f}")
    for actor, m in rep["actors"].items():
        print(f"  {actor:15s} agreement {m['percent_agreement']:.3f}  kappa {m['cohen_kappa']:.3f}")
