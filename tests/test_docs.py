"""The docs cannot drift: every command, importer, table and column is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

import separ
from separ.cli import app
from separ.ingest import IMPORTERS
from separ.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
NATIVE = (ROOT / "docs" / "native-format.md").read_text(encoding="utf-8")
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme_and_has_an_example(name: str) -> None:
    assert re.search(rf"separ {name}\b", README), f"README does not show `separ {name}`"
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    assert "Example: `separ " in (command.help or ""), f"`separ {name} --help` has no example"


@pytest.mark.parametrize("name", sorted(IMPORTERS))
def test_every_format_is_in_the_readme(name: str) -> None:
    assert f"| `{name}` |" in README, f"README's format table lacks `{name}`"


@pytest.mark.parametrize("table", list(TABLES.values()), ids=lambda t: t.name)
def test_every_native_column_is_documented(table: object) -> None:
    assert f"### `{table.name}`" in NATIVE  # type: ignore[attr-defined]
    for col in table.columns:  # type: ignore[attr-defined]
        assert f"| `{col.name}` |" in NATIVE


def test_public_api_is_curated() -> None:
    import types

    public = {
        name
        for name, value in vars(separ).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(separ.__all__) - {"__version__"}


@pytest.mark.parametrize("name", sorted(IMPORTERS))
def test_every_format_is_documented_as_its_module_says(name: str) -> None:
    import importlib

    formats = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    module = importlib.import_module(IMPORTERS[name].__module__)
    assert f"## `{name}`" in formats
    assert (module.__doc__ or "").strip() in formats, f"docs/formats.md is stale for {name}"
