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


def shifted_population(prevalence, n=200, *, muni="Odense", prefix="p"):
    """One-segment documents whose true rungs follow ``prevalence``, read with shifted_heldout's confusion
    (rung i as i 70% and as i+1 (mod 5) 30% of the time). Returns (records, {id: true rung})."""
    out, truth = [], {}
    for i, share in enumerate(prevalence):
        count = round(n * share)
        for j in range(count):
            pred = i if j < 0.7 * count else (i + 1) % 5
            proba = [0.025] * 5
            proba[pred] = 0.9
            out.append(seg(f"{prefix}{i}-{j}", f"{prefix}d{i}-{j}", muni, 2020, proba))
            truth[f"{prefix}{i}-{j}"] = i
    return out, truth
