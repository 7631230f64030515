"""What every command shares: the app, the consoles, argument types, small parsers."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from separ.errors import ParameterError
from separ.ingest.read import Progress as Tick

app = typer.Typer(
    name="separ",
    help="Find coordinated inauthentic campaigns against activists, shield the targets, "
    "and keep an accountable record.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)


# Markup off: ids, handles, file names and texts from the data are printed as they are
# (Rich would take "[x]" in a handle for a style and drop it); see ``styled``.
out = Console(markup=False)
err = Console(stderr=True, markup=False)


def styled(head: str, rest: str = "", style: str = "bold") -> Text:
    """``head`` in ``style``, then ``rest`` as it is."""
    return Text.assemble((head, style), rest)


def table_of(*headers: str, right: Collection[str] = (), **options: Any) -> Table:
    """A Rich table whose cells fold a long id, path or name onto the next line instead
    of cutting it to "…"; the columns named in ``right`` are right-aligned (``options``
    as for ``Table``)."""
    grid = Table(**options)
    for header in headers:
        grid.add_column(header, overflow="fold", justify="right" if header in right else "left")
    return grid


def group(name: str, help: str, panel: str) -> typer.Typer:
    """A command group, ``separ NAME COMMAND ...``, shown in ``panel`` of ``separ --help``."""
    sub = typer.Typer(help=help, no_args_is_help=True)
    app.add_typer(sub, name=name, rich_help_panel=panel)
    return sub


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path`` (``-``: standard input); one clear error otherwise."""
    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParameterError(f"{path}: not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ParameterError(f"{path}: expected a JSON object")
    return value


def print_json(value: object) -> None:
    """Print ``value`` as JSON (times and other values as their text)."""
    out.print_json(json.dumps(value, default=str))


def cells(row: Iterable[object]) -> list[str]:
    """A database row as table cells: NULL shown empty, everything else as its text."""
    return ["" if v is None else str(v) for v in row]


def print_summaries(
    items: Sequence[Any], noun: str, as_json: bool, detail: Callable[[Any], str] | None = None
) -> None:
    """Findings that have a ``summary`` and ``as_json()``: as a JSON list, or a count of
    ``noun`` and one line each (and its ``detail`` line)."""
    if as_json:
        print_json([item.as_json() for item in items])
        return
    out.print(f"{len(items)} {noun}")
    for item in items:
        out.print(f"- {item.summary}", markup=False)
        if detail:
            out.print(f"  {detail(item)}", markup=False)


WorkspaceArg = Annotated[
    Path,
    typer.Argument(
        help="Workspace file, e.g. separ.duckdb (`separ ingest` creates it).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print as JSON.")]
AlphaOpt = Annotated[float, typer.Option("--alpha", help="False-discovery rate.")]


@contextmanager
def bytes_progress(label: str) -> Iterator[Callable[[int], Tick]]:
    """A progress bar on stderr (none when it is not a terminal); yields the ``start``
    callback importers call with a total of bytes, which returns their ``tick``."""
    with Progress(
        TextColumn(label),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:

        def start(total: int) -> Tick:
            task = bar.add_task(label, total=total)

            def tick(n: int) -> None:
                bar.advance(task, n)

            return tick

        yield start


def key_value(text: str, what: str) -> tuple[str, str]:
    """``KEY=VALUE`` split in two; one clear error naming the option ``what`` otherwise."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ParameterError(f"{what} takes KEY=VALUE, not {text!r}")
    return key.strip(), value


def parse_time(text: str | None, what: str) -> datetime | None:
    """An ISO 8601 time given to the option ``what`` (None when not given)."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ParameterError(f"{what}: {text!r} is not an ISO 8601 time") from None


def asdict_of(value: object) -> dict[str, object]:
    """A dataclass instance's fields as a dict (empty for anything else)."""
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else {}
