"""PNG charts of a trend table (matplotlib, Agg backend: no display needed).

Each function takes a table from :func:`pipeline.trends.trend_table`, writes PNG files
and returns their paths; nothing is shown or printed. Labels keep Danish letters
(æ, ø, å), which the bundled DejaVu Sans font renders.
"""

from __future__ import annotations

import math
import re
import textwrap
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.codebook import RUNG_IDS
from pipeline.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

#: one colour per rung, ordered light-to-dark but every one readable on white (rung 0 a neutral grey)
RUNG_COLOURS = ("#8c8c8c", "#e6a10a", "#1b9e77", "#2c7fb8", "#253494")
INDEX_LABELS = {"mean_rung": "samskabelsesindeks (gennemsnitligt trin 0-4)",
                "share_ge3": "andel på trin 3-4",
                "share_docs_ge3": "andel dokumenter der når trin 3+"}
_WORDS = {
    "da": {"share": "andel", "over_time": "samskabelsesstigen over tid", "rung": "trin", "uncertain": "usikker",
           "distribution": "Fordeling på samskabelsesstigen", "heatmap": "Samskabelsesindeks pr. kommune og periode",
           "index": INDEX_LABELS},
    "en": {"share": "share", "over_time": "the co-creation ladder over time", "rung": "rung", "uncertain": "uncertain",
           "distribution": "Shares on the co-creation ladder", "heatmap": "Co-creation index by municipality and period",
           "index": {"mean_rung": "co-creation index (mean rung 0-4)", "share_ge3": "share at rungs 3-4",
                     "share_docs_ge3": "share of documents reaching rung 3+"}},
}


def rung_labels(lang: str = "da") -> tuple[str, ...]:
    """'3 inddragelse i drøftelse af nye løsninger', ... from the codebook (English ids for ``en``)."""
    from pipeline.presentation import rung_texts

    return tuple(r.label for r in rung_texts(lang))


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def slug(text: str) -> str:
    """A file-name-safe ASCII version of a name ('Ærø' -> 'aeroe', 'Høje-Taastrup' -> 'hoeje-taastrup')."""
    text = text.lower()
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa")):
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "x"


def _group_columns(table: pd.DataFrame) -> list[str]:
    return list(table.attrs.get("by") or [c for c in ("municipality",) if c in table.columns])


def _group_name(values: Sequence[object]) -> str:
    return " / ".join(str(v) for v in values) or "Hele landet"


def _save(fig, path: Path) -> Path:
    from pipeline.io import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return path


def band_caption(table: pd.DataFrame, lang: str = "da") -> str:
    """What the 95% bands of a trend chart cover, in Danish (or English)."""
    from pipeline.trends import ESTIMATORS_BY_NAME

    attrs = table.attrs
    spec = ESTIMATORS_BY_NAME.get(str(attrs.get("estimator", "")))
    if attrs.get("calibration"):
        n = attrs["calibration"].get("n_matched", "?")
        return (f"Bånd: 95 %-interval, korrigeret med en stikprøve på {n} kodede segmenter fra korpusset." if lang == "da"
                else f"Bands: 95% interval, corrected with a calibration sample of {n} labelled segments of this corpus.")
    if spec is None or spec.correction is None:
        return ("Bånd: 95 %-interval for klassifikatorens optælling - ikke for den sande andel (modellens fejl er ikke regnet med)."
                if lang == "da" else "Bands: 95% interval of the classifier's count, not of the true share (its errors are not included).")
    return ("Bånd: 95 %-interval med fejlrater fra skrevne eksempler - optimistisk, for modellen fejler oftere på rigtige tekster."
            if lang == "da" else "Bands: 95% interval with error rates from written examples: optimistic, the model errs more on real text.")


def plot_lines(table: pd.DataFrame, *, out_dir: str | Path, groups: Sequence[str] | None = None, lang: str = "da") -> list[Path]:
    """One chart per group: small multiples, a panel per rung with its share over time and its 95% band.

    A panel per rung keeps the bands apart (they overlap in one plot) and gives each rung
    its own y scale, so a rare rung's line is not flattened against zero.
    """
    plt = _pyplot()
    words = _WORDS[lang]
    labels = rung_labels(lang)
    out_dir = Path(out_dir)
    cols = _group_columns(table)
    written: list[Path] = []
    parts = table.groupby(cols, sort=True) if cols else [((), table)]
    for key, part in parts:
        key = key if isinstance(key, tuple) else (key,)
        name = _group_name(key)
        if groups and name not in groups and (not key or key[0] not in groups):
            continue
        part = part.sort_values("period_start")
        x = list(range(len(part)))
        ticks = part["period"].astype(str).tolist()
        fig, axes = plt.subplots(1, len(RUNG_IDS), figsize=(13, 3.4), sharex=True)
        for k, ax in enumerate(axes):
            y = part[f"share_rung_{k}"].to_numpy(dtype=float)
            lo, hi = part.get(f"share_rung_{k}_lo"), part.get(f"share_rung_{k}_hi")
            top = y
            if lo is not None and hi is not None:
                hi_values = hi.to_numpy(dtype=float)
                lo_values = lo.to_numpy(dtype=float)
                ax.fill_between(x, lo_values, hi_values, color=RUNG_COLOURS[k], alpha=0.18, linewidth=0)
                # a whisker per point: a band needs two neighbouring periods, a lone period keeps its interval too
                ax.vlines(x, lo_values, hi_values, color=RUNG_COLOURS[k], alpha=0.45, linewidth=1.2)
                top = hi_values
            ax.plot(x, y, marker="o", ms=4, lw=2.2, color=RUNG_COLOURS[k])
            finite = [v for v in top if v == v]
            ax.set_ylim(0, min(1.0, max(0.1, 1.15 * max(finite))) if finite else 1.0)
            ax.yaxis.set_major_formatter(lambda v, _pos: f"{100 * v:.0f} %" if lang == "da" else f"{100 * v:.0f}%")
            ax.set_title(textwrap.fill(labels[k], 28), fontsize=8.5, color=RUNG_COLOURS[k], loc="left")
            step = max(1, math.ceil(len(x) / 6))  # at most six labels a panel
            ax.set_xticks(x[::step], ticks[::step], rotation=45 if len(x) > 3 else 0, ha="right" if len(x) > 3 else "center", fontsize=7)
            ax.tick_params(axis="y", labelsize=7)
            ax.grid(alpha=0.3)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        axes[0].set_ylabel(words["share"])
        fig.suptitle(f"{name}: {words['over_time']}", x=0.01, ha="left", fontsize=11)
        fig.tight_layout()
        fig.text(0.01, -0.02, band_caption(table, lang), fontsize=8, ha="left", va="top")
        written.append(_save(fig, out_dir / f"trend_{slug(name)}.png"))
    return written


def plot_heatmap(table: pd.DataFrame, *, out: str | Path, metric: str = "mean_rung", lang: str = "da") -> Path:
    """Group x period heat map of the co-creation index (empty periods left blank)."""
    import numpy as np

    if metric not in INDEX_LABELS:
        raise DataError(detail=f"heat map metric {metric!r}; choose one of {', '.join(INDEX_LABELS)}")
    plt = _pyplot()
    cols = _group_columns(table)
    frame = table.assign(_group=table[cols].astype(str).agg(" / ".join, axis=1) if cols else "Hele landet")
    periods = frame.drop_duplicates("period").sort_values("period_start")["period"].astype(str).tolist()
    grid = frame.assign(period=frame["period"].astype(str)).pivot(index="_group", columns="period", values=metric)
    grid = grid.reindex(columns=periods).sort_index()
    values = grid.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(max(5, 0.6 * len(periods) + 3), max(2.5, 0.35 * len(grid) + 1.5)))
    vmax = 4 if metric == "mean_rung" else 1
    image = ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap="viridis", vmin=0, vmax=vmax)
    ax.set_xticks(range(len(periods)), periods, rotation=45, ha="right")
    ax.set_yticks(range(len(grid)), grid.index.tolist())
    fig.colorbar(image, ax=ax, label=_WORDS[lang]["index"][metric])
    ax.set_title(_WORDS[lang]["heatmap"])
    return _save(fig, Path(out))


def plot_stacked(table: pd.DataFrame, *, out: str | Path, groups: Sequence[str] | None = None, period: str | None = None,
                 lang: str = "da") -> Path:
    """Stacked bars of the rung shares, one bar per group, for one period (default: latest with data)."""
    plt = _pyplot()
    cols = _group_columns(table)
    frame = table.assign(_group=table[cols].astype(str).agg(" / ".join, axis=1) if cols else "Hele landet")
    if groups:
        frame = frame[frame["_group"].isin(groups) | (frame[cols[0]].astype(str).isin(groups) if cols else False)]
    filled = frame[frame["n_documents"] > 0]
    if filled.empty:
        raise DataError(detail="nothing to plot: no period with documents for the chosen groups")
    if period is None:
        period = str(filled.sort_values("period_start")["period"].iloc[-1])
    chosen = frame[frame["period"].astype(str) == period].sort_values("_group")
    fig, ax = plt.subplots(figsize=(max(5, 0.7 * len(chosen) + 3), 4.5))
    bottom = [0.0] * len(chosen)
    names = chosen["_group"].tolist()
    labels = [textwrap.fill(label, 32) for label in rung_labels(lang)]
    for k in range(len(RUNG_IDS)):
        share = chosen[f"share_rung_{k}"].fillna(0).to_numpy(dtype=float)
        ax.bar(names, share, bottom=bottom, color=RUNG_COLOURS[k], label=labels[k])
        bottom = [b + s for b, s in zip(bottom, share)]
    if "uncertain_share" in chosen and chosen["estimator"].eq("cc").all():
        unc = chosen["uncertain_share"].fillna(0).to_numpy(dtype=float)
        ax.bar(names, unc, bottom=bottom, color="white", edgecolor="#999999", hatch="//", label=_WORDS[lang]["uncertain"])
    ax.set_ylim(0, 1)
    ax.set_ylabel(_WORDS[lang]["share"])
    ax.set_title(f"{_WORDS[lang]['distribution']}, {period}")
    ax.tick_params(axis="x", rotation=45 if len(names) > 4 else 0)
    handles, names_ = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], names_[::-1], fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    return _save(fig, Path(out))


def write_plots(table: pd.DataFrame, *, out_dir: str | Path, groups: Sequence[str] | None = None, lang: str = "da") -> list[Path]:
    """All charts for a table: a line chart per group, the heat map and the stacked bars."""
    out_dir = Path(out_dir)
    paths = plot_lines(table, out_dir=out_dir, groups=groups, lang=lang)
    paths.append(plot_heatmap(table, out=out_dir / "heatmap_mean_rung.png", lang=lang))
    if (table["n_documents"] > 0).any():
        paths.append(plot_stacked(table, out=out_dir / "stacked_latest.png", groups=groups, lang=lang))
    return paths
