"""Record builders shared by the trend tests and their conftest."""

from __future__ import annotations


def seg(id, doc, muni, year, proba, *, vocab=None, actors=(), evidence=(), **extra):
    record = {"id": id, "doc_id": doc, "municipality": muni, "year": year, "rung_proba": list(proba),
              "rung": max(range(5), key=lambda k: proba[k]), "actors": list(actors), "evidence": list(evidence)}
    if vocab is not None:
        record["vocab"] = vocab
    record.update(extra)
    return record


def shifted_heldout(per_class: int = 100) -> list[dict]:
    """A held-out set with a known confusion: true rung i is predicted i 70% and i+1 (mod 5) 30%."""
    out = []
    for i in range(5):
        for j in range(per_class):
            pred = i if j < 0.7 * per_class else (i + 1) % 5
            proba = [0.025] * 5
            proba[pred] = 0.9
            out.append({"id": f"h{i}-{j}", "rung_true": i, "rung_proba": proba})
    return out
