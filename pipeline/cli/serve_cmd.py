"""`samskab serve`: the local web app for journalists (pipeline.web)."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli import _ui

ORDER = 70
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)


@_ui.handle_errors
def serve_cmd(
    source: Path = typer.Argument(None, help="What `samskab run` wrote (e.g. out/demo), a corpus store (.duckdb) or a "
                                             "predictions file; the same as --db / --predictions."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on. The default keeps the app on this machine."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    db: Path = typer.Option(None, "--db", help="Corpus store with predictions (`samskab classify --db DB --to-store`)."),
    predictions: Path = typer.Option(None, "--predictions", help="Predictions file written by `samskab classify` (.jsonl, .csv, .parquet)."),
    model: Path = typer.Option(None, "--model", help="Model folder (default: the packaged default model)."),
    max_upload_mb: float = typer.Option(10.0, "--max-upload-mb", min=0.1, help="Largest upload or pasted text accepted, in MB."),
) -> None:
    """Start the web app: check a text, follow a municipality, search segments, JSON API.

    Without --db or --predictions only the text check works; the municipality, compare
    and search pages then say how to load data. The model is loaded once at start.

    Examples:
      samskab serve
      samskab serve out/demo              (after `make demo`)
      samskab serve --db corpus.duckdb
      samskab serve --predictions out/predictions.jsonl --port 8080
      samskab serve --model models/tfidf-2024 --db corpus.duckdb
    """
    try:
        import uvicorn

        from pipeline.web.app import create_app
        from pipeline.web.corpus import resolve_source
    except ImportError as e:
        from pipeline.errors import MissingExtraError

        raise MissingExtraError(feature="web app (samskab serve)", extra="web", detail=f"missing {e.name or e}") from e
    from pipeline.models import resolve_model_dir

    if sum(x is not None for x in (source, db, predictions)) > 1:
        raise typer.BadParameter("give one data source: SOURCE, --db or --predictions")
    if source is not None:
        db, predictions = resolve_source(source)
    local = host in LOOPBACK
    if not local:
        _ui.warn(f"listening on {host}: anyone who can reach this machine can use the app (it has no login)")
    model = resolve_model_dir(model)
    _ui.phase("loading the model" + (" and the data" if db or predictions else ""))
    allowed = [host, "127.0.0.1", "localhost", "[::1]", "::1"] if local else None
    web = create_app(model_dir=model, db=db, predictions=predictions, max_upload_mb=max_upload_mb, allowed_hosts=allowed)
    _ui.good(f"model {web.state.model.name}" + (f"; data: {web.state.corpus.source}" if web.state.corpus else "; no data (text check only)"))
    shown = f"[{host}]" if ":" in host else host
    _ui.good(f"open http://{shown}:{port}/ in a browser (Ctrl-C to stop)")
    uvicorn.run(web, host=host, port=port, log_level="warning", server_header=False)
