"""PNG charts of a trend table (matplotlib, Agg backend: no display needed).

Each function takes a table from :func:`pipeline.trends.trend_table`, writes PNG files
and returns their paths; nothing is shown or printed. Labels keep Danish letters
(æ, ø, å), which the bundled DejaVu Sans font renders.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.codebook import RUNG_IDS
from pipeline.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

RUNG_NAMES_DA = ("0 ingen samskabelse", "1 bidrager til egen velfærd", "2 frivillige for andre",
                 "3 inddragelse i drøftelse", "4 ligeværdigt samarbejde")
RUNG_COLOURS = ("#bdbdbd", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
INDEX_LABELS = {"mean_rung": "samskabelsesindeks (gennemsnitligt trin 0-4)",
                "share_ge3": "andel på trin 3-4",
                "share_docs_ge3": "andel dokumenter der når trin 3+"}


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


def band_caption(table: pd.DataFrame) -> str:
    """What the 95% bands of a trend chart cover, in Danish."""
    from pipeline.trends import ESTIMATORS_BY_NAME

    attrs = table.attrs
    spec = ESTIMATORS_BY_NAME.get(str(attrs.get("estimator", "")))
    if attrs.get("calibration"):
        return f"Bånd: 95 %-interval, korrigeret med en stikprøve på {attrs['calibration'].get('n_matched', '?')} kodede segmenter fra korpusset."
    if spec is None or spec.correction is None:
        return "Bånd: 95 %-interval for klassifikatorens optælling - ikke for den sande andel (modellens fejl er ikke regnet med)."
    return "Bånd: 95 %-interval med fejlrater fra skrevne eksempler - optimistisk, for modellen fejler oftere på rigtige tekster."


def plot_lines(table: pd.DataFrame, *, out_dir: str | Path, groups: Sequence[str] | None = None) -> list[Path]:
    """One line chart per group: the share at each rung over time, 95% interval bands."""
    plt = _pyplot()
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
        fig, ax = plt.subplots(figsize=(8, 4.2))
        for k in range(len(RUNG_IDS)):
            y = part[f"share_rung_{k}"].to_numpy(dtype=float)
            ax.plot(x, y, marker="o", ms=3, color=RUNG_COLOURS[k], label=RUNG_NAMES_DA[k])
            lo, hi = part.get(f"share_rung_{k}_lo"), part.get(f"share_rung_{k}_hi")
            if lo is not None and hi is not None:
                ax.fill_between(x, lo.to_numpy(dtype=float), hi.to_numpy(dtype=float), color=RUNG_COLOURS[k], alpha=0.15, linewidth=0)
        ax.set_xticks(x, part["period"].astype(str).tolist(), rotation=45 if len(x) > 8 else 0, ha="right" if len(x) > 8 else "center")
        ax.set_ylim(0, 1)
        ax.set_ylabel("andel")
        estimator = table.attrs.get("estimator", "")
        ax.set_title(f"{name}: samskabelsesstigen over tid ({estimator})")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
        fig.text(0.01, -0.02, band_caption(table), fontsize=7, ha="left", va="top", wrap=True)
        ax.grid(alpha=0.3)
        written.append(_save(fig, out_dir / f"trend_{slug(name)}.png"))
    return written


def plot_heatmap(table: pd.DataFrame, *, out: str | Path, metric: str = "mean_rung") -> Path:
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
    fig.colorbar(image, ax=ax, label=INDEX_LABELS[metric])
    ax.set_title(f"Samskabelsesindeks pr. kommune og periode ({table.attrs.get('estimator', '')})")
    return _save(fig, Path(out))


def plot_stacked(table: pd.DataFrame, *, out: str | Path, groups: Sequence[str] | None = None, period: str | None = None) -> Path:
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
    for k in range(len(RUNG_IDS)):
        share = chosen[f"share_rung_{k}"].fillna(0).to_numpy(dtype=float)
        ax.bar(names, share, bottom=bottom, color=RUNG_COLOURS[k], label=RUNG_NAMES_DA[k])
        bottom = [b + s for b, s in zip(bottom, share)]
    if "uncertain_share" in chosen and chosen["estimator"].eq("cc").all():
        unc = chosen["uncertain_share"].fillna(0).to_numpy(dtype=float)
        ax.bar(names, unc, bottom=bottom, color="white", edgecolor="#999999", hatch="//", label="usikker")
    ax.set_ylim(0, 1)
    ax.set_ylabel("andel")
    ax.set_title(f"Fordeling på samskabelsesstigen, {period}")
    ax.tick_params(axis="x", rotation=45 if len(names) > 4 else 0)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    return _save(fig, Path(out))


def write_plots(table: pd.DataFrame, *, out_dir: str | Path, groups: Sequence[str] | None = None) -> list[Path]:
    """All charts for a table: a line chart per group, the heat map and the stacked bars."""
    out_dir = Path(out_dir)
    paths = plot_lines(table, out_dir=out_dir, groups=groups)
    paths.append(plot_heatmap(table, out=out_dir / "heatmap_mean_rung.png"))
    if (table["n_documents"] > 0).any():
        paths.append(plot_stacked(table, out=out_dir / "stacked_latest.png", groups=groups))
    return paths
