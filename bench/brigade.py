"""Report brigades: quality on planted scenarios, false positives without an operation, speed.

    python bench/brigade.py                          # seeds 1/2/3 at scales 1/0.5/2 + baseline
    python bench/brigade.py --runs 1:0.1 2:0.2       # other seed:scale pairs
    python bench/brigade.py --with-coaction          # also with co-action findings as support
    python bench/brigade.py --speed 20               # detector time on one larger world

Per run: brigade reports identified (recall against truth/reports.csv), organic reports
misattributed (share of all organic reports), at-risk accounts flagged (share of the at-risk
cohort), findings whose target is not a brigade's, and the detector's time. Targets: recall
>= 0.95, organic misattributed <= 1%, at-risk flagged <= 0.5%. The ``baseline`` scenario
has no operation: every finding there is a false positive. Results go to
``bench/out/brigade/brigade.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import time
from pathlib import Path
from typing import Any

from separ.campaigns import build_campaigns
from separ.detectors import build, run_detectors
from separ.detectors.brigade import brigade_reports
from separ.ingest import ingest
from separ.simulate import simulate
from separ.workspace import Workspace

OUT = Path(__file__).resolve().parent / "out" / "brigade"
RUNS = [("default", 1, 1.0), ("default", 2, 0.5), ("default", 3, 2.0), ("baseline", 1, 1.0)]


def world(scenario: str, seed: int, scale: float) -> Path:
    """Simulate and ingest once; later runs reuse the workspace."""
    folder = OUT / f"{scenario}-{seed}-{scale:g}"
    if not (folder / "base.duckdb").exists():
        shutil.rmtree(folder, ignore_errors=True)
        simulate(scenario, seed=seed, scale=scale, out=folder / "data")
        with Workspace(folder / "base.duckdb") as ws:
            ingest(ws, folder / "data")
    return folder


def truth(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    with open(folder / "data" / "truth" / "reports.csv", encoding="utf-8") as f:
        reports = {r["report_id"]: r["campaign"] for r in csv.DictReader(f)}
    with open(folder / "data" / "truth" / "accounts.csv", encoding="utf-8") as f:
        roles = {r["account_id"]: r["role"] for r in csv.DictReader(f)}
    return reports, roles


def measure(scenario: str, seed: int, scale: float, coaction: bool) -> dict[str, Any]:
    folder = world(scenario, seed, scale)
    path = folder / ("support.duckdb" if coaction else "run.duckdb")
    shutil.copy(folder / "base.duckdb", path)
    with Workspace(path) as ws:
        if coaction:
            run_detectors(ws, [build("coaction")])
            build_campaigns(ws)
        start = time.perf_counter()
        findings = run_detectors(ws, [build("report_brigade")])
        seconds = time.perf_counter() - start
        found = brigade_reports(ws).to_pylist()
    reports, roles = truth(folder)
    brigade = {r for r, c in reports.items() if c.startswith("brigade:")}
    organic = set(reports) - brigade
    flagged = {r["report_id"] for r in found}
    accounts = {a for f in findings for a in f.accounts}
    at_risk = sum(1 for r in roles.values() if r == "at_risk")
    targets = {c.removeprefix("brigade:") for c in reports.values() if c.startswith("brigade:")}
    return {
        "scenario": scenario,
        "seed": seed,
        "scale": scale,
        "with_coaction": coaction,
        "reports": len(reports),
        "brigade_reports": len(brigade),
        "findings": len(findings),
        "recall": len(flagged & brigade) / len(brigade) if brigade else None,
        "organic_misattributed": len(flagged & organic),
        "organic_rate": len(flagged & organic) / len(organic),
        "at_risk_flagged": sum(1 for a in accounts if roles.get(a) == "at_risk"),
        "at_risk_rate": sum(1 for a in accounts if roles.get(a) == "at_risk") / at_risk,
        "wrong_targets": sum(1 for f in findings if f.targets[0] not in targets),
        "detect_seconds": round(seconds, 2),
    }


def show(r: dict[str, Any]) -> None:
    recall = "n/a" if r["recall"] is None else f"{r['recall']:.3f}"
    print(
        f"{r['scenario']} seed {r['seed']} scale {r['scale']:g}"
        f"{' +coaction' if r['with_coaction'] else ''}: {r['reports']:,} reports "
        f"({r['brigade_reports']:,} brigade), {r['findings']} findings, recall {recall}, "
        f"organic misattributed {r['organic_misattributed']} ({r['organic_rate']:.2%}), "
        f"at-risk flagged {r['at_risk_flagged']} ({r['at_risk_rate']:.2%}), "
        f"wrong targets {r['wrong_targets']}, detector {r['detect_seconds']:.2f} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", nargs="*", help="seed:scale pairs of the default scenario")
    parser.add_argument("--with-coaction", action="store_true")
    parser.add_argument("--speed", type=float, help="also time the detector at this scale")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    runs = RUNS
    if args.runs:
        runs = [("default", int(s), float(x)) for s, x in (r.split(":") for r in args.runs)]
    results = []
    for scenario, seed, scale in runs:
        for coaction in (False, True) if args.with_coaction else (False,):
            results.append(measure(scenario, seed, scale, coaction))
            show(results[-1])
    if args.speed:
        results.append(measure("default", 9, args.speed, False))
        show(results[-1])
    (OUT / "brigade.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
