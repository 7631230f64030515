"""The workspace: one DuckDB file with the native tables, the quarantine, the ingest log,
the activity table and (later) findings, campaigns, decisions and the audit log.

Open it with :func:`open_workspace` (or ``Workspace(path)``); it is created and migrated on
open. Every native table carries two provenance columns, ``_ingest`` (the ingest log id)
and ``_line`` (the record in the source file), and an ``extra`` JSON column that keeps
unknown source columns.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import duckdb

from separ import __version__
from separ.errors import WorkspaceError
from separ.schema import TABLES, Table

DEFAULT_PATH = "separ.duckdb"
ENV_VAR = "SEPAR_WORKSPACE"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


def native_ddl(table: Table) -> str:
    cols = [f'"{c.name}" {c.sql_type}' for c in table.columns]
    cols += ["extra JSON", "_ingest BIGINT", "_line BIGINT"]
    return f"CREATE TABLE IF NOT EXISTS {table.name} ({', '.join(cols)})"


def _v1(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES.values():
        con.execute(native_ddl(table))
    con.execute(
        """CREATE TABLE IF NOT EXISTS quarantine (
            ingest_id BIGINT, source VARCHAR, line BIGINT, table_name VARCHAR,
            reason VARCHAR, raw VARCHAR)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS ingest_log (
            ingest_id BIGINT PRIMARY KEY, source VARCHAR, format VARCHAR,
            rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT,
            checksum VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR)"""
    )


def _v2(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("ALTER TABLE ingest_log ADD COLUMN IF NOT EXISTS rows_unchanged BIGINT DEFAULT 0")
    con.execute("ALTER TABLE ingest_log ADD COLUMN IF NOT EXISTS detail JSON")
    con.execute(
        """CREATE TABLE IF NOT EXISTS activity (
            event_id VARCHAR, actor VARCHAR, verb VARCHAR, object VARCHAR, ts TIMESTAMP)"""
    )


def _v3(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """CREATE TABLE IF NOT EXISTS findings (
            finding_id VARCHAR, detector VARCHAR, kind VARCHAR, accounts VARCHAR[],
            targets VARCHAR[], window_start TIMESTAMP, window_end TIMESTAMP, score DOUBLE,
            significance DOUBLE, summary VARCHAR, params JSON, version VARCHAR,
            created_at TIMESTAMP)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS evidence (
            finding_id VARCHAR, position INTEGER, what VARCHAR, event_ids VARCHAR[])"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS coaction_edges (
            verb VARCHAR, a VARCHAR, b VARCHAR, shared INTEGER, expected DOUBLE, p DOUBLE,
            q DOUBLE, first_ts TIMESTAMP, last_ts TIMESTAMP, median_dt DOUBLE,
            objects VARCHAR[], event_ids VARCHAR[], strong BOOLEAN)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS campaigns (
            campaign_id VARCHAR, accounts VARCHAR[], targets VARCHAR[], layers JSON,
            findings VARCHAR[], window_start TIMESTAMP, window_end TIMESTAMP, score DOUBLE,
            summary VARCHAR, hints JSON)"""
    )


def _v4(con: duckdb.DuckDBPyConnection) -> None:
    """Separ's own decisions: the gate's answers, reviews, notices, Rabat assessments,
    and the hash-chained audit log. Restrictions and appeals that Separ records go into
    the native ``actions`` and ``appeals`` tables, beside the platform's history."""
    con.execute(
        """CREATE TABLE IF NOT EXISTS audit_log (
            seq BIGINT PRIMARY KEY, logged_at TIMESTAMP, actor VARCHAR, action VARCHAR,
            subject VARCHAR, detail JSON, prev_hash VARCHAR, hash VARCHAR)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS decisions (
            decision_id VARCHAR PRIMARY KEY, account_id VARCHAR, post_id VARCHAR,
            policy VARCHAR, trigger VARCHAR, proposed VARCHAR, outcome VARCHAR, reasons JSON,
            discounted_reports VARCHAR[], automated BOOLEAN, decided_by VARCHAR,
            created_at TIMESTAMP, audit_seq BIGINT)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS reviews (
            review_id VARCHAR PRIMARY KEY, decision_id VARCHAR, action_id VARCHAR,
            reviewer VARCHAR, outcome VARCHAR, reasons VARCHAR, created_at TIMESTAMP)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS notices (
            notice_id VARCHAR PRIMARY KEY, action_id VARCHAR, account_id VARCHAR,
            lang VARCHAR, body VARCHAR, created_at TIMESTAMP)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS rabat (
            assessment_id VARCHAR PRIMARY KEY, action_id VARCHAR, post_id VARCHAR,
            factors JSON, outcome VARCHAR, assessor VARCHAR, created_at TIMESTAMP)"""
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "native tables, quarantine and ingest log", _v1),
    Migration(2, "activity table; ingest log counts unchanged rows and per-table detail", _v2),
    Migration(3, "findings with their evidence, co-action edges, campaigns", _v3),
    Migration(4, "decisions, reviews, notices, Rabat assessments, audit log", _v4),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def resolve_path(path: str | os.PathLike[str] | None) -> Path:
    """The workspace path: the argument, else $SEPAR_WORKSPACE, else ./separ.duckdb."""
    return Path(path or os.environ.get(ENV_VAR) or DEFAULT_PATH)


class Workspace:
    """A Separ workspace file, created on first open unless ``create=False`` or
    ``read_only`` (then a missing file is an error). Use as a context manager, or call
    :meth:`close`."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        read_only: bool = False,
        create: bool = True,
        memory_limit: str | None = None,
        migrate_to: int = SCHEMA_VERSION,
    ) -> None:
        self.path = resolve_path(path)
        self._depth = 0
        if (read_only or not create) and not self.path.exists():
            raise WorkspaceError(f"{self.path}: no such workspace (run 'separ ingest' first)")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            raise WorkspaceError(f"{self.path}: cannot open workspace: {first}") from exc
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET enable_progress_bar = false")
        self._memory_limit = memory_limit or os.environ.get("SEPAR_MEMORY_LIMIT")
        if self._memory_limit:
            self.con.execute(f"SET memory_limit = '{self._memory_limit}'")
        if not read_only:
            self._migrate(migrate_to)
        elif self.schema_version != SCHEMA_VERSION:
            raise WorkspaceError(
                f"{self.path}: schema version {self.schema_version}, this Separ needs "
                f"{SCHEMA_VERSION}: open it once without read-only to migrate"
            )

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- schema and migrations ---------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        if not self._has_table("meta"):
            return 0
        row = next(
            iter(
                self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
            ),
            None,
        )
        return int(row[0]) if row else 0

    def _migrate(self, target: int) -> None:
        self.con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise WorkspaceError(
                f"{self.path}: schema version {current} is newer than this Separ "
                f"({SCHEMA_VERSION}); upgrade Separ"
            )
        for migration in MIGRATIONS:
            if current < migration.version <= target:
                with self.transaction():
                    migration.apply(self.con)
                    self._set_meta("schema_version", str(migration.version))
        if target == SCHEMA_VERSION:
            self._add_new_columns()
        if self.meta("salt") is None:
            self._set_meta("salt", secrets.token_hex(16))
            self._set_meta("created_by", f"separ {__version__}")

    def _add_new_columns(self) -> None:
        """Additive schema evolution: a column added to schema.py appears in old files."""
        for table in TABLES.values():
            have = set(self.columns(table.name))
            for col in table.columns:
                if col.name not in have:
                    self.con.execute(
                        f'ALTER TABLE {table.name} ADD COLUMN "{col.name}" {col.sql_type}'
                    )

    def meta(self, key: str) -> str | None:
        row = next(
            iter(self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()), None
        )
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self.con.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    # -- helpers -----------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; nested uses join the outer one (DuckDB has no savepoints)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0
        self.con.execute("COMMIT")

    @contextmanager
    def memory_limit(self, limit: str) -> Iterator[None]:
        """Hold DuckDB to ``limit`` (``'1GB'``) inside the block; it spills beyond. The
        limit before is restored as it was given (DuckDB shows limits rounded)."""
        before, self._memory_limit = self._memory_limit, limit
        self.con.execute(f"SET memory_limit = '{limit}'")
        try:
            yield
        finally:
            self._memory_limit = before
            self.con.execute(f"SET memory_limit = '{before}'" if before else "RESET memory_limit")

    def _has_table(self, name: str) -> bool:
        row = next(
            iter(
                self.con.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
                ).fetchall()
            ),
            None,
        )
        return bool(row and row[0])

    def columns(self, table: str) -> list[str]:
        rows = self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [table],
        ).fetchall()
        return [r[0] for r in rows]

    def count(self, table: str) -> int:
        row = next(iter(self.con.execute(f"SELECT count(*) FROM {table}").fetchall()), None)
        return int(row[0]) if row else 0

    def counts(self) -> dict[str, int]:
        names = [*TABLES, "activity", "quarantine"]
        return {name: self.count(name) for name in names}

    def sql(self, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(query, params or []).fetchall()


def remove_workspace(path: str | os.PathLike[str]) -> None:
    """Delete a workspace file and its write-ahead log, if they exist."""
    path = Path(path)
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def open_workspace(path: str | os.PathLike[str] | None = None, **kwargs: Any) -> Workspace:
    return Workspace(path, **kwargs)
