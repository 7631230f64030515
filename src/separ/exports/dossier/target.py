"""The target account: resolving it, its profile, the findings about it, and the
temporary ``_ds_`` tables every section reads."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from separ.errors import ParameterError
from separ.exports.dossier.common import iso, text_dir
from separ.wording import account_name
from separ.workspace import Workspace


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


def target_profile(ws: Workspace, tid: str) -> dict[str, Any]:
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
        "display_dir": text_dir(lang) if display else "auto",
        "created_at": iso(created),
        "followers_count": followers,
        "followers_in_data": int(in_data),
        "registers": [{"register": r, "kind": k, "source": s} for r, k, s in registers],
    }


# -- temporary tables ----------------------------------------------------------------------


def prepare(ws: Workspace, tid: str) -> None:
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


def cleanup(ws: Workspace) -> None:
    for name in ("_ds_find", "_ds_touch", "_ds_hit", "_ds_follow"):
        ws.con.execute(f"DROP TABLE IF EXISTS {name}")


# -- findings ------------------------------------------------------------------------------


def finding_rows(ws: Workspace, where: str, params: list[Any]) -> list[dict[str, Any]]:
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
            "window": [iso(start), iso(end)],
            "score": score,
            "significance": sig,
            "summary": summary,
            "evidence": evidence[fid],
        }
        for fid, det, kind, accounts, targets, start, end, score, sig, summary in rows
    ]
