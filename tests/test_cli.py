"""Every ``separ`` command run as a user runs it: the real command in a subprocess, on a
copy of the simulated scenario, from ingest to the accountability reports. The last test
checks that no registered command was left out."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer

from separ.cli import app
from separ.workspace import Workspace
from tests.conftest import fresh, run_cli

RAN: set[str] = set()
"""The commands run so far (``audit verify`` for a group's command)."""
AREAS: set[str] = set()


def cli(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """``separ ARGS``, which must exit 0 unless ``ok`` is False."""
    groups = {g.name for g in app.registered_groups}
    RAN.add(" ".join(args[:2]) if args[0] in groups else args[0])
    done = run_cli(*args)
    if ok:
        assert done.returncode == 0, f"separ {' '.join(args)}: {done.stderr}"
    return done


def said(*args: str) -> str:
    """What ``separ ARGS`` printed, its lines joined (Rich wraps them at 80 columns)."""
    return " ".join(cli(*args).stdout.split())


def as_json(*args: str) -> Any:
    return json.loads(cli(*args, "--json").stdout)


@pytest.fixture(scope="module")
def db(scenario: Path) -> str:
    """The scenario's workspace, detected once through the CLI."""
    with fresh(scenario, "cli-all"):
        pass
    path = str(scenario / "cli-all.duckdb")
    found = cli("detect", path)
    assert re.search(r"\d+ campaigns: see `separ campaigns", found.stdout)
    return path


def first(db: str, query: str, *params: str) -> str:
    with Workspace(Path(db), read_only=True) as ws:
        rows = ws.sql(query, list(params))
    assert rows, query
    return str(rows[0][0])


def test_data_commands(scenario: Path, db: str, tmp_path: Path) -> None:
    AREAS.add("data")
    assert "native" in said("formats")
    assert "schema version" in said("status", db)
    assert "quarantined records" in said("quarantine", db, "--limit", "3")
    exported = cli("export", db, "-o", str(tmp_path / "out"), "--format", "csv")
    assert (tmp_path / "out" / "posts.csv").exists(), exported.stdout
    copy = tmp_path / "copy.duckdb"
    loaded = cli("ingest", str(copy), str(tmp_path / "out"), "--format", "native")
    assert "activity:" in loaded.stdout
    sim = cli("simulate", "default", "--seed", "3", "--scale", "0.1", "-o", str(tmp_path / "s"))
    assert (tmp_path / "s" / "truth").is_dir(), sim.stdout
    demo = cli("demo", "-o", str(tmp_path / "demo"), "--scale", "0.1")
    assert "campaign" in demo.stdout


def test_detection_commands(scenario: Path, db: str, tmp_path: Path) -> None:
    AREAS.add("detection")
    campaigns = as_json("campaigns", db)
    assert campaigns
    trail = as_json("explain", db, campaigns[0]["campaign_id"])
    assert trail["edges"]
    scores = as_json("signals", db, "--top", "3")
    assert len(scores) == 3
    why = as_json("signals", db, "--account", scores[0]["account_id"])
    assert why["summary"]
    target = campaigns[0]["targets"][0]
    dossier = cli("dossier", db, "--target", target, "-o", str(tmp_path / "d"))
    assert (tmp_path / "d.html").exists(), dossier.stdout
    hashed = cli("hash-avatars", db, str(scenario / "data"))
    assert "avatars hashed (phash)" in hashed.stdout


def test_decision_commands(db: str) -> None:
    AREAS.add("decisions")
    target = first(db, "SELECT target_account_id FROM reports ORDER BY report_id")
    report = first(db, "SELECT report_id FROM reports WHERE target_account_id = ?", target)
    answer = as_json(
        "gate", db, "--account", target, "--policy", "violent_speech", "--trigger", "report",
        "--reports", report,
    )  # fmt: skip
    assert answer["outcome"] in ("allow", "review", "reject")
    shielded = as_json("shield", db, "--target", target)
    assert shielded["target"] == target
    action = first(
        db,
        "SELECT action_id FROM actions WHERE action = 'suspend' "
        "AND action_id NOT IN (SELECT action_id FROM appeals) ORDER BY created_at",
    )
    assert "\u0627" in said("notice", db, action, "--lang", "fa")  # Persian text
    filed = said("appeal", "file", db, action, "--statement", "reported by a brigade")
    appeal = re.search(r"appeal (\S+) filed", filed)
    assert appeal, filed
    listed = as_json("appeal", "list", db, "--status", "open")
    assert appeal[1] in [a["appeal_id"] for a in listed]
    reviewed = cli(
        "appeal", "review", db, appeal[1], "--reviewer", "cli-reviewer", "--outcome",
        "overturned", "--reasons", "brigaded reports",
    )  # fmt: skip
    assert "overturned" in reviewed.stdout


def test_accountability_commands(db: str, tmp_path: Path) -> None:
    AREAS.add("accountability")
    assert "intact" in said("audit", "verify", db)
    entries = as_json("audit", "show", db, "--limit", "2")
    assert len(entries) == 2
    action = first(db, "SELECT action_id FROM actions WHERE action = 'remove' ORDER BY action_id")
    factors = tmp_path / "rabat.json"
    names = ["context", "speaker", "intent", "content_and_form", "extent", "likelihood"]
    factors.write_text(
        json.dumps(
            {n: {"rating": "not_met", "rationale": f"simulated case: {n} not met"} for n in names}
        ),
        encoding="utf-8",
    )
    recorded = cli(
        "rabat", "record", db, "--action", action, "--assessor", "cli-rev", "--factors",
        str(factors),
    )  # fmt: skip
    assert "assessment" in recorded.stdout
    assert len(as_json("rabat", "show", db, "--action", action)) == 1
    assert isinstance(as_json("waves", db), list)
    assert isinstance(as_json("moderators", db), list)
    cli("transparency", db, "-o", str(tmp_path / "t"))
    assert list((tmp_path / "t").glob("*.html"))
    cli("export-sor", db, "-o", str(tmp_path / "sor"))
    assert list((tmp_path / "sor").glob("sor-*.json"))
    campaign = as_json("campaigns", db)[0]["campaign_id"]
    salt = tmp_path / "salt.txt"
    salt.write_text("a simulated secret", encoding="utf-8")
    cli("disclose", db, campaign, "-o", str(tmp_path / "x"), "--salt-file", str(salt))
    assert list((tmp_path / "x").glob("*.csv"))
    bad = cli("audit", "show", db, "--since", "yesterday", ok=False)
    assert bad.returncode == 4
    assert "not an ISO 8601 time" in bad.stderr


def test_every_command_ran() -> None:
    if len(AREAS) < 4:
        pytest.skip("run the whole module: the other tests record the commands they run")
    every = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    for group in app.registered_groups:
        assert isinstance(group.typer_instance, typer.Typer)
        every |= {f"{group.name} {c.name}" for c in group.typer_instance.registered_commands}
    assert every - RAN == set()
