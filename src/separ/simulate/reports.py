"""User reports: organic reports (rarer, varied reasons) next to the operation's brigades.

People report the threats they receive and some of the copy-paste smears; everyone
reports a little of everything (spam, misinformation, harassment). Brigades come from the
operation (``operation.py``) and all say "violent speech".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from separ.simulate import vocab
from separ.simulate.common import HOUR, I8, I32, I64, Bools, Rng, snowflake_ids, time_order
from separ.simulate.params import ScenarioParams
from separ.simulate.plan import REPOST, PostPlan
from separ.simulate.population import OPERATION, Population
from separ.simulate.rows import Rows

REASON = {name: i for i, name in enumerate(vocab.REPORT_REASONS)}
_BACKGROUND_P = np.array([0.06, 0.25, 0.15, 0.2, 0.2, 0.04, 0.1])


@dataclass(slots=True)
class Reports:
    reporter: I64
    target: I64
    post: I64  # plan index, -1 = the account itself
    reason: I8
    ts: I64
    campaign: I32
    brigade: Bools
    ids: I64

    def __len__(self) -> int:
        return len(self.ts)


def report_rows() -> Rows:
    return Rows(
        reporter=np.int64,
        target=np.int64,
        post=np.int64,
        reason=np.int8,
        ts=np.int64,
        campaign=np.int32,
        brigade=np.bool_,
    )


def organic_reports(
    pop: Population,
    params: ScenarioParams,
    scale: float,
    plan: PostPlan,
    abusive: Bools,
    rng: Rng,
    out: Rows,
) -> None:
    """Reports by people: of threats they received, of smears, and of everyday content."""
    people = np.flatnonzero(pop.role != OPERATION)
    threats = np.flatnonzero(abusive & (plan.ment[:, 0] >= 0) & (plan.kind != REPOST))
    by_target = threats[rng.random(len(threats)) < 0.5]
    _add(
        out,
        pop,
        plan,
        rng,
        plan.ment[by_target, 0],
        by_target,
        2 * HOUR,
        np.where(rng.random(len(by_target)) < 0.6, REASON["violent_speech"], REASON["harassment"]),
    )
    others = np.repeat(threats, rng.poisson(0.3, size=len(threats)))
    _add(
        out,
        pop,
        plan,
        rng,
        people[rng.integers(0, len(people), len(others))],
        others,
        6 * HOUR,
        rng.choice([REASON["harassment"], REASON["hateful_conduct"]], size=len(others)),
    )
    count = rng.poisson(params.reports_per_account * params.accounts * scale)
    own = np.flatnonzero((plan.kind != REPOST) & ~abusive)
    posts = own[rng.integers(0, len(own), size=count)] if len(own) else np.zeros(0, np.int64)
    reason = rng.choice(len(_BACKGROUND_P), size=len(posts), p=_BACKGROUND_P)
    _add(
        out,
        pop,
        plan,
        rng,
        people[rng.integers(0, len(people), len(posts))],
        posts,
        8 * HOUR,
        reason,
        account_only=rng.random(len(posts)) < 0.1,
    )
    ops = pop.of(OPERATION)
    spotted = ops[rng.random(len(ops)) < 0.03]
    if len(spotted):
        first = np.maximum(pop.created[spotted], pop.start)
        ts = first + (rng.random(len(spotted)) * (pop.end - first)).astype(np.int64)
        reporter = people[rng.integers(0, len(people), len(spotted))]
        ok = pop.created[reporter] < ts
        out.add(
            reporter=reporter[ok],
            target=spotted[ok],
            post=-1,
            reason=REASON["spam"],
            ts=ts[ok],
            campaign=-1,
            brigade=False,
        )


def _add(
    out: Rows,
    pop: Population,
    plan: PostPlan,
    rng: Rng,
    reporter: I64,
    post: I64,
    mean_delay: float,
    reason: np.ndarray,
    account_only: Bools | None = None,
) -> None:
    ts = plan.ts[post] + 60 + rng.exponential(mean_delay, size=len(post)).astype(np.int64)
    target = plan.author[post].astype(np.int64)
    ok = (ts < pop.end) & (pop.created[reporter] < ts) & (reporter != target)
    ok &= ts < pop.active_until[reporter]
    post_col = np.where(account_only, -1, post) if account_only is not None else post
    out.add(
        reporter=reporter[ok],
        target=target[ok],
        post=post_col[ok],
        reason=reason[ok],
        ts=ts[ok],
        campaign=-1,
        brigade=False,
    )


def finalise_reports(rows: Rows, rng: Rng) -> Reports:
    """Order by time and give ids."""
    cols = rows.build()
    order = time_order(cols["ts"], rng)
    c = {k: v[order] for k, v in cols.items()}
    return Reports(
        reporter=c["reporter"],
        target=c["target"],
        post=c["post"],
        reason=c["reason"],
        ts=c["ts"],
        campaign=c["campaign"],
        brigade=c["brigade"],
        ids=snowflake_ids(c["ts"], rng),
    )
