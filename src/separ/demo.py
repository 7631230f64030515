"""``separ demo``: simulate an attack on activists, ingest it, run the detectors, summarise.

Needs nothing but the package: the data are simulated (no real person's handle or id).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from separ.campaigns import Campaign, build_campaigns
from separ.decisions.gate import replay, simulated_truth
from separ.decisions.notices import write_notice
from separ.detectors import DETECTORS, Finding, build, run_detectors
from separ.exports.dossier import most_attacked_target, write_dossier
from separ.exports.transparency import write_transparency
from separ.ingest import IngestReport, ingest
from separ.simulate import simulate
from separ.workspace import Workspace, remove_workspace


@dataclass
class DemoResult:
    folder: Path
    data: Path
    workspace: Path
    report: IngestReport
    counts: dict[str, int]
    verbs: dict[str, int]
    truth: dict[str, Any]
    moderation: list[tuple[str, bool, int]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)
    dossier: Path | None = None
    replay: str = ""
    notice: Path | None = None
    transparency: Path | None = None


def run_demo(folder: Path, *, scale: float = 0.1, seed: int = 7) -> DemoResult:
    """Write ``folder/data`` (simulated) and ``folder/separ.duckdb``, fresh each time."""
    folder = Path(folder)
    data = folder / "data"
    db = folder / "separ.duckdb"
    shutil.rmtree(data, ignore_errors=True)
    remove_workspace(db)
    folder.mkdir(parents=True, exist_ok=True)
    simulate("default", seed=seed, scale=scale, out=data)
    with Workspace(db) as ws:
        report = ingest(ws, data, "native")
        findings = run_detectors(ws, [build(name) for name in sorted(DETECTORS)])
        campaigns = build_campaigns(ws)
        target = most_attacked_target(ws)
        dossier = write_dossier(ws, target, folder / "dossier")[0] if target else None
        replayed = replay(ws, *simulated_truth(data / "truth")).summary()
        notice = _one_notice(ws, folder)
        report_files = write_transparency(ws, folder / "transparency")
        counts = ws.counts()
        verbs = dict(ws.sql("SELECT verb, count(*) FROM activity GROUP BY 1 ORDER BY 2 DESC"))
        moderation = [
            (str(a), bool(auto), int(n))
            for a, auto, n in ws.sql(
                "SELECT action, automated, count(*) FROM actions GROUP BY 1, 2 ORDER BY 3 DESC"
            )
        ]
    truth = json.loads((data / "truth" / "scenario.json").read_text(encoding="utf-8"))
    return DemoResult(
        folder,
        data,
        db,
        report,
        counts,
        verbs,
        truth,
        moderation,
        findings,
        campaigns,
        dossier,
        replayed,
        notice,
        next((p for p in report_files if p.suffix == ".html"), None),
    )


def _one_notice(ws: Workspace, folder: Path) -> Path | None:
    """The Persian notice of the first suspension in the data, as an HTML page."""
    rows = ws.sql(
        "SELECT action_id FROM actions WHERE action = 'suspend' ORDER BY created_at, action_id "
        "LIMIT 1"
    )
    if not rows:
        return None
    path = folder / "notice-fa.html"
    path.write_text(write_notice(ws, str(rows[0][0]), "fa").html(), encoding="utf-8")
    return path
