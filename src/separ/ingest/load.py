"""The one load path every importer uses: stage, validate, de-duplicate, insert — in SQL.

An importer hands the :class:`Loader` batches of native-table rows as Arrow tables (any
column types; native names; a ``_line`` column), staged as text in the workspace file (so
memory stays bounded); the native importer hands whole files instead, which DuckDB reads
in bulk (Parquet as a view, CSV and JSON lines typed as they are staged, see
:mod:`separ.ingest.bulk`). :meth:`Loader.finish` then types (if not done yet) and checks
every row in one SQL pass per table:

* a row that breaks the native format (missing required value, bad time, unknown enum
  value, bad number or list) goes to ``quarantine`` with its line and the reason;
* a second row with the same key in the same file goes to ``quarantine`` naming the line
  that was kept and the columns that differ;
* a row identical to one already stored from an earlier ingest is counted as unchanged
  (re-ingesting a file adds nothing);
* a row whose key is stored with other values is a conflict and goes to ``quarantine`` —
  except ``accounts``, which are profile snapshots: those merge, the newest snapshot
  winning field by field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from separ.ingest.bulk import read_csv_records, read_lines
from separ.ingest.read import MAX_FIELD_BYTES
from separ.schema import TABLES, Column, Table
from separ.workspace import Workspace

MERGE_TABLES = frozenset({"accounts"})
"""Tables whose repeated keys are snapshots to merge rather than duplicates to quarantine."""

# Typing of staged text. ``separ_trim`` is DuckDB's ``trim`` (which strips the Unicode
# space separators, Zs) without its cost on the common value: ASCII text with no space at
# either end is its own trim. Times are taken through their epoch (``epoch_us``), which is
# exact for the UTC session and cheaper than ``AT TIME ZONE``; a time outside the years
# 1-9999 (an epoch number out of range, 'infinity') is NULL, not an error nor a time.
MACROS = r"""
CREATE OR REPLACE TEMP MACRO separ_trim(v) AS CASE
    WHEN v LIKE ' %' OR v LIKE '% ' OR strlen(v) <> length(v) THEN trim(v) ELSE v END;
CREATE OR REPLACE TEMP MACRO separ_id(v) AS CASE
    WHEN separ_trim(v) LIKE '%.0' THEN
        nullif(regexp_replace(trim(v), '^(-?[0-9]+)\.0+$', '\1'), '')
    ELSE nullif(separ_trim(v), '') END;
CREATE OR REPLACE TEMP MACRO separ_us(u) AS CASE  -- microseconds since 1970, years 1-9999
    WHEN u BETWEEN -62135596800000000 AND 253402300799999999 THEN make_timestamp(CAST(u AS BIGINT))
    END;
CREATE OR REPLACE TEMP MACRO separ_epoch(d) AS
    separ_us(round(CASE WHEN abs(d) >= 1e14 THEN d WHEN abs(d) >= 1e11 THEN d * 1e3 ELSE d * 1e6 END));
CREATE OR REPLACE TEMP MACRO separ_time(v) AS coalesce(
    separ_us(epoch_us(TRY_CAST(v AS TIMESTAMPTZ))),  -- ISO 8601 first: the common case
    CASE WHEN regexp_full_match(trim(v), '-?[0-9]+(\.[0-9]+)?')
         THEN separ_epoch(TRY_CAST(trim(v) AS DOUBLE)) END,
    -- Twitter's dates (the shape is checked first: strptime reads 'infinity' as 1900)
    -- and its offset, which strptime reads however large: +9999 is not one
    CASE WHEN trim(v) LIKE '___ ___ __ __:__:__ _____ ____'
              AND regexp_full_match(substr(trim(v), 21, 5), '[+-](0[0-9]|1[0-4])[0-5][0-9]')
         THEN separ_us(epoch_us(try_strptime(trim(v), '%a %b %d %H:%M:%S %z %Y'))) END);
CREATE OR REPLACE TEMP MACRO separ_int(v) AS CASE
    WHEN regexp_full_match(separ_trim(v), '[-+]?[0-9]+(\.0*)?')
    THEN TRY_CAST(separ_trim(v) AS BIGINT) END;
CREATE OR REPLACE TEMP MACRO separ_bool(v) AS CASE
    WHEN v = 'true' THEN true
    WHEN v = 'false' THEN false
    WHEN lower(separ_trim(v)) IN ('true', 't', '1', 'yes', 'y', '1.0') THEN true
    WHEN lower(separ_trim(v)) IN ('false', 'f', '0', 'no', 'n', '0.0') THEN false
    END;
CREATE OR REPLACE TEMP MACRO separ_list(v) AS CASE
    WHEN v = '[]' THEN CAST([] AS VARCHAR[])
    WHEN starts_with(v, '[') OR starts_with(ltrim(v), '[') THEN
        list_filter(try(from_json(v, '["VARCHAR"]')), lambda x: x IS NOT NULL AND x <> '')
    WHEN v IS NULL OR trim(v) IN ('', 'null') THEN NULL
    WHEN starts_with(ltrim(v), '"') AND json_valid(v) THEN [json_extract_string(v, '$')]
    END;
"""


def q(name: str) -> str:
    return f'"{name}"'


NUMBERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")


def _text(col: Column, have: str) -> str:
    """SQL for the staged value of ``col`` as text."""
    raw = f"s.{q(col.name)}"
    return raw if have == "VARCHAR" else f"CAST({raw} AS VARCHAR)"


def _typed(col: Column, have: str = "VARCHAR") -> str:
    """SQL turning the staged value of ``col`` (of SQL type ``have``) into its native type.

    Text is parsed liberally (see docs/native-format.md); values that already have a
    fitting type (Parquet timestamps, lists, numbers, booleans) pass straight through.
    """
    raw = f"s.{q(col.name)}"
    if col.kind == "time" and have == "TIMESTAMP WITH TIME ZONE":
        return f"separ_us(epoch_us({raw}))"
    if col.kind == "time" and (have.startswith("TIMESTAMP") or have == "DATE"):
        return f"separ_us(epoch_us(TRY_CAST({raw} AS TIMESTAMP)))"
    if col.kind == "list" and have.endswith("[]"):
        return f"list_filter(CAST({raw} AS VARCHAR[]), lambda x: x IS NOT NULL AND x <> '')"
    if col.kind == "int" and have.startswith(("FLOAT", "DOUBLE", "DECIMAL")):
        # a whole number only: 1.5 is not rounded to 2 (NaN and infinities fail the cast)
        return f"TRY_CAST(CASE WHEN {raw} = trunc({raw}) THEN {raw} END AS BIGINT)"
    if col.kind in ("int", "float") and have.startswith(NUMBERS):
        return f"TRY_CAST({raw} AS {col.sql_type})"
    if col.kind == "bool" and have == "BOOLEAN":
        return raw
    v = _text(col, have)
    match col.kind:
        case "id":
            return f"separ_id({v})"
        case "text":
            return f"nullif({v}, '')"
        case "time":
            return f"separ_time({v})"
        case "int":
            return f"separ_int({v})"
        case "float":
            return f"TRY_CAST(separ_trim({v}) AS DOUBLE)"
        case "bool":
            return f"separ_bool({v})"
        case "list":
            return f"separ_list({v})"
        case "enum":
            return f"nullif(lower(separ_trim({v})), '')"


def _checks(col: Column, have: str = "VARCHAR", raw: str | None = None) -> list[tuple[str, str]]:
    """``(condition, reason)`` SQL pairs: when a condition holds, the staged value of ``col``
    is invalid for that reason. ``raw`` is the SQL of the staged value (default ``s.COL``);
    the typed value is ``t.COL``. Conditions are cheap; reasons are built only for bad rows."""
    raw = raw or f"s.{q(col.name)}"
    v = raw if have == "VARCHAR" else f"CAST({raw} AS VARCHAR)"
    t = f"t.{q(col.name)}"
    shown = f"left({v}, 80)"
    bad_value = {
        "time": "not a time",
        "int": "not a whole number",
        "float": "not a number",
        "bool": "not true/false",
        "list": "not a list",
    }
    checks: list[tuple[str, str]] = []
    if have != "VARCHAR" and col.kind != "enum" and _typed(col, have) != _typed(col):
        # a value of another type than text (Parquet): missing, or present but not
        # convertible (a NaN count, the int 2 as a boolean, a date beyond year 9999)
        if col.required:
            checks.append((f"{t} IS NULL AND {raw} IS NULL", f"'missing {col.name}'"))
        if col.kind in bad_value:
            why = f"'{col.name}: {bad_value[col.kind]}: ' || {shown}"
            checks.append((f"{t} IS NULL AND {raw} IS NOT NULL", why))
        return checks
    given = (
        f"nullif(separ_trim({raw}), '') IS NOT NULL" if have == "VARCHAR" else f"{raw} IS NOT NULL"
    )
    if col.required and col.kind in ("id", "text", "enum"):  # typed is NULL only when blank
        checks.append((f"{t} IS NULL", f"'missing {col.name}'"))
    elif col.required:
        checks.append((f"{t} IS NULL AND NOT ({given})", f"'missing {col.name}'"))
    if col.kind in bad_value and col.kind != "list":
        checks.append(
            (f"{t} IS NULL AND {given}", f"'{col.name}: {bad_value[col.kind]}: ' || {shown}")
        )
    if col.kind == "list" and not have.endswith("[]"):
        checks.append(
            (
                f"{t} IS NULL AND {given} AND trim({v}) <> 'null'",
                f"'{col.name}: not a JSON array: ' || {shown}",
            )
        )
    if col.kind == "enum" and col.choices:
        choices = ", ".join(f"'{c}'" for c in col.choices)
        checks.append(
            (
                f"{t} NOT IN ({choices})",
                f"'{col.name}: ' || {shown} || ' is not one of {', '.join(col.choices)}'",
            )
        )
    return checks


def _key_match(table: Table, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{q(k)} IS NOT DISTINCT FROM {right}.{q(k)}" for k in table.key)


def _differs(table: Table, left: str, right: str, *, extra: bool = True) -> str:
    """SQL list of the column names whose values differ between two aliases."""
    items = [
        f"CASE WHEN {left}.{q(c)} IS DISTINCT FROM {right}.{q(c)} THEN '{c}' END"
        for c in [*table.names, *(["extra"] if extra else [])]
        if c not in table.key
    ]
    return f"list_filter([{', '.join(items)}], lambda x: x IS NOT NULL)"


def _raw_json(table: Table, alias: str) -> str:
    fields = ", ".join(f"{q(c)} := {alias}.{q(c)}" for c in table.names)
    return f"CAST(to_json(struct_pack({fields})) AS VARCHAR)"


def _key_text(table: Table, alias: str) -> str:
    parts = " || '/' || ".join(f"coalesce({alias}.{q(k)}, '')" for k in table.key)
    return f"'{'/'.join(table.key)} ' || {parts}"


@dataclass
class TableCounts:
    read: int = 0
    loaded: int = 0
    unchanged: int = 0
    merged: int = 0
    quarantined: int = 0


@dataclass
class FileResult:
    """What one source file contributed, per table."""

    source: str
    format: str
    ingest_id: int
    records: int = 0
    tables: dict[str, TableCounts] = field(default_factory=dict)
    quarantined: int = 0
    """All quarantined records of the file, including those no table could be read from."""
    not_loaded: dict[str, int] = field(default_factory=dict)
    """Valid records no native table can hold (Bluesky likes, deletions), by kind."""
    skipped: str | None = None

    def total(self, what: str) -> int:
        return sum(getattr(c, what) for c in self.tables.values())


class Loader:
    """Stages one source file's rows and loads them into the workspace in :meth:`finish`.

    Every staged row carries ``_row``, unique within the file (one source line may give
    several rows, e.g. a page of tweets), and ``_line``, its place in the source.
    """

    def __init__(self, ws: Workspace, source: str, fmt: str, ingest_id: int) -> None:
        self.ws = ws
        self.con = ws.con
        self.result = FileResult(source, fmt, ingest_id)
        self._staged: dict[str, str] = {}  # table -> "TABLE", "VIEW" or "TYPED" (a table)
        self._rows = 0
        self._reader_bad: list[tuple[int, str, str, str | None]] = []
        self.con.execute(MACROS)

    # -- what importers call -----------------------------------------------------------------
    def bad(self, line: int, reason: str, raw: str = "", table: str | None = None) -> None:
        """Quarantine a record the importer could not turn into rows."""
        self.result.records += 1
        self._reader_bad.append((line, reason, raw[:4000], table))
        if len(self._reader_bad) >= 10_000:
            self._flush_bad()

    def not_loaded(self, what: str, n: int = 1) -> None:
        """Count ``n`` valid records that no native table can hold (e.g. Bluesky likes).

        They are not malformed, so they do not belong in the quarantine; they are counted
        in the file's report and the ingest log, never silently dropped.
        """
        self.result.not_loaded[what] = self.result.not_loaded.get(what, 0) + n
        self.result.records += n

    def count_records(self, n: int) -> None:
        self.result.records += n

    def add(self, table: str, batch: pa.Table) -> None:
        """Stage rows of a native table. Columns not in the native table go to ``extra``."""
        spec = TABLES[table]
        self.result.tables.setdefault(table, TableCounts())
        if batch.num_rows == 0:
            return
        exprs = []
        extras = []
        for name, typ in zip(batch.schema.names, batch.schema.types, strict=True):
            if name in spec.names:
                exprs.append((name, _as_text(name, typ)))
            elif name not in ("_line", "extra"):
                extras.append(name)
        extra = _extra_expr(extras, "extra" in batch.schema.names)
        cols = "".join(f"{q(n)}, " for n, _ in exprs)
        vals = "".join(f"{e}, " for _, e in exprs)
        self._insert_batch(
            spec,
            batch,
            f"({cols}extra, _line, _row) SELECT {vals}{extra}, _line, _row FROM _separ_batch",
        )

    def add_jsonl(self, table: str, path: Path, max_bytes: int) -> None:
        """Stage a JSON-lines file whose keys are native column names, read in bulk by
        DuckDB (see :mod:`separ.ingest.bulk`), then parsed and typed in one parallel pass:
        each line becomes a struct of text fields (numbers become their text, lists and
        objects their JSON), then native types. Lines that are not JSON objects go to
        quarantine with their text."""
        spec = TABLES[table]
        self.result.tables.setdefault(table, TableCounts())
        shape = {c.name: "JSON" if c.kind == "list" else "VARCHAR" for c in spec.columns}
        shape["extra"] = "JSON"
        parsed = (
            f"CASE WHEN starts_with(ltrim(_json), '{{') "
            f"THEN try(from_json(_json, '{json.dumps(shape)}')) END"
        )
        known = ", ".join(f"'{n}'" for n in [*spec.names, "extra"])
        # list_contains over a constant list is cheaper than NOT IN inside the lambda
        unknown = f"list_filter(json_keys(_json), lambda k: NOT list_contains([{known}], k))"
        given = "CASE WHEN json_type(r.extra) = 'OBJECT' THEN r.extra END"
        extra = (
            f"CASE WHEN r IS NULL OR len({unknown}) = 0 AND {given} IS NULL THEN NULL ELSE "
            f"nullif(CAST(json_merge_patch(coalesce({given}, '{{}}'), "
            f"to_json(map_from_entries(list_transform({unknown}, lambda k: {{'k': k, "
            "'v': json_extract(_json, '$.\"' || k || '\"')})))) AS VARCHAR), '{}') END"
        )
        vals = ", ".join(
            f"CAST(r.{q(c.name)} AS VARCHAR) AS {q(c.name)}"
            if c.kind == "list"
            else f"r.{q(c.name)} AS {q(c.name)}"
            for c in spec.columns
        )
        not_object = (
            "CASE WHEN r IS NULL THEN CASE WHEN json_valid(_json) THEN 'not a JSON object' "
            "ELSE 'not valid JSON' END END"
        )
        lines = f"_lines_{spec.name}"
        numbered = read_lines(self.con, path, self.bad, max_bytes, target=lines)
        self._flush_bad()
        self._stage_typed(
            spec,
            f"""SELECT {vals}, {extra} AS extra, _line, _line AS _row,
                {not_object} AS _reject, CASE WHEN r IS NULL THEN left(_json, 4000) END AS _raw
            FROM (SELECT _line, _json, {parsed} AS r FROM ({numbered})
                  WHERE starts_with(_json, '{{') OR trim(_json, ' \t\r\n') <> '')""",
        )
        self.con.execute(f"DROP TABLE {lines}")

    def add_csv(self, table: str, path: Path, header: list[str], header_lines: int) -> bool:
        """Stage a native CSV file read in bulk by DuckDB (see :mod:`separ.ingest.bulk`),
        then typed. Returns False, staging nothing, when its line numbers need the
        streaming reader."""
        spec = TABLES[table]
        records = f"_records_{spec.name}"
        numbered = read_csv_records(
            self.con,
            path,
            self.bad,
            names=header,
            header_lines=header_lines,
            delimiter=",",
            max_field=MAX_FIELD_BYTES,
            target=records,
        )
        if numbered is None:
            return False
        self.result.tables.setdefault(table, TableCounts())
        self._flush_bad()
        huge = " OR ".join(
            f"coalesce(strlen(c{i}), 0) > {MAX_FIELD_BYTES}" for i in range(len(header))
        )
        named = ", ".join(f"c{i} AS {q(n)}" for i, n in enumerate(header))
        cols = [q(c) if c in header else f"CAST(NULL AS VARCHAR) AS {q(c)}" for c in spec.names]
        extras = [n for n in header if n not in spec.names and n != "extra"]
        self._stage_typed(
            spec,
            f"""SELECT {", ".join(cols)}, {_extra_expr(extras, "extra" in header)} AS extra,
                _line, _line AS _row, _reject, NULL AS _raw
            FROM (SELECT {named}, _line,
                         CASE WHEN {huge} THEN 'a field is longer than {MAX_FIELD_BYTES} bytes'
                         END AS _reject
                  FROM ({numbered}))""",
        )
        self.con.execute(f"DROP TABLE {records}")
        return True

    def add_parquet(self, table: str, path: Path) -> None:
        """Stage a whole Parquet file as a view: no copy, its column types kept."""
        spec = TABLES[table]
        self.result.tables.setdefault(table, TableCounts())
        names = [f.name for f in pq.read_schema(path)]
        cols = [q(c) if c in names else f"CAST(NULL AS VARCHAR) AS {q(c)}" for c in spec.names]
        extras = [n for n in names if n not in spec.names and n != "extra"]
        stage = self._stage_name(spec)
        self.con.execute(
            f"""CREATE OR REPLACE TEMP VIEW {stage} AS
            SELECT {", ".join(cols)}, {_extra_expr(extras, "extra" in names)} AS extra,
                   file_row_number + 1 AS _line, file_row_number AS _row
            FROM read_parquet('{str(path).replace("'", "''")}', file_row_number = true)"""
        )
        self._staged[spec.name] = "VIEW"
        self.result.records += self._scalar(f"SELECT count(*) FROM {stage}")

    # -- staging -------------------------------------------------------------------------------
    def _stage_name(self, spec: Table) -> str:
        return f"_stage_{spec.name}_{self.result.ingest_id}"

    def _create_stage(self, spec: Table) -> None:
        if spec.name not in self._staged:
            cols = ", ".join(f"{q(c)} VARCHAR" for c in spec.names)
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {self._stage_name(spec)} "
                f"({cols}, extra VARCHAR, _line BIGINT, _row BIGINT)"
            )
            self._staged[spec.name] = "TABLE"

    def _insert_batch(self, spec: Table, batch: pa.Table, select: str) -> None:
        self._create_stage(spec)
        rows = pa.array(range(self._rows, self._rows + batch.num_rows), pa.int64())
        self.con.register("_separ_batch", batch.append_column("_row", rows))
        try:
            self.con.execute(f"INSERT INTO {self._stage_name(spec)} {select}")
        finally:
            self.con.unregister("_separ_batch")
        self._rows += batch.num_rows

    def _flush_bad(self) -> None:
        if not self._reader_bad:
            return
        rows = [
            (self.result.ingest_id, self.result.source, line, table, reason, raw)
            for line, reason, raw, table in self._reader_bad
        ]
        self.con.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?)", rows)
        self._reader_bad.clear()

    def discard(self) -> None:
        """Drop the staging tables (after an error)."""
        for table, kind in self._staged.items():
            kind = "TABLE" if kind == "TYPED" else kind
            self.con.execute(f"DROP {kind} IF EXISTS {self._stage_name(TABLES[table])}")
        self._staged.clear()

    # -- the final load ------------------------------------------------------------------------
    def finish(self) -> FileResult:
        """Validate, de-duplicate and insert every staged table; drop the staging tables."""
        self._flush_bad()
        for table in TABLES:
            if table in self._staged:
                counts = self.result.tables.setdefault(table, TableCounts())
                self._load(TABLES[table], counts)
        self.discard()
        return self.result

    def _typing(self, spec: Table, have: dict[str, str], rejects: bool) -> tuple[str, str, str]:
        """SQL typing the staged row ``s`` (column SQL types ``have``): the select list,
        and over the typed row ``t``, whether it is valid and why it is not. The select
        keeps the staged text of the columns that have checks (``_s_COL``); with
        ``rejects`` the stage's own ``_reject`` reason and ``_raw`` text are kept too."""
        checks = {c.name: _checks(c, have[c.name], q("_s_" + c.name)) for c in spec.columns}
        raws = "".join(
            f", s.{q(c)} AS {q('_s_' + c)}"
            for c in spec.names
            if any(q("_s_" + c) in cond + why for cond, why in checks[c])
        )
        typed = ", ".join(f"{_typed(c, have[c.name])} AS {q(c.name)}" for c in spec.columns)
        pairs = [pair for c in spec.columns for pair in checks[c.name]]
        if rejects:
            raws += ", s._reject, s._raw"
            pairs.insert(0, ("t._reject IS NOT NULL", "t._reject"))
        select = f"{typed}, CAST(s.extra AS JSON) AS extra, s._line, s._row{raws}"
        ok = " AND ".join(f"NOT coalesce({cond}, false)" for cond, _ in pairs) or "true"
        reasons = ", ".join(f"CASE WHEN {cond} THEN {why} END" for cond, why in pairs)
        reason = f"concat_ws('; ', {reasons})" if pairs else "NULL"
        if rejects:  # a row the stage rejected has that one reason
            reason = f"coalesce(t._reject, {reason})"
        return select, ok, reason

    def _stage_typed(self, spec: Table, rows: str) -> None:
        """Stage ``spec`` already typed, from the query ``rows`` (the native columns and
        ``extra`` as text, ``_line``, ``_row``, ``_reject``, ``_raw``), and count its rows."""
        stage = self._stage_name(spec)
        select, _, _ = self._typing(spec, _text_columns(spec), rejects=True)
        self.result.records += self._scalar(  # CREATE ... AS returns its row count
            f"CREATE OR REPLACE TEMP TABLE {stage} AS SELECT {select} FROM ({rows}) s"
        )
        self._staged[spec.name] = "TYPED"

    def _typed_table(self, spec: Table) -> tuple[str, str]:
        """Make ``_typed`` (every staged row typed once) and return SQL for (row is valid,
        why it is not).

        Typing is materialised first on purpose: DuckDB inlines macros, so checks written
        over a view would type every value again for each check.
        """
        stage = self._stage_name(spec)
        self.con.execute("DROP TABLE IF EXISTS _typed")
        if self._staged[spec.name] == "TYPED":
            self.con.execute(f"ALTER TABLE {stage} RENAME TO _typed")
            del self._staged[spec.name]
            _, ok, reason = self._typing(spec, _text_columns(spec), rejects=True)
            return ok, reason
        have = {str(r[0]): str(r[1]) for r in self.con.execute(f"DESCRIBE {stage}").fetchall()}
        select, ok, reason = self._typing(spec, have, rejects=False)
        self.con.execute(f"CREATE TEMP TABLE _typed AS SELECT {select} FROM {stage} s")
        return ok, reason

    def _load(self, spec: Table, counts: TableCounts) -> None:
        con, ingest, source = self.con, self.result.ingest_id, self.result.source
        rejects = self._staged[spec.name] == "TYPED"
        ok, reason = self._typed_table(spec)
        with_raw = {str(r[0]) for r in con.execute("DESCRIBE _typed").fetchall()}
        fields = ", ".join(
            f"{q(c)} := "
            + (
                f"coalesce(to_json(t.{q('_s_' + c)}), to_json(t.{q(c)}))"
                if f"_s_{c}" in with_raw
                else f"to_json(t.{q(c)})"
            )
            for c in spec.names
        )
        raw = f"CAST(to_json(struct_pack({fields}, extra := t.extra)) AS VARCHAR)"
        if rejects:  # a record the stage could not even read as fields keeps its own text
            raw = f"coalesce(t._raw, {raw})"
        bad = con.execute(
            f"""INSERT INTO quarantine SELECT ?, ?, t._line, ?, {reason}, {raw}
            FROM _typed t WHERE NOT ({ok})""",
            [ingest, source, spec.name],
        ).fetchall()[0][0]
        counts.quarantined += bad
        if spec.name in MERGE_TABLES:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _valid AS "
                f"SELECT {', '.join(q(c) for c in spec.names)}, extra, _line, _row "
                f"FROM _typed t WHERE {ok}"
            )
            counts.read += self.ws.count("_valid") + bad
            self._merge(spec, counts)
            return
        names = ", ".join(q(c) for c in spec.names)
        before = self._scalar(f"SELECT count(*) FROM {spec.name}")
        con.execute(
            f"""INSERT INTO {spec.name} ({names}, extra, _ingest, _line)
            SELECT {names}, extra, {ingest}, _line FROM _typed t WHERE {ok}"""
        )
        inserted = self._scalar(f"SELECT count(*) FROM {spec.name}") - before
        counts.read += inserted + bad
        # the rows just inserted are the table's rows with this _ingest; check them in place
        keys = ", ".join(q(k) for k in spec.key)
        distinct = self._scalar(
            f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {spec.name} "
            f"WHERE _ingest = {ingest})"
        )
        removed = 0
        if distinct < inserted:
            removed += self._quarantine_repeats(spec, counts)
        if before > 0:
            removed += self._settle_existing(spec, counts)
        counts.loaded += inserted - removed

    def _quarantine_repeats(self, spec: Table, counts: TableCounts) -> int:
        """Second and later rows with a key already seen in this file: quarantined, removed."""
        ingest, keys = self.result.ingest_id, ", ".join(q(k) for k in spec.key)
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _ranked AS
            SELECT *, rowid AS _rid, row_number() OVER w AS _rank, first_value(_line) OVER w AS _first
            FROM {spec.name} WHERE _ingest = {ingest}
            WINDOW w AS (PARTITION BY {keys} ORDER BY _line, rowid)"""
        )
        differs = _differs(spec, "d", "f")
        self.con.execute(
            f"""INSERT INTO quarantine
            SELECT ?, ?, d._line, ?,
                   'duplicate ' || {_key_text(spec, "d")} || ' (line ' || d._first || ' kept; '
                   || CASE WHEN len({differs}) = 0 THEN 'identical row'
                      ELSE 'differs in ' || array_to_string({differs}, ', ') END || ')',
                   {_raw_json(spec, "d")}
            FROM _ranked d JOIN _ranked f ON {_key_match(spec, "d", "f")} AND f._rank = 1
            WHERE d._rank > 1""",
            [ingest, self.result.source, spec.name],
        )
        repeats = self._scalar("SELECT count(*) FROM _ranked WHERE _rank > 1")
        self.con.execute(
            f"DELETE FROM {spec.name} WHERE rowid IN (SELECT _rid FROM _ranked WHERE _rank > 1)"
        )
        counts.quarantined += repeats
        return repeats

    def _settle_existing(self, spec: Table, counts: TableCounts) -> int:
        """New rows whose key was already stored: unchanged if identical (removed), their
        ``extra`` merged into the stored row if only that differs (a re-collected post with
        new engagement counts), else a conflict (quarantined, removed). Returns rows removed."""
        ingest = self.result.ingest_id
        differs = _differs(spec, "n", "o", extra=False)
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _existing AS
            SELECT n.rowid AS _rid, o.rowid AS _old, n._line, len({differs}) = 0 AS same,
                   {differs} AS differs,
                   n.extra IS NOT DISTINCT FROM o.extra OR n.extra IS NULL AS same_extra,
                   n.extra AS new_extra, {_key_text(spec, "n")} AS keytext,
                   o._ingest AS old_ingest, o._line AS old_line, {_raw_json(spec, "n")} AS raw
            FROM {spec.name} n JOIN {spec.name} o ON {_key_match(spec, "n", "o")}
            WHERE n._ingest = {ingest} AND o._ingest <> {ingest}"""
        )
        found = self.ws.count("_existing")
        if not found:
            return 0
        self.con.execute(
            """INSERT INTO quarantine
            SELECT ?, ?, _line, ?, 'conflict: ' || keytext || ' is already stored (ingest '
                   || old_ingest || ' line ' || old_line || ') with other values in '
                   || array_to_string(differs, ', '), raw
            FROM _existing WHERE NOT same""",
            [ingest, self.result.source, spec.name],
        )
        self.con.execute(
            f"""UPDATE {spec.name} AS o
            SET extra = json_merge_patch(coalesce(o.extra, '{{}}'), n.new_extra)
            FROM _existing n WHERE o.rowid = n._old AND n.same AND NOT n.same_extra"""
        )
        self.con.execute(f"DELETE FROM {spec.name} WHERE rowid IN (SELECT _rid FROM _existing)")
        counts.unchanged += self._scalar("SELECT count(*) FROM _existing WHERE same AND same_extra")
        counts.merged += self._scalar(
            "SELECT count(*) FROM _existing WHERE same AND NOT same_extra"
        )
        counts.quarantined += self._scalar("SELECT count(*) FROM _existing WHERE NOT same")
        return found

    def _merge(self, spec: Table, counts: TableCounts) -> None:
        """Profile snapshots: combine rows per key, newest non-empty value winning (for
        ``extra``, key by key, so an older ``status: takendown`` survives a newer snapshot
        that does not mention it)."""
        con, ingest = self.con, self.result.ingest_id
        keys = ", ".join(q(k) for k in spec.key)
        order = "ORDER BY snapshot_at NULLS FIRST, _line"
        fields = [c for c in [*spec.names, "extra"] if c not in spec.key]
        agg = ", ".join(
            f"last({q(c)} {order}) FILTER (WHERE {q(c)} IS NOT NULL) AS {q(c)}"
            for c in fields
            if c != "extra"
        )
        agg += (
            f", list_reduce(list(extra {order}) FILTER (WHERE extra IS NOT NULL), "
            "lambda a, b: json_merge_patch(a, b)) AS extra"
        )
        distinct = self._scalar(f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM _valid)")
        if distinct == self.ws.count("_valid"):  # one snapshot per key: nothing to combine
            agg = ", ".join(q(c) for c in fields)
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _ranked AS SELECT {keys}, {agg}, _line, "
                "1 AS _n FROM _valid"
            )
        else:
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _ranked AS
                SELECT {keys}, {agg}, min(_line) AS _line, count(*) AS _n
                FROM _valid GROUP BY {keys}"""
            )
        counts.merged += self._scalar("SELECT coalesce(sum(_n - 1), 0) FROM _ranked")
        newer = "coalesce(n.snapshot_at >= o.snapshot_at, o.snapshot_at IS NULL)"
        sets = ", ".join(
            f"{q(c)} = CASE WHEN {newer} THEN coalesce(n.{q(c)}, o.{q(c)}) "
            f"ELSE coalesce(o.{q(c)}, n.{q(c)}) END"
            for c in fields
            if c != "extra"
        )
        sets += (
            f", extra = nullif(CASE WHEN {newer} "
            "THEN json_merge_patch(coalesce(o.extra, '{}'), coalesce(n.extra, '{}')) "
            "ELSE json_merge_patch(coalesce(n.extra, '{}'), coalesce(o.extra, '{}')) END, '{}')"
        )
        same = f"len({_differs(spec, 'n', 'o')}) = 0"
        counts.unchanged += self._scalar(
            f"SELECT count(*) FROM _ranked n JOIN {spec.name} o ON {_key_match(spec, 'n', 'o')} "
            f"WHERE {same}"
        )
        updated = self._scalar(
            f"SELECT count(*) FROM _ranked n JOIN {spec.name} o ON {_key_match(spec, 'n', 'o')} "
            f"WHERE NOT ({same})"
        )
        counts.merged += updated
        con.execute(
            f"UPDATE {spec.name} AS o SET {sets} FROM _ranked n "
            f"WHERE {_key_match(spec, 'n', 'o')} AND NOT ({same})"
        )
        names = ", ".join(q(c) for c in spec.names)
        before = self.ws.count(spec.name)
        con.execute(
            f"""INSERT INTO {spec.name} ({names}, extra, _ingest, _line)
            SELECT {names}, extra, {ingest}, _line FROM _ranked n
            WHERE NOT EXISTS (SELECT 1 FROM {spec.name} o WHERE {_key_match(spec, "n", "o")})"""
        )
        counts.loaded += self.ws.count(spec.name) - before

    def _scalar(self, query: str) -> int:
        rows = self.con.execute(query).fetchall()
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _text_columns(spec: Table) -> dict[str, str]:
    """The SQL types of a stage that holds every column (and ``extra``) as text."""
    return {c.name: "VARCHAR" for c in spec.columns} | {"extra": "VARCHAR"}


def _as_text(name: str, typ: pa.DataType) -> str:
    col = q(name)
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return col
    if pa.types.is_list(typ) or pa.types.is_large_list(typ) or pa.types.is_struct(typ):
        return f"CAST(to_json({col}) AS VARCHAR)"
    if pa.types.is_null(typ):
        return "CAST(NULL AS VARCHAR)"
    return f"CAST({col} AS VARCHAR)"


def _extra_expr(extras: list[str], has_extra: bool) -> str:
    """SQL for the ``extra`` JSON object: unknown columns with a value, merged into ``extra``."""
    base = "CAST(extra AS VARCHAR)" if has_extra else "NULL"
    if not extras:
        return base
    entries = ", ".join(
        f"{{'k': '{n.replace(chr(39), chr(39) * 2)}', 'v': to_json({q(n)})}}" for n in extras
    )
    obj = f"to_json(map_from_entries(list_filter([{entries}], lambda e: e.v IS NOT NULL)))"
    if has_extra:
        obj = f"json_merge_patch(coalesce(CAST(extra AS JSON), '{{}}'), {obj})"
    return f"nullif(CAST({obj} AS VARCHAR), '{{}}')"


def dumps(value: Any) -> str | None:
    """JSON text for a list value handed to the loader (None stays None)."""
    return None if value is None else json.dumps(value, ensure_ascii=False)


def relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
