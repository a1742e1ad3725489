"""The web app: check a text, follow a municipality's trend, search segments; a JSON API.

``create_app`` loads the model once (a missing or untrusted model folder is an error at
start, not on the first request) and, when given, the predictions from the corpus store
(``db``) or a predictions file, puts them on ``app.state`` and includes the routers
(:mod:`pipeline.web.pages`, :mod:`pipeline.web.api`). Pages are rendered on the server by
Jinja2 with autoescaping on, so every text from a user, a document or the model is
escaped; no page uses JavaScript or an external asset.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.web.errors import WebError
from pipeline.web.middleware import GuardMiddleware
from pipeline.web.templating import WEB_DIR, make_templates, render


def safe_text(value: object) -> object:
    """Strings with lone surrogates escaped (``\\ud800``) so they can be encoded; other values as they are."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def error_response(request: Request, error: WebError) -> Response:
    """JSON for the API, the Danish error page for everything else."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": safe_text(error.message_en), "suggestions": [safe_text(s) for s, _ in error.suggestions]},
                            status_code=error.status)
    return render(request, "error.html", error.status, error=error)


def install_error_handlers(app: FastAPI) -> None:
    """WebError, invalid input and HTTP errors as the API's JSON or the Danish error page."""

    @app.exception_handler(WebError)
    async def _web_error(request: Request, error: WebError) -> Response:
        return error_response(request, error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        # the offending input is not echoed: it may be NaN, infinity or a lone surrogate, none of which JSON can carry
        errors = [{"loc": [safe_text(p) for p in e.get("loc", ())], "msg": safe_text(e.get("msg")), "type": safe_text(e.get("type"))}
                  for e in error.errors()]
        problems = []
        for e in errors:
            where = ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path"))
            problems.append(f"{where or 'input'}: {e['msg']}")
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "invalid request: " + "; ".join(problems), "suggestions": [], "errors": errors},
                                status_code=422)
        return error_response(request, WebError(422, "Ugyldigt input: " + "; ".join(problems)))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        messages = {404: "Siden findes ikke.", 405: "Den handling er ikke tilladt her."}
        message = messages.get(error.status_code, str(error.detail))
        return error_response(request, WebError(error.status_code, message, message_en=str(error.detail)))


def create_app(*, model_dir: str | Path | None = None, db: str | Path | None = None, predictions: str | Path | None = None,
               max_upload_mb: float = 10, allowed_hosts: Sequence[str] | None = None) -> FastAPI:
    """The web app with the model loaded and the data (store or predictions file, if given) read.

    Raises the project's ModelError / UntrustedModelError when the model folder is missing
    or not trusted, and StoreError / DataError when the data cannot be read, so a bad
    start fails at once with the reason. ``allowed_hosts`` limits the Host header (guards a
    local server against DNS rebinding); None accepts any.
    """
    from pipeline.models import DEFAULT_MODEL_DIR, load_model
    from pipeline.web import api, pages
    from pipeline.web.corpus import open_corpus

    model = load_model(Path(model_dir) if model_dir else DEFAULT_MODEL_DIR)
    corpus = open_corpus(db=db, predictions=predictions, model_dir=model.directory)

    app = FastAPI(title="samskab", version=_version(), docs_url=None, redoc_url=None,  # Swagger/ReDoc load from a CDN
                  description="Classify Danish municipal text on the co-creation ladder (samskabelsesstigen), "
                              "and read per-municipality trends and segments.")
    app.state.model = model
    app.state.corpus = corpus
    app.state.max_upload_mb = max_upload_mb
    app.state.templates = make_templates()
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")
    app.mount("/docs/assets", StaticFiles(directory=_swagger_ui_dir()), name="docs-assets")

    def too_large(path: str) -> Response:
        if path.startswith("/api/"):
            return JSONResponse({"detail": f"request body too large; the limit is {max_upload_mb:g} MB", "suggestions": []},
                                status_code=413)
        request = Request({"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b"", "app": app})
        return render(request, "error.html", 413, error=WebError(413, f"Filen eller teksten er for stor. Grænsen er {max_upload_mb:g} MB."))

    def server_error(path: str) -> Response:
        if path.startswith("/api/"):
            return JSONResponse({"detail": "internal error; the server log has the details", "suggestions": []}, status_code=500)
        return HTMLResponse("<!DOCTYPE html><html lang=\"da\"><meta charset=\"utf-8\"><title>Fejl · samskab</title>"
                            "<h1>Der skete en fejl</h1><p class=\"message\">Serveren kunne ikke svare på denne forespørgsel. "
                            "Prøv igen; fejlen er skrevet i serverens log.</p><p><a href=\"/\">Til forsiden</a></p></html>",
                            status_code=500)

    if allowed_hosts:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    max_bytes = int(max_upload_mb * 1024 * 1024)
    # added last, so outermost: every response, the host check's 400 included, gets the security headers
    app.add_middleware(GuardMiddleware, max_bytes=max_bytes + 64 * 1024, too_large=too_large,  # + room for the form's framing
                       server_error=server_error)
    install_error_handlers(app)
    app.include_router(pages.router)
    app.include_router(api.router)
    return app


def _swagger_ui_dir() -> str:
    """The Swagger UI assets shipped by the swagger-ui-bundle package (served at /docs/assets)."""
    from swagger_ui_bundle import swagger_ui_path

    return str(swagger_ui_path)


def _version() -> str:
    from pipeline import __version__

    return __version__
