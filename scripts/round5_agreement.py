#!/usr/bin/env python
"""Blind check of round 5's counterfactual rewrites (data/labelled/raw/h20_*..h25_*).

180 segments (120 rewrites drawn at random from the 394 kept, mixed with 60 concrete train
segments so that the annotator could not assume every text was rung 0) were labelled for rung
and actors by an annotator who saw only the texts, CODEBOOK.md and the codebook's notes
(agreement/round5/blind.jsonl). Prints, for rewrites and originals separately, how often the
blind rung equals the final label, Cohen's kappa over all 180, and actors micro-F1.

Usage: python scripts/round5_agreement.py
"""

from __future__ import annotations

import collections
from pathlib import Path

from sklearn.metrics import cohen_kappa_score, f1_score

LABELLED = Path(__file__).resolve().parent.parent / "data" / "labelled"


def main() -> None:
    from pipeline.codebook import load_codebook
    from pipeline.io import read_records
    from pipeline.labels import actor_matrix

    codebook = load_codebook()
    actors = codebook.actor_ids
    final = {r["id"]: r for split in ("train", "dev", "test") for r in read_records(LABELLED / f"{split}.jsonl")}
    blind = read_records(LABELLED / "agreement" / "round5" / "blind.jsonl")

    def matrix(lists) -> object:  # noqa: ANN001 - actor lists -> the 0/1 matrix labels.actor_matrix makes
        return actor_matrix([{"actors": chosen} for chosen in lists], codebook)

    for name, keep in (("rewrites", lambda r: final[r["id"]].get("counterfactual_of")),
                       ("concrete originals", lambda r: not final[r["id"]].get("counterfactual_of"))):
        rows = [r for r in blind if keep(r)]
        same = sum(r["rung"] == final[r["id"]]["rung"] for r in rows)
        ref, got = matrix(final[r["id"]]["actors"] for r in rows), matrix(r["actors"] for r in rows)
        print(f"{name} ({len(rows)}): blind rung = final rung {same}/{len(rows)} ({same / len(rows):.3f}); "
              f"blind rungs {dict(sorted(collections.Counter(r['rung'] for r in rows).items()))}; "
              f"actors micro-F1 {f1_score(ref, got, average='micro'):.3f}")
    kappa = cohen_kappa_score([final[r["id"]]["rung"] for r in blind], [r["rung"] for r in blind])
    print(f"all ({len(blind)}): rung Cohen's kappa {kappa:.3f}")


if __name__ == "__main__":
    main()
