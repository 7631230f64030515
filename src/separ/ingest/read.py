"""Streaming readers for text sources: CSV, JSON lines and JSON arrays, for importers that
reshape records in Python or Arrow (native Parquet and JSON lines are read by DuckDB
directly, see ``Loader.add_parquet`` and :mod:`separ.ingest.bulk`).

Readers never load a whole file: they yield chunks with the record's line number, so a
malformed record can be quarantined with its file and line. Encodings: UTF-8 (with or
without BOM) and UTF-16 with BOM; gzip-compressed files are read transparently. Bytes
that are not valid UTF-8 make that record bad, not the file.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

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
    _texts: list[io.TextIOWrapper] = field(default_factory=list, init=False)

    def tick(self) -> None:
        if self.progress is None:
            return
        pos = self.raw.tell()
        self.progress(pos - self._reported)
        self._reported = pos

    def text(self) -> io.TextIOWrapper:
        wrapper = io.TextIOWrapper(
            self.stream, encoding=self.encoding, errors="surrogateescape", newline=""
        )
        self._texts.append(wrapper)
        return wrapper

    def close(self) -> None:
        for wrapper in self._texts:
            if not wrapper.closed:
                wrapper.detach()
        self._texts.clear()
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


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""A UTF-16 surrogate left alone in a Python string: no UTF-8 text can hold it."""


def without_lone_surrogates(value: Any) -> Any:
    """A parsed JSON value with each lone surrogate in its strings and keys (a JSON
    ``\\ud83c`` whose other half was cut off, as truncated texts have) replaced by U+FFFD;
    ``json.loads`` keeps them, and nothing downstream could store them."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [without_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    return value


def _parsed(text: str) -> Any:
    """``json.loads(text)``, with lone surrogates replaced when the text escapes any."""
    value = json.loads(text)
    return without_lone_surrogates(value) if _SURROGATE_ESCAPE.search(text) else value


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
        self.delimiter = delimiter
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
        self.header_lines = self._reader.line_num
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
        """Yield Arrow tables of string columns (header names) plus ``_line``.

        Parsing is Arrow's C++ CSV reader; line numbers stay physical (quoted fields may
        hold line breaks), and what cannot be used is quarantined: rows with the wrong
        number of fields, bytes that are not UTF-8, fields over 1 MiB, and a last record
        cut off inside quotes.
        """
        header_lines = self.header_lines
        self.close()
        width = len(self.header)
        for table in _arrow_records(
            self.path,
            self.source.progress,
            width,
            bad,
            delimiter=self.delimiter,
            first_line=header_lines + 1,
            invalid=lambda found: f"expected {width} fields, found {found}",
        ):
            yield _texts(table, self.header, bad, MAX_FIELD_BYTES)


def _arrow_records(
    path: Path,
    progress: Progress | None,
    width: int,
    bad: BadRow,
    *,
    delimiter: str,
    first_line: int,
    invalid: Callable[[int], str],
) -> Iterator[pa.Table]:
    """Records of a delimited text file as binary columns ``c0..`` plus ``_line``, read by
    Arrow's C++ CSV reader in blocks; blank lines skipped, invalid rows quarantined."""
    source = open_source(path, progress)
    skipped: list[tuple[int, str, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        skipped.append((int(row.number or 0), row.text, row.actual_columns))
        return "skip"

    names = [f"c{i}" for i in range(width)]
    try:
        reader = pacsv.open_csv(
            source.stream,
            read_options=pacsv.ReadOptions(
                use_threads=False,
                block_size=8 << 20,
                skip_rows=first_line - 1,
                column_names=names,
                encoding="utf16" if source.encoding == "utf-16" else "utf8",
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.binary()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except UnicodeDecodeError as exc:
        source.close()
        raise InputError(path, f"cannot be decoded as {source.encoding}: {exc.reason}") from None
    except (pa.ArrowInvalid, OSError) as exc:
        source.close()
        if "Empty CSV file" in str(exc):
            return
        raise InputError(path, f"cannot be read: {exc}") from None
    lines = _Lines(first_line, bad, invalid)
    held: pa.Table | None = None
    try:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                lines.flush(skipped)
                bad(lines.next_line, f"malformed, the rest of the file is unreadable: {exc}", "")
                break
            table = lines.place(batch, skipped)
            source.tick()
            if held is not None and held.num_rows:
                yield held
            held = table
        lines.flush(skipped)
        if held is not None:
            held = _drop_cut_last(path, held, bad)
            if held.num_rows:
                yield held
        source.tick()
    finally:
        source.close()


def _texts(table: pa.Table, names: list[str], bad: BadRow, limit: int) -> pa.Table:
    """Binary columns ``c0..`` as UTF-8 text columns named ``names`` (empty -> null);
    rows with a field over ``limit`` bytes or bytes that are not UTF-8 are quarantined."""
    table = _drop_huge(table, bad, limit)
    columns = []
    keep = None
    for i in range(len(names)):
        col = table.column(i)
        try:
            text = col.cast(pa.string())
        except pa.ArrowInvalid:
            values = col.to_pylist()
            valid = [_utf8(v) for v in values]
            flags = pa.array(valid, pa.bool_())
            keep = flags if keep is None else pc.and_(keep, flags)
            text = pa.array(
                [
                    v.decode("utf-8") if ok and v is not None else None
                    for v, ok in zip(values, valid, strict=True)
                ],
                pa.string(),
            )
        columns.append(pc.if_else(pc.equal(text, ""), None, text))
    out = pa.Table.from_arrays([*columns, table["_line"]], names=[*names, "_line"])
    if keep is not None:
        for line in out.filter(pc.invert(keep))["_line"].to_pylist():
            bad(line, "not valid UTF-8 text", "")
        out = out.filter(keep)
    return out


def _utf8(value: bytes | None) -> bool:
    try:
        (value or b"").decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _Lines:
    """Turns Arrow's record numbers into physical line numbers, and quarantines invalid
    rows (wrong number of fields) and skips blank lines on the way."""

    def __init__(self, first_line: int, bad: BadRow, invalid: Callable[[int], str]) -> None:
        self.bad = bad
        self.invalid = invalid
        # Arrow numbers records from the file's start, the skipped header record being 1
        self.record = 2
        self.next_line = first_line

    def _take_invalid(self, invalid: list[tuple[int, str, int]], upto: int | None) -> None:
        while invalid and (upto is None or invalid[0][0] < upto):
            number, text, found = invalid.pop(0)
            while self.record < number:  # cannot happen: valid rows are placed first
                self.record += 1
                self.next_line += 1
            if text.strip():
                self.bad(self.next_line, self.invalid(found), text[:4000])
            self.record += 1
            self.next_line += 1 + text.count("\n")

    def flush(self, invalid: list[tuple[int, str, int]]) -> None:
        self._take_invalid(invalid, None)

    def place(self, batch: pa.RecordBatch, invalid: list[tuple[int, str, int]]) -> pa.Table:
        n = batch.num_rows
        breaks = None
        for col in batch.columns:
            count = pc.count_substring(col, b"\n") if n else None
            if count is not None and pc.max(count).as_py():
                breaks = count if breaks is None else pc.add(breaks, count)
        start_record = self.record
        if not invalid or invalid[0][0] >= start_record + n + len(invalid):
            if breaks is None:
                lines = pa.array(range(self.next_line, self.next_line + n), pa.int64())
                self.next_line += n
            else:
                extra = pc.cumulative_sum(breaks).to_pylist()
                before = [0, *extra[:-1]]
                lines = pa.array([self.next_line + i + b for i, b in enumerate(before)], pa.int64())
                self.next_line += n + (extra[-1] if extra else 0)
            self.record += n
        else:  # invalid rows fall inside this batch: place row by row
            counts = breaks.to_pylist() if breaks is not None else [0] * n
            placed = []
            for i in range(n):
                self._take_invalid(invalid, self.record + 1)
                placed.append(self.next_line)
                self.record += 1
                self.next_line += 1 + counts[i]
            lines = pa.array(placed, pa.int64())
        table = pa.Table.from_batches([batch]).append_column("_line", lines)
        blank = None
        for col in batch.columns:
            empty = pc.equal(pc.binary_length(col), 0)
            blank = empty if blank is None else pc.and_(blank, empty)
        if blank is not None and n and pc.any(blank).as_py():
            table = table.filter(pc.invert(blank))
        return table


def _drop_cut_last(path: Path, table: pa.Table, bad: BadRow) -> pa.Table:
    """A file cut off inside a quoted field: Arrow ends the field at end of file; Python's
    strict CSV parser, run on the last line, tells a truncated record from a complete one."""
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - 65536))
        tail = f.read()
    if path.suffix == ".gz" or not tail or tail.endswith(b"\n"):
        return table
    last = tail.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")
    try:
        list(csv.reader([last], strict=True))
    except csv.Error as exc:
        line = table["_line"][-1].as_py()
        bad(line, f"malformed CSV: {exc}", last[:4000])
        return table.slice(0, table.num_rows - 1)
    return table


def _drop_huge(table: pa.Table, bad: BadRow, limit: int = MAX_FIELD_BYTES) -> pa.Table:
    """Quarantine rows with a field over ``limit`` bytes (checked in bulk, in Arrow)."""
    huge = None
    for name in table.column_names[:-1]:
        over = pc.greater(pc.fill_null(pc.binary_length(table[name]), 0), limit)
        huge = over if huge is None else pc.or_(huge, over)
    if huge is None or not pc.any(huge).as_py():
        return table
    for line in table.filter(huge)["_line"].to_pylist():
        bad(line, f"a field is longer than {limit} bytes", "")
    return table.filter(pc.invert(huge))


def _joined(row: list[str]) -> str:
    return ",".join(row).encode("utf-8", "replace").decode("utf-8")


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
                items = _parsed(rest)
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
                yield number, _parsed(stripped)
            except json.JSONDecodeError as exc:
                bad(number, f"not valid JSON: {exc.msg} (column {exc.colno})", stripped[:2000])
            if number % 10_000 == 0:
                source.tick()
        source.tick()
    finally:
        source.close()


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


def split_suffix(file: Path, suffixes: Sequence[str]) -> tuple[str, str]:
    """``posts.csv.gz`` with suffixes (".csv", ...) -> ``("posts", ".csv")``; ``(name, "")``
    when the name ends in none of them. A ``.gz`` ending is ignored."""
    name = file.name.removesuffix(".gz")
    for suffix in suffixes:
        if name.endswith(suffix):
            return name.removesuffix(suffix), suffix
    return name, ""
