"""The shield: protective actions for the planted scenario's targets, checked against the
truth, every item citing real events; Ozone emitEvent bodies in the lexicon's shape."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from separ.decisions.shield import Shield, ozone_events, shield
from separ.detectors import DETECTORS, build, run_detectors
from separ.detectors.brigade import brigade_reports
from separ.errors import ParameterError
from separ.workspace import Workspace
from tests.conftest import fresh, roles


@pytest.fixture(scope="module")
def detected(scenario: Path) -> Iterator[Workspace]:
    with fresh(scenario, "shield") as ws:
        run_detectors(ws, [build(name) for name in sorted(DETECTORS)])
        yield ws


@pytest.fixture(scope="module")
def shields(scenario: Path, detected: Workspace) -> dict[str, Shield]:
    """A shield for every account the truth marks as a target."""
    with open(scenario / "data" / "truth" / "accounts.csv", encoding="utf-8") as f:
        targets = sorted(r["account_id"] for r in csv.DictReader(f) if r["target"] == "true")
    assert targets
    return {t: shield(detected, t) for t in targets}


def swarm_follows(scenario: Path) -> set[tuple[str, str]]:
    with open(scenario / "data" / "truth" / "follows.csv", encoding="utf-8") as f:
        return {
            (r["follower_id"], r["followee_id"])
            for r in csv.DictReader(f)
            if r["campaign"].startswith("follow_swarm")
        }


def test_shields_act_on_the_operation_only(
    scenario: Path, detected: Workspace, shields: dict[str, Shield]
) -> None:
    role = roles(scenario)
    acted = {
        item.id
        for s in shields.values()
        for item in (*s.remove_followers, *s.mute_notifications, *s.mute_reporters)
    }
    assert acted
    assert {role[a] for a in acted} == {"operation"}
    planted = swarm_follows(scenario)
    removed = {(i.id, t) for t, s in shields.items() for i in s.remove_followers}
    # measured at seed 11, scale 0.1: every removed follow is a planted swarm follow
    assert removed <= planted
    assert len(removed) >= 0.5 * len(planted)
    assert sum(bool(s.mute_notifications) for s in shields.values()) >= 2


def test_every_item_cites_existing_events(detected: Workspace, shields: dict[str, Shield]) -> None:
    cited = {
        e
        for s in shields.values()
        for item in (*s.remove_followers, *s.mute_notifications, *s.discount_reports)
        for e in item.event_ids
    }
    detected.con.execute("CREATE OR REPLACE TEMP TABLE _t_cited (e VARCHAR)")
    detected.con.executemany("INSERT INTO _t_cited VALUES (?)", [[e] for e in sorted(cited)])
    missing = detected.sql("SELECT e FROM _t_cited WHERE e NOT IN (SELECT event_id FROM activity)")
    assert cited
    assert missing == []
    for t, s in shields.items():
        assert all(i.findings and i.event_ids for i in s.remove_followers)
        assert all(e == f"f:{i.id}>{t}" for i in s.remove_followers for e in i.event_ids)
        assert all(i.event_ids for i in s.mute_notifications)


def test_reports_to_discount_are_the_brigade_reports(
    detected: Workspace, shields: dict[str, Shield]
) -> None:
    for t, s in shields.items():
        expected = set(brigade_reports(detected, t).column("report_id").to_pylist())
        assert {i.id for i in s.discount_reports} == expected
        reporters = {e for i in s.mute_reporters for e in i.event_ids}
        assert reporters == {f"r:{r}" for r in expected}
    assert any(s.discount_reports for s in shields.values())


def test_an_account_nobody_attacks_gets_an_empty_shield(
    scenario: Path, detected: Workspace
) -> None:
    role = roles(scenario)
    quiet = next(a for a, r in sorted(role.items()) if r == "organic")
    s = shield(detected, quiet)
    assert s.as_json()["remove_followers"] == []
    assert s.mute_notifications == []
    assert s.discount_reports == []
    assert s.summary.startswith("No stored finding")


def test_ozone_bodies_follow_the_lexicon(shields: dict[str, Shield]) -> None:
    s = max(shields.values(), key=lambda x: len(x.mute_reporters) + len(x.remove_followers))
    bodies = ozone_events(s, "did:plc:labeler", did_of=lambda a: f"did:plc:{a}", mute_hours=48)
    assert len(bodies) == len(s.remove_followers) + len(s.mute_notifications) + len(
        s.mute_reporters
    )
    kinds = set()
    for body in bodies:
        assert set(body) == {"event", "subject", "createdBy"}
        assert body["createdBy"] == "did:plc:labeler"
        assert body["subject"]["$type"] == "com.atproto.admin.defs#repoRef"
        assert body["subject"]["did"].startswith("did:plc:")
        event = body["event"]
        kinds.add(event["$type"])
        if event["$type"] == "tools.ozone.moderation.defs#modEventLabel":
            assert event["createLabelVals"] in (["separ-follow-swarm"], ["separ-reply-swarm"])
            assert event["negateLabelVals"] == []
        else:
            assert event["$type"] == "tools.ozone.moderation.defs#modEventMuteReporter"
            assert event["durationInHours"] == 48
        assert s.target in event["comment"]
    assert kinds == {
        "tools.ozone.moderation.defs#modEventLabel",
        "tools.ozone.moderation.defs#modEventMuteReporter",
    }
    json.dumps(bodies)
    with pytest.raises(ParameterError, match="DID"):
        ozone_events(s, "labeler")
    with pytest.raises(ParameterError, match="did_of"):
        ozone_events(s, "did:plc:labeler")  # simulated ids are not DIDs
