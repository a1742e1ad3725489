#!/usr/bin/env python
"""Inter-annotator agreement on the double-labelled subset of data/labelled.

Compares the first annotation (the writers' labels, data/labelled/agreement/annotator1.jsonl)
with the independent second pass (data/labelled/agreement/annotator2.jsonl) through the
library's `pipeline.labelling.quality.agreement` (what `samskab label agreement` computes):
Cohen's kappa (unweighted and quadratic) and Krippendorff's alpha (ordinal) for the rung,
per-actor kappa and percent agreement. Writes data/labelled/agreement/report.json and the
disagreements with their texts (disagreements.jsonl: rung; actor_disagreements.jsonl: actors)
for adjudication.

Usage: python scripts/agreement.py
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AGREE = ROOT / "data" / "labelled" / "agreement"


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> dict:
    from pipeline.labelling.quality import agreement

    texts = {r["id"]: r["text"] for f in sorted((ROOT / "data" / "labelled" / "raw").glob("*.jsonl")) for r in _read(f)}
    first, second = _read(AGREE / "annotator1.jsonl"), _read(AGREE / "annotator2.jsonl")
    result = agreement([first, second], names=["annotator1", "annotator2"])
    pair = result["pairs"][0]
    report = {
        "n": pair["n_overlap"],
        "rung_percent_agreement": pair["rung"]["percent_agreement"],
        "rung_cohen_kappa": pair["rung"]["kappa"],
        "rung_cohen_kappa_quadratic": pair["rung"]["kappa_quadratic"],
        "rung_krippendorff_alpha_ordinal": result["rung_alpha_ordinal"],
        "rung_confusion_first_rows_second_cols": pair["rung"]["confusion"],
        "actors": {a: {"percent_agreement": m["percent_agreement"], "cohen_kappa": m["kappa"]} for a, m in pair["actors"].items()},
    }
    a, b = {r["id"]: r for r in first}, {r["id"]: r for r in second}
    ids = [r["id"] for r in second if r["id"] in a]
    disagreements = [{"id": i, "text": texts.get(i, ""), "first_rung": a[i]["rung"], "second_rung": b[i]["rung"],
                      "first_actors": a[i]["actors"], "second_actors": b[i]["actors"], "second_note": b[i].get("note", "")}
                     for i in ids if a[i]["rung"] != b[i]["rung"]]
    actor_dis = [{"id": i, "text": texts.get(i, ""), "rung": a[i]["rung"], "annotator1_actors": a[i]["actors"],
                  "annotator2_actors": b[i]["actors"]} for i in ids if a[i]["actors"] != b[i]["actors"]]
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
