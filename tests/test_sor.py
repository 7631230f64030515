"""DSA statements of reasons: every restriction of the simulated scenario becomes a statement
that validates against the project's v1 schema, in batches of at most 100; broken
statements are refused; brigade-triggered suspensions say so in their facts."""

from __future__ import annotations

import copy
import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from separ.detectors import build, run_detectors
from separ.errors import ParameterError, SeparError
from separ.exports.sor import (
    BATCH_SIZE,
    RESTRICTIONS,
    SCHEMA_PATH,
    batches,
    build_statements,
    export_sor,
    puid,
    validate_batch,
)
from separ.workspace import Workspace
from tests.conftest import fresh


@pytest.fixture(scope="module")
def sor_ws(scenario: Path) -> Iterator[Workspace]:
    with fresh(scenario, "sor") as ws:
        run_detectors(ws, [build("report_brigade")])
        yield ws


@pytest.fixture(scope="module")
def statements(sor_ws: Workspace) -> list[dict[str, Any]]:
    return build_statements(sor_ws)


def truth_why(scenario: Path) -> dict[str, str]:
    with open(scenario / "data" / "truth" / "actions.csv", encoding="utf-8") as f:
        return {r["action_id"]: r["why"] for r in csv.DictReader(f)}


def one(statements: list[dict[str, Any]]) -> dict[str, Any]:
    """A valid account-suspension statement to break."""
    return copy.deepcopy(next(s for s in statements if "decision_account" in s))


def test_one_statement_per_restriction_and_none_for_warnings_or_restores(
    sor_ws: Workspace, statements: list[dict[str, Any]]
) -> None:
    kinds = ", ".join(f"'{k}'" for k in RESTRICTIONS)
    ids = {r[0] for r in sor_ws.sql(f"SELECT action_id FROM actions WHERE action IN ({kinds})")}
    assert len(ids) >= 100  # the scenario needs two batches
    assert {s["puid"] for s in statements} == {puid(i) for i in ids}
    assert sor_ws.count("actions") > len(ids)  # warnings and restores exist and were left out


def test_every_statement_of_the_scenario_validates(statements: list[dict[str, Any]]) -> None:
    for body in batches(statements):
        assert validate_batch(body) == []


def test_the_fields_follow_the_actions(sor_ws: Workspace, statements: list[dict[str, Any]]) -> None:
    by_puid = {s["puid"]: s for s in statements}
    rows = sor_ws.sql(
        "SELECT action_id, action, automated, trigger, ends_at, post_id, created_at FROM actions"
    )
    checked = 0
    for action_id, action, automated, trigger, ends_at, post_id, created in rows:
        s = by_puid.get(puid(action_id))
        if s is None:
            continue
        checked += 1
        assert s["application_date"] == created.strftime("%Y-%m-%d")
        if action == "suspend":
            expected = "DECISION_ACCOUNT_SUSPENDED" if ends_at else "DECISION_ACCOUNT_TERMINATED"
            assert s["decision_account"] == expected
            if ends_at:
                assert s["end_date_account_restriction"] == ends_at.strftime("%Y-%m-%d")
            assert s["content_type"] == ["CONTENT_TYPE_OTHER"]
        if action == "remove":
            assert s["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
            assert post_id
            assert "CONTENT_TYPE_TEXT" in s["content_type"]
        if automated:
            assert s["automated_decision"] == "AUTOMATED_DECISION_FULLY"
        else:
            assert s["automated_decision"] != "AUTOMATED_DECISION_FULLY"
        source = {"report": "SOURCE_ARTICLE_16", "government": "SOURCE_TYPE_OTHER_NOTIFICATION"}
        assert s["source_type"] == source.get(trigger, "SOURCE_VOLUNTARY")
        assert s["automated_detection"] == ("Yes" if trigger == "detector" else "No")
    assert checked == len(statements)
    manipulation = [s for s in statements if "KEYWORD_INAUTHENTIC_ACCOUNTS" in s.get(
        "category_specification", [])]  # fmt: skip
    assert manipulation  # the platform's detector caught operation accounts
    assert all(
        s["category"] == "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"
        for s in manipulation
    )


def test_brigade_triggered_suspensions_name_the_brigade_without_personal_data(
    scenario: Path, sor_ws: Workspace, statements: list[dict[str, Any]]
) -> None:
    why = truth_why(scenario)
    brigaded = [
        s
        for s in statements
        if why.get(s["puid"].removeprefix("separ-action-"))
        == "brigade-triggered automated suspension"
    ]
    assert brigaded
    for s in brigaded:
        assert "suspected coordinated report brigade" in s["decision_facts"], s["decision_facts"]
        assert "5 user reports" in s["decision_facts"]
    accounts = sor_ws.sql("SELECT account_id, handle FROM accounts")
    text = json.dumps(statements, ensure_ascii=False)
    leaked = [a for a, h in accounts if a in text or (h and f'"{h}' in text)]
    assert leaked == []


def test_campaign_members_get_the_coordinated_harm_keyword(scenario: Path) -> None:
    with fresh(scenario, "sor_campaign") as ws:
        suspended = ws.sql("SELECT account_id FROM actions WHERE action = 'suspend' LIMIT 1")[0][0]
        ws.con.execute(
            "INSERT INTO campaigns (campaign_id, accounts) VALUES ('c1', ?)",
            [[suspended, "x1", "x2"]],
        )
        tagged = [
            s
            for s in build_statements(ws)
            if "KEYWORD_COORDINATED_HARM" in s.get("category_specification", [])
        ]
    assert tagged
    assert all("one of 3 accounts" in s["decision_facts"] for s in tagged)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda s: s.pop("decision_account"), "is not valid under any of the given schemas"),
        (lambda s: s.update(decision_account=None), "is not valid under any of the given schemas"),
        (lambda s: s.pop("incompatible_content_ground"), "'incompatible_content_ground' is a"),
        (
            lambda s: s.update(decision_ground="DECISION_GROUND_ILLEGAL_CONTENT"),
            "'illegal_content_legal_ground' is a required property",
        ),
        (lambda s: s.update(category="STATEMENT_CATEGORY_SPAM"), "is not one of"),
        (lambda s: s.update(category_specification=["KEYWORD_BOTS"]), "is not one of"),
        (lambda s: s.update(automated_decision="Yes"), "is not one of"),
        (lambda s: s.update(source_type="SOURCE_REPORT"), "is not one of"),
        (lambda s: s.update(puid="action 42"), "does not match"),
        (lambda s: s.update(content_date="05/02/2026"), "does not match"),
        (lambda s: s.update(application_date="2019-12-31"), "application_date 2019-12-31"),
        (lambda s: s.update(end_date_account_restriction="2020-01-01"), "is before"),
        (lambda s: s.pop("content_type_other"), "'content_type_other' is a required"),
        (lambda s: s.update(decision_facts="x" * 5001), "is too long"),
        (lambda s: s.update(colour="red"), "Additional properties are not allowed"),
    ],
)
def test_a_broken_statement_does_not_validate(
    statements: list[dict[str, Any]], change: Any, complaint: str
) -> None:
    broken = one(statements)
    assert validate_batch({"statements": [broken]}) == []
    change(broken)
    problems = validate_batch({"statements": [broken]})
    assert any(complaint in p for p in problems), problems


def test_batches_hold_at_most_100_and_puids_must_be_unique(
    statements: list[dict[str, Any]],
) -> None:
    assert len(statements) > BATCH_SIZE
    sizes = [len(b["statements"]) for b in batches(statements)]
    assert sizes == [100, len(statements) - 100]
    assert [len(b["statements"]) for b in batches(statements, 40)][:2] == [40, 40]
    too_many = {"statements": [one(statements) for _ in range(101)]}
    assert any("is too long" in p for p in validate_batch(too_many))
    twice = {"statements": [one(statements), one(statements)]}
    assert any("is not unique" in p for p in validate_batch(twice))
    with pytest.raises(ParameterError):
        batches(statements, 101)


def test_export_writes_validated_batch_files_and_an_audit_entry(
    scenario: Path, tmp_path: Path
) -> None:
    with fresh(scenario, "sor_export") as ws:
        (tmp_path / "sor-00009.json").write_text("{}")  # a stale batch from an earlier run
        paths = export_sor(ws, tmp_path)
        audit = ws.sql("SELECT action, subject, detail FROM audit_log")
    assert [p.name for p in paths] == ["sor-00001.json", "sor-00002.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sor-00001.json", "sor-00002.json"]
    bodies = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    assert all(validate_batch(b) == [] for b in bodies)
    assert sum(len(b["statements"]) for b in bodies) > 100
    assert [(a, s) for a, s, _ in audit] == [("export-sor", str(tmp_path))]
    assert json.loads(audit[0][2])["inputs"]["statements"] == sum(
        len(b["statements"]) for b in bodies
    )


def test_export_refuses_to_write_an_invalid_batch(scenario: Path, tmp_path: Path) -> None:
    with fresh(scenario, "sor_invalid") as ws:
        ws.con.execute("UPDATE actions SET created_at = TIMESTAMP '2018-03-01 10:00:00'")
        with pytest.raises(SeparError, match="application_date 2018-03-01"):
            export_sor(ws, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_government_orders_and_trusted_flaggers(scenario: Path) -> None:
    with fresh(scenario, "sor_sources") as ws:
        gov, rep = ws.sql(
            "SELECT action_id FROM actions WHERE action = 'remove' ORDER BY action_id LIMIT 2"
        )
        ws.con.execute(
            "UPDATE actions SET trigger = 'government', reason = 'Court order 12/2026' "
            "WHERE action_id = ?",
            [gov[0]],
        )
        reporter = ws.sql(
            "SELECT r.reporter_id FROM actions a JOIN reports r ON r.report_id = a.trigger_ref[1] "
            "WHERE a.action_id = ?",
            [rep[0]],
        )[0][0]
        by_puid = {s["puid"]: s for s in build_statements(ws, trusted_flaggers=[reporter])}
    order = by_puid[puid(gov[0])]
    assert order["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert order["illegal_content_legal_ground"] == "Court order 12/2026"
    assert order["source_type"] == "SOURCE_TYPE_OTHER_NOTIFICATION"
    assert "incompatible_content_ground" not in order
    assert by_puid[puid(rep[0])]["source_type"] == "SOURCE_TRUSTED_FLAGGER"
    assert validate_batch({"statements": [order, by_puid[puid(rep[0])]]}) == []


def test_puids_are_safe_and_distinct(ws: Workspace) -> None:
    assert puid("475218465184022567") == "separ-action-475218465184022567"
    odd = [puid("at://did:plc:abc/post/1"), puid("at://did:plc:abc/post:1")]
    assert all(all(c.isalnum() or c in "-_" for c in p) for p in odd)
    assert odd[0] != odd[1]
    with pytest.raises(ParameterError):
        build_statements(ws, prefix="bad prefix")


def test_the_schema_is_a_valid_json_schema_with_the_conditional_rules() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    statement = schema["$defs"]["statement"]
    assert schema["properties"]["statements"]["maxItems"] == 100
    assert len(statement["anyOf"]) == 4  # one of the four decisions must be present
    assert {tuple(r["then"]["required"]) for r in statement["allOf"]} >= {
        ("illegal_content_legal_ground", "illegal_content_explanation"),
        ("incompatible_content_ground", "incompatible_content_explanation"),
        ("content_type_other",),
    }
    assert "KEYWORD_COORDINATED_HARM" in json.dumps(statement)
