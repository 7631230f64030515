"""Co-action: accounts that act on the same objects within a time window, repeatedly, more
often than independent accounts would (see docs/coaction.md for the null model).

One engine for every layer of ``activity`` (a verb): pairs come from a band join on the
object with |Δt| ≤ window, in SQL; each pair gets its shared objects, the event ids
behind them, the time differences, the count expected by chance under a null model in
which each account acts independently with its own activity level and each object has
its own popularity and time spread, a Poisson p-value, and a Benjamini–Hochberg q-value
over all possible pairs. Shared objects are counted as distinct *events* of each account
(the fewer of the two), so one post carrying three hashtags is one co-action, not three.
Edges with q ≤ alpha are kept (table ``coaction_edges``);
connected groups of kept edges become findings.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, ClassVar

import igraph as ig
import numpy as np
from scipy.stats import poisson

from separ.detectors.base import Detector, Evidence, Finding, Interval, Options, register
from separ.schema import VERBS
from separ.workspace import Workspace

SLOW_VERBS = ("follow", "report")
"""Layers whose lockstep plays out over hours (swarms, brigades): they use ``slow_window``."""

TARGET_VERBS = ("follow", "report", "mention")
"""Layers whose objects are accounts: the accounts acted on are the finding's targets."""

PHRASES = {
    "post": "posted the same or near-identical text",
    "repost": "reposted the same posts",
    "reply": "replied to the same posts",
    "quote": "quoted the same posts",
    "link": "shared the same links",
    "domain": "shared links to the same sites",
    "hashtag": "used the same hashtags",
    "hashtag_seq": "used the same hashtag sequences",
    "mention": "mentioned the same accounts",
    "media": "posted the same images",
    "follow": "followed the same accounts",
    "report": "reported the same accounts",
}


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@register
class CoAction(Detector):
    name = "coaction"
    version = "1"
    description = (
        "Accounts acting on the same objects within minutes, over and over, beyond chance."
    )
    constraints: ClassVar[dict[str, Interval | Options]] = {
        "window": Interval(1, 7 * 86400),
        "slow_window": Interval(1, 30 * 86400),
        "alpha": Interval(1e-12, 0.5),
        "min_shared": Interval(2, None, integer=True),
        "attach_shared": Interval(2, None, integer=True),
        "min_accounts": Interval(2, None, integer=True),
        "max_object_accounts": Interval(2, None, integer=True),
    }
    docs: ClassVar[dict[str, str]] = {
        "verbs": "activity layers to examine (comma-separated); default all",
        "window": "seconds within which two actions on one object count as co-action",
        "slow_window": "the window for follow and report, whose swarms play out over hours",
        "alpha": "false-discovery rate for keeping an edge (Benjamini-Hochberg over all pairs)",
        "min_shared": "fewest distinct shared objects an edge needs: one co-action is never lockstep",
        "attach_shared": "fewest shared events for a weaker edge, which never makes a finding or "
        "a campaign of its own but lets an account join a campaign it is tied to twice or more",
        "min_accounts": "fewest accounts in a connected group to make a finding",
        "max_object_accounts": "objects acted on by more accounts than this (viral posts) still "
        "count in the null model but are not used as pair evidence: they say nothing about "
        "who coordinates",
    }

    def __init__(
        self,
        *,
        verbs: tuple[str, ...] = VERBS,
        window: float = 600.0,
        slow_window: float = 14400.0,
        alpha: float = 1e-3,
        min_shared: int = 3,
        attach_shared: int = 2,
        min_accounts: int = 3,
        max_object_accounts: int = 500,
    ) -> None:
        self.verbs = verbs
        self.window = window
        self.slow_window = slow_window
        self.alpha = alpha
        self.min_shared = min_shared
        self.attach_shared = attach_shared
        self.min_accounts = min_accounts
        self.max_object_accounts = max_object_accounts

    def run(self, ws: Workspace) -> list[Finding]:
        ws.con.execute("DELETE FROM coaction_edges")
        findings: list[Finding] = []
        for verb in self.verbs:
            window = self.slow_window if verb in SLOW_VERBS else self.window
            edges = coaction_edges(
                ws,
                verb,
                window,
                self.alpha,
                min(self.min_shared, self.attach_shared),
                self.max_object_accounts,
                strong_shared=self.min_shared,
            )
            findings += self._findings(verb, window, [e for e in edges if e["strong"]])
        return findings

    def _findings(self, verb: str, window: float, edges: list[dict[str, Any]]) -> list[Finding]:
        if not edges:
            return []
        names = sorted({e["a"] for e in edges} | {e["b"] for e in edges})
        index = {n: i for i, n in enumerate(names)}
        graph = ig.Graph(n=len(names), edges=[(index[e["a"]], index[e["b"]]) for e in edges])
        out = []
        for members in graph.connected_components():
            if len(members) < self.min_accounts:
                continue
            accounts = {names[i] for i in members}
            group = [e for e in edges if e["a"] in accounts]
            out.append(self._finding(verb, window, sorted(accounts), group))
        return out

    def _finding(
        self, verb: str, window: float, accounts: list[str], edges: list[dict[str, Any]]
    ) -> Finding:
        by_object: dict[str, set[str]] = defaultdict(set)
        for e in edges:
            for obj, ev in zip(e["objects"], e["event_pairs"], strict=True):
                by_object[obj].update(ev)
        objects = sorted(by_object, key=lambda o: (-len(by_object[o]), o))
        evidence = [
            Evidence(
                tuple(sorted(by_object[o])),
                f"{len(by_object[o]) // 2 or 1} co-actions on {verb} object {o}",
            )
            for o in objects
        ]
        shared = np.array([e["shared"] for e in edges], dtype=float)
        expected = np.array([e["expected"] for e in edges], dtype=float)
        start = min(e["first_ts"] for e in edges)
        end = max(e["last_ts"] for e in edges)
        dts = np.array([e["median_dt"] for e in edges], dtype=float)
        summary = (
            f"{len(accounts)} accounts {PHRASES.get(verb, f'acted ({verb}) on the same objects')} "
            f"({len(objects)} objects) within {_duration(window)} of each other, "
            f"median gap {_duration(float(np.median(dts)))}: {len(edges)} linked pairs sharing "
            f"a median {np.median(shared):.0f} objects where chance predicts "
            f"{np.median(expected):.2g}"
        )
        q = max(e["q"] for e in edges)
        return Finding(
            detector=self.name,
            kind=f"coaction:{verb}",
            accounts=accounts,
            targets=objects if verb in TARGET_VERBS else [],
            window=(start, end),
            score=float(1.0 - q),
            significance=float(min(e["p"] for e in edges)),
            evidence=evidence,
            summary=summary,
        )


def coaction_edges(
    ws: Workspace,
    verb: str,
    window: float,
    alpha: float,
    min_shared: int,
    max_object_accounts: int,
    strong_shared: int | None = None,
) -> list[dict[str, Any]]:
    """Significant co-action edges of one layer; also appended to ``coaction_edges``.
    Edges sharing at least ``strong_shared`` events (default ``min_shared``) are strong."""
    strong_at = min_shared if strong_shared is None else strong_shared
    con = ws.con
    w = f"INTERVAL {int(window)} SECOND"
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _acts AS
        SELECT actor, object, min(ts) AS ts, arg_min(event_id, ts) AS event_id
        FROM activity WHERE verb = ? AND ts IS NOT NULL AND object IS NOT NULL
        GROUP BY actor, object""",
        [verb],
    )
    # each object's popularity n and time span; under the null its actions fall uniformly
    # over that span, so two of them land within the window with probability q = 2w/span
    # (the span, not the observed pairs: a burst of coordinated actions must not make
    # itself look expected)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _objects AS
        SELECT object, count(*) AS n,
               least(1.0, 2.0 * {float(window)} /
                     greatest(epoch(max(ts)) - epoch(min(ts)), {float(window)})) AS q
        FROM _acts GROUP BY object"""
    )
    # per account: k = objects acted on; pull = sum over them of n_o * q_o
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _accounts AS
        SELECT a.actor, count(*) AS k,
               sum(CASE WHEN o.n > 1 THEN o.n * o.q ELSE 0 END) AS pull
        FROM _acts a JOIN _objects o USING (object) GROUP BY a.actor"""
    )
    totals = con.execute("SELECT count(*), count(DISTINCT actor) FROM _acts").fetchall()[0]
    m_actions, n_accounts = int(totals[0]), int(totals[1])
    if n_accounts < 2:
        return []
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _pairs AS
        SELECT x.actor AS a, y.actor AS b, x.object,
               [x.event_id, y.event_id] AS events,
               abs(epoch(y.ts) - epoch(x.ts)) AS dt,
               least(x.ts, y.ts) AS t0, greatest(x.ts, y.ts) AS t1
        FROM _acts x JOIN _acts y
          ON x.object = y.object AND x.actor < y.actor
         AND y.ts BETWEEN x.ts - {w} AND x.ts + {w}
        WHERE x.object IN (SELECT object FROM _objects WHERE n BETWEEN 2 AND {int(max_object_accounts)})"""
    )
    rows = con.execute(
        f"""SELECT p.a, p.b,
                   least(count(DISTINCT p.events[1]), count(DISTINCT p.events[2])) AS shared,
                   list(p.object ORDER BY p.t0) AS objects,
                   list(p.events ORDER BY p.t0) AS event_pairs, median(p.dt) AS median_dt,
                   min(p.t0) AS first_ts, max(p.t1) AS last_ts,
                   (ka.k * kb.pull + kb.k * ka.pull) / (2.0 * {m_actions}) AS expected
            FROM _pairs p JOIN _accounts ka ON ka.actor = p.a JOIN _accounts kb ON kb.actor = p.b
            GROUP BY p.a, p.b, ka.k, kb.k, ka.pull, kb.pull
            HAVING least(count(DISTINCT p.events[1]), count(DISTINCT p.events[2])) >= {int(min_shared)}
            ORDER BY p.a, p.b"""
    ).fetchall()
    if not rows:
        return []
    shared = np.array([r[2] for r in rows], dtype=float)
    expected = np.maximum(np.array([r[8] for r in rows], dtype=float), 1e-12)
    pvalues = poisson.sf(shared - 1, expected)
    tests = n_accounts * (n_accounts - 1) / 2
    qvalues = _bh(pvalues, tests)
    edges = []
    for row, p, q in zip(rows, pvalues, qvalues, strict=True):
        if q > alpha:
            continue
        a, b, n, objects, pairs, median_dt, first, last, exp = row
        edges.append(
            {
                "a": a,
                "b": b,
                "shared": int(n),
                "objects": list(objects),
                "event_pairs": [list(e) for e in pairs],
                "median_dt": float(median_dt),
                "first_ts": first,
                "last_ts": last,
                "expected": float(exp),
                "p": float(p),
                "q": float(q),
                "strong": int(n) >= strong_at,
            }
        )
    if edges:
        con.executemany(
            "INSERT INTO coaction_edges VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    verb,
                    e["a"],
                    e["b"],
                    e["shared"],
                    e["expected"],
                    e["p"],
                    e["q"],
                    e["first_ts"],
                    e["last_ts"],
                    e["median_dt"],
                    e["objects"],
                    sorted({x for pair in e["event_pairs"] for x in pair}),
                    e["strong"],
                )
                for e in edges
            ],
        )
    return edges


def _bh(pvalues: np.ndarray, tests: float) -> np.ndarray:
    """Benjamini–Hochberg q-values for ``pvalues`` among ``tests`` hypotheses (the pairs
    not listed have p = 1 and rank after them)."""
    order = np.argsort(pvalues, kind="stable")
    ranked = pvalues[order] * tests / np.arange(1, len(pvalues) + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty_like(ranked)
    q[order] = np.minimum(ranked, 1.0)
    return q


def window_of(edges: list[dict[str, Any]]) -> tuple[datetime, datetime]:
    return min(e["first_ts"] for e in edges), max(e["last_ts"] for e in edges)
