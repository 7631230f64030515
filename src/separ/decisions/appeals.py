"""Appeals: filed by the affected person, reviewed by someone who did not decide.

An appeal goes into the native ``appeals`` table (status ``open``); its review sets the
status (``upheld`` or ``overturned``), ``decided_at`` and ``reviewer``, and adds a row to
``reviews``. The reviewer must be a person other than whoever made the original decision:
the action's ``actor`` and any reviewer who approved the decision behind it (a
``reviews`` row whose ``decision_id`` the action cites in ``trigger_ref``). An overturn
restores the account (or the post): an ``actions`` row with ``action='restore'``,
``trigger='appeal'``, ``trigger_ref=[appeal_id]``, ``actor`` = the reviewer,
``automated=false``. Every step appends to the audit log in the same transaction.

A human restore then sticks: :func:`human_restored` tells automation that an account was
restored by a person, so that any new automated restriction goes to a person again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from separ.decisions import audit
from separ.errors import ParameterError
from separ.schema import APPEAL_STATUS, RESTRICTIONS
from separ.workspace import Workspace

Outcome = Literal["upheld", "overturned"]
OUTCOMES: tuple[str, ...] = ("upheld", "overturned")
AUTOMATED = "automated"
ACTION_COLUMNS = (
    "action_id, account_id, post_id, action, policy, created_at, actor, automated, "
    "trigger, trigger_ref, reason, ends_at"
)


@dataclass(frozen=True, slots=True)
class Action:
    """A row of the native ``actions`` table."""

    action_id: str
    account_id: str
    post_id: str | None
    action: str
    policy: str
    created_at: datetime
    actor: str
    automated: bool
    trigger: str | None
    trigger_ref: tuple[str, ...]
    reason: str | None
    ends_at: datetime | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Action:
        """An action from the values of :data:`ACTION_COLUMNS`, in that order."""
        aid, account, post, kind, policy, created, actor, auto, trig, ref, reason, ends = row
        return cls(
            aid, account, post, kind, policy, created, actor, bool(auto), trig,
            tuple(ref or ()), reason, ends,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Appeal:
    """A row of ``appeals`` with the account it concerns and its time to decision."""

    appeal_id: str
    action_id: str
    account_id: str | None
    filed_at: datetime
    statement: str | None
    status: str
    decided_at: datetime | None
    reviewer: str | None

    @property
    def hours_to_decision(self) -> float | None:
        if self.decided_at is None:
            return None
        return round((self.decided_at - self.filed_at).total_seconds() / 3600, 2)

    def as_json(self) -> dict[str, Any]:
        return {
            "appeal_id": self.appeal_id,
            "action_id": self.action_id,
            "account_id": self.account_id,
            "filed_at": audit.stamp(self.filed_at),
            "statement": self.statement,
            "status": self.status,
            "decided_at": audit.stamp(self.decided_at) if self.decided_at else None,
            "reviewer": self.reviewer,
            "hours_to_decision": self.hours_to_decision,
        }


@dataclass(frozen=True, slots=True)
class Review:
    """The outcome of an appeal: the updated appeal, the review row, the restore (if any)
    and the audit entries written."""

    review_id: str
    appeal: Appeal
    outcome: str
    reasons: str
    restore_action_id: str | None
    audit_seqs: tuple[int, ...]


def short_id(prefix: str, *parts: object) -> str:
    """A deterministic id: the same inputs give the same id."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()
    return f"{prefix}-{digest[:12]}"


# --- reading ---------------------------------------------------------------------------------


def get_actions(ws: Workspace, action_ids: Sequence[str]) -> dict[str, Action]:
    """The actions with these ids that exist (one query)."""
    rows = ws.sql(
        f"SELECT DISTINCT ON (action_id) {ACTION_COLUMNS} FROM actions "
        "WHERE action_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY action_id, created_at",
        [list(action_ids)],
    )
    return {str(row[0]): Action.from_row(row) for row in rows}


def get_action(ws: Workspace, action_id: str) -> Action:
    found = get_actions(ws, [action_id])
    if action_id not in found:
        raise ParameterError(f"no action {action_id!r} in the workspace")
    return found[action_id]


APPEAL_QUERY = (
    "SELECT p.appeal_id, p.action_id, a.account_id, p.filed_at, p.statement, "
    "coalesce(p.status, 'open'), p.decided_at, p.reviewer FROM appeals p "
    "LEFT JOIN (SELECT DISTINCT ON (action_id) action_id, account_id FROM actions) a "
    "USING (action_id)"
)


def get_appeal(ws: Workspace, appeal_id: str) -> Appeal:
    rows = ws.sql(f"{APPEAL_QUERY} WHERE p.appeal_id = ? LIMIT 1", [appeal_id])
    if not rows:
        raise ParameterError(f"no appeal {appeal_id!r} in the workspace")
    return Appeal(*rows[0])


def list_appeals(
    ws: Workspace, status: str | None = None, *, account: str | None = None
) -> list[Appeal]:
    """Appeals (the platform's own and Separ's), oldest first, by status and account."""
    where: list[str] = []
    params: list[Any] = []
    if status is not None:
        if status not in APPEAL_STATUS:
            raise ParameterError(
                f"status must be one of {', '.join(APPEAL_STATUS)}, not {status!r}"
            )
        where.append("coalesce(p.status, 'open') = ?")
        params.append(status)
    if account is not None:
        where.append("a.account_id = ?")
        params.append(account)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = ws.sql(f"{APPEAL_QUERY}{clause} ORDER BY p.filed_at, p.appeal_id", params)
    return [Appeal(*r) for r in rows]


def deciders(ws: Workspace, action: Action) -> set[str]:
    """Who made the original decision: the action's actor and the reviewers who approved
    the decision the action cites (``reviews`` rows of a cited ``decision_id``)."""
    people = {action.actor}
    if action.trigger_ref:
        rows = ws.sql(
            "SELECT DISTINCT reviewer FROM reviews WHERE list_contains(?, decision_id) "
            "AND reviewer IS NOT NULL",
            [list(action.trigger_ref)],
        )
        people |= {r[0] for r in rows}
    return people


# --- writing ---------------------------------------------------------------------------------


def file_appeal(
    ws: Workspace, action_id: str, statement: str, at: datetime | None = None
) -> Appeal:
    """File an appeal against a restriction; one open appeal per action at a time."""
    action = get_action(ws, action_id)
    if action.action not in RESTRICTIONS:
        raise ParameterError(f"action {action_id} is a {action.action}, not a restriction")
    filed_at = audit.naive_utc(at) if at is not None else audit.now()
    if filed_at < action.created_at:
        raise ParameterError(f"an appeal cannot be filed before action {action_id} was taken")
    rows = ws.sql(
        "SELECT appeal_id FROM appeals WHERE action_id = ? AND coalesce(status, 'open') = 'open'",
        [action_id],
    )
    if rows:
        raise ParameterError(f"action {action_id} already has an open appeal, {rows[0][0]}")
    appeal_id = short_id("ap", action_id, audit.stamp(filed_at), statement)
    with ws.transaction():
        ws.con.execute(
            "INSERT INTO appeals (appeal_id, action_id, filed_at, statement, status) "
            "VALUES (?, ?, ?, ?, 'open')",
            [appeal_id, action_id, filed_at, statement],
        )
        detail = {
            "account_id": action.account_id,
            "appeal_id": appeal_id,
            "action_id": action_id,
            "inputs": {"statement": statement, "action": action.action, "policy": action.policy},
            "outcome": "open",
        }
        audit.append(ws, action.account_id, "appeal.file", action.account_id, detail, at=filed_at)
    return get_appeal(ws, appeal_id)


def review_appeal(
    ws: Workspace,
    appeal_id: str,
    reviewer: str,
    outcome: Outcome,
    reasons: str,
    at: datetime | None = None,
) -> Review:
    """Decide an open appeal. The reviewer is a person who did not make the original
    decision; an overturn restores the account (or post) and is logged."""
    if outcome not in OUTCOMES:
        raise ParameterError(f"outcome must be 'upheld' or 'overturned', not {outcome!r}")
    if not reviewer or reviewer == AUTOMATED:
        raise ParameterError("an appeal is reviewed by a person: give the reviewer's id")
    if not reasons or not reasons.strip():
        raise ParameterError("a review needs its reasons, in words the appellant can read")
    appeal = get_appeal(ws, appeal_id)
    if appeal.status != "open":
        raise ParameterError(f"appeal {appeal_id} was already decided: {appeal.status}")
    action = get_action(ws, appeal.action_id)
    if reviewer == action.account_id:
        raise ParameterError("the appellant cannot review their own appeal")
    if reviewer in deciders(ws, action):
        raise ParameterError(
            f"{reviewer} made the original decision on action {action.action_id}: "
            "another person must review the appeal"
        )
    decided_at = audit.naive_utc(at) if at is not None else audit.now()
    if decided_at < appeal.filed_at:
        raise ParameterError(f"a review cannot precede the appeal it decides ({appeal_id})")
    review_id = short_id("rv", appeal_id, reviewer, outcome, audit.stamp(decided_at))
    restore_id = (
        short_id("rs", appeal_id, audit.stamp(decided_at)) if outcome == "overturned" else None
    )
    with ws.transaction():
        ws.con.execute(
            "UPDATE appeals SET status = ?, decided_at = ?, reviewer = ? WHERE appeal_id = ?",
            [outcome, decided_at, reviewer, appeal_id],
        )
        ws.con.execute(
            "INSERT INTO reviews (review_id, decision_id, action_id, reviewer, outcome, reasons, "
            "created_at) VALUES (?, NULL, ?, ?, ?, ?, ?)",
            [review_id, action.action_id, reviewer, outcome, reasons, decided_at],
        )
        detail = {
            "account_id": action.account_id,
            "appeal_id": appeal_id,
            "action_id": action.action_id,
            "review_id": review_id,
            "inputs": {
                "original_actor": action.actor,
                "original_automated": action.automated,
                "filed_at": audit.stamp(appeal.filed_at),
            },
            "outcome": outcome,
            "reasons": reasons,
            "hours_to_decision": round((decided_at - appeal.filed_at).total_seconds() / 3600, 2),
            "restore_action_id": restore_id,
        }
        seqs = [
            audit.append(
                ws, reviewer, "appeal.review", action.account_id, detail, at=decided_at
            ).seq
        ]
        if restore_id is not None:
            seqs.append(_restore(ws, action, appeal_id, restore_id, reviewer, reasons, decided_at))
    return Review(review_id, get_appeal(ws, appeal_id), outcome, reasons, restore_id, tuple(seqs))


def _restore(
    ws: Workspace,
    action: Action,
    appeal_id: str,
    restore_id: str,
    reviewer: str,
    reasons: str,
    at: datetime,
) -> int:
    """The restore row of an overturned appeal, and its audit entry; returns the seq."""
    ws.con.execute(
        "INSERT INTO actions (action_id, account_id, post_id, action, policy, created_at, actor, "
        "automated, trigger, trigger_ref, reason) "
        "VALUES (?, ?, ?, 'restore', ?, ?, ?, false, 'appeal', ?, ?)",
        [
            restore_id,
            action.account_id,
            action.post_id,
            action.policy,
            at,
            reviewer,
            [appeal_id],
            f"appeal granted: {reasons}",
        ],
    )
    detail = {
        "account_id": action.account_id,
        "post_id": action.post_id,
        "action_id": restore_id,
        "restores": action.action_id,
        "inputs": {"appeal_id": appeal_id},
        "outcome": "restore",
        "automated": False,
    }
    entry = audit.append(ws, reviewer, "action.restore", action.account_id, detail, at=at)
    return entry.seq


# --- the human restore sticks ----------------------------------------------------------------

STICKY = (
    "SELECT DISTINCT r.account_id FROM actions r WHERE r.action = 'restore' "
    "AND NOT coalesce(r.automated, false) AND r.actor <> 'automated' {when} "
    "AND NOT EXISTS (SELECT 1 FROM actions x WHERE x.account_id = r.account_id "
    "AND x.action IN ('suspend', 'remove', 'limit', 'label', 'warn') "
    "AND NOT coalesce(x.automated, false) AND x.actor <> 'automated' "
    "AND x.created_at > r.created_at {when_x})"
)


def restored_accounts(ws: Workspace, at: datetime | None = None) -> set[str]:
    """Accounts whose last human decision (as of ``at``) was a restore, of the account or
    of one of its posts: automation must not restrict them without a person."""
    params: list[Any] = []
    when = when_x = ""
    if at is not None:
        when, when_x = "AND r.created_at <= ?", "AND x.created_at <= ?"
        params = [audit.naive_utc(at), audit.naive_utc(at)]
    rows = ws.sql(STICKY.format(when=when, when_x=when_x), params)
    return {r[0] for r in rows}


def human_restored(ws: Workspace, account_id: str, at: datetime | None = None) -> bool:
    """True when a person restored this account (or one of its posts), as of ``at``, and
    no person restricted it since: an automated action on it then needs a human again."""
    params: list[Any] = [account_id]
    when = when_x = ""
    if at is not None:
        when, when_x = "AND r.created_at <= ?", "AND x.created_at <= ?"
        params = [account_id, audit.naive_utc(at), audit.naive_utc(at)]
    query = STICKY.format(when=f"AND r.account_id = ? {when}", when_x=when_x)
    return bool(ws.sql(query, params))
