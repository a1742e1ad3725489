"""The charts of the municipality and compare pages, as PNG data URIs (no external asset)."""

from __future__ import annotations

import base64
import io
import math
import tempfile
import threading
from typing import Any

_PLOT_LOCK = threading.Lock()  # pyplot keeps global state; one chart at a time


def _png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def index_chart(series: dict[str, list[dict[str, Any]]], national: list[dict[str, Any]]) -> str:
    """Mean rung and share at rungs 3-4 per period, one line per municipality and a dashed national line."""
    from matplotlib.figure import Figure

    periods = [r["period"] for r in national]
    fig = Figure(figsize=(9, 3.4), dpi=100)
    axes = fig.subplots(1, 2)
    palette = ("#08519c", "#d95f02", "#1b9e77", "#7570b3")
    for ax, metric, label, top in ((axes[0], "mean_rung", "samskabelsesindeks (gns. trin 0-4)", 4),
                                   (axes[1], "share_ge3", "andel på trin 3-4", 1)):
        for (name, rows), colour in zip(series.items(), palette):
            by_period = {r["period"]: r.get(metric) for r in rows}
            y = [by_period.get(p) for p in periods]
            ax.plot(range(len(periods)), [math.nan if v is None else v for v in y], marker="o", color=colour, label=name)
        ax.plot(range(len(periods)), [math.nan if r.get(metric) is None else r[metric] for r in national], linestyle="--",
                color="#777777", label="hele landet")
        ax.set_xticks(range(len(periods)), periods, rotation=45 if len(periods) > 6 or len(max(periods, key=len, default="")) > 5 else 0,
                      ha="right" if len(periods) > 6 or len(max(periods, key=len, default="")) > 5 else "center")
        ax.set_ylim(0, top)
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return _png_uri(buffer.getvalue())


def rung_chart(table) -> str | None:  # noqa: ANN001
    """The share at each rung over time for one municipality (pipeline.plots.plot_lines), as a data URI."""
    from pipeline import plots

    if not len(table) or not (table["n_documents"] > 0).any():
        return None
    with _PLOT_LOCK, tempfile.TemporaryDirectory(prefix="samskab-chart-") as tmp:
        shown = table.copy()
        shown.attrs = {**table.attrs, "estimator": "skøn"}  # the chart title names no estimator jargon ("cc") for readers
        paths = plots.plot_lines(shown, out_dir=tmp)
        return _png_uri(paths[0].read_bytes()) if paths else None
