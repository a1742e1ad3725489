"""Everything the CLI says to the user goes through here: one style for phases,
good/warn/fail lines, progress bars and tables. Errors go to stderr."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from pipeline.errors import SamskabError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def phase(text: str) -> None:
    console.print(f"[bold cyan]==>[/] [bold]{text}[/]")


def good(text: str) -> None:
    console.print(f"[green]✔[/] {text}")


def warn(text: str) -> None:
    from rich.markup import escape

    err_console.print(f"[yellow]![/] {escape(text)}", soft_wrap=True)


def fail(text: str) -> None:
    from rich.markup import escape

    err_console.print(f"[red]✘[/] {escape(text)}", soft_wrap=True)


def progress(transient: bool = False) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=transient,
        disable=not err_console.is_terminal,
    )


class StageProgress:
    """Progress of a multi-stage run on stderr: a bar per stage on a terminal; elsewhere
    (logs, CI) a count line per stage at most every ``every`` seconds."""

    def __init__(self, every: float = 10.0) -> None:
        import time

        self._clock = time.monotonic
        self._every = every
        self._bar = progress()
        self._tasks: dict[str, Any] = {}
        self._last: dict[str, float] = {}

    def __enter__(self) -> StageProgress:
        self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(*exc)

    def update(self, stage: str, done: int, total: int | None) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._bar.add_task(stage, total=total)
            self._last[stage] = self._clock()
        self._bar.update(self._tasks[stage], completed=done, total=total)
        if self._bar.disable and done and self._clock() - self._last[stage] >= self._every:
            self._last[stage] = self._clock()
            err_console.print(f"[cyan]{stage}[/]: {done}" + (f" of {total}" if total else "") + " so far")

    def step(self, stage: str, text: str) -> None:
        """A finished step: printed above the bars."""
        from rich.markup import escape

        self._bar.console.print(f"[cyan]{escape(stage)}[/]: {escape(text)}", soft_wrap=True)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into one red line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SamskabError as e:
            fail(str(e))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            fail("interrupted; everything already written is kept, rerun the same command to continue")
            raise typer.Exit(130) from None

    return wrapper


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.table import Table

    t = Table(title=title, show_lines=False)
    for c in columns:
        t.add_column(str(c), overflow="fold")
    for r in rows:
        t.add_row(*["" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v)) for v in r])
    console.print(t)
