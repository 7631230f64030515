"""Follow swarms: many accounts following one account at once, and the cohort behind them
anomalous against the platform's other followers (see docs/followswarm.md).

Where the cohort comes from depends on what the data hold:

* **recorded follow times**: per followee, a window of ``burst_window`` seconds slides over
  the arrivals; the followee's own rate in the ``reference_days`` either side (outside the
  window) predicts the count under a Poisson model; windows beyond chance (Bonferroni over
  every window start of every followee) merge into bursts, and the burst's followers are
  the cohort;
* **follow order only** (``rank``): blocks in the follower map (:mod:`separ.followmap`,
  Meeder's follow-time bound and a creation-date concentration test); the followers in a
  block's span are the cohort.

A burst is not evidence by itself: a viral post brings hundreds of real followers in
minutes. Each cohort is compared with other accounts trait by trait, and only traits that
are anomalous *for the cohort* count (principle 2): significant (binomial, Bonferroni over
what was tried), ``min_lift`` times more common than among the others, and covering
``min_share`` of the cohort:

* **created together**: the densest windows of ``creation_days`` in the members' creation
  dates, against the other accounts that followed anyone in the same weeks (so new people
  who follow soon after joining, and old accounts still active, are part of the null);
* **shared profile images**: members with the same picture (the same hash, or pHashes
  within ``avatar_bits``), against how many other accounts use it;
* **other targets**: members also in an anomalous cohort on another account (the
  cross-target lockstep itself is the ``lockstep`` detector's job; here it is a trait);
* **a handle pattern** (a letters/digits template such as ``Aa99999999``), against its
  share among other followers: reported, but it never selects a member on its own, since
  pseudonymous handles are self-protection (principle 3).

Members carrying an anomalous trait are the finding's accounts. Empty profiles (no posts and
no picture) and the age at follow are reported for the cohort against the baseline but never
select a member: they describe many real people.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import ClassVar

import igraph as ig
import numpy as np
import pyarrow as pa
from scipy.stats import binom, poisson

from separ.detectors.base import Detector, Evidence, Finding, Interval, Options, register
from separ.followmap import AgeReference, map_blocks, prepare_follows
from separ.wording import DAY, account_name, dates, day, duration, percent, utc
from separ.workspace import Workspace

TEMPLATE_SQL = """regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    regexp_replace(ltrim({col}, '@'), '[0-9]', '9', 'g'), '[A-Z]', 'A', 'g'), '[a-z]', 'a', 'g'),
    'A+', 'A', 'g'), 'a+', 'a', 'g'), '[^Aa9_]', '?', 'g')"""
"""A handle's shape: runs of letters collapse to ``A``/``a``, digits stay one ``9`` each."""

MAX_WINDOWS = 8
"""Most creation-date windows reported per cohort."""

MIN_REFERENCE = 100
"""Fewest other accounts following around a cohort's time for a time-local reference."""


@dataclass
class Cohort:
    """Followers of one account who arrived together (a burst) or in one map block."""

    cid: int
    followee: str
    kind: str  # "burst" or "block"
    start: float  # epoch seconds (estimated from follow order for blocks)
    end: float
    p: float  # the burst's or block's Bonferroni-corrected p-value
    detail: str  # how it was found, for the finding's evidence
    size: int = 0
    first_pos: int = -1  # blocks: the span in follow order
    last_pos: int = -1


@dataclass
class Trait:
    """One anomalous trait of a cohort: which members carry it and how rare it is."""

    name: str  # "created", "avatar", "handle", "targets"
    members: list[str]
    share: float  # among the cohort
    base: float  # among other followers
    p: float
    what: str
    events: list[str] = field(default_factory=list)  # event ids beyond the members' follows
    reference: str = "other followers"  # whom ``base`` describes


@register
class FollowSwarm(Detector):
    name = "follow_swarm"
    version = "1"
    description = (
        "Bursts of followers on one account (or blocks in its follower map) whose cohort "
        "was created together, shares pictures or follows the same other targets."
    )
    constraints: ClassVar[dict[str, Interval | Options]] = {
        "burst_window": Interval(60, 7 * 86400),
        "reference_days": Interval(1, 365),
        "burst_alpha": Interval(1e-12, 0.5),
        "min_burst": Interval(3, None, integer=True),
        "min_followers": Interval(3, None, integer=True),
        "creation_days": Interval(0.01, 365),
        "trait_alpha": Interval(1e-12, 0.5),
        "min_trait": Interval(2, None, integer=True),
        "min_lift": Interval(1, None),
        "min_share": Interval(0, 1),
        "avatar_bits": Interval(0, 32, integer=True),
        "map_window": Interval(3, None, integer=True),
        "map_alpha": Interval(1e-12, 0.5),
        "min_block": Interval(3, None, integer=True),
        "min_accounts": Interval(2, None, integer=True),
    }
    docs: ClassVar[dict[str, str]] = {
        "burst_window": "seconds of the sliding window in which a followee's new followers "
        "are counted",
        "reference_days": "days either side of a window whose arrivals (outside the window) "
        "give the followee's own baseline rate",
        "burst_alpha": "chance of one false burst anywhere (Bonferroni over every window "
        "start of every followee)",
        "min_burst": "fewest new followers in a window for a burst",
        "min_followers": "followees with fewer followers are not examined; also the smallest "
        "follower list whose estimated follow times enter the age-at-follow baseline",
        "creation_days": "width in days of a creation-date cluster (accounts made together)",
        "trait_alpha": "significance a cohort trait needs against other followers "
        "(Bonferroni over the windows, pictures or handle patterns tried)",
        "min_trait": "fewest members in a creation-date window or handle pattern for it to "
        "count (a shared picture needs two)",
        "min_lift": "a trait counts only if its share in the cohort is at least this many "
        "times its share among other followers",
        "min_share": "a kind of trait (creation windows, shared pictures, other targets, "
        "handle pattern) counts only if it covers at least this share of the cohort",
        "avatar_bits": "pHash bits within which a profile image counts as a copy of a "
        "picture two members share (0: exact hashes only)",
        "map_window": "follow-order only: followers either side of each follower in which "
        "creation dates are compared",
        "map_alpha": "follow-order only: chance of one false concentrated follower "
        "(Bonferroni over all followers tested)",
        "min_block": "follow-order only: fewest followers created close together in one "
        "neighbourhood",
        "min_accounts": "fewest anomalous accounts for a finding",
    }

    def __init__(
        self,
        *,
        burst_window: float = 14400.0,
        reference_days: float = 14.0,
        burst_alpha: float = 1e-4,
        min_burst: int = 10,
        min_followers: int = 20,
        creation_days: float = 4.0,
        trait_alpha: float = 1e-3,
        min_trait: int = 5,
        min_lift: float = 3.0,
        min_share: float = 0.1,
        avatar_bits: int = 8,
        map_window: int = 25,
        map_alpha: float = 1e-3,
        min_block: int = 8,
        min_accounts: int = 5,
    ) -> None:
        self.burst_window = burst_window
        self.reference_days = reference_days
        self.burst_alpha = burst_alpha
        self.min_burst = min_burst
        self.min_followers = min_followers
        self.creation_days = creation_days
        self.trait_alpha = trait_alpha
        self.min_trait = min_trait
        self.min_lift = min_lift
        self.min_share = min_share
        self.avatar_bits = avatar_bits
        self.map_window = map_window
        self.map_alpha = map_alpha
        self.min_block = min_block
        self.min_accounts = min_accounts

    # -- the pipeline ------------------------------------------------------------------------
    def cohorts(self, ws: Workspace) -> list[Cohort]:
        """Every burst and block, anomalous or not (a viral wave is one too), with its size."""
        return self._cohorts(ws)[0]

    def _cohorts(self, ws: Workspace) -> tuple[list[Cohort], AgeReference]:
        """Cohorts, stored in ``_fs_cohort``, and the age-at-follow reference."""
        prepare_follows(ws)
        ages = AgeReference(ws, self.min_followers)
        cohorts = self._bursts(ws) + self._blocks(ws, ages)
        _store_cohorts(ws, cohorts)
        return cohorts, ages

    def run(self, ws: Workspace) -> list[Finding]:
        cohorts, ages = self._cohorts(ws)
        if not cohorts:
            return []
        _profiles(ws)
        size = {c.cid: c.size for c in cohorts}
        traits: dict[int, list[Trait]] = defaultdict(list)
        for cid, trait in self._created(ws, cohorts) + self._avatars(ws):
            traits[cid].append(trait)
        traits = self._cohort_wide(traits, size)
        core = {cid for cid, ts in traits.items() if ts}
        for cid, trait in self._handles(ws, core):
            traits[cid].append(trait)
        _flag(ws, core)
        for cid, trait in self._targets(ws):
            traits[cid].append(trait)
        traits = self._cohort_wide(traits, size)
        findings = []
        for c in cohorts:
            found = traits.get(c.cid, [])
            # a handle pattern describes the cohort but never selects a member on its own
            accounts = sorted({a for t in found if t.name != "handle" for a in t.members})
            if len(accounts) < self.min_accounts:
                continue
            for t in found:
                if t.name == "handle":
                    t.members = sorted(set(t.members) & set(accounts))
            found = [t for t in found if t.members]
            findings.append(_finding(ws, c, found, accounts, ages))
        return findings

    def _cohort_wide(
        self, traits: dict[int, list[Trait]], size: dict[int, int]
    ) -> dict[int, list[Trait]]:
        """Keep a kind of trait only where it covers ``min_share`` of the cohort: a handful
        of accounts in a crowd of thousands is chance, not a trait of the cohort."""
        out: dict[int, list[Trait]] = defaultdict(list)
        for cid, found in traits.items():
            for name in ORDER:
                these = [t for t in found if t.name == name]
                members = {m for t in these for m in t.members}
                if these and len(members) >= self.min_share * max(size[cid], 1):
                    out[cid] += these
        return out

    # -- cohorts -----------------------------------------------------------------------------
    def _bursts(self, ws: Workspace) -> list[Cohort]:
        """Windows with more new followers than the followee's own rate predicts, merged."""
        w, r = float(self.burst_window), float(self.reference_days) * DAY
        ws.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _fs_win AS
            SELECT followee, ts,
                   count(*) OVER (PARTITION BY followee ORDER BY ts
                                  RANGE BETWEEN CURRENT ROW AND {w} FOLLOWING) AS k,
                   count(*) OVER (PARTITION BY followee ORDER BY ts
                                  RANGE BETWEEN {r} PRECEDING AND {r} FOLLOWING) AS ref
            FROM _fm_follow WHERE timed AND ts IS NOT NULL AND n >= ?""",
            [self.min_followers],
        )
        tests = ws.count("_fs_win")
        span = ws.sql("SELECT min(ts), max(ts) FROM _fm_follow WHERE ts IS NOT NULL")[0]
        if not tests or span[0] is None:
            return []
        rows = ws.con.execute(
            "SELECT followee, ts, k, ref FROM _fs_win WHERE k >= ? ORDER BY followee, ts",
            [self.min_burst],
        ).fetchnumpy()
        if not len(rows["ts"]):
            return []
        ts = rows["ts"].astype(float)
        k = rows["k"].astype(float)
        # the reference period, clipped to the data, less the window itself
        length = np.minimum(ts + r, span[1]) - np.maximum(ts - r, span[0]) - w
        mu = (rows["ref"] - k + 1.0) * w / np.maximum(length, w)
        p = poisson.sf(k - 1, mu) * tests
        keep = p <= self.burst_alpha
        if not keep.any():
            return []
        ws.con.register(
            "_fs_sig",
            pa.table(
                {
                    "followee": pa.array(rows["followee"][keep].tolist(), pa.string()),
                    "ts": pa.array(ts[keep], pa.float64()),
                    "k": pa.array(k[keep], pa.float64()),
                    "mu": pa.array(mu[keep], pa.float64()),
                    "p": pa.array(p[keep], pa.float64()),
                }
            ),
        )
        islands = ws.sql(
            f"""WITH s AS (
                SELECT *, CASE WHEN ts <= max(ts) OVER (PARTITION BY followee ORDER BY ts
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) + {w}
                    THEN 0 ELSE 1 END AS new
                FROM _fs_sig),
            g AS (SELECT *, sum(new) OVER (PARTITION BY followee ORDER BY ts) AS island FROM s)
            SELECT followee, min(ts), max(ts) + {w}, min(p), arg_min(k, p), arg_min(mu, p)
            FROM g GROUP BY followee, island ORDER BY followee, min(ts)"""
        )
        ws.con.unregister("_fs_sig")
        return [
            Cohort(
                cid=0,
                followee=followee,
                kind="burst",
                start=float(start),
                end=float(end),
                p=float(min(p, 1.0)),
                detail=f"{k:.0f} new followers in {duration(w)} where its own rate predicts "
                f"{mu:.2g}",
            )
            for followee, start, end, p, k, mu in islands
        ]

    def _blocks(self, ws: Workspace, ages: AgeReference) -> list[Cohort]:
        """Blocks in the follower maps of followees known only by follow order."""
        blocks = map_blocks(
            ws,
            ages,
            window=self.map_window,
            creation_days=self.creation_days,
            alpha=self.map_alpha,
            min_block=self.min_block,
            min_followers=self.min_followers,
        )
        out = []
        for b in blocks:
            est = ws.sql(
                "SELECT min(est), max(est) FROM _fm_follow WHERE followee = ? "
                "AND pos BETWEEN ? AND ?",
                [b.followee, b.first_pos, b.last_pos],
            )[0]
            out.append(
                Cohort(
                    cid=0,
                    followee=b.followee,
                    kind="block",
                    start=float(est[0] if est[0] is not None else 0.0),
                    end=float(est[1] if est[1] is not None else 0.0),
                    p=b.p,
                    detail=f"{b.last_pos - b.first_pos + 1} consecutive followers "
                    f"(follow order {b.first_pos}-{b.last_pos}) of which {b.core} have "
                    "creation dates concentrated beyond chance",
                    size=b.last_pos - b.first_pos + 1,
                    first_pos=b.first_pos,
                    last_pos=b.last_pos,
                )
            )
        return out

    # -- traits ------------------------------------------------------------------------------
    def _created(self, ws: Workspace, cohorts: list[Cohort]) -> list[tuple[int, Trait]]:
        """Creation-date windows denser in the cohort than among the other accounts that
        followed anyone around the same time (``reference_days`` either side of the
        cohort's last follow), so new people who follow soon after joining, and old
        accounts still active, are part of the null."""
        r = float(self.reference_days) * DAY
        ws.con.execute(
            """CREATE OR REPLACE TEMP TABLE _fs_ref AS
            WITH c AS (SELECT cid, max(t) AS t FROM _fs_member GROUP BY cid),
            a AS (
                SELECT DISTINCT c.cid, f.follower, f.born
                FROM c JOIN _fm_follow f ON f.est BETWEEN c.t - ? AND c.t + ?
                WHERE f.born IS NOT NULL AND (f.timed OR f.n >= ?))
            SELECT a.cid, floor(a.born / 86400)::BIGINT AS day, count(*) AS n
            FROM a ANTI JOIN _fs_member m ON m.cid = a.cid AND m.follower = a.follower
            GROUP BY a.cid, day""",
            [r, r, self.min_followers],
        )
        ref = ws.con.execute("SELECT cid, day, n FROM _fs_ref ORDER BY cid, day").fetchnumpy()
        # where too few accounts followed anyone around that time (follow times estimated
        # from order can be years early), every other follower is the reference
        everyone = ws.con.execute(
            """SELECT floor(born / 86400)::BIGINT AS day, count(DISTINCT follower) AS n
            FROM _fm_follow WHERE born IS NOT NULL GROUP BY day ORDER BY day"""
        ).fetchnumpy()
        rows = ws.con.execute(
            "SELECT cid, follower, born FROM _fs_member WHERE born IS NOT NULL "
            "ORDER BY cid, born, follower"
        ).fetchnumpy()
        cids = rows["cid"].astype(np.int64)
        ref_cids = ref["cid"].astype(np.int64)
        out: list[tuple[int, Trait]] = []
        width = self.creation_days * DAY
        for c in cohorts:
            lo, hi = np.searchsorted(cids, [c.cid, c.cid + 1])
            if hi - lo < self.min_trait:
                continue
            a, b = np.searchsorted(ref_cids, [c.cid, c.cid + 1])
            days, counts = ref["day"][a:b].astype(np.int64), ref["n"][a:b].astype(float)
            reference = "other accounts that followed anyone in the same weeks"
            if counts.sum() < MIN_REFERENCE:
                reference = "other followers"
                days, counts = _without(
                    everyone["day"].astype(np.int64),
                    everyone["n"].astype(float),
                    np.floor(rows["born"][lo:hi].astype(float) / DAY).astype(np.int64),
                )
            cum = np.concatenate([[0.0], np.cumsum(counts)])
            born = rows["born"][lo:hi].astype(float)
            names = rows["follower"][lo:hi]
            n = hi - lo
            free = np.ones(n, dtype=bool)
            for _ in range(MAX_WINDOWS):
                idx = np.flatnonzero(free)
                if len(idx) < self.min_trait:
                    break
                x = born[idx]
                j = np.searchsorted(x, x + width, side="right")
                k = j - np.arange(len(x))
                # reference follows by accounts created on the window's days (whole days)
                first = np.searchsorted(days, np.floor(x / DAY), side="left")
                last = np.searchsorted(days, np.floor((x + width) / DAY), side="right")
                q = _base_array(cum[last] - cum[first], cum[-1])
                p = binom.sf(k - 1, n, q) * n
                ok = (k >= self.min_trait) & (p <= self.trait_alpha) & (k / n >= self.min_lift * q)
                if not ok.any():
                    break
                cand = np.flatnonzero(ok)
                best = int(cand[np.lexsort((-k[cand], p[cand]))[0]])
                chosen = idx[best : j[best]]
                free[chosen] = False
                out.append(
                    (
                        c.cid,
                        Trait(
                            name="created",
                            members=sorted(names[chosen].tolist()),
                            share=len(chosen) / n,
                            base=float(q[best]),
                            p=float(min(p[best], 1.0)),
                            what=f"created {dates(utc(x[best]), utc(x[j[best] - 1]), times=True)}",
                            reference=reference,
                        ),
                    )
                )
        return out

    def _avatars(self, ws: Workspace) -> list[tuple[int, Trait]]:
        """Pictures two or more members share, rarer among other accounts than in the cohort.

        A picture is a group of hashes: the same hash, or pHashes within ``avatar_bits`` of
        each other (single linkage). Near pairs come from an equi-join on ``avatar_bits + 1``
        bit chunks (two hashes that close agree on at least one chunk), so no cohort or the
        baseline is ever compared pair by pair.
        """
        bits = int(self.avatar_bits)
        chunks = _chunks(bits)
        ws.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _fs_av AS
            SELECT cid, hash, any_value(h64) AS h64, list(follower ORDER BY follower) AS holders
            FROM _fs_member WHERE hash IS NOT NULL GROUP BY cid, hash;
            CREATE OR REPLACE TEMP TABLE _fs_avc AS
            SELECT cid, hash, h64, c.i, (h64 >> c.shift) & c.mask AS v
            FROM _fs_av, (VALUES {chunks}) AS c(i, shift, mask) WHERE h64 IS NOT NULL"""
        )
        nodes = ws.sql("SELECT cid, hash, holders FROM _fs_av ORDER BY cid, hash")
        near = ws.sql(
            f"""SELECT DISTINCT a.cid, a.hash, b.hash FROM _fs_avc a JOIN _fs_avc b
            ON a.cid = b.cid AND a.i = b.i AND a.v = b.v AND a.hash < b.hash
            WHERE bit_count(xor(a.h64, b.h64)) <= {bits}"""
        )
        index = {(c, h): i for i, (c, h, _) in enumerate(nodes)}
        graph = ig.Graph(n=len(nodes), edges=[(index[(c, a)], index[(c, b)]) for c, a, b in near])
        cids, hashes, groups = [], [], []
        for comp in graph.connected_components():
            if sum(len(nodes[i][2]) for i in comp) < 2:
                continue
            first = min(nodes[i][1] for i in comp)
            for i in comp:
                cids.append(nodes[i][0])
                hashes.append(nodes[i][1])
                groups.append(first)
        if not cids:
            return []
        ws.con.register(
            "_fs_groups",
            pa.table(
                {
                    "cid": pa.array(cids, pa.int64()),
                    "hash": pa.array(hashes, pa.string()),
                    "grp": pa.array(groups, pa.string()),
                }
            ),
        )
        rows = ws.sql(
            f"""WITH g AS (
                SELECT g.cid, g.grp, g.hash, a.h64, a.holders
                FROM _fs_groups g JOIN _fs_av a USING (cid, hash)),
            ph AS (SELECT hash, any_value(h64) AS h64, count(*) AS holders FROM _fs_profile
                   WHERE hash IS NOT NULL GROUP BY hash),
            phc AS (SELECT hash, c.i, (h64 >> c.shift) & c.mask AS v
                    FROM ph, (VALUES {chunks}) AS c(i, shift, mask) WHERE h64 IS NOT NULL),
            gc AS (SELECT cid, grp, h64, c.i, (h64 >> c.shift) & c.mask AS v
                   FROM g, (VALUES {chunks}) AS c(i, shift, mask) WHERE h64 IS NOT NULL),
            close AS (
                SELECT DISTINCT gc.cid, gc.grp, phc.hash FROM gc JOIN phc USING (i, v)
                JOIN ph ON ph.hash = phc.hash WHERE bit_count(xor(gc.h64, ph.h64)) <= {bits}
                UNION SELECT cid, grp, hash FROM g),
            base AS (SELECT close.cid, close.grp, sum(ph.holders) AS holders
                     FROM close JOIN ph USING (hash) GROUP BY close.cid, close.grp),
            members AS (SELECT cid, grp, list(DISTINCT m ORDER BY m) AS members,
                               count(DISTINCT hash) AS variants
                        FROM g, unnest(g.holders) AS u(m) GROUP BY cid, grp),
            tried AS (SELECT cid, count(*) AS tried FROM members GROUP BY cid),
            size AS (SELECT cid, count(*) AS size FROM _fs_member GROUP BY cid)
            SELECT members.cid, members.grp, members.members, members.variants, base.holders,
                   size.size, tried.tried
            FROM members JOIN base USING (cid, grp) JOIN size USING (cid) JOIN tried USING (cid)
            ORDER BY members.cid, members.grp"""
        )
        ws.con.unregister("_fs_groups")
        population = ws.count("_fs_profile")
        out = []
        for cid, _grp, members, variants, holders, size, tried in rows:
            what = f"one profile image ({variants} variant{'s' if variants > 1 else ''})"
            trait = self._rare_trait(
                "avatar", list(members), holders, population, size, tried, what
            )
            if trait:
                trait.events = [f"a:{m}" for m in members]
                trait.reference = "other accounts"
                out.append((cid, trait))
        return out

    def _rare_trait(
        self,
        name: str,
        members: list[str],
        holders: int,
        population: int,
        size: int,
        tried: int,
        what: str,
    ) -> Trait | None:
        """The trait ``members`` share, if it is far commoner in the cohort of ``size`` than
        among the other ``population - size`` accounts (``holders`` carry it in all):
        binomial tail, Bonferroni over the ``tried`` variants, and ``min_lift``."""
        k = len(members)
        q = _base(holders - k, population - size)
        p = float(binom.sf(k - 1, size, q)) * tried
        if p > self.trait_alpha or k / size < self.min_lift * q:
            return None
        return Trait(name=name, members=members, share=k / size, base=q, p=min(p, 1.0), what=what)

    def _handles(self, ws: Workspace, cohorts: set[int]) -> list[tuple[int, Trait]]:
        """Handle shapes over-represented in a cohort already anomalous on another trait."""
        if not cohorts:
            return []
        rows = ws.sql(
            """WITH c AS (SELECT cid, tmpl, list(follower ORDER BY follower) AS members
                          FROM _fs_member WHERE tmpl IS NOT NULL GROUP BY cid, tmpl),
            n AS (SELECT cid, count(*) AS n, count(DISTINCT tmpl) AS tried FROM _fs_member
                  WHERE tmpl IS NOT NULL GROUP BY cid),
            b AS (SELECT tmpl, count(*) AS total FROM _fs_profile WHERE tmpl IS NOT NULL
                  GROUP BY tmpl)
            SELECT c.cid, c.tmpl, c.members, b.total, n.n, n.tried,
                   (SELECT count(*) FROM _fs_profile WHERE tmpl IS NOT NULL) AS population
            FROM c JOIN b USING (tmpl) JOIN n USING (cid)
            WHERE len(c.members) >= ? AND c.cid IN (SELECT unnest(?))
            ORDER BY c.cid, c.tmpl""",
            [self.min_trait, sorted(cohorts)],
        )
        out = []
        for cid, tmpl, members, total, n, tried, population in rows:
            what = f"handles shaped {tmpl}"
            trait = self._rare_trait("handle", list(members), total, population, n, tried, what)
            if trait:
                out.append((cid, trait))
        return out

    def _targets(self, ws: Workspace) -> list[tuple[int, Trait]]:
        """Members also in an anomalous cohort on another account (table ``_fs_flag``)."""
        rows = ws.sql(
            """WITH size AS (SELECT cid, any_value(followee) AS followee, count(*) AS n
                          FROM _fs_member GROUP BY cid),
            o AS (SELECT s.cid, f.follower, list(DISTINCT f.followee) AS followees,
                         m.follower IS NOT NULL AS member
                  FROM size s JOIN _fs_flag f ON f.followee <> s.followee
                  LEFT JOIN _fs_member m ON m.cid = s.cid AND m.follower = f.follower
                  GROUP BY s.cid, f.follower, m.follower),
            g AS (SELECT cid, list(DISTINCT g ORDER BY g) AS others
                  FROM o, unnest(o.followees) AS u(g) WHERE member GROUP BY cid),
            k AS (SELECT cid, list(follower ORDER BY follower) FILTER (WHERE member) AS members,
                         count(*) FILTER (WHERE NOT member) AS holders
                  FROM o GROUP BY cid)
            SELECT k.cid, k.members, g.others, k.holders, size.n
            FROM k JOIN g USING (cid) JOIN size USING (cid) ORDER BY k.cid"""
        )
        population = ws.count("_fs_profile")
        out = []
        for cid, members, others, holders, n in rows:
            members = sorted(set(members or []))
            k = len(members)
            q = _base(holders, population - n)
            p = float(binom.sf(k - 1, n, q))
            if k >= self.min_trait and p <= self.trait_alpha and k / n >= self.min_lift * q:
                events = ws.sql(
                    "SELECT DISTINCT 'f:' || follower || '>' || followee FROM _fs_flag "
                    "WHERE follower IN (SELECT unnest(?)) AND followee IN (SELECT unnest(?)) "
                    "ORDER BY 1",
                    [members, others],
                )
                out.append(
                    (
                        cid,
                        Trait(
                            name="targets",
                            members=members,
                            share=k / n,
                            base=q,
                            p=min(p, 1.0),
                            what=f"also in swarms on {len(others)} other account"
                            f"{'s' if len(others) > 1 else ''}",
                            events=[e for (e,) in events],
                        ),
                    )
                )
        return out


# -- tables ------------------------------------------------------------------------------------


def _base(count: int, population: int) -> float:
    """A baseline share with half a pseudo-count (Jeffreys), so that a trait nobody else
    shows is rare, not impossible."""
    return (max(count, 0) + 0.5) / (max(population, 0) + 1.0)


def _base_array(count: np.ndarray, population: float) -> np.ndarray:
    """:func:`_base` over an array of counts."""
    out: np.ndarray = (np.maximum(count, 0) + 0.5) / (max(population, 0) + 1.0)
    return out


def _without(
    days: np.ndarray, counts: np.ndarray, remove: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A per-day histogram less one account per day in ``remove`` (the cohort's own)."""
    out = counts.copy()
    at = np.searchsorted(days, remove)
    np.subtract.at(out, np.minimum(at, len(out) - 1), 1.0)
    return days, np.maximum(out, 0.0)


def _chunks(bits: int) -> str:
    """SQL VALUES rows ``(i, shift, mask)`` cutting 64 bits into ``bits + 1`` chunks."""
    n = bits + 1
    width = 64 // n
    rows = []
    for i in range(n):
        size = 64 - i * width if i == n - 1 else width
        rows.append(f"({i}, {i * width}, {(1 << size) - 1}::UBIGINT)")
    return ", ".join(rows)


def _store_cohorts(ws: Workspace, cohorts: list[Cohort]) -> None:
    """Number the cohorts deterministically; ``_fs_cohort(cid, followee, follower, t)``."""
    cohorts.sort(key=lambda c: (c.followee, c.start, c.kind))
    for i, c in enumerate(cohorts):
        c.cid = i
    ws.con.register(
        "_fs_spans",
        pa.table(
            {
                "cid": pa.array([c.cid for c in cohorts], pa.int64()),
                "followee": pa.array([c.followee for c in cohorts], pa.string()),
                "kind": pa.array([c.kind for c in cohorts], pa.string()),
                "start": pa.array([c.start for c in cohorts], pa.float64()),
                "end": pa.array([c.end for c in cohorts], pa.float64()),
                "first_pos": pa.array([c.first_pos for c in cohorts], pa.int64()),
                "last_pos": pa.array([c.last_pos for c in cohorts], pa.int64()),
            }
        ),
    )
    ws.con.execute(
        """CREATE OR REPLACE TEMP TABLE _fs_cohort AS
        SELECT s.cid, f.followee, f.follower, f.est AS t
        FROM _fs_spans s JOIN _fm_follow f ON f.followee = s.followee
        WHERE (s.kind = 'burst' AND f.ts BETWEEN s.start AND s."end")
           OR (s.kind = 'block' AND f.pos BETWEEN s.first_pos AND s.last_pos)"""
    )
    ws.con.unregister("_fs_spans")
    sizes = dict(ws.sql("SELECT cid, count(*) FROM _fs_cohort GROUP BY cid"))
    for c in cohorts:
        c.size = int(sizes.get(c.cid, 0))


def _profiles(ws: Workspace) -> None:
    """``_fs_profile``: every account that follows someone (the baseline), with the traits
    compared; ``_fs_member``: the same for each cohort member."""
    ws.con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _fs_profile AS
        WITH fl AS (SELECT DISTINCT follower_id AS account FROM follows),
        po AS (SELECT account_id, count(*) AS n FROM posts GROUP BY account_id),
        p AS (
            SELECT fl.account, epoch(a.created_at) AS born, a.handle,
                   CASE WHEN NOT coalesce(a.default_avatar, false)
                        THEN lower(a.avatar_hash) END AS hash,
                   (coalesce(a.posts_count, 0) = 0 AND po.n IS NULL
                    AND (coalesce(a.default_avatar, false) OR a.avatar_hash IS NULL)) AS empty
            FROM fl LEFT JOIN accounts a ON a.account_id = fl.account
            LEFT JOIN po ON po.account_id = fl.account)
        SELECT account, born, {TEMPLATE_SQL.format(col="handle")} AS tmpl, hash,
               CASE WHEN starts_with(hash, 'phash:') AND length(hash) = 22
                    THEN TRY_CAST('0x' || substr(hash, 7) AS UBIGINT) END AS h64,
               empty
        FROM p"""
    )
    ws.con.execute(
        """CREATE OR REPLACE TEMP TABLE _fs_member AS
        SELECT c.cid, c.followee, c.follower, c.t, p.born, p.tmpl, p.hash, p.h64, p.empty
        FROM _fs_cohort c JOIN _fs_profile p ON p.account = c.follower"""
    )


def _flag(ws: Workspace, cohorts: set[int]) -> None:
    """``_fs_flag(cid, followee, follower)``: every member of the cohorts anomalous after the
    first pass (the swarms whose other targets the second pass looks for)."""
    ws.con.execute(
        "CREATE OR REPLACE TEMP TABLE _fs_flag AS SELECT cid, followee, follower "
        "FROM _fs_member WHERE cid IN (SELECT unnest(?))",
        [sorted(cohorts)],
    )


# -- findings ----------------------------------------------------------------------------------


def _finding(
    ws: Workspace, c: Cohort, traits: list[Trait], accounts: list[str], ages: AgeReference
) -> Finding:
    """The finding of one anomalous cohort: its anomalous members, each trait as evidence."""
    times = [
        float(t)
        for (t,) in ws.sql(
            "SELECT t FROM _fs_member WHERE cid = ? AND follower IN (SELECT unnest(?)) "
            "AND t IS NOT NULL",
            [c.cid, accounts],
        )
    ]
    first, last = (min(times), max(times)) if times else (c.start, c.end)
    who = account_name(ws, c.followee)
    when = (
        f"within {duration(last - first)} on {day(utc(first))}"
        if c.kind == "burst"
        else f"in one run of {c.size} consecutive followers from about {day(utc(first))} "
        "(follow times estimated from follow order)"
    )
    evidence = [
        Evidence(
            tuple(f"f:{a}>{c.followee}" for a in accounts),
            f"{len(accounts)} accounts followed {who} {when}: {c.detail}",
        )
    ]
    for t in sorted(traits, key=lambda t: (ORDER[t.name], -len(t.members), t.what)):
        ids = tuple(t.events) if t.events else tuple(f"f:{a}>{c.followee}" for a in t.members)
        what = EVIDENCE[t.name].format(
            k=len(t.members),
            what=t.what,
            share=percent(t.share),
            base=percent(t.base),
            ref=t.reference,
        )
        evidence.append(Evidence(ids, what))
    clauses = [
        _clause(name, [t for t in traits if t.name == name], len(accounts)) for name in ORDER
    ]
    summary = (
        f"{len(accounts)} accounts followed {who} {when}: "
        + _join([c for c in clauses if c])
        + _profile_clause(ws, c, ages)
    )
    p = min(1.0, min(t.p for t in traits) * len(traits))
    return Finding(
        detector=FollowSwarm.name,
        kind="follow_swarm",
        accounts=accounts,
        targets=[c.followee],
        summary=summary,
        evidence=evidence,
        score=float(1.0 - p),
        window=(utc(first), utc(last)),
        significance=p,
    )


ORDER = {"created": 0, "avatar": 1, "targets": 2, "handle": 3}
EVIDENCE = {
    "created": "{k} of them were {what} ({share} of the new followers; {base} of {ref})",
    "avatar": "{k} of them use {what} ({share} of the new followers; {base} of {ref})",
    "targets": "{k} of them were {what} ({share} of the new followers; {base} of {ref})",
    "handle": "{k} of them have {what} ({share} of the new followers; {base} of {ref})",
}


def _clause(name: str, traits: list[Trait], total: int) -> str:
    """One summary clause for all traits of one kind, as a share of the flagged accounts."""
    if not traits:
        return ""
    share = percent(len({m for t in traits for m in t.members}) / max(total, 1))
    base = percent(sum(t.base for t in traits))
    if name == "created":
        spans = "; ".join(t.what.removeprefix("created ") for t in traits[:4])
        more = f"; {len(traits) - 4} more" if len(traits) > 4 else ""
        batches = f"in {len(traits)} batches ({spans}{more})" if len(traits) > 1 else spans
        return f"{share} were created {batches}, against {base} of {traits[0].reference}"
    if name == "avatar":
        k = len(traits)
        return f"{share} share {k} profile image{'s' if k > 1 else ''}"
    if name == "targets":
        return f"{share} were {traits[0].what}"
    return f"{share} have {traits[0].what} ({base} of other followers)"


def _profile_clause(ws: Workspace, c: Cohort, ages: AgeReference) -> str:
    """Cohort descriptors that never select anyone: age at follow and empty profiles."""
    empty, age = ws.sql(
        "SELECT avg(empty::INTEGER), median(t - born) / 86400 FROM _fs_member WHERE cid = ?",
        [c.cid],
    )[0]
    base_empty = ws.sql(
        "SELECT avg(empty::INTEGER) FROM _fs_profile ANTI JOIN "
        "(SELECT follower FROM _fs_member WHERE cid = ?) m ON m.follower = account",
        [c.cid],
    )[0][0]
    out = ""
    if age is not None and ages.total:
        out += (
            f"; median account age at follow {_age(float(age))} "
            f"(all follows: {_age(ages.median())})"
        )
    if empty is not None and base_empty is not None and empty > 2 * base_empty:
        out += (
            f"; {percent(empty)} of the {c.size} new followers have no posts and no picture "
            f"({percent(base_empty)} of other followers)"
        )
    return out


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _age(days: float) -> str:
    if days < 2:
        return f"{days * 24:.0f} h"
    if days < 730:
        return f"{days:.0f} days"
    return f"{days / 365.25:.1f} years"
