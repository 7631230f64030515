"""Export a workspace's native tables as a native folder (Parquet, CSV or JSON lines).

The output is what ``separ ingest --format native`` reads: exporting and re-importing
gives the same tables. Times are written as ISO 8601 UTC (``...Z``), lists as JSON arrays
in CSV, and unknown source columns as one ``extra`` JSON column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from separ.errors import ParameterError
from separ.schema import TABLES, Table
from separ.workspace import Workspace

Format = Literal["parquet", "csv", "jsonl"]
FORMATS: tuple[Format, ...] = ("parquet", "csv", "jsonl")


def _select(table: Table, fmt: Format) -> str:
    cols = []
    for col in table.columns:
        name = f'"{col.name}"'
        if fmt != "parquet" and col.kind == "time":
            cols.append(f"strftime({name}, '%Y-%m-%dT%H:%M:%S.%fZ') AS {name}")
        elif fmt == "csv" and col.kind == "list":
            cols.append(f"CAST(to_json({name}) AS VARCHAR) AS {name}")
        else:
            cols.append(name)
    extra = "extra" if fmt == "jsonl" else "CAST(extra AS VARCHAR) AS extra"
    return f"SELECT {', '.join(cols)}, {extra} FROM {table.name} ORDER BY _ingest, _line"


def export_native(
    ws: Workspace, out: str | Path, fmt: Format = "parquet", tables: list[str] | None = None
) -> dict[str, int]:
    """Write each non-empty table to ``out/TABLE.<fmt>``; returns rows written per table."""
    if fmt not in FORMATS:
        raise ParameterError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for name in tables or list(TABLES):
        table = TABLES[name]
        rows = ws.count(name)
        if rows == 0:
            continue
        path = out / f"{name}.{fmt}"
        options = {
            "parquet": "FORMAT parquet",
            "csv": "FORMAT csv, HEADER true",
            "jsonl": "FORMAT json",
        }[fmt]
        ws.con.execute(f"COPY ({_select(table, fmt)}) TO '{_sql_path(path)}' ({options})")
        written[name] = rows
    return written


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
