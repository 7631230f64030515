"""The common suite every registered detector must pass, on a small simulated scenario."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from separ.detectors import DETECTORS, build, run_detectors
from separ.detectors.base import Detector
from separ.errors import ParameterError
from separ.workspace import Workspace
from tests.conftest import fresh, roles

NAMES = sorted(DETECTORS)


@pytest.mark.parametrize("name", NAMES)
def test_parameters_are_declared_documented_and_stored_unchanged(name: str) -> None:
    cls = DETECTORS[name]
    params = cls.parameters()
    assert params, f"{name} has no keyword-only parameters"
    assert set(params) <= set(cls.docs)
    detector = cls()
    assert detector.get_params() == params
    assert cls.description


@pytest.mark.parametrize("name", NAMES)
def test_bad_parameters_are_refused(name: str) -> None:
    cls = DETECTORS[name]
    with pytest.raises(ParameterError, match="has no parameter"):
        build(name, {"no_such_parameter": "1"})
    for key, rule in cls.constraints.items():
        low = getattr(rule, "low", None)
        if low is not None:
            with pytest.raises(ParameterError, match=f"{name}.{key} must be"):
                build(name, {key: str(low - 1)})


@pytest.mark.parametrize("name", NAMES)
def test_findings_cite_existing_events_and_say_what_happened(scenario: Path, name: str) -> None:
    with fresh(scenario, name) as ws:
        findings = run_detectors(ws, [build(name)])
        assert findings, f"{name} found nothing in a scenario with a planted operation"
        known = {e for (e,) in ws.sql("SELECT DISTINCT event_id FROM activity")}
        for f in findings:
            assert f.event_ids, f.summary
            assert set(f.event_ids) <= known
            assert any(ch.isdigit() for ch in f.summary)
            assert f.summary.count(". ") == 0, "one sentence"
            assert 0.0 <= f.score <= 1.0
        stored = ws.sql("SELECT count(*) FROM findings WHERE detector = ?", [name])[0][0]
        assert stored == len(findings)
        again = run_detectors(ws, [build(name)])
        assert [f.finding_id for f in again] == [f.finding_id for f in findings]


AT_RISK = "account_id IN (SELECT account_id FROM registers WHERE register = 'protected')"

# Traits a person chooses to protect themselves. Logins and language change for everyone;
# handles and profiles change for the at-risk (a swarm's *shared* images or handle
# pattern is cohort evidence, and hiding one's own profile must never make one a suspect).
NEUTRAL = [
    "UPDATE logins SET network = 'tor', ip_hash = 'shared-exit-node', asn = 'AS-TOR'",
    "UPDATE accounts SET handle = 'user' || hash(account_id) % 100000 || '_' || hash(handle) % 97 "
    f"WHERE {AT_RISK}",
    "UPDATE accounts SET location = NULL, display_name = NULL, avatar = NULL, "
    f"avatar_hash = NULL, default_avatar = true WHERE {AT_RISK}",
    "UPDATE accounts SET lang = 'fa'",
    "UPDATE posts SET lang = CASE WHEN lang = 'fa' THEN 'en' ELSE 'fa' END",
    f"UPDATE accounts SET created_at = created_at - INTERVAL 1 DAY WHERE {AT_RISK}",
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "change",
    NEUTRAL,
    ids=["vpn-tor", "pseudonym", "no-profile", "language", "post-language", "re-registered"],
)
def test_self_protection_changes_no_finding(scenario: Path, name: str, change: str) -> None:
    from separ.activity import build_activity

    with fresh(scenario, name) as ws:
        before = {f.finding_id: f.accounts for f in build(name).run(ws)}
        ws.con.execute(change)
        build_activity(ws)
        after = {f.finding_id: f.accounts for f in build(name).run(ws)}
    assert after == before


def test_coaction_finds_the_operation_and_spares_the_at_risk(scenario: Path) -> None:
    truth = roles(scenario)
    with fresh(scenario, "quality") as ws:
        findings = run_detectors(ws, [build("coaction")])
    flagged = {a for f in findings for a in f.accounts}
    operation = {a for a, r in truth.items() if r == "operation"}
    at_risk = {a for a, r in truth.items() if r == "at_risk"}
    assert len(flagged & operation) / len(flagged) >= 0.95
    # co-action alone finds the accounts that post, repost and tag; follow-only and
    # report-only foot soldiers are found by the cohort detectors and joined in campaigns
    assert len(flagged & operation) / len(operation) >= 0.5
    assert not flagged & at_risk


def test_detector_contract_is_scikit_like() -> None:
    class Bad(Detector):
        name = "bad"
        docs: ClassVar[dict[str, str]] = {"x": "a parameter"}

        def __init__(self, *, x: int = 1) -> None:
            self.x = x

        def run(self, ws: Workspace) -> list:  # type: ignore[type-arg]
            return []

    assert Bad.parameters() == {"x": 1}
    assert Bad(x=5).get_params() == {"x": 5}
