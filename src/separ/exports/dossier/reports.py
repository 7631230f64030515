"""The reports section (which reports findings attribute to a brigade) and the
platform's actions against the target."""

from __future__ import annotations

from collections import Counter
from typing import Any

from separ.exports.dossier.common import MAX_REPORT_ROWS, Claim, iso
from separ.wording import count, dates, day, percent
from separ.workspace import Workspace


def reports_section(ws: Workspace, tid: str, name: str) -> tuple[dict[str, Any], list[Claim]]:
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
                "created_at": iso(ts),
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


def moderation_section(
    ws: Workspace, tid: str, name: str
) -> tuple[list[dict[str, Any]], list[Claim]]:
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
                "created_at": iso(ts),
                "actor": actor,
                "automated": auto,
                "trigger": trigger,
                "reason": reason,
                "ends_at": iso(ends),
                "post_id": post,
                "trigger_ref": list(refs),
                "attributed_reports": list(cited),
                "finding_ids": sorted(set(fids)),
                "appeal": status,
                "appeal_decided_at": iso(decided),
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
