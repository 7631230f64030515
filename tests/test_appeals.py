"""Appeals and notices on the simulated scenario: who may review, what an overturn
records, that a human restore sticks, and a notice (English and Persian) for every
restriction with the rule, the findings, automation, the end date and the appeal path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from separ.decisions import audit, notices
from separ.decisions.appeals import (
    file_appeal,
    get_action,
    human_restored,
    list_appeals,
    restored_accounts,
    review_appeal,
)
from separ.errors import ParameterError
from separ.workspace import Workspace
from tests.conftest import fresh

RLM, LRI, PDI = "\u200f", "\u2066", "\u2069"


@pytest.fixture
def sim(scenario: Path, request: pytest.FixtureRequest) -> Iterator[Workspace]:
    with fresh(scenario, f"appeals-{request.node.name}") as ws:
        yield ws


def brigaded_suspension(ws: Workspace) -> tuple[str, str, datetime]:
    """An automated suspension of a protected account, on reports, never appealed."""
    row = ws.con.execute(
        "SELECT a.action_id, a.account_id, a.created_at FROM actions a "
        "JOIN registers g ON g.account_id = a.account_id AND g.register = 'protected' "
        "WHERE a.action = 'suspend' AND a.automated AND a.trigger = 'report' "
        "AND a.action_id NOT IN (SELECT action_id FROM appeals) "
        "AND a.account_id NOT IN (SELECT account_id FROM actions WHERE action = 'restore') "
        "ORDER BY a.created_at LIMIT 1"
    ).fetchone()
    assert row is not None, (
        "the scenario has no unappealed automated suspension of an at-risk account"
    )
    return row[0], row[1], row[2]


def human_removal(ws: Workspace) -> tuple[str, str, str, datetime]:
    row = ws.con.execute(
        "SELECT action_id, account_id, actor, created_at FROM actions WHERE action = 'remove' "
        "AND NOT automated AND action_id NOT IN (SELECT action_id FROM appeals) "
        "AND account_id NOT IN (SELECT account_id FROM actions WHERE action = 'restore') "
        "ORDER BY created_at LIMIT 1"
    ).fetchone()
    assert row is not None
    return row[0], row[1], row[2], row[3]


# --- appeals ---------------------------------------------------------------------------------


def test_overturn_restores_the_account_records_timings_and_logs_it(sim: Workspace) -> None:
    action_id, account, taken = brigaded_suspension(sim)
    filed = taken + timedelta(hours=3)
    assert not human_restored(sim, account)
    appeal = file_appeal(sim, action_id, "حساب من هدف گزارش‌های دسته‌جمعی قرار گرفت", at=filed)
    assert (appeal.status, appeal.account_id, appeal.filed_at) == ("open", account, filed)
    assert appeal in list_appeals(sim, "open")

    decided = filed + timedelta(hours=30)
    review = review_appeal(
        sim,
        appeal.appeal_id,
        "appeals-09",
        "overturned",
        "the reports came from a brigade",
        at=decided,
    )
    assert review.appeal.status == "overturned"
    assert review.appeal.reviewer == "appeals-09"
    assert review.appeal.decided_at == decided
    assert review.appeal.hours_to_decision == 30.0
    restore = get_action(sim, str(review.restore_action_id))
    assert (restore.action, restore.trigger, restore.actor, restore.automated) == (
        "restore",
        "appeal",
        "appeals-09",
        False,
    )
    assert (restore.account_id, restore.trigger_ref, restore.created_at) == (
        account,
        (appeal.appeal_id,),
        decided,
    )
    reviews = sim.sql("SELECT action_id, reviewer, outcome, reasons, created_at FROM reviews")
    assert reviews == [
        (action_id, "appeals-09", "overturned", "the reports came from a brigade", decided)
    ]

    entries = audit.show(sim, account=account)
    assert [e.action for e in entries] == ["appeal.file", "appeal.review", "action.restore"]
    assert [e.actor for e in entries] == [account, "appeals-09", "appeals-09"]
    assert entries[1].detail["hours_to_decision"] == 30.0
    assert entries[1].detail["inputs"]["original_actor"] == "automated"
    assert entries[2].detail["restores"] == action_id
    assert audit.verify(sim).ok

    # The restore sticks from the moment a person made it, not before.
    assert human_restored(sim, account)
    assert human_restored(sim, account, at=decided)
    assert not human_restored(sim, account, at=decided - timedelta(seconds=1))
    assert account in restored_accounts(sim)
    # ...until a person restricts the account again.
    sim.con.execute(
        "INSERT INTO actions (action_id, account_id, action, policy, created_at, actor, automated) "
        "VALUES ('x-1', ?, 'suspend', 'spam', ?, 'mod-05', false)",
        [account, decided + timedelta(days=2)],
    )
    assert not human_restored(sim, account)
    assert human_restored(sim, account, at=decided + timedelta(days=1))


def test_upheld_appeal_restores_nothing(sim: Workspace) -> None:
    action_id, account, _, taken = human_removal(sim)
    appeal = file_appeal(sim, action_id, "not abuse", at=taken + timedelta(days=1))
    review = review_appeal(
        sim,
        appeal.appeal_id,
        "appeals-07",
        "upheld",
        "the post threatens a person",
        at=taken + timedelta(days=2),
    )
    assert review.restore_action_id is None
    assert review.appeal.status == "upheld"
    assert sim.sql("SELECT count(*) FROM actions WHERE trigger_ref = [?]", [appeal.appeal_id]) == [
        (0,)
    ]
    assert not human_restored(sim, account)
    assert [e.action for e in audit.show(sim, account=account)] == ["appeal.file", "appeal.review"]


def test_the_reviewer_must_not_be_who_decided(sim: Workspace) -> None:
    action_id, account, actor, taken = human_removal(sim)
    appeal = file_appeal(sim, action_id, "please look again", at=taken + timedelta(hours=1))
    later = taken + timedelta(hours=2)
    with pytest.raises(ParameterError, match="made the original decision"):
        review_appeal(sim, appeal.appeal_id, actor, "upheld", "I stand by it", at=later)
    with pytest.raises(ParameterError, match="reviewed by a person"):
        review_appeal(sim, appeal.appeal_id, "automated", "upheld", "rule", at=later)
    with pytest.raises(ParameterError, match="own appeal"):
        review_appeal(sim, appeal.appeal_id, account, "overturned", "mine", at=later)
    # Nothing was recorded by the refused reviews.
    assert list_appeals(sim, "open", account=account)[0].reviewer is None
    assert sim.sql("SELECT count(*) FROM reviews") == [(0,)]

    # A person who approved the gate decision behind an action also decided it.
    sim.con.execute(
        "INSERT INTO decisions (decision_id, account_id, policy, outcome, created_at) "
        "VALUES ('g-1', ?, 'harassment', 'review', ?)",
        [account, taken],
    )
    sim.con.execute(
        "INSERT INTO reviews VALUES ('rv-g1', 'g-1', NULL, 'mod-77', 'approve', 'checked', ?)",
        [taken],
    )
    sim.con.execute(
        "INSERT INTO actions (action_id, account_id, action, policy, created_at, actor, automated, "
        "trigger, trigger_ref) VALUES ('x-2', ?, 'limit', 'harassment', ?, 'automated', true, "
        "'detector', ['g-1'])",
        [account, taken],
    )
    second = file_appeal(sim, "x-2", "again", at=later)
    with pytest.raises(ParameterError, match="mod-77 made the original decision"):
        review_appeal(sim, second.appeal_id, "mod-77", "overturned", "ok", at=later)
    assert review_appeal(
        sim, second.appeal_id, "mod-78", "overturned", "ok", at=later
    ).restore_action_id


def test_bad_appeals_are_one_line_errors(sim: Workspace) -> None:
    action_id, _, _, taken = human_removal(sim)
    restore = sim.sql("SELECT action_id FROM actions WHERE action = 'restore' LIMIT 1")[0][0]
    with pytest.raises(ParameterError, match="no action"):
        file_appeal(sim, "nope", "x")
    with pytest.raises(ParameterError, match="not a restriction"):
        file_appeal(sim, restore, "x")
    with pytest.raises(ParameterError, match="before action"):
        file_appeal(sim, action_id, "x", at=taken - timedelta(hours=1))
    appeal = file_appeal(sim, action_id, "x", at=taken + timedelta(hours=1))
    with pytest.raises(ParameterError, match="already has an open appeal"):
        file_appeal(sim, action_id, "y", at=taken + timedelta(hours=2))
    with pytest.raises(ParameterError, match="'upheld' or 'overturned'"):
        review_appeal(sim, appeal.appeal_id, "appeals-01", "maybe", "x")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="precede"):
        review_appeal(sim, appeal.appeal_id, "appeals-01", "upheld", "x", at=taken)
    with pytest.raises(ParameterError, match="reasons"):
        review_appeal(sim, appeal.appeal_id, "appeals-01", "upheld", " ")
    review_appeal(
        sim, appeal.appeal_id, "appeals-01", "upheld", "fine", at=taken + timedelta(days=1)
    )
    with pytest.raises(ParameterError, match="already decided: upheld"):
        review_appeal(sim, appeal.appeal_id, "appeals-02", "overturned", "x")
    with pytest.raises(ParameterError, match="status must be"):
        list_appeals(sim, "pending")


def test_list_appeals_reads_the_platform_history(sim: Workspace) -> None:
    every = list_appeals(sim)
    assert len(every) == sim.count("appeals") > 0
    by_status = {s: len(list_appeals(sim, s)) for s in ("open", "upheld", "overturned")}
    assert sum(by_status.values()) == len(every)
    assert all(by_status.values()), by_status
    for a in list_appeals(sim, "overturned"):
        assert a.hours_to_decision is not None
        assert a.hours_to_decision > 0
        assert a.account_id is not None
    assert [a.filed_at for a in every] == sorted(a.filed_at for a in every)


def test_human_restores_in_the_platform_history_stick(sim: Workspace) -> None:
    restores = sim.sql(
        "SELECT account_id, min(created_at) FROM actions WHERE action = 'restore' AND NOT automated "
        "GROUP BY account_id"
    )
    assert restores
    for account, first in restores:
        assert human_restored(sim, account, at=first)
        assert not human_restored(sim, account, at=first - timedelta(seconds=1))
    never = sim.sql(
        "SELECT account_id FROM accounts WHERE account_id NOT IN "
        "(SELECT account_id FROM actions WHERE action = 'restore') LIMIT 50"
    )
    assert not any(human_restored(sim, a) for (a,) in never)
    assert restored_accounts(sim) <= {a for a, _ in restores}


# --- notices ---------------------------------------------------------------------------------


def test_a_notice_for_every_restriction_in_both_languages(sim: Workspace) -> None:
    restrictions = sim.sql(
        "SELECT action_id, policy, automated, ends_at FROM actions WHERE action <> 'restore'"
    )
    written = notices.notify_all(sim, at=datetime(2026, 4, 1))
    assert len(written) == 2 * len(restrictions)
    assert notices.unnoticed(sim, "en") == notices.unnoticed(sim, "fa") == []
    body = {(n.action_id, n.lang): n for n in written}
    for action_id, policy, automated, ends_at in restrictions:
        en, fa = body[(action_id, "en")], body[(action_id, "fa")]
        assert f"Reference {action_id}" in en.body
        assert "The rule: " in en.body
        assert f"({policy})" in en.body
        assert "How to appeal:" in en.body
        assert f"quote reference {action_id}" in en.body
        decided = "an automated rule decided it" if automated else "a person decided it"
        assert decided in en.body
        if ends_at is not None:
            assert f"This restriction ends on {notices.when(ends_at, 'en')}." in en.body
        assert all(line.startswith(RLM) for line in fa.body.splitlines())
        assert f"{LRI}{action_id}{PDI}" in fa.body
        assert "قاعده" in fa.body
        assert "تجدیدنظر" in fa.body
        assert ("بدون بررسی انسانی" in fa.body) == bool(automated)
        if ends_at is not None:
            assert notices.when(ends_at, "fa") in fa.body
            assert any("۰" <= ch <= "۹" for ch in notices.when(ends_at, "fa"))
        assert 'dir="rtl"' in fa.html()
        assert 'lang="fa"' in fa.html()
    assert sim.count("notices") == len(written)
    logged = audit.show(sim, action="notice")
    assert len(logged) == len(written)
    assert {e.detail["notice_id"] for e in logged} == {n.notice_id for n in written}
    assert audit.verify(sim).ok
    # The same notice again is the stored one, not a new entry.
    again = notices.write_notice(sim, restrictions[0][0], "en")
    assert again == body[(restrictions[0][0], "en")]
    assert len(audit.show(sim, action="notice")) == len(written)


def test_a_notice_says_what_was_found_discounted_and_decided(sim: Workspace) -> None:
    action_id, account, taken = brigaded_suspension(sim)
    action = get_action(sim, action_id)
    reports = list(action.trigger_ref)
    sim.con.execute(
        "INSERT INTO findings (finding_id, detector, kind, accounts, targets, summary, params, "
        "version) VALUES ('f-brig', 'report_brigade', 'brigade', ['1', '2'], [?], "
        "'7 accounts created within 2 days reported the target 7 times in 31 minutes', "
        "'{\"min_reports\": 5}', '2')",
        [account],
    )
    sim.con.execute(
        "INSERT INTO decisions (decision_id, account_id, policy, trigger, proposed, outcome, "
        "reasons, discounted_reports, automated, decided_by, created_at) VALUES "
        "('g-7', ?, ?, 'report', 'suspend', 'allow', ?, ?, true, 'separ-gate', ?)",
        [
            account,
            action.policy,
            json.dumps({"reasons": ["2 reports left after discounting"], "reviewers_needed": 0}),
            reports[:3],
            taken,
        ],
    )
    sim.con.execute(
        "UPDATE actions SET trigger_ref = list_concat(trigger_ref, ['f-brig', 'g-7']) "
        "WHERE action_id = ?",
        [action_id],
    )
    en = notices.write_notice(sim, action_id, "en", contact="https://example.org/appeal")
    assert f"{len(reports)} reports against you between" in en.body
    assert "3 of these reports came from accounts suspected of coordinated reporting" in en.body
    assert "Finding f-brig: 7 accounts created within 2 days" in en.body
    assert "Automated check: 2 reports left after discounting" in en.body
    assert "or go to https://example.org/appeal" in en.body
    fa = notices.write_notice(sim, action_id, "fa")
    assert f"{LRI}f-brig{PDI}" in fa.body
    assert "۳ مورد از این گزارش‌ها" in fa.body
    entry = audit.show(sim, action="notice", account=account)[0]
    assert entry.detail["detectors"] == [
        {
            "finding_id": "f-brig",
            "name": "report_brigade",
            "version": "2",
            "params": {"min_reports": 5},
        }
    ]
    assert entry.detail["inputs"]["decision_id"] == "g-7"
    assert audit.detectors_of(sim, ["f-brig", "absent"]) == entry.detail["detectors"]

    appeal = file_appeal(sim, action_id, "brigade", at=taken + timedelta(hours=1))
    review_appeal(
        sim, appeal.appeal_id, "appeals-02", "overturned", "brigade", at=taken + timedelta(hours=5)
    )
    later = notices.write_notice(sim, action_id, "en")
    assert later.notice_id != en.notice_id
    assert f"(appeal {appeal.appeal_id}); status: overturned" in later.body


def test_notice_refuses_what_is_not_a_restriction(sim: Workspace) -> None:
    restore = sim.sql("SELECT action_id FROM actions WHERE action = 'restore' LIMIT 1")[0][0]
    with pytest.raises(ParameterError, match="not a restriction"):
        notices.write_notice(sim, restore, "en")
    action_id = sim.sql("SELECT action_id FROM actions WHERE action = 'suspend' LIMIT 1")[0][0]
    with pytest.raises(ParameterError, match="lang must be"):
        notices.write_notice(sim, action_id, "de")
    with pytest.raises(ParameterError, match="no action"):
        notices.write_notice(sim, "nope", "fa")
