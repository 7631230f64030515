"""The followers section: arrivals over time with bursts, creation dates of the cited
followers against the others, and the follower map."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from separ.exports.dossier.common import (
    AGE_BINS,
    MAX_MAP_POINTS,
    MAX_ZOOMS,
    TIME_BINS,
    ZOOM_BINS,
    Claim,
    bin_width,
    epoch,
    stamp,
)
from separ.wording import DAY, count, dates, day, duration, percent, utc
from separ.workspace import Workspace


def _bursts(ws: Workspace) -> list[dict[str, Any]]:
    """Cited follows grouped into bursts: each finding's cited follows of the target span
    a time range; overlapping ranges merge (a swarm that two detectors cite is one)."""
    rows = ws.sql(
        """SELECT h.finding_id, min(f.est), max(f.est), min(f.pos), max(f.pos),
                  list(DISTINCT h.event_id)
        FROM _ds_hit h JOIN _ds_follow f ON f.follower = h.actor
        WHERE list_contains(h.how, 'follow') AND f.est IS NOT NULL
        GROUP BY h.finding_id ORDER BY min(f.est), h.finding_id"""
    )
    merged: list[dict[str, Any]] = []
    for fid, lo, hi, first, last, events in rows:
        if merged and lo <= merged[-1]["end"]:
            b = merged[-1]
            b["end"] = max(b["end"], float(hi))
            b["first_position"] = min(b["first_position"], int(first))
            b["last_position"] = max(b["last_position"], int(last))
            b["finding_ids"] = sorted({*b["finding_ids"], fid})
            b["event_ids"] = sorted({*b["event_ids"], *events})
        else:
            merged.append(
                {
                    "start": float(lo),
                    "end": float(hi),
                    "first_position": int(first),
                    "last_position": int(last),
                    "finding_ids": [fid],
                    "event_ids": sorted(events),
                }
            )
    for b in merged:
        b["followers"] = len(b["event_ids"])
    return merged


def _binned(
    ws: Workspace, column: str, low: float, width: float, n: int, where: str = "TRUE"
) -> tuple[list[int], list[int]]:
    """Counts of cited and other followers per bin of ``column`` in ``_ds_follow``."""
    cited, other = [0] * n, [0] * n
    for b, c, o in ws.sql(
        f"""SELECT floor(({column} - ?) / ?)::BIGINT AS b, count(*) FILTER (WHERE cited),
                   count(*) FILTER (WHERE NOT cited)
        FROM _ds_follow WHERE {column} IS NOT NULL AND {column} >= ? AND {column} < ?
          AND {where} GROUP BY b""",
        [low, width, low, low + n * width],
    ):
        if 0 <= b < n:
            cited[b], other[b] = int(c), int(o)
    return cited, other


def _timeline(ws: Workspace, bursts: list[dict[str, Any]]) -> dict[str, Any] | None:
    first, last, timed = ws.sql(
        "SELECT min(est), max(est), count(ts) > 0 FROM _ds_follow WHERE est IS NOT NULL"
    )[0]
    if first is None:
        return None
    low = float(first)
    high = float(last) + 1.0
    if bursts:
        low = max(low, bursts[0]["start"] - 45 * DAY)
        end = ws.sql("SELECT max(ts) FROM _ds_touch")[0][0]
        if end is not None:
            high = max(high, min(epoch(end), bursts[-1]["end"] + 45 * DAY) + 1.0)
    else:
        low = max(low, float(last) - 365 * DAY)
    width = bin_width(high - low, TIME_BINS, 100)
    low = math.floor(low / width) * width
    n = max(math.ceil((high - low) / width), 1)
    cited, other = _binned(ws, "est", low, width, n)
    earlier = ws.sql("SELECT count(*) FROM _ds_follow WHERE est < ?", [low])[0][0]
    zooms = []
    for b in bursts[:MAX_ZOOMS]:
        pad = max(12 * 3600.0, b["end"] - b["start"])
        z_width = bin_width(b["end"] - b["start"] + 2 * pad, ZOOM_BINS, 72)
        z_low = math.floor((b["start"] - pad) / z_width) * z_width
        z_n = max(math.ceil((b["end"] + pad - z_low) / z_width), 1)
        z_cited, z_other = _binned(ws, "est", z_low, z_width, z_n)
        zooms.append(
            {"start": stamp(z_low), "bin_seconds": z_width, "cited": z_cited, "other": z_other}
        )
    return {
        "times": "recorded" if timed else "estimated from follow order",
        "start": stamp(low),
        "bin_seconds": width,
        "cited": cited,
        "other": other,
        "earlier": int(earlier),
        "zooms": zooms,
    }


@dataclass(frozen=True, slots=True)
class Peak:
    """The densest week of the cited followers' creation dates."""

    low: float
    high: float
    members: list[str]
    cohort: int  # cited followers with a known creation date


def _peak(ws: Workspace) -> Peak | None:
    rows = ws.con.execute(
        "SELECT born, follower FROM _ds_follow WHERE cited AND born IS NOT NULL "
        "ORDER BY born, follower"
    ).fetchnumpy()
    born = rows["born"].astype(float)
    if len(born) < 3:
        return None
    j = np.searchsorted(born, born + 7 * DAY, side="right")
    best = int(np.argmax(j - np.arange(len(born))))
    return Peak(
        float(born[best]),
        float(born[j[best] - 1]),
        rows["follower"][best : j[best]].tolist(),
        len(born),
    )


def _creation(ws: Workspace, peak: Peak | None) -> dict[str, Any] | None:
    """Creation dates of the cited and the other followers over all time, and daily
    around the cited cohort's densest week."""
    first, last = ws.sql("SELECT min(born), max(born) FROM _ds_follow")[0]
    if first is None:
        return None
    width = bin_width(float(last) - float(first), AGE_BINS, 80)
    low = math.floor(float(first) / width) * width
    n = max(math.ceil((float(last) + 1 - low) / width), 1)
    cited, other = _binned(ws, "born", low, width, n)
    out: dict[str, Any] = {
        "start": stamp(low),
        "bin_seconds": width,
        "cited": cited,
        "other": other,
    }
    if peak is not None:
        z_low = math.floor((peak.low - 30 * DAY) / DAY) * DAY
        z_n = math.ceil((peak.high + 30 * DAY - z_low) / DAY)
        z_cited, z_other = _binned(ws, "born", z_low, DAY, z_n)
        out["zoom"] = {
            "start": stamp(z_low),
            "bin_seconds": int(DAY),
            "cited": z_cited,
            "other": z_other,
        }
    return out


def _creation_claim(ws: Workspace, tid: str, name: str, peak: Peak | None) -> Claim | None:
    """The densest week of the cited followers' creation dates, against the share of the
    account's other followers created in that same week."""
    if peak is None:
        return None
    others, inside = ws.sql(
        "SELECT count(*), count(*) FILTER (WHERE born BETWEEN ? AND ?) FROM _ds_follow "
        "WHERE NOT cited AND born IS NOT NULL",
        [peak.low, peak.high],
    )[0]
    fids = ws.sql(
        "SELECT DISTINCT finding_id FROM _ds_hit WHERE list_contains(how, 'follow') "
        "AND actor IN (SELECT unnest(?))",
        [peak.members],
    )
    k = len(peak.members)
    base = (
        f"of its other followers, {inside:,} of {others:,} ({percent(inside / others)}) were"
        if others
        else "it has no other followers with a known creation date"
    )
    return Claim(
        "followers",
        f"{k:,} of the {peak.cohort:,} followers of {name} whose follows are cited "
        f"({percent(k / peak.cohort)}) were created {dates(utc(peak.low), utc(peak.high))}; "
        + base,
        [f for (f,) in fids],
        [f"f:{m}>{tid}" for m in peak.members],
    )


def _follower_map(ws: Workspace) -> dict[str, Any]:
    n_other = ws.sql("SELECT count(*) FROM _ds_follow WHERE NOT cited AND born IS NOT NULL")[0][0]
    step = max(math.ceil(n_other / MAX_MAP_POINTS), 1)
    rows = ws.sql(
        "SELECT pos, born, cited FROM _ds_follow WHERE born IS NOT NULL "
        "AND (cited OR pos % ? = 0) ORDER BY pos",
        [step],
    )
    return {
        "every": step,
        "position": [int(r[0]) for r in rows],
        "created": [stamp(float(r[1])) for r in rows],
        "cited": [bool(r[2]) for r in rows],
    }


def followers_section(ws: Workspace, tid: str, name: str) -> tuple[dict[str, Any], list[Claim]]:
    bursts = _bursts(ws)
    claims = []
    total = ws.count("_ds_follow")
    timed = bool(ws.sql("SELECT count(ts) > 0 FROM _ds_follow")[0][0])
    if bursts:
        parts = [
            f"{b['followers']:,} within {duration(b['end'] - b['start'])} "
            f"{dates(utc(b['start']), utc(b['end']))}"
            if timed
            else f"{b['followers']:,} between positions {b['first_position']:,} and "
            f"{b['last_position']:,} in follow order (follow times unknown; by the followers' "
            f"creation dates, no earlier than {day(utc(b['start']))})"
            for b in bursts
        ]
        cited = sum(b["followers"] for b in bursts)
        claims.append(
            Claim(
                "followers",
                f"{cited:,} of the {total:,} followers of {name} arrived in "
                f"{count(len(bursts), 'burst')} that findings cite: " + "; ".join(parts),
                [f for b in bursts for f in b["finding_ids"]],
                [e for b in bursts for e in b["event_ids"]],
            )
        )
    peak = _peak(ws)
    created = _creation_claim(ws, tid, name, peak)
    if created:
        claims.append(created)
    section = {
        "followers": total,
        "cited": int(ws.sql("SELECT count(*) FROM _ds_follow WHERE cited")[0][0]),
        "bursts": [{**b, "start": stamp(b["start"]), "end": stamp(b["end"])} for b in bursts],
        "timeline": _timeline(ws, bursts),
        "creation": _creation(ws, peak),
        "map": _follower_map(ws),
    }
    return section, claims
