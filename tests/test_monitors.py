"""Enforcement waves and the moderator audit on three simulated worlds (seeds 1, 2, 3).

The worlds are the quality benchmark's workspaces (bench/out/quality/sim-*, detectors
already run), copied first; without them, small worlds are simulated, ingested and run
through every detector here.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from separ.monitors.moderators import moderator_audit
from separ.monitors.waves import Wave, enforcement_waves
from separ.workspace import Workspace

BENCH = Path(__file__).parent.parent / "bench" / "out" / "quality"
WORLDS = (("sim-1-1", 1, 1.0), ("sim-2-0.5", 2, 0.5), ("sim-3-2", 3, 2.0))
BIASED = "mod-06"  # the simulator's biased moderator (ScenarioParams.biased_moderator)


@pytest.fixture(scope="module", params=WORLDS, ids=[w[0] for w in WORLDS])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    name, seed, scale = request.param
    root = tmp_path_factory.mktemp(name)
    bench = BENCH / name
    if (bench / "ws.duckdb").exists() and (bench / "data" / "truth").exists():
        shutil.copy(bench / "ws.duckdb", root / "ws.duckdb")
        shutil.copytree(bench / "data" / "truth", root / "truth")
        return root
    from separ.detectors import DETECTORS, build, run_detectors
    from separ.ingest import ingest
    from separ.simulate import simulate

    simulate("default", seed=seed, scale=min(scale, 0.3), out=root / "data")
    with Workspace(root / "ws.duckdb") as ws:
        ingest(ws, root / "data")
        run_detectors(ws, [build(n) for n in sorted(DETECTORS)])
    shutil.copytree(root / "data" / "truth", root / "truth")
    return root


@pytest.fixture(scope="module")
def waves(world: Path) -> list[Wave]:
    with Workspace(world / "ws.duckdb") as ws:
        return enforcement_waves(ws)


def _truth(world: Path, name: str) -> list[dict[str, str]]:
    with (world / "truth" / name).open(newline="") as f:
        return list(csv.DictReader(f))


def test_biased_moderator_flagged_and_no_more_than_one_false_flag(world: Path) -> None:
    with Workspace(world / "ws.duckdb") as ws:
        flags = moderator_audit(ws)
    flagged = {f.moderator for f in flags}
    assert BIASED in flagged
    assert len(flagged - {BIASED}) <= 1
    for f in flags:
        assert f.rate > f.peer_rate
        assert f.q <= 0.05
        assert f.count == len(f.action_ids)
        assert f.summary.startswith(f"{f.count} of {f.total}")
    with Workspace(world / "ws.duckdb") as ws:
        known = {r[0] for r in ws.sql("SELECT action_id FROM actions WHERE actor = ?", [BIASED])}
    assert all(a in known for f in flags if f.moderator == BIASED for a in f.action_ids)


def test_audit_is_a_test_not_a_ranking(world: Path, tmp_path: Path) -> None:
    """Without the biased moderator's actions, nobody stands out (at most one false flag),
    although the remaining moderators still have a first and a last."""
    shutil.copy(world / "ws.duckdb", tmp_path / "ws.duckdb")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ws.con.execute("DELETE FROM actions WHERE actor = ?", [BIASED])
        flags = moderator_audit(ws)
        moderators = ws.sql("SELECT count(DISTINCT actor) FROM actions WHERE NOT automated")
    assert moderators[0][0] >= 7
    assert len({f.moderator for f in flags}) <= 1


def test_brigade_wave_found_with_its_driver(world: Path, waves: list[Wave]) -> None:
    brigade_suspensions = {
        r["action_id"] for r in _truth(world, "actions.csv") if r["why"].startswith("brigade")
    }
    brigade_reports = {
        r["report_id"] for r in _truth(world, "reports.csv") if r["brigade"] == "true"
    }
    with Workspace(world / "ws.duckdb") as ws:
        ids = {r[0] for r in ws.sql("SELECT action_id FROM actions")}
    wave = next(w for w in waves if w.community == "register:protected" and w.route == "rule")
    assert wave.q <= 0.05
    assert wave.restrictions >= 5
    assert wave.restrictions > 3 * wave.expected
    # most of the wave is the brigade's doing, and most brigade suspensions are in it
    caught = brigade_suspensions & set(wave.action_ids)
    assert len(caught) >= 0.8 * wave.restrictions
    assert len(caught) >= 0.6 * len(brigade_suspensions)
    assert set(wave.action_ids) <= ids
    # the driver: the automated rule, and a report_brigade finding whose reports are brigade
    assert wave.driver.startswith("the automated report rule, brigade report_brigade-")
    assert "reports behind them are attributed to" in wave.summary
    top = next(d for d in wave.drivers if d.kind == "brigade")
    assert len(set(top.ids) & brigade_reports) >= 0.9 * len(top.ids)
    assert any(d.kind == "rule" and "reports" in d.name for d in wave.drivers)
    assert str(wave.restrictions) in wave.summary
    assert "report_brigade findings (report_brigade-" in wave.summary
    attributed = {i for d in wave.drivers if d.kind == "brigade" for i in d.ids}
    assert len(attributed) >= 0.9 * len(wave.report_ids)


def test_waves_are_repeatable_and_name_real_actions(world: Path, waves: list[Wave]) -> None:
    first = waves
    with Workspace(world / "ws.duckdb") as ws:
        again = enforcement_waves(ws)
        ids = {r[0] for r in ws.sql("SELECT action_id FROM actions")}
    assert [w.wave_id for w in first] == [w.wave_id for w in again]
    for w in first:
        assert len(w.action_ids) == w.restrictions <= w.route_total
        assert set(w.action_ids) <= ids
        assert json.loads(json.dumps(w.as_json()))["driver"] == w.driver
        assert w.start <= w.end
        assert w.p <= w.q + 1e-12


def test_no_waves_when_restrictions_fall_evenly(tmp_path: Path) -> None:
    """A community restricted at its usual share, day after day, has no wave."""
    with Workspace(tmp_path / "even.duckdb") as ws:
        rows = []
        for day in range(40):
            for i in range(4):
                account = f"a{i}"
                rows.append((f"x{day}-{i}", account, day, "mod-01" if i % 2 else "mod-02"))
        ws.con.execute(
            "INSERT INTO accounts (account_id, lang) VALUES ('a0','fa'),('a1','fa'),"
            "('a2','en'),('a3','en')"
        )
        ws.con.executemany(
            "INSERT INTO actions (action_id, account_id, action, policy, created_at, actor, "
            "automated, trigger) VALUES (?, ?, 'remove', 'spam', "
            "TIMESTAMP '2026-01-01' + to_days(CAST(? AS INTEGER)), ?, false, 'report')",
            rows,
        )
        assert enforcement_waves(ws) == []
        # twenty extra suspensions of a fa speaker within two days make a wave
        ws.con.executemany(
            "INSERT INTO actions (action_id, account_id, action, policy, created_at, actor, "
            "automated, trigger) VALUES (?, 'a0', 'suspend', 'spam', "
            "TIMESTAMP '2026-01-20' + to_hours(CAST(? AS INTEGER)), 'mod-03', false, 'report')",
            [(f"y{i}", i * 2) for i in range(20)],
        )
        waves = enforcement_waves(ws)
    assert any(w.community == "lang:fa" and w.restrictions >= 20 for w in waves)
    assert not any(w.community == "lang:en" for w in waves)


def test_audit_on_a_small_platform(tmp_path: Path) -> None:
    """Five moderators; mod-05 restricts protected accounts 12 times in 20, the others 2
    in 40 each; overturns are even. Only mod-05 is flagged, on the protected question."""
    with Workspace(tmp_path / "mods.duckdb") as ws:
        ws.con.execute(
            "INSERT INTO registers (account_id, register) SELECT 'p' || i, 'protected' "
            "FROM range(20) t(i)"
        )
        rows = []
        for m in range(1, 6):
            n, hits = (20, 12) if m == 5 else (40, 2)
            for i in range(n):
                account = f"p{i % 20}" if i < hits else f"o{m}-{i}"
                rows.append((f"a{m}-{i}", account, f"mod-0{m}"))
        ws.con.executemany(
            "INSERT INTO actions (action_id, account_id, action, policy, created_at, actor, "
            "automated, trigger) VALUES (?, ?, 'remove', 'harassment', "
            "TIMESTAMP '2026-03-01', ?, false, 'report')",
            rows,
        )
        ws.con.execute(
            "INSERT INTO appeals (appeal_id, action_id, filed_at, status, decided_at) "
            "SELECT 'ap-' || action_id, action_id, TIMESTAMP '2026-03-02', "
            "CASE WHEN hash(action_id) % 4 = 0 THEN 'overturned' ELSE 'upheld' END, "
            "TIMESTAMP '2026-03-04' FROM actions"
        )
        flags = moderator_audit(ws)
    assert [(f.moderator, f.question) for f in flags] == [("mod-05", "protected")]
    (flag,) = flags
    assert (flag.count, flag.total, flag.peer_count, flag.peer_total) == (12, 20, 8, 160)
    assert flag.summary.startswith("12 of 20 (60%) of their restrictions fell on accounts")
