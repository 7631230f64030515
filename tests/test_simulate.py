"""The scenario simulator: determinism, the native schema, and a ground truth that holds."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
import imagehash
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest
from PIL import Image

from separ.errors import ParameterError
from separ.schema import TABLES
from separ.simulate import SCENARIOS, SimulationSummary, simulate
from separ.simulate.writer import ARROW_TYPES

SEED, SCALE = 11, 0.1
WRITTEN = [t for t in TABLES.values() if t.name != "labels"]


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulationSummary]:
    out = tmp_path_factory.mktemp("sim") / "default"
    return out, simulate("default", seed=SEED, scale=SCALE, out=out)


@pytest.fixture(scope="module")
def db(sim: tuple[Path, SimulationSummary]) -> duckdb.DuckDBPyConnection:
    """The tables and the truth as DuckDB views."""
    out, _ = sim
    con = duckdb.connect()
    for t in WRITTEN:
        con.execute(f"CREATE VIEW {t.name} AS SELECT * FROM '{out}/{t.name}.parquet'")
    for name in ("accounts", "posts", "follows", "reports", "actions"):
        con.execute(
            f"CREATE VIEW truth_{name} AS SELECT * FROM "
            f"read_csv('{out}/truth/{name}.csv', all_varchar = true, header = true)"
        )
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def truth(sim: tuple[Path, SimulationSummary]) -> dict[str, Any]:
    scenario: dict[str, Any] = json.loads((sim[0] / "truth" / "scenario.json").read_text("utf-8"))
    return scenario


# --- determinism ---------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(
    sim: tuple[Path, SimulationSummary], tmp_path: Path
) -> None:
    again = tmp_path / "again"
    simulate("default", seed=SEED, scale=SCALE, out=again)
    assert _digests(again) == _digests(sim[0])


def test_a_different_seed_gives_different_data(
    sim: tuple[Path, SimulationSummary], tmp_path: Path
) -> None:
    other = tmp_path / "other"
    simulate("default", seed=SEED + 1, scale=SCALE, out=other)
    before, after = _digests(sim[0]), _digests(other)
    for t in WRITTEN:
        assert before[f"{t.name}.parquet"] != after[f"{t.name}.parquet"], t.name


def test_rewriting_an_earlier_simulation_replaces_it(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    simulate("default", seed=1, scale=0.05, out=out, fmt="csv")
    simulate("default", seed=1, scale=0.05, out=out)
    assert not list(out.glob("*.csv"))
    assert len(list(out.glob("*.parquet"))) == len(WRITTEN)


# --- schema --------------------------------------------------------------------------


@pytest.mark.parametrize("table", WRITTEN, ids=lambda t: t.name)
def test_every_column_has_its_arrow_type(sim: tuple[Path, SimulationSummary], table: Any) -> None:
    schema = pq.read_schema(sim[0] / f"{table.name}.parquet")
    assert schema.names == list(table.names)
    for col in table.columns:
        assert schema.field(col.name).type == ARROW_TYPES[col.kind], col.name


@pytest.mark.parametrize("table", WRITTEN, ids=lambda t: t.name)
def test_required_columns_are_filled_and_enums_valid(
    sim: tuple[Path, SimulationSummary], table: Any
) -> None:
    data = pq.read_table(sim[0] / f"{table.name}.parquet")
    assert data.num_rows == sim[1].counts[table.name] > 0
    for col in table.columns:
        values = data.column(col.name)
        if col.required:
            assert values.null_count == 0, col.name
        if col.choices:
            seen = {v for v in values.to_pylist() if v is not None}
            assert seen <= set(col.choices), (col.name, seen - set(col.choices))


def test_ids_and_handles_are_unique(db: duckdb.DuckDBPyConnection) -> None:
    for table, key in (
        ("accounts", "account_id"),
        ("accounts", "handle"),
        ("posts", "post_id"),
        ("reports", "report_id"),
        ("actions", "action_id"),
        ("appeals", "appeal_id"),
    ):
        total = one(db, f"SELECT count(*) - count(DISTINCT {key}) FROM {table}")
        assert total == 0, (table, key)
    pairs = "SELECT count(*) - count(DISTINCT (follower_id, followee_id)) FROM follows"
    assert one(db, pairs) == 0


def test_nothing_happens_before_an_account_exists(db: duckdb.DuckDBPyConnection) -> None:
    for table, who, when in (
        ("follows", "follower_id", "created_at"),
        ("follows", "followee_id", "created_at"),
        ("posts", "account_id", "created_at"),
        ("reports", "reporter_id", "created_at"),
        ("logins", "account_id", "ts"),
    ):
        early = one(
            db,
            f"SELECT count(*) FROM {table} t JOIN accounts a ON a.account_id = t.{who} "
            f"WHERE t.{when} < a.created_at",
        )
        assert early == 0, (table, who)
    assert one(db, "SELECT max(created_at) < TIMESTAMPTZ '2026-03-31 00:00:00Z' FROM posts")


def test_references_resolve(db: duckdb.DuckDBPyConnection) -> None:
    checks = {
        "posts.account_id": "SELECT account_id FROM posts EXCEPT SELECT account_id FROM accounts",
        "reports.target_post_id": "SELECT target_post_id FROM reports WHERE target_post_id "
        "IS NOT NULL EXCEPT SELECT post_id FROM posts",
        "actions.account_id": "SELECT account_id FROM actions EXCEPT SELECT account_id FROM accounts",
        "appeals.action_id": "SELECT action_id FROM appeals EXCEPT SELECT action_id FROM actions",
        "registers.account_id": "SELECT account_id FROM registers "
        "EXCEPT SELECT account_id FROM accounts",
        "report trigger_ref": "SELECT unnest(trigger_ref) FROM actions WHERE trigger = 'report' "
        "EXCEPT SELECT report_id FROM reports",
        "appeal trigger_ref": "SELECT unnest(trigger_ref) FROM actions WHERE trigger = 'appeal' "
        "EXCEPT SELECT appeal_id FROM appeals",
    }
    for name, sql in checks.items():
        assert db.execute(sql).fetchall() == [], name
    inside = "SELECT count(*) FROM posts p JOIN posts r ON r.post_id = p.ref_post_id"
    later = inside + " WHERE r.created_at >= p.created_at"
    assert one(db, inside) > 0
    assert one(db, later) == 0


# --- ground truth --------------------------------------------------------------------


def test_every_truth_id_exists(db: duckdb.DuckDBPyConnection) -> None:
    for sql in (
        "SELECT account_id FROM truth_accounts EXCEPT SELECT account_id FROM accounts",
        "SELECT account_id FROM accounts EXCEPT SELECT account_id FROM truth_accounts",
        "SELECT post_id FROM truth_posts EXCEPT SELECT post_id FROM posts",
        "SELECT follower_id, followee_id FROM truth_follows "
        "EXCEPT SELECT follower_id, followee_id FROM follows",
        "SELECT report_id FROM truth_reports EXCEPT SELECT report_id FROM reports",
        "SELECT action_id FROM actions EXCEPT SELECT action_id FROM truth_actions",
    ):
        assert db.execute(sql).fetchall() == [], sql
    operation = "SELECT DISTINCT role FROM truth_accounts a JOIN posts p USING (account_id) "
    operation += "JOIN truth_posts USING (post_id)"
    assert db.execute(operation).fetchall() == [("operation",)]


def test_the_operation_follows_each_target_in_a_burst(
    sim: tuple[Path, SimulationSummary], db: duckdb.DuckDBPyConnection
) -> None:
    rows = db.execute(
        "SELECT campaign, count(*), count(DISTINCT followee_id), any_value(followee_id), "
        "epoch(max(f.created_at) - min(f.created_at)) FROM truth_follows t "
        "JOIN follows f USING (follower_id, followee_id) "
        "WHERE campaign LIKE 'follow_swarm:%' GROUP BY campaign"
    ).fetchall()
    assert len(rows) == len(sim[1].targets) >= 4
    for campaign, n, followees, followee, seconds in rows:
        assert followees == 1
        assert campaign == f"follow_swarm:{followee}"
        assert n >= 10
        assert seconds <= 4 * 3600
    assert {r[3] for r in rows} == set(sim[1].targets)


def test_brigades_suspend_targets_automatically_and_wrongfully(
    sim: tuple[Path, SimulationSummary], db: duckdb.DuckDBPyConnection
) -> None:
    rows = db.execute(
        "SELECT a.account_id, len(a.trigger_ref), t.wrongful FROM actions a "
        "JOIN truth_actions t USING (action_id) WHERE a.automated AND a.action = 'suspend' "
        "AND a.trigger = 'report'"
    ).fetchall()
    suspended = {r[0] for r in rows if r[2] == "true"}
    assert suspended & set(sim[1].targets)
    assert all(n >= 5 for _, n, _ in rows)
    reasons = "SELECT DISTINCT reason FROM reports JOIN truth_reports USING (report_id) "
    assert db.execute(reasons + "WHERE brigade = 'true'").fetchall() == [("violent_speech",)]


def test_at_risk_accounts_are_in_the_protected_register(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.execute(
        "SELECT role, register, count(*) FROM truth_accounts LEFT JOIN registers "
        "USING (account_id) GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    by_role = {(role, register): n for role, register, n in rows}
    assert set(by_role) == {
        ("affiliated", "affiliated"),
        ("at_risk", "protected"),
        ("operation", None),
        ("organic", None),
    }


def test_appeals_are_decided_later_by_someone_else(db: duckdb.DuckDBPyConnection) -> None:
    bad = one(
        db,
        "SELECT count(*) FROM appeals p JOIN actions a USING (action_id) "
        "WHERE p.reviewer = a.actor OR p.decided_at <= p.filed_at OR p.filed_at < a.created_at",
    )
    assert bad == 0
    statuses = {r[0] for r in db.execute("SELECT DISTINCT status FROM appeals").fetchall()}
    assert "overturned" in statuses


def test_solidarity_waves_are_many_accounts_within_minutes(
    sim: tuple[Path, SimulationSummary], db: duckdb.DuckDBPyConnection
) -> None:
    for wave in truth(sim)["hard_negatives"]["solidarity_waves"]:
        n, within_hour = db.execute(
            "SELECT count(DISTINCT r.account_id), avg((r.created_at - p.created_at "
            "< INTERVAL 1 HOUR)::INT) FROM posts r JOIN posts p ON p.post_id = r.ref_post_id "
            f"WHERE p.post_id = '{wave['post_id']}'"
        ).fetchone() or (0, 0)
        assert n == wave["reposts"] >= 50
        assert within_hour > 0.8


def test_copypasta_is_near_duplicate_not_identical(db: duckdb.DuckDBPyConnection) -> None:
    n, distinct = db.execute(
        "SELECT count(*), count(DISTINCT text) FROM posts JOIN truth_posts USING (post_id) "
        "WHERE campaign LIKE 'copypasta:%'"
    ).fetchone() or (0, 0)
    assert 1 < distinct < n
    arabic = "SELECT count(*) FROM posts JOIN truth_posts USING (post_id) WHERE campaign LIKE "
    assert one(db, arabic + "'copypasta:%' AND text LIKE '%ي%'") > 0


def test_operation_avatars_are_real_files_with_their_phash(
    sim: tuple[Path, SimulationSummary], db: duckdb.DuckDBPyConnection
) -> None:
    rows = db.execute(
        "SELECT DISTINCT avatar, avatar_hash, role FROM accounts JOIN truth_accounts "
        "USING (account_id) WHERE avatar LIKE 'avatars/%'"
    ).fetchall()
    assert {r[2] for r in rows} >= {"operation", "organic"}
    for avatar, avatar_hash, _ in rows:
        with Image.open(sim[0] / avatar) as img:
            assert f"phash:{imagehash.phash(img)}" == avatar_hash


def test_at_risk_logins_go_through_vpn_and_tor(db: duckdb.DuckDBPyConnection) -> None:
    share = one(
        db,
        "SELECT avg((network IN ('vpn', 'tor'))::INT) FROM logins "
        "JOIN truth_accounts USING (account_id) WHERE role = 'at_risk'",
    )
    assert share > 0.6


# --- formats and scale ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_csv_and_jsonl_hold_the_same_data(fmt: str, tmp_path: Path) -> None:
    parquet, other = tmp_path / "parquet", tmp_path / fmt
    simulate("default", seed=5, scale=0.05, out=parquet)
    summary = simulate("default", seed=5, scale=0.05, out=other, fmt=fmt)
    posts = pq.read_table(parquet / "posts.parquet").to_pylist()
    path = other / f"posts.{fmt}"
    if fmt == "csv":
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    else:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(posts) == summary.counts["posts"]
    for want, got in zip(posts, rows, strict=True):
        assert got["post_id"] == want["post_id"]
        assert got["text"] in (want["text"], "" if want["text"] is None else want["text"])
        assert got["created_at"] == want["created_at"].strftime("%Y-%m-%dT%H:%M:%SZ")
        hashtags = got["hashtags"] if fmt == "jsonl" else json.loads(got["hashtags"])
        assert hashtags == want["hashtags"]
    for t in WRITTEN:
        if fmt == "csv":
            table = pacsv.read_csv(other / f"{t.name}.csv")
        else:
            table = pajson.read_json(other / f"{t.name}.jsonl")
        assert table.num_rows == summary.counts[t.name], t.name


def test_events_grow_linearly_with_scale() -> None:
    small = SCENARIOS["default"](3, 0.1)
    large = SCENARIOS["default"](3, 0.5)

    def events(world: Any) -> int:
        return (
            len(world.posts.plan)
            + len(world.follows)
            + len(world.reports)
            + len(world.moderation.actions["ts"])
            + len(world.moderation.appeals["filed"])
            + len(world.logins.ts)
        )

    assert 7_500 <= events(small) <= 12_500
    assert 37_500 <= events(large) <= 62_500
    assert 4.0 <= events(large) / events(small) <= 6.0


def test_the_baseline_has_no_operation(tmp_path: Path) -> None:
    summary = simulate("baseline", seed=2, scale=0.05, out=tmp_path / "b")
    assert summary.roles["operation"] == 0
    assert summary.targets == []
    assert (tmp_path / "b" / "truth" / "posts.csv").read_text().strip() == '"post_id","campaign"'


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scenario": "nope"}, "unknown scenario"),
        ({"fmt": "xlsx"}, "unknown format"),
        ({"scale": 0.0}, "scale must be"),
    ],
)
def test_bad_parameters_are_one_clear_error(
    kwargs: dict[str, Any], message: str, tmp_path: Path
) -> None:
    with pytest.raises(ParameterError, match=message):
        simulate(**{"out": tmp_path / "x", **kwargs})


def test_a_folder_with_other_files_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ParameterError, match="not empty"):
        simulate(seed=1, scale=0.05, out=tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
