"""Organic posting: everyday posts, state news, protest bursts and solidarity waves.

Protest bursts (many at-risk and organic accounts using the same hashtags for a day or two)
and solidarity waves (thousands resharing one viral post within minutes, once) are the
hard negatives for co-action detectors: heavy co-activity over *few* objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from separ.simulate import text
from separ.simulate.common import (
    DAY,
    HOUR,
    I32,
    I64,
    MINUTE,
    Rng,
    diurnal_times,
    fake_phash,
    pick,
    weighted_sample,
)
from separ.simulate.params import ScenarioParams
from separ.simulate.plan import (
    POST,
    QUOTE,
    REPLY,
    REPOST,
    SRC_NEWS,
    SRC_NONE,
    SRC_PROTEST,
    SRC_SOLIDARITY,
    URL_NEWS,
    URL_ORGANIC,
    PlanBuilder,
    PostPlan,
    block,
    concat,
)
from separ.simulate.population import AFFILIATED, AT_RISK, EN, OPERATION, ORGANIC, Population

KIND_P = np.array([0.55, 0.25, 0.12, 0.08])


@dataclass(slots=True)
class Surges:
    """Organic follows that come in bursts (after a viral post): not the operation."""

    follower: list[I64] = field(default_factory=list)
    followee: list[I64] = field(default_factory=list)
    ts: list[I64] = field(default_factory=list)


def organic_posts(
    pop: Population, params: ScenarioParams, scale: float, rng: Rng, camouflage: I32
) -> PostPlan:
    """Everyday posts of organic, at-risk and aged operation accounts (their camouflage).

    ``camouflage[k]`` is the campaign code of operator ``k``'s camouflage posts.
    """
    lo = np.maximum(pop.created, pop.start)
    frac = np.clip((pop.active_until - lo) / (pop.end - pop.start), 0.0, 1.0)
    weight = np.where(pop.role == AFFILIATED, 0.0, pop.activity * frac)
    total = params.posts_per_account * params.accounts * scale
    counts = rng.poisson(weight * total / max(weight.sum(), 1e-9))
    author = np.repeat(np.arange(pop.n), counts)
    ts = diurnal_times(rng, lo[author], pop.active_until[author])
    kind = rng.choice(4, size=len(author), p=KIND_P)
    lang = np.where(rng.random(len(author)) < 0.1, 1 - pop.lang[author], pop.lang[author])
    op = pop.operator[author]
    campaign = np.where(op >= 0, camouflage[np.maximum(op, 0)] if len(camouflage) else -1, -1)
    plan = block(author, ts, kind=kind, lang=lang, campaign=campaign)
    plan.src[kind == REPOST] = SRC_NONE
    plan.lang[kind == REPOST] = -1
    decorate(plan, pop, rng)
    return plan


def decorate(plan: PostPlan, pop: Population, rng: Rng) -> None:
    """Hashtags, mentions, links and media on organic-looking posts (not reposts)."""
    own = np.flatnonzero(plan.kind != REPOST)
    n = len(own)
    en = plan.lang[own] == EN
    activist = pop.role[plan.author[own]] == AT_RISK
    n_tags = np.where(rng.random(n) < 0.22, rng.integers(1, 4, size=n), 0)
    for j in range(3):
        fa_tag = np.where(
            activist & (rng.random(n) < 0.4),
            text.tag_codes("protest", rng, n),
            text.tag_codes("organic_fa", rng, n),
        )
        code = np.where(en, text.tag_codes("organic_en", rng, n), fa_tag)
        plan.tags[own, j] = np.where(j < n_tags, code, -1)
    mention = rng.random(n) < 0.08
    people = np.where(pop.role == OPERATION, 0.0, pop.popularity)
    plan.ment[own[mention], 1] = pick(rng, people, int(mention.sum()))
    plan.url[own[rng.random(n) < 0.12]] = URL_ORGANIC
    media = own[rng.random(n) < 0.1]
    plan.media[media] = fake_phash(rng, len(media))


def news_posts(pop: Population, rng: Rng) -> PostPlan:
    """State-affiliated accounts post a lot: official news, links, pictures."""
    idx = pop.of(AFFILIATED)
    days = (pop.end - np.maximum(pop.created[idx], pop.start)) / DAY
    counts = rng.poisson(rng.uniform(0.8, 3.0, size=len(idx)) * days)
    author = np.repeat(idx, counts)
    ts = diurnal_times(rng, np.full(len(author), pop.start), np.full(len(author), pop.end))
    plan = block(author, ts, src=SRC_NEWS, lang=pop.lang[author])
    n = len(plan)
    plan.url[rng.random(n) < 0.6] = URL_NEWS
    media = np.flatnonzero(rng.random(n) < 0.4)
    plan.media[media] = fake_phash(rng, len(media))
    tagged = rng.random(n) < 0.3
    plan.tags[tagged, 0] = text.tag_codes("news", rng, int(tagged.sum()))
    return plan


def protest_bursts(
    pop: Population, params: ScenarioParams, scale: float, rng: Rng
) -> tuple[PostPlan, list[dict[str, Any]]]:
    """Bursts of protest posting: the same hashtags over a day or two, distinct texts."""
    plans: list[PostPlan] = []
    info: list[dict[str, Any]] = []
    for b in range(params.protest_bursts):
        t0 = pop.start + int(rng.uniform(8, 55) * DAY)
        span = int(rng.uniform(24, 48) * HOUR)
        alive = (pop.created < t0) & (pop.active_until > t0 + span)
        risk = np.flatnonzero(alive & (pop.role == AT_RISK) & (rng.random(pop.n) < 0.7))
        weight = np.where(alive & (pop.role == ORGANIC), pop.activity + 0.2, 0.0)
        weight *= np.where(np.isin(pop.community, pop.activist_communities), 4.0, 1.0)
        k = max(5, round(params.burst_posters * scale * rng.uniform(0.7, 1.3)))
        who = np.concatenate([risk, weighted_sample(rng, weight, k)])
        author = np.repeat(who, rng.geometric(0.55, size=len(who)))
        ts = t0 + (span * rng.beta(2.0, 3.0, size=len(author))).astype(np.int64)
        plan = block(
            author, ts, src=SRC_PROTEST, lang=np.where(rng.random(len(author)) < 0.1, 1, 0)
        )
        seq = text.tag_codes("protest", rng, 3, distinct=True)
        n = len(plan)
        plan.tags[:, :3] = seq
        short = rng.random(n) < 0.2
        plan.tags[short, 2] = -1
        media = np.flatnonzero(rng.random(n) < 0.3)
        plan.media[media] = fake_phash(rng, len(media))
        plans.append(plan)
        info.append(
            {
                "burst": b + 1,
                "hashtags": [text.HASHTAGS[c] for c in seq],
                "start": int(t0),
                "end": int(t0 + span),
                "posts": n,
                "accounts": len(who),
            }
        )
    return _concat(plans), info


def assign_refs(plan: PostPlan, need: I64, pop: Population, rng: Rng) -> None:
    """Pick what reposts, replies and quotes refer to: earlier posts, popular and recent.

    Weighted by the author's popularity among posts strictly earlier (70% within two days);
    5% point at posts from before the window (outside the data).
    """
    order = np.argsort(plan.ts)
    ts_sorted = plan.ts[order]
    original = np.isin(plan.kind[order], (POST, QUOTE))
    weight = np.where(original, pop.popularity[plan.author[order]] ** 0.7, 0.0)
    cum = np.concatenate([[0.0], np.cumsum(weight)])
    t = plan.ts[need]
    hi = np.searchsorted(ts_sorted, t, side="left")
    recent = np.searchsorted(ts_sorted, t - 2 * DAY, side="left")
    lo = np.where(rng.random(len(need)) < 0.7, recent, 0)
    mass = cum[hi] - cum[lo]
    inside = (mass > 0) & (rng.random(len(need)) >= 0.05)
    u = cum[lo] + rng.random(len(need)) * mass
    j = np.clip(np.searchsorted(cum, u, side="right") - 1, lo, np.maximum(hi - 1, lo))
    ok = need[inside]
    plan.ref[ok] = order[j[inside]]
    plan.ref_acc[ok] = plan.author[plan.ref[ok]]
    ext = need[~inside]
    before = pop.start - rng.integers(HOUR, 700 * DAY, size=len(ext))
    plan.ref_ext[ext] = (before << 28) | rng.integers(0, 1 << 28, size=len(ext))
    people = np.where(pop.role == OPERATION, 0.0, pop.popularity)
    plan.ref_acc[ext] = pick(rng, people, len(ext))
    replies = need[plan.kind[need] == REPLY]
    plan.ment[replies, 0] = plan.ref_acc[replies]


def solidarity_waves(
    builder: PlanBuilder, pop: Population, params: ScenarioParams, scale: float, rng: Rng
) -> tuple[list[dict[str, Any]], Surges]:
    """Viral protest posts reshared by thousands within minutes, each wave once."""
    surges = Surges()
    info: list[dict[str, Any]] = []
    weight = pop.popularity * np.where(pop.role == AT_RISK, 1.0, 0.0)
    if len(pop.targets):
        weight[pop.targets] *= 4.0  # an attacked activist's post often goes viral too
    for w in range(params.solidarity_waves):
        t0 = int(
            diurnal_times(rng, np.array([pop.start + 5 * DAY]), np.array([pop.end - 2 * DAY]))[0]
        )
        alive = (pop.created < t0 - DAY) & (pop.active_until > t0 + DAY)
        author = int(pick(rng, np.where(alive, weight, 0.0), 1)[0])
        origin = block(np.array([author]), np.array([t0]), src=SRC_PROTEST)
        origin.media[0] = fake_phash(rng, 1)[0]
        origin.tags[0, :2] = text.tag_codes("protest", rng, 2, distinct=True)
        at = builder.add(origin)
        people = alive & (pop.role <= AT_RISK)
        people[author] = False
        boost = np.where(np.isin(pop.community, pop.activist_communities), 3.0, 1.0)
        k = round(params.wave_reposters * scale * rng.uniform(0.6, 1.4))
        who = weighted_sample(rng, np.where(people, (pop.activity + 0.3) * boost, 0.0), k)
        delay = np.minimum(rng.lognormal(np.log(6 * MINUTE), 0.9, size=len(who)), 6 * HOUR)
        ts = t0 + 1 + delay.astype(np.int64)
        quote = rng.random(len(who)) < 0.07
        plan = block(who, ts, kind=np.where(quote, QUOTE, REPOST), ref=np.full(len(who), at))
        plan.ref_acc[:] = author
        plan.src[:] = np.where(quote, SRC_SOLIDARITY, SRC_NONE)
        plan.lang[:] = np.where(quote, 0, -1)
        builder.add(plan)
        follows = rng.random(len(who)) < 0.3
        follow = who[follows]
        later = delay[follows] + rng.exponential(20 * MINUTE, size=len(follow))
        surges.follower.append(follow)
        surges.followee.append(np.full(len(follow), author, dtype=np.int64))
        surges.ts.append(t0 + 1 + later.astype(np.int64))
        info.append(
            {
                "wave": w + 1,
                "author_index": author,
                "post_index": at,
                "reposts": len(who),
                "start": t0,
                "p90_end": int(t0 + np.quantile(delay, 0.9)) if len(who) else t0,
                "follow_surge": len(follow),
            }
        )
    return info, surges


def _concat(plans: list[PostPlan]) -> PostPlan:
    return concat(plans) if plans else block(np.zeros(0), np.zeros(0))
