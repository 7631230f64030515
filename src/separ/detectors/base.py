"""The detector contract: ``Detector``, ``Finding``, parameter constraints, one registry.

A detector is a small class (as in scikit-learn): its constructor only stores keyword
parameters, unchanged; allowed values are declared as data in ``constraints``, each
parameter is documented in ``docs``, and ``run(workspace)`` returns findings. Higher
scores are more suspicious. Every finding cites the event ids that justify it and says in
one sentence, with numbers, what happened.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import numpy as np

from separ.errors import ParameterError
from separ.workspace import Workspace


@dataclass(frozen=True, slots=True)
class Interval:
    """A number in [low, high] (either bound may be None); ``integer`` for whole numbers."""

    low: float | None = None
    high: float | None = None
    integer: bool = False

    def check(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        number = float(value)
        if self.integer and not number.is_integer():
            return False
        return (self.low is None or number >= self.low) and (
            self.high is None or number <= self.high
        )

    def __str__(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        return f"{kind} in [{self.low if self.low is not None else '-inf'}, {self.high if self.high is not None else 'inf'}]"


@dataclass(frozen=True, slots=True)
class Options:
    """One of a fixed set of values."""

    values: tuple[object, ...]

    def check(self, value: object) -> bool:
        return value in self.values

    def __str__(self) -> str:
        return "one of " + ", ".join(map(str, self.values))


@dataclass(frozen=True, slots=True)
class Evidence:
    event_ids: tuple[str, ...]
    what: str


@dataclass
class Finding:
    detector: str
    kind: str
    accounts: list[str]
    summary: str
    evidence: list[Evidence]
    score: float
    targets: list[str] = field(default_factory=list)
    window: tuple[datetime | None, datetime | None] = (None, None)
    significance: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    version: str = ""

    @property
    def finding_id(self) -> str:
        """Stable id: the same detector, version, parameters and evidence give the same id."""
        key = json.dumps(
            [
                self.detector,
                self.version,
                self.kind,
                sorted(self.accounts),
                self.params,
                sorted(e for ev in self.evidence for e in ev.event_ids),
            ],
            sort_keys=True,
            default=str,
        )
        return f"{self.detector}-{hashlib.blake2b(key.encode(), digest_size=6).hexdigest()}"

    @property
    def event_ids(self) -> list[str]:
        return sorted({e for ev in self.evidence for e in ev.event_ids})

    def as_json(self) -> dict[str, Any]:
        return {
            "finding_id": self.finding_id,
            "detector": self.detector,
            "kind": self.kind,
            "accounts": self.accounts,
            "targets": self.targets,
            "window": list(self.window),
            "score": self.score,
            "significance": self.significance,
            "summary": self.summary,
            "evidence": [{"what": e.what, "event_ids": list(e.event_ids)} for e in self.evidence],
            "params": self.params,
            "version": self.version,
        }


DETECTORS: dict[str, type[Detector]] = {}


def register[T: type[Detector]](cls: T) -> T:
    if cls.name in DETECTORS:
        raise ValueError(f"detector {cls.name!r} is registered twice")
    missing = set(cls.parameters()) - set(cls.docs)
    if missing:
        raise ValueError(f"detector {cls.name}: undocumented parameters {sorted(missing)}")
    DETECTORS[cls.name] = cls
    return cls


class Detector(ABC):
    """Base class. Subclasses declare ``name``, ``version``, ``constraints``, ``docs`` and
    a keyword-only ``__init__`` that stores each parameter under its own name."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    constraints: ClassVar[dict[str, Interval | Options]] = {}
    docs: ClassVar[dict[str, str]] = {}
    reads_findings: ClassVar[bool] = False
    """True for a detector that reads other detectors' stored findings: it runs after them."""

    @classmethod
    def parameters(cls) -> dict[str, Any]:
        """Parameter names and defaults, read from the constructor's signature."""
        sig = inspect.signature(cls.__init__)
        return {
            p.name: p.default
            for p in sig.parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        }

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.parameters()}

    def validate(self) -> None:
        for name, value in self.get_params().items():
            rule = self.constraints.get(name)
            if rule is not None and not rule.check(value):
                raise ParameterError(f"{self.name}.{name} must be {rule}, not {value!r}")

    @abstractmethod
    def run(self, ws: Workspace) -> list[Finding]:
        """Findings over the workspace's tables; deterministic for the same inputs."""


def build(name: str, overrides: dict[str, str] | None = None) -> Detector:
    """The registered detector ``name`` with parameters parsed from text overrides."""
    try:
        cls = DETECTORS[name]
    except KeyError:
        raise ParameterError(
            f"unknown detector {name!r} (known: {', '.join(sorted(DETECTORS))})"
        ) from None
    params = cls.parameters()
    kwargs: dict[str, Any] = {}
    for key, text in (overrides or {}).items():
        if key not in params:
            raise ParameterError(
                f"{name} has no parameter {key!r} (its parameters: {', '.join(params)})"
            )
        kwargs[key] = _parse(text, params[key])
    detector = cls(**kwargs)
    detector.validate()
    return detector


def _parse(text: str, default: object) -> object:
    caster: Callable[[str], object]
    if isinstance(default, bool):
        return text.strip().lower() in ("1", "true", "yes", "y")
    if isinstance(default, int):
        caster = int
    elif isinstance(default, float):
        caster = float
    elif isinstance(default, tuple | list):
        return tuple(v.strip() for v in text.split(",") if v.strip())
    else:
        return text
    try:
        return caster(text)
    except ValueError:
        raise ParameterError(f"{text!r} is not a {caster.__name__}") from None


def run_detectors(
    ws: Workspace,
    detectors: Iterable[Detector],
    progress: Callable[[str], None] | None = None,
) -> list[Finding]:
    """Run each detector and store its findings (replacing its earlier ones). Detectors
    that read other detectors' findings run last, so they read this run's findings, and
    running the same detectors twice gives the same findings."""
    from separ.detectors.store import store_findings

    found: list[Finding] = []
    for detector in sorted(detectors, key=lambda d: d.reads_findings):
        if progress:
            progress(detector.name)
        findings = detector.run(ws)
        for f in findings:
            f.params = detector.get_params()
            f.version = detector.version
        store_findings(ws, detector.name, findings)
        found.extend(findings)
    return found


def bh_qvalues(pvalues: np.ndarray, tests: float) -> np.ndarray:
    """Benjamini–Hochberg q-values for ``pvalues`` among ``tests`` hypotheses (the pairs
    not listed have p = 1 and rank after them)."""
    order = np.argsort(pvalues, kind="stable")
    ranked = pvalues[order] * tests / np.arange(1, len(pvalues) + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty_like(ranked)
    q[order] = np.minimum(ranked, 1.0)
    return q
