"""The native interchange format: a folder with one ``TABLE.{parquet,csv,jsonl}`` per table.

Files may be gzip-compressed (``posts.csv.gz``). Unknown columns are kept in ``extra``;
a column named ``extra`` holding a JSON object is merged into it, which is how an
export round-trips. Sub-folders (``truth/``, ``avatars/``) are not tables and are left
alone; other files that are not tables are an error, so nothing is silently ignored.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from separ.errors import InputError
from separ.ingest.base import Importer, register
from separ.ingest.load import Loader
from separ.ingest.read import MAX_FIELD_BYTES, CsvReader, Progress, split_suffix
from separ.schema import TABLES

SUFFIXES = (".parquet", ".csv", ".jsonl", ".ndjson", ".json")
MAX_LINE_BYTES = 4 * MAX_FIELD_BYTES
"""A JSON line longer than this (4 MiB) is quarantined: no real record is that long."""
IGNORED = (".md", ".txt", ".json.meta")
"""Files in a native folder that are documentation, not tables (README.md, notes.txt)."""


def split_name(file: Path) -> tuple[str, str]:
    """``posts.csv.gz`` -> ``("posts", ".csv")``."""
    return split_suffix(file, SUFFIXES)


@register
class NativeImporter(Importer):
    name = "native"
    description = "Separ's folder format: TABLE.parquet|csv|jsonl for each native table"

    def files(self, path: Path) -> list[Path]:
        if path.is_file():
            self._table(path)
            return [path]
        if not path.is_dir():
            raise InputError(path, "no such file or folder")
        found: list[tuple[int, Path]] = []
        order = list(TABLES)
        for file in sorted(path.iterdir()):
            if file.is_dir() or file.name.startswith(".") or file.name.endswith(IGNORED):
                continue
            found.append((order.index(self._table(file)), file))
        if not found:
            tables = ", ".join(TABLES)
            raise InputError(
                path, f"no native table files here (expected TABLE.parquet|csv|jsonl for {tables})"
            )
        return [f for _, f in sorted(found)]

    def _table(self, file: Path) -> str:
        table, suffix = split_name(file)
        if not suffix:
            raise InputError(
                file, f"not a native table file (expected one of {', '.join(SUFFIXES)})"
            )
        if table not in TABLES:
            raise InputError(file, f"unknown native table {table!r} (known: {', '.join(TABLES)})")
        return table

    def check(self, file: Path) -> None:
        table, suffix = split_name(file)
        spec = TABLES[table]
        if suffix == ".csv":
            reader = CsvReader(file)
            reader.close()
            columns = reader.header
        elif suffix == ".parquet":
            try:
                columns = pq.read_schema(file).names
            except Exception as exc:
                raise InputError(file, f"is not a readable Parquet file: {exc}") from None
        else:
            return  # JSON lines: a record without a required key is quarantined on its own
        missing = [c for c in spec.required if c not in columns]
        if missing:
            raise InputError(
                file, f"missing required column(s) {', '.join(missing)} for table {table}", 1
            )

    def read(self, file: Path, loader: Loader, progress: Progress | None) -> None:
        table, suffix = split_name(file)
        if suffix == ".parquet":
            loader.add_parquet(table, file)
            if progress:
                progress(file.stat().st_size)
        elif suffix == ".csv":
            reader = CsvReader(file)
            reader.close()
            if loader.add_csv(table, file, reader.header, reader.header_lines):
                if progress:
                    progress(file.stat().st_size)
                return
            reader = CsvReader(file, progress)  # blank lines or multi-line records
            for chunk in reader.chunks(loader.bad):
                loader.count_records(chunk.num_rows)
                loader.add(table, chunk)
        else:
            loader.add_jsonl(table, file, MAX_LINE_BYTES)
            if progress:
                progress(file.stat().st_size)
