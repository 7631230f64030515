"""The audit log: the documented hash, a chain that survives reopening, and verify finding
each kind of tampering (an edited detail, a removed entry, two swapped entries, a
rehashed entry, a removed last entry) on a real DuckDB file, each separately."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from separ.decisions import audit
from separ.errors import ParameterError
from separ.workspace import Workspace

T0 = datetime(2026, 3, 1, 9, 0, 0, 123456)


def build(path: Path, n: int = 6) -> None:
    """A log of ``n`` entries by two actors about two accounts, an hour apart."""
    with Workspace(path) as ws:
        for i in range(n):
            audit.append(
                ws,
                actor="mod-01" if i % 2 else "separ-gate",
                action="gate" if i % 2 == 0 else "appeal.review",
                subject=f"acct-{i % 3}",
                detail={
                    "account_id": f"acct-{i % 3}",
                    "inputs": {"reports": [f"r{i}", f"r{i + 1}"], "note": "گزارش دسته‌جمعی"},
                    "detectors": [
                        {"name": "report_brigade", "version": "1", "params": {"q": 0.05}}
                    ],
                    "outcome": "review",
                },
                at=T0 + timedelta(hours=i),
            )


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "audit.duckdb"
    build(path)
    return path


def tamper(path: Path, *statements: str) -> audit.VerifyResult:
    with Workspace(path) as ws:
        for s in statements:
            ws.con.execute(s)
        return audit.verify(ws)


def test_hash_is_sha256_of_the_documented_canonical_json(log: Path) -> None:
    with Workspace(log) as ws:
        entries = audit.show(ws)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0].prev_hash == "0" * 64
    for before, entry in itertools.pairwise(entries):
        assert entry.prev_hash == before.hash
    e = entries[2]
    body = json.dumps(
        [e.seq, "2026-03-01T11:00:00.123456Z", e.actor, e.action, e.subject, e.detail, e.prev_hash],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    assert e.hash == hashlib.sha256(body.encode("utf-8")).hexdigest()
    assert e.detail["inputs"]["note"] == "گزارش دسته‌جمعی"
    assert e.detail["detectors"][0]["params"] == {"q": 0.05}


def test_intact_chain_survives_reopening_and_grows(log: Path) -> None:
    with Workspace(log) as ws:
        first = audit.verify(ws)
        anchor = audit.head(ws)
    assert first.ok, first.message
    assert first.entries == 6
    assert first.message.startswith("audit log intact: 6 entries")
    with Workspace(log) as ws:
        entry = audit.append(ws, "mod-02", "notice", "acct-1", {"when": T0, "ids": {"b", "a"}})
        assert entry.seq == 7
        assert entry.prev_hash == anchor.split(":")[1]
        assert entry.detail == {"when": "2026-03-01T09:00:00.123456Z", "ids": ["a", "b"]}
    with Workspace(log, read_only=True) as ws:
        result = audit.verify(ws, anchor=anchor)
        assert result.ok, result.message
        assert result.entries == 7
        assert audit.show(ws, actor="mod-02")[0].detail == entry.detail


def test_verify_catches_an_edited_detail(log: Path) -> None:
    result = tamper(
        log,
        "UPDATE audit_log SET detail = json_object('account_id', 'acct-0', 'outcome', 'allow') "
        "WHERE seq = 3",
    )
    assert not result.ok
    assert (result.problems[0].seq, result.problems[0].kind) == (3, "edited")
    assert result.message.startswith("audit entry 3 was edited")


def test_verify_catches_an_edited_actor_or_time(log: Path) -> None:
    result = tamper(
        log, "UPDATE audit_log SET logged_at = logged_at + INTERVAL 1 SECOND WHERE seq = 5"
    )
    assert [(p.seq, p.kind) for p in result.problems] == [(5, "edited")]


def test_verify_catches_a_removed_entry(log: Path) -> None:
    result = tamper(log, "DELETE FROM audit_log WHERE seq = 4")
    assert [(p.seq, p.kind) for p in result.problems] == [(5, "removed")]
    assert result.message == "audit entry 4 was removed: entry 5 follows entry 3"


def test_verify_catches_two_swapped_entries(log: Path) -> None:
    result = tamper(
        log,
        "UPDATE audit_log SET seq = -1 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = -1",
    )
    assert [(p.seq, p.kind) for p in result.problems] == [(2, "reordered"), (3, "reordered")]
    assert result.message.startswith("audit entry 2 is out of order: it was logged as entry 3")


def test_verify_catches_an_edited_entry_whose_hash_was_recomputed(log: Path) -> None:
    with Workspace(log) as ws:
        e = audit.show(ws)[3]
        forged = dict(e.detail, outcome="allow")
        digest = audit.entry_hash(
            e.seq, e.logged_at, e.actor, e.action, e.subject, forged, e.prev_hash
        )
        ws.con.execute(
            "UPDATE audit_log SET detail = ?, hash = ? WHERE seq = ?",
            [audit.canonical(forged), digest, e.seq],
        )
        result = audit.verify(ws)
    assert [(p.seq, p.kind) for p in result.problems] == [(5, "relinked")]


def test_verify_catches_a_removed_last_entry_and_a_lost_anchor(log: Path) -> None:
    with Workspace(log) as ws:
        anchor = audit.head(ws)
        ws.con.execute("DELETE FROM audit_log WHERE seq = 6")
        result = audit.verify(ws, anchor=anchor)
    kinds = [(p.seq, p.kind) for p in result.problems]
    assert kinds == [(6, "truncated"), (6, "anchor")]
    assert result.message.startswith("audit entry 6, the last one logged, was removed")


def test_show_filters_by_account_actor_action_and_time(log: Path) -> None:
    with Workspace(log) as ws:
        assert [e.seq for e in audit.show(ws, account="acct-1")] == [2, 5]
        assert [e.seq for e in audit.show(ws, actor="mod-01")] == [2, 4, 6]
        assert [e.seq for e in audit.show(ws, action="gate")] == [1, 3, 5]
        since = (T0 + timedelta(hours=2)).replace(tzinfo=UTC)
        assert [e.seq for e in audit.show(ws, since=since, until=T0 + timedelta(hours=4))] == [3, 4]
        assert [e.seq for e in audit.show(ws, actor="mod-01", limit=2)] == [2, 4]
        assert audit.show(ws, account="nobody") == []
        with pytest.raises(ParameterError):
            audit.show(ws, limit=0)
        with pytest.raises(ParameterError):
            audit.verify(ws, anchor="not-an-anchor")
        with pytest.raises(ParameterError):
            audit.append(ws, "", "gate", "acct-1", {})


def test_empty_log_is_intact(ws: Workspace) -> None:
    result = audit.verify(ws)
    assert result.ok
    assert result.entries == 0
    assert audit.head(ws) == "0:" + "0" * 64


def test_append_joins_the_callers_transaction(log: Path) -> None:
    with Workspace(log) as ws:
        before = audit.head(ws)

        def failing_decision() -> None:
            with ws.transaction():
                audit.append(ws, "mod-01", "gate", "acct-9", {"outcome": "allow"})
                ws.con.execute("INSERT INTO reviews (review_id) VALUES ('rv-x')")
                raise RuntimeError("the decision failed")

        with pytest.raises(RuntimeError):
            failing_decision()
        assert audit.head(ws) == before
        assert ws.count("reviews") == 0
        assert audit.verify(ws).ok
        with ws.transaction():
            entry = audit.append(ws, "mod-01", "gate", "acct-9", {"outcome": "allow"})
        assert audit.head(ws) == f"{entry.seq}:{entry.hash}"
        assert ws.meta(audit.HEAD_KEY) == audit.head(ws)
