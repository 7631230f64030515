"""Ingest speed and peak memory for native Parquet, CSV and JSON lines.

    python bench/ingest.py                  # 1M and 10M simulated events
    python bench/ingest.py --scales 10      # 1M only

For each scale the simulator writes the default scenario once per format into
bench/out/; each ingest runs in a fresh subprocess (a fresh workspace), and the script
prints events/s (rows read from the native tables / wall time) and the subprocess's peak
resident memory (its own ru_maxrss, DuckDB included). Targets on a 2-core machine: >= 1M events/s for Parquet, >= 200k
events/s for CSV and JSONL, peak memory < 2 GB whatever the input size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from separ.workspace import remove_workspace

OUT = Path(__file__).resolve().parent / "out"

CHILD = """
import json, resource, sys, time
from separ.ingest import ingest, ingest_memory
from separ.workspace import Workspace
src, db = sys.argv[1], sys.argv[2]
with Workspace(db) as ws:
    t = time.perf_counter()
    report = ingest(ws, src, "native", build_activity=False)
    load = time.perf_counter() - t
    peak_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    from separ.activity import build_activity
    with ingest_memory(ws):  # as `separ ingest` builds it
        activity = build_activity(ws)
    act = time.perf_counter() - t
print(json.dumps({"records": report.records, "loaded": report.total("loaded"),
                  "quarantined": sum(f.quarantined for f in report.files),
                  "seconds": load, "activity_rows": activity, "activity_seconds": act,
                  "peak_mb": peak_load,
                  "peak_mb_with_activity": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def generate(scale: float, fmt: str) -> Path:
    from separ.simulate import simulate

    folder = OUT / f"sim-{scale:g}-{fmt}"
    if not (folder / "truth" / "scenario.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        t = time.perf_counter()
        simulate("default", seed=1, scale=scale, out=folder, fmt=fmt)
        print(
            f"  simulated scale {scale:g} as {fmt} in {time.perf_counter() - t:.1f} s", flush=True
        )
    return folder


def measure(folder: Path) -> dict[str, float]:
    db = OUT / "bench.duckdb"
    remove_workspace(db)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), str(db)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    remove_workspace(db)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[10.0, 100.0])
    parser.add_argument("--formats", nargs="+", default=["parquet", "csv", "jsonl"])
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    rows = []
    for scale in args.scales:
        for fmt in args.formats:
            folder = generate(scale, fmt)
            r = measure(folder)
            rate = r["records"] / r["seconds"]
            rows.append({"scale": scale, "format": fmt, **r, "events_per_s": rate})
            print(
                f"scale {scale:>5g} {fmt:8} {r['records']:>11,.0f} events  "
                f"{r['seconds']:7.1f} s  {rate:>11,.0f} events/s  peak {r['peak_mb']:,.0f} MB  "
                f"(then activity: {r['activity_rows']:,.0f} rows in {r['activity_seconds']:.1f} s, "
                f"peak {r['peak_mb_with_activity']:,.0f} MB)",
                flush=True,
            )
    (OUT / "ingest.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
