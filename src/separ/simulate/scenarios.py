"""The scenario registry: a name maps to a builder ``(seed, scale) -> World``.

Adding a scenario is adding an entry (new parameters, or a builder of its own); dispatch
never grows an if/elif chain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from separ.simulate.params import ScenarioParams
from separ.simulate.world import World, build_world

ScenarioBuilder = Callable[[int, float], World]


def default(seed: int, scale: float) -> World:
    """An operation attacks women activists; organic solidarity and protest are the hard negatives."""
    return build_world("default", ScenarioParams(), seed, scale)


def baseline(seed: int, scale: float) -> World:
    """The same platform with no operation: for false-positive rates of detectors."""
    return build_world("baseline", replace(ScenarioParams(), operators=0), seed, scale)


SCENARIOS: dict[str, ScenarioBuilder] = {"default": default, "baseline": baseline}
