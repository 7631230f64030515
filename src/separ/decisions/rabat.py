"""Rabat Plan of Action assessments for content restricted as incitement.

The Rabat Plan (UN OHCHR, 2012) sets a high threshold for restricting speech as
incitement to discrimination, hostility or violence (ICCPR article 20(2)) and names six
factors to weigh: the **context**, the **speaker**, the **intent**, the **content and
form**, the **extent** of the speech act, and the **likelihood** of harm, including its
imminence. An assessment records, for one restriction (an ``actions`` row, optionally
the Separ decision behind it), each factor's rating and a written rationale, and the
threshold outcome that follows from the ratings:

- ratings are ``met``, ``partly_met`` or ``not_met`` (the factor points to incitement
  fully, in part, or not);
- the outcome is ``meets_threshold`` when intent and likelihood are both ``met`` (the
  Plan requires intent, not negligence, and a reasonable probability of harm) and no
  other factor is ``not_met``; otherwise ``below_threshold``: the restriction, if kept,
  cannot rest on incitement.

Assessments go into the workspace table ``rabat`` (``factors`` holds the six factors and
the decision id as JSON) and into the audit log; they are counted in the transparency
report.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from separ.decisions.audit import append, naive_utc
from separ.errors import ParameterError
from separ.workspace import Workspace

FACTORS = {
    "context": "the social and political context when the speech was made and spread",
    "speaker": "the speaker's position or status and their standing with the audience",
    "intent": "intent to incite the audience against a target group (not negligence)",
    "content_and_form": "what was said, its style, directness and the arguments used",
    "extent": "the reach of the speech act: public, audience size, means, frequency",
    "likelihood": "a reasonable probability of harm to the target group, and how soon",
}
"""The six factors, in the Plan's order, with what each one weighs."""

RATINGS = ("met", "partly_met", "not_met")
OUTCOMES = ("meets_threshold", "below_threshold")
MIN_RATIONALE = 20
"""A rationale is a written reason: at least this many characters."""


@dataclass(frozen=True, slots=True)
class Factor:
    """One factor of an assessment: its rating and the assessor's written rationale."""

    name: str
    rating: str
    rationale: str


@dataclass(frozen=True, slots=True)
class Assessment:
    """A Rabat Plan assessment of one restriction."""

    assessment_id: str
    action_id: str
    post_id: str | None
    decision_id: str | None
    factors: tuple[Factor, ...]
    outcome: str
    assessor: str
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "assessment_id": self.assessment_id,
            "action_id": self.action_id,
            "post_id": self.post_id,
            "decision_id": self.decision_id,
            "factors": {
                f.name: {"rating": f.rating, "rationale": f.rationale} for f in self.factors
            },
            "outcome": self.outcome,
            "assessor": self.assessor,
            "created_at": self.created_at.isoformat() + "Z",
        }


def threshold(factors: Mapping[str, str]) -> str:
    """The outcome for ratings by factor name (see the module docstring)."""
    if factors["intent"] != "met" or factors["likelihood"] != "met":
        return "below_threshold"
    if any(rating == "not_met" for rating in factors.values()):
        return "below_threshold"
    return "meets_threshold"


def _factors(given: Mapping[str, Any]) -> tuple[Factor, ...]:
    """Validate the six factors, given as ``{name: {"rating", "rationale"}}``,
    ``{name: (rating, rationale)}`` or ``{name: Factor}``."""
    unknown = sorted(set(given) - set(FACTORS))
    if unknown:
        raise ParameterError(
            f"unknown Rabat factor {unknown[0]!r}; the six are {', '.join(FACTORS)}"
        )
    out = []
    rating: Any
    rationale: Any
    for name in FACTORS:
        if name not in given:
            raise ParameterError(f"Rabat factor {name!r} is missing ({FACTORS[name]})")
        value = given[name]
        if isinstance(value, Factor):
            rating, rationale = value.rating, value.rationale
        elif isinstance(value, Mapping):
            rating, rationale = value.get("rating"), value.get("rationale")
        else:
            rating, rationale = value
        if rating not in RATINGS:
            raise ParameterError(f"{name}: rating {rating!r} is not one of {', '.join(RATINGS)}")
        text = str(rationale or "").strip()
        if len(text) < MIN_RATIONALE:
            raise ParameterError(
                f"{name}: a written rationale of at least {MIN_RATIONALE} characters is required"
            )
        out.append(Factor(name, str(rating), text))
    return tuple(out)


def record_assessment(
    ws: Workspace,
    action_id: str,
    *,
    assessor: str,
    factors: Mapping[str, Any],
    decision_id: str | None = None,
    at: datetime | None = None,
) -> Assessment:
    """Assess the restriction ``action_id`` (which must exist in ``actions`` and not be a
    restore) on the six factors, store it in ``rabat`` and log it. The outcome follows
    from the ratings; ``decision_id``, when given, must exist in ``decisions``."""
    if not assessor.strip():
        raise ParameterError("an assessment needs an assessor")
    checked = _factors(factors)
    row = next(
        iter(
            ws.con.execute(
                "SELECT account_id, post_id, action, policy FROM actions WHERE action_id = ? LIMIT 1",
                [action_id],
            ).fetchall()
        ),
        None,
    )
    if row is None:
        raise ParameterError(f"no action {action_id!r} in the workspace")
    account_id, post_id, action, policy = row
    if action == "restore":
        raise ParameterError(f"action {action_id} is a restore, not a restriction")
    if decision_id is not None and not ws.sql(
        "SELECT 1 FROM decisions WHERE decision_id = ?", [decision_id]
    ):
        raise ParameterError(f"no decision {decision_id!r} in the workspace")
    outcome = threshold({f.name: f.rating for f in checked})
    created = naive_utc(at or datetime.now(UTC))
    body = {f.name: {"rating": f.rating, "rationale": f.rationale} for f in checked}
    digest = hashlib.sha256(
        json.dumps([action_id, assessor, created.isoformat(), body], sort_keys=True).encode()
    ).hexdigest()
    assessment = Assessment(
        f"ra-{digest[:12]}", action_id, post_id, decision_id, checked, outcome, assessor, created
    )
    stored = {"factors": body, "decision_id": decision_id}
    with ws.transaction():
        ws.con.execute(
            "INSERT INTO rabat VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                assessment.assessment_id,
                action_id,
                post_id,
                json.dumps(stored, ensure_ascii=False, sort_keys=True),
                outcome,
                assessor,
                created,
            ],
        )
        _audit(
            ws,
            assessor,
            assessment,
            {"account_id": account_id, "action": action, "policy": policy},
        )
    return assessment


def _audit(ws: Workspace, actor: str, a: Assessment, about: dict[str, Any]) -> None:
    """One audit entry for an assessment (the audit module's ``append``)."""
    append(
        ws,
        actor,
        "rabat.assess",
        a.action_id,
        {
            **about,
            "assessment_id": a.assessment_id,
            "decision_id": a.decision_id,
            "inputs": {f.name: f.rating for f in a.factors},
            "outcome": a.outcome,
        },
        at=a.created_at,
    )


def assessments(ws: Workspace, action_id: str | None = None) -> list[Assessment]:
    """Stored assessments, oldest first (of one action when ``action_id`` is given)."""
    rows = ws.sql(
        """SELECT assessment_id, action_id, post_id, factors, outcome, assessor, created_at
        FROM rabat WHERE CAST(? AS VARCHAR) IS NULL OR action_id = ?
        ORDER BY created_at, assessment_id""",
        [action_id, action_id],
    )
    out = []
    for assessment_id, action, post, raw, outcome, assessor, created in rows:
        stored = json.loads(raw)
        factors = tuple(
            Factor(name, stored["factors"][name]["rating"], stored["factors"][name]["rationale"])
            for name in FACTORS
            if name in stored["factors"]
        )
        out.append(
            Assessment(
                assessment_id,
                action,
                post,
                stored.get("decision_id"),
                factors,
                outcome,
                assessor,
                created,
            )
        )
    return out
