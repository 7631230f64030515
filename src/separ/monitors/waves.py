"""Enforcement waves: spikes in restrictions of a community against its own baseline.

A *community* is a language (``lang:fa``), a country from the registers
(``country:IR``) or the ``protected`` register (``register:protected``). A *route* is how
a restriction came about: the automated report rule (automation on a report trigger),
automated detection, moderators on user reports, proactive moderation, government
requests, or all routes together.

For each community and route, restrictions are counted per day, and two temporal scans
(Kulldorff's scan statistics, one-sided) look for the window with the largest excess:

- ``share``: under the null, each restriction the route makes falls on the community
  with the community's usual share of all restrictions (its own baseline), whatever
  the day (Bernoulli scan, windows of 1 to ``max_days`` days). It finds a route that
  suddenly, or steadily, turns on one community, and ignores platform-wide surges.
- ``volume``: under the null, the community's restrictions by the route are spread
  evenly over the period (Poisson scan conditional on their total, windows of 1 to
  ``spike_days`` days). It finds short spikes of a community's own restriction rate.

Each scan's p-value comes from Monte Carlo replicates of the whole scan under its null
(so scanning many windows is paid for); further non-overlapping windows are kept while
their p-value stays at or below 0.05 (as SaTScan's secondary clusters), and
Benjamini-Hochberg runs over all the windows of all community x route streams. Each wave
comes with what drove it: the route, the rule, the moderators, the policies, and the
reports behind it attributed to ``report_brigade`` findings and to campaigns.

Reads only: run ``separ detect`` first for the brigade and campaign attribution.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from math import log, log1p
from typing import Any

import numpy as np
import pyarrow as pa
from scipy.special import xlogy
from scipy.stats import false_discovery_control

from separ.schema import RESTRICTIONS as SCHEMA_RESTRICTIONS
from separ.wording import dates
from separ.workspace import Workspace

RESTRICTIONS = tuple(a for a in SCHEMA_RESTRICTIONS if a != "label")
"""Actions that restrict a person; labels and restores are not counted."""

ROUTES = {
    "rule": "the automated report rule",
    "detection": "automated detection",
    "automated": "other automation",
    "reports": "moderators on user reports",
    "proactive": "proactive moderation",
    "government": "government requests",
    "other": "other human decisions",
    "all": "all routes",
}
"""Route codes and how a sentence names them."""

WINDOWS = (1, 2, 3, 5, 7, 10, 14, 21, 30, 45, 60, 90, 120, 180, 270, 365)
"""Window lengths (days) the scan tries, up to ``max_days``."""

ROUTE_SQL = """CASE
    WHEN a.automated AND a.trigger = 'report' THEN 'rule'
    WHEN a.automated AND a.trigger = 'detector' THEN 'detection'
    WHEN a.automated THEN 'automated'
    WHEN a.trigger = 'report' THEN 'reports'
    WHEN a.trigger IN ('proactive', 'detector') THEN 'proactive'
    WHEN a.trigger = 'government' THEN 'government'
    ELSE 'other' END"""


@dataclass(frozen=True, slots=True)
class Driver:
    """One thing behind a wave: ``kind`` is ``route``, ``rule``, ``moderator``,
    ``policy``, ``brigade`` (a ``report_brigade`` finding) or ``campaign``; ``count`` of
    the wave's restrictions (or, for brigades and campaigns, of its reports) it accounts
    for; ``ids`` the action or report ids behind it."""

    kind: str
    name: str
    count: int
    ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Wave:
    """A window in which one route restricted one community far beyond its baseline."""

    wave_id: str
    community: str
    route: str
    test: str
    start: datetime
    end: datetime
    restrictions: int
    route_total: int
    expected: float
    baseline_share: float
    p: float
    q: float
    sustained: bool
    action_ids: tuple[str, ...]
    report_ids: tuple[str, ...]
    drivers: tuple[Driver, ...] = field(default=())
    summary: str = ""

    def as_json(self) -> dict[str, Any]:
        """The wave as plain JSON values (times as ISO 8601 UTC), with ``driver``."""
        out = asdict(self)
        out["start"] = self.start.isoformat() + "Z"
        out["end"] = self.end.isoformat() + "Z"
        out["driver"] = self.driver
        return out

    @property
    def driver(self) -> str:
        """The main driver in a few words: the route, the brigade findings and the
        campaign behind most of its reports, if any, and a moderator who made most of it."""
        parts = [ROUTES.get(self.route, self.route)]
        for kind in ("brigade", "campaign"):
            top = [d for d in self.drivers if d.kind == kind]
            if top:
                more = f" and {len(top) - 1} more" if len(top) > 1 else ""
                parts.append(f"{kind} {top[0].name}{more}")
        mods = [d for d in self.drivers if d.kind == "moderator"]
        if self.route != "rule" and mods and mods[0].count * 2 > self.restrictions:
            parts.append(f"moderator {mods[0].name}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class _Stream:
    community: str
    route: str
    days: np.ndarray  # restrictions of the route per day (all communities)
    hits: np.ndarray  # of them, restrictions of the community
    share: float


def enforcement_waves(
    ws: Workspace,
    *,
    alpha: float = 0.05,
    max_days: int = 60,
    spike_days: int = 14,
    min_restrictions: int = 3,
    replicates: int = 999,
    seed: int = 0,
    actions: tuple[str, ...] = RESTRICTIONS,
) -> list[Wave]:
    """Every significant wave, most significant first (see the module docstring).

    ``alpha`` is the false discovery rate over all candidate windows; ``max_days`` and
    ``spike_days`` the longest windows of the share and volume scans; a window needs at
    least ``min_restrictions`` restrictions of the community; ``replicates`` Monte Carlo
    scans (seeded with ``seed``, so runs are repeatable) give each p-value; ``actions``
    are the actions that count as restrictions."""
    _prepare(ws, actions)
    row = ws.sql("SELECT min(day), max(day) FROM _wav_r")[0]
    if row[0] is None:
        return []
    origin, days = row[0], int((row[1] - row[0]).days) + 1
    streams = _streams(ws, origin, days)
    lengths = [w for w in WINDOWS if w <= min(max_days, days)] or [days]
    found: list[tuple[_Stream, str, int, int, float]] = []
    for stream in streams:
        found.extend(_scan(stream, lengths, spike_days, min_restrictions, replicates, seed))
    if not found:
        return []
    qs = false_discovery_control([f[4] for f in found])
    waves = [
        _wave(ws, s, test, origin + timedelta(days=a), origin + timedelta(days=b), p, float(q))
        for (s, test, a, b, p), q in zip(found, qs, strict=True)
        if q <= alpha
    ]
    return sorted(waves, key=lambda w: (w.p, w.expected / w.restrictions, w.community, w.wave_id))


def _prepare(ws: Workspace, actions: tuple[str, ...]) -> None:
    ws.con.execute(
        "CREATE OR REPLACE TEMP TABLE _wav_c AS "
        "SELECT DISTINCT account_id, 'lang:' || lang AS community FROM accounts "
        "WHERE lang IS NOT NULL AND lang <> '' "
        "UNION SELECT DISTINCT account_id, 'country:' || upper(country) FROM registers "
        "WHERE country IS NOT NULL AND country <> '' "
        "UNION SELECT DISTINCT account_id, 'register:protected' FROM registers "
        "WHERE register = 'protected'"
    )
    ws.con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _wav_r AS
        SELECT a.action_id, a.account_id, a.action, a.policy, a.actor, a.created_at,
               CAST(date_trunc('day', a.created_at) AS DATE) AS day, {ROUTE_SQL} AS route,
               coalesce(a.trigger_ref, []) AS refs
        FROM actions a
        WHERE list_contains(?, a.action) AND a.created_at IS NOT NULL""",
        [list(actions)],
    )


def _streams(ws: Workspace, origin: object, days: int) -> list[_Stream]:
    """Daily counts per route, and per community x route, with the community's share of
    all restrictions."""
    total = int(ws.sql("SELECT count(*) FROM _wav_r")[0][0])
    per_route: dict[str, np.ndarray] = {}
    rows = ws.sql(
        """SELECT r, datediff('day', ?, day), count(*) FROM _wav_r,
           unnest([route, 'all']) AS u(r) GROUP BY ALL""",
        [origin],
    )
    for route, day, n in rows:
        per_route.setdefault(route, np.zeros(days, dtype=np.int64))[day] = n
    shares = dict(
        ws.sql(
            "SELECT c.community, count(*) FROM _wav_r r JOIN _wav_c c USING (account_id) "
            "GROUP BY ALL"
        )
    )
    hits: dict[tuple[str, str], np.ndarray] = {}
    rows = ws.sql(
        """SELECT c.community, u.r, datediff('day', ?, r.day), count(*)
        FROM _wav_r r JOIN _wav_c c USING (account_id), unnest([r.route, 'all']) AS u(r)
        GROUP BY ALL ORDER BY ALL""",
        [origin],
    )
    for community, route, day, n in rows:
        hits.setdefault((community, route), np.zeros(days, dtype=np.int64))[day] = n
    return [
        _Stream(c, r, per_route[r], h, shares[c] / total)
        for (c, r), h in sorted(hits.items())
        if 0 < shares[c] < total
    ]


def _share_llr(k: np.ndarray, n: np.ndarray, p0: float) -> np.ndarray:
    """One-sided Bernoulli log-likelihood ratio of k hits in n trials against share p0."""
    k, n = k.astype(float), n.astype(float)
    m = np.maximum(n, 1.0)
    llr = xlogy(k, k / m) + xlogy(n - k, (n - k) / m) - k * log(p0) - (n - k) * log1p(-p0)
    return np.where(k > p0 * n, llr, 0.0)


def _volume_llr(k: np.ndarray, expected: np.ndarray, total: int) -> np.ndarray:
    """One-sided Poisson log-likelihood ratio (conditional on the total) of k events where
    ``expected`` were due."""
    k = k.astype(float)
    llr = xlogy(k, k / expected) + xlogy(total - k, (total - k) / (total - expected))
    return np.where(k > expected, llr, 0.0)


def _windows(counts: np.ndarray, lengths: list[int]) -> np.ndarray:
    """Sums of ``counts`` (... x days) over every window: (..., lengths, starts); starts
    past the last full window repeat it."""
    days = counts.shape[-1]
    cum = np.concatenate([np.zeros((*counts.shape[:-1], 1), dtype=counts.dtype), counts], -1)
    cum = np.cumsum(cum, axis=-1)
    out = []
    for w in lengths:
        starts = np.minimum(np.arange(days), days - w)
        out.append(cum[..., starts + w] - cum[..., starts])
    return np.stack(out, axis=-2)


def _scan(
    s: _Stream,
    lengths: list[int],
    spike_days: int,
    least: int,
    replicates: int,
    seed: int,
) -> list[tuple[_Stream, str, int, int, float]]:
    """Both scans of one stream: ``share`` (the community takes more of the route's
    restrictions than its usual share) and ``volume`` (the community's restrictions by the
    route bunch in time beyond an even spread over the period). Each gives its most
    likely window and further non-overlapping ones, with Monte Carlo p-values against the
    distribution of the scan's maximum; windows overlapping a more significant one of the
    other scan are dropped."""
    total = int(s.hits.sum())
    if total < least:
        return []
    days = len(s.days)
    rng = np.random.default_rng([seed, *f"{s.community}|{s.route}".encode()])
    k_w = _windows(s.hits, lengths)
    n_w = _windows(s.days, lengths)
    share = np.where(k_w >= least, _share_llr(k_w, n_w, s.share), 0.0)
    share_null = np.zeros(0)
    if share.max() > 0:
        sim_k = _windows(rng.binomial(s.days[None, :], s.share, (replicates, days)), lengths)
        share_null = np.where(
            sim_k >= least, _share_llr(sim_k, np.broadcast_to(n_w, sim_k.shape), s.share), 0.0
        ).max(axis=(1, 2))
    short = [w for w in lengths if w <= spike_days]
    expected = total * np.array(short, dtype=float)[:, None] / days
    volume = np.where(
        k_w[: len(short)] >= least, _volume_llr(k_w[: len(short)], expected, total), 0.0
    )
    volume_null = np.zeros(0)
    if volume.size and volume.max() > 0:
        sims = rng.multinomial(total, np.full(days, 1.0 / days), size=replicates)
        sim_k = _windows(sims, short)
        volume_null = np.where(sim_k >= least, _volume_llr(sim_k, expected, total), 0.0).max(
            axis=(1, 2)
        )
    found = [
        *_clusters(share, share_null, lengths, days, "share"),
        *_clusters(volume, volume_null, lengths, days, "volume"),
    ]
    found.sort(key=lambda f: (f[3], f[0]))
    taken = np.zeros(days, dtype=bool)
    out: list[tuple[_Stream, str, int, int, float]] = []
    for test, start, stop, p in found:
        if taken[start:stop].any():
            continue
        taken[start:stop] = True
        first, last = _trim(s.hits, start, stop)
        out.append((s, test, first, last + 1, p))
    return out


def _clusters(
    llr: np.ndarray, null: np.ndarray, lengths: list[int], days: int, test: str
) -> list[tuple[str, int, int, float]]:
    """Non-overlapping windows, best first, while their p-value stays at or below 0.05."""
    out: list[tuple[str, int, int, float]] = []
    if not null.size:
        return out
    taken = np.zeros(days, dtype=bool)
    for flat in np.argsort(-llr, axis=None, kind="stable"):
        li, raw = np.unravel_index(flat, llr.shape)
        value = float(llr[li, raw])
        if value <= 0:
            break
        p = (1 + int((null >= value - 1e-9).sum())) / (len(null) + 1)
        if p > 0.05:
            break
        start = min(int(raw), days - lengths[li])
        stop = start + lengths[li]
        if taken[start:stop].any():
            continue
        taken[start:stop] = True
        out.append((test, start, stop, p))
    return out


def _trim(hits: np.ndarray, start: int, stop: int) -> tuple[int, int]:
    """The first and last day in the window with a restriction of the community."""
    days = np.flatnonzero(hits[start:stop]) + start
    return int(days[0]), int(days[-1])


def _wave(
    ws: Workspace, s: _Stream, test: str, start: date, stop: date, p: float, q: float
) -> Wave:
    rows = ws.sql(
        """SELECT r.action_id, r.actor, r.policy, r.route, r.refs, r.created_at
        FROM _wav_r r WHERE r.day >= ? AND r.day < ?
          AND (? = 'all' OR r.route = ?)
          AND r.account_id IN (SELECT account_id FROM _wav_c WHERE community = ?)
        ORDER BY r.created_at, r.action_id""",
        [start, stop, s.route, s.route, s.community],
    )
    route_total = int(
        ws.sql(
            "SELECT count(*) FROM _wav_r WHERE day >= ? AND day < ? AND (? = 'all' OR route = ?)",
            [start, stop, s.route, s.route],
        )[0][0]
    )
    action_ids = tuple(r[0] for r in rows)
    report_ids = tuple(sorted({x for r in rows for x in r[4]}))
    drivers = _drivers(ws, rows, report_ids)
    k, first, last = len(rows), rows[0][5], rows[-1][5]
    span, total = len(s.days), int(s.hits.sum())
    head = f"{k} restrictions of {s.community} by {ROUTES[s.route]} {dates(first, last)}"
    if test == "share":
        expected = route_total * s.share
        summary = (
            f"{head}: {k} of the {route_total} that route made then, where the community's "
            f"usual share of restrictions ({s.share:.0%}) predicts {expected:.1f}"
        )
    else:
        expected = total * (stop - start).days / span
        summary = f"{head}, where its own rate ({total} in {span} days) predicts {expected:.1f}"
    summary += f" (p={p:.2g}, q={q:.2g})"
    summary += _behind(drivers, len(report_ids))
    digest = hashlib.sha1(f"{s.community}|{s.route}|{test}|{first}|{last}".encode()).hexdigest()
    return Wave(
        wave_id=f"w-{digest[:10]}",
        community=s.community,
        route=s.route,
        test=test,
        start=first,
        end=last,
        restrictions=k,
        route_total=route_total,
        expected=float(expected),
        baseline_share=float(s.share),
        p=p,
        q=q,
        sustained=(last - first).days + 1 > span / 2,
        action_ids=action_ids,
        report_ids=report_ids,
        drivers=drivers,
        summary=summary,
    )


def _behind(drivers: tuple[Driver, ...], reports: int) -> str:
    """What the reports behind a wave came from, as the end of its sentence."""
    said = []
    brigades = [d for d in drivers if d.kind == "brigade"]
    if brigades:
        n = len({i for d in brigades for i in d.ids})
        names = brigades[0].name + (f" and {len(brigades) - 1} more" if len(brigades) > 1 else "")
        said.append(
            f"{n} of the {reports} reports behind them are attributed to "
            f"{len(brigades)} report_brigade finding{'s' if len(brigades) > 1 else ''} ({names})"
        )
    campaigns = [d for d in drivers if d.kind == "campaign"]
    if campaigns:
        top = campaigns[0]
        said.append(f"{top.count} were filed by members of campaign {top.name}")
    return "; " + ", ".join(said) if said else ""


def _drivers(
    ws: Workspace, rows: list[tuple[object, ...]], reports: tuple[str, ...]
) -> tuple[Driver, ...]:
    """Routes, the automated rule, moderators and policies among the wave's restrictions;
    brigade findings and campaigns among the reports behind them."""
    out: list[Driver] = []
    for kind, col in (("route", 3), ("moderator", 1), ("policy", 2)):
        groups: dict[str, list[str]] = {}
        for r in rows:
            if kind == "moderator" and (r[1] == "automated" or r[3] in ("rule", "detection")):
                continue
            groups.setdefault(str(r[col]), []).append(str(r[0]))
        ranked = sorted(groups.items(), key=lambda g: (-len(g[1]), g[0]))
        out.extend(Driver(kind, name, len(ids), tuple(ids)) for name, ids in ranked)
    rule = Counter(
        str(x[0])
        for x in ws.sql(
            "SELECT reason FROM actions WHERE automated AND trigger = 'report' AND action_id IN "
            "(SELECT unnest(?))",
            [[str(r[0]) for r in rows if r[3] == "rule"]],
        )
    )
    out.extend(Driver("rule", name, n) for name, n in rule.most_common())
    if reports:
        out.extend(_attributed(ws, reports))
    return tuple(out)


def _attributed(ws: Workspace, reports: tuple[str, ...]) -> list[Driver]:
    """Reports attributed to ``report_brigade`` findings (their first evidence entry),
    and reports whose reporter belongs to a campaign."""
    ws.con.register("_wav_rep", pa.table({"report_id": pa.array(reports, pa.string())}))
    try:
        brigades = ws.sql(
            """SELECT f.finding_id, list(DISTINCT substr(u.e, 3) ORDER BY substr(u.e, 3))
            FROM findings f JOIN evidence e ON e.finding_id = f.finding_id AND e.position = 0,
                 unnest(e.event_ids) AS u(e)
            WHERE f.detector = 'report_brigade' AND substr(u.e, 3) IN
                  (SELECT report_id FROM _wav_rep) AND starts_with(u.e, 'r:')
            GROUP BY ALL"""
        )
        campaigns = ws.sql(
            """SELECT c.campaign_id, list(DISTINCT r.report_id ORDER BY r.report_id)
            FROM reports r JOIN _wav_rep w USING (report_id)
            JOIN (SELECT campaign_id, unnest(accounts) AS account_id FROM campaigns) c
              ON c.account_id = r.reporter_id
            GROUP BY ALL"""
        )
    finally:
        ws.con.unregister("_wav_rep")
    out = [Driver("brigade", f, len(ids), tuple(ids)) for f, ids in brigades]
    out += [Driver("campaign", c, len(ids), tuple(ids)) for c, ids in campaigns]
    return sorted(out, key=lambda d: (d.kind, -d.count, d.name))
