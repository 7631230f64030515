"""Co-action on every layer plus clustering into campaigns, at 1M and 10M simulated events.

    python bench/coaction_scale.py                   # scales 8.1 and 81: ~1M and ~10M events
    python bench/coaction_scale.py --scales 8.1 --runs 1

For each scale the simulator writes the default scenario (seed 1, Parquet) into
bench/out/scale-S/ once; a fresh workspace ingests it and builds its activity (each
timed), then each run times ``CoAction().run`` with its findings stored (as ``separ
detect`` does) and ``build_campaigns``, and reports the process's peak resident memory.
Target on a 2-core machine: 10M events in <= 2 minutes, peak memory <= 8 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from separ.activity import build_activity
from separ.campaigns import build_campaigns
from separ.detectors import run_detectors
from separ.detectors.coaction import CoAction
from separ.ingest import ingest
from separ.simulate import simulate
from separ.workspace import Workspace, remove_workspace

OUT = Path(__file__).resolve().parent / "out"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(scale: float, runs: int) -> dict[str, object]:
    folder = OUT / f"scale-{scale:g}"
    if not (folder / "truth" / "scenario.json").exists():
        simulate("default", seed=1, scale=scale, out=folder, fmt="parquet")
    db = OUT / f"scale-{scale:g}.duckdb"
    remove_workspace(db)
    with Workspace(db) as ws:
        start = time.perf_counter()
        report = ingest(ws, folder, "native", build_activity=False)
        loaded = time.perf_counter()
        build_activity(ws)
        activity = time.perf_counter() - loaded
        result: dict[str, object] = {
            "scale": scale,
            "events": report.records,
            "activity_rows": ws.count("activity"),
            "ingest_seconds": round(loaded - start, 1),
            "activity_seconds": round(activity, 1),
            "runs": [],
        }
        print(
            f"scale {scale:g}: ingest {result['ingest_seconds']} s, activity build "
            f"{result['activity_seconds']} s",
            flush=True,
        )
    for _ in range(runs):
        with Workspace(db) as ws:
            start = time.perf_counter()
            run_detectors(ws, [CoAction()])
            coaction = time.perf_counter() - start
            start = time.perf_counter()
            campaigns = build_campaigns(ws)
            clustering = time.perf_counter() - start
        run = {
            "coaction_seconds": round(coaction, 1),
            "campaigns_seconds": round(clustering, 1),
            "total_seconds": round(coaction + clustering, 1),
            "with_activity_seconds": round(activity + coaction + clustering, 1),
            "campaigns": len(campaigns),
            "peak_mb": round(peak_mb()),
        }
        result["runs"].append(run)  # type: ignore[attr-defined]
        print(
            f"scale {scale:g}: {result['events']:,} events, {result['activity_rows']:,} activity "
            f"rows; co-action {run['coaction_seconds']} s + campaigns "
            f"{run['campaigns_seconds']} s = {run['total_seconds']} s "
            f"({run['with_activity_seconds']} s with the activity build), peak {run['peak_mb']:,} MB",
            flush=True,
        )
    remove_workspace(db)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[8.1, 81.0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results = [measure(scale, args.runs) for scale in args.scales]
    (OUT / "coaction_scale.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
