from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from separ.campaigns import build_campaigns, explain, load_campaigns
from separ.detectors import DETECTORS, build, run_detectors
from separ.errors import ParameterError
from tests.conftest import fresh, run_cli, truth_accounts


@pytest.fixture(scope="module")
def detected(scenario: Path) -> Path:
    with fresh(scenario, "campaigns") as ws:
        run_detectors(ws, [build(name) for name in sorted(DETECTORS)])
        build_campaigns(ws)
    return scenario / "campaigns.duckdb"


def test_campaigns_are_the_operators_and_spare_everyone_else(
    scenario: Path, detected: Path
) -> None:
    from separ.workspace import Workspace

    truth = truth_accounts(scenario)
    with Workspace(detected, read_only=True) as ws:
        campaigns = load_campaigns(ws)
    assert campaigns
    flagged = {a for c in campaigns for a in c.accounts}
    operation = {a for a, r in truth.items() if r["role"] == "operation"}
    assert len(flagged & operation) / len(flagged) >= 0.95
    assert len(flagged & operation) / len(operation) >= 0.85
    assert not {a for a in flagged if truth[a]["role"] == "at_risk"}
    for c in campaigns:
        # operators that swarm and report the same targets together are one cohort in the
        # data; what must hold is that a campaign is the operation, not bystanders
        roles_in = Counter(truth[a]["role"] for a in c.accounts)
        assert roles_in["operation"] / len(c.accounts) >= 0.95, roles_in
        assert c.targets, "a campaign names the accounts it acts on"
        assert any(ch.isdigit() for ch in c.summary)
        assert c.layers
        assert c.findings


def test_detecting_again_gives_the_same_findings_and_campaigns(
    scenario: Path, detected: Path
) -> None:
    """A second run reads the first run's stored findings, edges and campaigns: none of it
    may change what is found (it once did, through the brigade detector reading campaigns
    and the last bits of parallel float sums)."""
    import shutil

    from separ.workspace import Workspace

    again = scenario / "campaigns-again.duckdb"
    shutil.copy(detected, again)
    with Workspace(again) as ws:
        run_detectors(ws, [build(name) for name in sorted(DETECTORS)])
        second = build_campaigns(ws)
        findings = ws.sql("SELECT finding_id FROM findings ORDER BY 1")
    with Workspace(detected, read_only=True) as ws:
        first = load_campaigns(ws)
        assert findings == ws.sql("SELECT finding_id FROM findings ORDER BY 1")
    assert [c.accounts for c in second] == [c.accounts for c in first]
    assert [c.campaign_id for c in second] == [c.campaign_id for c in first]


def test_explain_goes_down_to_existing_event_ids(detected: Path) -> None:
    from separ.workspace import Workspace

    with Workspace(detected, read_only=True) as ws:
        campaign = load_campaigns(ws)[0]
        trail = explain(ws, campaign.campaign_id)
        known = {e for (e,) in ws.sql("SELECT DISTINCT event_id FROM activity")}
        assert trail["edges"]
        for edge in trail["edges"]:
            assert set(edge["accounts"]) <= set(campaign.accounts)
            assert edge["event_ids"]
            assert set(edge["event_ids"]) <= known
            assert edge["expected"] < edge["shared"]
        account = explain(ws, campaign.accounts[0])
        assert campaign.campaign_id in [c["campaign_id"] for c in account["campaigns"]]
        with pytest.raises(ParameterError, match="neither a campaign id nor a known account"):
            explain(ws, "no-such-thing")


def test_cli_detect_campaigns_and_explain(scenario: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")  # a narrow terminal: nothing may be cut to fit
    with fresh(scenario, "cli"):
        pass
    db = str(scenario / "cli.duckdb")
    detect = run_cli("detect", db, "--param", "coaction.window=900")
    assert detect.returncode == 0, detect.stderr
    assert "campaigns: see `separ campaigns" in detect.stdout
    listed = run_cli("campaigns", db, "--json")
    campaigns = json.loads(listed.stdout)
    assert campaigns
    assert all(c["summary"] for c in campaigns)
    trail = run_cli("explain", db, campaigns[0]["campaign_id"], "--json")
    edges = json.loads(trail.stdout)["edges"]
    assert edges
    # the text trail names every id of the evidence in full, however narrow the terminal
    text = run_cli("explain", db, campaigns[0]["campaign_id"]).stdout
    words = set(text.replace(",", " ").split())
    for edge in edges[:5]:
        assert set(edge["event_ids"]) | set(edge["objects"]) | set(edge["accounts"]) <= words
    assert "…" not in text
    for tables in (run_cli("campaigns", db), run_cli("status", db)):
        assert tables.returncode == 0, tables.stderr
        assert "…" not in tables.stdout
    assert "attribution hints: " in text
    assert "{" not in text
    # what users type is printed as typed, brackets included (no console markup)
    odd = run_cli("explain", db, "[bold]@someone[/]")
    assert odd.returncode != 0
    assert "'[bold]@someone[/]' is neither a campaign id nor a known account" in odd.stderr
    bad = run_cli("detect", db, "--param", "coaction.window=-5")
    assert bad.returncode == 4
    assert "coaction.window must be" in bad.stderr
