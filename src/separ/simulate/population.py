"""Who exists: roles, creation times, communities, popularity and activity of every account.

Accounts are indexed internally in role blocks (organic, at-risk, affiliated, operation);
the written table is ordered by creation time and ids are time-based, so the internal
order never shows in the output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from separ.errors import ParameterError
from separ.simulate.common import (
    DAY,
    F64,
    HOUR,
    I8,
    I32,
    I64,
    MINUTE,
    YEAR,
    Bools,
    Rng,
    epoch,
    weighted_sample,
)
from separ.simulate.params import ScenarioParams

ORGANIC, AT_RISK, AFFILIATED, OPERATION = 0, 1, 2, 3
ROLES = ("organic", "at_risk", "affiliated", "operation")
KINDS = ("activist", "journalist", "whrd", "state-official", "state-media")
ACTIVIST, JOURNALIST, WHRD, STATE_OFFICIAL, STATE_MEDIA = range(5)
FA, EN = 0, 1
T2008 = epoch("2008-01-01T00:00:00Z")


@dataclass(slots=True)
class Population:
    start: int
    end: int
    role: I8
    created: I64
    active_until: I64
    community: I32
    popularity: F64
    activity: F64
    lang: I8
    kind: I8
    operator: I8
    batch: I32
    poster: Bools
    newcomer: Bools
    client: I8
    rereg_of: I32
    targets: I64
    n_communities: int
    activist_communities: tuple[int, ...]
    state_community: int
    batch_names: list[str] = field(default_factory=list)
    active_from: dict[int, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.role)

    def of(self, role: int) -> I64:
        return np.flatnonzero(self.role == role).astype(np.int64)

    def of_operator(self, k: int) -> I64:
        return np.flatnonzero(self.operator == k).astype(np.int64)


def build_population(params: ScenarioParams, scale: float, rng: Rng) -> Population:
    end = epoch(params.end)
    start = end - params.window_days * DAY
    n = round(params.accounts * scale)
    n_aff = max(params.min_affiliated, round(params.affiliated_share * n))
    n_risk = max(params.min_at_risk, round(params.at_risk_share * n))
    n_op = (
        max(params.min_operation, round(params.operation_share * n)) if params.has_operation else 0
    )
    n_org = n - n_aff - n_risk - n_op
    if n_org < 10 * n_risk:
        raise ParameterError(f"scale {scale} is too small for this scenario ({n} accounts)")
    role = np.repeat(
        np.array([ORGANIC, AT_RISK, AFFILIATED, OPERATION], dtype=np.int8),
        [n_org, n_risk, n_aff, n_op],
    )
    n_comm = max(6, round(np.sqrt(n_org) / 3))
    comm_w = 1.0 / np.arange(1, n_comm + 1) ** 0.8
    comm_w = rng.permutation(comm_w / comm_w.sum())
    activist = (0, 1, 2)
    state = 3
    pop = Population(
        start=start,
        end=end,
        role=role,
        created=np.zeros(n, dtype=np.int64),
        active_until=np.full(n, end, dtype=np.int64),
        community=rng.choice(n_comm, size=n, p=comm_w).astype(np.int32),
        popularity=rng.pareto(1.2, size=n) + 1.0,
        activity=np.zeros(n, dtype=np.float64),
        lang=np.zeros(n, dtype=np.int8),
        kind=np.full(n, -1, dtype=np.int8),
        operator=np.full(n, -1, dtype=np.int8),
        batch=np.full(n, -1, dtype=np.int32),
        poster=np.zeros(n, dtype=bool),
        newcomer=np.zeros(n, dtype=bool),
        client=rng.choice(4, size=n, p=[0.45, 0.3, 0.2, 0.05]).astype(np.int8),
        rereg_of=np.full(n, -1, dtype=np.int32),
        targets=np.zeros(0, dtype=np.int64),
        n_communities=n_comm,
        activist_communities=activist,
        state_community=state,
    )
    _organic(pop, params, rng)
    _at_risk(pop, params, rng)
    _affiliated(pop, rng)
    if n_op:
        _operation(pop, params, rng)
    _choose_targets(pop, params, rng)
    return pop


def _span(rng: Rng, lo: int, hi: int, n: int, power: float = 1.0) -> I64:
    """Times in [lo, hi), skewed towards ``hi`` when ``power`` < 1."""
    out: I64 = lo + ((hi - lo) * rng.random(n) ** power).astype(np.int64)
    return out


def _organic(pop: Population, params: ScenarioParams, rng: Rng) -> None:
    idx = pop.of(ORGANIC)
    n = len(idx)
    new = rng.random(n) < params.newcomer_share
    pop.newcomer[idx] = new
    pop.created[idx] = np.where(
        new, _span(rng, pop.start, pop.end - 2 * DAY, n), _span(rng, T2008, pop.start, n, 0.6)
    )
    pop.lang[idx] = (rng.random(n) < 0.3).astype(np.int8)
    lurker = rng.random(n) < params.lurker_share
    pop.activity[idx] = np.where(lurker, 0.0, rng.lognormal(0.0, 1.2, size=n))
    pop.popularity[idx] *= np.where(new, 0.3, 1.0)


def _at_risk(pop: Population, params: ScenarioParams, rng: Rng) -> None:
    idx = pop.of(AT_RISK)
    n = len(idx)
    kind = rng.choice(3, size=n, p=[0.65 - params.whrd_share, 0.35, params.whrd_share])
    pop.kind[idx] = kind.astype(np.int8)
    pop.community[idx] = np.where(
        rng.random(n) < 0.8, rng.choice(pop.activist_communities, size=n), pop.community[idx]
    )
    pop.created[idx] = _span(rng, T2008 + YEAR, pop.start, n, 0.9)
    pop.lang[idx] = (rng.random(n) < 0.12).astype(np.int8)
    pop.activity[idx] = np.where(rng.random(n) < 0.1, 0.0, rng.lognormal(0.8, 1.0, size=n))
    pop.popularity[idx] *= np.where(kind == JOURNALIST, 5.0, 3.0)
    # Re-registration: an old account suspended in the window, and its successor created
    # a few hours to days later (same person, same style of name; see profiles.py).
    k = max(2, round(params.reregistered_share * n / 2))
    old, new = idx[:k], idx[k : 2 * k]
    suspended = _span(rng, pop.start + 3 * DAY, pop.start + 48 * DAY, k)
    pop.active_until[old] = suspended
    pop.created[new] = suspended + rng.integers(2 * HOUR, 4 * DAY, size=k)
    pop.rereg_of[new] = old.astype(np.int32)
    for col in (pop.kind, pop.community, pop.lang):
        col[new] = col[old]
    pop.popularity[new] = pop.popularity[old] * 0.4


def _affiliated(pop: Population, rng: Rng) -> None:
    idx = pop.of(AFFILIATED)
    n = len(idx)
    pop.kind[idx] = np.where(rng.random(n) < 0.5, STATE_OFFICIAL, STATE_MEDIA).astype(np.int8)
    pop.kind[idx[:2]] = (STATE_OFFICIAL, STATE_MEDIA)
    pop.community[idx] = pop.state_community
    pop.created[idx] = _span(rng, T2008 + YEAR, T2008 + 12 * YEAR, n)
    pop.lang[idx] = (rng.random(n) < 0.15).astype(np.int8)
    pop.popularity[idx] *= 40.0
    pop.client[idx] = 5


def _operation(pop: Population, params: ScenarioParams, rng: Rng) -> None:
    idx = pop.of(OPERATION)
    n = len(idx)
    k_ops = params.operators
    shares = rng.dirichlet(np.full(k_ops, 8.0))
    op = np.repeat(np.arange(k_ops), rng.multinomial(n - 2 * k_ops, shares) + 2)
    op = op[rng.permutation(n)].astype(np.int8)
    pop.operator[idx] = op
    aged = rng.random(n) < params.aged_share
    pop.community[idx] = -1
    pop.popularity[idx] = 0.02
    pop.lang[idx] = (rng.random(n) < 0.05).astype(np.int8)
    pop.poster[idx] = aged | (rng.random(n) < params.poster_share)
    pop.activity[idx] = np.where(aged, rng.lognormal(-0.7, 0.8, size=n), 0.0)
    pop.client[idx] = np.where(rng.random(n) < 0.7, 2, pop.client[idx])
    created = _span(rng, T2008 + 4 * YEAR, T2008 + 15 * YEAR, n)
    names: list[str] = []
    for k in range(k_ops):
        members = np.flatnonzero((op == k) & ~aged)
        b0 = pop.start + int((1.0 + 2.5 * k + 1.5 * rng.random()) * DAY)
        span = int(params.batch_span_days * DAY)
        sessions = b0 + np.sort(rng.integers(0, span, size=max(2, len(members) // 15)))
        pick = rng.integers(0, len(sessions), size=len(members))
        delay = np.minimum(rng.exponential(20 * MINUTE, size=len(members)), 3 * HOUR)
        created[members] = sessions[pick] + delay.astype(np.int64)
        names += [f"op{k + 1}-b1", f"op{k + 1}-aged"]
        pop.batch[idx[members]] = 2 * k
        pop.batch[idx[(op == k) & aged]] = 2 * k + 1
        last = int(created[members].max()) if len(members) else b0
        pop.active_from[k] = last + DAY
    pop.created[idx] = created
    pop.batch_names = names


def _choose_targets(pop: Population, params: ScenarioParams, rng: Rng) -> None:
    """The at-risk accounts the operation attacks: mostly women's-rights defenders."""
    if not params.has_operation:
        return
    eligible = (pop.role == AT_RISK) & (pop.rereg_of < 0) & (pop.active_until == pop.end)
    weight = pop.popularity * (pop.activity + 0.5)
    whrd = np.flatnonzero(eligible & (pop.kind == WHRD))
    other = np.flatnonzero(eligible & (pop.kind != WHRD))
    a = whrd[weighted_sample(rng, weight[whrd], params.whrd_targets)]
    b = other[weighted_sample(rng, weight[other], params.targets - len(a))]
    pop.targets = np.concatenate([a, b]).astype(np.int64)
    pop.activity[pop.targets] = np.maximum(pop.activity[pop.targets], 4.0) * 2.0
    pop.popularity[pop.targets] *= 3.0
