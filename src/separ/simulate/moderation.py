"""Moderation: an automated report-count rule, human moderators, and appeals.

- The automated rule suspends an account for ``suspension_days`` once it has received
  ``report_threshold`` reports within ``report_window_hours``: this is how a brigade turns
  into a wrongful suspension of an at-risk target.
- Human moderators review a share of reports with ordinary error rates; one of them is
  biased and acts against at-risk accounts.
- Appeals are reviewed by someone else; overturned ones restore the account or post.

Every action carries ``wrongful`` and ``why`` for the ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from separ.simulate.common import DAY, HOUR, I64, MINUTE, Bools, Rng
from separ.simulate.params import ScenarioParams
from separ.simulate.population import AT_RISK, OPERATION, STATE_MEDIA, Population
from separ.simulate.reports import Reports
from separ.simulate.rows import Rows

ACTIONS = ("suspend", "remove", "limit", "label", "restore", "warn")
SUSPEND, REMOVE, LIMIT, LABEL, RESTORE, WARN = range(6)
TRIGGERS = ("report", "detector", "proactive", "government", "appeal")
REPORT, DETECTOR, PROACTIVE, GOVERNMENT, APPEAL = range(5)
POLICIES = (
    "violent_speech",
    "harassment",
    "hateful_conduct",
    "spam",
    "misinformation",
    "impersonation",
    "other",
    "platform_manipulation",
    "state_affiliated_media",
)
WHY = (
    "brigade-triggered automated suspension",
    "automated suspension on organic reports",
    "automated suspension of an operation account",
    "reported content was real abuse",
    "moderator error",
    "biased moderator acted against an at-risk account",
    "at-risk account suspended before re-registering",
    "operation account caught by the platform's detector",
    "state-affiliated media label",
    "restored after an overturned appeal",
)
AUTOMATED = 0  # actor codes: 0 automated, 1..moderators = mod-NN, 100+ = appeals-NN
REF_NONE, REF_REPORTS, REF_APPEAL, REF_FINDING, REF_GOVERNMENT = range(5)


def action_rows() -> Rows:
    return Rows(
        account=np.int64,
        post=np.int64,
        action=np.int8,
        policy=np.int8,
        ts=np.int64,
        actor=np.int16,
        trigger=np.int8,
        ends=np.int64,
        wrongful=np.bool_,
        why=np.int8,
        ref_kind=np.int8,
        ref=np.int64,
    )


@dataclass(slots=True)
class Moderation:
    actions: dict[str, np.ndarray]
    refs: list[I64]  # per action: report rows (REF_REPORTS) or one appeal row (REF_APPEAL)
    appeals: dict[str, np.ndarray]


def automated_rule(
    reports: Reports, pop: Population, params: ScenarioParams, out: Rows, refs: list[I64]
) -> None:
    """Suspend after N reports within the window; no new suspension while one runs."""
    order = np.lexsort((reports.ts, reports.target))
    target, ts = reports.target[order], reports.ts[order]
    window = params.report_window_hours * HOUR
    key = target * (1 << 40) + ts
    first = np.searchsorted(key, key - window, side="left")
    hits = np.flatnonzero(np.arange(len(key)) - first + 1 >= params.report_threshold)
    suspended_until: dict[int, int] = {}
    for i in hits:  # one row per qualifying report; only a few accounts ever qualify
        account, t = int(target[i]), int(ts[i])
        if t < suspended_until.get(account, -1):
            continue
        at = t + 2 * MINUTE
        if at >= pop.end:
            continue
        ends = at + params.suspension_days * DAY
        suspended_until[account] = ends
        rows = order[first[i] : i + 1]
        brigade = bool(reports.brigade[rows].any())
        role = int(pop.role[account])
        why = 2 if role == OPERATION else (0 if brigade else 1)
        policy = int(np.bincount(reports.reason[rows]).argmax())
        out.add(
            account=account,
            post=-1,
            action=SUSPEND,
            policy=policy,
            ts=at,
            actor=AUTOMATED,
            trigger=REPORT,
            ends=ends,
            wrongful=role != OPERATION,
            why=why,
            ref_kind=REF_REPORTS,
            ref=0,
        )
        refs.append(np.sort(rows).astype(np.int64))


def human_review(
    reports: Reports,
    abusive_post: Bools,
    pop: Population,
    params: ScenarioParams,
    rng: Rng,
    out: Rows,
    refs: list[I64],
) -> None:
    """A share of reports reaches a human; decisions follow error rates, one moderator is biased."""
    n = len(reports)
    seen = np.flatnonzero(rng.random(n) < params.human_review_share)
    mod = rng.integers(1, params.moderators + 1, size=len(seen))
    at = reports.ts[seen] + rng.lognormal(np.log(6 * HOUR), 0.8, size=len(seen)).astype(np.int64)
    post = reports.post[seen]
    target = reports.target[seen]
    abusive = np.where(post >= 0, abusive_post[np.maximum(post, 0)], pop.role[target] == OPERATION)
    biased = (mod == params.biased_moderator) & (pop.role[target] == AT_RISK)
    u = rng.random(len(seen))
    act = np.where(
        biased, u < params.biased_error, np.where(abusive, u < 0.9, u < params.human_error)
    )
    on_post = post >= 0
    kind = np.where(on_post, REMOVE, np.where(abusive, SUSPEND, WARN))
    kind = np.where(biased & (rng.random(len(seen)) < 0.5), SUSPEND, kind)
    why = np.where(biased, 5, np.where(abusive, 3, 4))
    keep = act & (at < pop.end)
    rows = seen[keep]
    ends = np.where(kind[keep] == SUSPEND, at[keep] + 14 * DAY, -1)
    out.add(
        account=target[keep],
        post=np.where(kind[keep] == REMOVE, post[keep], -1),
        action=kind[keep],
        policy=reports.reason[rows],
        ts=at[keep],
        actor=mod[keep],
        trigger=REPORT,
        ends=ends,
        wrongful=~abusive[keep],
        why=why[keep],
        ref_kind=REF_REPORTS,
        ref=0,
    )
    refs.extend(np.array([r], dtype=np.int64) for r in rows)


def other_actions(
    pop: Population, params: ScenarioParams, rng: Rng, out: Rows, refs: list[I64]
) -> None:
    """Re-registration suspensions, proactive bias, detector catches and media labels."""
    old = np.flatnonzero((pop.active_until < pop.end) & (pop.role == AT_RISK))
    gov = rng.random(len(old)) < 0.5
    mods = np.where(gov, rng.integers(1, params.moderators, size=len(old)), params.biased_moderator)
    mods = np.where(gov & (mods >= params.biased_moderator), mods + 1, mods)
    out.add(
        account=old,
        post=-1,
        action=SUSPEND,
        policy=np.where(gov, 6, 0),
        ts=pop.active_until[old] - MINUTE,
        actor=mods,
        trigger=np.where(gov, GOVERNMENT, PROACTIVE),
        ends=-1,
        wrongful=True,
        why=6,
        ref_kind=np.where(gov, REF_GOVERNMENT, REF_NONE),
        ref=np.arange(len(old)),
    )
    risk = np.flatnonzero((pop.role == AT_RISK) & (pop.active_until == pop.end))
    limited = rng.choice(risk, size=max(1, round(0.03 * len(risk))), replace=False)
    ts = pop.start + (rng.random(len(limited)) * (pop.end - pop.start)).astype(np.int64)
    ts = np.maximum(ts, pop.created[limited] + HOUR)
    out.add(
        account=limited,
        post=-1,
        action=LIMIT,
        policy=2,
        ts=ts,
        actor=params.biased_moderator,
        trigger=PROACTIVE,
        ends=ts + 30 * DAY,
        wrongful=True,
        why=5,
        ref_kind=REF_NONE,
        ref=0,
    )
    ops = pop.of(OPERATION)
    caught = ops[rng.random(len(ops)) < params.detector_catch]
    ts = pop.end - rng.integers(HOUR, 5 * DAY, size=len(caught))
    ts = np.maximum(ts, pop.created[caught] + DAY)
    caught, ts = caught[ts < pop.end], ts[ts < pop.end]
    out.add(
        account=caught,
        post=-1,
        action=SUSPEND,
        policy=7,
        ts=ts,
        actor=AUTOMATED,
        trigger=DETECTOR,
        ends=-1,
        wrongful=False,
        why=7,
        ref_kind=REF_FINDING,
        ref=np.arange(len(caught)),
    )
    media = np.flatnonzero(pop.kind == STATE_MEDIA)
    media = media[rng.random(len(media)) < 0.5]
    ts = pop.start + rng.integers(0, pop.end - pop.start, size=len(media))
    out.add(
        account=media,
        post=-1,
        action=LABEL,
        policy=8,
        ts=ts,
        actor=AUTOMATED,
        trigger=PROACTIVE,
        ends=-1,
        wrongful=False,
        why=8,
        ref_kind=REF_NONE,
        ref=0,
    )
    refs.extend(
        np.zeros(0, dtype=np.int64)
        for _ in range(len(old) + len(limited) + len(caught) + len(media))
    )


def dedupe(
    actions: dict[str, np.ndarray], refs: list[I64], window: int
) -> tuple[dict[str, np.ndarray], list[I64]]:
    """Drop an action that repeats the one before it (same account, post and kind) within
    ``window`` seconds: an account already suspended is not suspended again."""
    order = np.lexsort((actions["ts"], actions["action"], actions["post"], actions["account"]))
    a = {k: v[order] for k, v in actions.items()}
    same = (
        (a["account"][1:] == a["account"][:-1])
        & (a["post"][1:] == a["post"][:-1])
        & (a["action"][1:] == a["action"][:-1])
        & (a["action"][1:] != RESTORE)
        & (a["ts"][1:] - a["ts"][:-1] < window)
    )
    keep = np.concatenate([[True], ~same]) if len(order) else np.zeros(0, dtype=bool)
    kept = order[keep]
    by_time = kept[np.argsort(actions["ts"][kept], kind="stable")]
    return {k: v[by_time] for k, v in actions.items()}, [refs[i] for i in by_time]


def appeals(
    actions: dict[str, np.ndarray], pop: Population, params: ScenarioParams, rng: Rng
) -> dict[str, np.ndarray]:
    """Who appeals, when, and the outcome; reviewers never decided the original action."""
    n = len(actions["ts"])
    account = actions["account"]
    role = pop.role[account]
    wrongful = actions["wrongful"]
    p = np.where(
        wrongful, np.where(role == AT_RISK, 0.85, 0.6), np.where(role == OPERATION, 0.25, 0.35)
    )
    p = np.where(np.isin(actions["action"], (LABEL, RESTORE)), 0.0, p)
    filed = actions["ts"] + rng.lognormal(np.log(10 * HOUR), 1.0, size=n).astype(np.int64)
    appealed = np.flatnonzero((rng.random(n) < p) & (filed < pop.end))
    filed = filed[appealed]
    decided = filed + rng.lognormal(np.log(2 * DAY), 0.8, size=len(appealed)).astype(np.int64)
    done = (decided < pop.end) & (rng.random(len(appealed)) < 0.9)
    overturn_p = np.where(wrongful[appealed], 0.65, 0.05)
    status = np.where(done, np.where(rng.random(len(appealed)) < overturn_p, 2, 1), 0).astype(
        np.int8
    )
    reviewers = np.concatenate(
        [
            np.arange(100, 104),
            [m for m in range(1, params.moderators + 1) if m != params.biased_moderator],
        ]
    )
    reviewer = reviewers[rng.integers(0, len(reviewers), size=len(appealed))]
    clash = reviewer == actions["actor"][appealed]
    reviewer = np.where(clash, 100 + rng.integers(0, 4, size=len(appealed)), reviewer)
    statement = np.where(
        rng.random(len(appealed)) < 0.8, rng.integers(0, 3, size=len(appealed)), -1
    )
    lang = pop.lang[account[appealed]]
    cols = {
        "action": appealed.astype(np.int64),
        "filed": filed,
        "status": status,
        "decided": np.where(done, decided, -1),
        "reviewer": np.where(done, reviewer, -1).astype(np.int16),
        "statement": np.where(statement >= 0, statement + 3 * lang, -1).astype(np.int8),
    }
    order = np.argsort(filed, kind="stable")
    return {k: v[order] for k, v in cols.items()}


def restores(
    actions: dict[str, np.ndarray], appeal: dict[str, np.ndarray], out: Rows, refs: list[I64]
) -> None:
    """An overturned appeal restores what the action took away."""
    over = np.flatnonzero(appeal["status"] == 2)
    src = appeal["action"][over]
    out.add(
        account=actions["account"][src],
        post=actions["post"][src],
        action=RESTORE,
        policy=actions["policy"][src],
        ts=appeal["decided"][over],
        actor=appeal["reviewer"][over],
        trigger=APPEAL,
        ends=-1,
        wrongful=False,
        why=9,
        ref_kind=REF_APPEAL,
        ref=over,
    )
    refs.extend(np.array([i], dtype=np.int64) for i in over)


def moderate(
    reports: Reports, abusive_post: Bools, pop: Population, params: ScenarioParams, rng: Rng
) -> Moderation:
    """All actions (time-ordered) and appeals; appeal rows point at final action rows."""
    rows, refs = action_rows(), list[I64]()
    automated_rule(reports, pop, params, rows, refs)
    human_review(reports, abusive_post, pop, params, rng, rows, refs)
    other_actions(pop, params, rng, rows, refs)
    if len(refs) != rows.rows:
        raise AssertionError("every action needs its trigger references")
    base, base_refs = dedupe(rows.build(), refs, params.suspension_days * DAY)
    appeal = appeals(base, pop, params, rng)
    extra, extra_refs = action_rows(), list[I64]()
    restores(base, appeal, extra, extra_refs)
    more = extra.build()
    merged = {k: np.concatenate([base[k], more[k]]) for k in base}
    all_refs = base_refs + extra_refs
    order = np.argsort(merged["ts"], kind="stable")
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    appeal["action"] = position[appeal["action"]]
    return Moderation(
        {k: v[order] for k, v in merged.items()}, [all_refs[i] for i in order], appeal
    )
