"""Shared fixtures: real DuckDB workspaces in tmp folders, the real data folder, the CLI."""

from __future__ import annotations

import csv
import shutil
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


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated scenario (seed 11, scale 0.1), ingested once: ``base.duckdb``."""
    from separ.ingest import ingest
    from separ.simulate import simulate

    root = tmp_path_factory.mktemp("scenario")
    simulate("default", seed=11, scale=0.1, out=root / "data")
    with Workspace(root / "base.duckdb") as ws:
        ingest(ws, root / "data")
    return root


def fresh(scenario: Path, name: str) -> Workspace:
    """A private copy of the scenario's workspace."""
    path = scenario / f"{name}.duckdb"
    shutil.copy(scenario / "base.duckdb", path)
    return Workspace(path)


def roles(scenario: Path) -> dict[str, str]:
    with open(scenario / "data" / "truth" / "accounts.csv", encoding="utf-8") as f:
        return {r["account_id"]: r["role"] for r in csv.DictReader(f)}


def truth_accounts(scenario: Path) -> dict[str, dict[str, str]]:
    with open(scenario / "data" / "truth" / "accounts.csv", encoding="utf-8") as f:
        return {r["account_id"]: r for r in csv.DictReader(f)}


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
