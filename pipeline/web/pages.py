"""The HTML pages: check a text, a municipality's trend, compare municipalities, search segments, the API page."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from pipeline.codebook import ACTOR_IDS
from pipeline.web.charts import index_chart, rung_chart
from pipeline.web.check import check_document, check_text, evidence_spans, find_all, highlight, segment_parts
from pipeline.web.corpus import SegmentQuery, trend_rows
from pipeline.web.deps import get_corpus, get_model
from pipeline.web.errors import WebError
from pipeline.web.templating import int_param, no_data, parse_period, render
from pipeline.web.uploads import TYPE_NAMES_DA, extract_upload

PER_PAGE = 20

router = APIRouter(include_in_schema=False)
#: what each API endpoint does, for the Danish API page (the OpenAPI schema stays English)
API_SUMMARIES_DA = {"/api/classify": "Klassificér en tekst: dokumentets trin og aktører, hvert afsnit med sandsynligheder og belæg",
                    "/api/trends": "En kommunes udvikling pr. periode (andele pr. trin, indeks, aktører) og hele landets",
                    "/api/segments": "Søg i de klassificerede afsnit efter kommune, trin, aktør, år, dokument og fritekst"}


# -- check a text
@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    return render(request, "index.html")


@router.get("/check")
def check_get() -> RedirectResponse:
    return RedirectResponse("/", status_code=303)


@router.post("/check", response_class=HTMLResponse)
async def check(request: Request, model: Any = Depends(get_model)) -> HTMLResponse:
    from starlette.concurrency import run_in_threadpool

    from pipeline.web.middleware import TooLarge

    max_upload_mb = request.app.state.max_upload_mb
    max_bytes = int(max_upload_mb * 1024 * 1024)
    try:
        try:
            form = await request.form(max_files=1, max_fields=10, max_part_size=max_bytes)
        except TypeError:  # older Starlette without the limits
            form = await request.form()
    except TooLarge:
        raise
    except Exception as e:  # noqa: BLE001 - python-multipart raises several types for broken forms
        raise WebError(400, "Formularen kunne ikke læses. Prøv igen fra siden »Tjek tekst«.",
                       message_en=f"the form could not be parsed ({type(e).__name__})") from e
    upload = form.get("file")
    text = form.get("text")
    if upload is not None and hasattr(upload, "read"):
        data = await upload.read(max_bytes + 1)
        await upload.close()
        if len(data) > max_bytes:
            raise WebError(413, f"Filen er for stor. Grænsen er {max_upload_mb:g} MB.")
        if data:
            doc = await run_in_threadpool(extract_upload, data, getattr(upload, "filename", None))
            result = await run_in_threadpool(check_document, model, doc)
            return _result_page(request, result, source="fil", doc=doc)
    text = text if isinstance(text, str) else ""
    result = await run_in_threadpool(check_text, model, text)
    return _result_page(request, result, source="tekst", doc={})


def _result_page(request: Request, result: dict[str, Any], *, source: str, doc: dict[str, Any]) -> HTMLResponse:
    for segment in result["segments"]:
        segment["parts"] = segment_parts(segment)
    meta = {k: doc.get(k) for k in ("title", "municipality", "date", "doc_type") if doc.get(k)}
    return render(request, "result.html", result=result, doc=result["document"], source=source, meta=meta,
                  file_type=TYPE_NAMES_DA.get(doc.get("file_type", ""), ""), inferred=doc.get("inferred") or [])


# -- municipalities
@router.get("/municipalities", response_class=HTMLResponse)
def municipalities(request: Request, corpus: Any = Depends(get_corpus)) -> HTMLResponse:
    if corpus is None:
        return no_data(request, "Kommuner")
    return render(request, "municipalities.html")


@router.get("/municipality")
def municipality_index() -> RedirectResponse:
    return RedirectResponse("/municipalities", status_code=303)


@router.get("/municipality/{name:path}", response_class=HTMLResponse)
def municipality(request: Request, name: str, period: str | None = None, corpus: Any = Depends(get_corpus)) -> HTMLResponse:
    if corpus is None:
        return no_data(request, f"Kommune: {name}")
    name = corpus.resolve(name)
    period = parse_period(period, corpus.default_period)
    trend = corpus.trends([name], period)
    rows, nat_rows = trend_rows(trend.table), trend_rows(trend.national)
    nat_by_period = {r["period"]: r for r in nat_rows}
    return render(request, "municipality.html", name=name, period=period, rows=rows, national=nat_by_period,
                  attrs=trend.table.attrs, left_out=trend.left_out, chart=index_chart({name: rows}, nat_rows),
                  rung_chart=rung_chart(trend.table), quotes=corpus.quotes(name), info=corpus.municipalities[name])


@router.get("/compare", response_class=HTMLResponse)
def compare(request: Request, m: list[str] = Query(default=[]), period: str | None = None,
            corpus: Any = Depends(get_corpus)) -> HTMLResponse:
    if corpus is None:
        return no_data(request, "Sammenlign kommuner")
    wanted = [x for x in dict.fromkeys(s.strip() for s in m) if x]
    if not wanted:
        return render(request, "compare.html", names=[], period=parse_period(period, corpus.default_period), selected=[])
    if not 2 <= len(wanted) <= 4:
        raise WebError(400, f"Vælg 2 til 4 kommuner at sammenligne (du valgte {len(wanted)}).",
                       message_en="choose 2 to 4 municipalities")
    names = list(dict.fromkeys(corpus.resolve(x) for x in wanted))
    period = parse_period(period, corpus.default_period)
    trend = corpus.trends(names, period)
    rows, nat_rows = trend_rows(trend.table), trend_rows(trend.national)
    series = {n: [r for r in rows if r["municipality"] == n] for n in names}
    periods = [r["period"] for r in nat_rows]
    grid = [{"period": p, "national": next(r for r in nat_rows if r["period"] == p),
             "cells": [next((r for r in series[n] if r["period"] == p), None) for n in names]} for p in periods]
    return render(request, "compare.html", names=names, period=period, selected=names, grid=grid, attrs=trend.table.attrs,
                  left_out=trend.left_out, chart=index_chart(series, nat_rows))


# -- search
@router.get("/search", response_class=HTMLResponse)
def search(request: Request, municipality: str | None = None, rung: str | None = None, actor: str | None = None,
           year: str | None = None, q: str | None = None, doc: str | None = None,
           page_: str | None = Query(None, alias="page"), corpus: Any = Depends(get_corpus)) -> HTMLResponse:
    if corpus is None:
        return no_data(request, "Søg")
    if actor and actor not in ACTOR_IDS:
        names = {a.id: a.name_da for a in request.app.state.model.codebook.actors}
        raise WebError(422, f"Ukendt aktør »{actor}«. Vælg en af: {', '.join(names.get(a, a) for a in ACTOR_IDS)}.",
                       message_en=f"unknown actor {actor!r}; choose one of {', '.join(ACTOR_IDS)}")
    query = SegmentQuery(municipality=corpus.resolve(municipality) if municipality and municipality.strip() else None,
                         rung=int_param(rung, "trin", low=0, high=4), actor=actor or None,
                         year=int_param(year, "år", low=1000, high=3000), q=(q or "").strip()[:200] or None,
                         doc_id=(doc or "").strip() or None)
    number = int_param(page_, "side", low=1, high=1_000_000) or 1
    total, hits = corpus.search(query, page=number, per_page=PER_PAGE)
    pages = max(1, math.ceil(total / PER_PAGE))
    for hit in hits:
        text = hit["text"] or ""
        spans = find_all(text, query.q) if query.q else evidence_spans(hit["evidence"], rung=hit["rung"])
        hit["parts"] = highlight(text, spans) if text else None
        hit["link"] = hit["url"]

    def link(n: int) -> str:
        params = {"municipality": query.municipality, "rung": query.rung, "actor": query.actor, "year": query.year,
                  "q": query.q, "doc": query.doc_id, "page": n}
        return "/search?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})

    return render(request, "search.html", query=query, total=total, hits=hits, page_number=number, pages=pages,
                  prev_link=link(number - 1) if number > 1 else None, next_link=link(number + 1) if number < pages else None,
                  searched=any(v is not None for v in vars(query).values()))


# -- the API described for people
@router.get("/api", response_class=HTMLResponse)
def api_page(request: Request) -> HTMLResponse:
    schema = request.app.openapi()
    endpoints = [{"method": method.upper(), "path": path, "summary": API_SUMMARIES_DA.get(path, op.get("summary", "")),
                  "description": op.get("description", "")}
                 for path, ops in schema.get("paths", {}).items() for method, op in ops.items()]
    return render(request, "api.html", endpoints=endpoints, base_url=str(request.base_url).rstrip("/"))


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """Swagger UI for the API, its scripts and styles served by the app (see create_app's /docs/assets)."""
    return request.app.state.templates.TemplateResponse(request, "docs.html", {"request": request})
