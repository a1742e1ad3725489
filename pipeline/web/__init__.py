"""A local web app for journalists: check a text, follow a municipality, search segments.

``create_app`` (in :mod:`pipeline.web.app`) builds the FastAPI application; ``samskab
serve`` runs it with uvicorn on 127.0.0.1. Pages are server-rendered (Jinja2, autoescape
on) and use no JavaScript and no external assets; the same data is offered as a JSON API
with an OpenAPI schema at ``/openapi.json`` and an offline Swagger UI at ``/docs``.

The modules: ``app`` (create_app, error handlers), ``pages`` and ``api`` (the routers),
``deps`` (shared state as dependencies), ``schemas`` (the API's record types), ``check``
(one text: segment, classify, highlight), ``uploads`` (file sniffing and reading),
``corpus`` (the loaded predictions; search), ``charts``, ``templating`` (the pages' filters: Danish
formats and sentences from :mod:`pipeline.presentation`, shared with the HTML report), ``middleware`` (size cap, security headers), ``errors``.
"""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(**kwargs):  # noqa: ANN003, ANN201 - a lazy alias; see pipeline.web.app.create_app
    """Build the web app (imports FastAPI only when called)."""
    from pipeline.web.app import create_app as _create_app

    return _create_app(**kwargs)
