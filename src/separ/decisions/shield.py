"""The shield: protective actions for one target under attack, from stored findings
(method in docs/gate.md, section "Shield").

- **Followers to remove** from the target's follower list: members of ``follow_swarm``
  and ``lockstep`` findings naming the target whose follow of it the finding cites.
- **Notifications to mute**: members of ``reply_swarm`` findings naming the target, with
  the threatening posts the finding cites.
- **Reports to discount**: the reports ``report_brigade`` attributes to a brigade against
  the target (:func:`~separ.detectors.brigade.brigade_reports`), and their reporters.

Every item cites the finding ids and activity event ids behind it. :func:`ozone_events`
turns a shield into request bodies for Bluesky Ozone's ``tools.ozone.moderation.emitEvent``
(``#modEventLabel`` for swarm and reply accounts, ``#modEventMuteReporter`` for brigade
reporters), for operators of a labeler. Reads only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from separ.errors import ParameterError
from separ.workspace import Workspace

SWARMS = ("follow_swarm", "lockstep")
REPLIES = ("reply_swarm",)
LABEL_FOLLOW = "separ-follow-swarm"
LABEL_REPLY = "separ-reply-swarm"
MUTE_HOURS = 30 * 24
"""Default length of a reporter mute: long enough to outlast a campaign, never permanent."""
DID = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]+$")
LABEL = re.compile(r"^[a-z-]{1,128}$")
EVENTS = "tools.ozone.moderation.defs"
REPO_REF = "com.atproto.admin.defs#repoRef"


@dataclass(slots=True)
class Item:
    """One account (or report) to act on, with the findings and events behind it."""

    id: str
    findings: list[str]
    event_ids: list[str]


@dataclass(slots=True)
class Shield:
    target: str
    remove_followers: list[Item] = field(default_factory=list)
    mute_notifications: list[Item] = field(default_factory=list)
    discount_reports: list[Item] = field(default_factory=list)
    mute_reporters: list[Item] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if not (self.remove_followers or self.mute_notifications or self.discount_reports):
            return f"No stored finding names {self.target} as the target of an attack."
        return (
            f"For {self.target}: remove {len(self.remove_followers)} swarm followers, mute "
            f"notifications from {len(self.mute_notifications)} reply-swarm accounts, and "
            f"discount {len(self.discount_reports)} brigade reports from "
            f"{len(self.mute_reporters)} reporters."
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"summary": self.summary}


def shield(ws: Workspace, target: str) -> Shield:
    """The protective actions for ``target`` from the findings stored in ``ws``."""
    from separ.detectors.brigade import brigade_reports

    out = Shield(str(target))
    out.remove_followers = _items(
        ws,
        """SELECT substr(u.e, 3, strpos(u.e, '>') - 3) AS account,
                  list(DISTINCT f.finding_id ORDER BY f.finding_id), list(DISTINCT u.e ORDER BY u.e)
        FROM findings f JOIN evidence e USING (finding_id), unnest(e.event_ids) AS u(e)
        WHERE f.detector IN (SELECT unnest(?)) AND list_contains(f.targets, ?)
          AND starts_with(u.e, 'f:') AND ends_with(u.e, '>' || ?)
          AND list_contains(f.accounts, substr(u.e, 3, strpos(u.e, '>') - 3))
        GROUP BY account ORDER BY account""",
        [list(SWARMS), out.target, out.target],
    )
    out.mute_notifications = _items(
        ws,
        """SELECT m.account, list(DISTINCT f.finding_id ORDER BY f.finding_id),
                  list(DISTINCT u.e ORDER BY u.e) FILTER (WHERE p.account_id = m.account)
        FROM findings f, unnest(f.accounts) AS m(account)
        JOIN evidence e ON e.finding_id = f.finding_id, unnest(e.event_ids) AS u(e)
        LEFT JOIN posts p ON starts_with(u.e, 'p:') AND p.post_id = substr(u.e, 3)
        WHERE f.detector IN (SELECT unnest(?)) AND list_contains(f.targets, ?)
        GROUP BY m.account ORDER BY m.account""",
        [list(REPLIES), out.target],
    )
    reports = brigade_reports(ws, out.target)
    ws.con.register("_shd_rep", reports)
    try:
        out.discount_reports = _items(
            ws,
            """SELECT b.report_id, list(DISTINCT b.finding_id ORDER BY b.finding_id),
                      ['r:' || b.report_id]
            FROM _shd_rep b GROUP BY b.report_id ORDER BY b.report_id""",
            [],
        )
        out.mute_reporters = _items(
            ws,
            """SELECT r.reporter_id, list(DISTINCT b.finding_id ORDER BY b.finding_id),
                      list(DISTINCT 'r:' || b.report_id ORDER BY 'r:' || b.report_id)
            FROM _shd_rep b JOIN reports r USING (report_id)
            GROUP BY r.reporter_id ORDER BY r.reporter_id""",
            [],
        )
    finally:
        ws.con.unregister("_shd_rep")
    return out


def _items(ws: Workspace, query: str, params: list[Any]) -> list[Item]:
    return [Item(str(i), list(f), list(e or [])) for i, f, e in ws.sql(query, params)]


def ozone_events(
    protection: Shield,
    created_by: str,
    *,
    did_of: Callable[[str], str] | None = None,
    follow_label: str = LABEL_FOLLOW,
    reply_label: str = LABEL_REPLY,
    mute_hours: int = MUTE_HOURS,
) -> list[dict[str, Any]]:
    """Request bodies for ``tools.ozone.moderation.emitEvent``: a ``#modEventLabel``
    applying ``follow_label`` to each swarm follower and ``reply_label`` to each
    reply-swarm account, and a ``#modEventMuteReporter`` for ``mute_hours`` per brigade
    reporter. ``created_by`` is the labeler's DID; ``did_of`` maps an account id to its
    DID (default: the id itself, which must already be a DID, as in Bluesky data)."""
    if not DID.match(created_by):
        raise ParameterError(f"createdBy must be a DID (did:plc:...), not {created_by!r}")
    for label in (follow_label, reply_label):
        if not LABEL.match(label):
            raise ParameterError(f"label value {label!r} must be lowercase letters and '-'")
    if mute_hours < 1:
        raise ParameterError("mute_hours must be a whole number >= 1")
    to_did = did_of or (lambda account: account)
    events: list[dict[str, Any]] = []

    def emit(account: str, event: dict[str, Any]) -> None:
        did = to_did(account)
        if not DID.match(did):
            raise ParameterError(f"account {account!r} has no DID: pass did_of")
        events.append(
            {"event": event, "subject": {"$type": REPO_REF, "did": did}, "createdBy": created_by}
        )

    def comment(what: str, item: Item) -> str:
        return f"Separ shield for {protection.target}: {what} ({', '.join(item.findings)})"

    for item in protection.remove_followers:
        emit(item.id, _label(follow_label, comment("follow swarm", item)))
    for item in protection.mute_notifications:
        emit(item.id, _label(reply_label, comment("threat reply swarm", item)))
    for item in protection.mute_reporters:
        emit(
            item.id,
            {
                "$type": f"{EVENTS}#modEventMuteReporter",
                "comment": comment(f"{len(item.event_ids)} brigade reports", item),
                "durationInHours": mute_hours,
            },
        )
    return events


def _label(value: str, comment: str) -> dict[str, Any]:
    return {
        "$type": f"{EVENTS}#modEventLabel",
        "comment": comment,
        "createLabelVals": [value],
        "negateLabelVals": [],
    }
