"""The enforcement gate: before a restriction happens, answer ``allow``, ``review`` or
``reject`` with reasons (principle 5, *fail safe toward people*; method and measured
quality in docs/gate.md).

The gate reads what the detectors stored (findings, evidence, campaigns), the registers
and the platform's own history, and never runs a detector itself. Its rules, in order of
strength (``reject`` beats ``review`` beats ``allow``):

- **Discounted reports.** A cited report is discounted when ``report_brigade`` attributes
  it to a brigade (:func:`~separ.detectors.brigade.brigade_reports`), or its reporter is a
  member of any stored finding or campaign. With trigger ``report``, when the reports
  left no longer meet what the trigger needs (every cited report for an automated rule,
  unless ``report_threshold`` says how many; one for a human), the answer is ``reject``
  when none are left and automation proposed it, else ``review``.
- **Protected accounts** (the ``protected`` register) need two different human reviewers
  for any restriction: ``review`` with ``reviewers_needed = 2``.
- **A human restore sticks**: an account (or one of its posts) whose last human decision
  was a restore is not restricted by automation again without a human (the same rule as
  :func:`separ.decisions.appeals.human_restored`; automated restrictions since do not end
  it).
- **Missing input is review, never allow**: an unknown account, cited reports that do not
  exist, no stored findings at all (detectors never ran), a detector error, an automated
  restriction with neither reports nor a finding behind it, or one against an account
  that stored findings name as the *target* of an attack.

The facts behind every rule are gathered in SQL for a whole batch of requests at once, so
:func:`replay` puts the platform's whole moderation history through the same code as one
:func:`gate` call.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa

from separ.decisions import audit
from separ.errors import ParameterError
from separ.schema import RESTRICTIONS
from separ.workspace import Workspace

Outcome = Literal["allow", "review", "reject"]
RANK: dict[str, int] = {"allow": 0, "review": 1, "reject": 2}
ATTACKS = ("follow_swarm", "reply_swarm", "report_brigade", "lockstep")
"""Detectors whose findings' ``targets`` are accounts under attack."""
MOST_LISTED = 3
"""Most finding or campaign ids named in one reason."""


@dataclass(slots=True)
class GateDecision:
    """The gate's answer: ``outcome``, the ``reasons`` in plain words, the reports it
    discounted, and how many different human reviewers must look (0 when allowed or
    rejected)."""

    outcome: Outcome
    reasons: list[str]
    discounted_reports: list[str] = field(default_factory=list)
    reviewers_needed: int = 0
    sources: list[str] = field(default_factory=list)  # finding and campaign ids it rests on
    decision_id: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Request:
    """One proposed enforcement. ``at`` evaluates it as of that time (the replay); None
    means now, with everything recorded."""

    account_id: str
    policy: str
    trigger: str
    reports: tuple[str, ...] = ()
    post_id: str | None = None
    proposed: str = "suspend"
    automated: bool = True
    at: datetime | None = None


@dataclass(slots=True)
class Facts:
    """What the workspace says about one request (gathered in SQL)."""

    known: bool = False
    protected: str | None = None  # the register's kinds, when protected
    affiliated: bool = False
    restored: bool = False
    member_of: list[str] = field(default_factory=list)
    attacked_by: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # cited reports not in `reports`
    elsewhere: list[str] = field(default_factory=list)  # cited reports on other accounts
    discounted: list[str] = field(default_factory=list)
    discount_sources: list[str] = field(default_factory=list)
    counted: int = 0  # cited reports left after discounting


# --- public API ----------------------------------------------------------------------------


def gate(
    ws: Workspace,
    account_id: str,
    policy: str,
    trigger: str,
    reports: list[str] | None = None,
    post_id: str | None = None,
    proposed: str = "suspend",
    automated: bool = True,
    *,
    decided_by: str = "separ-gate",
    report_threshold: int | None = None,
    detector_errors: Sequence[str] = (),
) -> GateDecision:
    """Weigh one proposed enforcement, store the answer in ``decisions`` and append it to
    the audit log. ``detector_errors`` names detectors that failed upstream (each forces
    review); ``report_threshold`` is how many reports an automated report rule needs
    (None: every report it cites)."""
    if proposed not in (*RESTRICTIONS, "restore"):
        raise ParameterError(
            f"unknown action {proposed!r} (one of {', '.join((*RESTRICTIONS, 'restore'))})"
        )
    request = Request(
        str(account_id),
        policy,
        trigger,
        tuple(str(r) for r in reports or ()),
        None if post_id is None else str(post_id),
        proposed,
        automated,
    )
    decision = evaluate(ws, [request], report_threshold, detector_errors)[0]
    record(ws, request, decision, decided_by)
    return decision


def gate_json(ws: Workspace, request: Mapping[str, Any]) -> dict[str, Any]:
    """JSON in, JSON out: ``{"account_id", "policy", "trigger", "reports"?, "post_id"?,
    "proposed"?, "automated"?, "decided_by"?, "report_threshold"?, "detector_errors"?}``
    gives ``{"outcome", "reasons", "discounted_reports", "reviewers_needed",
    "decision_id"}``. A malformed request is a ``ParameterError`` naming the field."""
    for name in ("account_id", "policy", "trigger"):
        if not isinstance(request.get(name), str | int) or request.get(name) == "":
            raise ParameterError(f"gate request: {name!r} is required (a string)")
    reports = request.get("reports") or []
    if isinstance(reports, str):
        reports = [r for r in reports.split(",") if r.strip()]
    if not isinstance(reports, list):
        raise ParameterError("gate request: 'reports' must be a list of report ids")
    threshold = request.get("report_threshold")
    if threshold is not None and (not isinstance(threshold, int) or threshold < 1):
        raise ParameterError("gate request: 'report_threshold' must be a whole number >= 1")
    errors = request.get("detector_errors") or []
    if not isinstance(errors, list):
        raise ParameterError("gate request: 'detector_errors' must be a list of names")
    decision = gate(
        ws,
        str(request["account_id"]),
        str(request["policy"]),
        str(request["trigger"]),
        [str(r).strip() for r in reports],
        request.get("post_id"),
        str(request.get("proposed", "suspend")),
        bool(request.get("automated", True)),
        decided_by=str(request.get("decided_by", "separ-gate")),
        report_threshold=threshold,
        detector_errors=[str(e) for e in errors],
    )
    return decision.as_json()


def evaluate(
    ws: Workspace,
    requests: Sequence[Request],
    report_threshold: int | None = None,
    detector_errors: Sequence[str] = (),
) -> list[GateDecision]:
    """The gate's answers for a batch of requests, in order; reads only."""
    errors = [f"detector {name} failed: its findings are missing" for name in detector_errors]
    try:
        facts = gather(ws, requests)
        findings = int(ws.sql("SELECT count(*) FROM findings")[0][0])
    except duckdb.Error as exc:
        errors.append(f"the workspace could not be read ({str(exc).splitlines()[0]})")
        facts, findings = [Facts(known=True) for _ in requests], -1
    if findings == 0:
        errors.append(
            "no detector findings are stored (detectors never ran): brigades and campaigns "
            "cannot be discounted"
        )
    return [decide(r, f, errors, report_threshold) for r, f in zip(requests, facts, strict=True)]


# --- facts -----------------------------------------------------------------------------------


def gather(ws: Workspace, requests: Sequence[Request]) -> list[Facts]:
    """The facts behind every rule, for all requests at once (temp tables ``_gate_*``)."""
    from separ.detectors.brigade import brigade_reports

    con = ws.con
    req = pa.table(
        {
            "req": pa.array(range(len(requests)), pa.int64()),
            "account_id": pa.array([r.account_id for r in requests], pa.string()),
            "reports": pa.array([list(r.reports) for r in requests], pa.list_(pa.string())),
            "at": pa.array([_naive(r.at) for r in requests], pa.timestamp("us")),
        }
    )
    brigade = brigade_reports(ws)
    try:
        con.register("_gate_in", req)
        con.register("_gate_brig_in", brigade)
        con.execute("CREATE OR REPLACE TEMP TABLE _gate_req AS SELECT * FROM _gate_in")
        con.execute("CREATE OR REPLACE TEMP TABLE _gate_brig AS SELECT * FROM _gate_brig_in")
        _members(ws)
        facts = [Facts() for _ in requests]
        _account_facts(ws, facts)
        _report_facts(ws, facts)
        return facts
    finally:
        con.unregister("_gate_in")
        con.unregister("_gate_brig_in")
        for temp in ("_gate_req", "_gate_brig", "_gate_members", "_gate_rep"):
            con.execute(f"DROP TABLE IF EXISTS {temp}")


def _members(ws: Workspace) -> None:
    """``_gate_members(account, source)``: accounts in stored findings and campaigns."""
    ws.con.execute(
        """CREATE OR REPLACE TEMP TABLE _gate_members AS
        SELECT DISTINCT account, source FROM (
            SELECT unnest(accounts) AS account, finding_id AS source FROM findings
            UNION ALL SELECT unnest(accounts), campaign_id FROM campaigns)"""
    )


def _account_facts(ws: Workspace, facts: list[Facts]) -> None:
    attacks = ", ".join(f"'{d}'" for d in ATTACKS)
    rows = ws.sql(
        f"""WITH
        known AS (SELECT DISTINCT q.req FROM _gate_req q
                  JOIN accounts a ON a.account_id = q.account_id),
        reg AS (SELECT q.req,
                       string_agg(DISTINCT coalesce(g.kind, 'unspecified'), ', ' ORDER BY
                                  coalesce(g.kind, 'unspecified'))
                           FILTER (WHERE g.register = 'protected') AS prot,
                       bool_or(g.register = 'affiliated') AS affil
                FROM _gate_req q JOIN registers g ON g.account_id = q.account_id
                GROUP BY q.req),
        hist AS (SELECT q.req,
                        max(a.created_at) FILTER (WHERE a.action <> 'restore') AS restricted,
                        max(a.created_at) FILTER (WHERE a.action = 'restore') AS restored
                 FROM _gate_req q JOIN actions a ON a.account_id = q.account_id
                 WHERE (q.at IS NULL OR a.created_at < q.at)
                   AND NOT coalesce(a.automated, false) AND coalesce(a.actor, '') <> 'automated'
                 GROUP BY q.req),
        member AS (SELECT q.req, list(DISTINCT m.source ORDER BY m.source) AS sources
                   FROM _gate_req q JOIN _gate_members m ON m.account = q.account_id
                   GROUP BY q.req),
        attacked AS (SELECT q.req, list(DISTINCT t.finding_id ORDER BY t.finding_id) AS ids
                     FROM _gate_req q JOIN (
                         SELECT finding_id, unnest(targets) AS target FROM findings
                         WHERE detector IN ({attacks})) t ON t.target = q.account_id
                     GROUP BY q.req)
        SELECT q.req, k.req IS NOT NULL, r.prot, coalesce(r.affil, false), h.restricted,
               h.restored, m.sources, x.ids
        FROM _gate_req q LEFT JOIN known k USING (req) LEFT JOIN reg r USING (req)
        LEFT JOIN hist h USING (req) LEFT JOIN member m USING (req)
        LEFT JOIN attacked x USING (req)"""
    )
    for req, known, prot, affil, last_restriction, last_restore, member, attacked in rows:
        f = facts[req]
        f.known, f.protected, f.affiliated = bool(known), prot, bool(affil)
        f.restored = last_restore is not None and (
            last_restriction is None or last_restore > last_restriction
        )
        f.member_of, f.attacked_by = list(member or []), list(attacked or [])


def _report_facts(ws: Workspace, facts: list[Facts]) -> None:
    ws.con.execute(
        """CREATE OR REPLACE TEMP TABLE _gate_rep AS
        SELECT q.req, q.account_id, u.report_id, r.reporter_id, r.target_account_id,
               r.report_id IS NOT NULL AS found
        FROM _gate_req q
        JOIN (SELECT req, unnest(reports) AS report_id FROM _gate_req) u USING (req)
        LEFT JOIN reports r ON r.report_id = u.report_id"""
    )
    rows = ws.sql(
        """SELECT p.req,
            list(DISTINCT p.report_id ORDER BY p.report_id) FILTER (WHERE NOT p.found),
            list(DISTINCT p.report_id ORDER BY p.report_id)
                FILTER (WHERE p.found AND p.target_account_id <> p.account_id),
            list(DISTINCT p.report_id ORDER BY p.report_id) FILTER (WHERE d.why IS NOT NULL),
            list(DISTINCT s ORDER BY s) FILTER (WHERE s IS NOT NULL),
            count(DISTINCT p.report_id) FILTER (
                WHERE p.found AND p.target_account_id = p.account_id AND d.why IS NULL)
        FROM _gate_rep p
        LEFT JOIN (
            SELECT p.req, p.report_id, 1 AS why, b.finding_id AS s
            FROM _gate_rep p JOIN _gate_brig b USING (report_id)
            UNION ALL
            SELECT p.req, p.report_id, 1, m.source
            FROM _gate_rep p JOIN _gate_members m ON m.account = p.reporter_id
        ) d USING (req, report_id)
        GROUP BY p.req"""
    )
    for req, missing, elsewhere, discounted, sources, counted in rows:
        f = facts[req]
        f.missing, f.elsewhere = list(missing or []), list(elsewhere or [])
        f.discounted, f.discount_sources = list(discounted or []), list(sources or [])
        f.counted = int(counted)


# --- rules ------------------------------------------------------------------------------------


def decide(
    request: Request, facts: Facts, errors: Sequence[str], report_threshold: int | None
) -> GateDecision:
    """Apply the rules to one request's facts; the strongest outcome wins."""
    if request.proposed == "restore":
        return GateDecision("allow", ["a restore is not a restriction"])
    if request.proposed not in RESTRICTIONS:
        return GateDecision("review", [f"unknown action {request.proposed!r}"], [], 1)
    votes: list[tuple[Outcome, str]] = [("review", e) for e in errors]
    auto = request.automated
    who = "automation" if auto else "a human"
    if not facts.known:
        votes.append(("review", f"account {request.account_id} is not in the workspace"))
    if facts.protected:
        votes.append(
            (
                "review",
                f"account {request.account_id} is in the protected register "
                f"({facts.protected}): two different human reviewers must agree",
            )
        )
    if auto and facts.restored:
        votes.append(
            (
                "review",
                "a human restored this account and no human restricted it since: "
                "automation cannot restrict it again",
            )
        )
    if auto and facts.attacked_by:
        votes.append(
            (
                "review",
                f"stored findings name this account as the target of an attack "
                f"({_some(facts.attacked_by)})",
            )
        )
    votes += _report_votes(request, facts, report_threshold)
    if request.trigger == "detector" and auto and not facts.member_of:
        votes.append(
            (
                "review",
                "no stored finding or campaign names this account as a member: "
                "the detector's claim is not corroborated",
            )
        )
    if (
        request.trigger not in ("report", "detector")
        and auto
        and not (request.proposed == "label" and facts.affiliated)
    ):
        votes.append(
            (
                "review",
                f"automation proposed a {request.proposed} on trigger "
                f"{request.trigger!r} with no reports or finding behind it",
            )
        )
    if not votes:
        basis = "reports" if request.trigger == "report" else f"trigger {request.trigger!r}"
        votes.append(("allow", f"{who} proposed it on {basis}; no rule of the gate objects"))
    outcome = max((v[0] for v in votes), key=RANK.__getitem__)
    reviewers = 0 if outcome != "review" else (2 if facts.protected else 1)
    used = facts.discount_sources + facts.attacked_by
    if request.trigger == "detector":
        used += facts.member_of
    return GateDecision(
        outcome,
        [reason for _, reason in votes],
        sorted(facts.discounted),
        reviewers,
        sorted(set(used)),
    )


def _report_votes(
    request: Request, facts: Facts, report_threshold: int | None
) -> list[tuple[Outcome, str]]:
    votes: list[tuple[Outcome, str]] = []
    cited = len(set(request.reports))
    if facts.discounted:
        votes.append(
            (
                "allow",
                f"{len(facts.discounted)} of {cited} cited reports discounted: they come "
                f"from a suspected brigade or campaign members ({_some(facts.discount_sources)})",
            )
        )
    if facts.missing:
        votes.append(("review", f"{len(facts.missing)} cited reports are not in the workspace"))
    if facts.elsewhere:
        votes.append(("review", f"{len(facts.elsewhere)} cited reports are about another account"))
    if request.trigger != "report":
        return votes
    if cited == 0:
        votes.append(("review", "trigger 'report' but no reports are cited"))
        return votes
    needed = (report_threshold or cited) if request.automated else 1
    if facts.counted < needed:
        strong: Outcome = "reject" if request.automated and facts.counted == 0 else "review"
        votes.append(
            (
                strong,
                f"{facts.counted} reports remain after discounting where the trigger needs "
                f"{needed}",
            )
        )
    return votes


# --- storing ---------------------------------------------------------------------------------


def record(ws: Workspace, request: Request, decision: GateDecision, decided_by: str) -> None:
    """Store the decision in ``decisions`` and append it to the audit log, in one
    transaction; sets ``decision.decision_id``."""
    now = datetime.now(UTC).replace(tzinfo=None)
    key = json.dumps([asdict(request), decision.as_json(), now.isoformat()], default=str)
    decision.decision_id = "g-" + hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
    detail = {
        "account_id": request.account_id,
        "decision_id": decision.decision_id,
        "inputs": asdict(request),
        "detectors": audit.detectors_of(ws, decision.sources),
        "outcome": decision.as_json(),
    }
    with ws.transaction():
        entry = audit.append(ws, decided_by, "gate", request.account_id, detail, at=now)
        ws.con.execute(
            "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                decision.decision_id,
                request.account_id,
                request.post_id,
                request.policy,
                request.trigger,
                request.proposed,
                decision.outcome,
                json.dumps(
                    {
                        "reasons": decision.reasons,
                        "reviewers_needed": decision.reviewers_needed,
                        "sources": decision.sources,
                    }
                ),
                decision.discounted_reports,
                request.automated,
                decided_by,
                now,
                entry.seq,
            ],
        )


@dataclass(slots=True)
class ReviewState:
    """Where a ``review`` decision stands: ``pending`` until ``needed`` different people
    allowed it, ``allow`` then, ``reject`` as soon as one reviewer rejects it (fail safe)."""

    decision_id: str
    status: Literal["pending", "allow", "reject"]
    reviewers: list[str]
    needed: int


def review_state(ws: Workspace, decision_id: str) -> ReviewState:
    """The reviews a gate decision has had so far (``ParameterError`` when unknown)."""
    row = ws.sql("SELECT outcome, reasons FROM decisions WHERE decision_id = ?", [decision_id])
    if not row:
        raise ParameterError(f"no gate decision {decision_id!r}")
    outcome, reasons = row[0]
    needed = int(json.loads(reasons or "{}").get("reviewers_needed", 0))
    reviews = ws.sql(
        "SELECT reviewer, outcome FROM reviews WHERE decision_id = ? ORDER BY created_at",
        [decision_id],
    )
    if outcome != "review":
        return ReviewState(decision_id, outcome, [], 0)
    who = [r for r, _ in reviews]
    if any(o == "reject" for _, o in reviews):
        return ReviewState(decision_id, "reject", who, needed)
    return ReviewState(decision_id, "allow" if len(set(who)) >= needed else "pending", who, needed)


def review_decision(
    ws: Workspace,
    decision_id: str,
    reviewer: str,
    outcome: Literal["allow", "reject"],
    reasons: str,
) -> ReviewState:
    """A person's review of a ``review`` decision, stored in ``reviews`` and the audit log.
    Each reviewer must be a different person from the earlier ones, the account holder
    and whoever asked the gate."""
    if outcome not in ("allow", "reject"):
        raise ParameterError(f"a review outcome is 'allow' or 'reject', not {outcome!r}")
    if not reviewer or reviewer in ("automated", "separ-gate"):
        raise ParameterError("a decision is reviewed by a person: give the reviewer's id")
    if not reasons.strip():
        raise ParameterError("a review needs its reasons")
    state = review_state(ws, decision_id)
    if state.status != "pending":
        raise ParameterError(f"decision {decision_id} is not awaiting review ({state.status})")
    account, decided_by = ws.sql(
        "SELECT account_id, decided_by FROM decisions WHERE decision_id = ?", [decision_id]
    )[0]
    if reviewer in (account, decided_by, *state.reviewers):
        raise ParameterError(
            f"{reviewer} cannot review {decision_id}: each reviewer must be a different "
            "person from the account holder, the requester and the earlier reviewers"
        )
    now = datetime.now(UTC).replace(tzinfo=None)
    review_id = (
        "rv-"
        + hashlib.blake2b(
            f"{decision_id}|{reviewer}|{now.isoformat()}".encode(), digest_size=8
        ).hexdigest()
    )
    with ws.transaction():
        ws.con.execute(
            "INSERT INTO reviews (review_id, decision_id, action_id, reviewer, outcome, "
            "reasons, created_at) VALUES (?, ?, NULL, ?, ?, ?, ?)",
            [review_id, decision_id, reviewer, outcome, reasons, now],
        )
        detail = {
            "account_id": account,
            "decision_id": decision_id,
            "review_id": review_id,
            "outcome": outcome,
            "reasons": reasons,
        }
        audit.append(ws, reviewer, "gate.review", account, detail, at=now)
    return review_state(ws, decision_id)


# --- replay ----------------------------------------------------------------------------------


@dataclass(slots=True)
class ReplayReport:
    """The platform's moderation history replayed through the gate, against the truth."""

    actions: int  # restrictions replayed
    outcomes: dict[str, int]
    at_risk_wrongful_suspensions: int
    prevented: int  # of those, not allowed through (review or reject)
    at_risk_wrongful: int  # every wrongful restriction of an at-risk account
    at_risk_prevented: int
    genuine: int  # restrictions the truth says were right
    enforced: int  # of those, not rejected (allowed, or sent to a human)
    enforced_directly: int  # of those, allowed without review
    reviews: int  # restrictions sent to review
    reviewers: int  # human reviews those need
    missed: list[str] = field(default_factory=list)  # wrongful at-risk suspensions allowed
    blocked: list[str] = field(default_factory=list)  # genuine restrictions rejected

    @property
    def prevented_share(self) -> float:
        return (
            self.prevented / self.at_risk_wrongful_suspensions
            if self.at_risk_wrongful_suspensions
            else 1.0
        )

    @property
    def enforced_share(self) -> float:
        return self.enforced / self.genuine if self.genuine else 1.0

    @property
    def review_share(self) -> float:
        return self.reviews / self.actions if self.actions else 0.0

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out |= {
            "prevented_share": self.prevented_share,
            "enforced_share": self.enforced_share,
            "review_share": self.review_share,
        }
        return out

    def summary(self) -> str:
        return (
            f"{self.prevented} of {self.at_risk_wrongful_suspensions} wrongful suspensions of "
            f"at-risk accounts prevented ({self.prevented_share:.1%}); {self.enforced} of "
            f"{self.genuine} genuine restrictions still enforced ({self.enforced_share:.1%}, "
            f"{self.enforced_directly} without review); {self.reviews} of {self.actions} "
            f"restrictions sent to review ({self.review_share:.1%}, {self.reviewers} reviews)"
        )


def replay(
    ws: Workspace,
    wrongful: Mapping[str, bool],
    at_risk: Collection[str],
    report_threshold: int | None = None,
) -> ReplayReport:
    """Put every restriction in the native ``actions`` table through the gate as of its
    own time (restores recorded before it; stored findings as they are) and compare with
    the truth: ``wrongful`` maps action ids to whether the action was wrong, ``at_risk``
    holds the accounts truly at risk. Reads only: nothing is stored."""
    rows = ws.sql(
        """SELECT action_id, account_id, post_id, action, policy, coalesce(trigger, 'report'),
                  coalesce(trigger_ref, []), coalesce(automated, false), created_at
        FROM actions WHERE action IN (SELECT unnest(?)) ORDER BY created_at, action_id""",
        [list(RESTRICTIONS)],
    )
    requests = [
        Request(
            str(acc),
            str(pol),
            str(trig),
            tuple(refs) if trig == "report" else (),
            post,
            str(act),
            bool(auto),
            at,
        )
        for _, acc, post, act, pol, trig, refs, auto, at in rows
    ]
    decisions = evaluate(ws, requests, report_threshold)
    risk = set(at_risk)
    report = ReplayReport(len(rows), dict.fromkeys(RANK, 0), 0, 0, 0, 0, 0, 0, 0, 0, 0)
    for row, request, decision in zip(rows, requests, decisions, strict=True):
        action_id, outcome = str(row[0]), decision.outcome
        report.outcomes[outcome] += 1
        if outcome == "review":
            report.reviews += 1
            report.reviewers += decision.reviewers_needed
        wrong = wrongful.get(action_id)
        if wrong and request.account_id in risk:
            report.at_risk_wrongful += 1
            report.at_risk_prevented += outcome != "allow"
            if request.proposed == "suspend":
                report.at_risk_wrongful_suspensions += 1
                report.prevented += outcome != "allow"
                if outcome == "allow":
                    report.missed.append(action_id)
        elif wrong is False:
            report.genuine += 1
            report.enforced += outcome != "reject"
            report.enforced_directly += outcome == "allow"
            if outcome == "reject":
                report.blocked.append(action_id)
    return report


def simulated_truth(truth_dir: str | os.PathLike[str]) -> tuple[dict[str, bool], set[str]]:
    """The simulator's truth for :func:`replay`: ``truth/actions.csv`` (action id ->
    wrongful) and the accounts whose role in ``truth/accounts.csv`` is ``at_risk``."""
    folder = Path(truth_dir)
    with open(folder / "actions.csv", encoding="utf-8") as f:
        wrongful = {r["action_id"]: r["wrongful"].lower() == "true" for r in csv.DictReader(f)}
    with open(folder / "accounts.csv", encoding="utf-8") as f:
        at_risk = {r["account_id"] for r in csv.DictReader(f) if r["role"] == "at_risk"}
    return wrongful, at_risk


def _naive(at: datetime | None) -> datetime | None:
    if at is None or at.tzinfo is None:
        return at
    return at.astimezone(UTC).replace(tzinfo=None)


def _some(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:MOST_LISTED])
    return shown + (f" and {len(ids) - MOST_LISTED} more" if len(ids) > MOST_LISTED else "")
