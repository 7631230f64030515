"""The Santa Clara transparency report on the simulated scenario: its numbers checked
against the source files and the truth, the three files, and the Rabat count."""

from __future__ import annotations

import csv
import json
import re
import statistics
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from separ.decisions.rabat import FACTORS, record_assessment
from separ.exports.transparency import DIMENSIONS, build_transparency, write_transparency
from tests.conftest import fresh


@pytest.fixture(scope="module")
def written(scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("transparency")
    with fresh(scenario, "transparency") as ws:
        return out, write_transparency(ws, out)


def test_counts_match_the_source_and_the_truth(
    scenario: Path, written: tuple[Path, list[Path]]
) -> None:
    report = json.loads(written[1][1].read_text(encoding="utf-8"))
    actions = pq.read_table(scenario / "data" / "actions.parquet").to_pylist()
    appeals = pq.read_table(scenario / "data" / "appeals.parquet").to_pylist()
    with (scenario / "data" / "truth" / "actions.csv").open() as f:
        why = {r["action_id"]: r["why"] for r in csv.DictReader(f)}
    taken = [a for a in actions if a["action"] != "restore"]
    assert report["actions"]["total"] == len(taken) > 0
    for key in DIMENSIONS:
        assert sum(report["actions"][key].values()) == len(taken), key
    automated = sum(1 for a in taken if a["automated"])
    assert report["actions"]["by_decision"] == {
        "human": len(taken) - automated,
        "automated": automated,
    }
    assert report["actions"]["by_trigger"].get("government request", 0) == sum(
        1 for a in taken if a["trigger"] == "government"
    )
    assert report["actions"]["by_trigger"]["user report"] == sum(
        1 for a in taken if a["trigger"] == "report"
    )
    ap = report["appeals"]
    assert ap["filed"] == len(appeals)
    assert ap["overturned"] == sum(1 for a in appeals if a["status"] == "overturned")
    assert ap["upheld"] + ap["overturned"] + ap["pending"] == ap["filed"]
    hours = [
        (a["decided_at"] - a["filed_at"]).total_seconds() / 3600
        for a in appeals
        if a["status"] in ("upheld", "overturned")
    ]
    assert ap["decision_hours"]["median"] == pytest.approx(statistics.median(hours), abs=0.06)
    restored = sum(1 for w in why.values() if w == "restored after an overturned appeal")
    assert report["reinstatements"] == {"total": restored, "after_appeal": restored, "other": 0}
    assert ap["overturned"] == restored


def test_files(written: tuple[Path, list[Path]]) -> None:
    _, paths = written
    assert [p.name for p in paths] == ["transparency.html", "transparency.json", "transparency.csv"]
    html = paths[0].read_text(encoding="utf-8")
    report = json.loads(paths[1].read_text(encoding="utf-8"))
    assert "<script" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert html.count("<svg") >= len(DIMENSIONS) + 1
    assert f"<strong>{report['actions']['total']:,}</strong>" in html
    assert "Rabat" in html
    with paths[2].open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_language = [r for r in rows if r["section"] == "actions.by_language"]
    assert sum(int(r["count"]) for r in by_language) == report["actions"]["total"]
    assert {r["category"] for r in rows if r["section"] == "appeals"} >= {"filed", "overturned"}


def test_rabat_assessments_and_period_filter(scenario: Path) -> None:
    with fresh(scenario, "transparency-rabat") as ws:
        first, last = ws.sql("SELECT min(created_at), max(created_at) FROM actions")[0]
        action = ws.sql(
            "SELECT action_id FROM actions WHERE action = 'remove' AND policy = 'violent_speech' "
            "ORDER BY action_id LIMIT 1"
        )[0][0]
        factors = {
            n: {"rating": "met", "rationale": f"Simulated rationale about {n} for the test."}
            for n in FACTORS
        }
        record_assessment(ws, action, assessor="reviewer-a", factors=factors)
        factors["intent"]["rating"] = "partly_met"
        record_assessment(ws, action, assessor="reviewer-b", factors=factors)
        report = build_transparency(ws)
        assert report["rabat"] == {"total": 2, "below_threshold": 1, "meets_threshold": 1}
        middle = first + (last - first) / 2
        early = build_transparency(ws, until=middle)
        late = build_transparency(ws, since=middle)
        assert early["actions"]["total"] + late["actions"]["total"] == report["actions"]["total"]
        assert 0 < early["actions"]["total"] < report["actions"]["total"]
        assert early["appeals"]["filed"] + late["appeals"]["filed"] == report["appeals"]["filed"]
        empty = build_transparency(ws, since=datetime(2100, 1, 1))
    assert empty["actions"]["total"] == 0
    assert empty["appeals"]["decision_hours"]["median"] is None
