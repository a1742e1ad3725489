"""A random sample of a corpus's segments to label, for calibrating trend estimates.

The trends (``samskab trends --calibration``) correct the model's counts with a labelled
sample of the corpus itself, so the sample must be random: every counted segment has a
known chance to be drawn. Noise segments and segments in other languages are never
counted by the trends, so they are not drawn either.

Without ``stratify`` the sample is a simple random sample (every weight N/n). With
``stratify=FIELD`` every stratum (e.g. each municipality) gets an equal share of the
labels, as far as it has segments, so thin strata still get their own calibration; each
item records its stratum and its weight N_h / n_h (segments it stands for), which the
trends use to weight the corpus-wide correction.

The model's predictions are not copied into the sample, so annotators are not anchored
by them (``samskab label export --model`` can still pre-fill the choices on purpose).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import DataError

#: Prediction fields left out of a sample (see the module docstring).
HIDDEN_FIELDS = frozenset({"rung", "rung_label", "rung_proba", "actors", "actor_proba", "evidence", "skipped"})
UNKNOWN_STRATUM = "(unknown)"


@dataclass
class SampleSummary:
    """What was drawn: population and sample size per stratum, and what was not eligible."""

    population: int
    drawn: int
    seed: int
    stratify: str | None
    per_stratum: dict[str, tuple[int, int]] = field(default_factory=dict)  # stratum -> (N_h, n_h)
    left_out: dict[str, int] = field(default_factory=dict)


def _allocate(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """Equal allocation: strata in turn get one more label until n is reached or all are used up."""
    take = dict.fromkeys(sizes, 0)
    left = n
    while left > 0:
        open_strata = [s for s in sorted(sizes) if take[s] < sizes[s]]
        if not open_strata:
            break
        for s in open_strata:
            if left == 0:
                break
            take[s] += 1
            left -= 1
    return take


def draw_sample(segments: Iterable[Mapping[str, Any]], *, n: int, seed: int = 13, stratify: str | None = None,
                languages: Sequence[str] | None = ("da", "und")) -> tuple[list[dict[str, Any]], SampleSummary]:
    """A random sample of ``n`` segments (all of them if fewer), with ``sample_weight`` and ``sample_stratum``."""
    import numpy as np

    from pipeline.trends.features import leave_out_reason

    if n < 1:
        raise DataError(detail=f"--n must be at least 1, got {n}")
    strata: dict[str, list[dict[str, Any]]] = {}
    left_out: dict[str, int] = {}
    for i, s in enumerate(segments):
        why = leave_out_reason(s, languages)
        if why:
            left_out[why] = left_out.get(why, 0) + 1
            continue
        if s.get("id") in (None, ""):
            raise DataError(detail=f"segment {i + 1} has no id; samples are matched to predictions by id")
        key = UNKNOWN_STRATUM if stratify is None else (str(s.get(stratify)) if s.get(stratify) not in (None, "") else UNKNOWN_STRATUM)
        strata.setdefault("all" if stratify is None else key, []).append(dict(s))
    population = sum(len(v) for v in strata.values())
    if population == 0:
        raise DataError(detail="no segments to sample (all are noise, in another language, or the input is empty)")
    sizes = {k: len(v) for k, v in strata.items()}
    take = {"all": min(n, population)} if stratify is None else _allocate(sizes, n)
    rng = np.random.default_rng(seed)
    sample: list[dict[str, Any]] = []
    for key in sorted(strata):
        members, k = strata[key], take[key]
        if not k:
            continue
        for idx in sorted(rng.choice(len(members), size=k, replace=False)):
            record = {f: v for f, v in members[idx].items() if f not in HIDDEN_FIELDS}
            record.update(sample_stratum=key, sample_weight=len(members) / k, sample_seed=seed)
            sample.append(record)
    order = rng.permutation(len(sample))  # annotators see strata mixed, not one after the other
    sample = [sample[i] for i in order]
    summary = SampleSummary(population=population, drawn=len(sample), seed=seed, stratify=stratify,
                            per_stratum={k: (sizes[k], take[k]) for k in sorted(strata)}, left_out=left_out)
    return sample, summary


def sample_for_labelling(input_path: str | Path | None, out: str | Path, *, db: str | Path | None = None, n: int = 200,
                         seed: int = 13, stratify: str | None = None) -> SampleSummary:
    """Draw a sample from a segments/predictions file or the corpus store and write it to ``out``."""
    from pipeline.sources import open_source
    from pipeline.io import write_records

    source = open_source(input_path, db=db)
    sample, summary = draw_sample((s for batch in source.batches() for s in batch), n=n, seed=seed, stratify=stratify)
    write_records(out, sample)
    return summary
