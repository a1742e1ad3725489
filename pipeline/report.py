"""A self-contained HTML report of the trends: one file, no server, no external assets.

Charts are embedded as base64 PNG data URIs, every text from the corpus or the model
folder is HTML-escaped by Jinja2's autoescaping, and links point only to http(s) URLs
or local ``file:`` paths of the source documents.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pipeline.codebook import RUNG_IDS

TEMPLATE = r"""<!DOCTYPE html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
h1, h2, h3 { color: #08306b; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .85rem; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: right; }
th:first-child, td:first-child, td.text { text-align: left; }
th { background: #f0f4fa; }
tr.low td { color: #999; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: .5rem 1rem; }
blockquote { margin: .3rem 0 .6rem 1rem; padding-left: .8rem; border-left: 3px solid #6baed6; }
.muted { color: #777; font-size: .85rem; }
img { max-width: 100%; }
pre { white-space: pre-wrap; background: #f7f7f7; padding: .5rem; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="muted">Generated {{ generated }} from {{ attrs.n_records }} predicted segments ({{ attrs.n_dropped }} without a date left out);
unit: {{ attrs.unit }}, period: {{ attrs.period }}, grouped by {{ attrs.by | join(", ") or "nothing (national)" }}.
Cells with fewer than {{ attrs.min_support }} documents are greyed out (low support).</p>

<h2>Estimator</h2>
<p>Used: <b>{{ attrs.estimator }}</b> (requested: {{ attrs.estimator_requested }}). Why: {{ attrs.estimator_reason }}</p>
{% if attrs.estimator_errors %}
<table><tr><th>estimator</th><th>mean absolute error on held-out</th></tr>
{% for name, err in attrs.estimator_errors.items() %}<tr><td>{{ name }}</td><td>{{ "%.4f" | format(err) }}</td></tr>{% endfor %}
</table>{% endif %}
<p>Intervals: {{ attrs.ci_method }}. Threshold for classify-and-count: {{ attrs.threshold }}. Held-out segments: {{ attrs.n_heldout }}.</p>
<p>Error rates from: <b>{{ trends.error_source }}</b>{% if trends.calibration %}: {{ trends.calibration.n_matched }} of {{ trends.calibration.n_labels }} labels matched;
{{ trends.calibration.cells_borrowing }} cells with fewer than {{ trends.calibration.min_cell_labels }} labels borrow the corpus-wide error rates{% else %}.
Without a calibration sample of your own documents the intervals are optimistic: the model errs more on real text than on written examples
(real-text figures: {{ trends.model_real_text }}){% endif %}.</p>
<p class="muted">Left out: {{ trends.left_out.noise }} noise segments, {{ trends.left_out.non_danish }} not in Danish, {{ trends.left_out.no_date }} without a date.</p>
{% if attrs.warnings %}<div class="note"><b>Warnings</b><ul>{% for w in attrs.warnings %}<li>{{ w }}</li>{% endfor %}</ul></div>{% endif %}

<h2>National trend</h2>
<table>
<tr><th>period</th><th>documents</th><th>segments</th>{% for k in rungs %}<th>rung {{ k }}</th>{% endfor %}<th>rung &ge; 3 (95% CI)</th><th>mean rung</th><th>talk / practice</th></tr>
{% for r in national %}<tr><td>{{ r.period }}</td><td>{{ r.n_documents }}</td><td>{{ r.n_segments }}</td>
{% for k in rungs %}<td>{{ r["share_rung_%d" % k] | pct }}</td>{% endfor %}
<td>{{ r.share_ge3 | pct }} ({{ r.share_ge3_lo | pct }}&ndash;{{ r.share_ge3_hi | pct }})</td><td>{{ r.mean_rung | num }}</td><td>{{ r.talk_practice_ratio | num }}</td></tr>
{% endfor %}</table>

{% if images.heatmap %}<h2>Co-creation index by municipality and period</h2>
<img alt="heat map of the mean rung" src="{{ images.heatmap }}">{% endif %}

<h2>Latest period per group</h2>
<table>
<tr><th>group</th><th>period</th><th>documents</th><th>rung &ge; 3 (95% CI)</th><th>vs national</th><th>documents reaching 3+</th><th>mean rung (95% CI)</th><th>talk / practice</th></tr>
{% for r in latest %}<tr class="{{ 'low' if r.low_support else '' }}"><td>{{ r.group }}</td><td>{{ r.period }}</td><td>{{ r.n_documents }}</td>
<td>{{ r.share_ge3 | pct }} ({{ r.share_ge3_lo | pct }}&ndash;{{ r.share_ge3_hi | pct }})</td><td>{{ r.get("diff_national_share_ge3") | pct(signed=True) }}</td>
<td>{{ r.share_docs_ge3 | pct }}</td><td>{{ r.mean_rung | num }} ({{ r.mean_rung_lo | num }}&ndash;{{ r.mean_rung_hi | num }})</td><td>{{ r.talk_practice_ratio | num }}</td></tr>
{% endfor %}</table>
{% if images.stacked %}<img alt="stacked bars of the rung shares" src="{{ images.stacked }}">{% endif %}

<h2>Groups</h2>
{% for g in groups %}<section>
<h3>{{ g.name }}</h3>
{% if g.image %}<img alt="rung shares over time for {{ g.name }}" src="{{ g.image }}">{% endif %}
{% for rung, quotes in g.quotes %}<h4>Rung {{ rung }} ({{ rung_ids[rung] }}): strongest evidence</h4>
{% for q in quotes %}<blockquote>&ldquo;{{ q.sentence }}&rdquo;<br><span class="muted">{{ q.title or q.doc }}{% if q.date %}, {{ q.date }}{% endif %}
{% if q.link %} &middot; <a href="{{ q.link }}">source</a>{% endif %} &middot; score {{ "%.2f" | format(q.score) }}</span></blockquote>{% endfor %}
{% endfor %}
</section>{% endfor %}

<h2>Model</h2>
{% if model.path %}<p class="muted">Model folder: {{ model.path }}</p>{% else %}<p>No model folder given: no held-out metrics.</p>{% endif %}
{% if model.metrics %}<table><tr><th>metric</th><th>value</th></tr>
{% for key, value in model.metrics %}<tr><td>{{ key }}</td><td>{{ value }}</td></tr>{% endfor %}</table>{% endif %}
{% if model.limitations %}<h3>Limitations</h3>{{ model.limitations }}{% endif %}
{% if model.card %}<details><summary>Model card</summary>{{ model.card }}</details>{% endif %}

<h2>Full table</h2>
<details><summary>{{ full | length }} rows</summary>
<table><tr>{% for c in full_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for r in full %}<tr>{% for c in full_columns %}<td>{{ r[c] | cell }}</td>{% endfor %}</tr>{% endfor %}
</table></details>
</body>
</html>
"""


def _pct(value: Any, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * value:+.1f} %" if signed else f"{100 * value:.1f} %"


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    return f"{value:.2f}"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return _num(value) if not value.is_integer() or math.isinf(value) else f"{value:.0f}"
    return "" if value is None else str(value)


def safe_link(record: Mapping[str, Any]) -> str | None:
    """An http(s) URL or a file: URI for the record's source, never javascript: or similar."""
    url = record.get("url")
    if isinstance(url, str) and urlparse(url.strip()).scheme in ("http", "https"):
        return url.strip()
    path = record.get("source_path")
    if isinstance(path, str) and path.strip():
        try:
            return Path(path.strip()).absolute().as_uri()
        except ValueError:
            return None
    return None


def top_quotes(records: Iterable[Mapping[str, Any]], *, group_by: str = "municipality", k: int = 3, threshold: float = 0.5,
               rungs: Sequence[int] = (1, 2, 3, 4)) -> dict[str, dict[int, list[dict[str, Any]]]]:
    """The ``k`` highest-scoring evidence sentences per group and rung (duplicates dropped)."""
    found: dict[str, dict[int, dict[str, dict[str, Any]]]] = {}
    for r in records:
        evidence = r.get("evidence") or []
        if isinstance(evidence, str):
            try:
                evidence = json.loads(evidence)
            except json.JSONDecodeError:
                continue
        proba = r.get("rung_proba")
        seg_rung = r.get("rung")
        if isinstance(proba, (list, tuple)) and len(proba) == len(RUNG_IDS):
            top = max(range(len(proba)), key=lambda i: proba[i])
            seg_rung = top if proba[top] >= threshold else seg_rung
        group = str(r.get(group_by) or "(unknown)")
        for ev in evidence:
            if not isinstance(ev, Mapping) or not ev.get("sentence"):
                continue
            rung = ev.get("rung") if ev.get("rung") is not None else seg_rung
            try:
                rung = int(rung)
                score = float(ev.get("score") or 0.0)
            except (TypeError, ValueError):
                continue
            if rung not in rungs:
                continue
            sentence = " ".join(str(ev["sentence"]).split())
            bucket = found.setdefault(group, {}).setdefault(rung, {})
            if sentence not in bucket or bucket[sentence]["score"] < score:
                bucket[sentence] = {"sentence": sentence, "score": score, "doc": r.get("doc_id") or r.get("id"),
                                    "title": r.get("title"), "date": r.get("date"), "link": safe_link(r)}
    return {g: {rung: sorted(b.values(), key=lambda q: -q["score"])[:k] for rung, b in sorted(per.items())}
            for g, per in found.items()}


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(data, Mapping):
        out: list[tuple[str, str]] = []
        for key, value in data.items():
            out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(data, float):
        return [(prefix, f"{data:.4f}")]
    if isinstance(data, list) and len(data) > 12:
        return [(prefix, f"[{len(data)} values]")]
    return [(prefix, json.dumps(data, ensure_ascii=False) if isinstance(data, list) else str(data))]


def _markdown(text: str) -> Any:
    """Markdown -> HTML with raw HTML disabled (markdown-it), else escaped preformatted text."""
    from markupsafe import Markup, escape

    try:
        from markdown_it import MarkdownIt
    except ImportError:
        return Markup(f"<pre>{escape(text)}</pre>")
    return Markup(MarkdownIt("commonmark", {"html": False}).render(text))


def _limitations(card: str) -> str | None:
    """The model card's limitations section (heading containing 'limitation' or 'begrænsning')."""
    lines = card.splitlines()
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#") and any(w in line.lower() for w in ("limitation", "begrænsning")):
            level = len(line) - len(line.lstrip("#"))
            body = []
            for nxt in lines[i + 1:]:
                stripped = nxt.lstrip()
                if stripped.startswith("#") and len(stripped) - len(stripped.lstrip("#")) <= level:
                    break
                body.append(nxt)
            return "\n".join(body).strip() or None
    return None


def _model_section(model_dir: Path | None) -> dict[str, Any]:
    section: dict[str, Any] = {"path": str(model_dir) if model_dir else None, "metrics": [], "limitations": None, "card": None}
    if model_dir is None:
        return section
    metrics = model_dir / "metrics.json"
    if metrics.is_file():
        try:
            section["metrics"] = _flatten(json.loads(metrics.read_text(encoding="utf-8")))
        except json.JSONDecodeError as e:
            section["metrics"] = [("metrics.json", f"unreadable ({e.msg})")]
    card = model_dir / "MODEL_CARD.md"
    if card.is_file():
        text = card.read_text(encoding="utf-8", errors="replace")
        section["card"] = _markdown(text)
        limits = _limitations(text)
        section["limitations"] = _markdown(limits) if limits else None
    return section


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _rows(frame) -> list[dict[str, Any]]:
    return [{k: (None if v is None else v.item() if hasattr(v, "item") else v) for k, v in row.items()} for row in frame.to_dict("records")]


def render_report(trends, *, records: Sequence[Mapping[str, Any]] = (), model_dir: Path | None = None,
                  title: str = "Samskabelse i kommunerne", quotes_per_rung: int = 3, plots: bool = True) -> str:
    """The report HTML for a :class:`pipeline.trends.TrendResult`, as a string."""
    from jinja2 import Environment

    from pipeline import plots as charts

    table = trends.table
    by = list(trends.options.by)
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pct=_pct, num=_num, cell=_cell)
    images: dict[str, str] = {}
    group_images: dict[str, str] = {}
    has_data = bool((table["n_documents"] > 0).any()) if len(table) else False
    if plots and has_data:
        with tempfile.TemporaryDirectory(prefix="samskab-report-") as tmp:
            tmp = Path(tmp)
            images["heatmap"] = _data_uri(charts.plot_heatmap(table, out=tmp / "heatmap.png"))
            images["stacked"] = _data_uri(charts.plot_stacked(table, out=tmp / "stacked.png"))
            for path in charts.plot_lines(table, out_dir=tmp / "lines"):
                group_images[path.name] = _data_uri(path)

    def name_of(row: Mapping[str, Any]) -> str:
        return " / ".join(str(row[c]) for c in by) or "Hele landet"

    quotes = top_quotes(records, group_by=by[0] if by else "municipality", k=quotes_per_rung,
                        threshold=trends.options.threshold) if records else {}
    rows = _rows(table)
    latest = [{**row, "group": name_of(row)} for row in _rows(trends.latest)]
    groups = []
    for name in dict.fromkeys(name_of(r) for r in rows):
        first = name.split(" / ")[0]
        groups.append({"name": name, "image": group_images.get(f"trend_{charts.slug(name)}.png"),
                       "quotes": list(quotes.get(first, {}).items()) if first == name or len(by) == 1 else []})
    return env.from_string(TEMPLATE).render(
        title=title, generated=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"), attrs=table.attrs,
        national=_rows(trends.national), latest=latest, images=images, groups=groups,
        rungs=range(len(RUNG_IDS)), rung_ids=RUNG_IDS, model=_model_section(Path(model_dir) if model_dir else None),
        full=rows, full_columns=list(table.columns), trends=trends,
    )


def build_report(records: Iterable[Mapping[str, Any]], *, out: str | Path, model_dir: str | Path | None = None,
                 trends: Any = None, options: Any = None, calibration: Any = None, calibration_weights: Any = None,
                 by: str | Sequence[str] = ("municipality",), period: str = "year", unit: str = "segment",
                 estimator: str = "auto", municipalities: Sequence[str] | None = None, threshold: float = 0.5,
                 min_support: int = 5, bootstrap: int = 500, seed: int = 13, quotes_per_rung: int = 3,
                 title: str = "Samskabelse i kommunerne") -> Path:
    """Write one self-contained HTML file to ``out``; returns its path.

    ``trends`` is a :class:`pipeline.trends.TrendResult` computed already (``samskab run``
    hands its own); without it the trends are computed here by
    :func:`pipeline.trends.compute_trends` from ``options`` (or the keyword options). The
    model folder's ``metrics.json`` and ``MODEL_CARD.md`` feed the model section.
    """
    from pipeline.io import atomic_write_text
    from pipeline.trends import TrendOptions, as_tuple, compute_trends

    records = list(records)
    model_dir = Path(model_dir) if model_dir else None
    if trends is None:
        options = options or TrendOptions(by=as_tuple(by), period=period, unit=unit, estimator=estimator, threshold=threshold,
                                          min_support=min_support, bootstrap=bootstrap, seed=seed)
        trends = compute_trends(records, options, model_dir=model_dir, calibration=calibration,
                                calibration_weights=calibration_weights, municipalities=municipalities)
    if municipalities:
        records = [r for r in records if r.get("municipality") in set(municipalities)]
    html = render_report(trends, records=records, model_dir=model_dir, title=title, quotes_per_rung=quotes_per_rung)
    out = Path(out)
    atomic_write_text(out, html)
    return out
