from __future__ import annotations

from pathlib import Path

import pytest

from separ.errors import WorkspaceError
from separ.schema import TABLES
from separ.workspace import SCHEMA_VERSION, Workspace


def test_new_workspace_has_every_native_table(tmp_path: Path) -> None:
    with Workspace(tmp_path / "w.duckdb") as ws:
        assert ws.schema_version == SCHEMA_VERSION
        for table in TABLES.values():
            assert ws.columns(table.name)[: len(table.names)] == list(table.names)
            assert {"extra", "_ingest", "_line"} <= set(ws.columns(table.name))
        for table in ("quarantine", "ingest_log", "activity", "meta"):
            assert ws.count(table) >= 0
        assert ws.meta("salt")
        assert len(ws.meta("salt") or "") == 32


def test_migrates_a_version_1_file_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with Workspace(path, migrate_to=1) as old:
        assert old.schema_version == 1
        assert "rows_unchanged" not in old.columns("ingest_log")
        assert not old.columns("activity")
        old.con.execute("INSERT INTO accounts (account_id, handle) VALUES ('a1', 'sim_user')")
        old.con.execute("INSERT INTO ingest_log (ingest_id, source, status) VALUES (1, 'x', 'ok')")
    with Workspace(path) as ws:
        assert ws.schema_version == SCHEMA_VERSION
        assert "rows_unchanged" in ws.columns("ingest_log")
        assert ws.columns("activity") == ["event_id", "actor", "verb", "object", "ts"]
        assert ws.sql("SELECT account_id, handle FROM accounts") == [("a1", "sim_user")]
        assert ws.sql("SELECT rows_unchanged FROM ingest_log") == [(0,)]


def test_a_column_added_to_the_schema_appears_in_old_files(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        ws.con.execute("ALTER TABLE posts DROP COLUMN client")
    with Workspace(path) as ws:
        assert "client" in ws.columns("posts")


def test_refuses_a_newer_workspace(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        ws.con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(WorkspaceError, match="newer than this Separ"):
        Workspace(path)


def test_read_only_needs_an_existing_file(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="no such workspace"):
        Workspace(tmp_path / "missing.duckdb", read_only=True)


def test_memory_limit_holds_inside_the_block_and_is_restored(tmp_path: Path) -> None:
    def limit(ws: Workspace) -> str:
        return str(ws.sql("SELECT current_setting('memory_limit')")[0][0])

    with Workspace(tmp_path / "w.duckdb", memory_limit="1GB") as ws:
        before = limit(ws)
        with ws.memory_limit("512MB"):
            outer = limit(ws)
            with ws.memory_limit("256MB"):  # nested: each block restores the one around it
                assert limit(ws) not in (before, outer)
            assert limit(ws) == outer != before
        with pytest.raises(RuntimeError), ws.memory_limit("300MB"):
            raise RuntimeError
        assert limit(ws) == before
    with Workspace(tmp_path / "v.duckdb") as ws:  # DuckDB's own default, restored
        before = limit(ws)
        with ws.memory_limit("256MB"):
            assert limit(ws) != before
        assert limit(ws) == before
