"""A simulated world: every table as numbers, built in a fixed order from named streams.

Each step draws from its own random stream (``common.stream(seed, name)``), so the same
seed and scale give the same world, and changing one step leaves the others unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from separ.simulate.common import Rng, stream
from separ.simulate.graph import Follows, finalise_follows, follow_rows, organic_follows
from separ.simulate.logins import Logins, Registers, build_logins, build_registers
from separ.simulate.moderation import Moderation, moderate
from separ.simulate.operation import Operation
from separ.simulate.params import ScenarioParams
from separ.simulate.plan import QUOTE, REPLY, REPOST, FinalPlan, PlanBuilder, finalise
from separ.simulate.population import Population, build_population
from separ.simulate.posts import (
    assign_refs,
    news_posts,
    organic_posts,
    protest_bursts,
    solidarity_waves,
)
from separ.simulate.profiles import Profiles, build_profiles
from separ.simulate.reports import Reports, finalise_reports, organic_reports, report_rows
from separ.simulate.rows import Codebook

ABUSIVE = ("reply_swarm:", "copypasta:")


@dataclass(slots=True)
class World:
    scenario: str
    seed: int
    scale: float
    params: ScenarioParams
    pop: Population
    profiles: Profiles
    posts: FinalPlan
    follows: Follows
    reports: Reports
    moderation: Moderation
    logins: Logins
    registers: Registers
    campaigns: Codebook
    texts: Codebook
    urls: Codebook
    targets: list[dict[str, Any]]
    hard_negatives: dict[str, Any]


def build_world(scenario: str, params: ScenarioParams, seed: int, scale: float) -> World:
    def rng(name: str) -> Rng:
        return stream(seed, name)

    pop = build_population(params, scale, rng("population"))
    profiles = build_profiles(pop, params, rng("profiles"))
    campaigns, texts, urls = Codebook(), Codebook(), Codebook()
    camouflage = np.array(
        [campaigns.code(f"camouflage:op{k + 1}") for k in range(params.operators)], dtype=np.int32
    )
    builder = PlanBuilder()
    builder.add(organic_posts(pop, params, scale, rng("organic-posts"), camouflage))
    builder.add(news_posts(pop, rng("news")))
    burst_plan, bursts = protest_bursts(pop, params, scale, rng("bursts"))
    builder.add(burst_plan)
    corpus = builder.view()
    need = np.flatnonzero(np.isin(corpus.kind, (REPOST, REPLY, QUOTE)) & (corpus.ref < 0))
    assign_refs(corpus, need, pop, rng("refs"))
    waves, surges = solidarity_waves(builder, pop, params, scale, rng("waves"))

    follows = follow_rows()
    organic_follows(pop, params, scale, rng("follows"), follows)
    for f, e, t in zip(surges.follower, surges.followee, surges.ts, strict=True):
        follows.add(follower=f, followee=e, ts=t, campaign=-1)
    reports = report_rows()
    targets: list[dict[str, Any]] = []
    if params.has_operation:
        op = Operation(
            pop,
            params,
            rng("operation"),
            profiles.ids,
            builder,
            follows,
            reports,
            campaigns,
            texts,
            urls,
        )
        targets = op.run()

    follow_table = finalise_follows(follows, rng("follow-order"))

    plan = builder.view()
    abusive_codes = [i for i, name in enumerate(campaigns.names) if name.startswith(ABUSIVE)]
    abusive = np.isin(plan.campaign, abusive_codes)
    organic_reports(pop, params, scale, plan, abusive, rng("reports"), reports)
    final = finalise(plan, rng("post-ids"))
    report_table = finalise_reports(reports, rng("report-ids"))
    moderation = moderate(report_table, abusive, pop, params, rng("moderation"))
    return World(
        scenario=scenario,
        seed=seed,
        scale=scale,
        params=params,
        pop=pop,
        profiles=profiles,
        posts=final,
        follows=follow_table,
        reports=report_table,
        moderation=moderation,
        logins=build_logins(pop, params, rng("logins"), salt=int(rng("salt").integers(0, 2**62))),
        registers=build_registers(pop, rng("registers")),
        campaigns=campaigns,
        texts=texts,
        urls=urls,
        targets=targets,
        hard_negatives={"solidarity_waves": waves, "protest_bursts": bursts},
    )
