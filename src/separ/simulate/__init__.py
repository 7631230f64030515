"""Scenario simulator: synthetic platform data in the native format, with ground truth.

>>> from pathlib import Path
>>> summary = simulate("default", seed=1, scale=0.1, out=Path("demo"))  # doctest: +SKIP
>>> summary.events  # doctest: +SKIP
10862

``simulate`` writes one file per native table (``accounts.parquet``, ``posts.parquet``,
...), generated profile pictures under ``avatars/`` and the ground truth under ``truth/``.
The same scenario, seed and scale always give byte-identical table files.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from separ.errors import ParameterError
from separ.schema import TABLES
from separ.simulate.materialise import account_batches, follow_batches, post_batches
from separ.simulate.params import ScenarioParams
from separ.simulate.scenarios import SCENARIOS, ScenarioBuilder
from separ.simulate.tables import (
    action_batches,
    appeal_batches,
    login_batches,
    register_batches,
    report_batches,
)
from separ.simulate.truth import write_truth
from separ.simulate.world import World
from separ.simulate.writer import SINKS, write_table

__all__ = [
    "FORMATS",
    "SCENARIOS",
    "ScenarioBuilder",
    "ScenarioParams",
    "SimulationSummary",
    "simulate",
]

FORMATS = tuple(SINKS)
MIN_SCALE, MAX_SCALE = 0.05, 400.0
TABLE_BATCHES: dict[str, Callable[[World], Iterator[pa.RecordBatch]]] = {
    "accounts": account_batches,
    "posts": post_batches,
    "follows": follow_batches,
    "reports": report_batches,
    "actions": action_batches,
    "appeals": appeal_batches,
    "logins": login_batches,
    "registers": register_batches,
}
NOT_EVENTS = ("accounts", "registers")


@dataclass(frozen=True, slots=True)
class SimulationSummary:
    """What ``simulate`` wrote: rows per table, accounts per role, the attacked targets."""

    out: Path
    scenario: str
    seed: int
    scale: float
    fmt: str
    counts: dict[str, int] = field(default_factory=dict)
    roles: dict[str, int] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)

    @property
    def events(self) -> int:
        """Rows of every event table (posts, follows, reports, actions, appeals, logins)."""
        return sum(n for name, n in self.counts.items() if name not in NOT_EVENTS)


def simulate(
    scenario: str = "default",
    *,
    seed: int = 0,
    scale: float = 1.0,
    out: Path,
    fmt: str = "parquet",
) -> SimulationSummary:
    """Simulate ``scenario`` and write it to the folder ``out`` in the native format.

    About ``100_000 * scale`` events (posts, follows, reports, actions, appeals, logins).
    ``fmt`` is ``parquet``, ``csv`` or ``jsonl``; ``scale`` is between 0.05 and 400. ``out``
    is created if needed; it must be empty or hold an earlier simulation, whose files are
    replaced. Raises ``ParameterError`` for anything else.
    """
    if scenario not in SCENARIOS:
        choices = ", ".join(sorted(SCENARIOS))
        raise ParameterError(f"unknown scenario {scenario!r}; choose from {choices}")
    if fmt not in SINKS:
        raise ParameterError(f"unknown format {fmt!r}; choose from {', '.join(SINKS)}")
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise ParameterError(f"scale must be between {MIN_SCALE} and {MAX_SCALE}, got {scale}")
    out = Path(out)
    _prepare(out)
    world = SCENARIOS[scenario](seed, scale)
    counts = {
        name: write_table(out, TABLES[name], fmt, make(world))
        for name, make in TABLE_BATCHES.items()
    }
    avatars = out / "avatars"
    avatars.mkdir(exist_ok=True)
    for picture in world.profiles.files:
        (out / picture.path).write_bytes(picture.png)
    summary = write_truth(world, out / "truth", counts, fmt)
    return SimulationSummary(
        out=out,
        scenario=scenario,
        seed=seed,
        scale=scale,
        fmt=fmt,
        counts=counts,
        roles=summary["counts"]["roles"],
        targets=[t["account_id"] for t in summary["targets"]],
    )


def _prepare(out: Path) -> None:
    """Create ``out``, or clear the files of an earlier simulation; refuse anything else."""
    if out.exists() and not out.is_dir():
        raise ParameterError(f"{out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    if not any(out.iterdir()):
        return
    if not (out / "truth" / "scenario.json").is_file():
        raise ParameterError(f"{out} is not empty and does not hold an earlier simulation")
    for name in TABLES:
        for fmt in SINKS:
            (out / f"{name}.{fmt}").unlink(missing_ok=True)
    for sub in ("avatars", "truth"):
        shutil.rmtree(out / sub, ignore_errors=True)
