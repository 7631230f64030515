"""Campaigns: the co-action layers fused into one account network, clustered with Leiden.

Every significant co-action edge (table ``coaction_edges``, any layer) links two accounts
with weight −log10 p (capped), summed over layers. Leiden (igraph, modularity, fixed
seed) splits the network into clusters; a cluster of at least ``min_accounts`` accounts
is a campaign: its accounts, the accounts they act on together (targets), the layers and
edges that tie it, the findings that name its members, its time window, a score, a
plain-language summary with numbers, and attribution hints (overlap with the
``affiliated`` register, and affiliated accounts it amplifies).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import igraph as ig
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from separ.detectors.coaction import PHRASES
from separ.errors import ParameterError
from separ.wording import dates, duration
from separ.workspace import Workspace

WEIGHT_CAP = 50.0
"""An edge's weight is −log10 p per layer, capped so one layer cannot drown the others."""


@dataclass
class Campaign:
    campaign_id: str
    accounts: list[str]
    targets: list[str]
    layers: dict[str, int]
    findings: list[str]
    window: tuple[datetime | None, datetime | None]
    score: float
    summary: str
    hints: dict[str, Any] = field(default_factory=dict)


def build_campaigns(
    ws: Workspace, *, min_accounts: int = 3, resolution: float = 1.0, seed: int = 0
) -> list[Campaign]:
    """Cluster the stored co-action edges and the other detectors' findings into campaigns
    and store them (replacing).

    Each strong co-action edge links two accounts; each finding of another detector (a
    follow swarm, a brigade, a reply swarm, reused images) with at least ``min_accounts``
    accounts is a hub node tied to its accounts, so a cohort joins the campaign its
    members share, without a quadratic number of pair edges.
    """
    every = ws.sql(  # the objects lists stay in SQL: fetching them all is slow at scale
        "SELECT verb, a, b, shared, expected, p, q, first_ts, last_ts, median_dt, "
        "NULL AS objects, strong FROM coaction_edges ORDER BY verb, a, b"
    )
    groups_found = ws.sql(
        "SELECT finding_id, kind, accounts, significance, score, window_start, window_end, "
        "summary FROM findings WHERE detector <> 'coaction' AND len(accounts) >= ? "
        "ORDER BY finding_id",
        [min_accounts],
    )
    ws.con.execute("DELETE FROM campaigns")
    edges = [e for e in every if e[11]]
    if not edges and not groups_found:
        return []
    names = sorted(
        {e[1] for e in edges} | {e[2] for e in edges} | {a for g in groups_found for a in g[2]}
    )
    index = {n: i for i, n in enumerate(names)}
    # a group ties each of its members to its hub node by its significance, or by its
    # score without one
    given = np.array([g[3] is not None for g in groups_found], dtype=bool)
    p = np.array([1.0 if g[3] is None else g[3] for g in groups_found], dtype=float)
    score = np.array([0.0 if g[4] is None else g[4] for g in groups_found], dtype=float)
    hub_ties = np.where(given, _weights(p), WEIGHT_CAP * score)
    ends = [(index[e[1]], index[e[2]]) for e in edges] + [
        (index[account], len(names) + h) for h, g in enumerate(groups_found) for account in g[2]
    ]
    ties = np.concatenate(
        [
            _weights(np.array([e[5] for e in edges], dtype=float)),
            np.repeat(hub_ties, [len(g[2]) for g in groups_found]),
        ]
    )
    pairs, weights = _summed(np.array(ends, dtype=np.int64).reshape(-1, 2), ties)
    graph = ig.Graph(n=len(names) + len(groups_found), edges=pairs.tolist())
    graph.es["weight"] = weights.tolist()
    ig.set_random_number_generator(random.Random(seed))
    clusters = graph.community_leiden(
        objective_function="modularity", weights="weight", resolution=resolution, n_iterations=-1
    )
    groups = [
        sorted(names[i] for i in m if i < len(names))
        for m in clusters
        if sum(1 for i in m if i < len(names)) >= min_accounts
    ]
    _attach(groups, [e for e in every if not e[11]])
    _prepare_members(ws, [a for g in groups for a in g])
    group_of = {a: i for i, g in enumerate(groups) for a in g}
    own: list[list[tuple[Any, ...]]] = [[] for _ in groups]
    for e in every:  # each edge to the campaign holding both its accounts, if one does
        i = group_of.get(e[1])
        if i is not None and group_of.get(e[2]) == i:
            own[i].append(e)
    campaigns = []
    for i, accounts in enumerate(groups):
        inside = set(accounts)
        tied = [g for g in groups_found if len(inside.intersection(g[2])) >= min_accounts]
        _account_table(ws, "_camp_members", accounts)
        campaigns.append(_campaign(ws, accounts, own[i], tied))
    for temp in ("_camp_members", "_camp_acted", "_camp_amplified"):
        ws.con.execute(f"DROP TABLE IF EXISTS {temp}")
    campaigns.sort(key=lambda c: (-len(c.accounts), c.campaign_id))
    _store(ws, campaigns)
    return campaigns


def _prepare_members(ws: Workspace, members: list[str]) -> None:
    """What every campaign's targets and hints need, in one pass over the big tables:
    ``_camp_acted(actor, target)`` (follows, reports, mentions, replies of campaign
    members) and ``_camp_amplified(account, author)`` (their reposts and quotes of
    affiliated accounts' posts)."""
    _account_table(ws, "_camp_all", sorted(set(members)))
    ws.con.execute(
        """CREATE OR REPLACE TEMP TABLE _camp_acted AS
        SELECT actor, object AS target FROM activity
        WHERE verb IN ('follow', 'report', 'mention') AND actor IN (SELECT account FROM _camp_all)
        UNION ALL
        SELECT account_id, ref_account_id FROM posts
        WHERE kind = 'reply' AND ref_account_id IS NOT NULL
          AND account_id IN (SELECT account FROM _camp_all)"""
    )
    ws.con.execute(
        """CREATE OR REPLACE TEMP TABLE _camp_amplified AS
        SELECT p.account_id AS account, r.account_id AS author FROM posts p
        JOIN (SELECT post_id, account_id FROM posts WHERE account_id IN (
                  SELECT account_id FROM registers WHERE register = 'affiliated')) r
          ON r.post_id = p.ref_post_id
        WHERE p.kind IN ('repost', 'quote') AND p.account_id IN (SELECT account FROM _camp_all)"""
    )
    ws.con.execute("DROP TABLE _camp_all")


def _account_table(ws: Workspace, name: str, accounts: list[str]) -> None:
    """(Re)create temp table ``name(account)`` holding ``accounts``."""
    ws.con.register("_camp_in", pa.table({"account": pa.array(accounts, pa.string())}))
    try:
        ws.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _camp_in")
    finally:
        ws.con.unregister("_camp_in")


def _weights(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """−log10 p, capped: how strongly an edge or a finding ties accounts together. Rounded
    to 6 decimals, so that noise in the last bits of a p-value (parallel float sums in a
    detector) cannot change Leiden's clusters. A missing p (NaN) ties nothing."""
    p = np.where(np.isnan(p), 1.0, p)
    return np.round(np.minimum(WEIGHT_CAP, -np.log10(np.maximum(p, 1e-300))), 6)


def _summed(
    ends: npt.NDArray[np.int64], ties: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The distinct (a, b) pairs of ``ends`` in sorted order, each with the sum of its
    ``ties`` (added in input order, so the sums repeat exactly)."""
    if len(ends) == 0:
        return ends, ties
    order = np.lexsort((ends[:, 1], ends[:, 0]))  # stable: equal pairs keep input order
    ends, ties = ends[order], ties[order]
    first = np.ones(len(ends), dtype=bool)
    first[1:] = np.any(ends[1:] != ends[:-1], axis=1)
    starts = np.flatnonzero(first)
    return ends[starts], np.add.reduceat(ties, starts)


def _attach(groups: list[list[str]], weak: list[tuple[Any, ...]]) -> None:
    """Weak edges (fewer shared events) never make a campaign, but an account outside every
    campaign that has at least two of them into one campaign joins it (the one it is tied
    to most, ties broken by campaign order)."""
    member = {a: i for i, g in enumerate(groups) for a in g}
    ties: dict[str, Counter[int]] = defaultdict(Counter)
    for e in weak:
        a, b = e[1], e[2]
        if a in member and b not in member:
            ties[b][member[a]] += 1
        elif b in member and a not in member:
            ties[a][member[b]] += 1
    for account in sorted(ties):
        group, count = max(ties[account].items(), key=lambda kv: (kv[1], -kv[0]))
        if count >= 2:
            groups[group].append(account)
    for g in groups:
        g.sort()


def _campaign(
    ws: Workspace,
    accounts: list[str],
    edges: list[tuple[Any, ...]],
    tied: list[tuple[Any, ...]],
) -> Campaign:
    """A campaign from its accounts, the co-action edges among them and the other
    detectors' findings that name at least ``min_accounts`` of them."""
    layers = Counter(e[0] for e in edges)
    layers.update(str(g[1]) for g in tied)
    strong = Counter(e[0] for e in edges if e[11])
    if edges:
        top = (strong or Counter(e[0] for e in edges)).most_common(1)[0][0]
        top_edges = [e for e in edges if e[0] == top and (e[11] or not strong)]
        objects = ws.sql(
            "SELECT count(DISTINCT o) FROM (SELECT unnest(objects) AS o FROM coaction_edges "
            "WHERE verb = ? AND (strong OR NOT ?) AND a IN (SELECT account FROM _camp_members) "
            "AND b IN (SELECT account FROM _camp_members))",
            [top, bool(strong)],
        )[0][0]
        shared = float(np.median([e[3] for e in top_edges]))
        expected = float(np.median([e[4] for e in top_edges]))
        gap = float(np.median([e[9] for e in top_edges]))
        summary = (
            f"{len(accounts)} accounts {PHRASES.get(top, 'acted on the same objects')} "
            f"({objects} in all, median gap {duration(gap)}), each linked pair sharing a "
            f"median {shared:.0f} where chance predicts {expected:.2g}"
        )
    else:
        largest = max(tied, key=lambda g: (len(set(accounts).intersection(g[2])), g[0]))
        summary = f"{len(accounts)} accounts, {largest[7][0].lower()}{largest[7][1:]}"
    created = _creation_burst(ws, len(accounts))
    if created:
        summary += f"; {created}"
    if len(layers) > 1:
        summary += f"; tied in {len(layers)} layers ({', '.join(sorted(layers))})"
    findings = [
        r[0]
        for r in ws.sql(
            "SELECT DISTINCT f.finding_id FROM (SELECT finding_id, unnest(accounts) AS account "
            "FROM findings) f JOIN _camp_members USING (account) ORDER BY 1"
        )
    ]
    starts = [e[7] for e in edges] + [g[5] for g in tied if g[5] is not None]
    ends = [e[8] for e in edges] + [g[6] for g in tied if g[6] is not None]
    window = (min(starts) if starts else None, max(ends) if ends else None)
    scores = [1.0 - max(min(e[6] for e in edges), 0.0)] if edges else []
    score = max(scores + [float(g[4]) for g in tied], default=0.0)
    key = hashlib.blake2b(" ".join(accounts).encode(), digest_size=5).hexdigest()
    return Campaign(
        campaign_id=f"c-{key}",
        accounts=accounts,
        targets=_targets(ws, set(accounts)),
        layers=dict(sorted(layers.items())),
        findings=findings,
        window=window,
        score=score,
        summary=summary,
        hints=_hints(ws),
    )


def _creation_burst(ws: Workspace, size: int) -> str:
    """'120 were created 3–5 March 2026' when at least half the campaign's ``size``
    accounts (table ``_camp_members``) were created within a week of each other; else ''."""
    rows = ws.sql(
        "SELECT created_at FROM accounts WHERE account_id IN (SELECT account FROM _camp_members) "
        "AND created_at IS NOT NULL ORDER BY created_at"
    )
    times = [r[0] for r in rows]
    best, first, last = 0, None, None
    j = 0
    for i, t in enumerate(times):
        while times[j] < t - timedelta(days=7):
            j += 1
        if i - j + 1 > best:
            best, first, last = i - j + 1, times[j], t
    if best * 2 < size or best < 3 or first is None or last is None:
        return ""
    return f"{best} were created {dates(first, last)}"


def _targets(ws: Workspace, accounts: set[str]) -> list[str]:
    """Accounts that several members (table ``_camp_members``) followed, reported,
    mentioned or replied to."""
    rows = ws.sql(
        """SELECT target, count(DISTINCT actor) AS n FROM _camp_acted
        WHERE actor IN (SELECT account FROM _camp_members) GROUP BY target
        HAVING count(DISTINCT actor) >= greatest(3, ? * 0.25)
        ORDER BY n DESC, target LIMIT 50""",
        [len(accounts)],
    )
    return [r[0] for r in rows if r[0] not in accounts]


def _hints(ws: Workspace) -> dict[str, Any]:
    """Attribution hints for the campaign in ``_camp_members``."""
    affiliated = [
        r[0]
        for r in ws.sql(
            "SELECT DISTINCT account_id FROM registers WHERE register = 'affiliated' "
            "AND account_id IN (SELECT account FROM _camp_members) ORDER BY 1"
        )
    ]
    amplified = ws.sql(
        """SELECT author, count(*) AS n FROM _camp_amplified
        WHERE account IN (SELECT account FROM _camp_members)
        GROUP BY 1 ORDER BY n DESC, 1 LIMIT 20"""
    )
    return {
        "affiliated_members": affiliated,
        "amplifies_affiliated": [{"account": a, "reposts": int(n)} for a, n in amplified],
    }


def _store(ws: Workspace, campaigns: list[Campaign]) -> None:
    rows = [
        (
            c.campaign_id,
            c.accounts,
            c.targets,
            json.dumps(c.layers),
            c.findings,
            c.window[0],
            c.window[1],
            c.score,
            c.summary,
            json.dumps(c.hints),
        )
        for c in campaigns
    ]
    if rows:
        ws.con.executemany("INSERT INTO campaigns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def load_campaigns(ws: Workspace) -> list[Campaign]:
    rows = ws.sql(
        "SELECT campaign_id, accounts, targets, layers, findings, window_start, window_end, "
        "score, summary, hints FROM campaigns ORDER BY len(accounts) DESC, campaign_id"
    )
    return [
        Campaign(
            r[0],
            list(r[1]),
            list(r[2]),
            json.loads(r[3]),
            list(r[4]),
            (r[5], r[6]),
            float(r[7]),
            r[8],
            json.loads(r[9]),
        )
        for r in rows
    ]


def explain(ws: Workspace, key: str) -> dict[str, Any]:
    """The evidence trail of a campaign (by id) or an account (by id or handle), down to
    event ids: edges with their shared objects, expected counts and events; findings with
    their evidence."""
    campaigns = {c.campaign_id: c for c in load_campaigns(ws)}
    if key in campaigns:
        c = campaigns[key]
        accounts = c.accounts
        head: dict[str, Any] = {"campaign": campaign_json(c)}
    else:
        found = ws.sql(
            "SELECT account_id FROM accounts WHERE account_id = ? OR lower(handle) = lower(?) "
            "UNION SELECT a FROM coaction_edges WHERE a = ? UNION SELECT b FROM coaction_edges WHERE b = ?",
            [key, key.lstrip("@"), key, key],
        )
        if not found:
            raise ParameterError(f"{key!r} is neither a campaign id nor a known account")
        account = found[0][0]
        accounts = [account]
        head = {
            "account": account,
            "campaigns": [campaign_json(c) for c in campaigns.values() if account in c.accounts],
        }
    edges = ws.sql(
        "SELECT verb, a, b, shared, expected, p, q, median_dt, objects, event_ids "
        "FROM coaction_edges WHERE a IN (SELECT unnest(?)) OR b IN (SELECT unnest(?)) "
        "ORDER BY p, verb, a, b",
        [accounts, accounts],
    )
    if "campaign" in head:
        inside = set(accounts)
        edges = [e for e in edges if e[1] in inside and e[2] in inside]
    head["edges"] = [
        {
            "layer": e[0],
            "accounts": [e[1], e[2]],
            "shared": e[3],
            "expected": e[4],
            "p": e[5],
            "q": e[6],
            "median_gap_s": e[7],
            "objects": list(e[8]),
            "event_ids": list(e[9]),
        }
        for e in edges
    ]
    findings = ws.sql(
        "SELECT f.finding_id, f.summary, e.what, e.event_ids FROM findings f "
        "JOIN evidence e USING (finding_id) WHERE len(list_intersect(f.accounts, ?)) > 0 "
        "ORDER BY f.finding_id, e.position",
        [accounts],
    )
    grouped: dict[str, dict[str, Any]] = {}
    for fid, summary, what, events in findings:
        item = grouped.setdefault(fid, {"finding_id": fid, "summary": summary, "evidence": []})
        item["evidence"].append({"what": what, "event_ids": list(events)})
    head["findings"] = list(grouped.values())
    return head


def campaign_json(c: Campaign) -> dict[str, Any]:
    return {
        "campaign_id": c.campaign_id,
        "accounts": c.accounts,
        "targets": c.targets,
        "layers": c.layers,
        "findings": c.findings,
        "window": [str(c.window[0]), str(c.window[1])],
        "score": c.score,
        "summary": c.summary,
        "hints": c.hints,
    }
