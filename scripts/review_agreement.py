#!/usr/bin/env python
"""Agreement of a blind actor labelling with the reviewed labels (2026-12-06 reviews).

150 segments drawn from the two actor reviews (75 from review/actors_institutions.jsonl, 75
from review/actors_politicians.jsonl) were labelled for actors only by an annotator who saw
the texts, CODEBOOK.md and the codebook's notes, not any labels
(agreement/review_2026-12-06/blind_actors.jsonl). Prints actors micro-F1 and per-actor Cohen's
kappa of the blind labels against the final labels and against the labels before the review.

Usage: python scripts/review_agreement.py
"""

from __future__ import annotations

from pathlib import Path

from sklearn.metrics import cohen_kappa_score, f1_score

LABELLED = Path(__file__).resolve().parent.parent / "data" / "labelled"


def main() -> None:
    from pipeline.codebook import load_codebook
    from pipeline.io import read_records
    from pipeline.labels import actor_matrix

    codebook = load_codebook()
    actors = codebook.actor_ids
    final = {r["id"]: r["actors"] for split in ("train", "dev", "test") for r in read_records(LABELLED / f"{split}.jsonl")}
    before: dict[str, list[str]] = {}
    for name in ("actors_institutions", "actors_politicians"):
        for r in read_records(LABELLED / "review" / f"{name}.jsonl"):
            before.setdefault(r["id"], r["before"])  # the labels as they were before either review
    blind = read_records(LABELLED / "agreement" / "review_2026-12-06" / "blind_actors.jsonl")

    def matrix(lists) -> object:  # noqa: ANN001 - actor lists -> the 0/1 matrix labels.actor_matrix makes
        return actor_matrix([{"actors": chosen} for chosen in lists], codebook)

    b = matrix(r["actors"] for r in blind)
    for name, ref in (("final", matrix(final[r["id"]] for r in blind)), ("before review", matrix(before[r["id"]] for r in blind))):
        kappas = ", ".join(f"{a} {cohen_kappa_score(ref[:, i], b[:, i]):.2f}" for i, a in enumerate(actors))
        print(f"blind vs {name} ({len(blind)} segments): actors micro-F1 {f1_score(ref, b, average='micro'):.3f}; kappa: {kappas}")


if __name__ == "__main__":
    main()
