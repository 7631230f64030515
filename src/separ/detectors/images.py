"""Reused images: cohorts of accounts created together that share near-identical profile
pictures or post media, and matches against an operator's hash list.

Sharing a picture is not suspicious by itself: many real people use the same protest
symbol as their avatar. What marks an operation is a *cohort*: accounts created within
days of each other that carry the same few pictures far more often than the image's
overall popularity and the number of accounts created in those days predict. The null
model (docs/images.md) keeps each account's creation time and permutes images among
accounts: the expected number of same-image pairs created within ``window`` of each other
in a stretch of time is the number of account pairs created that close in that stretch
times the chance that two accounts share the image.

Steps, per layer (``avatar``, ``media``): near-identical hashes are clustered
(:func:`separ.images.cluster_hashes`); each image's accounts are split where their
creation times are more than ``window`` apart (*units*); a unit is kept when its
same-image pairs exceed chance ``min_lift``-fold; kept units whose creation spans overlap
form a group, tested with a Poisson tail on the pooled pairs and Benjamini-Hochberg over
all units; a group of ``min_accounts`` or more with q <= ``alpha`` is a finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy.stats import false_discovery_control, poisson

from separ.detectors.base import Detector, Evidence, Finding, Interval, Options, register
from separ.errors import ParameterError
from separ.images import HashList, cluster_hashes, hamming, match_hash_list, read_hash_list
from separ.wording import count, dates, duration
from separ.workspace import Workspace

F64 = npt.NDArray[np.float64]
HASH_PATTERN = "(phash:)?[0-9a-f]{16}|(pdq:)?[0-9a-f]{64}"
"""Activity objects (lower-cased) that are image hashes; others are not images."""
IMAGE_VERBS = ("avatar", "media")
NOUNS = {"avatar": "profile images", "media": "post images"}


@dataclass(frozen=True, slots=True)
class Unit:
    """Accounts using one image cluster, created within ``window`` of the next one."""

    cluster: int
    accounts: tuple[str, ...]
    events: tuple[str, ...]
    hashes: tuple[str, ...]
    first: datetime
    last: datetime
    users: int  # accounts using the image in the whole layer
    pairs: int  # pairs of the unit created within the window of each other
    expected: float  # ... predicted by the null model in this stretch of time

    @property
    def lift(self) -> float:
        """How many times more same-image pairs than chance predicts here."""
        return self.pairs / max(self.expected, 1e-300)

    @property
    def anywhere(self) -> float:
        """The expectation corrected for looking everywhere: the image's ``users`` have
        ``users - 1`` gaps in time order, any of which could hold a coincidence."""
        return self.expected * max(self.users - 1, 1)


@register
class ReusedImages(Detector):
    name = "reused_images"
    version = "1"
    description = (
        "Accounts created together that share near-identical profile pictures or post "
        "images beyond chance, and matches against an operator's hash list."
    )
    constraints: ClassVar[dict[str, Interval | Options]] = {
        "phash_distance": Interval(0, 24, integer=True),
        "pdq_distance": Interval(0, 96, integer=True),
        "window": Interval(1, 365 * 86400),
        "min_lift": Interval(1, None),
        "alpha": Interval(1e-12, 0.5),
        "min_accounts": Interval(2, None, integer=True),
    }
    docs: ClassVar[dict[str, str]] = {
        "verbs": "activity layers to examine (comma-separated): avatar, media",
        "phash_distance": "most bits (of 64) two pHashes may differ by to count as the same "
        "image; measured on the simulator's perturbed copies, see docs/images.md",
        "pdq_distance": "most bits (of 256) two PDQ hashes may differ by (ThreatExchange's "
        "confident-match threshold is 31)",
        "window": "seconds: accounts created at most this far apart count as created together",
        "min_lift": "an image's accounts created together must share it this many times more "
        "often than chance (observed / expected same-image pairs) to count as a cohort",
        "alpha": "false-discovery rate for a cohort (Benjamini-Hochberg over all tested units)",
        "min_accounts": "fewest accounts in a cohort finding",
        "hash_list": "path to an operator hash list (pdq:HEX label / phash:HEX label lines, "
        "or a ThreatExchange export); matches become findings of kind hash_list; empty = none",
    }

    def __init__(
        self,
        *,
        verbs: tuple[str, ...] = IMAGE_VERBS,
        phash_distance: int = 10,
        pdq_distance: int = 31,
        window: float = 3 * 86400.0,
        min_lift: float = 100.0,
        alpha: float = 1e-3,
        min_accounts: int = 3,
        hash_list: str = "",
    ) -> None:
        self.verbs = verbs
        self.phash_distance = phash_distance
        self.pdq_distance = pdq_distance
        self.window = window
        self.min_lift = min_lift
        self.alpha = alpha
        self.min_accounts = min_accounts
        self.hash_list = hash_list

    def validate(self) -> None:
        super().validate()
        unknown = sorted(set(self.verbs) - set(IMAGE_VERBS))
        if unknown:
            raise ParameterError(
                f"{self.name}.verbs: unknown layers {unknown} (known: {', '.join(IMAGE_VERBS)})"
            )

    @property
    def limits(self) -> dict[str, int]:
        return {"phash": int(self.phash_distance), "pdq": int(self.pdq_distance)}

    def run(self, ws: Workspace) -> list[Finding]:
        self.validate()
        findings: list[Finding] = []
        for verb in self.verbs:
            findings += self._cohorts(ws, verb)
        if self.hash_list:
            findings += self._hash_list(ws, read_hash_list(self.hash_list))
        return findings

    # -- cohorts -----------------------------------------------------------------------------
    def _cohorts(self, ws: Workspace, verb: str) -> list[Finding]:
        units, tested = image_units(ws, verb, self.window, self.limits)
        kept = [u for u in units if u.lift >= self.min_lift]
        groups = _overlapping(kept)
        if not groups:
            return []
        pairs = np.array([sum(u.pairs for u in g) for g in groups], dtype=float)
        expected = np.array([sum(u.anywhere for u in g) for g in groups], dtype=float)
        pvalues = poisson.sf(pairs - 1, np.maximum(expected, 1e-300))
        # Benjamini-Hochberg over every tested unit; units in no group count as p = 1
        padded = np.concatenate([pvalues, np.ones(max(tested - len(groups), 0))])
        qvalues = false_discovery_control(padded)[: len(groups)]
        out = []
        for group, p, q in zip(groups, pvalues.tolist(), qvalues.tolist(), strict=True):
            accounts = sorted({a for u in group for a in u.accounts})
            if q <= self.alpha and len(accounts) >= self.min_accounts:
                out.append(self._finding(verb, group, accounts, p, q))
        return out

    def _finding(
        self, verb: str, group: list[Unit], accounts: list[str], p: float, q: float
    ) -> Finding:
        first = min(u.first for u in group)
        last = max(u.last for u in group)
        sizes = sorted(len(u.accounts) for u in group)
        pairs = sum(u.pairs for u in group)
        expected = sum(u.anywhere for u in group)
        noun = NOUNS[verb]
        spread = f"{sizes[0]}" if sizes[0] == sizes[-1] else f"{sizes[0]}-{sizes[-1]}"
        summary = (
            f"{len(accounts)} accounts created {dates(first, last)} use {len(group)} shared "
            f"{noun if len(group) > 1 else noun[:-1]} ({spread} accounts each): "
            f"{count(pairs, 'same-image pair')} created within {duration(self.window)} of each "
            f"other where chance predicts {expected:.2g}"
        )
        evidence = [
            Evidence(
                u.events,
                f"{len(u.accounts)} accounts created {dates(u.first, u.last)} use "
                f"{_describe(u.hashes)} ({count(u.users, 'account')} use it in all; "
                f"{count(u.pairs, 'pair')} created within {duration(self.window)} where chance "
                f"predicts {u.anywhere:.2g})",
            )
            for u in sorted(group, key=lambda u: (-len(u.accounts), u.first, u.hashes))
        ]
        return Finding(
            detector=self.name,
            kind=f"reused_images:{verb}",
            accounts=accounts,
            summary=summary,
            evidence=evidence,
            score=float(1.0 - q),
            significance=float(p),
            window=(first, last),
        )

    # -- hash lists --------------------------------------------------------------------------
    def _hash_list(self, ws: Workspace, hashes: HashList) -> list[Finding]:
        """One finding per label: the accounts whose images match that label's hashes."""
        objects = _hash_objects(ws, "verb IN (SELECT unnest(?))", [list(self.verbs)])
        matches = match_hash_list(objects, hashes, self.limits)
        if not matches:
            return []
        hits = pa.table(
            {
                "object": [objects[m.index] for m in matches],
                "entry": [m.entry.line for m in matches],
                "distance": [m.distance for m in matches],
            }
        )
        ws.con.register("_img_hits", hits)
        try:
            rows = ws.sql(
                """SELECT h.entry, list(DISTINCT v.event_id ORDER BY v.event_id),
                          list(DISTINCT v.actor ORDER BY v.actor),
                          list(DISTINCT v.verb ORDER BY v.verb), max(h.distance),
                          min(h.distance), min(v.ts), max(v.ts)
                FROM activity v JOIN _img_hits h ON v.object = h.object
                WHERE v.verb IN (SELECT unnest(?))
                GROUP BY h.entry ORDER BY h.entry""",
                [list(self.verbs)],
            )
        finally:
            ws.con.unregister("_img_hits")
        entries = {e.line: e for e in hashes.entries}
        by_label: dict[str, list[tuple[Any, ...]]] = {}
        for row in rows:
            by_label.setdefault(entries[row[0]].label, []).append((entries[row[0]], *row[1:]))
        return [self._listed(hashes, label, hits) for label, hits in sorted(by_label.items())]

    def _listed(self, hashes: HashList, label: str, hits: list[tuple[Any, ...]]) -> Finding:
        """``hits``: (entry, events, accounts, verbs, farthest, closest, first, last)."""
        accounts = sorted({a for h in hits for a in h[2]})
        evidence = [
            Evidence(
                tuple(events),
                f"{count(len(users), 'account')} use {' and '.join(NOUNS[v] for v in verbs)} "
                f"within {farthest} bits of {entry.text} (line {entry.line} of "
                f"{hashes.path.name}, {entry.label!r})",
            )
            for entry, events, users, verbs, farthest, *_ in hits
        ]
        closest = min(h[5] for h in hits)
        limit = max(self.limits[h[0].kind] for h in hits)
        times = [t for h in hits for t in h[6:8] if t is not None]
        return Finding(
            detector=self.name,
            kind="hash_list",
            accounts=accounts,
            summary=(
                f"{count(len(accounts), 'account')} use images matching "
                f"{count(len(hits), 'hash', 'hashes')} labelled {label!r} in the operator's "
                f"hash list {hashes.path.name} (closest {closest} bits apart, limit {limit})"
            ),
            evidence=evidence,
            score=float(1.0 - closest / (limit + 1)),
            window=(min(times), max(times)) if times else (None, None),
        )


def _hash_objects(ws: Workspace, where: str, params: list[Any]) -> list[str]:
    """The distinct activity objects under ``where`` that are image hashes, sorted."""
    rows = ws.sql(
        f"""SELECT DISTINCT object FROM activity
        WHERE {where} AND regexp_full_match(object, '{HASH_PATTERN}')
        ORDER BY object""",
        params,
    )
    return [o for (o,) in rows]


def image_units(
    ws: Workspace, verb: str, window: float, limits: dict[str, int]
) -> tuple[list[Unit], int]:
    """The units of one layer (each with its observed and expected same-image pairs),
    and how many units were tested (every unit of two or more accounts)."""
    con = ws.con
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _img_rows AS
        SELECT v.event_id, v.actor, v.object, a.created_at AS t
        FROM activity v LEFT JOIN (
            SELECT account_id, any_value(created_at) AS created_at FROM accounts
            GROUP BY account_id) a ON a.account_id = v.actor
        WHERE v.verb = ? AND v.object IS NOT NULL""",
        [verb],
    )
    objects = [
        o
        for (o,) in con.execute(
            f"SELECT DISTINCT object FROM _img_rows "
            f"WHERE regexp_full_match(object, '{HASH_PATTERN}') ORDER BY object"
        ).fetchall()
    ]
    if not objects:
        con.execute("DROP TABLE _img_rows")
        return [], 0
    labels = cluster_hashes(objects, limits)
    con.register("_img_labels", pa.table({"object": objects, "cluster": labels}))
    try:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _img_members AS
            SELECT l.cluster, r.actor, any_value(r.t) AS t, epoch(any_value(r.t)) AS e,
                   list(DISTINCT r.event_id ORDER BY r.event_id) AS events,
                   list(DISTINCT r.object ORDER BY r.object) AS hashes
            FROM _img_rows r JOIN _img_labels l USING (object)
            WHERE r.t IS NOT NULL GROUP BY l.cluster, r.actor"""
        )
    finally:
        con.unregister("_img_labels")
    population = np.sort(
        np.asarray(
            con.execute("SELECT DISTINCT actor, e FROM _img_members").fetchnumpy()["e"],
            dtype=float,
        )
    )
    w = float(window)
    rows = con.execute(
        f"""WITH sized AS (
            SELECT *, count(*) OVER (PARTITION BY cluster) AS users FROM _img_members),
        gaps AS (
            SELECT *, CASE WHEN e - lag(e) OVER (PARTITION BY cluster ORDER BY e, actor) > {w}
                           THEN 1 ELSE 0 END AS brk
            FROM sized WHERE users >= 2),
        segs AS (
            SELECT *, sum(brk) OVER (PARTITION BY cluster ORDER BY e, actor
                                     ROWS UNBOUNDED PRECEDING) AS seg FROM gaps),
        ahead AS (
            SELECT *, count(*) OVER (PARTITION BY cluster, seg ORDER BY e
                                     RANGE BETWEEN UNBOUNDED PRECEDING AND {w} FOLLOWING)
                      - row_number() OVER (PARTITION BY cluster, seg ORDER BY e, actor)
                      AS close FROM segs)
        SELECT cluster, seg, list(actor ORDER BY actor) AS accounts,
               list_sort(flatten(list(events))) AS events,
               list_sort(list_distinct(flatten(list(hashes)))) AS hashes,
               min(t) AS first, max(t) AS last, min(e) AS e0, max(e) AS e1,
               any_value(users) AS users, sum(close)::BIGINT AS pairs
        FROM ahead GROUP BY cluster, seg HAVING count(*) >= 2
        ORDER BY cluster, seg"""
    ).fetchall()
    con.execute("DROP TABLE _img_rows")
    con.execute("DROP TABLE _img_members")
    if not rows:
        return [], 0
    e0 = np.array([r[7] for r in rows], dtype=float)
    e1 = np.array([r[8] for r in rows], dtype=float)
    users = np.array([r[9] for r in rows], dtype=float)
    close = _close_pairs(population, e0 - w / 2, e1 + w / 2, w)
    n = len(population)
    expected = close * users * (users - 1) / max(n * (n - 1), 1)
    units = [
        Unit(
            cluster=int(r[0]),
            accounts=tuple(r[2]),
            events=tuple(r[3]),
            hashes=tuple(r[4]),
            first=r[5],
            last=r[6],
            users=int(r[9]),
            pairs=int(r[10]),
            expected=float(x),
        )
        for r, x in zip(rows, expected.tolist(), strict=True)
    ]
    return units, len(units)


def _close_pairs(times: F64, lo: F64, hi: F64, window: float) -> F64:
    """For each interval [lo, hi]: pairs of ``times`` (sorted) inside it that are at
    most ``window`` apart. Prefix sums make it O(log n) per interval."""
    n = len(times)
    reach = np.searchsorted(times, times + window, side="right")  # first index beyond
    ahead = reach - np.arange(n) - 1
    prefix = np.concatenate([[0.0], np.cumsum(ahead, dtype=float)])
    idx = np.arange(n, dtype=float)
    prefix_idx = np.concatenate([[0.0], np.cumsum(idx)])
    start = np.searchsorted(times, lo, side="left")
    stop = np.searchsorted(times, hi, side="right")
    # rows k in [start, split) reach at most `stop`; rows in [split, stop) are clipped to it
    split = np.clip(np.searchsorted(reach, stop, side="right"), start, stop)
    inner = prefix[split] - prefix[start]
    clipped_rows = stop - split
    clipped = clipped_rows * (stop - 1.0) - (prefix_idx[stop] - prefix_idx[split])
    return np.asarray(inner + clipped, dtype=float)


def _overlapping(units: list[Unit]) -> list[list[Unit]]:
    """Units whose creation spans overlap form one group (a batch using several images).

    Overlap, not nearness: two operators' batches created days apart stay apart."""
    groups: list[list[Unit]] = []
    end: datetime | None = None
    for unit in sorted(units, key=lambda u: (u.first, u.last, u.cluster)):
        if end is not None and unit.first <= end:
            groups[-1].append(unit)
            end = max(end, unit.last)
        else:
            groups.append([unit])
            end = unit.last
    return groups


def _describe(hashes: tuple[str, ...]) -> str:
    if len(hashes) == 1:
        return f"one image ({hashes[0]})"
    sample = hashes[:50]
    spread = max(hamming(a, b) for k, a in enumerate(sample) for b in sample[k + 1 :])
    return f"{len(hashes)} near-identical images (at most {spread} bits apart, e.g. {hashes[0]})"
