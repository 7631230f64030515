"""Rabat Plan assessments: six factors with ratings and rationales, the threshold, the
link to the restriction, storage and the audit log."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from separ.decisions.audit import verify
from separ.decisions.rabat import FACTORS, assessments, record_assessment, threshold
from separ.errors import ParameterError
from separ.workspace import Workspace

AT = datetime(2026, 3, 1, 12, 0)


def _factors(**ratings: str) -> dict[str, Any]:
    return {
        name: {
            "rating": ratings.get(name, "met"),
            "rationale": f"Simulated rationale for {name}: {FACTORS[name]}.",
        }
        for name in FACTORS
    }


@pytest.fixture
def ws(tmp_path: Path) -> Any:
    with Workspace(tmp_path / "r.duckdb") as ws:
        ws.con.execute(
            "INSERT INTO actions (action_id, account_id, post_id, action, policy, created_at, "
            "actor, automated, trigger) VALUES "
            "('act-1', '1000042', 'p-9', 'remove', 'violent_speech', TIMESTAMP '2026-02-28', "
            "'mod-01', false, 'report'), "
            "('act-2', '1000042', NULL, 'restore', 'violent_speech', TIMESTAMP '2026-03-02', "
            "'mod-02', false, 'appeal')"
        )
        yield ws


def test_record_and_show(ws: Workspace) -> None:
    a = record_assessment(ws, "act-1", assessor="reviewer-a", factors=_factors(), at=AT)
    assert a.outcome == "meets_threshold"
    assert a.post_id == "p-9"
    assert [f.name for f in a.factors] == list(FACTORS)
    (stored,) = assessments(ws)
    assert stored == a
    row = ws.sql("SELECT action_id, post_id, outcome, assessor, factors FROM rabat")[0]
    assert row[:4] == ("act-1", "p-9", "meets_threshold", "reviewer-a")
    assert set(json.loads(row[4])["factors"]) == set(FACTORS)
    entry = ws.sql("SELECT actor, action, subject, detail FROM audit_log")[0]
    assert entry[:3] == ("reviewer-a", "rabat.assess", "act-1")
    assert json.loads(entry[3])["outcome"] == "meets_threshold"
    assert verify(ws).ok
    assert a.as_json()["factors"]["likelihood"]["rating"] == "met"


@pytest.mark.parametrize(
    ("ratings", "outcome"),
    [
        ({}, "meets_threshold"),
        ({"context": "partly_met", "extent": "partly_met"}, "meets_threshold"),
        ({"intent": "partly_met"}, "below_threshold"),
        ({"likelihood": "partly_met"}, "below_threshold"),
        ({"speaker": "not_met"}, "below_threshold"),
        ({"intent": "not_met", "likelihood": "not_met"}, "below_threshold"),
    ],
)
def test_threshold(ratings: dict[str, str], outcome: str) -> None:
    assert threshold({name: ratings.get(name, "met") for name in FACTORS}) == outcome


def test_below_threshold_is_recorded(ws: Workspace) -> None:
    a = record_assessment(
        ws, "act-1", assessor="reviewer-b", factors=_factors(likelihood="not_met"), at=AT
    )
    assert a.outcome == "below_threshold"
    assert [x.outcome for x in assessments(ws, "act-1")] == ["below_threshold"]
    assert assessments(ws, "other") == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.pop("intent"), "missing"),
        (lambda f: f.update(threat={"rating": "met", "rationale": "x" * 30}), "unknown"),
        (lambda f: f["speaker"].update(rating="high"), "rating"),
        (lambda f: f["context"].update(rationale="tense"), "rationale"),
    ],
)
def test_incomplete_assessments_are_refused(ws: Workspace, change: Any, message: str) -> None:
    factors = _factors()
    change(factors)
    with pytest.raises(ParameterError, match=message):
        record_assessment(ws, "act-1", assessor="reviewer-a", factors=factors)
    assert ws.sql("SELECT count(*) FROM rabat")[0][0] == 0
    assert ws.sql("SELECT count(*) FROM audit_log")[0][0] == 0


def test_link_must_exist(ws: Workspace) -> None:
    with pytest.raises(ParameterError, match="no action"):
        record_assessment(ws, "act-404", assessor="r", factors=_factors())
    with pytest.raises(ParameterError, match="restore"):
        record_assessment(ws, "act-2", assessor="r", factors=_factors())
    with pytest.raises(ParameterError, match="no decision"):
        record_assessment(ws, "act-1", assessor="r", factors=_factors(), decision_id="d-404")
    with pytest.raises(ParameterError, match="assessor"):
        record_assessment(ws, "act-1", assessor=" ", factors=_factors())
    ws.con.execute(
        "INSERT INTO decisions (decision_id, account_id, outcome) VALUES ('d-1', '1000042', 'review')"
    )
    a = record_assessment(ws, "act-1", assessor="r", factors=_factors(), decision_id="d-1")
    assert assessments(ws)[0].decision_id == a.decision_id == "d-1"
