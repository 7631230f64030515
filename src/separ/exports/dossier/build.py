"""``build_dossier``: the lead, the numbered claims and the JSON twin."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from separ import __version__
from separ.exports.dossier.accounts import (
    accounts_section,
    avatars_section,
    campaigns_section,
    find_attackers,
    related_claim,
    related_section,
    replies_section,
)
from separ.exports.dossier.common import FORMAT, Claim, iso
from separ.exports.dossier.followers import followers_section
from separ.exports.dossier.reports import moderation_section, reports_section
from separ.exports.dossier.target import (
    cleanup,
    finding_rows,
    prepare,
    resolve_target,
    target_profile,
)
from separ.wording import count, dates
from separ.workspace import Workspace


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
    profile = target_profile(ws, tid)
    name = profile["name"]
    prepare(ws, tid)
    try:
        findings = finding_rows(ws, "list_contains(targets, ?)", [tid])
        _mark_acts(ws, findings)
        attackers = find_attackers(ws)
        accounts = accounts_section(ws)
        per_finding = _finding_claims(ws, name, findings)
        claims = [c for c in [_lead(ws, name, findings)] if c]
        followers, found = followers_section(ws, tid, name)
        claims += found
        reports, found = reports_section(ws, tid, name)
        claims += found
        moderation, found = moderation_section(ws, tid, name)
        claims += found
        replies, found = replies_section(ws, tid, name, findings)
        claims += found
        claims += _multi_target(ws, name, findings)
        related = related_section(ws, tid, attackers)
        avatars, found = avatars_section(ws, name, attackers, related)
        claims += found
        campaigns, found = campaigns_section(
            ws, tid, name, attackers, [f["finding_id"] for f in findings + related]
        )
        claims += found
        claims += [c for c in [related_claim(ws, name, attackers, related)] if c]
    finally:
        cleanup(ws)
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
        "generated_at": iso(datetime.now(UTC).replace(tzinfo=None)),
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
