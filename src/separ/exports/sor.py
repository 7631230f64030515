"""Statements of reasons for the EU DSA Transparency Database (API v1).

Article 17 of the Digital Services Act asks a platform to explain every restriction it
imposes, and Article 24(5) to send those statements to the Commission's Transparency
Database. :func:`export_sor` writes one statement per restriction in the workspace's
native ``actions`` table (the platform's history and the restrictions Separ recorded),
as the bodies of the database's *multiple* endpoint: files ``sor-00001.json``, ... each
``{"statements": [...]}`` with at most 100 statements. Every batch is checked against
the JSON Schema kept beside this module (``schemas/dsa_sor_v1.schema.json``, written from
the API documentation and its validation rules) before anything is written.

What is a restriction: ``suspend`` (account suspended; terminated when it has no end),
``remove`` (content removed), ``limit`` (content demoted, or a partial suspension of the
service for an account) and ``label`` (content labelled). ``warn`` restricts nothing and
``restore`` undoes a restriction: neither gets a statement.

How the fields are filled:

* ``category`` and ``category_specification`` from the action's policy (:data:`POLICIES`,
  overridable); ``KEYWORD_COORDINATED_HARM`` is added when the account belongs to a
  campaign Separ found.
* ``decision_ground``: a ``government`` trigger is a legal order (illegal content, with the
  action's reason as the legal ground); everything else is the platform's own terms.
* ``source_type`` from the trigger: user ``report`` -> ``SOURCE_ARTICLE_16`` (or
  ``SOURCE_TRUSTED_FLAGGER`` when a report came from a listed trusted flagger),
  ``government`` -> ``SOURCE_TYPE_OTHER_NOTIFICATION``, anything else ->
  ``SOURCE_VOLUNTARY``.
* ``automated_detection`` is ``Yes`` when a detector (or an automated proactive rule)
  found the content; ``automated_decision`` is ``FULLY`` for an automated action with no
  human review, ``PARTIALLY`` when automation and a human both took part (an automated
  action a human reviewed, a human action on a detector's finding or Separ's gate
  decision), else ``NOT_AUTOMATED``.
* ``decision_facts``: plain sentences with numbers (how many reports, within how long,
  how many came from accounts in a suspected report brigade, the campaign size). No
  handles, names or account ids: the database must not receive personal data.
* ``puid``: ``PREFIX-ACTION_ID`` with any character outside ``[A-Za-z0-9_-]`` replaced
  and a short hash of the original id appended, so it stays unique.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from separ.decisions import audit
from separ.decisions.appeals import ACTION_COLUMNS, Action
from separ.errors import ParameterError, SeparError
from separ.schema import RESTRICTIONS as SCHEMA_RESTRICTIONS
from separ.workspace import Workspace

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "dsa_sor_v1.schema.json"
BATCH_SIZE = 100
"""Statements per call of the database's multiple endpoint (its limit)."""
RESTRICTIONS = tuple(a for a in SCHEMA_RESTRICTIONS if a != "warn")
"""Actions that get a statement of reasons (a warning restricts nothing)."""
EEA = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO",
)  # fmt: skip
"""Territorial scope by default: the whole EU/EEA (a restriction applies everywhere)."""
MIN_CONTENT_DATE = "2000-01-01"
MIN_APPLICATION_DATE = "2020-01-01"
MAX_DATE = "2038-01-01"
_PUID_BAD = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True, slots=True)
class PolicyMap:
    """How one platform policy appears in a statement."""

    category: str
    keywords: tuple[str, ...] = ()
    keyword_other: str | None = None
    title: str = ""


POLICIES: dict[str, PolicyMap] = {
    "violent_speech": PolicyMap(
        "STATEMENT_CATEGORY_VIOLENCE",
        ("KEYWORD_INCITEMENT_VIOLENCE_HATRED",),
        None,
        "violent speech",
    ),
    "harassment": PolicyMap(
        "STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR",
        ("KEYWORD_ONLINE_BULLYING_INTIMIDATION",),
        None,
        "harassment",
    ),
    "hateful_conduct": PolicyMap(
        "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        ("KEYWORD_HATE_SPEECH",),
        None,
        "hateful conduct",
    ),
    "spam": PolicyMap(
        "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE", ("KEYWORD_OTHER",), "Spam", "spam"
    ),
    "misinformation": PolicyMap(
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        ("KEYWORD_MISINFORMATION",),
        None,
        "misinformation",
    ),
    "impersonation": PolicyMap(
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        ("KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING",),
        None,
        "impersonation",
    ),
    "platform_manipulation": PolicyMap(
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        ("KEYWORD_INAUTHENTIC_ACCOUNTS",),
        None,
        "platform manipulation and inauthentic accounts",
    ),
    "state_affiliated_media": PolicyMap(
        "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
        ("KEYWORD_OTHER",),
        "State-affiliated media label",
        "state-affiliated media",
    ),
}
"""The simulator's and common platform policies. Unknown policies become
``STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE`` with ``KEYWORD_OTHER`` naming the policy."""


@dataclass(frozen=True, slots=True)
class _Action:
    """A restriction with what its statement needs to say about it."""

    act: Action
    content_at: datetime | None
    has_text: bool
    has_media: bool
    lang: str | None
    reports: int
    report_span_h: float | None
    brigade_reports: int
    trusted_reports: int
    campaign_size: int
    human_reviews: int
    gate_decisions: int
    discounted: int


def _policy(policy: str, policies: Mapping[str, PolicyMap]) -> PolicyMap:
    known = policies.get(policy)
    if known is not None:
        return known
    title = policy.replace("_", " ")
    return PolicyMap(
        "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE", ("KEYWORD_OTHER",), title[:500], title
    )


def puid(action_id: str, prefix: str = "separ-action") -> str:
    """A platform unique identifier for an action: ``^[a-zA-Z0-9-_]+$``, at most 500 chars."""
    clean = _PUID_BAD.sub("-", action_id)[:400]
    if clean != action_id:
        clean += "-" + hashlib.sha256(action_id.encode("utf-8")).hexdigest()[:10]
    return f"{prefix}-{clean}" if prefix else clean


def _load(ws: Workspace, trusted_flaggers: Sequence[str]) -> list[_Action]:
    """The restrictions with everything a statement needs, in one relational pass."""
    con = ws.con
    con.execute("CREATE OR REPLACE TEMP TABLE _sor_trusted (reporter_id VARCHAR)")
    if trusted_flaggers:
        con.executemany("INSERT INTO _sor_trusted VALUES (?)", [[t] for t in trusted_flaggers])
    kinds = ", ".join(f"'{k}'" for k in RESTRICTIONS)
    rows = con.execute(
        f"""
        WITH acts AS (
            SELECT * FROM actions WHERE action IN ({kinds})
        ),
        refs AS (
            SELECT a.action_id, unnest(a.trigger_ref) AS ref FROM acts a
            WHERE a.trigger = 'report'
        ),
        brigade AS (
            SELECT DISTINCT substr(e.eid, 3) AS report_id
            FROM (SELECT unnest(ev.event_ids) AS eid FROM evidence ev
                  JOIN findings f USING (finding_id) WHERE f.detector = 'report_brigade')
                 AS e
            WHERE e.eid LIKE 'r:%'
        ),
        rep AS (
            SELECT r.action_id, count(p.report_id) AS n,
                   date_diff('second', min(p.created_at), max(p.created_at)) / 3600.0 AS span_h,
                   count(b.report_id) AS brig, count(t.reporter_id) AS trusted
            FROM refs r
            LEFT JOIN reports p ON p.report_id = r.ref
            LEFT JOIN brigade b ON b.report_id = r.ref
            LEFT JOIN _sor_trusted t ON t.reporter_id = p.reporter_id
            GROUP BY r.action_id
        ),
        members AS (
            SELECT acc AS account_id, max(len(accounts)) AS size
            FROM (SELECT unnest(accounts) AS acc, accounts FROM campaigns) GROUP BY acc
        ),
        rev AS (
            SELECT rv.action_id,
                   count(*) FILTER (WHERE rv.reviewer IS NOT NULL) AS humans,
                   count(DISTINCT d.decision_id) AS gates,
                   coalesce(max(len(d.discounted_reports)), 0) AS discounted
            FROM reviews rv LEFT JOIN decisions d USING (decision_id)
            GROUP BY rv.action_id
        )
        SELECT {", ".join("a." + c.strip() for c in ACTION_COLUMNS.split(","))},
               CASE WHEN a.post_id IS NOT NULL THEN p.created_at ELSE acc.created_at END,
               coalesce(p.text <> '', false), coalesce(len(p.media_hashes) > 0, false),
               p.lang, coalesce(rep.n, 0), rep.span_h, coalesce(rep.brig, 0),
               coalesce(rep.trusted, 0), coalesce(m.size, 0), coalesce(rev.humans, 0),
               coalesce(rev.gates, 0), coalesce(rev.discounted, 0)
        FROM acts a
        LEFT JOIN posts p ON p.post_id = a.post_id
        LEFT JOIN accounts acc ON acc.account_id = a.account_id
        LEFT JOIN rep ON rep.action_id = a.action_id
        LEFT JOIN members m ON m.account_id = a.account_id
        LEFT JOIN rev ON rev.action_id = a.action_id
        ORDER BY a.created_at, a.action_id
        """
    ).fetchall()
    width = len(ACTION_COLUMNS.split(","))
    return [_Action(Action.from_row(row[:width]), *row[width:]) for row in rows]


def _day(ts: datetime | None) -> str | None:
    return None if ts is None else ts.strftime("%Y-%m-%d")


def _decisions(a: _Action) -> tuple[dict[str, Any], str]:
    """The decision fields and a phrase saying what was done."""
    end = _day(a.act.ends_at)
    until = f" until {end}" if end else ""
    if a.act.action == "suspend":
        if a.act.ends_at is None:
            return {"decision_account": "DECISION_ACCOUNT_TERMINATED"}, "Account terminated"
        days = max(1, round((a.act.ends_at - a.act.created_at).total_seconds() / 86_400))
        return (
            {"decision_account": "DECISION_ACCOUNT_SUSPENDED", "end_date_account_restriction": end},
            f"Account suspended for {days} day{'s' if days != 1 else ''}{until}",
        )
    if a.act.action == "remove":
        return (
            {
                "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
                "end_date_visibility_restriction": end,
            },
            "Post removed" if a.act.post_id else "Content removed",
        )
    if a.act.action == "label":
        return (
            {
                "decision_visibility": ["DECISION_VISIBILITY_CONTENT_LABELLED"],
                "end_date_visibility_restriction": end,
            },
            "Post labelled" if a.act.post_id else "Account's content labelled",
        )
    if a.act.post_id:  # limit on a post
        return (
            {
                "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DEMOTED"],
                "end_date_visibility_restriction": end,
            },
            f"Post demoted{until}",
        )
    return (
        {
            "decision_provision": "DECISION_PROVISION_PARTIAL_SUSPENSION",
            "end_date_service_restriction": end,
        },
        f"Account's reach limited{until}",
    )


def _automation(a: _Action) -> tuple[str, str]:
    detected = a.act.trigger == "detector" or (a.act.trigger == "proactive" and a.act.automated)
    if a.act.automated:
        decided = "AUTOMATED_DECISION_PARTIALLY" if a.human_reviews else "AUTOMATED_DECISION_FULLY"
    elif a.act.trigger == "detector" or a.gate_decisions:
        decided = "AUTOMATED_DECISION_PARTIALLY"
    else:
        decided = "AUTOMATED_DECISION_NOT_AUTOMATED"
    return ("Yes" if detected else "No"), decided


def _source(a: _Action) -> str:
    if a.act.trigger == "report":
        return "SOURCE_TRUSTED_FLAGGER" if a.trusted_reports else "SOURCE_ARTICLE_16"
    if a.act.trigger == "government":
        return "SOURCE_TYPE_OTHER_NOTIFICATION"
    return "SOURCE_VOLUNTARY"


def _hours(h: float) -> str:
    if h < 1:
        return "less than an hour"
    return f"{round(h)} hour{'s' if round(h) != 1 else ''}"


def _facts(a: _Action, done: str, title: str, decided: str) -> str:
    """Plain sentences with numbers; no personal data."""
    facts = [f"{done} under the platform's policy on {title}, on {_day(a.act.created_at)}."]
    if a.act.trigger == "report" and a.reports:
        span = f" within {_hours(a.report_span_h or 0.0)}" if a.reports > 1 else ""
        noun = "user reports" if a.reports > 1 else "user report"
        facts.append(f"It followed {a.reports} {noun}{span}.")
        if a.brigade_reports and a.reports == 1:
            facts.append("The report came from an account in a suspected coordinated brigade.")
        elif a.brigade_reports:
            facts.append(
                f"{a.brigade_reports} of the {a.reports} reports came from accounts in a "
                "suspected coordinated report brigade."
            )
    elif a.act.trigger == "government":
        facts.append("It followed a notice from a public authority.")
    elif a.act.trigger == "detector":
        facts.append("The account was found by an automated detector of coordinated behaviour.")
    elif a.act.trigger == "proactive":
        facts.append("The platform acted on its own initiative.")
    if a.campaign_size:
        facts.append(
            f"The account is one of {a.campaign_size} accounts of a coordinated campaign "
            "found by analysis of their shared activity."
        )
    if a.discounted:
        facts.append(f"{a.discounted} reports were discounted as coming from a suspected campaign.")
    facts.append(
        {
            "AUTOMATED_DECISION_FULLY": "The decision was taken by an automated rule.",
            "AUTOMATED_DECISION_PARTIALLY": "Automation and a human reviewer both took part.",
            "AUTOMATED_DECISION_NOT_AUTOMATED": "A human moderator took the decision.",
        }[decided]
    )
    return " ".join(facts)[:5000]


def _statement(
    a: _Action,
    policies: Mapping[str, PolicyMap],
    prefix: str,
    scope: Sequence[str],
) -> dict[str, Any]:
    mapped = _policy(a.act.policy, policies)
    decision, done = _decisions(a)
    detection, decided = _automation(a)
    out: dict[str, Any] = {k: v for k, v in decision.items() if v is not None}
    if a.act.trigger == "government":
        out["decision_ground"] = "DECISION_GROUND_ILLEGAL_CONTENT"
        out["illegal_content_legal_ground"] = (a.act.reason or "Order of a public authority")[:500]
        out["illegal_content_explanation"] = (
            f"A public authority notified the content as illegal; the platform applied its "
            f"policy on {mapped.title}."
        )[:2000]
    else:
        out["decision_ground"] = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        out["incompatible_content_ground"] = f"Terms of service: {mapped.title} policy"[:500]
        out["incompatible_content_explanation"] = (
            a.act.reason or f"The content breaks the platform's policy on {mapped.title}."
        )[:2000]
        out["incompatible_content_illegal"] = "No"
    if a.act.post_id:
        kinds = (["CONTENT_TYPE_TEXT"] if a.has_text else []) + (
            ["CONTENT_TYPE_IMAGE"] if a.has_media else []
        )
        out["content_type"] = kinds or ["CONTENT_TYPE_TEXT"]
    else:
        out["content_type"] = ["CONTENT_TYPE_OTHER"]
        out["content_type_other"] = "Account"
    keywords = list(mapped.keywords)
    if a.campaign_size and "KEYWORD_COORDINATED_HARM" not in keywords:
        keywords.append("KEYWORD_COORDINATED_HARM")
    out["category"] = mapped.category
    if keywords:
        out["category_specification"] = keywords
    if mapped.keyword_other and "KEYWORD_OTHER" in keywords:
        out["category_specification_other"] = mapped.keyword_other
    out["territorial_scope"] = list(scope)
    if a.lang and len(a.lang) == 2 and a.lang.isalpha():
        out["content_language"] = a.lang.upper()
    application = _day(a.act.created_at) or ""
    content = _day(a.content_at)
    out["content_date"] = content if content and content >= MIN_CONTENT_DATE else application
    out["application_date"] = application
    out["decision_facts"] = _facts(a, done, mapped.title, decided)
    out["source_type"] = _source(a)
    out["automated_detection"] = detection
    out["automated_decision"] = decided
    out["puid"] = puid(a.act.action_id, prefix)
    return out


def build_statements(
    ws: Workspace,
    *,
    policies: Mapping[str, PolicyMap] | None = None,
    trusted_flaggers: Iterable[str] = (),
    territorial_scope: Sequence[str] = EEA,
    prefix: str = "separ-action",
) -> list[dict[str, Any]]:
    """One statement of reasons per restriction in ``actions``, oldest first.

    ``policies`` adds to or overrides :data:`POLICIES`; ``trusted_flaggers`` are reporter
    ids whose reports make the source ``SOURCE_TRUSTED_FLAGGER``; ``prefix`` starts every
    puid (use one per platform so puids never collide).
    """
    if prefix and not re.fullmatch(r"[A-Za-z0-9_-]{1,60}", prefix):
        raise ParameterError(f"puid prefix must match [A-Za-z0-9_-]{{1,60}}, not {prefix!r}")
    table = {**POLICIES, **(policies or {})}
    actions = _load(ws, sorted(set(trusted_flaggers)))
    return [_statement(a, table, prefix, territorial_scope) for a in actions]


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of a batch (``{"statements": [...]}``), statement under ``$defs``."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@cache
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    validator: jsonschema.protocols.Validator = cls(schema(), format_checker=cls.FORMAT_CHECKER)
    return validator


def check_dates(statement: Mapping[str, Any]) -> list[str]:
    """The date bounds the schema cannot express (ISO dates compare as strings)."""
    problems = []
    application = statement.get("application_date")
    content = statement.get("content_date")
    if isinstance(content, str) and not MIN_CONTENT_DATE <= content <= MAX_DATE:
        problems.append(f"content_date {content} is outside {MIN_CONTENT_DATE}..{MAX_DATE}")
    if isinstance(application, str) and not MIN_APPLICATION_DATE <= application <= MAX_DATE:
        problems.append(
            f"application_date {application} is outside {MIN_APPLICATION_DATE}..{MAX_DATE}"
        )
    for key in (
        "end_date_account_restriction",
        "end_date_monetary_restriction",
        "end_date_service_restriction",
        "end_date_visibility_restriction",
    ):
        end = statement.get(key)
        if isinstance(end, str) and isinstance(application, str) and not application <= end:
            problems.append(f"{key} {end} is before application_date {application}")
        if isinstance(end, str) and end > MAX_DATE:
            problems.append(f"{key} {end} is after {MAX_DATE}")
    return problems


def validate_batch(batch: Mapping[str, Any]) -> list[str]:
    """Every reason the batch would be refused (empty when valid): schema, dates, puids."""
    problems = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(batch)'}: {e.message}"
        for e in sorted(_validator().iter_errors(batch), key=lambda e: list(e.absolute_path))
    ]
    statements = batch.get("statements")
    if isinstance(statements, list):
        seen: set[str] = set()
        for i, statement in enumerate(statements):
            if not isinstance(statement, Mapping):
                continue
            problems += [f"statements/{i}: {p}" for p in check_dates(statement)]
            pid = statement.get("puid")
            if isinstance(pid, str) and pid in seen:
                problems.append(f"statements/{i}/puid: {pid} is not unique")
            if isinstance(pid, str):
                seen.add(pid)
    return problems


def batches(statements: Sequence[dict[str, Any]], size: int = BATCH_SIZE) -> list[dict[str, Any]]:
    """The statements in request bodies of at most ``size`` (≤ 100) statements."""
    if not 1 <= size <= BATCH_SIZE:
        raise ParameterError(f"batch size must be between 1 and {BATCH_SIZE}, not {size}")
    return [{"statements": list(statements[i : i + size])} for i in range(0, len(statements), size)]


def export_sor(
    ws: Workspace,
    out_dir: str | Path,
    *,
    batch_size: int = BATCH_SIZE,
    actor: str = "separ",
    **options: Any,
) -> list[Path]:
    """Write the statements of every restriction as validated batch files; return them.

    ``options`` go to :func:`build_statements`. Nothing is written if any batch fails
    validation (a :class:`SeparError` lists the first problems). Earlier ``sor-NNNNN.json``
    files in ``out_dir`` are replaced. The export is recorded in the audit log.
    """
    statements = build_statements(ws, **options)
    bodies = batches(statements, batch_size)
    problems = [
        f"batch {n + 1}: {p}" for n, body in enumerate(bodies) for p in validate_batch(body)
    ]
    seen = [s["puid"] for s in statements]
    if len(set(seen)) != len(seen):
        problems.append("puids are not unique across batches")
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise SeparError("statements of reasons are not valid: " + "; ".join(problems[:5]) + more)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("sor-[0-9][0-9][0-9][0-9][0-9].json"):
        old.unlink()
    paths = []
    for n, body in enumerate(bodies, start=1):
        path = out / f"sor-{n:05d}.json"
        path.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        paths.append(path)
    digest = hashlib.sha256("\n".join(sorted(seen)).encode("utf-8")).hexdigest()
    audit.append(
        ws,
        actor,
        "export-sor",
        str(out),
        {
            "inputs": {"statements": len(statements), "puids_sha256": digest},
            "outcome": {"files": [p.name for p in paths]},
        },
    )
    return paths
