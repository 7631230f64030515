"""Streaming readers for source files: CSV, JSON lines, JSON arrays and Parquet.

Readers never load a whole file: they yield chunks with the record's line number, so a
malformed record can be quarantined with its file and line. Encodings: UTF-8 (with or
without BOM) and UTF-16 with BOM; gzip-compressed files are read transparently. Bytes
that are not valid UTF-8 make that record bad, not the file.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from separ.errors import InputError

CHUNK_ROWS = 50_000
MAX_FIELD_BYTES = 1 << 20
"""A field longer than this (1 MiB) makes its record bad: no real post or profile is that long."""

BadRow = Callable[[int, str, str], None]
"""Called as ``bad(line, reason, raw_text)`` for a record the reader cannot use."""
Progress = Callable[[int], None]
"""Called with the number of source bytes consumed since the last call."""

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass
class Source:
    """An opened source file: a binary stream plus what is needed to report progress."""

    path: Path
    raw: IO[bytes]
    stream: IO[bytes]
    encoding: str
    progress: Progress | None = None
    _reported: int = field(default=0, init=False)

    def tick(self) -> None:
        if self.progress is None:
            return
        pos = self.raw.tell()
        self.progress(pos - self._reported)
        self._reported = pos

    def text(self) -> io.TextIOWrapper:
        return io.TextIOWrapper(
            self.stream, encoding=self.encoding, errors="surrogateescape", newline=""
        )

    def close(self) -> None:
        self.stream.close()
        self.raw.close()


def open_source(path: Path, progress: Progress | None = None) -> Source:
    """Open a file for reading, detecting gzip and the text encoding from its first bytes."""
    try:
        raw: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by Source.close
    except IsADirectoryError:
        raise InputError(path, "is a folder, expected a file") from None
    except OSError as exc:
        raise InputError(path, f"cannot be read: {exc.strerror or exc}") from None
    stream: IO[bytes] = raw
    head = raw.read(4)
    raw.seek(0)
    if head[:2] == b"\x1f\x8b":
        stream = cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
        try:
            head = stream.read(4)
        except (OSError, EOFError) as exc:
            raw.close()
            raise InputError(path, f"is not a readable gzip file: {exc}") from None
        stream = cast(IO[bytes], gzip.GzipFile(fileobj=_rewound(raw), mode="rb"))
    if head[:3] == b"\xef\xbb\xbf":
        encoding = "utf-8-sig"
    elif head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
        if b"\x00" in head:
            raw.close()
            raise InputError(path, "is not a text file (NUL bytes and no UTF-16 byte-order mark)")
    return Source(path, raw, stream, encoding, progress)


def _rewound(raw: IO[bytes]) -> IO[bytes]:
    raw.seek(0)
    return raw


def has_surrogates(value: str) -> bool:
    """True when a string holds bytes that were not valid UTF-8 (surrogate escapes)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _strings(values: Sequence[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


class CsvReader:
    """Reads a CSV file in chunks of rows keyed by its header, with line numbers."""

    def __init__(self, path: Path, progress: Progress | None = None, delimiter: str = ",") -> None:
        self.path = path
        self.source = open_source(path, progress)
        self._text = self.source.text()
        self._reader = csv.reader(self._text, delimiter=delimiter, strict=True)
        try:
            header = next(self._reader)
        except StopIteration:
            self.close()
            raise InputError(path, "is empty: no header line") from None
        except (csv.Error, UnicodeError) as exc:
            self.close()
            raise InputError(path, f"header cannot be read: {exc}", 1) from None
        if any(has_surrogates(h) for h in header):
            self.close()
            raise InputError(path, "header is not valid UTF-8 text", 1)
        self.header = [h.strip() for h in header]
        if not any(self.header):
            self.close()
            raise InputError(path, "header line is empty", 1)
        dupes = sorted({h for h in self.header if self.header.count(h) > 1})
        if dupes:
            self.close()
            raise InputError(path, f"header repeats column(s) {', '.join(dupes)}", 1)

    def close(self) -> None:
        self.source.close()

    def chunks(self, bad: BadRow, chunk_rows: int = CHUNK_ROWS) -> Iterator[pa.Table]:
        """Yield Arrow tables of string columns (header names) plus ``_line``."""
        try:
            while True:
                rows, lines, done = self._block(chunk_rows, bad)
                if rows:
                    yield self._table(rows, lines, bad)
                if done:
                    break
        finally:
            self.close()

    def _block(self, n: int, bad: BadRow) -> tuple[list[list[str]], list[int], bool]:
        """Read up to ``n`` records; returns (rows, their first lines, end of file?)."""
        reader = self._reader
        previous = reader.line_num
        rows: list[list[str]] = []
        ends: list[int] = []
        add_row, add_end = rows.append, ends.append
        done = False
        try:
            for row in itertools.islice(reader, n):
                add_row(row)
                add_end(reader.line_num)
            done = len(rows) < n
        except csv.Error as exc:
            bad(reader.line_num, f"malformed CSV: {exc}", "")
        except UnicodeDecodeError as exc:  # UTF-16 cannot escape bad bytes: stop here
            bad(reader.line_num + 1, f"not valid {self.source.encoding} text: {exc.reason}", "")
            done = True
        lines = [previous + 1, *(e + 1 for e in ends[:-1])]
        width = len(self.header)
        if rows and set(map(len, rows)) != {width}:
            kept: list[list[str]] = []
            kept_lines: list[int] = []
            for row, line in zip(rows, lines, strict=True):
                if len(row) == width:
                    kept.append(row)
                    kept_lines.append(line)
                elif row and not (len(row) == 1 and not row[0].strip()):
                    bad(line, f"expected {width} fields, found {len(row)}", _joined(row))
            rows, lines = kept, kept_lines
        return rows, lines, done

    def _table(self, rows: list[list[str]], lines: list[int], bad: BadRow) -> pa.Table:
        try:
            table = self._arrow(rows, lines)
        except UnicodeEncodeError:
            good_rows, good_lines = [], []
            for row, line in zip(rows, lines, strict=True):
                if any(has_surrogates(v) for v in row):
                    bad(line, "not valid UTF-8 text", _joined(row))
                else:
                    good_rows.append(row)
                    good_lines.append(line)
            table = self._arrow(good_rows, good_lines)
        self.source.tick()
        return _drop_huge(table, bad)

    def _arrow(self, rows: list[list[str]], lines: list[int]) -> pa.Table:
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in self.header]
        arrays = [_strings(col) for col in columns]
        arrays = [pc.if_else(pc.equal(a, ""), None, a) for a in arrays]
        arrays.append(pa.array(lines, pa.int64()))
        return pa.Table.from_arrays(arrays, names=[*self.header, "_line"])


def _drop_huge(table: pa.Table, bad: BadRow) -> pa.Table:
    """Quarantine rows with a field over MAX_FIELD_BYTES (checked in bulk, in Arrow)."""
    huge = None
    for name in table.column_names[:-1]:
        over = pc.greater(pc.fill_null(pc.binary_length(table[name]), 0), MAX_FIELD_BYTES)
        huge = over if huge is None else pc.or_(huge, over)
    if huge is None or not pc.any(huge).as_py():
        return table
    for line in table.filter(huge)["_line"].to_pylist():
        bad(line, f"a field is longer than {MAX_FIELD_BYTES} bytes", "")
    return table.filter(pc.invert(huge))


def _joined(row: list[str]) -> str:
    return ",".join(row).encode("utf-8", "replace").decode("utf-8")


def jsonl_chunks(
    path: Path, bad: BadRow, progress: Progress | None = None, chunk_rows: int = CHUNK_ROWS
) -> Iterator[pa.Table]:
    """Yield Arrow tables with one raw JSON text per line (``_json``) and ``_line``.

    The JSON itself is parsed by DuckDB, in bulk; this only splits lines and checks UTF-8.
    """
    source = open_source(path, progress)
    texts: list[str] = []
    lines: list[int] = []
    decoder = "utf-8" if source.encoding == "utf-8-sig" else source.encoding
    stream: Iterator[bytes | str] = iter(source.stream)
    if source.encoding == "utf-16":
        stream = iter(source.text())
    try:
        for number, raw_line in enumerate(stream, start=1):
            if isinstance(raw_line, bytes):
                if number == 1 and raw_line.startswith(b"\xef\xbb\xbf"):
                    raw_line = raw_line[3:]
                try:
                    text = raw_line.decode(decoder)
                except UnicodeDecodeError as exc:
                    bad(number, f"not valid UTF-8 text ({exc.reason} at byte {exc.start})", "")
                    continue
            else:
                text = raw_line
            text = text.strip()
            if not text:
                continue
            if len(text) > MAX_FIELD_BYTES * 4:
                bad(number, f"line is longer than {MAX_FIELD_BYTES * 4} characters", "")
                continue
            texts.append(text)
            lines.append(number)
            if len(texts) >= chunk_rows:
                source.tick()
                yield pa.table({"_json": _strings(texts), "_line": pa.array(lines, pa.int64())})
                texts, lines = [], []
        if texts:
            yield pa.table({"_json": _strings(texts), "_line": pa.array(lines, pa.int64())})
        source.tick()
    finally:
        source.close()


def json_records(
    path: Path, bad: BadRow, progress: Progress | None = None
) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, object)`` from a JSON-lines file, or from a file holding one JSON array.

    JSON lines are streamed. A top-level array is read whole (such files are small in
    practice); its records are numbered by position (1-based) instead of line.
    """
    source = open_source(path, progress)
    try:
        text = source.text()
        first = text.read(1)
        skipped = 0
        while first and first.isspace():
            skipped += first == "\n"
            first = text.read(1)
        if first == "[":
            rest = first + text.read()
            try:
                items = json.loads(rest)
            except json.JSONDecodeError as exc:
                raise InputError(path, f"is not valid JSON: {exc.msg}", exc.lineno) from None
            source.tick()
            yield from enumerate(items, start=1)
            return
        number = 0
        pending = first
        for number, line in enumerate(text, start=1 + skipped):
            line = pending + line
            pending = ""
            stripped = line.strip()
            if not stripped:
                continue
            if has_surrogates(stripped):
                bad(number, "not valid UTF-8 text", "")
                continue
            try:
                yield number, json.loads(stripped)
            except json.JSONDecodeError as exc:
                bad(number, f"not valid JSON: {exc.msg} (column {exc.colno})", stripped[:2000])
            if number % 10_000 == 0:
                source.tick()
        source.tick()
    finally:
        source.close()


def parquet_chunks(
    path: Path, progress: Progress | None = None, chunk_rows: int = 256_000
) -> Iterator[pa.Table]:
    """Yield Arrow tables from a Parquet file with ``_line`` = 1-based row number."""
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(path, f"is not a readable Parquet file: {exc}") from None
    size = path.stat().st_size
    rows = max(parquet.metadata.num_rows, 1)
    start = 1
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        table = pa.Table.from_batches([batch])
        lines = pa.array(range(start, start + table.num_rows), pa.int64())
        start += table.num_rows
        if progress is not None:
            progress(size * table.num_rows // rows)
        yield table.append_column("_line", lines)


def first_char(file: Path) -> tuple[str, int]:
    """The first non-blank character of a text file and its line (``("", n)`` if empty)."""
    source = open_source(file)
    try:
        stream = source.text()
        line = 1
        while True:
            char = stream.read(1)
            if not char:
                return "", line
            if char == "\n":
                line += 1
            elif not char.isspace():
                return char, line
    except (OSError, EOFError) as exc:
        raise InputError(file, f"cannot be read: {exc}") from None
    finally:
        source.close()


def check_json(file: Path, what: str) -> None:
    """Raise InputError unless ``file`` starts like JSON (an object or an array)."""
    char, line = first_char(file)
    if char and char not in "{[":
        raise InputError(file, f"is not JSON (expected {what}; found {char!r})", line)
