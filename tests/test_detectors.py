"""The common suite every registered detector must pass, on a small simulated scenario."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

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


def test_coaction_edges_carry_their_evidence_whatever_the_chunking(
    scenario: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each kept edge lists its shared objects and the event ids behind them (see
    ``assert_evidence``). Building the lists a few pair rows at a time gives the same
    edges."""
    import separ.detectors.coaction as coaction

    query = "SELECT * FROM coaction_edges ORDER BY verb, a, b"
    with fresh(scenario, "edges") as ws:
        run_detectors(ws, [build("coaction")])
        edges = ws.sql(query)
        acts = ws.sql("SELECT event_id, actor, verb, object FROM activity")
    assert len(edges) > 100
    assert_evidence(edges, acts)
    monkeypatch.setattr(coaction, "EVIDENCE_ROWS", 7)
    with fresh(scenario, "edges-chunked") as ws:
        run_detectors(ws, [build("coaction")])
        assert ws.sql(query) == edges


def test_an_event_behind_two_shared_objects_is_listed_once(tmp_path: Path) -> None:
    """Two accounts post three times a day apart, each post with two hashtags: their
    hashtag edge shares six objects behind six events (not twelve)."""
    import pyarrow as pa

    from separ.detectors.coaction import coaction_edges

    start = datetime(2026, 3, 1)
    rows = [
        (f"p:{who}{day}", who, f"#tag{day}{k}", start + timedelta(days=day, seconds=s))
        for day in range(3)
        for k in range(2)
        for who, s in (("x", 0), ("y", 30))
    ]
    rows += [(f"p:n{i}", f"n{i}", f"#tag{i % 3}0", start + timedelta(hours=i)) for i in range(40)]
    with Workspace(tmp_path / "tags.duckdb") as ws:
        ws.con.register("_rows", pa.table(list(zip(*rows, strict=True)), ["e", "a", "o", "t"]))
        ws.con.execute("INSERT INTO activity SELECT e, a, 'hashtag', o, t FROM _rows")
        coaction_edges(ws, "hashtag", 600, 1.0, 2, 16)
        edges = ws.sql("SELECT * FROM coaction_edges WHERE a = 'x' AND b = 'y'")
        acts = ws.sql("SELECT event_id, actor, verb, object FROM activity")
    assert len(edges) == 1
    assert_evidence(edges, acts)
    assert len(edges[0][-3]) == 6
    assert edges[0][-2] == sorted(f"p:{who}{day}" for day in range(3) for who in "xy")


def assert_evidence(edges: list[tuple[Any, ...]], acts: list[tuple[Any, ...]]) -> None:
    """An edge's objects and event ids are sorted and distinct; every object has an
    action of each account among the events, and every event is an action of one of the
    two on one of the objects (a post with two shared hashtags is one event)."""
    by_event: dict[str, set[tuple[str, str, str]]] = {}
    for event, actor, verb, obj in acts:
        by_event.setdefault(event, set()).add((actor, verb, obj))
    for verb, a, b, shared, *_, objects, events, _strong in edges:
        assert objects == sorted(set(objects))
        assert events == sorted(set(events))
        assert len(objects) >= shared >= 2
        acted = {(x, o) for e in events for x, v, o in by_event[e] if v == verb and o in objects}
        assert {(x, o) for x in (a, b) for o in objects} <= acted, (verb, a, b)
        assert all(any(x in (a, b) for x, _, _ in by_event[e]) for e in events)


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
