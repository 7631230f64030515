"""Bulk reading by DuckDB's own parallel CSV reader, for the high-volume native files.

``read_lines`` turns a JSON-lines file into a temporary table of ``(_line, _json)`` in
one statement: DuckDB splits the lines on both cores, keeps file order (so a row's line
is its place in the file), and hands back what it could not read (bytes that are not
UTF-8, a line over the size limit) with its line, for the quarantine. Gzip, a UTF-8
byte-order mark and UTF-16 are handled as by the streaming readers of ``read.py``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from separ.errors import InputError
from separ.ingest.read import BadRow, open_source

REJECTS = "_separ_rejects"
SCANS = "_separ_rejects_scan"

REASONS = {
    "INVALID ENCODING": "not valid UTF-8 text",
    "INVALID UNICODE": "not valid UTF-8 text",
    "TOO MANY COLUMNS": "not valid JSON (a raw control character)",
}


def _source_options(path: Path) -> dict[str, str]:
    source = open_source(path)  # raises InputError for a file that is not text at all
    try:
        gzipped = source.stream is not source.raw
        encoding = "utf-16" if source.encoding == "utf-16" else "utf-8"
    finally:
        source.close()
    return {"compression": "'gzip'" if gzipped else "'none'", "encoding": f"'{encoding}'"}


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def read_lines(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    target: str,
    bad: BadRow,
    max_bytes: int,
    columns: str = "",
) -> int:
    """Create temp table ``target(_line, _json, ...)`` with the lines of ``path`` (blank
    lines included, as NULL or blank ``_json``); ``columns`` adds SQL columns computed from
    ``_json`` as the file is read. Lines DuckDB cannot read go to ``bad``; returns how
    many there were."""
    options = {
        **_source_options(path),
        # a JSON line cannot hold a raw control byte: \x01 splits nothing in valid JSON,
        # and a line that holds one has "too many columns" and is quarantined
        "columns": "{'_json': 'VARCHAR'}",
        "delim": "'\x01'",
        "quote": "''",
        "escape": "''",
        "header": "false",
        "auto_detect": "false",
        "strict_mode": "true",
        "max_line_size": str(max_bytes),
        "buffer_size": str(max(16 << 20, 4 * max_bytes)),
        "store_rejects": "true",
        "rejects_table": f"'{REJECTS}'",
        "rejects_scan": f"'{SCANS}'",
    }
    args = ", ".join(f"{k} = {v}" for k, v in options.items())
    con.execute(f"DROP TABLE IF EXISTS {REJECTS}; DROP TABLE IF EXISTS {SCANS}")
    order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = true")  # row_number() follows the file
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {target} AS
            SELECT row_number() OVER () AS _line, _json{columns}
            FROM read_csv({_sql_text(str(path))}, {args})"""
        )
    except duckdb.Error as exc:
        raise InputError(path, f"cannot be read: {str(exc).splitlines()[0]}") from None
    finally:
        con.execute(f"SET preserve_insertion_order = {str(order).lower()}")
    rejects = con.execute(
        f"SELECT line, error_type, error_message, csv_line FROM {REJECTS} ORDER BY line"
    ).fetchall()
    con.execute(f"DROP TABLE IF EXISTS {REJECTS}; DROP TABLE IF EXISTS {SCANS}")
    for line, kind, message, raw in rejects:
        if kind == "LINE SIZE OVER MAXIMUM":
            reason = f"a line is longer than {max_bytes} bytes"
        else:
            reason = REASONS.get(str(kind), f"cannot be read: {message}")
        bad(int(line), reason, str(raw or "").strip("\r\n")[:4000])
    if rejects:
        _renumber(con, target, [int(r[0]) for r in rejects])
    return len(rejects)


def _renumber(con: duckdb.DuckDBPyConnection, target: str, rejected: list[int]) -> None:
    """Rows DuckDB rejected are not numbered: the row numbered k comes after the i-th
    rejected line r_i exactly when k > r_i - i, so it moves down by that many lines."""
    skips = sorted({line - i: i for i, line in enumerate(sorted(rejected), start=1)}.items())
    con.execute("CREATE OR REPLACE TEMP TABLE _separ_skips (after BIGINT, n BIGINT)")
    con.executemany("INSERT INTO _separ_skips VALUES (?, ?)", skips)
    con.execute(
        f"""UPDATE {target} AS t SET _line = t._line + m.n
        FROM (SELECT r._line AS old, s.n FROM {target} r
              ASOF JOIN _separ_skips s ON r._line > s.after) m
        WHERE t._line = m.old"""
    )
    con.execute("DROP TABLE _separ_skips")
