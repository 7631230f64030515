"""Ordered follower lists (FollowerAnalyzer's ``sample_follower_data.json``).

One account's followers, in one of three shapes:

* one JSON object ``{follower_id: {"rank": int, "timestamp": epoch_s}, ...}``, as the
  FollowerAnalyzer collector writes it;
* JSON lines, or a JSON array, of ``{"follower_id": .., "rank": .., "timestamp": ..}``
  (a record may also carry ``followee_id``).

``rank`` is the follow order (0 = earliest follower); ``timestamp`` is the *follower
account's* creation time, not the time of the follow. Each follower becomes a ``follows``
row (``created_at`` null, ``rank`` kept) and an ``accounts`` row (``created_at`` =
``timestamp``). Other keys go to ``extra`` of the follow.

The followee is not in the file: it is the importer's ``followee`` option, else taken from
the file name: ``<followee>_followers.json`` -> ``<followee>``, any other name -> its stem
(``sample_follower_data.json`` -> ``sample_follower_data``).

The single-object shape is streamed member by member with an incremental parser, so
files of any size are read in bounded memory; records are numbered by their position in
the object (1-based), which is the ``line`` the quarantine shows. A duplicated follower
key (which ``json.load`` would silently collapse) is quarantined by the loader. A file
cut off inside the object keeps the followers before the cut and quarantines the cut.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from separ.errors import InputError
from separ.ingest.base import Importer, register
from separ.ingest.load import Loader
from separ.ingest.read import (
    CHUNK_ROWS,
    Progress,
    Source,
    has_surrogates,
    json_records,
    open_source,
)

READ_CHARS = 1 << 20
ID_KEYS = ("follower_id", "id", "user_id")
RECORD_KEYS = frozenset({"rank", "timestamp", "followee_id", *ID_KEYS})
_SPACE = re.compile(r"[ \t\r\n]*")


class Truncated(Exception):
    """The text ended inside the top-level object."""

    def __init__(self, member: int, tail: str) -> None:
        super().__init__(f"file ends inside the JSON object after follower {member - 1}")
        self.member = member
        self.tail = tail


def followee_from_name(file: Path) -> str:
    """``alice_followers.json`` -> ``alice``; ``sample_follower_data.json.gz`` -> its stem."""
    stem = file.name
    for suffix in (".gz", ".jsonl", ".ndjson", ".json"):
        stem = stem.removesuffix(suffix)
    return stem.removesuffix("_followers") or stem


class ObjectMembers:
    """Streams the ``(key, value)`` members of one top-level JSON object from a text stream.

    Each key and value is decoded by the standard library's JSON decoder; only the object's
    braces, colons and commas are handled here. ``dirty`` turns true once the text held
    bytes that were not valid UTF-8 (decoded as surrogate escapes).
    """

    def __init__(self, text: IO[str], source: Source, path: Path) -> None:
        self.text = text
        self.source = source
        self.path = path
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.dirty = False
        self.lines = 1  # the line number at the start of ``buf``
        self.decode = json.JSONDecoder().raw_decode

    def _error(self, member: int, message: str) -> InputError:
        line = self.lines + self.buf.count("\n", 0, self.pos)
        return InputError(self.path, f"is not valid JSON at follower {member}: {message}", line)

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.text.read(READ_CHARS)
        self.source.tick()
        self.dirty = self.dirty or has_surrogates(chunk)
        self.lines += self.buf.count("\n", 0, self.pos)
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        self.eof = not chunk
        return bool(chunk)

    def _char(self) -> str:
        """Skip white space; the next character (not consumed), or '' at the end of the text."""
        while True:
            space = _SPACE.match(self.buf, self.pos)  # always matches, maybe empty
            self.pos = space.end() if space else self.pos
            if self.pos < len(self.buf) or not self._fill():
                return self.buf[self.pos : self.pos + 1]

    def _value(self, member: int) -> Any:
        """Decode the JSON value at the cursor, reading more text until it is complete."""
        if self._char() == "":
            raise Truncated(member, "")
        while True:
            try:
                value, end = self.decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                incomplete = "Unterminated" in exc.msg or exc.pos >= len(self.buf) - 1
                if incomplete and self._fill():
                    continue
                if incomplete:
                    raise Truncated(member, self.buf[self.pos :]) from None
                self.pos = exc.pos
                raise self._error(member, exc.msg) from None
            if end == len(self.buf) and self._fill():
                continue  # a number may go on in the next chunk: decode it again
            self.pos = end
            return value

    def _expect(self, chars: str, member: int) -> str:
        char = self._char()
        if char == "":
            raise Truncated(member, "")
        if char not in chars:
            shown = self.buf[self.pos : self.pos + 40]
            raise self._error(member, f"expected {' or '.join(chars)}, found {shown!r}")
        self.pos += 1
        return char

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        self._expect("{", 1)
        member = 1
        if self._char() == "}":
            self.pos += 1
        else:
            while True:
                if self._char() != '"':
                    self._expect('"', member)
                key = self._value(member)
                self._expect(":", member)
                yield key, self._value(member)
                member += 1
                if self._expect(",}", member) == "}":
                    break
        if self._char() != "":
            raise self._error(member, "more text after the end of the JSON object")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _column(values: list[Any]) -> pa.Array:
    """Whole numbers as int64 (the common case, no conversion); anything else as text."""
    if all(type(v) is int or v is None for v in values):
        try:
            return pa.array(values, pa.int64())
        except OverflowError:
            pass
    return pa.array([_text(v) for v in values], pa.string())


def _fraction(value: Any) -> bool:
    """True for a number (or numeric text) that is not whole: ``3.5``, ``"3.5"``, ``NaN``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return not number.is_integer()  # also NaN and infinity


class _Batch:
    """Accumulates follows and accounts rows and hands them to the loader in chunks."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader
        self._reset()

    def _reset(self) -> None:
        self.lines: list[int] = []
        self.followers: list[str | None] = []
        self.followees: list[str] = []
        self.ranks: list[Any] = []
        self.times: list[Any] = []
        self.extras: list[str | None] = []

    def add(self, line: int, follower: Any, followee: str, record: dict[str, Any]) -> None:
        rank = record.get("rank")
        if type(rank) is not int and _fraction(rank):  # the loader would round it
            raw = json.dumps({"follower_id": follower, **record}, ensure_ascii=False)
            self.loader.bad(line, f"rank: not a whole number: {rank}", raw, "follows")
            return
        extra = None
        if len(record) != 2 or "rank" not in record or "timestamp" not in record:
            rest = {k: v for k, v in record.items() if k not in RECORD_KEYS}
            extra = json.dumps(rest, ensure_ascii=False) if rest else None
        self.lines.append(line)
        self.followers.append(follower if type(follower) is str else _text(follower))
        self.followees.append(followee)
        self.ranks.append(rank)
        self.times.append(record.get("timestamp"))
        self.extras.append(extra)
        if len(self.lines) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.lines:
            return
        line = pa.array(self.lines, pa.int64())
        follower = pa.array(self.followers, pa.string())
        self.loader.count_records(len(self.lines))
        self.loader.add(
            "follows",
            pa.table(
                {
                    "follower_id": follower,
                    "followee_id": pa.array(self.followees, pa.string()),
                    "rank": _column(self.ranks),
                    "extra": pa.array(self.extras, pa.string()),
                    "_line": line,
                }
            ),
        )
        self.loader.add(
            "accounts",
            pa.table({"account_id": follower, "created_at": _column(self.times), "_line": line}),
        )
        self._reset()


@contextmanager
def _opened(path: Path, progress: Progress | None = None) -> Iterator[tuple[Source, IO[str]]]:
    source = open_source(path, progress)
    text = source.text()
    try:
        yield source, text
    finally:
        text.close()
        source.close()


def _first_char(path: Path) -> str:
    with _opened(path) as (_, text):
        try:
            while (char := text.read(1)) and char.isspace():
                pass
        except UnicodeError as exc:
            raise InputError(path, f"cannot be decoded: {exc}") from None
        return char


@register
class FollowersImporter(Importer):
    name = "followers"
    description = (
        "Ordered follower lists: {follower_id: {rank, timestamp}} (FollowerAnalyzer) or JSON lines"
    )
    patterns = (
        "*follower*.json",
        "*follower*.jsonl",
        "*follower*.ndjson",
        "*follower*.json.gz",
        "*follower*.jsonl.gz",
    )

    def __init__(self, *, followee: str | None = None) -> None:
        self.followee = followee

    def check(self, file: Path) -> None:
        first = _first_char(file)
        if first == "":
            raise InputError(file, "is empty")
        if first not in "{[":
            raise InputError(
                file,
                f"is not JSON (starts with {first!r}; expected an object, array or JSON lines)",
                1,
            )

    def read(self, file: Path, loader: Loader, progress: Progress | None) -> None:
        followee = self.followee or followee_from_name(file)
        batch = _Batch(loader)
        if _is_mapping(file):
            with _opened(file, progress) as (source, text):
                try:
                    members = ObjectMembers(text, source, file)
                    for member, (key, value) in enumerate(members, 1):
                        if not isinstance(value, dict):
                            raw = json.dumps({key: value}, ensure_ascii=False)
                            reason = "expected an object with rank and timestamp"
                            loader.bad(member, reason, "" if members.dirty else raw)
                        elif members.dirty and has_surrogates(
                            json.dumps([key, value], ensure_ascii=False)
                        ):
                            loader.bad(member, "not valid UTF-8 text", "")
                        else:
                            batch.add(member, key, followee, value)
                except Truncated as exc:
                    tail = exc.tail[:2000]
                    loader.bad(exc.member, str(exc), "" if has_surrogates(tail) else tail)
                except UnicodeError as exc:  # UTF-16 with an odd number of bytes
                    raise InputError(file, f"cannot be decoded: {exc}") from None
        else:
            try:
                self._records(file, loader, batch, followee, progress)
            except UnicodeError as exc:  # UTF-16 with an odd number of bytes
                raise InputError(file, f"cannot be decoded: {exc}") from None
        batch.flush()

    def _records(
        self, file: Path, loader: Loader, batch: _Batch, followee: str, progress: Progress | None
    ) -> None:
        """JSON lines or a JSON array of ``{"follower_id", "rank", "timestamp"}`` records."""
        for line, record in json_records(file, loader.bad, progress):
            if not isinstance(record, dict):
                found = type(record).__name__
                loader.bad(line, f"expected a JSON object, found {found}", _text(record) or "")
                continue
            follower = next((record[k] for k in ID_KEYS if k in record), None)
            target = _text(record.get("followee_id")) or followee
            batch.add(line, follower, target, record)


def _is_mapping(file: Path) -> bool:
    """True for the ``{follower_id: {...}}`` shape; False for JSON lines or an array."""
    if _first_char(file) != "{":
        return False
    with _opened(file) as (source, text):
        try:
            for _key, value in ObjectMembers(text, source, file):
                return isinstance(value, dict)  # {"follower_id": 1, ...} is a JSON-lines record
            return True
        except (Truncated, InputError, UnicodeError):
            return False  # let the JSON-lines reader quarantine what it cannot read
