"""The operation: operators running batches of accounts against at-risk targets.

Tactics, each labelled in the ground truth with its campaign:

- ``follow_swarm:<target>``: hundreds (scaled) of accounts follow a target within hours;
- ``brigade:<target>``: bursts of "violent speech" reports against a target;
- ``reply_swarm:<target>``: threatening replies to a woman activist's post within minutes;
- ``copypasta:<operator>``: near-duplicate messages and hashtag sequences in lockstep;
- ``amplify:<operator>``: many accounts repost the same official posts within minutes;
- ``camouflage:<operator>``: organic-looking posts and follows of popular accounts.

What makes it coordination is repetition: the same accounts act together over many
objects (messages, official posts, targets), always within minutes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from separ.simulate import text, vocab
from separ.simulate.common import (
    DAY,
    HOUR,
    I64,
    MINUTE,
    Rng,
    bursty_delays,
    office_times,
    pick,
)
from separ.simulate.params import ScenarioParams
from separ.simulate.plan import (
    POST,
    QUOTE,
    REPLY,
    REPOST,
    SRC_FIXED,
    SRC_NEWS,
    SRC_NONE,
    PlanBuilder,
    PostPlan,
    block,
)
from separ.simulate.population import AFFILIATED, AT_RISK, ORGANIC, WHRD, Population
from separ.simulate.rows import Codebook, Rows

VIOLENT_SPEECH = vocab.REPORT_REASONS.index("violent_speech")


class Operation:
    """Plans every operation event; posts go to the plan builder, the rest to ``Rows``."""

    def __init__(
        self,
        pop: Population,
        params: ScenarioParams,
        rng: Rng,
        ids: pa.Array,
        builder: PlanBuilder,
        follows: Rows,
        reports: Rows,
        campaigns: Codebook,
        texts: Codebook,
        urls: Codebook,
    ) -> None:
        self.pop, self.params, self.rng, self.ids = pop, params, rng, ids
        self.builder, self.follows, self.reports = builder, follows, reports
        self.campaigns, self.texts, self.urls = campaigns, texts, urls
        self.corpus = builder.view()
        self.by_operator = {k: pop.of_operator(k) for k in range(params.operators)}
        self.threats = {
            lang: [self.texts.extend(text.variants(p, rng, 6)) for p in phrases]
            for lang, phrases in ((0, vocab.THREAT_FA), (1, vocab.THREAT_EN))
        }

    def _name(self, account: int) -> str:
        return str(self.ids[account].as_py())

    def _members(self, ops: list[int], before: int, share: float, posters: bool = False) -> I64:
        members = np.sort(np.concatenate([self.by_operator[k] for k in ops]))
        ok = self.pop.created[members] < before
        if posters:
            ok &= self.pop.poster[members]
        members = members[ok]
        chosen: I64 = members[self.rng.random(len(members)) < share].astype(np.int64)
        return chosen

    def _active_from(self, ops: list[int]) -> int:
        return max(self.pop.active_from[k] for k in ops)

    def run(self) -> list[dict[str, Any]]:
        pop, params, rng = self.pop, self.params, self.rng
        for k in range(params.operators):
            self.camouflage(k)
        info = []
        lo, hi = params.operators_per_target
        for t in pop.targets:
            size = min(params.operators, int(rng.integers(lo, hi + 1)))
            ops = sorted(int(k) for k in rng.choice(params.operators, size=size, replace=False))
            row: dict[str, Any] = {
                "account_id": self._name(int(t)),
                "kind": "whrd" if pop.kind[t] == WHRD else "activist/journalist",
                "operators": [f"op{k + 1}" for k in ops],
            }
            row["follow_swarm"] = self.swarm(int(t), ops)
            row["brigades"] = self.brigade(int(t), ops)
            if pop.kind[t] == WHRD:
                row["reply_swarms"] = self.reply_swarms(int(t), ops)
            info.append(row)
        for k in range(params.operators):
            self.copypasta(k)
            self.amplify(k)
        return info

    # --- follows ---------------------------------------------------------------------

    def camouflage(self, k: int) -> None:
        """Follows of popular accounts and of each other, soon after creation."""
        pop, rng = self.pop, self.rng
        code = self.campaigns.code(f"camouflage:op{k + 1}")
        members = pop.of_operator(k)
        weight = np.where(np.isin(pop.role, (ORGANIC, AFFILIATED)), pop.popularity**1.2, 0.0)
        weight[pop.targets] = 0.0
        weight[pop.role == AFFILIATED] *= 3.0
        count = rng.poisson(self.params.camouflage_follows, size=len(members))
        follower = np.repeat(members, count)
        followee = pick(rng, weight, len(follower))
        mates = np.repeat(members, rng.poisson(2.0, size=len(members)))
        follower = np.concatenate([follower, mates])
        followee = np.concatenate([followee, members[rng.integers(0, len(members), len(mates))]])
        start = np.maximum(pop.created[follower], pop.created[followee])
        soon = start + np.minimum(rng.exponential(12 * HOUR, len(follower)), 3 * DAY).astype(
            np.int64
        )
        later = pop.start + (rng.random(len(follower)) * (pop.end - pop.start)).astype(np.int64)
        ts = np.where(pop.batch[follower] % 2 == 1, np.maximum(later, start + MINUTE), soon)
        ok = (follower != followee) & (ts < pop.end) & (ts < pop.active_until[followee])
        self.follows.add(follower=follower[ok], followee=followee[ok], ts=ts[ok], campaign=code)

    def swarm(self, target: int, ops: list[int]) -> dict[str, Any]:
        pop, params, rng = self.pop, self.params, self.rng
        lo = self._active_from(ops) + DAY
        t0 = int(office_times(rng, lo, max(lo + HOUR, pop.end - 2 * DAY), 1)[0])
        who = self._members(ops, t0, params.swarm_participation)
        cap = params.swarm_max_hours * HOUR
        ts = t0 + bursty_delays(rng, len(who), params.swarm_mean_minutes * MINUTE, cap)
        code = self.campaigns.code(f"follow_swarm:{self._name(target)}")
        self.follows.add(follower=who, followee=target, ts=ts, campaign=code)
        return {"start": t0, "followers": len(who), "end": int(ts.max()) if len(who) else t0}

    # --- reports ---------------------------------------------------------------------

    def _target_posts(self, target: int, lo: int, hi: int) -> I64:
        c = self.corpus
        own = (c.author == target) & np.isin(c.kind, (POST, QUOTE)) & (c.ts >= lo) & (c.ts < hi)
        return np.flatnonzero(own).astype(np.int64)

    def brigade(self, target: int, ops: list[int]) -> list[dict[str, Any]]:
        """Bursts of violent-speech reports from the operators' accounts."""
        pop, params, rng = self.pop, self.params, self.rng
        code = self.campaigns.code(f"brigade:{self._name(target)}")
        lo = self._active_from(ops) + DAY
        bursts = []
        for _ in range(int(rng.integers(params.brigade_bursts[0], params.brigade_bursts[1] + 1))):
            t0 = int(office_times(rng, lo, max(lo + HOUR, pop.end - 6 * HOUR), 1)[0])
            who = self._members(ops, t0, params.brigade_participation)
            need = params.report_threshold + 1 - len(who)
            if need > 0:  # a brigade is only worth running with enough reporters
                spare = np.setdiff1d(self._members(ops, t0, 1.0), who)
                who = np.union1d(who, spare[:need]).astype(np.int64)
            ts = t0 + bursty_delays(rng, len(who), 40 * MINUTE, 4 * HOUR)
            recent = self._target_posts(target, t0 - 20 * DAY, t0)[-3:]
            post = np.full(len(who), -1, dtype=np.int64)
            if len(recent):
                on_post = rng.random(len(who)) < 0.7
                post[on_post] = recent[rng.integers(0, len(recent), int(on_post.sum()))]
            self.reports.add(
                reporter=who,
                target=target,
                post=post,
                reason=VIOLENT_SPEECH,
                ts=ts,
                campaign=code,
                brigade=True,
            )
            bursts.append({"start": t0, "reports": len(who)})
        return bursts

    # --- posts -----------------------------------------------------------------------

    def _add(self, plan: PostPlan) -> None:
        if len(plan):
            self.builder.add(plan)

    def reply_swarms(self, target: int, ops: list[int]) -> int:
        """Threatening replies (Persian or English) to a woman activist's posts."""
        pop, params, rng = self.pop, self.params, self.rng
        code = self.campaigns.code(f"reply_swarm:{self._name(target)}")
        posts = self._target_posts(target, self._active_from(ops) + DAY, pop.end - 3 * HOUR)
        chosen = rng.choice(posts, size=min(params.reply_swarms, len(posts)), replace=False)
        for p in np.sort(chosen):
            t0 = int(self.corpus.ts[p]) + int(rng.integers(5 * MINUTE, 2 * HOUR))
            who = self._members(ops, t0, rng.uniform(0.3, 0.6), posters=True)
            ts = t0 + bursty_delays(rng, len(who), 5 * MINUTE, 45 * MINUTE)
            lang = np.where(rng.random(len(who)) < 0.25, 1, 0)
            starts = np.array(self.threats[0]), np.array(self.threats[1])
            phrase = rng.integers(0, 1 << 20, size=len(who))
            var = np.where(
                lang == 1,
                starts[1][phrase % len(starts[1])],
                starts[0][phrase % len(starts[0])],
            ) + rng.integers(0, 6, size=len(who))
            plan = block(
                who,
                ts,
                kind=REPLY,
                src=SRC_FIXED,
                lang=lang,
                ref=np.full(len(who), p),
                ref_acc=np.full(len(who), target),
                var=var,
                campaign=code,
            )
            plan.ment[:, 0] = target
            self._add(plan)
        return len(chosen)

    def _message(self, k: int, targets: I64) -> tuple[int, int, list[int], int, str]:
        """One copy-paste message: (language, first variant code, hashtags, mention, url)."""
        rng = self.rng
        en = rng.random() < 0.1
        if en:
            base = f"{rng.choice(vocab.COPY_EN)} {rng.choice(vocab.COPY_EN_TAIL)}".strip()
        else:
            parts = (
                rng.choice(vocab.COPY_FA),
                rng.choice(vocab.COPY_FA_TAIL),
                rng.choice(vocab.COPY_FA_NUMBER),
            )
            base = " ".join(str(p) for p in parts if p)
        start = self.texts.extend(text.variants(base, rng, self.params.copypasta_variants))
        tags = [int(c) for c in text.tag_codes("op", rng, int(rng.integers(2, 4)), distinct=True)]
        mention = int(rng.choice(targets)) if len(targets) and rng.random() < 0.5 else -1
        url = ""
        if rng.random() < 0.3:
            domain = vocab.DOMAINS_OP[k % len(vocab.DOMAINS_OP)]
            url = f"https://{domain}/news/{int(rng.integers(10_000, 99_999))}"
        return int(en), start, tags, mention, url

    def copypasta(self, k: int) -> None:
        pop, params, rng = self.pop, self.params, self.rng
        code = self.campaigns.code(f"copypasta:op{k + 1}")
        mine = np.array([t for t in pop.targets if rng.random() < 0.7], dtype=np.int64)
        at_risk = pop.of(AT_RISK)
        times = np.sort(
            office_times(rng, pop.active_from[k], pop.end - HOUR, params.copypasta_messages)
        )
        for t0 in times:
            lang, start, tags, mention, url = self._message(k, mine)
            who = self._members([k], int(t0), rng.uniform(0.3, 0.7), posters=True)
            n = len(who)
            ts = int(t0) + bursty_delays(rng, n, 3 * MINUTE, 20 * MINUTE)
            var = start + rng.integers(0, params.copypasta_variants, size=n)
            plan = block(who, ts, src=SRC_FIXED, lang=lang, var=var, campaign=code)
            seq = np.array(tags, dtype=np.int32)
            plan.tags[:, : len(seq)] = seq
            arabic = rng.random(n) < 0.25
            plan.tags[arabic] = text.arabic_tags(plan.tags[arabic])
            plan.tags[rng.random(n) < 0.1, len(seq) - 1] = -1
            if mention >= 0:
                changed = rng.random(n) < 0.15
                plan.ment[:, 0] = np.where(
                    changed, at_risk[rng.integers(0, len(at_risk), n)], mention
                )
            if url:
                utm = rng.random(n) < 0.5
                plain, tracked = self.urls.code(url), self.urls.code(url + "?utm_source=share")
                plan.url[:] = np.where(utm, tracked, plain)
            self._add(plan)

    def amplify(self, k: int) -> None:
        """Many accounts repost the same official posts within a couple of minutes."""
        pop, params, rng = self.pop, self.params, self.rng
        code = self.campaigns.code(f"amplify:op{k + 1}")
        c = self.corpus
        news = np.flatnonzero(
            (c.src == SRC_NEWS) & (c.ts >= pop.active_from[k]) & (c.ts < pop.end - 4 * HOUR)
        )
        for p in np.sort(
            rng.choice(news, size=min(params.amplified_posts, len(news)), replace=False)
        ):
            t0 = int(c.ts[p]) + int(rng.integers(5 * MINUTE, 3 * HOUR))
            who = self._members([k], t0, rng.uniform(0.4, 0.8), posters=True)
            ts = t0 + bursty_delays(rng, len(who), 40.0, 150.0)
            plan = block(
                who,
                ts,
                kind=REPOST,
                src=SRC_NONE,
                lang=-1,
                ref=np.full(len(who), p),
                ref_acc=np.full(len(who), c.author[p]),
                campaign=code,
            )
            self._add(plan)
