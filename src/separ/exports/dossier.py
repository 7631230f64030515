"""The dossier: what happened to one targeted account, for a reviewer who has ten minutes.

``build_dossier(ws, target)`` reads the stored findings that name the account among their
targets (whatever detectors have run), the events they cite, and the native tables, and
returns the *JSON twin*: the target, a plain-words summary, numbered claims (each with the
finding ids and activity event ids behind it), and the data of every section:

* followers: arrivals over time with the detected bursts marked, the creation dates of the
  cited followers against the account's other followers, and the follower map (follow
  order x creation date);
* profile images the accounts acting against the target share, with counts;
* reports against the target (which ones findings attribute to a brigade) and the
  platform's actions against it (which were triggered by those reports);
* excerpts of the replies and mentions that findings cite;
* the campaigns involved, and other findings about the same accounts.

``write_dossier`` writes it as ``FILE.json`` and as ``FILE.html``: one self-contained page
(inline CSS and SVG charts, no script, nothing fetched; text in any script is isolated
with ``dir="auto"`` so Persian reads right to left). Nothing in the workspace is changed:
the work is in SQL over temporary tables prefixed ``_ds_``.

Only acts *against the target* count towards it: the events a finding cites that are a
follow of the target, a report against it, or a reply, quote or mention of it. A finding
that names several targets (lockstep) thus contributes only its members who acted on this
one. Traits of single accounts are never shown as evidence; the creation-date comparison
is between the cited cohort and the target's other followers (principle 2).
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from separ import __version__
from separ.errors import ParameterError
from separ.exports import charts
from separ.images import reused_avatars
from separ.wording import DAY, count, dates, day, duration, percent, utc
from separ.workspace import Workspace

FORMAT = "separ-dossier/1"
MAX_REPORT_ROWS = 300
"""Reports listed: every attributed one, then others up to this many (counts cover all)."""
MAX_EXCERPTS = 12
"""Reply excerpts per finding."""
MAX_MAP_POINTS = 4000
"""Other followers drawn in the follower map (every k-th one beyond this)."""
MAX_TILES = 24
"""Reused profile images in the grid."""
MAX_RELATED = 30
"""Other findings about the same accounts."""
MAX_ZOOMS = 3
"""Bursts shown in close-up."""
MAX_EVENTS_SHOWN = 400
"""Event ids listed under one claim in the page (the JSON and the findings hold them all)."""
MAX_AVATAR_BYTES = 256 * 1024
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
}
RTL = {"fa", "ar", "ur", "ps", "he", "ckb", "yi", "dv", "sd", "ug"}
TIME_BINS = (3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400)
ZOOM_BINS = (300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 86400)
AGE_BINS = (86400, 7 * 86400, 30 * 86400, 91 * 86400, 365 * 86400)
HOW = {"reply": "replies", "quote": "quotes", "mention": "mentions", "repost": "reposts"}


@dataclass
class Claim:
    """One statement of the dossier with the findings and events that justify it."""

    section: str
    text: str
    finding_ids: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    id: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "section": self.section,
            "text": self.text,
            "finding_ids": sorted(set(self.finding_ids)),
            "event_ids": sorted(set(self.event_ids)),
        }


# -- small helpers -------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(value: datetime) -> float:
    return value.replace(tzinfo=UTC).timestamp()


def _stamp(epoch: float) -> str:
    """Epoch seconds as ISO 8601 UTC."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unstamp(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def _dir(lang: str | None) -> str:
    """``rtl`` for right-to-left languages, else ``auto`` (the first strong character)."""
    return "rtl" if (lang or "").split("-")[0].lower() in RTL else "auto"


def _bin_width(span: float, choices: tuple[int, ...], most: int) -> int:
    return next((w for w in choices if span / w <= most), choices[-1])


def account_name(ws: Workspace, account: str) -> str:
    """``@handle`` when the account has one, else its id."""
    rows = ws.sql("SELECT handle FROM accounts WHERE account_id = ?", [account])
    handle = rows[0][0] if rows and rows[0][0] else None
    return f"@{handle.lstrip('@')}" if handle else account


# -- the target ----------------------------------------------------------------------------


def resolve_target(ws: Workspace, key: str) -> str:
    """The account id for ``key``: an account id, or a handle (with or without ``@``,
    any case). A handle held by several accounts is refused with their ids."""
    key = key.strip()
    known = ws.sql(
        """SELECT account_id FROM accounts WHERE account_id = ?
        UNION SELECT followee_id FROM follows WHERE followee_id = ?
        UNION SELECT target_account_id FROM reports WHERE target_account_id = ?
        UNION SELECT t FROM (SELECT unnest(targets) AS t FROM findings) WHERE t = ?""",
        [key, key, key, key],
    )
    if known:
        return str(known[0][0])
    by_handle = ws.sql(
        "SELECT account_id FROM accounts WHERE lower(ltrim(handle, '@')) = lower(ltrim(?, '@')) "
        "ORDER BY account_id",
        [key],
    )
    if not by_handle:
        raise ParameterError(f"{key!r} is neither a known account id nor a known handle")
    if len(by_handle) > 1:
        ids = ", ".join(r[0] for r in by_handle)
        raise ParameterError(f"handle {key!r} belongs to several accounts ({ids}): give the id")
    return str(by_handle[0][0])


def most_attacked_target(ws: Workspace) -> str | None:
    """The account named as a target by findings of the most detectors (then by the most
    findings, the most accounts, the smallest id), or None when no finding names one: the
    account whose dossier ``separ demo`` writes."""
    rows = ws.sql(
        """WITH t AS (SELECT DISTINCT unnest(targets) AS target, finding_id, detector, accounts
                      FROM findings)
        SELECT target, count(DISTINCT detector) AS d, count(DISTINCT finding_id) AS n,
               count(DISTINCT a) AS m
        FROM t, unnest(t.accounts) AS u(a)
        GROUP BY target ORDER BY d DESC, n DESC, m DESC, target LIMIT 1"""
    )
    return str(rows[0][0]) if rows else None


def _profile(ws: Workspace, tid: str) -> dict[str, Any]:
    row = ws.sql(
        "SELECT handle, display_name, created_at, followers_count, lang FROM accounts "
        "WHERE account_id = ?",
        [tid],
    )
    handle, display, created, followers, lang = row[0] if row else (None, None, None, None, None)
    registers = ws.sql(
        "SELECT register, kind, source FROM registers WHERE account_id = ? ORDER BY register",
        [tid],
    )
    in_data = ws.sql("SELECT count(*) FROM follows WHERE followee_id = ?", [tid])[0][0]
    return {
        "account_id": tid,
        "handle": handle,
        "name": account_name(ws, tid),
        "display_name": display,
        "display_dir": _dir(lang) if display else "auto",
        "created_at": _iso(created),
        "followers_count": followers,
        "followers_in_data": int(in_data),
        "registers": [{"register": r, "kind": k, "source": s} for r, k, s in registers],
    }


# -- temporary tables ----------------------------------------------------------------------


def _prepare(ws: Workspace, tid: str) -> None:
    """``_ds_find`` (findings naming the target), ``_ds_touch`` (every act on the target:
    follows of it, reports against it, replies, quotes and mentions of it), ``_ds_hit``
    (the acts those findings cite, with the citing finding and evidence position) and
    ``_ds_follow`` (its followers in follow order, with follow and creation times)."""
    con = ws.con
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _ds_find AS SELECT * FROM findings "
        "WHERE list_contains(targets, ?)",
        [tid],
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _ds_touch AS
        SELECT 'f:' || follower_id || '>' || followee_id AS event_id, follower_id AS actor,
               'follow' AS how, created_at AS ts
        FROM follows WHERE followee_id = $t
        UNION ALL
        SELECT 'r:' || report_id, reporter_id, 'report', created_at
        FROM reports WHERE target_account_id = $t
        UNION ALL
        SELECT 'p:' || p.post_id, p.account_id, p.kind, p.created_at
        FROM posts p LEFT JOIN posts r ON r.post_id = p.ref_post_id
        WHERE p.kind IN ('reply', 'quote', 'repost') AND p.account_id <> $t
          AND coalesce(p.ref_account_id, r.account_id) = $t
        UNION ALL
        SELECT event_id, actor, 'mention', ts FROM activity
        WHERE verb = 'mention' AND object = $t AND actor <> $t""",
        {"t": tid},
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _ds_hit AS
        WITH cited AS (
            SELECT e.finding_id, e.position, u.event_id
            FROM evidence e, unnest(e.event_ids) AS u(event_id)
            WHERE e.finding_id IN (SELECT finding_id FROM _ds_find))
        SELECT c.finding_id, min(c.position) AS position, c.event_id,
               any_value(t.actor) AS actor, list(DISTINCT t.how ORDER BY t.how) AS how,
               any_value(t.ts) AS ts
        FROM cited c JOIN _ds_touch t USING (event_id)
        GROUP BY c.finding_id, c.event_id"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _ds_follow AS
        WITH f AS (
            SELECT f.follower_id AS follower, epoch(f.created_at) AS ts, f.rank,
                   epoch(a.created_at) AS born
            FROM follows f LEFT JOIN accounts a ON a.account_id = f.follower_id
            WHERE f.followee_id = ?),
        o AS (SELECT *, row_number() OVER (ORDER BY ts NULLS LAST, rank NULLS LAST, follower)
                        - 1 AS pos FROM f),
        cited AS (SELECT DISTINCT actor FROM _ds_hit WHERE list_contains(how, 'follow'))
        SELECT o.follower, o.pos, o.ts, o.born,
               coalesce(o.ts, max(o.born) OVER (ORDER BY o.pos
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS est,
               c.actor IS NOT NULL AS cited
        FROM o LEFT JOIN cited c ON c.actor = o.follower""",
        [tid],
    )


def _cleanup(ws: Workspace) -> None:
    for name in ("_ds_find", "_ds_touch", "_ds_hit", "_ds_follow"):
        ws.con.execute(f"DROP TABLE IF EXISTS {name}")


# -- findings ------------------------------------------------------------------------------


def _finding_rows(ws: Workspace, where: str, params: list[Any]) -> list[dict[str, Any]]:
    rows = ws.sql(
        "SELECT finding_id, detector, kind, accounts, targets, window_start, window_end, "
        f"score, significance, summary FROM findings WHERE {where} "
        "ORDER BY detector, window_start NULLS LAST, finding_id",
        params,
    )
    ids = [r[0] for r in rows]
    evidence: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fid, what, events in ws.sql(
        "SELECT finding_id, what, event_ids FROM evidence WHERE finding_id IN "
        "(SELECT unnest(?)) ORDER BY finding_id, position",
        [ids],
    ):
        evidence[fid].append({"what": what, "event_ids": list(events)})
    return [
        {
            "finding_id": fid,
            "detector": det,
            "kind": kind,
            "accounts": list(accounts),
            "targets": list(targets),
            "window": [_iso(start), _iso(end)],
            "score": score,
            "significance": sig,
            "summary": summary,
            "evidence": evidence[fid],
        }
        for fid, det, kind, accounts, targets, start, end, score, sig, summary in rows
    ]


# -- followers -----------------------------------------------------------------------------


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
            high = max(high, min(_epoch(end), bursts[-1]["end"] + 45 * DAY) + 1.0)
    else:
        low = max(low, float(last) - 365 * DAY)
    width = _bin_width(high - low, TIME_BINS, 100)
    low = math.floor(low / width) * width
    n = max(math.ceil((high - low) / width), 1)
    cited, other = _binned(ws, "est", low, width, n)
    earlier = ws.sql("SELECT count(*) FROM _ds_follow WHERE est < ?", [low])[0][0]
    zooms = []
    for b in bursts[:MAX_ZOOMS]:
        pad = max(12 * 3600.0, b["end"] - b["start"])
        z_width = _bin_width(b["end"] - b["start"] + 2 * pad, ZOOM_BINS, 72)
        z_low = math.floor((b["start"] - pad) / z_width) * z_width
        z_n = max(math.ceil((b["end"] + pad - z_low) / z_width), 1)
        z_cited, z_other = _binned(ws, "est", z_low, z_width, z_n)
        zooms.append(
            {"start": _stamp(z_low), "bin_seconds": z_width, "cited": z_cited, "other": z_other}
        )
    return {
        "times": "recorded" if timed else "estimated from follow order",
        "start": _stamp(low),
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
    width = _bin_width(float(last) - float(first), AGE_BINS, 80)
    low = math.floor(float(first) / width) * width
    n = max(math.ceil((float(last) + 1 - low) / width), 1)
    cited, other = _binned(ws, "born", low, width, n)
    out: dict[str, Any] = {
        "start": _stamp(low),
        "bin_seconds": width,
        "cited": cited,
        "other": other,
    }
    if peak is not None:
        z_low = math.floor((peak.low - 30 * DAY) / DAY) * DAY
        z_n = math.ceil((peak.high + 30 * DAY - z_low) / DAY)
        z_cited, z_other = _binned(ws, "born", z_low, DAY, z_n)
        out["zoom"] = {
            "start": _stamp(z_low),
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
        "created": [_stamp(float(r[1])) for r in rows],
        "cited": [bool(r[2]) for r in rows],
    }


def _followers(ws: Workspace, tid: str, name: str) -> tuple[dict[str, Any], list[Claim]]:
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
        "bursts": [{**b, "start": _stamp(b["start"]), "end": _stamp(b["end"])} for b in bursts],
        "timeline": _timeline(ws, bursts),
        "creation": _creation(ws, peak),
        "map": _follower_map(ws),
    }
    return section, claims


# -- reports and moderation ----------------------------------------------------------------


def _reports(ws: Workspace, tid: str, name: str) -> tuple[dict[str, Any], list[Claim]]:
    rows = ws.sql(
        """WITH hit AS (SELECT event_id, list(DISTINCT finding_id ORDER BY finding_id) AS fids
                     FROM _ds_hit GROUP BY event_id),
        led AS (SELECT u.ref, list(DISTINCT a.action_id ORDER BY a.action_id) AS actions
                FROM actions a, unnest(a.trigger_ref) AS u(ref)
                WHERE a.account_id = ? GROUP BY u.ref)
        SELECT r.report_id, r.reporter_id, a.handle, r.reason, r.created_at, r.target_post_id,
               coalesce(h.fids, []), coalesce(led.actions, [])
        FROM reports r LEFT JOIN accounts a ON a.account_id = r.reporter_id
        LEFT JOIN hit h ON h.event_id = 'r:' || r.report_id
        LEFT JOIN led ON led.ref = r.report_id
        WHERE r.target_account_id = ?
        ORDER BY len(coalesce(h.fids, [])) = 0, r.created_at, r.report_id""",
        [tid, tid],
    )
    attributed = [r for r in rows if r[6]]
    listed = attributed + [r for r in rows if not r[6]][: max(MAX_REPORT_ROWS - len(attributed), 0)]
    listed.sort(key=lambda r: (r[4], r[0]))
    section = {
        "total": len(rows),
        "attributed": len(attributed),
        "not_listed": len(rows) - len(listed),
        "rows": [
            {
                "report_id": rid,
                "event_id": f"r:{rid}",
                "reporter": reporter,
                "reporter_handle": handle,
                "reason": reason,
                "created_at": _iso(ts),
                "target_post_id": post,
                "finding_ids": list(fids),
                "led_to": list(actions),
            }
            for rid, reporter, handle, reason, ts, post, fids, actions in listed
        ],
    }
    if not attributed:
        return section, []
    parts = [
        f"{len(rs):,} {dates(rs[0][4], rs[-1][4])}"
        for rs in _waves(sorted(attributed, key=lambda r: (r[4], r[0])))
    ]
    reason, giving = Counter(r[3] for r in attributed).most_common(1)[0]
    others = [r for r in rows if not r[6]]
    other_share = sum(r[3] == reason for r in others) / len(others) if others else 0.0
    reporters = len({r[1] for r in attributed})
    text = (
        f"{len(attributed):,} of the {len(rows):,} reports against {name} "
        f"({percent(len(attributed) / len(rows))}), filed by {count(reporters, 'account')}, "
        f"are attributed to suspected brigades ({'; '.join(parts)}); "
        f"{percent(giving / len(attributed))} of them give the reason {reason}"
        + (f" against {percent(other_share)} of the other reports" if others else "")
    )
    claim = Claim(
        "reports",
        text,
        [f for r in attributed for f in r[6]],
        [f"r:{r[0]}" for r in attributed],
    )
    return section, [claim]


def _waves(rows: list[tuple[Any, ...]], gap: float = 12 * 3600) -> list[list[tuple[Any, ...]]]:
    """Time-ordered rows (time in column 4) split where ``gap`` seconds pass without one."""
    out: list[list[tuple[Any, ...]]] = []
    for r in rows:
        if out and (r[4] - out[-1][-1][4]).total_seconds() <= gap:
            out[-1].append(r)
        else:
            out.append([r])
    return out


ACTED = {
    "suspend": "suspended",
    "remove": "removed content of",
    "limit": "limited",
    "label": "labelled",
    "warn": "warned",
    "restore": "restored",
}
APPEAL = {
    "open": "an appeal is still open",
    "upheld": "the action was upheld on appeal",
    "overturned": "it was overturned on appeal",
}


def _moderation(ws: Workspace, tid: str, name: str) -> tuple[list[dict[str, Any]], list[Claim]]:
    rows = ws.sql(
        """WITH hit AS (SELECT substr(event_id, 3) AS report_id,
                            list(DISTINCT finding_id ORDER BY finding_id) AS fids
                     FROM _ds_hit WHERE starts_with(event_id, 'r:') GROUP BY event_id),
        refs AS (SELECT a.action_id, list(u.ref ORDER BY u.ref) AS refs,
                        list(u.ref ORDER BY u.ref) FILTER (WHERE h.report_id IS NOT NULL) AS cited,
                        flatten(list(h.fids) FILTER (WHERE h.report_id IS NOT NULL)) AS fids,
                        list(u.ref ORDER BY u.ref) FILTER (WHERE r.report_id IS NOT NULL) AS reports
                 FROM actions a, unnest(a.trigger_ref) AS u(ref)
                 LEFT JOIN hit h ON h.report_id = u.ref
                 LEFT JOIN reports r ON r.report_id = u.ref
                 WHERE a.account_id = ? GROUP BY a.action_id),
        ap AS (SELECT action_id, arg_max(status, filed_at) AS status,
                      arg_max(decided_at, filed_at) AS decided
               FROM appeals GROUP BY action_id)
        SELECT a.action_id, a.action, a.policy, a.created_at, a.actor, a.automated, a.trigger,
               a.reason, a.ends_at, a.post_id, coalesce(refs.refs, []),
               coalesce(refs.cited, []), coalesce(refs.fids, []), coalesce(refs.reports, []),
               ap.status, ap.decided
        FROM actions a LEFT JOIN refs USING (action_id) LEFT JOIN ap USING (action_id)
        WHERE a.account_id = ? ORDER BY a.created_at, a.action_id""",
        [tid, tid],
    )
    out, claims = [], []
    for (aid, action, policy, ts, actor, auto, trigger, reason, ends, post, refs, cited, fids,
         reports, status, decided) in rows:  # fmt: skip
        out.append(
            {
                "action_id": aid,
                "action": action,
                "policy": policy,
                "created_at": _iso(ts),
                "actor": actor,
                "automated": auto,
                "trigger": trigger,
                "reason": reason,
                "ends_at": _iso(ends),
                "post_id": post,
                "trigger_ref": list(refs),
                "attributed_reports": list(cited),
                "finding_ids": sorted(set(fids)),
                "appeal": status,
                "appeal_decided_at": _iso(decided),
            }
        )
        if not cited:
            continue
        how = "automatically" if auto else f"by moderator {actor}"
        share = "all" if len(cited) == len(reports) else f"{len(cited)}"
        appeal = f"; {APPEAL.get(status, f'appeal: {status}')}" if status else ""
        if status and status != "open" and decided:
            appeal += f" on {day(decided)}"
        claims.append(
            Claim(
                "moderation",
                f"On {day(ts)} the platform {ACTED.get(action, action)} {name} {how} "
                f"({policy}) on {count(len(reports), 'report')}, {share} of them attributed "
                f"to a suspected brigade{appeal}",
                list(fids),
                [f"r:{r}" for r in reports],
            )
        )
    return out, claims


# -- replies -------------------------------------------------------------------------------


def _replies(
    ws: Workspace, tid: str, name: str, findings: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[Claim]]:
    rows = ws.sql(
        """WITH what AS (
            SELECT e.finding_id, u.event_id, list(e.what ORDER BY e.position) AS what
            FROM evidence e, unnest(e.event_ids) AS u(event_id)
            WHERE e.finding_id IN (SELECT finding_id FROM _ds_find)
            GROUP BY e.finding_id, u.event_id)
        SELECT h.finding_id, h.event_id, h.actor, a.handle, p.created_at, h.how, p.text,
               p.lang, coalesce(w.what, [])
        FROM _ds_hit h JOIN posts p ON 'p:' || p.post_id = h.event_id
        LEFT JOIN accounts a ON a.account_id = h.actor
        LEFT JOIN what w ON w.finding_id = h.finding_id AND w.event_id = h.event_id
        WHERE starts_with(h.event_id, 'p:')
        ORDER BY h.finding_id, p.created_at, h.event_id"""
    )
    answered = ws.sql(
        """SELECT DISTINCT e.finding_id, 'p:' || p.post_id, p.created_at, p.text, p.lang
        FROM evidence e, unnest(e.event_ids) AS u(event_id)
        JOIN posts p ON 'p:' || p.post_id = u.event_id
        WHERE e.finding_id IN (SELECT finding_id FROM _ds_find) AND p.account_id = ?
        ORDER BY 1, 3, 2""",
        [tid],
    )
    by_finding: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        by_finding[r[0]].append(r)
    targets_posts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fid, event, ts, text, lang in answered:
        targets_posts[fid].append(
            {"event_id": event, "created_at": _iso(ts), "text": text, "dir": _dir(lang)}
        )
    summary = {f["finding_id"]: f for f in findings}
    section = []
    for fid, rs in by_finding.items():
        section.append(
            {
                "finding_id": fid,
                "detector": summary[fid]["detector"],
                "summary": summary[fid]["summary"],
                "posts": len(rs),
                "accounts": len({r[2] for r in rs}),
                "answered": targets_posts.get(fid, []),
                "excerpts": [
                    {
                        "event_id": event,
                        "author": actor,
                        "author_handle": handle,
                        "created_at": _iso(ts),
                        "how": list(how),
                        "text": (text or "")[:280],
                        "dir": _dir(lang),
                        "lang": lang,
                        "matched": list(what),
                    }
                    for _, event, actor, handle, ts, how, text, lang, what in rs[:MAX_EXCERPTS]
                ],
            }
        )
    if not rows:
        return section, []
    events = sorted({r[1] for r in rows})
    detectors = {summary[f]["detector"] for f in by_finding}
    adjective = "threatening or abusive " if detectors == {"reply_swarm"} else ""
    primary = {r[1]: next(h for h in (*HOW, *r[5]) if h in r[5]) for r in rows}
    kinds = ", ".join(
        f"{n:,} {HOW.get(h, h)}" for h, n in sorted(Counter(primary.values()).items())
    )
    first, last = min(r[4] for r in rows), max(r[4] for r in rows)
    claim = Claim(
        "replies",
        f"{count(len({r[2] for r in rows}), 'account')} sent {name} "
        f"{count(len(events), adjective + 'reply, quote or mention', adjective + 'replies, quotes or mentions')} "
        f"({kinds}) that {count(len(by_finding), 'finding')} cite, {dates(first, last)}",
        sorted(by_finding),
        events,
    )
    return section, [claim]


# -- the same accounts elsewhere -----------------------------------------------------------


def _attackers(ws: Workspace) -> list[str]:
    return [a for (a,) in ws.sql("SELECT DISTINCT actor FROM _ds_hit ORDER BY actor")]


def _accounts(ws: Workspace) -> list[dict[str, Any]]:
    """Each account whose acts against the target a finding cites: what it did, and which
    findings cite it (no profile traits: those never mark one account)."""
    rows = ws.sql(
        """SELECT h.actor, any_value(a.handle),
                  count(DISTINCT h.event_id) FILTER (WHERE list_contains(h.how, 'follow')),
                  count(DISTINCT h.event_id) FILTER (WHERE list_contains(h.how, 'report')),
                  count(DISTINCT h.event_id) FILTER (WHERE starts_with(h.event_id, 'p:')),
                  list(DISTINCT h.finding_id ORDER BY h.finding_id)
        FROM _ds_hit h LEFT JOIN accounts a ON a.account_id = h.actor
        GROUP BY h.actor ORDER BY count(DISTINCT h.finding_id) DESC, h.actor"""
    )
    return [
        {
            "account_id": actor,
            "handle": handle,
            "follows": int(f),
            "reports": int(r),
            "posts": int(p),
            "finding_ids": list(fids),
        }
        for actor, handle, f, r, p, fids in rows
    ]


def _related(ws: Workspace, tid: str, attackers: list[str]) -> list[dict[str, Any]]:
    """Findings that do not name the target but hold two or more of its attackers."""
    rows = ws.sql(
        """SELECT finding_id FROM findings
        WHERE NOT list_contains(targets, ?) AND len(list_intersect(accounts, ?)) >= 2
        ORDER BY len(list_intersect(accounts, ?)) DESC, finding_id LIMIT ?""",
        [tid, attackers, attackers, MAX_RELATED],
    )
    ids = [r[0] for r in rows]
    found = _finding_rows(ws, "finding_id IN (SELECT unnest(?))", [ids])
    inside = set(attackers)
    for f in found:
        f["overlap"] = len(inside.intersection(f["accounts"]))
    found.sort(key=lambda f: (-f["overlap"], f["finding_id"]))
    return found


def _related_claim(
    ws: Workspace, name: str, attackers: list[str], related: list[dict[str, Any]]
) -> Claim | None:
    if not related:
        return None
    ids = [f["finding_id"] for f in related]
    events = ws.sql(
        """SELECT DISTINCT u.event_id FROM evidence e, unnest(e.event_ids) AS u(event_id)
        JOIN activity a ON a.event_id = u.event_id
        WHERE e.finding_id IN (SELECT unnest(?)) AND a.actor IN (SELECT unnest(?))
        ORDER BY 1""",
        [ids, attackers],
    )
    members = {a for f in related for a in f["accounts"]} & set(attackers)
    kinds = Counter(f["kind"] for f in related)
    what = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    return Claim(
        "related",
        f"{len(members):,} of the {len(attackers):,} accounts acting against {name} also "
        f"appear in {count(len(related), 'other finding')} ({what})",
        ids,
        [e for (e,) in events],
    )


def _avatar_uri(ws: Workspace, accounts: list[str]) -> str | None:
    """A data URI of the first local avatar file of ``accounts`` (paths are relative to
    the folder the accounts were ingested from; nothing outside it is read)."""
    rows = ws.sql(
        """SELECT a.avatar, l.source FROM accounts a JOIN ingest_log l ON l.ingest_id = a._ingest
        WHERE a.account_id IN (SELECT unnest(?)) AND a.avatar IS NOT NULL
          AND NOT contains(a.avatar, '://') ORDER BY a.account_id""",
        [accounts],
    )
    for avatar, source in rows:
        folder = Path(source).resolve().parent
        path = (folder / avatar).resolve()
        kind = IMAGE_TYPES.get(path.suffix.lower())
        if (
            kind
            and path.is_relative_to(folder)
            and path.is_file()
            and path.stat().st_size <= MAX_AVATAR_BYTES
        ):
            return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    return None


def _image_groups(ws: Workspace, attackers: list[str]) -> list[tuple[str, int, tuple[str, ...]]]:
    """(image hash, accounts using it in the workspace, attackers using it), most used first,
    near-identical images grouped (:func:`separ.images.reused_avatars`)."""
    return [(r.hash, r.total, r.accounts) for r in reused_avatars(ws, attackers)]


def _avatars(
    ws: Workspace, name: str, attackers: list[str], related: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[Claim]]:
    groups = _image_groups(ws, attackers) if attackers else []
    tiles = [
        {
            "hash": h,
            "accounts": list(members),
            "count": len(members),
            "total": total,
            "image": _avatar_uri(ws, list(members)),
            "event_ids": [f"a:{m}" for m in members],
        }
        for h, total, members in groups[:MAX_TILES]
    ]
    if not groups:
        return tiles, []
    members = sorted({m for _, _, ms in groups for m in ms})
    events = {f"a:{m}" for m in members}
    fids = [
        f["finding_id"]
        for f in related
        if any(events.intersection(ev["event_ids"]) for ev in f["evidence"])
    ]
    total = sum(t for _, t, _ in groups)
    sizes = [len(ms) for _, _, ms in groups]
    return tiles, [
        Claim(
            "images",
            f"{len(members):,} of the {len(attackers):,} accounts acting against {name} share "
            f"{count(len(groups), 'profile image')} ({min(sizes)} to {max(sizes)} of them "
            f"each); in the whole workspace {'it is' if len(groups) == 1 else 'these are'} "
            f"used by {total:,} accounts",
            fids,
            sorted(events),
        )
    ]


def _campaigns(
    ws: Workspace, tid: str, name: str, attackers: list[str], finding_ids: list[str]
) -> tuple[list[dict[str, Any]], list[Claim]]:
    rows = ws.sql(
        """SELECT campaign_id, accounts, targets, layers, findings, window_start, window_end,
                  score, summary
        FROM campaigns WHERE list_contains(targets, ?) OR len(list_intersect(findings, ?)) > 0
        ORDER BY len(accounts) DESC, campaign_id""",
        [tid, finding_ids],
    )
    inside = set(attackers)
    out = [
        {
            "campaign_id": cid,
            "accounts": len(accounts),
            "overlap": len(inside.intersection(accounts)),
            "targets": list(targets),
            "layers": json.loads(layers) if isinstance(layers, str) else layers,
            "findings": list(fs),
            "window": [_iso(start), _iso(end)],
            "score": score,
            "summary": summary,
        }
        for cid, accounts, targets, layers, fs, start, end, score, summary in rows
    ]
    members = sorted(inside.intersection(a for r in rows for a in r[1]))
    if not members:
        return out, []
    events = ws.sql(
        "SELECT DISTINCT event_id FROM _ds_hit WHERE actor IN (SELECT unnest(?)) ORDER BY 1",
        [members],
    )
    sizes = ", ".join(f"{c['accounts']:,}" for c in out)
    return out, [
        Claim(
            "campaigns",
            f"{len(members):,} of the {len(attackers):,} accounts acting against {name} belong "
            f"to {count(len(out), 'campaign')} (of {sizes} accounts), clusters of accounts "
            "tied by several kinds of coordinated activity",
            sorted({f for c in out for f in c["findings"]} & set(finding_ids)),
            [e for (e,) in events],
        )
    ]


# -- the dossier ---------------------------------------------------------------------------


def _lead(ws: Workspace, name: str, findings: list[dict[str, Any]]) -> Claim | None:
    rows = ws.sql(
        """SELECT count(DISTINCT actor), min(ts), max(ts), list(DISTINCT event_id),
                  count(DISTINCT event_id) FILTER (WHERE list_contains(how, 'follow')),
                  count(DISTINCT event_id) FILTER (WHERE list_contains(how, 'report')),
                  count(DISTINCT event_id) FILTER (WHERE starts_with(event_id, 'p:'))
        FROM _ds_hit"""
    )
    accounts, first, last, events, follows, reports, posts = rows[0]
    if not accounts:
        return None
    detectors = sorted({f["detector"] for f in findings})
    acts = [
        count(n, word, words)
        for n, word, words in (
            (follows, "follow", "follows"),
            (reports, "report", "reports"),
            (posts, "reply or mention", "replies or mentions"),
        )
        if n
    ]
    when = dates(first, last) if first and last else "at unknown times"
    return Claim(
        "summary",
        f"{accounts:,} accounts acted against {name} {when} in ways that "
        f"{count(len(findings), 'finding')} of {count(len(detectors), 'detector')} "
        f"({', '.join(detectors)}) cite as evidence: {', '.join(acts)}",
        [f["finding_id"] for f in findings],
        list(events),
    )


def _mark_acts(ws: Workspace, findings: list[dict[str, Any]]) -> None:
    """Count, in each evidence entry, the events that are acts on the target."""
    acts = {e for (e,) in ws.sql("SELECT DISTINCT event_id FROM _ds_hit")}
    for f in findings:
        for e in f["evidence"]:
            e["on_target"] = len(acts.intersection(e["event_ids"]))


def _on_target(ws: Workspace) -> dict[str, tuple[list[str], int]]:
    """Per finding naming the target: its cited acts on the target and their actors."""
    return {
        fid: (list(events), int(n))
        for fid, events, n in ws.sql(
            "SELECT finding_id, list(event_id ORDER BY event_id), count(DISTINCT actor) "
            "FROM _ds_hit GROUP BY finding_id"
        )
    }


def _finding_claims(ws: Workspace, name: str, findings: list[dict[str, Any]]) -> list[Claim]:
    """One claim per finding naming the target (its own summary), citing the events of
    its evidence that are acts on the target (all its events when none is)."""
    on_target = _on_target(ws)
    claims = []
    for f in findings:
        events, acted = on_target.get(f["finding_id"], ([], 0))
        if not events:
            events = sorted({e for ev in f["evidence"] for e in ev["event_ids"]})
        text = f["summary"]
        if len(f["targets"]) > 1:
            text += f" ({acted:,} of its {len(f['accounts']):,} accounts acted on {name})"
        claims.append(Claim("findings", text, [f["finding_id"]], events))
    return claims


def _multi_target(ws: Workspace, name: str, findings: list[dict[str, Any]]) -> list[Claim]:
    """A summary line for each finding that names several targets at once (lockstep)."""
    on_target = _on_target(ws)
    out = []
    for f in findings:
        events, acted = on_target.get(f["finding_id"], ([], 0))
        if len(f["targets"]) > 1 and acted:
            out.append(
                Claim(
                    "summary",
                    f"{name} is one of {len(f['targets'])} accounts that the same accounts "
                    f"targeted together ({f['kind']}): {acted:,} of the finding's "
                    f"{len(f['accounts']):,} accounts acted on {name}",
                    [f["finding_id"]],
                    events,
                )
            )
    return out


def _known_events(ws: Workspace, claims: list[Claim]) -> None:
    """Keep only event ids that exist in ``activity`` (evidence must be checkable)."""
    wanted = sorted({e for c in claims for e in c.event_ids})
    known = {
        e
        for (e,) in ws.sql(
            "SELECT event_id FROM activity WHERE event_id IN (SELECT unnest(?))", [wanted]
        )
    }
    for c in claims:
        c.event_ids = sorted(set(c.event_ids) & known)


def build_dossier(ws: Workspace, target: str) -> dict[str, Any]:
    """The dossier of ``target`` (account id or handle) as a JSON-ready dict (see the
    module docstring). Reads only; runs on whatever findings are stored."""
    tid = resolve_target(ws, target)
    profile = _profile(ws, tid)
    name = profile["name"]
    _prepare(ws, tid)
    try:
        findings = _finding_rows(ws, "list_contains(targets, ?)", [tid])
        _mark_acts(ws, findings)
        attackers = _attackers(ws)
        accounts = _accounts(ws)
        per_finding = _finding_claims(ws, name, findings)
        claims = [c for c in [_lead(ws, name, findings)] if c]
        followers, found = _followers(ws, tid, name)
        claims += found
        reports, found = _reports(ws, tid, name)
        claims += found
        moderation, found = _moderation(ws, tid, name)
        claims += found
        replies, found = _replies(ws, tid, name, findings)
        claims += found
        claims += _multi_target(ws, name, findings)
        related = _related(ws, tid, attackers)
        avatars, found = _avatars(ws, name, attackers, related)
        claims += found
        campaigns, found = _campaigns(
            ws, tid, name, attackers, [f["finding_id"] for f in findings + related]
        )
        claims += found
        claims += [c for c in [_related_claim(ws, name, attackers, related)] if c]
    finally:
        _cleanup(ws)
    claims += per_finding
    for i, c in enumerate(claims, 1):
        c.id = f"claim-{i}"
    _known_events(ws, claims)
    headline = [c.text for c in claims if c.section != "findings"]
    if not findings:
        stored = ws.count("findings")
        headline = [
            f"No stored finding names {name} as a target "
            + (
                f"(among the {stored:,} findings in the workspace)"
                if stored
                else "(the workspace holds no findings: run 'separ detect' first)"
            )
        ]
    return {
        "format": FORMAT,
        "separ_version": __version__,
        "generated_at": _iso(datetime.now(UTC).replace(tzinfo=None)),
        "target": profile,
        "summary": ". ".join(headline) + ".",
        "claims": [c.as_json() for c in claims],
        "accounts": accounts,
        "sections": {
            "followers": followers,
            "avatars": avatars,
            "reports": reports,
            "moderation": moderation,
            "replies": replies,
            "campaigns": campaigns,
        },
        "findings": findings,
        "related_findings": related,
    }


# -- HTML ----------------------------------------------------------------------------------

RTL_RUN = re.compile(
    r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]"
    r"(?:[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\u200c\u200d\s\d«»،؛؟.!:()-]*"
    r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff])?"
)
"""A run of right-to-left text (with the spaces, digits, ZWNJ and punctuation inside it)."""


def isolate(text: object) -> Markup:
    """Escape ``text`` and wrap each right-to-left run in ``<bdi dir="rtl">``, so a Persian
    phrase inside an English sentence keeps its order and leaves the sentence's alone."""
    escaped = str(escape("" if text is None else str(text)))
    return Markup(RTL_RUN.sub(lambda m: f'<bdi dir="rtl">{m.group(0)}</bdi>', escaped))


def _when(text: str | None) -> str:
    return "" if not text else text.replace("T", " ").replace("Z", " UTC")


def _time_chart(part: dict[str, Any], bursts: list[dict[str, Any]], title: str) -> Markup:
    start = _unstamp(part["start"])
    series = [
        charts.Series("followers whose follows findings cite", part["cited"], charts.FLAGGED),
        charts.Series("other followers", part["other"], charts.OTHER),
    ]
    bands = [
        charts.Band(
            _unstamp(b["start"]),
            _unstamp(b["end"]),
            f"{b['followers']} in {duration(_unstamp(b['end']) - _unstamp(b['start']))}",
        )
        for b in bursts
    ]
    desc = (
        f"{sum(part['cited']):,} cited and {sum(part['other']):,} other new followers in bins "
        f"of {duration(part['bin_seconds'])} from {_when(part['start'])}"
    )
    return Markup(
        charts.time_bars(start, part["bin_seconds"], series, bands=bands, title=title, desc=desc)
    )


def _creation_chart(part: dict[str, Any], title: str) -> Markup:
    return Markup(
        charts.mirrored_histogram(
            _unstamp(part["start"]),
            part["bin_seconds"],
            charts.Series("followers whose follows findings cite", part["cited"], charts.FLAGGED),
            charts.Series("other followers", part["other"], charts.OTHER),
            title=title,
            desc=f"account creation dates in bins of {duration(part['bin_seconds'])}",
        )
    )


def _charts(d: dict[str, Any]) -> dict[str, Any]:
    """Every chart of the page as inline SVG, drawn from the JSON twin alone."""
    f = d["sections"]["followers"]
    out: dict[str, Any] = {"zooms": []}
    bursts = f["bursts"]
    if f["timeline"]:
        out["timeline"] = _time_chart(f["timeline"], bursts, "New followers over time")
        for i, z in enumerate(f["timeline"]["zooms"]):
            out["zooms"].append(_time_chart(z, bursts[i : i + 1], "The burst, close up"))
    if f["creation"]:
        out["creation"] = _creation_chart(f["creation"], "When the followers' accounts were made")
        if "zoom" in f["creation"]:
            out["creation_zoom"] = _creation_chart(
                f["creation"]["zoom"], "Around the cited followers' busiest week of creation"
            )
    m = f["map"]
    if m["position"]:
        out["map"] = Markup(
            charts.scatter(
                m["position"],
                [_unstamp(t) for t in m["created"]],
                m["cited"],
                labels=("followers whose follows findings cite", "other followers"),
                x_label="follow order (0 = earliest follower)",
                title="Follower map: follow order against account creation date",
                desc=f"{len(m['position']):,} followers; a horizontal streak of red points is "
                "a run of followers created together",
            )
        )
    out["tiles"] = {
        t["hash"]: Markup(charts.bit_grid(t["hash"].split(":")[-1]))
        for t in d["sections"]["avatars"]
        if not t["image"]
    }
    return out


def render_html(dossier: dict[str, Any]) -> str:
    """The dossier as one self-contained HTML page (from :func:`build_dossier`'s dict)."""
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )
    env.filters["bidi"] = isolate
    env.filters["when"] = _when
    env.filters["span"] = duration
    claims = defaultdict(list)
    for c in dossier["claims"]:
        claims[c["section"]].append(c)
    by_detector: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in dossier["findings"]:
        by_detector[f["detector"]].append(f)
    finding_claims = {c["finding_ids"][0]: c for c in claims["findings"]}
    return env.get_template("dossier.html.j2").render(
        d=dossier,
        t=dossier["target"],
        s=dossier["sections"],
        claims=claims,
        finding_claims=finding_claims,
        by_detector=dict(sorted(by_detector.items())),
        charts=_charts(dossier),
        max_events=MAX_EVENTS_SHOWN,
    )


def default_name(ws: Workspace, target: str) -> str:
    """``dossier-<handle or id>``: a file name for the dossier of ``target``."""
    name = account_name(ws, resolve_target(ws, target)).lstrip("@")
    return "dossier-" + re.sub(r"[^\w.-]", "_", name)


def dossier_paths(out: str | Path) -> tuple[Path, Path]:
    """``(FILE.html, FILE.json)`` for ``out`` given with or without either suffix."""
    out = Path(out)
    if out.suffix.lower() in (".html", ".htm", ".json"):
        out = out.with_suffix("")
    return out.with_name(out.name + ".html"), out.with_name(out.name + ".json")


def write_dossier(ws: Workspace, target: str, out: str | Path) -> tuple[Path, Path]:
    """Write the dossier of ``target`` as ``FILE.html`` and ``FILE.json`` (``out`` with or
    without a suffix; folders are created); returns both paths."""
    dossier = build_dossier(ws, target)
    html, js = dossier_paths(out)
    html.parent.mkdir(parents=True, exist_ok=True)
    js.write_text(json.dumps(dossier, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    html.write_text(render_html(dossier), encoding="utf-8")
    return html, js
