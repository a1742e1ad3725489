"""A self-contained HTML report of the trends: one file, no server, no external assets.

Charts are embedded as base64 PNG data URIs, every text from the corpus or the model
folder is HTML-escaped by Jinja2's autoescaping, and links point only to http(s) URLs
or local ``file:`` paths of the source documents.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pipeline.codebook import RUNG_IDS

TEMPLATE = r"""<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; line-height: 1.45; }
h1, h2, h3, h4 { color: #08306b; }
h4 { margin-bottom: .3rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .85rem; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: right; vertical-align: top; }
table.num td { white-space: nowrap; }
td.text { overflow-wrap: anywhere; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
th { background: #f0f4fa; }
th small { font-weight: normal; color: #555; display: block; max-width: 9rem; }
tr.low td { color: #999; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: .5rem 1rem; }
.plain { background: #f3f7fb; border-left: 4px solid #2c7fb8; padding: .5rem 1rem; }
blockquote { margin: .3rem 0 .6rem 1rem; padding-left: .8rem; border-left: 3px solid #6baed6; }
.muted { color: #666; font-size: .85rem; }
img { max-width: 100%; }
pre { white-space: pre-wrap; background: #f7f7f7; padding: .5rem; }
dl.rungs dt { font-weight: bold; margin-top: .6rem; }
dl.rungs dd { margin-left: 1.5rem; }
.swatch { display: inline-block; width: .9em; height: .9em; margin-right: .4em; vertical-align: -0.1em; border-radius: 2px; }
.card table { font-size: .8rem; }
.wide { overflow-x: auto; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="muted">{{ w.generated }} {{ generated }}. {{ w.basis }}</p>

<section id="read">
<h2>{{ w.how_to_read }}</h2>
<div class="plain">
<p>{{ w.what }}</p>
<p>{{ attrs | estimate }}</p>
{% if trends.calibration %}<p>{{ w.calibrated | format(trends.calibration.n_matched) }}</p>{% else %}<p>{{ w.not_calibrated }}</p>{% endif %}
{% if trends.left_out | left_out %}<p>{{ trends.left_out | left_out }}</p>{% endif %}
</div>
{% if notes %}<div class="note"><b>{{ w.notes }}</b><ul>{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul></div>{% endif %}
</section>

<section id="ladder">
<h2>{{ w.ladder }}</h2>
<dl class="rungs">
{% for r in rung_texts %}<dt><span class="swatch" style="background: {{ colours[r.code] }}"></span>{{ w.rung }} {{ r.code }}: {{ r.name }}</dt>
<dd>{{ r.definition }}</dd>
{% endfor %}</dl>
</section>

<section id="national">
<h2>{{ w.national }}</h2>
<table class="num">
<tr><th>{{ w.period }}</th><th>{{ w.documents }}</th><th>{{ w.segments }}</th>{% for r in rung_texts %}<th>{{ w.rung }} {{ r.code }}<small>{{ r.name }}</small></th>{% endfor %}<th>{{ w.ge3 }}<small>{{ w.ci }}</small></th><th>{{ w.mean_rung }}</th><th>{{ w.talk_practice }}</th></tr>
{% for r in national %}<tr><td>{{ r.period }}</td><td>{{ r.n_documents }}</td><td>{{ r.n_segments }}</td>
{% for k in rungs %}<td>{{ r["share_rung_%d" % k] | pct }}</td>{% endfor %}
<td>{{ r.share_ge3 | pct }} <span class="muted">({{ r.share_ge3_lo | interval(r.share_ge3_hi) }})</span></td><td>{{ r.mean_rung | num }}</td><td>{{ r.talk_practice_ratio | num }}</td></tr>
{% endfor %}</table>
<p class="muted">{{ w.mean_rung_help }} {{ w.talk_practice_help }}</p>
</section>

{% if images.heatmap %}<section id="heatmap"><h2>{{ w.heatmap }}</h2>
<img alt="{{ w.heatmap }}" src="{{ images.heatmap }}"></section>{% endif %}

<section id="latest">
<h2>{{ w.latest }}</h2>
<table class="num">
<tr><th>{{ w.group }}</th><th>{{ w.period }}</th><th>{{ w.documents }}</th><th>{{ w.ge3 }}<small>{{ w.ci }}</small></th><th>{{ w.vs_national }}</th><th>{{ w.docs_ge3 }}</th><th>{{ w.mean_rung }}<small>{{ w.ci }}</small></th><th>{{ w.talk_practice }}</th></tr>
{% for r in latest %}<tr class="{{ 'low' if r.low_support else '' }}"><td>{{ r.group }}</td><td>{{ r.period }}</td><td>{{ r.n_documents }}</td>
<td>{{ r.share_ge3 | pct }} <span class="muted">({{ r.share_ge3_lo | interval(r.share_ge3_hi) }})</span></td><td>{{ r.get("diff_national_share_ge3") | signed_pct }}</td>
<td>{{ r.share_docs_ge3 | pct }}</td><td>{{ r.mean_rung | num }} <span class="muted">({{ r.mean_rung_lo | interval(r.mean_rung_hi, pct=False) }})</span></td><td>{{ r.talk_practice_ratio | num }}</td></tr>
{% endfor %}</table>
{% if images.stacked %}<img alt="{{ w.stacked_alt }}" src="{{ images.stacked }}">{% endif %}
</section>

<section id="groups">
<h2>{{ w.groups }}</h2>
{% for g in groups %}<section class="group">
<h3>{{ g.name }}</h3>
{% if g.image %}<img alt="{{ w.lines_alt }} {{ g.name }}" src="{{ g.image }}">{% endif %}
{% for rung, quotes in g.quotes %}<h4>{{ w.rung }} {{ rung }}: {{ rung_texts[rung].name }} &ndash; {{ w.examples }}</h4>
{% for q in quotes %}<blockquote>&ldquo;{{ q.sentence }}&rdquo;<br><span class="muted">{{ q.title or q.doc }}{% if q.date %}, {{ q.date }}{% endif %}
{% if q.link %} &middot; <a href="{{ q.link }}">{{ w.source }}</a>{% endif %}</span></blockquote>{% endfor %}
{% endfor %}
</section>{% endfor %}
</section>

<section id="method">
<h2>{{ w.method }}</h2>
<p>{{ w.estimator_used }}: <b>{{ attrs.estimator }}</b> ({{ w.requested }}: {{ attrs.estimator_requested }}). {{ w.why }}: {{ attrs.estimator_reason }}</p>
{% if attrs.estimator_errors %}
<table><tr><th>{{ w.estimator }}</th><th>{{ w.heldout_error }}</th></tr>
{% for name, err in attrs.estimator_errors.items() %}<tr><td>{{ name }}</td><td>{{ err | num(4) }}</td></tr>{% endfor %}
</table>{% endif %}
<p>{{ w.intervals }}: {{ attrs.ci_method }}. {{ w.threshold }}: {{ attrs.threshold | num }}. {{ w.heldout_n }}: {{ attrs.n_heldout }}.
{{ w.unit }}: {{ attrs.unit }}, {{ w.period | lower }}: {{ period_name }}, {{ w.grouped_by }}: {{ by_names | join(", ") or "–" }}.</p>
<p>{{ w.error_source }}: <b>{{ trends.error_source }}</b>{% if trends.calibration %}: {{ trends.calibration.n_matched }} {{ w.of }} {{ trends.calibration.n_labels }} {{ w.labels_matched }}; {{ trends.calibration.cells_borrowing }} {{ w.cells_borrowing }} {{ trends.calibration.min_cell_labels }}{% else %}.
{{ w.real_text }}: {{ trends.model_real_text }}{% endif %}.</p>
{% if attrs.warnings %}<p class="muted">{{ w.raw_warnings }}</p><ul class="muted">{% for x in attrs.warnings %}<li>{{ x }}</li>{% endfor %}</ul>{% endif %}
</section>

<section id="model">
<h2>{{ w.model }}</h2>
{% if model.path %}<p class="muted">{{ w.model_folder }}: {{ model.path }}</p>{% else %}<p>{{ w.no_model }}</p>{% endif %}
{% if model.metrics %}<details><summary>{{ w.metrics }}</summary><table><tr><th>{{ w.metric }}</th><th>{{ w.value }}</th></tr>
{% for key, value in model.metrics %}<tr><td>{{ key }}</td><td class="text">{{ value }}</td></tr>{% endfor %}</table></details>{% endif %}
{% if model.limitations %}<h3>{{ w.limitations }}</h3><div class="card">{{ model.limitations }}</div>{% endif %}
{% if model.card %}<details><summary>{{ w.model_card }}</summary><div class="card">{{ model.card }}</div></details>{% endif %}
</section>

<section id="full">
<h2>{{ w.full_table }}</h2>
<details><summary>{{ full | length }} {{ w.rows }}</summary>
<div class="wide"><table class="num"><tr>{% for c in full_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for r in full %}<tr>{% for c in full_columns %}<td>{{ r[c] | cell }}</td>{% endfor %}</tr>{% endfor %}
</table></div></details>
</section>
</body>
</html>
"""

#: the report's own words; numbers, rung names and the account of the estimate come from pipeline.presentation
WORDS: dict[str, dict[str, str]] = {
    "da": {
        "title": "Samskabelse i kommunerne", "generated": "Lavet", "how_to_read": "Sådan læser du tallene",
        "basis": "Bygger på {n_records} afsnit fra {n_documents} dokumenter, opdelt pr. {period} og {by}.",
        "what": ("Rapporten viser, hvor stor en del af tekstafsnittene i kommunernes dokumenter der beskriver samskabelse, "
                 "målt på samskabelsesstigen fra trin 0 (ingen samskabelse) til trin 4 (ligeværdigt samarbejde). "
                 "En computermodel har læst alle afsnit og givet hvert af dem et trin; tallene er derfor skøn, ikke optællinger "
                 "foretaget af mennesker."),
        "calibrated": ("Modellens fejl er rettet med en stikprøve på %s afsnit fra netop disse dokumenter, som mennesker har kodet. "
                       "Jo større stikprøven er, jo smallere bliver intervallerne."),
        "not_calibrated": ("Ingen har kodet en stikprøve af netop disse dokumenter, så vi ved ikke præcis, hvor ofte modellen tager fejl "
                           "på dem. Brug tallene til at se retning og forskelle, ikke som præcise andele."),
        "notes": "Bemærk", "ladder": "Samskabelsesstigen", "rung": "Trin", "national": "Hele landet", "period": "Periode",
        "documents": "dokumenter", "segments": "afsnit", "ge3": "trin 3-4", "ci": "(95 %-interval)", "mean_rung": "gennemsnitligt trin",
        "talk_practice": "snak / praksis",
        "mean_rung_help": "Gennemsnitligt trin: 0 betyder ingen samskabelse i nogen afsnit, 4 at alle afsnit er på det øverste trin.",
        "talk_practice_help": ("Snak / praksis: hvor mange afsnit der bruger samskabelsens ord for hvert afsnit, der beskriver en "
                               "konkret samskabende aktivitet (over 1: mere snak end praksis)."),
        "heatmap": "Samskabelsesindeks pr. kommune og periode", "latest": "Seneste periode pr. kommune", "group": "Kommune",
        "vs_national": "forskel fra landet", "docs_ge3": "dokumenter der når trin 3+",
        "stacked_alt": "Fordelingen på trinene i seneste periode, en søjle pr. kommune",
        "groups": "Kommunerne", "lines_alt": "Andelen på hvert trin over tid for", "examples": "eksempler fra teksterne",
        "source": "kilde", "method": "Metode", "estimator_used": "Estimator", "requested": "valgt", "why": "Begrundelse",
        "estimator": "estimator", "heldout_error": "gennemsnitlig absolut fejl på testafsnit", "intervals": "Intervaller",
        "threshold": "Tærskel for optælling", "heldout_n": "Testafsnit", "unit": "Enhed", "grouped_by": "grupperet efter",
        "error_source": "Fejlrater fra", "labels_matched": "kodede afsnit fundet i data", "of": "af",
        "cells_borrowing": "celler låner landsgennemsnittets fejlrater, fordi de har færre kodede afsnit end",
        "real_text": "Modellens resultater på rigtige tekster", "raw_warnings": "Beregningens bemærkninger (på engelsk):",
        "model": "Modellen", "model_folder": "Modelmappe", "no_model": "Ingen modelmappe angivet: ingen testresultater.",
        "metrics": "Testresultater", "metric": "mål", "value": "værdi", "limitations": "Begrænsninger (fra modelkortet, på engelsk)", "model_card": "Modelkort (på engelsk)",
        "full_table": "Hele tabellen", "rows": "rækker", "nation": "Hele landet", "unknown": "(ukendt)",
    },
    "en": {
        "title": "Co-creation in Danish municipalities", "generated": "Generated", "how_to_read": "How to read the figures",
        "basis": "Based on {n_records} segments from {n_documents} documents, by {period} and {by}.",
        "what": ("The report shows the share of text segments in the municipalities' documents at each rung of the co-creation "
                 "ladder, from rung 0 (no co-creation) to rung 4 (co-design and co-governance). A classifier assigned every "
                 "segment a rung, so the figures are estimates, not human counts."),
        "calibrated": "The classifier's errors are corrected with a hand-labelled sample of %s segments of these documents.",
        "not_calibrated": ("No sample of these documents was hand-labelled, so the classifier's error rate on them is unknown: "
                           "read the figures for direction and differences rather than as exact shares."),
        "notes": "Notes", "ladder": "The co-creation ladder", "rung": "Rung", "national": "National", "period": "Period",
        "documents": "documents", "segments": "segments", "ge3": "rungs 3-4", "ci": "(95% interval)", "mean_rung": "mean rung",
        "talk_practice": "talk / practice",
        "mean_rung_help": "Mean rung: 0 when no segment shows co-creation, 4 when every segment is at the top rung.",
        "talk_practice_help": ("Talk / practice: segments using co-creation vocabulary per segment describing a concrete "
                               "co-creation activity (above 1: more talk than practice)."),
        "heatmap": "Co-creation index by municipality and period", "latest": "Latest period per municipality", "group": "Group",
        "vs_national": "vs national", "docs_ge3": "documents reaching rung 3+",
        "stacked_alt": "Shares at each rung in the latest period, one bar per group",
        "groups": "Groups", "lines_alt": "Share at each rung over time for", "examples": "strongest evidence",
        "source": "source", "method": "Method", "estimator_used": "Estimator", "requested": "requested", "why": "Why",
        "estimator": "estimator", "heldout_error": "mean absolute error on held-out", "intervals": "Intervals",
        "threshold": "Classify-and-count threshold", "heldout_n": "Held-out segments", "unit": "Unit", "grouped_by": "grouped by",
        "error_source": "Error rates from", "labels_matched": "labels matched", "of": "of",
        "cells_borrowing": "cells borrow the corpus-wide error rates, having fewer labels than",
        "real_text": "Real-text figures", "raw_warnings": "Warnings of the computation:",
        "model": "Model", "model_folder": "Model folder", "no_model": "No model folder given: no held-out metrics.",
        "metrics": "Held-out metrics", "metric": "metric", "value": "value", "limitations": "Limitations", "model_card": "Model card",
        "full_table": "Full table", "rows": "rows", "nation": "National", "unknown": "(unknown)",
    },
}
#: words of the grouping columns for the report's readers
_BY_NAMES = {"da": {"municipality": "kommune", "doc_type": "dokumenttype", "committee": "udvalg"},
             "en": {"municipality": "municipality", "doc_type": "document type", "committee": "committee"}}

#: decision boilerplate that carries no activity ("Beslutning: Godkendt.", "Indstillingen blev tiltrådt.")
_LABEL_PREFIX = re.compile(r"^(beslutning|indstilling|sagsfremstilling|resumé|resume|baggrund|sagen|bilag)\s*(\([^)]*\))?\s*:\s*", re.I)
_BOILERPLATE = re.compile(r"^(godkendt|tiltrådt|anbefalet|vedtaget|taget til efterretning|til orientering|udsat|mødet hævet|"
                          r"indstillingen (blev |er )?(godkendt|tiltrådt|anbefalet)|udvalget (godkendte|anbefaler|tiltrådte))\b", re.I)
MIN_QUOTE_WORDS = 6


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


def strip_headings(sentence: str) -> str:
    """The sentence without leading heading lines ('Borgernes deltagelse\nHvert forløb ...'), whitespace collapsed."""
    lines = [line for line in sentence.splitlines() if line.strip()]
    while len(lines) > 1 and len(lines[0].split()) <= 6 and not lines[0].rstrip().endswith((".", ":", ";", "!", "?", ",")):
        lines = lines[1:]
    return " ".join(" ".join(lines).split())


def quotable(sentence: str) -> bool:
    """A sentence that can carry an activity: not decision boilerplate, not a bare heading, at least six words."""
    body = _LABEL_PREFIX.sub("", sentence.strip())
    return len(body.split()) >= MIN_QUOTE_WORDS and not _BOILERPLATE.match(body)


def top_quotes(records: Iterable[Mapping[str, Any]], *, group_by: str = "municipality", k: int = 3, threshold: float = 0.5,
               rungs: Sequence[int] = (1, 2, 3, 4)) -> dict[str, dict[int, list[dict[str, Any]]]]:
    """The ``k`` best evidence sentences per group and rung (duplicates dropped).

    Noise segments (rung null) and decision boilerplate are skipped; sentences that use
    the codebook's co-creation cues come first, then the higher evidence score.
    """
    from pipeline.rules import has_vocabulary

    found: dict[str, dict[int, dict[str, dict[str, Any]]]] = {}
    for r in records:
        if r.get("rung") is None and r.get("rung_proba") is None:
            continue  # a noise segment, not classified
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
            sentence = _LABEL_PREFIX.sub("", strip_headings(str(ev["sentence"])))  # 'Sagsfremstilling: ...' quoted without the label
            if rung not in rungs or not quotable(sentence):
                continue
            bucket = found.setdefault(group, {}).setdefault(rung, {})
            if sentence not in bucket or bucket[sentence]["score"] < score:
                bucket[sentence] = {"sentence": sentence, "score": score, "doc": r.get("doc_id") or r.get("id"),
                                    "title": r.get("title"), "date": r.get("date"), "link": safe_link(r)}
    sentences = sorted({q for per in found.values() for b in per.values() for q in b})
    cued = {q for q, flag in zip(sentences, has_vocabulary(sentences)) if flag} if sentences else set()
    return {g: {rung: sorted(b.values(), key=lambda q: (q["sentence"] not in cued, -q["score"]))[:k]
                for rung, b in sorted(per.items())} for g, per in found.items()}


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(data, Mapping):
        out: list[tuple[str, str]] = []
        for key, value in data.items():
            out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(data, float):
        return [(prefix, f"{data:.4f}")]
    if isinstance(data, list) and data and len(data) <= 12 and all(isinstance(d, Mapping) for d in data):
        # per-rung / per-actor rows: one line per figure, named by the row's rung or actor
        out = []
        for i, row in enumerate(data):
            name = next((f"{k} {row[k]}" for k in ("rung", "actor") if k in row), str(i))
            out += _flatten({k: v for k, v in row.items() if k not in ("rung", "actor")}, f"{prefix}.{name}")
        return out
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
    return Markup(MarkdownIt("commonmark", {"html": False}).enable("table").render(text))


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
                  title: str | None = None, quotes_per_rung: int = 3, plots: bool = True, lang: str = "da") -> str:
    """The report HTML for a :class:`pipeline.trends.TrendResult`, as a string, in Danish (``lang="da"``) or English."""
    from pipeline import plots as charts
    from pipeline import presentation

    env = presentation.environment(lang)
    words = WORDS[lang]
    table = trends.table
    by = list(trends.options.by)
    images: dict[str, str] = {}
    group_images: dict[str, str] = {}
    has_data = bool((table["n_documents"] > 0).any()) if len(table) else False
    if plots and has_data:
        with tempfile.TemporaryDirectory(prefix="samskab-report-") as tmp:
            tmp = Path(tmp)
            images["heatmap"] = _data_uri(charts.plot_heatmap(table, out=tmp / "heatmap.png", lang=lang))
            images["stacked"] = _data_uri(charts.plot_stacked(table, out=tmp / "stacked.png", lang=lang))
            for path in charts.plot_lines(table, out_dir=tmp / "lines", lang=lang):
                group_images[path.name] = _data_uri(path)

    def name_of(row: Mapping[str, Any]) -> str:
        return " / ".join(str(row[c]) for c in by) or words["nation"]

    quotes = top_quotes(records, group_by=by[0] if by else "municipality", k=quotes_per_rung,
                        threshold=trends.options.threshold) if records else {}
    rows = _rows(table)
    latest = [{**row, "group": name_of(row)} for row in _rows(trends.latest)]
    groups = []
    for name in dict.fromkeys(name_of(r) for r in rows):
        first = name.split(" / ")[0]
        groups.append({"name": name, "image": group_images.get(f"trend_{charts.slug(name)}.png"),
                       "quotes": list(quotes.get(first, {}).items()) if first == name or len(by) == 1 else []})
    attrs = table.attrs
    period_name = presentation.PERIOD_NAMES[lang].get(str(attrs.get("period")), str(attrs.get("period")))
    by_names = [_BY_NAMES[lang].get(c, c) for c in by]
    national = _rows(trends.national)
    basis = words["basis"].format(n_records=attrs.get("n_records", 0), n_documents=sum(int(r["n_documents"] or 0) for r in national),
                                  period=period_name, by=", ".join(by_names) or words["nation"].lower())
    return env.from_string(TEMPLATE).render(
        title=title or words["title"], lang=lang, w={**words, "basis": basis},
        generated=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"), attrs=attrs, period_name=period_name, by_names=by_names,
        national=national, latest=latest, images=images, groups=groups,
        notes=presentation.warnings_text(trends.warnings, lang), rungs=range(len(RUNG_IDS)),
        rung_texts=presentation.rung_texts(lang), colours=charts.RUNG_COLOURS,
        model=_model_section(Path(model_dir) if model_dir else None), full=rows, full_columns=list(table.columns), trends=trends,
    )


def build_report(records: Iterable[Mapping[str, Any]], *, out: str | Path, model_dir: str | Path | None = None,
                 trends: Any = None, options: Any = None, calibration: Any = None, calibration_weights: Any = None,
                 by: str | Sequence[str] = ("municipality",), period: str | None = None, unit: str = "segment",
                 estimator: str = "auto", municipalities: Sequence[str] | None = None, threshold: float = 0.5,
                 min_support: int = 5, bootstrap: int = 500, seed: int = 13, quotes_per_rung: int = 3,
                 title: str | None = None, lang: str = "da") -> Path:
    """Write one self-contained HTML file to ``out``; returns its path.

    ``trends`` is a :class:`pipeline.trends.TrendResult` computed already (``samskab run``
    hands its own); without it the trends are computed here by
    :func:`pipeline.trends.compute_trends` from ``options`` (or the keyword options; a
    ``period`` of None is chosen by data density, :func:`choose_period`). The model
    folder's ``metrics.json`` and ``MODEL_CARD.md`` feed the model section.
    """
    from pipeline.io import atomic_write_text
    from pipeline.presentation import check_lang
    from pipeline.trends import TrendOptions, as_tuple, choose_period, compute_trends

    check_lang(lang)
    records = list(records)
    model_dir = Path(model_dir) if model_dir else None
    if trends is None:
        if options is None:
            by = as_tuple(by)
            period = period or choose_period(records, by=by[0] if by else None, min_support=min_support)
            options = TrendOptions(by=by, period=period, unit=unit, estimator=estimator, threshold=threshold,
                                   min_support=min_support, bootstrap=bootstrap, seed=seed)
        trends = compute_trends(records, options, model_dir=model_dir, calibration=calibration,
                                calibration_weights=calibration_weights, municipalities=municipalities)
    if municipalities:
        records = [r for r in records if r.get("municipality") in set(municipalities)]
    html = render_report(trends, records=records, model_dir=model_dir, title=title, quotes_per_rung=quotes_per_rung, lang=lang)
    out = Path(out)
    atomic_write_text(out, html)
    return out
