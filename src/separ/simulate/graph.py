"""The follow graph: communities, heavy-tailed popularity, and the bursts that are organic.

Organic follows are drawn community by community (stochastic-block style) with the
followee chosen in proportion to a Pareto popularity, so in-degrees are heavy-tailed.
A follow never predates either account. Two organic patterns look like swarms and are
not: followers of a re-registered activist re-following the new account within days, and
people following the author of a viral post they just reshared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from separ.simulate.common import DAY, I32, I64, Rng, time_order
from separ.simulate.params import ScenarioParams
from separ.simulate.population import OPERATION, Population
from separ.simulate.rows import Rows


@dataclass(slots=True)
class Follows:
    follower: I64
    followee: I64
    ts: I64
    rank: I64
    campaign: I32

    def __len__(self) -> int:
        return len(self.follower)


def follow_rows() -> Rows:
    return Rows(follower=np.int64, followee=np.int64, ts=np.int64, campaign=np.int32)


def organic_follows(
    pop: Population, params: ScenarioParams, scale: float, rng: Rng, out: Rows
) -> None:
    people = np.flatnonzero(pop.role != OPERATION)
    appetite = rng.lognormal(0.0, 1.2, size=len(people)) * np.where(pop.newcomer[people], 0.4, 1.0)
    total = params.follows_per_account * params.accounts * scale
    degree = rng.poisson(appetite * total / appetite.sum())
    follower = np.repeat(people, degree)
    n = len(follower)
    weight = np.where(pop.role == OPERATION, 0.01, pop.popularity)
    order = np.argsort(pop.community, kind="stable")
    cum = np.cumsum(weight[order])
    before = np.concatenate([[0.0], cum])
    comm_sorted = pop.community[order]
    c = pop.community[follower]
    first = np.searchsorted(comm_sorted, c, side="left")
    last = np.searchsorted(comm_sorted, c, side="right")
    inside = rng.random(n) < params.in_community
    lo = np.where(inside, before[first], 0.0)
    hi = np.where(inside, before[last], cum[-1])
    u = lo + rng.random(n) * (hi - lo)
    followee = order[np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)]
    start = np.maximum(pop.created[follower], pop.created[followee])
    stop = np.minimum(pop.active_until[follower], pop.active_until[followee])
    ok = (follower != followee) & (start < stop)
    ts = start + (rng.random(n) * (stop - start)).astype(np.int64)
    out.add(follower=follower[ok], followee=followee[ok], ts=ts[ok], campaign=-1)
    _refollow(pop, follower[ok], followee[ok], rng, out)


def _refollow(pop: Population, follower: I64, followee: I64, rng: Rng, out: Rows) -> None:
    """Followers of a suspended activist follow the new account within days."""
    successor = np.full(pop.n, -1, dtype=np.int64)
    new = np.flatnonzero(pop.rereg_of >= 0)
    successor[pop.rereg_of[new]] = new
    hit = (successor[followee] >= 0) & (rng.random(len(followee)) < 0.4)
    f, e = follower[hit], successor[followee[hit]]
    ts = pop.created[e] + rng.exponential(1.5 * DAY, size=len(e)).astype(np.int64) + 60
    ok = (ts < pop.active_until[f]) & (ts < pop.end) & (pop.created[f] < ts)
    out.add(follower=f[ok], followee=e[ok], ts=ts[ok], campaign=-1)


def finalise_follows(rows: Rows, rng: Rng) -> Follows:
    """Drop repeated pairs, order by time, rank per followee.

    Duplicate pairs only ever carry the same label (operation follows come from operation
    accounts, which have no organic follows), so which copy survives does not matter.
    """
    cols = rows.build()
    follower, followee = cols["follower"], cols["followee"]
    n_accounts = int(max(follower.max(initial=0), followee.max(initial=0))) + 1
    pair = follower * n_accounts + followee
    by_pair = np.argsort(pair)
    sorted_pair = pair[by_pair]
    keep = (
        by_pair[np.concatenate([[True], sorted_pair[1:] != sorted_pair[:-1]])]
        if len(pair)
        else by_pair
    )
    keep = keep[time_order(cols["ts"][keep], rng)]
    follower, followee = follower[keep], followee[keep]
    ts, campaign = cols["ts"][keep], cols["campaign"][keep]
    by_followee = np.argsort((followee << 32) | np.arange(len(ts)))  # time order per followee
    sorted_followee = followee[by_followee]
    group_start = np.searchsorted(sorted_followee, sorted_followee, side="left")
    rank = np.empty(len(ts), dtype=np.int64)
    rank[by_followee] = np.arange(len(ts)) - group_start
    return Follows(follower, followee, ts, rank, campaign.astype(np.int32))
