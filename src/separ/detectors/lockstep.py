"""Lockstep across targets: the same cohort following or reporting several accounts (or
sharing several links), each within a short window (CopyCatch, Beutel et al. 2013), and
the dense account x target blocks that such cohorts leave (FRAUDAR, Hooi et al. 2016);
see docs/lockstep.md.

Both methods read *bursts*, never single acts. A burst is a stretch of time in which one
target (a ``(verb, object)`` column) is acted on by at least ``min_accounts`` distinct
accounts within ``2 * window``; it is built in SQL from a grid of overlapping windows.
An organic follow of a celebrity on a quiet afternoon is in no burst, so popular accounts
followed at many different times never make a block.

1. CopyCatch. Pairs of bursts on different targets that share accounts (a SQL self-join
   on the account) are tested against a null in which each account joins a burst with a
   probability proportional to its activity (``size * k_a / K``); Benjamini-Hochberg over
   every pair of bursts. Connected significant pairs seed a group that is grown as in
   CopyCatch: each target's centre is moved to the ``2 * window`` stretch holding most of
   the group, and the group is every account that acted within the centres of at least
   ``min_targets`` targets, until nothing changes. A group's significance compares the
   number of its accounts hitting h or more targets with the number the same null
   expects over every account, for each h (Bonferroni over the h tried).
2. FRAUDAR. Greedy peeling of the bipartite account x burst graph, each edge weighted by
   ``1 / log(x + c)`` where ``x`` is the target's number of distinct accounts: follows of
   popular accounts weigh little, and camouflage edges outside a block cannot lower its
   density. The densest block is compared with the densest blocks of degree-preserving
   shuffles of the same graph (a z-score, read as a normal tail p); it is reported when
   significant, its accounts are removed, and the next block is sought.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

import igraph as ig
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import scipy.sparse as sp
from scipy.stats import norm, poisson

from separ.detectors.base import (
    Detector,
    Evidence,
    Finding,
    Interval,
    Options,
    bh_qvalues,
    register,
)
from separ.detectors.coaction import NOUNS, PAST, TARGET_VERBS
from separ.errors import ParameterError
from separ.schema import VERBS
from separ.wording import duration
from separ.workspace import Workspace

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

GRID = 4
"""Grid windows per ``2 * window``: windows start every ``window / 2`` seconds."""
SEED = 20130513
"""Seed of the degree-preserving shuffles (the day CopyCatch was presented): runs repeat."""


@dataclass(frozen=True, slots=True)
class Bursts:
    """Every burst and its members, as arrays (one row per burst, one per member)."""

    verb: list[str]
    object: list[str]
    target: I64  # the burst's object as an index (bursts on one object share it)
    size: I64
    popularity: I64  # distinct accounts that ever acted on the burst's target
    member_burst: I64
    member_actor: I64
    member_t: F64
    actors: list[str]  # actor index -> account id (every actor of the layer)
    k: F64  # distinct targets per actor (the null's activity level)


@dataclass(frozen=True, slots=True)
class Group:
    """Accounts and, per target column, the burst and the stretch ``[lo, hi]`` they hit."""

    actors: I64
    columns: dict[int, tuple[float, float]]  # burst id -> (lo, hi)
    hits: I64  # per actor, distinct targets hit
    threshold: int  # the significance is of accounts hitting at least this many targets
    observed: int
    expected: float
    p: float


@dataclass(frozen=True, slots=True)
class Block:
    """A FRAUDAR block: its accounts (those reaching ``min_targets`` targets inside it),
    its bursts, its weighted density, and the densities of same-degree random graphs."""

    actors: I64
    bursts: I64
    density: float
    null_mean: float
    z: float
    p: float


@register
class Lockstep(Detector):
    name = "lockstep"
    version = "1"
    description = (
        "The same accounts following, reporting or sharing links to several targets, each "
        "within hours, beyond chance (CopyCatch), and dense account x target blocks (FRAUDAR)."
    )
    constraints: ClassVar[dict[str, Interval | Options]] = {
        "window": Interval(60, 7 * 86400),
        "min_accounts": Interval(3, None, integer=True),
        "min_targets": Interval(2, None, integer=True),
        "alpha": Interval(1e-12, 0.5),
        "max_blocks": Interval(0, 100, integer=True),
        "null_samples": Interval(5, 1000, integer=True),
        "camouflage_c": Interval(1.0, None),
    }
    docs: ClassVar[dict[str, str]] = {
        "verbs": "activity layers to read (comma-separated); those whose objects are accounts "
        "(follow, report, mention) are read together, every other layer on its own",
        "window": "seconds: a group's acts on one target lie within this of the target's centre "
        "(a span of twice this), and a burst needs min_accounts accounts within that span",
        "min_accounts": "fewest accounts in a burst, a group or a block",
        "min_targets": "fewest distinct targets every account of a group or block acted on "
        "inside the group's windows: one shared target is never lockstep",
        "alpha": "significance level: Benjamini-Hochberg over all burst pairs for CopyCatch "
        "seeds, and the p-value a group or block must reach",
        "max_blocks": "most FRAUDAR blocks to peel off (0 turns FRAUDAR off)",
        "null_samples": "degree-preserving shuffles a FRAUDAR block is compared with",
        "camouflage_c": "FRAUDAR's c in the column weight 1/log(x + c) (x = the target's "
        "distinct accounts): larger weighs popular targets more like others",
    }

    def __init__(
        self,
        *,
        verbs: tuple[str, ...] = ("follow", "report", "link"),
        window: float = 7200.0,
        min_accounts: int = 5,
        min_targets: int = 2,
        alpha: float = 1e-3,
        max_blocks: int = 3,
        null_samples: int = 20,
        camouflage_c: float = 5.0,
    ) -> None:
        self.verbs = verbs
        self.window = window
        self.min_accounts = min_accounts
        self.min_targets = min_targets
        self.alpha = alpha
        self.max_blocks = max_blocks
        self.null_samples = null_samples
        self.camouflage_c = camouflage_c

    def validate(self) -> None:
        super().validate()
        unknown = sorted(set(self.verbs) - set(VERBS))
        if unknown or not self.verbs:
            raise ParameterError(f"lockstep.verbs must be activity verbs, not {unknown or '()'}")

    def run(self, ws: Workspace) -> list[Finding]:
        self.validate()
        findings: list[Finding] = []
        for verbs in self.passes():
            bursts = load_bursts(ws, verbs, self.window, self.min_accounts)
            if bursts is None:
                continue
            report = Reporter(ws, self, bursts, verbs)
            findings += [report.copycatch(g) for g in self.copycatch(ws, bursts)]
            findings += [report.fraudar(block) for block in self.fraudar(bursts)]
        return findings

    def passes(self) -> list[tuple[str, ...]]:
        """The layers read together: those whose objects are accounts (a swarm that
        follows and reports the same people is one cohort), then every other layer alone,
        so a group sharing links never names the accounts it followed as its targets."""
        people = tuple(v for v in self.verbs if v in TARGET_VERBS)
        return ([people] if people else []) + [(v,) for v in self.verbs if v not in people]

    # --- CopyCatch ---------------------------------------------------------------------

    def copycatch(self, ws: Workspace, b: Bursts) -> list[Group]:
        """Significant groups grown from connected significant pairs of bursts."""
        seeds = significant_pairs(ws, b, self.min_accounts, self.alpha)
        if not seeds:
            return []
        graph = ig.Graph(n=len(b.size), edges=seeds)
        groups = []
        for component in graph.connected_components():
            if len(component) < 2:
                continue
            group = self._grow(b, np.array(sorted(component), dtype=np.int64))
            if group is not None and group.p <= self.alpha:
                groups.append(group)
        return groups

    def _grow(self, b: Bursts, component: I64) -> Group | None:
        """CopyCatch's alternating step: centres from the group, the group from centres."""
        inside = np.isin(b.member_burst, component)
        mb, ma, mt = b.member_burst[inside], b.member_actor[inside], b.member_t[inside]
        objects = b.target[mb]
        group = _initial(ma, objects, self.min_targets)
        span = 2.0 * self.window
        columns: dict[int, tuple[float, float]] = {}
        for _ in range(20):
            columns = {}
            best: dict[tuple[str, str], tuple[int, int, float]] = {}
            for burst in component:
                sel = (mb == burst) & np.isin(ma, group)
                count, lo = _densest_stretch(np.sort(mt[sel]), span)
                key = (b.verb[burst], b.object[burst])
                if count >= self.min_accounts and (key not in best or count > best[key][0]):
                    best[key] = (count, int(burst), lo)
            columns = {burst: (lo, lo + span) for _, burst, lo in best.values()}
            hit = np.zeros(len(ma), dtype=bool)
            for burst, (lo, hi) in columns.items():
                hit |= (mb == burst) & (mt >= lo) & (mt <= hi)
            grown = _initial(ma[hit], objects[hit], self.min_targets)
            if np.array_equal(grown, group):
                break
            group = grown
        if len(group) < self.min_accounts or len(columns) < self.min_targets:
            return None
        pairs = np.unique(np.stack([ma[hit], objects[hit]], axis=1), axis=0)
        hits = np.bincount(pairs[:, 0], minlength=len(b.k))[group]
        return Group(group, columns, hits, *self._significance(b, columns, hits))

    def _significance(
        self, b: Bursts, columns: dict[int, tuple[float, float]], hits: I64
    ) -> tuple[int, int, float, float]:
        """The group against chance: (threshold h, accounts hitting >= h targets, accounts
        expected to, Bonferroni p). Under the null each account joins a target's stretch
        of ``s`` accounts with probability ``s * k / K`` (its share of all acts), so the
        count of accounts hitting at least h targets is a sum of Poisson-binomials; every
        h from ``min_targets`` to the most hit is tried and the p-values are corrected."""
        by_object: dict[str, int] = defaultdict(int)
        for burst, (lo, hi) in columns.items():
            sel = (b.member_burst == burst) & (b.member_t >= lo) & (b.member_t <= hi)
            by_object[b.object[burst]] += len(np.unique(b.member_actor[sel]))
        dist = np.zeros((len(b.k), len(by_object) + 1))
        dist[:, 0] = 1.0
        for size in by_object.values():
            p = np.minimum(1.0, size * b.k / float(b.k.sum()))[:, None]
            dist[:, 1:] = dist[:, 1:] * (1.0 - p) + dist[:, :-1] * p
            dist[:, 0] *= 1.0 - p[:, 0]
        at_least = dist[:, ::-1].cumsum(axis=1)[:, ::-1].sum(axis=0)
        thresholds = range(self.min_targets, int(hits.max()) + 1)
        tried = [
            (float(poisson.sf((hits >= h).sum() - 1, at_least[h])) * len(thresholds), h)
            for h in thresholds
        ]
        p_value, h = min(tried)
        return h, int((hits >= h).sum()), float(at_least[h]), min(1.0, p_value)

    # --- FRAUDAR -----------------------------------------------------------------------

    def fraudar(self, b: Bursts) -> list[Block]:
        """Significant blocks, densest first; each one's accounts leave before the next."""
        edges = np.unique(np.stack([b.member_actor, b.member_burst], axis=1), axis=0)
        weight = 1.0 / np.log(b.popularity + self.camouflage_c)
        rng = np.random.default_rng(SEED)
        blocks = []
        for _ in range(self.max_blocks):
            if len(edges) == 0:
                break
            rows, cols, density = peel(edges[:, 0], edges[:, 1], weight)
            null = np.array(
                [
                    peel(edges[:, 0], rng.permutation(edges[:, 1]), weight)[2]
                    for _ in range(self.null_samples)
                ]
            )
            z = (density - null.mean()) / max(float(null.std()), 1e-9)
            p = float(norm.sf(z))
            if p > self.alpha:
                break
            in_block = np.isin(edges[:, 0], rows) & np.isin(edges[:, 1], cols)
            block = edges[in_block]
            kept = _initial(block[:, 0], b.target[block[:, 1]], self.min_targets)
            if len(kept) >= self.min_accounts:
                blocks.append(Block(kept, cols, density, float(null.mean()), float(z), p))
            edges = edges[~np.isin(edges[:, 0], rows)]
        return blocks


def _initial(actors: I64, targets: I64, min_targets: int) -> I64:
    """Actors with acts on at least ``min_targets`` distinct targets (sorted indexes)."""
    if len(actors) == 0:
        return np.array([], dtype=np.int64)
    pairs = np.unique(np.stack([actors, targets], axis=1), axis=0)
    ids, counts = np.unique(pairs[:, 0], return_counts=True)
    return ids[counts >= min_targets].astype(np.int64)


def _densest_stretch(times: F64, span: float) -> tuple[int, float]:
    """The most acts within ``span`` seconds among sorted ``times``: (count, start)."""
    if len(times) == 0:
        return 0, 0.0
    ends = np.searchsorted(times, times + span, side="right")
    counts = ends - np.arange(len(times))
    best = int(np.argmax(counts))
    return int(counts[best]), float(times[best])


def peel(rows: I64, cols: I64, col_weight: F64) -> tuple[I64, I64, float]:
    """FRAUDAR's greedy peeling: remove the node of least weighted degree until none is
    left, and return the remaining rows and columns where the weighted density
    ``sum(edge weights) / (rows + cols)`` was highest, with that density.

    Nodes whose weighted degree is below the density of what is left are first removed
    in bulk, round after round (vectorised): such a node only lowers the density of any
    block holding it, so the densest block never contains it."""
    w = col_weight[cols]
    keep = _prune(rows, cols, w)
    rows, cols, w = rows[keep], cols[keep], w[keep]
    row_ids, r = np.unique(rows, return_inverse=True)
    col_ids, c = np.unique(cols, return_inverse=True)
    n_rows = len(row_ids)
    n = n_rows + len(col_ids)
    if n == 0:
        return row_ids, col_ids, 0.0
    adj = sp.coo_matrix((w, (r, c + n_rows)), shape=(n, n)).tocsr()
    adj = (adj + adj.T).tocsr()
    degree = np.asarray(adj.sum(axis=1)).ravel().tolist()
    indptr, indices, data = adj.indptr.tolist(), adj.indices.tolist(), adj.data.tolist()
    alive = [True] * n
    heap = [(d, i) for i, d in enumerate(degree)]
    heapq.heapify(heap)
    total, size = float(w.sum()), n
    best, best_at, order = total / size, 0, []
    while heap:
        d, i = heapq.heappop(heap)
        if not alive[i] or d != degree[i]:
            continue
        alive[i] = False
        order.append(i)
        total -= d
        size -= 1
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if alive[j]:
                degree[j] -= data[k]
                heapq.heappush(heap, (degree[j], j))
        if size and total / size > best:
            best, best_at = total / size, len(order)
    kept = np.ones(n, dtype=bool)
    kept[order[:best_at]] = False
    at = np.flatnonzero(kept)
    return (
        row_ids[at[at < n_rows]].astype(np.int64),
        col_ids[at[at >= n_rows] - n_rows].astype(np.int64),
        best,
    )


def _prune(rows: I64, cols: I64, w: F64) -> npt.NDArray[np.bool_]:
    """Edges left once every node of weighted degree below the remaining graph's
    density is removed, repeatedly."""
    keep = np.ones(len(rows), dtype=bool)
    while keep.any():
        r, c, x = rows[keep], cols[keep], w[keep]
        row_degree = np.bincount(r, x)
        col_degree = np.bincount(c, x)
        nodes = np.count_nonzero(row_degree) + np.count_nonzero(col_degree)
        density = x.sum() / nodes
        low = (row_degree[r] < density) | (col_degree[c] < density)
        if not low.any():
            break
        keep[np.flatnonzero(keep)[low]] = False
    return keep


def load_bursts(ws: Workspace, verbs: tuple[str, ...], window: float, m: int) -> Bursts | None:
    """Build ``_ls_acts``, ``_ls_bursts`` and ``_ls_members`` in SQL and fetch them."""
    con = ws.con
    stride = window * 2.0 / GRID
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _ls_acts AS
        SELECT event_id, actor, verb, object, epoch(ts) AS t, ts FROM activity
        WHERE verb IN (SELECT unnest(?)) AND ts IS NOT NULL AND object IS NOT NULL
          AND actor <> object""",
        [list(verbs)],
    )
    # every grid window of 2 * window seconds (starting every window / 2) holding at
    # least m distinct accounts on one target; overlapping ones merge into one burst
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ls_bursts AS
        WITH grid AS (
            SELECT verb, object, actor,
                   unnest(range(CAST(floor(t / {stride}) AS BIGINT) - {GRID - 1},
                                CAST(floor(t / {stride}) AS BIGINT) + 1)) AS s
            FROM _ls_acts),
        dense AS (
            SELECT verb, object, s FROM grid GROUP BY verb, object, s
            HAVING count(DISTINCT actor) >= {int(m)}),
        runs AS (
            SELECT verb, object, s,
                   sum(CASE WHEN s - prev < {GRID} THEN 0 ELSE 1 END)
                       OVER (PARTITION BY verb, object ORDER BY s) AS run
            FROM (SELECT *, lag(s) OVER (PARTITION BY verb, object ORDER BY s) AS prev
                  FROM dense))
        SELECT CAST(row_number() OVER (ORDER BY verb, object, min(s)) - 1 AS BIGINT) AS bid,
               verb, object, min(s) * {stride} AS t0, (max(s) + {GRID}) * {stride} AS t1
        FROM runs GROUP BY verb, object, run"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _ls_members AS
        SELECT b.bid, a.actor, min(a.t) AS t
        FROM _ls_bursts b JOIN _ls_acts a
          ON a.verb = b.verb AND a.object = b.object AND a.t >= b.t0 AND a.t < b.t1
        GROUP BY b.bid, a.actor"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _ls_degree AS
        SELECT actor, count(DISTINCT (verb, object)) AS k,
               CAST(row_number() OVER (ORDER BY actor) - 1 AS BIGINT) AS idx
        FROM _ls_acts GROUP BY actor"""
    )
    bursts = con.execute(
        """SELECT b.bid, b.verb, b.object, count(DISTINCT m.actor) AS size,
                  any_value(p.x) AS popularity
        FROM _ls_bursts b JOIN _ls_members m USING (bid)
        JOIN (SELECT verb, object, count(DISTINCT actor) AS x FROM _ls_acts
              GROUP BY verb, object) p ON p.verb = b.verb AND p.object = b.object
        GROUP BY b.bid, b.verb, b.object ORDER BY b.bid"""
    ).fetchnumpy()
    if len(bursts["bid"]) == 0:
        return None
    members = con.execute(
        """SELECT m.bid, d.idx, m.t FROM _ls_members m JOIN _ls_degree d USING (actor)
        ORDER BY m.bid, d.idx"""
    ).fetchnumpy()
    degree = con.execute("SELECT actor, k FROM _ls_degree ORDER BY idx").fetchnumpy()
    return Bursts(
        verb=[str(v) for v in bursts["verb"]],
        object=[str(o) for o in bursts["object"]],
        target=np.unique(np.asarray(bursts["object"], dtype=str), return_inverse=True)[1].astype(
            np.int64
        ),
        size=np.asarray(bursts["size"], dtype=np.int64),
        popularity=np.asarray(bursts["popularity"], dtype=np.int64),
        member_burst=np.asarray(members["bid"], dtype=np.int64),
        member_actor=np.asarray(members["idx"], dtype=np.int64),
        member_t=np.asarray(members["t"], dtype=np.float64),
        actors=[str(a) for a in degree["actor"]],
        k=np.asarray(degree["k"], dtype=np.float64),
    )


def significant_pairs(ws: Workspace, b: Bursts, m: int, alpha: float) -> list[tuple[int, int]]:
    """Pairs of bursts on different targets sharing at least ``m`` accounts, more than
    the activity null expects (``size_1 * size_2 * sum(k^2) / K^2``), BH at ``alpha``."""
    total, squares = float(b.k.sum()), float((b.k**2).sum())
    found = ws.con.execute(
        f"""SELECT x.bid AS a, y.bid AS b, count(*) AS shared
        FROM _ls_members x JOIN _ls_members y ON x.actor = y.actor AND x.bid < y.bid
        JOIN _ls_bursts bx ON bx.bid = x.bid JOIN _ls_bursts br ON br.bid = y.bid
        WHERE bx.object <> br.object
        GROUP BY x.bid, y.bid HAVING count(*) >= {int(m)} ORDER BY a, b"""
    ).fetchnumpy()
    if len(found["a"]) == 0:
        return []
    a = np.asarray(found["a"], dtype=np.int64)
    c = np.asarray(found["b"], dtype=np.int64)
    expected = b.size[a] * b.size[c] * squares / total**2
    pvalues = poisson.sf(np.asarray(found["shared"], dtype=float) - 1, expected)
    tests = len(b.size) * (len(b.size) - 1) / 2
    keep = bh_qvalues(pvalues, tests) <= alpha
    return [(int(x), int(y)) for x, y in zip(a[keep], c[keep], strict=True)]


class Reporter:
    """Turns groups and blocks into findings: evidence event ids and one sentence."""

    def __init__(
        self, ws: Workspace, detector: Lockstep, bursts: Bursts, verbs: tuple[str, ...]
    ) -> None:
        self.ws, self.d, self.b = ws, detector, bursts
        self.verbs = " and ".join(verbs)
        pairs, actors, targets = ws.sql(
            "SELECT count(DISTINCT (actor, object)), count(DISTINCT actor), "
            "count(DISTINCT object) FROM _ls_acts"
        )[0]
        self.fill: float = float(pairs) / max(int(actors) * int(targets), 1)

    def _events(
        self, actors: list[str], columns: dict[int, tuple[float, float]]
    ) -> tuple[list[Evidence], tuple[datetime | None, datetime | None], float]:
        """Evidence per target column, the time window, and the longest span on a target."""
        b = self.b
        cols = pa.table(
            {
                "verb": [b.verb[c] for c in columns],
                "object": [b.object[c] for c in columns],
                "lo": [lo for lo, _ in columns.values()],
                "hi": [hi for _, hi in columns.values()],
            }
        )
        self.ws.con.register("_ls_cols", cols)
        try:
            rows = self.ws.sql(
                """SELECT a.verb, a.object, list(a.event_id ORDER BY a.event_id),
                          count(DISTINCT a.actor), min(a.ts), max(a.ts),
                          max(a.t) - min(a.t)
                FROM _ls_acts a JOIN _ls_cols c
                  ON a.verb = c.verb AND a.object = c.object AND a.t BETWEEN c.lo AND c.hi
                WHERE a.actor IN (SELECT unnest(?))
                GROUP BY a.verb, a.object ORDER BY count(*) DESC, a.verb, a.object""",
                [actors],
            )
        finally:
            self.ws.con.unregister("_ls_cols")
        evidence = [
            Evidence(
                tuple(events),
                f"{n} of these accounts {PAST.get(verb, verb)} {obj} between "
                f"{t0:%Y-%m-%d %H:%M} and "
                f"{t1:%H:%M}" + ("" if t1.date() == t0.date() else f" on {t1:%Y-%m-%d}") + " UTC",
            )
            for verb, obj, events, n, t0, t1, _ in rows
        ]
        window = (min(r[4] for r in rows), max(r[5] for r in rows)) if rows else (None, None)
        return evidence, window, max((float(r[6]) for r in rows), default=0.0)

    def _density(self, actors: list[str], objects: list[str]) -> float:
        """How much denser the accounts x targets block is than the whole layer graph."""
        (pairs,) = self.ws.sql(
            "SELECT count(DISTINCT (actor, object)) FROM _ls_acts "
            "WHERE actor IN (SELECT unnest(?)) AND object IN (SELECT unnest(?))",
            [actors, objects],
        )[0]
        return float(pairs) / max(len(actors) * len(objects), 1) / max(self.fill, 1e-12)

    def _verb_phrase(self, columns: dict[int, tuple[float, float]]) -> str:
        return " or ".join(sorted({PAST.get(self.b.verb[c], self.b.verb[c]) for c in columns}))

    def _noun(self, columns: dict[int, tuple[float, float]]) -> str:
        nouns = {NOUNS.get(self.b.verb[c], "accounts") for c in columns}
        return nouns.pop() if len(nouns) == 1 else "targets"

    def _targets(self, columns: dict[int, tuple[float, float]]) -> list[str]:
        """The accounts acted on (objects of the layers whose objects are accounts)."""
        return sorted({self.b.object[c] for c in columns if self.b.verb[c] in TARGET_VERBS})

    def copycatch(self, g: Group) -> Finding:
        actors = [self.b.actors[i] for i in g.actors]
        objects = sorted({self.b.object[c] for c in g.columns})
        evidence, window, longest = self._events(actors, g.columns)
        ratio = self._density(actors, objects)
        summary = (
            f"{len(actors)} accounts each {self._verb_phrase(g.columns)} at least "
            f"{self.d.min_targets} (median {np.median(g.hits):.0f}) of the same "
            f"{len(objects)} {self._noun(g.columns)}, each within {duration(longest)}; "
            f"{g.observed} of them hit {g.threshold} or more where chance predicts "
            f"{g.expected:.2g}, and the block is {ratio:,.0f} times denser than the "
            f"{self.verbs} graph"
        )
        return Finding(
            detector=self.d.name,
            kind="lockstep:copycatch",
            accounts=sorted(actors),
            targets=self._targets(g.columns),
            window=window,
            score=float(1.0 - g.p),
            significance=g.p,
            evidence=evidence,
            summary=summary,
        )

    def fraudar(self, block: Block) -> Finding:
        b = self.b
        actors = [b.actors[i] for i in block.actors]
        columns = {}
        for c in block.bursts:
            times = b.member_t[b.member_burst == c]
            columns[int(c)] = (float(times.min()), float(times.max()))
        evidence, window, _ = self._events(actors, columns)
        objects = sorted({b.object[c] for c in block.bursts})
        summary = (
            f"{len(actors)} accounts and the {len(objects)} {self._noun(columns)} they "
            f"{self._verb_phrase(columns)} in bursts form a block "
            f"{self._density(actors, objects):,.0f} times denser than the {self.verbs} graph, "
            f"its weighted density {block.density:.2f} against {block.null_mean:.2f} "
            f"(z = {block.z:.1f}) for the densest block of {self.d.null_samples} random "
            f"graphs with the same degrees"
        )
        return Finding(
            detector=self.d.name,
            kind="lockstep:fraudar",
            accounts=sorted(actors),
            targets=self._targets(columns),
            window=window,
            score=1.0 - block.p,
            significance=block.p,
            evidence=evidence,
            summary=summary,
        )
