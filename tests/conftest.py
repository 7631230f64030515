"""Shared fixtures: real DuckDB workspaces in tmp folders, the real data folder, the CLI."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from separ.workspace import Workspace

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def data_path(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test with a clear message when absent."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not found: {path} (the ../shared/data folder is absent)")
    return path


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace(tmp_path / "ws.duckdb") as workspace:
        yield workspace


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``separ`` command in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "separ", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )
