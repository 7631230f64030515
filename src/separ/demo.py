"""``separ demo``: simulate an attack on activists, ingest it, run the detectors, summarise.

Needs nothing but the package: the data are simulated (no real person's handle or id).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

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


def print_demo(result: DemoResult, console: Console) -> None:
    from separ.cli.common import styled, table_of  # the command's own way of printing

    truth = result.truth
    console.rule("Separ demo: a simulated operation against activists")
    roles = truth.get("roles") or truth.get("counts", {}).get("roles", {})
    if roles:
        t = table_of("simulated accounts", "count", title="What was simulated (ground truth)")
        for role, n in roles.items():
            t.add_row(str(role), f"{n:,}")
        console.print(t)
    t = table_of("table", "rows loaded", "activity layer", "rows", title="What was ingested")
    tables = [(k, v) for k, v in result.counts.items() if k not in ("activity", "quarantine")]
    verbs = list(result.verbs.items())
    for i in range(max(len(tables), len(verbs))):
        a = tables[i] if i < len(tables) else ("", "")
        b = verbs[i] if i < len(verbs) else ("", "")
        t.add_row(
            str(a[0]),
            f"{a[1]:,}" if a[1] != "" else "",
            str(b[0]),
            f"{b[1]:,}" if b[1] != "" else "",
        )
    console.print(t)
    if result.moderation:
        t = table_of("action", "automated", "count", title="The platform's moderation in the data")
        for action, auto, n in result.moderation:
            t.add_row(action, "yes" if auto else "no", f"{n:,}")
        console.print(t)
    quarantined = result.counts.get("quarantine", 0)
    console.print(f"quarantined records: {quarantined:,}")
    title = f"{len(result.campaigns)} campaigns (from {len(result.findings)} findings)"
    t = table_of("campaign", "accounts", "what happened", title=title)
    for c in result.campaigns:
        t.add_row(c.campaign_id, str(len(c.accounts)), c.summary)
    console.print(t)
    if result.campaigns:
        first = result.campaigns[0].campaign_id
        console.print(f"evidence trail of a campaign: separ explain {result.workspace} {first}")
    if result.replay:
        console.print(styled("the moderation replayed through the gate:", f" {result.replay}"))
    if result.transparency:
        console.print(f"transparency report: {result.transparency}")
    if result.notice:
        console.print(f"a notice (Persian): {result.notice}")
    if result.dossier:
        console.print(f"dossier of the most-attacked target: {result.dossier}")
    console.print(f"simulated data (native format + truth/): {result.data}")
    console.print(f"workspace: {result.workspace}  (try: separ status {result.workspace})")
