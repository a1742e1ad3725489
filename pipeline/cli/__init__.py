"""The ``samskab`` command line. Commands only parse arguments and call the library.

Each command group lives in its own ``*_cmd.py`` module exposing ``register(app)``;
they are discovered here so that adding a group never means editing a shared list.
Modules must keep heavy imports inside their command functions (fast ``--help``).
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

app = typer.Typer(
    name="samskab",
    help="Measure how far Danish municipalities climb the co-creation ladder (samskabelsesstigen).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _register_all() -> None:
    modules = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.endswith("_cmd"))
    loaded = [importlib.import_module(f"{__name__}.{name}") for name in modules]
    for module in sorted(loaded, key=lambda m: getattr(m, "ORDER", 100)):
        module.register(app)


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context, version: bool = typer.Option(False, "--version", help="Print the version and exit.")) -> None:
    if version:
        from pipeline import __version__

        typer.echo(__version__)
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


_register_all()


def main() -> None:
    app()
