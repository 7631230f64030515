"""Follow-swarm quality and speed on simulated scenarios, with follow times and with follow
order only, on the organic baseline scenario, and on the real follower list.

    python bench/followswarm.py                 # seeds 1/2/3 at scales 1/0.5/2, baseline, real
    python bench/followswarm.py --reuse         # keep earlier simulated workspaces
    python bench/followswarm.py --big 10        # also seed 5 at scale 10 (speed)

Swarm accounts are the simulator's followers labelled ``follow_swarm:<target>``. Recall:
swarm accounts flagged; precision: flagged accounts that belong to the operation (its
camouflage follows of popular accounts are coordinated too); swarm precision: flagged
accounts that joined a swarm; pairs: (follower, target) pairs. At-risk: flagged accounts of
the at-risk cohort, and their share of it. Targets: recall and precision >= 0.95, at-risk
<= 0.5%. Results go to bench/out/followswarm.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import time
from collections import Counter
from pathlib import Path

from separ.detectors.base import Finding
from separ.detectors.followswarm import FollowSwarm
from separ.followmap import to_rank_only
from separ.ingest import ingest
from separ.simulate import simulate
from separ.workspace import Workspace

OUT = Path(__file__).resolve().parent / "out" / "followswarm"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SCENARIOS = [(1, 1.0), (2, 0.5), (3, 2.0)]


def prepare(name: str, seed: int, scale: float, reuse: bool) -> Path:
    folder = OUT / f"{name}-{seed}-{scale:g}"
    if reuse and (folder / "base.duckdb").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    simulate(name, seed=seed, scale=scale, out=folder / "data")
    with Workspace(folder / "base.duckdb") as ws:
        ingest(ws, folder / "data")
    return folder


def detect(folder: Path, mode: str) -> tuple[list[Finding], float, int]:
    path = folder / f"{mode}.duckdb"
    shutil.copy(folder / "base.duckdb", path)
    with Workspace(path) as ws:
        if mode == "rank":
            to_rank_only(ws)
        follows = ws.count("follows")
        start = time.perf_counter()
        findings = FollowSwarm().run(ws)
        seconds = time.perf_counter() - start
    path.unlink()
    return findings, seconds, follows


def score(folder: Path, findings: list[Finding]) -> dict[str, float | int]:
    truth = folder / "data" / "truth"
    with open(truth / "accounts.csv", encoding="utf-8") as f:
        role = {r["account_id"]: r["role"] for r in csv.DictReader(f)}
    with open(truth / "follows.csv", encoding="utf-8") as f:
        pairs = {
            (r["follower_id"], r["followee_id"])
            for r in csv.DictReader(f)
            if r["campaign"].startswith("follow_swarm:")
        }
    swarm = {a for a, _ in pairs}
    flagged = {a for f in findings for a in f.accounts}
    found = {(a, t) for f in findings for a in f.accounts for t in f.targets}
    hit = Counter(role[a] for a in flagged)
    cohort = Counter(role.values())
    return {
        "findings": len(findings),
        "flagged": len(flagged),
        "recall": len(flagged & swarm) / max(len(swarm), 1),
        "precision": hit["operation"] / max(len(flagged), 1),
        "swarm_precision": len(flagged & swarm) / max(len(flagged), 1),
        "pair_recall": len(found & pairs) / max(len(pairs), 1),
        "pair_precision": len(found & pairs) / max(len(found), 1),
        "at_risk_flagged": hit["at_risk"],
        "at_risk_rate": hit["at_risk"] / max(cohort["at_risk"], 1),
        "organic_flagged": hit["organic"],
    }


def simulated(name: str, seed: int, scale: float, reuse: bool) -> list[dict[str, object]]:
    folder = prepare(name, seed, scale, reuse)
    rows: list[dict[str, object]] = []
    for mode in ("timed", "rank"):
        findings, seconds, follows = detect(folder, mode)
        row: dict[str, object] = {
            "scenario": name,
            "seed": seed,
            "scale": scale,
            "mode": mode,
            "follows": follows,
            "seconds": round(seconds, 2),
        }
        row.update(score(folder, findings))
        rows.append(row)
        print(
            f"{name} seed {seed} scale {scale:g} {mode:5s}: {row['findings']} findings, "
            f"{row['flagged']} flagged, recall {row['recall']:.3f}, precision "
            f"{row['precision']:.3f} (swarm {row['swarm_precision']:.3f}), pairs "
            f"{row['pair_recall']:.3f}/{row['pair_precision']:.3f}, at-risk "
            f"{row['at_risk_flagged']} ({row['at_risk_rate']:.2%}), organic "
            f"{row['organic_flagged']}; {follows:,} follows in {seconds:.2f} s"
        )
    return rows


def real() -> dict[str, object] | None:
    path = DATA / "followers" / "sample_follower_data.json"
    if not path.exists():
        print(f"real data not found: {path}")
        return None
    folder = OUT / "real"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with Workspace(folder / "ws.duckdb") as ws:
        ingest(ws, path, "followers")
        start = time.perf_counter()
        findings = FollowSwarm().run(ws)
        seconds = time.perf_counter() - start
        follows = ws.count("follows")
    print(f"real follower list: {follows:,} follows, {len(findings)} findings in {seconds:.2f} s")
    for f in findings:
        print(f"  {f.summary}")
    return {
        "follows": follows,
        "findings": len(findings),
        "sizes": [len(f.accounts) for f in findings],
        "summaries": [f.summary for f in findings],
        "seconds": round(seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="keep earlier simulated workspaces")
    parser.add_argument("--big", type=float, default=0.0, help="also seed 5 at this scale")
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {"simulated": [], "real": None}
    runs = [("default", seed, scale) for seed, scale in SCENARIOS]
    runs.append(("baseline", 1, 1.0))
    if args.big:
        runs.append(("default", 5, args.big))
    for name, seed, scale in runs:
        results["simulated"] += simulated(name, seed, scale, args.reuse)  # type: ignore[operator]
    if not args.skip_real:
        results["real"] = real()
    (OUT.parent / "followswarm.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
