"""Lockstep across targets (CopyCatch and FRAUDAR): the planted operation is found, the
at-risk and organic users are spared, timing and camouflage behave as documented."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from separ.detectors import build, run_detectors
from separ.detectors.base import Finding
from separ.detectors.lockstep import Lockstep, peel
from separ.errors import ParameterError
from separ.workspace import Workspace
from tests.conftest import data_path, fresh, roles

DAY = 86400.0
START = datetime(2026, 2, 1)
CELEBRITIES = [f"celeb{j}" for j in range(6)]
TARGETS = [f"t{j}" for j in range(4)]


def add_follows(ws: Workspace, rows: list[tuple[str, str, float]], verb: str = "follow") -> None:
    """Events ``(actor, object, seconds after START)`` of ``verb`` in ``activity``."""
    table = pa.table(
        {
            "event_id": [f"{verb}:{a}>{o}" for a, o, _ in rows],
            "actor": [a for a, _, _ in rows],
            "object": [o for _, o, _ in rows],
            "ts": [START + timedelta(seconds=t) for _, _, t in rows],
        }
    )
    ws.con.register("_follows", table)
    ws.con.execute(
        "INSERT INTO activity SELECT event_id, actor, ?, object, ts FROM _follows", [verb]
    )
    ws.con.unregister("_follows")


def organic_world(rng: np.random.Generator) -> list[tuple[str, str, float]]:
    """600 people following popular accounts whenever they like, each other, and two
    solidarity waves of 150 random people following an author within 15 minutes."""
    rows = []
    popularity = np.array([0.3, 0.25, 0.15, 0.12, 0.1, 0.08])
    for i in range(600):
        for c in rng.choice(6, size=3, replace=False, p=popularity):
            rows.append((f"u{i}", CELEBRITIES[c], rng.uniform(0, 60 * DAY)))
        for j in rng.choice(600, size=2, replace=False):
            if j != i:
                rows.append((f"u{i}", f"u{j}", rng.uniform(0, 60 * DAY)))
    for author, day in (("hero1", 10), ("hero2", 20)):
        for i in rng.choice(600, size=150, replace=False):
            rows.append((f"u{i}", author, day * DAY + rng.uniform(0, 900)))
    return rows


def swarm(rng: np.random.Generator, spread: float, camouflage: int) -> list[tuple[str, str, float]]:
    """15 accounts each following the 4 targets, one target every few days, each within
    ``spread`` seconds; and ``camouflage`` follows of popular accounts at random times."""
    rows = []
    for j, target in enumerate(TARGETS):
        start = (5 + 12 * j) * DAY
        for i in range(15):
            rows.append((f"op{i}", target, start + rng.uniform(0, spread)))
    for i in range(15):
        for c in rng.choice(len(CELEBRITIES), size=min(camouflage, 6), replace=False):
            rows.append((f"op{i}", CELEBRITIES[c], rng.uniform(0, 60 * DAY)))
        for k in range(max(camouflage - 6, 0)):
            rows.append((f"op{i}", f"u{(i * 37 + k * 11) % 600}", rng.uniform(0, 60 * DAY)))
    return rows


def kinds(findings: list[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        out[f.kind].append(f)
    return out


# --- the planted scenario ------------------------------------------------------------------


@pytest.fixture(scope="module")
def found(scenario: Path) -> tuple[list[Finding], dict[str, tuple[str, str, str, datetime]]]:
    with fresh(scenario, "lockstep") as ws:
        findings = run_detectors(ws, [build("lockstep")])
        events = {
            e: (a, v, o, t)
            for e, a, v, o, t in ws.sql(
                "SELECT event_id, actor, verb, object, ts FROM activity "
                "WHERE verb IN ('follow', 'report', 'link')"
            )
        }
    return findings, events


def test_finds_the_operation_and_spares_the_at_risk(
    scenario: Path, found: tuple[list[Finding], dict[str, tuple[str, str, str, datetime]]]
) -> None:
    truth = roles(scenario)
    findings, _ = found
    by_kind = kinds(findings)
    assert by_kind["lockstep:copycatch"]
    assert by_kind["lockstep:fraudar"]
    operation = {a for a, r in truth.items() if r == "operation"}
    at_risk = {a for a, r in truth.items() if r == "at_risk"}
    for kind, group in by_kind.items():
        flagged = {a for f in group for a in f.accounts}
        assert len(flagged & operation) / len(flagged) >= 0.95, kind
        assert len(flagged & at_risk) <= 0.005 * len(at_risk), kind
    copycatch = {a for f in by_kind["lockstep:copycatch"] for a in f.accounts}
    assert len(copycatch & operation) / len(operation) >= 0.7
    # the accounts acted on are the attacked activists, all at risk
    targets = {t for f in findings for t in f.targets}
    assert {truth[t] for t in targets} == {"at_risk"}


def test_every_account_acted_on_several_targets_each_within_the_window(
    found: tuple[list[Finding], dict[str, tuple[str, str, str, datetime]]],
) -> None:
    findings, events = found
    span = timedelta(seconds=2 * Lockstep().window)
    verbs = set()
    for f in kinds(findings)["lockstep:copycatch"]:
        reached: dict[str, set[str]] = defaultdict(set)
        for evidence in f.evidence:
            acts = [events[e] for e in evidence.event_ids]
            assert len({o for _, _, o, _ in acts}) == 1, "one target per evidence item"
            assert max(t for *_, t in acts) - min(t for *_, t in acts) <= span
            for actor, verb, obj, _ in acts:
                reached[actor].add(obj)
                verbs.add(verb)
        assert set(reached) == set(f.accounts)
        assert min(len(objs) for objs in reached.values()) >= 2
        assert f.significance is not None
        assert f.significance < 1e-3
        assert "chance predicts" in f.summary
        assert "times denser" in f.summary
    assert {"follow", "report"} <= verbs, "swarms and brigades both count"


# --- organic behaviour, timing, camouflage ------------------------------------------------


def test_organic_users_of_the_same_celebrities_and_waves_form_no_block(ws: Workspace) -> None:
    add_follows(ws, organic_world(np.random.default_rng(1)))
    # two waves share ~37 of their 150 followers by chance: that is not lockstep
    assert Lockstep().run(ws) == []


def test_a_planted_swarm_is_found_exactly(ws: Workspace) -> None:
    rng = np.random.default_rng(2)
    add_follows(ws, organic_world(rng) + swarm(rng, spread=3600, camouflage=3))
    by_kind = kinds(Lockstep().run(ws))
    planted = {f"op{i}" for i in range(15)}
    (copycatch,) = by_kind["lockstep:copycatch"]
    assert set(copycatch.accounts) == planted
    assert set(copycatch.targets) == set(TARGETS)
    assert copycatch.summary.startswith("15 accounts each followed at least 2 (median 4)")
    (fraudar,) = by_kind["lockstep:fraudar"]
    assert set(fraudar.accounts) == planted
    assert set(fraudar.targets) == set(TARGETS)


def test_a_cohort_sharing_the_same_links_is_found_and_links_are_not_targets(
    ws: Workspace,
) -> None:
    """The link layer: 15 accounts share the same 4 links, each within an hour, among
    600 people sharing popular links whenever they like and two viral links in waves."""
    rng = np.random.default_rng(5)
    links = [(a, o.replace("celeb", "https://news.example/"), t) for a, o, t in organic_world(rng)]
    planted = [
        (a, o.replace("t", "https://campaign.example/"), t)
        for a, o, t in swarm(rng, spread=3600, camouflage=0)
    ]
    add_follows(ws, links + planted, verb="link")
    by_kind = kinds(Lockstep().run(ws))
    (copycatch,) = by_kind["lockstep:copycatch"]
    assert set(copycatch.accounts) == {f"op{i}" for i in range(15)}
    assert copycatch.targets == []  # links are not accounts under attack
    assert copycatch.summary.startswith("15 accounts each shared at least 2 (median 4)")
    assert "of the same 4 links" in copycatch.summary


def test_heavy_camouflage_does_not_hide_the_swarm(ws: Workspace) -> None:
    rng = np.random.default_rng(2)
    add_follows(ws, organic_world(rng) + swarm(rng, spread=3600, camouflage=40))
    for f in Lockstep().run(ws):
        assert set(f.accounts) == {f"op{i}" for i in range(15)}, f.kind
        assert set(f.targets) == set(TARGETS)


def test_the_same_follows_spread_over_days_are_not_lockstep(ws: Workspace) -> None:
    rng = np.random.default_rng(2)
    add_follows(ws, organic_world(rng) + swarm(rng, spread=10 * DAY, camouflage=3))
    assert Lockstep().run(ws) == []


def test_a_wider_window_catches_a_slower_swarm(ws: Workspace) -> None:
    rng = np.random.default_rng(3)
    add_follows(ws, organic_world(rng) + swarm(rng, spread=8 * 3600, camouflage=3))
    narrow = {a for f in Lockstep(window=1800.0).run(ws) for a in f.accounts}
    wide = {a for f in Lockstep(window=4 * 3600.0).run(ws) for a in f.accounts}
    assert wide == {f"op{i}" for i in range(15)}
    assert len(narrow) < len(wide)


# --- FRAUDAR peeling ------------------------------------------------------------------------


def bipartite() -> tuple[np.ndarray, np.ndarray]:
    """Sparse noise, 1,000 people following the same 5 celebrities, and a half-filled
    20 x 10 block (rows 2000-2019, columns 100-109)."""
    rng = np.random.default_rng(4)
    noise_r, noise_c = rng.integers(0, 2000, 3000), rng.integers(0, 100, 3000)
    celeb_r, celeb_c = np.repeat(np.arange(1000), 5), np.tile(np.arange(200, 205), 1000)
    grid = rng.random((20, 10)) < 0.5
    block_r, block_c = np.nonzero(grid)
    rows = np.concatenate([noise_r, celeb_r, block_r + 2000])
    cols = np.concatenate([noise_c, celeb_c, block_c + 100])
    edges = np.unique(np.stack([rows, cols], axis=1), axis=0)
    return edges[:, 0], edges[:, 1]


def test_column_weights_keep_celebrities_from_making_the_block() -> None:
    rows, cols = bipartite()
    degree = np.bincount(cols, minlength=205).astype(float)
    raw_rows, raw_cols, _ = peel(rows, cols, np.ones(205))
    assert set(range(200, 205)) <= set(raw_cols), "raw density picks the celebrities"
    assert not set(raw_rows) & set(range(2000, 2020))
    block_rows, block_cols, _ = peel(rows, cols, 1.0 / np.log(degree + 5.0))
    assert set(block_cols) == set(range(100, 110))
    assert set(block_rows) <= set(range(2000, 2020))
    assert len(block_rows) >= 15


def test_camouflage_edges_do_not_hide_the_block() -> None:
    rows, cols = bipartite()
    camo_r = np.repeat(np.arange(2000, 2020), 5)
    camo_c = np.tile(np.arange(200, 205), 20)
    rows, cols = np.concatenate([rows, camo_r]), np.concatenate([cols, camo_c])
    degree = np.bincount(cols, minlength=205).astype(float)
    block_rows, block_cols, _ = peel(rows, cols, 1.0 / np.log(degree + 5.0))
    assert set(range(100, 110)) <= set(block_cols)
    assert len(set(block_rows) & set(range(2000, 2020))) >= 15


# --- parameters and real data -----------------------------------------------------------------


def test_unknown_verbs_are_refused() -> None:
    with pytest.raises(ParameterError, match=r"lockstep\.verbs"):
        build("lockstep", {"verbs": "follow,likes"})


def test_follower_lists_without_times_make_no_finding(tmp_path: Path) -> None:
    """The FollowerAnalyzer sample: one account's followers, known only by order."""
    from separ.ingest import ingest

    sample = data_path("followers", "sample_follower_data.json")
    with Workspace(tmp_path / "followers.duckdb") as ws:
        ingest(ws, sample, "followers")
        assert ws.sql("SELECT count(*) FROM activity WHERE verb = 'follow'")[0][0] > 20_000
        assert Lockstep().run(ws) == []
