"""The accounts acting against the target: their replies, their other findings,
the profile images they share, and the campaigns they belong to."""

from __future__ import annotations

import base64
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from separ.exports.dossier.common import (
    HOW,
    IMAGE_TYPES,
    MAX_AVATAR_BYTES,
    MAX_EXCERPTS,
    MAX_RELATED,
    MAX_TILES,
    Claim,
    iso,
    text_dir,
)
from separ.exports.dossier.target import finding_rows
from separ.images import reused_avatars
from separ.wording import count, dates
from separ.workspace import Workspace

# -- replies -------------------------------------------------------------------------------


def replies_section(
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
            {"event_id": event, "created_at": iso(ts), "text": text, "dir": text_dir(lang)}
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
                        "created_at": iso(ts),
                        "how": list(how),
                        "text": (text or "")[:280],
                        "dir": text_dir(lang),
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


def find_attackers(ws: Workspace) -> list[str]:
    return [a for (a,) in ws.sql("SELECT DISTINCT actor FROM _ds_hit ORDER BY actor")]


def accounts_section(ws: Workspace) -> list[dict[str, Any]]:
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


def related_section(ws: Workspace, tid: str, attackers: list[str]) -> list[dict[str, Any]]:
    """Findings that do not name the target but hold two or more of its attackers."""
    rows = ws.sql(
        """SELECT finding_id FROM findings
        WHERE NOT list_contains(targets, ?) AND len(list_intersect(accounts, ?)) >= 2
        ORDER BY len(list_intersect(accounts, ?)) DESC, finding_id LIMIT ?""",
        [tid, attackers, attackers, MAX_RELATED],
    )
    ids = [r[0] for r in rows]
    found = finding_rows(ws, "finding_id IN (SELECT unnest(?))", [ids])
    inside = set(attackers)
    for f in found:
        f["overlap"] = len(inside.intersection(f["accounts"]))
    found.sort(key=lambda f: (-f["overlap"], f["finding_id"]))
    return found


def related_claim(
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


def avatars_section(
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


def campaigns_section(
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
            "window": [iso(start), iso(end)],
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
