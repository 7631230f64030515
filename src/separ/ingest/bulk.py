"""Bulk reading by DuckDB's own parallel CSV reader, for the high-volume native files.

:func:`read_lines` (JSON lines) and :func:`read_csv_records` (CSV) each turn a file into
a temporary table in one statement: DuckDB reads on both cores, keeps file order (so a
row's line is its place in the file), and hands back what it could not read (bytes that
are not UTF-8, a record with the wrong number of fields, a line over the size limit)
with its line, for the quarantine. Gzip, a UTF-8 byte-order mark and UTF-16 are handled
as by the streaming readers of ``read.py``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import duckdb

from separ.errors import InputError
from separ.ingest.read import BadRow, open_source

REJECTS = "_separ_rejects"
SCANS = "_separ_rejects_scan"

Reject = tuple[int, str, str, str]
"""A record DuckDB could not read: ``(line, error type, message, raw text)``."""


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _source_options(path: Path, max_bytes: int) -> dict[str, str]:
    source = open_source(path)  # raises InputError for a file that is not text at all
    try:
        gzipped = source.stream is not source.raw
        encoding = "utf-16" if source.encoding == "utf-16" else "utf-8"
    finally:
        source.close()
    return {
        "compression": "'gzip'" if gzipped else "'none'",
        "encoding": f"'{encoding}'",
        "auto_detect": "false",
        "strict_mode": "true",
        "max_line_size": str(max_bytes),
        "buffer_size": str(max(16 << 20, 4 * max_bytes)),
        "store_rejects": "true",
        "rejects_table": f"'{REJECTS}'",
        "rejects_scan": f"'{SCANS}'",
    }


def _read(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    target: str,
    columns: str,
    options: dict[str, str],
) -> list[Reject]:
    """Create temp table ``target`` from ``columns`` of ``read_csv`` over ``path``, in file
    order (DuckDB reads in parallel and stores in order, so ``rowid`` counts records);
    return the records DuckDB rejected, by line."""
    args = ", ".join(f"{k} = {v}" for k, v in options.items())
    con.execute(f"DROP TABLE IF EXISTS {REJECTS}; DROP TABLE IF EXISTS {SCANS}")
    order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {target} AS SELECT {columns} "
            f"FROM read_csv({_sql_text(str(path))}, {args})"
        )
    except duckdb.Error as exc:
        raise InputError(path, f"cannot be read: {str(exc).splitlines()[0]}") from None
    finally:
        con.execute(f"SET preserve_insertion_order = {str(order).lower()}")
    rejects = con.execute(
        f"SELECT line, error_type, error_message, csv_line FROM {REJECTS} ORDER BY line"
    ).fetchall()
    con.execute(f"DROP TABLE IF EXISTS {REJECTS}; DROP TABLE IF EXISTS {SCANS}")
    return [(int(a), str(b), str(c), str(d or "").strip("\r\n")) for a, b, c, d in rejects]


def _numbered(con: duckdb.DuckDBPyConnection, target: str, first: int, rejected: list[int]) -> str:
    """SQL for ``target`` with ``_line``: the row at ``rowid`` r is on line ``first + r``,
    moved down past the lines DuckDB rejected (it does not store those): the row numbered
    k comes after the i-th rejected line r_i exactly when k > r_i - i."""
    line = f"rowid + {first}"
    if not rejected:
        return f"SELECT {line} AS _line, * FROM {target}"
    skips = sorted({r - i: i for i, r in enumerate(sorted(rejected), start=1)}.items())
    values = ", ".join(f"({after}, {n})" for after, n in skips)
    return f"""SELECT t._k + coalesce(s.n, 0) AS _line, t.* EXCLUDE (_k)
        FROM (SELECT {line} AS _k, * FROM {target}) t
        ASOF LEFT JOIN (SELECT * FROM (VALUES {values}) v(after, n)) s ON t._k > s.after"""


# a JSON line cannot hold a raw control byte: \x01 splits nothing in valid JSON, and a line
# that holds one has "too many columns" and is quarantined
LINES = {"delim": "'\x01'", "quote": "''", "escape": "''", "header": "false"}


def read_lines(
    con: duckdb.DuckDBPyConnection, path: Path, bad: BadRow, max_bytes: int, *, target: str
) -> str:
    """Create temp table ``target`` with the lines of ``path`` and return SQL for them as
    ``(_line, _json)``, blank lines included (NULL or blank ``_json``). Lines DuckDB
    cannot read go to ``bad``."""
    options = {**_source_options(path, max_bytes), **LINES, "columns": "{'_json': 'VARCHAR'}"}
    rejects = _read(con, path, target, "_json", options)
    for line, kind, message, raw in rejects:
        bad(line, _reason(kind, message, max_bytes, json_lines=True), raw[:4000])
    return _numbered(con, target, 1, [r[0] for r in rejects])


def read_csv_records(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    bad: BadRow,
    *,
    names: Sequence[str],
    header_lines: int,
    delimiter: str,
    max_field: int,
    target: str,
) -> str | None:
    """Create temp table ``target`` with the records of a CSV file after its
    ``header_lines`` and return SQL for them as ``(_line, c0, c1, ...)`` (text, empty
    fields NULL). Records DuckDB cannot read go to ``bad``. Returns None, leaving nothing,
    when the file has blank lines or records over several lines: DuckDB does not number
    those, and the streaming reader must read the file to keep every line number true."""
    max_bytes = (len(names) + 1) * max_field
    base = _source_options(path, max_bytes)
    physical = _physical_lines(con, path, base)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names))) + "}"
    options = {
        **base,
        "columns": columns,
        "delim": _sql_text(delimiter),
        "quote": "'\"'",
        "escape": "'\"'",
        "header": "false",
        "skip": str(header_lines),
    }
    rejects = _read(con, path, target, "*", options)
    rows = int(con.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0])
    if rows + len(rejects) + header_lines != physical:
        con.execute(f"DROP TABLE {target}")
        return None
    for line, kind, message, raw in rejects:
        bad(line, _reason(kind, message, max_bytes, json_lines=False), raw[:4000])
    return _numbered(con, target, header_lines + 1, [r[0] for r in rejects])


_CHUNK = 1 << 24


def _newlines(path: Path) -> int | None:
    """The lines of a plain file, counted from its bytes (far faster than a DuckDB pass);
    None when it has a carriage return that does not end a line before a line feed (a
    reader may end a line there: only DuckDB's own count tells)."""
    lines = returns = pairs = 0
    last = b""
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            lines += chunk.count(b"\n")
            if b"\r" in chunk or last == b"\r":
                returns += chunk.count(b"\r")
                pairs += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            last = chunk[-1:]
    if returns != pairs:
        return None
    return lines + (last not in (b"", b"\n"))  # a last line without its line feed


def _physical_lines(con: duckdb.DuckDBPyConnection, path: Path, base: dict[str, str]) -> int:
    """How many lines ``path`` has, as DuckDB's reader splits them (``base``: its
    options). Plain UTF-8 files are counted from their bytes; gzip, UTF-16 and files with
    bare carriage returns by a DuckDB pass."""
    if base["compression"] == "'none'" and base["encoding"] == "'utf-8'":
        counted = _newlines(path)
        if counted is not None:
            return counted
    return _counted_lines(con, path, base)


def _counted_lines(con: duckdb.DuckDBPyConnection, path: Path, base: dict[str, str]) -> int:
    """How many lines DuckDB's reader finds in ``path``, read ones and rejected ones."""
    count = "_separ_count"
    lines = _read(
        con,
        path,
        count,
        "count(*) AS n",
        {**base, **LINES, "columns": "{'_l': 'VARCHAR'}", "strict_mode": "false"},
    )
    physical = int(con.execute(f"SELECT n FROM {count}").fetchall()[0][0]) + len(lines)
    con.execute(f"DROP TABLE {count}")
    return physical


def _reason(kind: str, message: str, max_bytes: int, *, json_lines: bool) -> str:
    """The quarantine reason for a record DuckDB rejected."""
    found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    if kind in ("INVALID ENCODING", "INVALID UNICODE"):
        return "not valid UTF-8 text"
    if kind == "LINE SIZE OVER MAXIMUM":
        return f"a line is longer than {max_bytes} bytes"
    if json_lines and kind == "TOO MANY COLUMNS":
        return "not valid JSON (a raw control character)"
    if found:
        return f"expected {found[1]} fields, found {found[2]}"
    if kind == "UNQUOTED VALUE":
        return f"malformed CSV: {message.splitlines()[0]}"
    return f"cannot be read: {message.splitlines()[0]}"
