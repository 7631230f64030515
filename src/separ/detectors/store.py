"""Findings and their evidence in the workspace (tables ``findings`` and ``evidence``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa

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
        if not findings:
            return
        ids = [f.finding_id for f in findings]
        rows = pa.table(
            {
                "finding_id": ids,
                "detector": [f.detector for f in findings],
                "kind": [f.kind for f in findings],
                "accounts": pa.array([sorted(f.accounts) for f in findings], pa.list_(pa.string())),
                "targets": pa.array([sorted(f.targets) for f in findings], pa.list_(pa.string())),
                "window_start": pa.array([f.window[0] for f in findings], pa.timestamp("us")),
                "window_end": pa.array([f.window[1] for f in findings], pa.timestamp("us")),
                "score": pa.array([f.score for f in findings], pa.float64()),
                "significance": pa.array([f.significance for f in findings], pa.float64()),
                "summary": [f.summary for f in findings],
                "params": [json.dumps(f.params, sort_keys=True, default=str) for f in findings],
                "version": [f.version for f in findings],
            }
        )
        evidence = pa.table(
            {
                "finding_id": [i for i, f in zip(ids, findings, strict=True) for _ in f.evidence],
                "position": pa.array(
                    [n for f in findings for n in range(len(f.evidence))], pa.int32()
                ),
                "what": pa.array([e.what for f in findings for e in f.evidence], pa.string()),
                "event_ids": pa.array(
                    [list(e.event_ids) for f in findings for e in f.evidence],
                    pa.list_(pa.string()),
                ),
            }
        )
        # in bulk through Arrow: row-by-row inserts took seconds for co-action at scale
        ws.con.register("_separ_findings", rows)
        ws.con.register("_separ_evidence", evidence)
        try:
            ws.con.execute(
                "INSERT INTO findings SELECT *, CAST(? AS TIMESTAMP) AS created_at "
                "FROM _separ_findings",
                [now],
            )
            ws.con.execute("INSERT INTO evidence SELECT * FROM _separ_evidence")
        finally:
            ws.con.unregister("_separ_findings")
            ws.con.unregister("_separ_evidence")
