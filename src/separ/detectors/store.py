"""Findings and their evidence in the workspace (tables ``findings`` and ``evidence``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from separ.workspace import Workspace

if TYPE_CHECKING:
    from separ.detectors.base import Finding


def store_findings(ws: Workspace, detector: str, findings: list[Finding]) -> None:
    """Replace ``detector``'s stored findings with ``findings``."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with ws.transaction():
        ws.con.execute(
            "DELETE FROM evidence WHERE finding_id IN "
            "(SELECT finding_id FROM findings WHERE detector = ?)",
            [detector],
        )
        ws.con.execute("DELETE FROM findings WHERE detector = ?", [detector])
        rows = []
        evidence = []
        for f in findings:
            fid = f.finding_id
            rows.append(
                (
                    fid,
                    f.detector,
                    f.kind,
                    sorted(f.accounts),
                    sorted(f.targets),
                    f.window[0],
                    f.window[1],
                    f.score,
                    f.significance,
                    f.summary,
                    json.dumps(f.params, sort_keys=True, default=str),
                    f.version,
                    now,
                )
            )
            evidence += [(fid, i, e.what, list(e.event_ids)) for i, e in enumerate(f.evidence)]
        if rows:
            ws.con.executemany(
                "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
        if evidence:
            ws.con.executemany("INSERT INTO evidence VALUES (?, ?, ?, ?)", evidence)
