"""Writing the native format: one file per table, streamed batch by batch.

Parquet keeps native types (``timestamp('us', tz='UTC')``, ``list<string>``, ``bool``).
CSV and JSON Lines follow DESIGN.md: ISO 8601 times with an offset (``Z``), lists as JSON
arrays. A format is a sink class in ``SINKS``; adding one is adding a class.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from separ.schema import Kind, Table
from separ.simulate.common import TS_TYPE
from separ.simulate.jsonl import iso_times, json_lists, write_jsonl

ARROW_TYPES: dict[Kind, pa.DataType] = {
    "id": pa.string(),
    "text": pa.string(),
    "enum": pa.string(),
    "time": TS_TYPE,
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "list": pa.list_(pa.string()),
}


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of a native table, in the column order of ``separ.schema``."""
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.kind]) for c in table.columns])


DICTIONARY_COLUMNS = frozenset(
    [
        "kind",
        "lang",
        "client",
        "reason",
        "policy",
        "actor",
        "action",
        "trigger",
        "status",
        "reviewer",
        "network",
        "asn",
        "register",
        "country",
        "source",
        "location",
        "hashtags",
        "default_avatar",
        "verified",
    ]
)


class Sink(Protocol):
    def write(self, batch: pa.RecordBatch) -> None: ...

    def close(self) -> None: ...


class ParquetSink:
    suffix = "parquet"

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        # Dictionary pages only where values repeat (kinds, languages, clients, reasons...).
        repeated = [f.name for f in schema if f.name in DICTIONARY_COLUMNS]
        self._writer = pq.ParquetWriter(
            str(path), schema, compression="zstd", use_dictionary=repeated
        )

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)

    def close(self) -> None:
        self._writer.close()


def _csv_column(arr: pa.Array) -> pa.Array:
    if pa.types.is_timestamp(arr.type):
        return iso_times(arr)
    if pa.types.is_list(arr.type):
        return json_lists(arr)
    return arr


class CsvSink:
    suffix = "csv"

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        fields = [
            pa.field(f.name, pa.string())
            if pa.types.is_timestamp(f.type) or pa.types.is_list(f.type)
            else f
            for f in schema
        ]
        self._schema = pa.schema(fields)
        self._writer = pcsv.CSVWriter(str(path), self._schema)

    def write(self, batch: pa.RecordBatch) -> None:
        cols = [_csv_column(batch.column(i)) for i in range(batch.num_columns)]
        self._writer.write_batch(pa.RecordBatch.from_arrays(cols, schema=self._schema))

    def close(self) -> None:
        self._writer.close()


class JsonlSink:
    suffix = "jsonl"

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._fh: BinaryIO = path.open("wb")

    def write(self, batch: pa.RecordBatch) -> None:
        write_jsonl(batch, self._fh)

    def close(self) -> None:
        self._fh.close()


SINKS: dict[str, type[ParquetSink] | type[CsvSink] | type[JsonlSink]] = {
    "parquet": ParquetSink,
    "csv": CsvSink,
    "jsonl": JsonlSink,
}


class TableWriter:
    """Context manager writing one native table into ``folder`` in the chosen format."""

    def __init__(self, folder: Path, table: Table, fmt: str) -> None:
        self.schema = arrow_schema(table)
        self.path = folder / f"{table.name}.{fmt}"
        self.rows = 0
        self._sink: Sink = SINKS[fmt](self.path, self.schema)

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.schema != self.schema:
            batch = batch.cast(self.schema)
        self._sink.write(batch)
        self.rows += batch.num_rows

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._sink.close()


def write_table(folder: Path, table: Table, fmt: str, batches: Iterable[pa.RecordBatch]) -> int:
    """Write every batch; returns the number of rows."""
    with TableWriter(folder, table, fmt) as writer:
        for batch in batches:
            writer.write(batch)
    return writer.rows
