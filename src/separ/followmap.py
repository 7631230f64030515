"""The follower map (follow order x creation date), follow times estimated from order, and
anomalous blocks in the map.

Platforms and collectors often give an account's followers only *in order* (``follows.rank``,
0 = earliest) with each follower's creation date, not the time of each follow. Two things can
still be read from that:

* **Follow times** (Meeder et al. 2011, "We know who you followed last summer"): a follower
  cannot follow before it exists, so the follower at rank r followed no earlier than the
  newest creation date among the followers up to r (and no earlier than the followee's own
  creation). That running maximum is the estimated follow time, a lower bound that is tight
  where new accounts keep arriving.
* **Blocks** (after Zouzou & Varol 2024, "Unsupervised detection of coordinated fake-follower
  campaigns on social media"): accounts made in a batch and then used to follow together are
  a horizontal streak in the map: a run of consecutive followers created within a few days
  of each other. For each follower we count the followers within ``window`` ranks of it
  that were created within ``creation_days / 2`` of it, and compare the count with what the
  platform's *age-at-follow* distribution predicts (binomial, Bonferroni over followers).
  The age distribution is taken from every follow whose time is known or estimable, so the
  organic "crust" of brand-new accounts that follow soon after they are made is part of the
  null, not an anomaly. Significant followers less than ``window`` ranks apart form a block.

The per-follower counts are a band join in DuckDB (ranks bucketed by ``window``), so the work
is linear in the number of follows. Everything here is derived in temporary tables prefixed
``_fm_``; nothing in the workspace is changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from scipy.stats import binom

from separ.activity import build_activity
from separ.wording import DAY
from separ.workspace import Workspace

BORDER = 0.01
"""A follower whose neighbourhood is concentrated at this level (uncorrected) extends a block
that holds at least one significant follower (hysteresis, as in DBSCAN's border points)."""


def to_rank_only(ws: Workspace) -> None:
    """Drop follow times, keeping only each account's follower order, as follower-list
    collectors see it (to evaluate the order-only mode on data that has times)."""
    ws.con.execute(
        """UPDATE follows SET rank = o.r FROM (
            SELECT follower_id, followee_id, row_number() OVER (
                PARTITION BY followee_id ORDER BY created_at, follower_id) - 1 AS r
            FROM follows) o
        WHERE follows.follower_id = o.follower_id AND follows.followee_id = o.followee_id"""
    )
    ws.con.execute("UPDATE follows SET created_at = NULL")
    build_activity(ws)


@dataclass(frozen=True, slots=True)
class Block:
    """A run of consecutive followers of ``followee`` with concentrated creation dates."""

    followee: str
    first_pos: int  # position in follow order (0 = earliest), inclusive
    last_pos: int
    core: int  # followers whose neighbourhood is significantly concentrated
    p: float  # the smallest Bonferroni-corrected p-value among them


@dataclass(frozen=True, slots=True)
class MapPoint:
    """One follower in the follower map of an account."""

    position: int
    follower: str
    created_at: datetime | None
    follow_time: datetime | None
    estimated: bool  # True when follow_time is Meeder's lower bound, not a recorded time
    block: int | None  # index into the blocks of this followee, when in one


def prepare_follows(ws: Workspace) -> None:
    """Create ``_fm_follow``: every follow with its position and (estimated) follow time.

    Columns: ``follower, followee, ts`` (recorded follow time, epoch seconds, or NULL),
    ``born`` (the follower's creation, epoch seconds, or NULL), ``pos`` (0-based follow
    order per followee: by time where the followee has recorded times, else by ``rank``),
    ``est`` (``ts``, or Meeder's bound for followees without recorded times), ``n`` (the
    followee's follower count) and ``timed`` (the followee has recorded times).
    """
    ws.con.execute(
        """CREATE OR REPLACE TEMP TABLE _fm_follow AS
        WITH f AS (
            SELECT f.follower_id AS follower, f.followee_id AS followee,
                   epoch(f.created_at) AS ts, f.rank, epoch(a.created_at) AS born
            FROM follows f LEFT JOIN accounts a ON a.account_id = f.follower_id),
        g AS (SELECT followee, count(ts) > 0 AS timed, count(*) AS n FROM f GROUP BY followee),
        o AS (
            SELECT f.*, g.timed, g.n,
                   row_number() OVER (PARTITION BY f.followee ORDER BY
                       CASE WHEN g.timed THEN f.ts END NULLS LAST, f.rank NULLS LAST,
                       f.follower) - 1 AS pos
            FROM f JOIN g USING (followee))
        SELECT o.follower, o.followee, o.ts, o.born, o.pos, o.n, o.timed,
               CASE WHEN o.timed THEN o.ts ELSE greatest(
                   max(o.born) OVER (PARTITION BY o.followee ORDER BY o.pos
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
                   epoch(b.created_at)) END AS est
        FROM o LEFT JOIN accounts b ON b.account_id = o.followee"""
    )


class AgeReference:
    """The platform's distribution of account age at follow (days), from ``_fm_follow``.

    Recorded follow times count everywhere; estimated ones only from follower lists of at
    least ``min_list`` followers, where Meeder's bound is informative (in a list of three
    followers most follows would otherwise look like brand-new accounts).
    """

    def __init__(self, ws: Workspace, min_list: int) -> None:
        rows = ws.con.execute(
            """SELECT least(greatest(floor((est - born) / 86400), 0), 36500)::INTEGER AS d,
                      count(*) AS c
            FROM _fm_follow
            WHERE born IS NOT NULL AND est IS NOT NULL AND (timed OR n >= ?)
            GROUP BY d ORDER BY d""",
            [min_list],
        ).fetchnumpy()
        days = rows["d"].astype(np.int64)
        counts = rows["c"].astype(np.float64)
        size = int(days.max()) + 2 if len(days) else 2
        hist = np.zeros(size)
        hist[days] = counts
        self.total = float(hist.sum())
        self.cum = np.cumsum(hist) / max(self.total, 1.0)

    def median(self) -> float:
        """The median age at follow, in days."""
        return float(np.searchsorted(self.cum, 0.5)) if self.total else 0.0

    def share(self, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """Share of follows made at an account age in [low, high] days (whole days, widened)."""
        if self.total == 0:
            return np.ones(np.shape(low))
        last = len(self.cum) - 1
        hi = np.clip(np.floor(np.asarray(high, dtype=float)), -1, last).astype(np.int64)
        lo = np.clip(np.floor(np.asarray(low, dtype=float)) - 1, -1, last).astype(np.int64)
        upper = np.where(hi >= 0, self.cum[np.maximum(hi, 0)], 0.0)
        lower = np.where(lo >= 0, self.cum[np.maximum(lo, 0)], 0.0)
        out: np.ndarray = np.clip(upper - lower, 0.0, 1.0)
        return out


def map_blocks(
    ws: Workspace,
    ages: AgeReference,
    *,
    window: int,
    creation_days: float,
    alpha: float,
    min_block: int,
    min_followers: int,
    untimed_only: bool = True,
    only: str | None = None,
) -> list[Block]:
    """Blocks in the follower maps of followees with at least ``min_followers`` followers
    (only those without recorded follow times when ``untimed_only``; only the followee
    ``only`` when given). Needs ``_fm_follow``."""
    half = creation_days * DAY / 2
    ws.con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _fm_near AS
        WITH l AS (
            SELECT followee, follower, pos, born, est, n, pos // {int(window)} AS bucket
            FROM _fm_follow
            WHERE born IS NOT NULL AND n >= ? AND (NOT timed OR NOT ?)
              AND (followee = ? OR ? IS NULL))
        SELECT a.followee, a.pos, any_value(a.born) AS born, any_value(a.est) AS est,
               count(*) AS m,
               least(a.pos + {int(window)}, any_value(a.n) - 1)
                 - greatest(a.pos - {int(window)}, 0) + 1 AS band
        FROM l a JOIN (SELECT l.*, l.bucket + d.k AS near FROM l, (VALUES (-1), (0), (1)) AS d(k)) b
          ON b.followee = a.followee AND b.near = a.bucket
        WHERE abs(b.pos - a.pos) <= {int(window)} AND abs(b.born - a.born) <= {half}
        GROUP BY a.followee, a.pos""",
        [min_followers, untimed_only, only, only],
    )
    tested = ws.count("_fm_near")
    rows = ws.con.execute(
        "SELECT followee, pos, born, est, m, band FROM _fm_near WHERE m >= 3 ORDER BY followee, pos"
    ).fetchnumpy()
    if not len(rows["pos"]):
        return []
    age = (rows["est"].astype(float) - rows["born"].astype(float)) / DAY
    q = ages.share(age - creation_days / 2, age + creation_days / 2)
    # the follower itself is always in its own neighbourhood: count the others
    raw = binom.sf(rows["m"] - 2, np.maximum(rows["band"] - 1, 1), q)
    core = (raw * tested <= alpha) & (rows["m"] >= min_block)
    keep = core | (raw <= BORDER)
    return _runs(
        rows["followee"][keep].tolist(),
        rows["pos"][keep].astype(np.int64),
        core[keep],
        np.minimum(raw[keep] * tested, 1.0),
        window,
    )


def _runs(
    followees: list[str], pos: np.ndarray, core: np.ndarray, p: np.ndarray, gap: int
) -> list[Block]:
    """Blocks: runs of concentrated followers (core or border) of one followee at most
    ``gap`` positions apart that hold at least one core follower."""
    blocks: list[Block] = []
    start = 0
    for i in range(1, len(pos) + 1):
        if i == len(pos) or followees[i] != followees[start] or pos[i] - pos[i - 1] > gap:
            cores = core[start:i]
            if cores.any():
                blocks.append(
                    Block(
                        followee=followees[start],
                        first_pos=int(pos[start]),
                        last_pos=int(pos[i - 1]),
                        core=int(cores.sum()),
                        p=float(p[start:i][cores].min()),
                    )
                )
            start = i
    return blocks


def follower_map(
    ws: Workspace,
    followee: str,
    *,
    window: int = 25,
    creation_days: float = 4.0,
    alpha: float = 1e-3,
    min_block: int = 8,
    min_list: int = 20,
) -> tuple[list[MapPoint], list[Block]]:
    """The follower map of ``followee`` (for the dossier chart) and its blocks.

    Each point is one follower: its position in follow order, creation date and follow time
    (recorded, or estimated from order); ``block`` indexes the returned blocks.
    """
    prepare_follows(ws)
    ages = AgeReference(ws, min_list)
    blocks = map_blocks(
        ws,
        ages,
        window=window,
        creation_days=creation_days,
        alpha=alpha,
        min_block=min_block,
        min_followers=1,
        untimed_only=False,
        only=followee,
    )
    rows = ws.sql(
        "SELECT pos, follower, born, est, timed FROM _fm_follow WHERE followee = ? ORDER BY pos",
        [followee],
    )
    points = []
    for pos, follower, born, est, timed in rows:
        block = next((i for i, b in enumerate(blocks) if b.first_pos <= pos <= b.last_pos), None)
        points.append(
            MapPoint(
                position=int(pos),
                follower=follower,
                created_at=_time(born),
                follow_time=_time(est),
                estimated=not timed,
                block=block,
            )
        )
    return points, blocks


def _time(epoch: float | None) -> datetime | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(float(epoch), UTC).replace(tzinfo=None)
