"""The enforcement gate: the platform's moderation history replayed through it, against the
simulator's truth, on the quality workspaces (seeds 1/2/3 at scales 1/0.5/2).

    python bench/gate.py                       # bench/out/quality/sim-{1-1,2-0.5,3-2}
    python bench/gate.py --runs sim-1-1        # one of them

Each workspace (detectors and campaigns already stored by bench/quality.py) is copied to
``bench/out/gate/`` before anything is written. Per run: wrongful suspensions of at-risk
accounts prevented (target >= 99%), genuine restrictions still enforced (target >= 95%),
of those enforced without review, restrictions sent to review and the reviews they need,
the same without the ``protected`` register (the gate's other rules alone), and the
replay's time. Results go to ``bench/out/gate/gate.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

from separ.decisions.gate import ReplayReport, replay, simulated_truth
from separ.workspace import Workspace

HERE = Path(__file__).resolve().parent
QUALITY = HERE / "out" / "quality"
OUT = HERE / "out" / "gate"
RUNS = ["sim-1-1", "sim-2-0.5", "sim-3-2"]


def figures(report: ReplayReport) -> dict[str, Any]:
    return {
        "restrictions": report.actions,
        "outcomes": report.outcomes,
        "at_risk_wrongful_suspensions": report.at_risk_wrongful_suspensions,
        "prevented": report.prevented,
        "prevented_share": round(report.prevented_share, 4),
        "at_risk_wrongful_restrictions": report.at_risk_wrongful,
        "at_risk_restrictions_prevented": report.at_risk_prevented,
        "genuine": report.genuine,
        "enforced": report.enforced,
        "enforced_share": round(report.enforced_share, 4),
        "enforced_directly": report.enforced_directly,
        "reviews": report.reviews,
        "reviewers": report.reviewers,
        "review_share": round(report.review_share, 4),
    }


def measure(run: str) -> dict[str, Any]:
    source = QUALITY / run
    path = OUT / f"{run}.duckdb"
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "ws.duckdb", path)
    wrongful, at_risk = simulated_truth(source / "data" / "truth")
    with Workspace(path) as ws:
        findings = ws.count("findings")
        started = time.perf_counter()
        full = replay(ws, wrongful, at_risk)
        seconds = time.perf_counter() - started
        ws.con.execute("DELETE FROM registers WHERE register = 'protected'")
        bare = replay(ws, wrongful, at_risk)
    path.unlink()
    return {
        "run": run,
        "findings": findings,
        "seconds": round(seconds, 2),
        "with_register": figures(full),
        "without_register": figures(bare),
        "summary": full.summary(),
        "summary_without_register": bare.summary(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="*", default=RUNS)
    args = parser.parse_args()
    results = []
    for run in args.runs:
        if not (QUALITY / run / "ws.duckdb").exists():
            print(f"{run}: no workspace under {QUALITY} (run bench/quality.py first)")
            continue
        result = measure(run)
        results.append(result)
        print(f"{run} ({result['findings']} findings, replay {result['seconds']} s)")
        print(f"  with the register:    {result['summary']}")
        print(f"  without the register: {result['summary_without_register']}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "gate.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
