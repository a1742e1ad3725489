"""Jinja2 templates and the filters the pages share (Danish number formats and words from
:mod:`pipeline.presentation`, which the HTML report uses too; links), and page helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse

from pipeline.presentation import (SECTION_KINDS_DA, estimate_sentence, fmt_num, fmt_pct, fmt_signed_pct, left_out_da, term_label,
                                   warnings_da)
from pipeline.web.errors import WebError

WEB_DIR = Path(__file__).resolve().parent
PERIODS = ("year", "quarter", "term")
PERIOD_NAMES_DA = {"year": "år", "quarter": "kvartal", "term": "valgperiode"}


def municipality_url(name: str) -> str:
    return "/municipality/" + quote(name, safe="")


def _pct(value: Any, digits: int = 0) -> str:
    return fmt_pct(value, digits)


def _num(value: Any, digits: int = 2) -> str:
    return fmt_num(value, digits)


def _signed_pct(value: Any) -> str:
    return fmt_signed_pct(value)


def make_templates():  # noqa: ANN201 - a Jinja2Templates
    """The page templates with autoescaping on and the shared filters."""
    from fastapi.templating import Jinja2Templates
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(WEB_DIR / "templates")), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True, undefined=StrictUndefined)
    env.filters.update(pct=_pct, num=_num, signed_pct=_signed_pct, municipality_url=municipality_url,
                       estimate_da=estimate_sentence, warnings_da=warnings_da,
                       left_out_da=left_out_da, term=term_label)
    return Jinja2Templates(env=env)


def int_param(value: str | None, name: str, *, low: int | None = None, high: int | None = None) -> int | None:
    """A number from a form field ('' = not given); WebError 422 with a human message otherwise."""
    if value is None or not value.strip():
        return None
    try:
        number = int(value.strip())
    except ValueError as e:
        raise WebError(422, f"»{value}« er ikke et gyldigt tal for {name}.", message_en=f"{name}: {value!r} is not a number") from e
    if (low is not None and number < low) or (high is not None and number > high):
        raise WebError(422, f"{name} skal være mellem {low} og {high}, ikke {number}.",
                       message_en=f"{name} must be between {low} and {high}, not {number}")
    return number


def parse_period(value: str | None, default: str = "year") -> str:
    """The period asked for in the URL, or ``default`` (the corpus' own, chosen by data density)."""
    value = (value or default).strip() or default
    if value not in PERIODS:
        raise WebError(422, f"Ukendt periode »{value}«. Vælg år (year), kvartal (quarter) eller valgperiode (term).",
                       message_en=f"unknown period {value!r}; choose year, quarter or term")
    return value



def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page from ``template`` with the context every page shares (model, data source, codebook names)."""
    state = request.app.state
    codebook = state.model.codebook
    base = {"request": request, "section_kinds_da": SECTION_KINDS_DA, "model_name": state.model.name, "corpus": state.corpus, "rungs": codebook.rungs,
            "actor_names": {a.id: a.name_da for a in codebook.actors}, "max_upload_mb": state.max_upload_mb,
            "period_names": PERIOD_NAMES_DA}
    return state.templates.TemplateResponse(request, template, {**base, **context}, status_code=status)


def no_data(request: Request, title: str) -> HTMLResponse:
    """The page shown instead of a data page when the server was started without data."""
    return render(request, "nodata.html", title=title)
