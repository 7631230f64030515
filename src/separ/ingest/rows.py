"""Building native rows in Python: for importers of nested formats (JSON, API pages).

:class:`Rows` buffers rows of one native table and hands them to the loader as Arrow
batches of text columns, so an importer never holds a whole file; the loader types and
validates them in SQL like any other staged rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import pyarrow as pa

from separ.ingest.load import Loader
from separ.ingest.read import CHUNK_ROWS

Row = dict[str, Any]


def text(value: Any) -> str | None:
    """A source value as the loader's staged text (lists and objects as JSON)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def staged(row: Mapping[str, Any], extra: Mapping[str, Any] | None) -> dict[str, str | None]:
    """A row as staged text: no value for None or an empty list; ``extra`` as a JSON object."""
    out = {k: text(v) for k, v in row.items() if v is not None and v != []}
    if extra:
        out["extra"] = json.dumps(extra, ensure_ascii=False)
    return out


def arrow(rows: list[dict[str, str | None]], lines: list[int]) -> pa.Table:
    """Staged rows (any mix of keys) as one Arrow table of text columns plus ``_line``."""
    names = sorted({k for r in rows for k in r})
    arrays = []
    for name in names:
        # text with lone surrogates never gets here: json_records replaces them at parsing
        arrays.append(pa.array([r.get(name) for r in rows], pa.string()))
    arrays.append(pa.array(lines, pa.int64()))
    return pa.Table.from_arrays(arrays, names=[*names, "_line"])


class Rows:
    """Buffers rows and hands them to ``sink`` (e.g. ``loader.add`` of one table) in batches.

    ``add(line, row, extra)``: ``row`` maps native column names to source values (any JSON
    type; lists become JSON arrays, an empty list is no value), ``extra`` the source
    fields without a native column. Every column is staged as text; the loader types and
    validates it. Counting source records (``loader.count_records``) is the importer's
    job: one record may give rows in several tables.
    """

    def __init__(self, sink: Callable[[pa.Table], None], chunk_rows: int = CHUNK_ROWS) -> None:
        self.sink = sink
        self.chunk_rows = chunk_rows
        self._rows: list[dict[str, str | None]] = []
        self._lines: list[int] = []

    @classmethod
    def of(cls, loader: Loader, table: str) -> Rows:
        """Rows for one native table of ``loader``."""
        return cls(partial(loader.add, table))

    def add(self, line: int, row: Mapping[str, Any], extra: Mapping[str, Any] | None) -> None:
        self.add_staged(line, staged(row, extra))

    def add_staged(self, line: int, row: dict[str, str | None]) -> None:
        self._rows.append(row)
        self._lines.append(line)
        if len(self._rows) >= self.chunk_rows:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self.sink(arrow(self._rows, self._lines))
            self._rows, self._lines = [], []


def dumps(value: Any) -> str:
    """A source value as the raw text of a quarantine entry."""
    return json.dumps(value, ensure_ascii=False)[:4000]
