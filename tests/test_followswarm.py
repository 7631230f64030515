"""The follow-swarm detector and the follower map: planted swarms in simulated worlds (with
follow times and with follow order only), organic bursts that must not be swarms, and the
real FollowerAnalyzer follower list."""

from __future__ import annotations

import csv
import itertools
import random
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from separ.detectors import build, run_detectors
from separ.detectors.base import Finding
from separ.detectors.followswarm import FollowSwarm
from separ.followmap import follower_map, to_rank_only
from separ.ingest import ingest
from separ.simulate import simulate
from separ.workspace import Workspace
from tests.conftest import data_path, fresh, roles

# -- helpers ---------------------------------------------------------------------------------


def swarm_truth(folder: Path) -> set[tuple[str, str]]:
    """(follower, target) pairs the simulator labels ``follow_swarm:<target>``."""
    with open(folder / "truth" / "follows.csv", encoding="utf-8") as f:
        return {
            (r["follower_id"], r["followee_id"])
            for r in csv.DictReader(f)
            if r["campaign"].startswith("follow_swarm:")
        }


def quality(
    findings: list[Finding], role: dict[str, str], truth: set[tuple[str, str]]
) -> dict[str, float]:
    flagged = {a for f in findings for a in f.accounts}
    swarm = {a for a, _ in truth}
    pairs = {(a, t) for f in findings for a in f.accounts for t in f.targets}
    hit = Counter(role[a] for a in flagged)
    return {
        "recall": len(flagged & swarm) / len(swarm),
        "precision": hit["operation"] / max(len(flagged), 1),
        "pair_recall": len(pairs & truth) / len(truth),
        "at_risk": hit["at_risk"],
        "at_risk_rate": hit["at_risk"] / sum(r == "at_risk" for r in role.values()),
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default scenario at seed 2, scale 0.5 (swarms of 35-90 accounts), ingested."""
    root = tmp_path_factory.mktemp("followswarm")
    simulate("default", seed=2, scale=0.5, out=root / "data")
    with Workspace(root / "base.duckdb") as ws:
        ingest(ws, root / "data")
    return root


def world_roles(root: Path) -> dict[str, str]:
    with open(root / "data" / "truth" / "accounts.csv", encoding="utf-8") as f:
        return {r["account_id"]: r["role"] for r in csv.DictReader(f)}


# -- simulated worlds ------------------------------------------------------------------------


def test_finds_the_swarms_and_spares_the_at_risk(scenario: Path) -> None:
    truth = swarm_truth(scenario / "data")
    with fresh(scenario, "followswarm") as ws:
        findings = run_detectors(ws, [build("follow_swarm")])
        known = {e for (e,) in ws.sql("SELECT event_id FROM activity")}
    q = quality(findings, roles(scenario), truth)
    # the smallest world: swarms of 16-30 accounts, some bought years ago with no shared picture
    assert q["precision"] >= 0.95
    assert q["recall"] >= 0.85
    assert q["pair_recall"] >= 0.9
    assert q["at_risk"] == 0
    assert {t for f in findings for t in f.targets} == {t for _, t in truth}
    for f in findings:
        assert f.kind == "follow_swarm"
        assert set(f.event_ids) <= known
        assert f.summary.startswith(f"{len(f.accounts)} accounts followed @")
        assert "were created" in f.summary or "share" in f.summary
        assert f.window[0] is not None
        assert f.window[1] is not None
        assert f.window[1] - f.window[0] <= timedelta(hours=4, minutes=1)
        assert f.significance is not None
        assert f.significance <= 1e-3
        # the first piece of evidence is the follows themselves, one per flagged account
        assert sorted(f.evidence[0].event_ids) == sorted(
            f"f:{a}>{f.targets[0]}" for a in f.accounts
        )


def test_meets_the_quality_target_with_times_and_with_order_only(world: Path) -> None:
    truth = swarm_truth(world / "data")
    role = world_roles(world)
    shutil.copy(world / "base.duckdb", world / "timed.duckdb")
    with Workspace(world / "timed.duckdb") as ws:
        timed = FollowSwarm().run(ws)
    q = quality(timed, role, truth)
    assert q["recall"] >= 0.95, q
    assert q["precision"] >= 0.95, q
    assert q["at_risk_rate"] <= 0.005, q

    shutil.copy(world / "base.duckdb", world / "rank.duckdb")
    with Workspace(world / "rank.duckdb") as ws:
        to_rank_only(ws)
        assert ws.sql("SELECT count(created_at), count(rank) FROM follows")[0][0] == 0
        ranked = FollowSwarm().run(ws)
        known = {e for (e,) in ws.sql("SELECT event_id FROM activity")}
    q = quality(ranked, role, truth)
    assert q["recall"] >= 0.9, q
    assert q["precision"] >= 0.95, q
    assert q["at_risk_rate"] <= 0.005, q
    assert {t for _, t in truth} <= {t for f in ranked for t in f.targets}
    for f in ranked:
        assert "estimated from follow order" in f.summary
        assert set(f.event_ids) <= known


def test_an_organic_world_has_no_swarm(tmp_path: Path) -> None:
    """The baseline scenario: viral solidarity waves, newcomers, no operation."""
    simulate("baseline", seed=4, scale=0.1, out=tmp_path / "data")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ingest(ws, tmp_path / "data")
        detector = FollowSwarm()
        assert detector.run(ws) == []
        # the waves were there: bursts far beyond each author's own rate
        assert [c for c in detector.cohorts(ws) if c.kind == "burst" and c.size >= 20]


def test_nothing_to_find_in_an_empty_workspace(ws: Workspace) -> None:
    assert FollowSwarm().run(ws) == []
    assert follower_map(ws, "anyone") == ([], [])


# -- a hand-made follower list: the same burst, organic or made -------------------------------

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _hash(rng: random.Random) -> str:
    return f"phash:{rng.getrandbits(64):016x}"


def small_world(folder: Path, *, made: bool, times: bool = True) -> list[str]:
    """400 followers of ``target`` over a year, then a burst of 120 within an hour.

    ``made``: the burst's accounts were created within two days and two thirds of them use
    one of four pictures (a fifth of those as a copy a few bits away); otherwise they are ordinary people (created over twelve years, own
    pictures). Returns the burst's account ids.
    """
    rng = random.Random(7)
    folder.mkdir(parents=True, exist_ok=True)
    accounts = [("target", "target_acct", _iso(T0 - timedelta(days=3000)), _hash(rng))]
    follows = []
    for i in range(400):
        born = T0 - timedelta(days=rng.uniform(400, 5000))
        accounts.append((f"o{i:03d}", f"person_{i}", _iso(born), _hash(rng)))
        follows.append((f"o{i:03d}", T0 - timedelta(days=rng.uniform(1, 365))))
    pictures = [_hash(rng) for _ in range(6)]
    burst = []
    for i in range(120):
        if made:
            born = T0 - timedelta(days=20, hours=rng.uniform(0, 48))
            picture = pictures[i % 6] if i % 3 else _hash(rng)
            if i % 3 and i % 5 == 0:  # a slightly altered copy: three pHash bits differ
                flip = (1 << (i % 20)) | (1 << (20 + i % 20)) | (1 << 63 - i % 4)
                picture = f"phash:{int(picture[6:], 16) ^ flip:016x}"
        else:
            born = T0 - timedelta(days=rng.uniform(30, 4500))
            picture = _hash(rng)
        accounts.append((f"b{i:03d}", f"name{rng.randint(10, 99)}", _iso(born), picture))
        follows.append((f"b{i:03d}", T0 + timedelta(minutes=rng.uniform(0, 60))))
        burst.append(f"b{i:03d}")
    with open(folder / "accounts.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["account_id", "handle", "created_at", "avatar_hash"])
        w.writerows(accounts)
    follows.sort(key=lambda r: r[1])
    with open(folder / "follows.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["follower_id", "followee_id", "created_at", "rank"])
        for rank, (follower, at) in enumerate(follows):
            w.writerow([follower, "target", _iso(at) if times else "", "" if times else rank])
    return burst


def test_a_viral_burst_of_ordinary_people_is_not_a_swarm(tmp_path: Path) -> None:
    small_world(tmp_path / "data", made=False)
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ingest(ws, tmp_path / "data")
        detector = FollowSwarm()
        assert [(c.kind, c.size) for c in detector.cohorts(ws)] == [("burst", 120)]
        assert detector.run(ws) == []


def test_the_same_burst_of_made_accounts_is_a_swarm(tmp_path: Path) -> None:
    burst = small_world(tmp_path / "data", made=True)
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ingest(ws, tmp_path / "data")
        [finding] = FollowSwarm().run(ws)
        avatars = {e for (e,) in ws.sql("SELECT event_id FROM activity WHERE verb = 'avatar'")}
    assert finding.accounts == burst
    assert finding.targets == ["target"]
    assert finding.summary.startswith("120 accounts followed @target_acct within ")
    assert "100% were created between 7 and 9 February 2026" in finding.summary
    assert "67% share 4 profile images" in finding.summary
    pictures = [e for e in finding.evidence if "profile image" in e.what]
    assert len(pictures) == 4
    assert all(set(e.event_ids) <= avatars and len(e.event_ids) == 20 for e in pictures)
    assert all("(3 variants)" in e.what for e in pictures)


def test_order_only_finds_the_made_burst_and_estimates_follow_times(tmp_path: Path) -> None:
    burst = small_world(tmp_path / "data", made=True, times=False)
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ingest(ws, tmp_path / "data")
        [finding] = FollowSwarm().run(ws)
        points, blocks = follower_map(ws, "target")
    assert finding.accounts == burst
    assert "in one run of 120 consecutive followers" in finding.summary
    assert [(b.first_pos, b.last_pos) for b in blocks] == [(400, 519)]
    assert [p.position for p in points] == list(range(520))
    assert all(p.estimated and p.follow_time and p.created_at for p in points)
    # Meeder's bound: never before the follower existed, never earlier than the one before
    follow = [p.follow_time for p in points]
    born = [p.created_at for p in points]
    assert all(
        f is not None and b is not None and f >= b for f, b in zip(follow, born, strict=True)
    )
    assert all(a <= b for a, b in itertools.pairwise(follow))  # type: ignore[operator]
    assert {p.follower for p in points if p.block == 0} == set(burst)


def test_exact_pictures_only(tmp_path: Path) -> None:
    burst = small_world(tmp_path / "data", made=True)
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ingest(ws, tmp_path / "data")
        [finding] = build("follow_swarm", {"avatar_bits": "0"}).run(ws)
    assert finding.accounts == burst  # all of them were still created together
    pictures = [e for e in finding.evidence if "profile image" in e.what]
    assert len(pictures) == 4
    assert all(len(e.event_ids) == 16 and "(1 variant)" in e.what for e in pictures)


# -- real data -------------------------------------------------------------------------------


def test_real_follower_list(tmp_path: Path) -> None:
    """FollowerAnalyzer's sample: 28,854 followers of one account, order and creation only."""
    path = data_path("followers", "sample_follower_data.json")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ingest(ws, path, "followers")
        findings = FollowSwarm().run(ws)
        known = {e for (e,) in ws.sql("SELECT event_id FROM activity")}
    assert findings
    for f in findings:
        assert f.targets == ["sample_follower_data"]
        assert set(f.event_ids) <= known
    # a batch of accounts made within days in November 2013 that followed in one run
    [batch] = [f for f in findings if "November 2013" in f.summary]
    assert len(batch.accounts) >= 200
    assert batch.window[0] is not None
    assert batch.window[0].year == 2013
