"""Report brigades: the planted scenario, a hand-built platform with the hard negatives
(victims reporting their abuser, an ordinary pile-on), and the upheld/contact rules."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from separ.detectors import build, run_detectors
from separ.detectors.base import Finding
from separ.detectors.brigade import brigade_reports, prepare_reports
from separ.ingest import ingest
from separ.workspace import Workspace
from tests.conftest import fresh, truth_accounts

DAY = 86400.0
START = datetime(2026, 1, 1, tzinfo=UTC)


def iso(seconds: float) -> str:
    return (START + timedelta(seconds=float(seconds))).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_world(folder: Path, tables: dict[str, list[dict[str, Any]]]) -> Path:
    """Native CSV files, one per table (lists as JSON arrays)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        columns = sorted({k for r in rows for k in r})
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, columns)
            writer.writeheader()
            for r in rows:
                writer.writerow(
                    {k: json.dumps(v) if isinstance(v, list) else v for k, v in r.items()}
                )
    return folder


# --- the planted scenario ----------------------------------------------------------------


@pytest.fixture(scope="module")
def planted(scenario: Path) -> Iterator[tuple[Workspace, list[Finding]]]:
    with fresh(scenario, "brigade") as ws:
        yield ws, run_detectors(ws, [build("report_brigade")])


def brigade_truth(scenario: Path) -> dict[str, str]:
    """report_id -> brigade campaign ('' for organic reports)."""
    with open(scenario / "data" / "truth" / "reports.csv", encoding="utf-8") as f:
        return {r["report_id"]: r["campaign"] for r in csv.DictReader(f)}


def test_finds_the_planted_brigades_and_spares_organic_reporters(
    scenario: Path, planted: tuple[Workspace, list[Finding]]
) -> None:
    ws, findings = planted
    truth, people = brigade_truth(scenario), truth_accounts(scenario)
    found = brigade_reports(ws).to_pylist()
    flagged = {r["report_id"] for r in found}
    brigade = {r for r, c in truth.items() if c.startswith("brigade:")}
    organic = set(truth) - brigade
    # measured at seed 11, scale 0.1: recall 0.93 (one 6-report burst on a target hit
    # once is missed), no organic report, no at-risk account (docs/brigade.md)
    assert len(flagged & brigade) / len(brigade) >= 0.9
    assert len(flagged & organic) <= 0.01 * len(organic)
    accounts = {a for f in findings for a in f.accounts}
    assert not {a for a in accounts if people[a]["role"] == "at_risk"}
    assert {people[a]["role"] for a in accounts} == {"operation"}
    for f in findings:
        (target,) = f.targets
        events = {e[2:] for e in f.evidence[0].event_ids}
        assert {truth[r] for r in events} == {f"brigade:{target}"}, f.summary
        assert f.significance is not None
        assert f.significance <= 1e-3
        assert str(len(f.accounts)) in f.summary


def test_brigade_reports_lists_each_targets_reports_with_the_finding(
    planted: tuple[Workspace, list[Finding]],
) -> None:
    ws, findings = planted
    target = findings[0].targets[0]
    rows = brigade_reports(ws, target).to_pylist()
    mine = [f for f in findings if f.targets == [target]]
    assert len(rows) == sum(len(f.evidence[0].event_ids) for f in mine)
    assert {r["target"] for r in rows} == {target}
    assert {r["finding_id"] for r in rows} == {f.finding_id for f in mine}
    stored = {
        r for (r,) in ws.sql("SELECT report_id FROM reports WHERE target_account_id = ?", [target])
    }
    assert {r["report_id"] for r in rows} <= stored
    assert all(r["why"] in {f.summary for f in mine} for r in rows)
    nobody = brigade_reports(ws, "no-such-account")
    assert nobody.num_rows == 0
    assert nobody.column_names == ["report_id", "target", "finding_id", "why"]


def test_other_detectors_findings_are_support_not_a_requirement(scenario: Path) -> None:
    with fresh(scenario, "brigade-overlap") as ws:
        alone = run_detectors(ws, [build("report_brigade")])
        # listed first, the brigade still runs after co-action and reads its findings
        supported = run_detectors(ws, [build("report_brigade"), build("coaction")])
    assert {frozenset(f.accounts) for f in supported} >= {frozenset(f.accounts) for f in alone}
    assert any(" are in " in e.what for f in supported for e in f.evidence)
    assert not any(" are in " in e.what for f in alone for e in f.evidence)


def test_parameters_change_what_is_found(scenario: Path) -> None:
    with fresh(scenario, "brigade-params") as ws:
        default = build("report_brigade").run(ws)
        assert not build("report_brigade", {"min_reports": "50"}).run(ws)
        strict = build("report_brigade", {"cohort_alpha": "1e-12"}).run(ws)
    assert 0 < len(strict) < len(default)


def test_an_empty_workspace_has_no_brigade(ws: Workspace) -> None:
    assert run_detectors(ws, [build("report_brigade")]) == []
    assert brigade_reports(ws).num_rows == 0


# --- a hand-built platform with the hard negatives ----------------------------------------

BRIGADE = [f"b{i:02d}" for i in range(10)]
VICTIMS = [f"u{i:03d}" for i in range(6)]
PILE_ON = [f"u{i:03d}" for i in range(6, 12)]
REASONS = ["spam", "harassment", "violent_speech", "hateful_conduct", "misinformation"]


def hand_built(seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """400 ordinary accounts reporting each other (a third after a reply from the
    reported account, a fifth upheld by a moderator); a brigade of 10 accounts created
    within two days reports T1 (three of them with another reason) and then T2, and
    gets T1 suspended by the report-count rule; six victims report the abuser x1 twice
    after x1 mentioned them; six ordinary accounts pile on x1 once with one reason."""
    rng = np.random.default_rng(seed)
    people = [f"u{i:03d}" for i in range(400)]
    accounts = [{"account_id": a, "created_at": iso(-rng.uniform(200, 5000) * DAY)} for a in people]
    accounts += [
        {"account_id": a, "created_at": iso(-(30 + rng.uniform(0, 2)) * DAY)} for a in BRIGADE
    ]
    accounts += [{"account_id": a, "created_at": iso(-3000 * DAY)} for a in ("T1", "T2", "x1")]
    reports: list[dict[str, Any]] = []
    posts: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []

    def report(reporter: str, target: str, reason: str, t: float) -> str:
        rid = f"r{len(reports):05d}"
        reports.append(
            {
                "report_id": rid,
                "reporter_id": reporter,
                "target_account_id": target,
                "reason": reason,
                "created_at": iso(t),
            }
        )
        return rid

    def reply(author: str, to: str, t: float, mention: bool = False) -> None:
        posts.append(
            {
                "post_id": f"p{len(posts):05d}",
                "account_id": author,
                "created_at": iso(t),
                "kind": "post" if mention else "reply",
                "text": f"to {to}",
                "ref_account_id": "" if mention else to,
                "mentions": [to] if mention else [],
            }
        )

    for _ in range(700):
        reporter, target = rng.choice(people, size=2, replace=False)
        t = rng.uniform(0, 60 * DAY)
        rid = report(
            str(reporter), str(target), str(rng.choice(REASONS, p=[0.2, 0.3, 0.2, 0.15, 0.15])), t
        )
        if rng.random() < 0.35:
            reply(str(target), str(reporter), t - 3600)
        if rng.random() < 0.2:
            actions.append(
                {
                    "action_id": f"a{len(actions):04d}",
                    "account_id": str(target),
                    "action": "remove",
                    "policy": "harassment",
                    "created_at": iso(t + 6 * 3600),
                    "actor": "mod-01",
                    "automated": False,
                    "trigger": "report",
                    "trigger_ref": [rid],
                }
            )
    first = [
        report(
            b, "T1", "harassment" if i >= 7 else "violent_speech", 20 * DAY + rng.uniform(0, 3600)
        )
        for i, b in enumerate(BRIGADE)
    ]
    actions.append(
        {
            "action_id": "a-auto",
            "account_id": "T1",
            "action": "suspend",
            "policy": "violent_speech",
            "created_at": iso(20 * DAY + 2 * 3600),
            "actor": "automated",
            "automated": True,
            "trigger": "report",
            "trigger_ref": first[:5],
        }
    )
    for b in BRIGADE[:8]:
        report(b, "T2", "violent_speech", 27 * DAY + rng.uniform(0, 5400))
    for day in (35, 38):
        for v in VICTIMS:
            reply("x1", v, day * DAY, mention=True)
            report(v, "x1", "harassment", day * DAY + 1800 + rng.uniform(0, 5400))
    for p in PILE_ON:
        report(p, "x1", "hateful_conduct", 45 * DAY + rng.uniform(0, 5400))
    return {"accounts": accounts, "posts": posts, "reports": reports, "actions": actions}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("brigade-world")
    with Workspace(root / "ws.duckdb") as ws:
        ingest(ws, write_world(root / "data", hand_built()))
        yield ws


def test_a_brigade_is_found_with_every_reporter_even_under_another_reason(
    platform: Workspace,
) -> None:
    findings = run_detectors(platform, [build("report_brigade")])
    by_target = {f.targets[0]: f for f in findings}
    assert set(by_target) == {"T1", "T2"}
    assert by_target["T1"].accounts == BRIGADE  # the three "harassment" reports are tied
    assert by_target["T2"].accounts == BRIGADE[:8]
    assert len(brigade_reports(platform, "T1")) == 10
    what = " ".join(e.what for e in by_target["T1"].evidence)
    assert "also reported T2 together" in what
    assert "created within 7 days" in what


def test_victims_reporting_their_abuser_and_a_pile_on_are_not_brigades(
    platform: Workspace,
) -> None:
    findings = run_detectors(platform, [build("report_brigade")])
    flagged = {a for f in findings for a in f.accounts}
    assert not flagged & (set(VICTIMS) | set(PILE_ON))
    assert "x1" not in {t for f in findings for t in f.targets}


def test_upheld_needs_a_human_action_that_stands(platform: Workspace) -> None:
    prepare_reports(platform, 7 * DAY, 7 * DAY)
    rows = dict(platform.sql("SELECT report_id, upheld FROM _brg_r"))
    cited = {
        r for (r,) in platform.sql("SELECT unnest(trigger_ref) FROM actions WHERE NOT automated")
    }
    auto = {r for (r,) in platform.sql("SELECT unnest(trigger_ref) FROM actions WHERE automated")}
    assert cited
    assert all(rows[r] for r in cited)
    assert not any(rows[r] for r in auto - cited)  # a report-count rule upholds nothing
    contacted = dict(platform.sql("SELECT report_id, contacted FROM _brg_r"))
    victims = platform.sql(
        "SELECT report_id FROM reports WHERE target_account_id = 'x1' AND reporter_id IN (SELECT unnest(?))",
        [VICTIMS],
    )
    assert victims
    assert all(contacted[r] for (r,) in victims)
    assert not any(
        contacted[r]
        for (r,) in platform.sql("SELECT report_id FROM reports WHERE target_account_id = 'T1'")
    )


def test_overturned_automated_and_proactive_actions_uphold_nothing(tmp_path: Path) -> None:
    reports = [
        {
            "report_id": f"r{i}",
            "reporter_id": f"u{i}",
            "target_account_id": "t",
            "reason": "spam",
            "created_at": iso(i * DAY),
        }
        for i in range(5)
    ]
    act = {
        "account_id": "t",
        "policy": "spam",
        "actor": "mod-01",
        "automated": False,
        "trigger": "report",
    }
    actions = [
        {
            **act,
            "action_id": "a0",
            "action": "remove",
            "created_at": iso(0.5 * DAY),
            "trigger_ref": ["r0"],
        },
        {
            **act,
            "action_id": "a1",
            "action": "suspend",
            "created_at": iso(1.5 * DAY),
            "trigger_ref": ["r1"],
            "actor": "automated",
            "automated": True,
        },
        {
            **act,
            "action_id": "a2",
            "action": "suspend",
            "created_at": iso(2.5 * DAY),
            "trigger_ref": ["r2"],
        },
        {**act, "action_id": "a3", "action": "warn", "created_at": iso(3.5 * DAY)},
        {
            **act,
            "action_id": "a4",
            "action": "limit",
            "created_at": iso(4.5 * DAY),
            "trigger": "proactive",
        },
    ]
    appeals = [
        {"appeal_id": "ap", "action_id": "a2", "filed_at": iso(3 * DAY), "status": "overturned"}
    ]
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ingest(
            ws,
            write_world(
                tmp_path / "d", {"reports": reports, "actions": actions, "appeals": appeals}
            ),
        )
        prepare_reports(ws, 0.75 * DAY, DAY)
        upheld = dict(ws.sql("SELECT report_id, upheld FROM _brg_r"))
        # r3 is upheld by a warning that cites nothing, within the window; r4's only
        # follow-up is proactive; and a window of half a day misses r3's warning
        assert upheld == {"r0": True, "r1": False, "r2": False, "r3": True, "r4": False}
        prepare_reports(ws, 0.4 * DAY, DAY)
        assert not dict(ws.sql("SELECT report_id, upheld FROM _brg_r"))["r3"]
