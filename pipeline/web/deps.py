"""Shared state for the routers, given through FastAPI dependencies (set on ``app.state`` by create_app)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from pipeline.web.errors import WebError


def get_model(request: Request) -> Any:
    """The classifier loaded at start."""
    return request.app.state.model


def get_corpus(request: Request) -> Any:
    """The loaded data (a Corpus), or None when the server was started without data."""
    return request.app.state.corpus


def require_corpus(request: Request) -> Any:
    """The loaded data; WebError 503 saying how to start with data when there is none."""
    corpus = request.app.state.corpus
    if corpus is None:
        raise WebError(503, "Der er ingen data indlæst.",
                       message_en="no data loaded; start the server with --db CORPUS or --predictions FILE")
    return corpus
