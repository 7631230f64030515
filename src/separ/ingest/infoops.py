"""Twitter's information-operations archive (the "hashed" CSV releases, 2018-2021).

Reads ``*_tweets_csv_hashed.csv`` (31 columns) and ``*_users_csv_hashed.csv`` (10 columns),
gzip-compressed or not; given a folder, every ``*tweets*.csv[.gz]`` and ``*users*.csv[.gz]``
in it (users first). Other files in the folder (a ``seeds.csv``, notes) are not archive
files and are not read. A single file is recognised by its header: ``tweetid`` makes it a
tweets file, else ``userid`` a users file, else it is an error.

Tweets become ``posts``: ``kind`` is ``repost`` when ``is_retweet`` is true (``true`` and
``True`` both occur) with ``ref_post_id``/``ref_account_id`` = ``retweet_tweetid``/
``retweet_userid``; else ``reply`` when ``in_reply_to_tweetid`` is set (ref =
``in_reply_to_tweetid``/``in_reply_to_userid``); else ``quote`` when
``quoted_tweet_tweetid`` is set; else ``post``. Reference columns not used as the ref (a
reply that also quotes, a reply to a user without a tweet id) stay in ``extra`` under
their source names, as do ``latitude``/``longitude`` (``absent`` -> null), the four
engagement counts (``5.0`` -> 5) and ``poll_choices``. A tweet whose ``is_retweet`` is not
true/false, or whose coordinates or counts are not numbers, goes to the quarantine.

``hashtags``, ``urls`` and ``user_mentions`` are list strings in two styles, both in the
same file: Python reprs (``['a', 'b']``) and bare (``[a, b]``). Mentions are user ids
(numbers or hashes) in most releases and screen names in some: a value that looks like a
screen name becomes ``@name`` so it can resolve against known handles.

Every tweet also yields an ``accounts`` snapshot of its author (``snapshot_at`` =
``tweet_time``); snapshots merge by ``userid``. Ids are kept exactly as written.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from separ.errors import InputError
from separ.ingest.base import Importer, register
from separ.ingest.load import Loader
from separ.ingest.read import CsvReader, Progress

USER_COLUMNS = (
    "userid",
    "user_display_name",
    "user_screen_name",
    "user_reported_location",
    "user_profile_description",
    "user_profile_url",
    "follower_count",
    "following_count",
    "account_creation_date",
    "account_language",
)
"""The archive's users file, in its column order."""
TWEET_COLUMNS = (
    "tweetid",
    *USER_COLUMNS,
    "tweet_language",
    "tweet_text",
    "tweet_time",
    "tweet_client_name",
    "in_reply_to_userid",
    "in_reply_to_tweetid",
    "quoted_tweet_tweetid",
    "is_retweet",
    "retweet_userid",
    "retweet_tweetid",
    "latitude",
    "longitude",
    "quote_count",
    "reply_count",
    "like_count",
    "retweet_count",
    "hashtags",
    "urls",
    "user_mentions",
    "poll_choices",
)
"""The archive's tweets file (31 columns), in its column order."""
TWEETS_REQUIRED: tuple[str, ...] = ("tweetid", "userid", "tweet_time")
USERS_REQUIRED: tuple[str, ...] = ("userid",)

ACCOUNT_COLUMNS = {
    "userid": "account_id",
    "user_screen_name": "handle",
    "user_display_name": "display_name",
    "user_profile_description": "bio",
    "user_reported_location": "location",
    "user_profile_url": "url",
    "follower_count": "followers_count",
    "following_count": "following_count",
    "account_creation_date": "created_at",
    "account_language": "lang",
}
"""Archive columns describing the account, and their native ``accounts`` names."""

POST_COLUMNS = {
    "tweetid": "post_id",
    "userid": "account_id",
    "tweet_time": "created_at",
    "tweet_text": "text",
    "tweet_language": "lang",
    "tweet_client_name": "client",
}
LIST_COLUMNS = {"hashtags": "hashtags", "urls": "urls", "user_mentions": "mentions"}
REF_COLUMNS = (
    "is_retweet",
    "retweet_tweetid",
    "retweet_userid",
    "in_reply_to_tweetid",
    "in_reply_to_userid",
    "quoted_tweet_tweetid",
)
FLOAT_COLUMNS = ("latitude", "longitude")
INT_COLUMNS = ("quote_count", "reply_count", "like_count", "retweet_count")
MISSING = frozenset({"", "absent", "nan", "none", "null"})

_QUOTED = re.compile(r"""'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)\"""")
_HANDLE = re.compile(r"@?[A-Za-z0-9_]{1,15}")


class _BadValue(ValueError):
    pass


@functools.lru_cache(maxsize=1 << 16)
def parse_list(value: str | None) -> tuple[str, ...]:
    """The items of an archive list string: ``['a', 'b']``, ``["a"]``, ``[a, b]`` or ``a``."""
    text = (value or "").strip()
    if text[:1] == "[" and text[-1:] == "]":
        text = text[1:-1].strip()
    if text.lower() in MISSING:
        return ()
    if text[0] in "'\"":
        if "\\" in text:
            try:
                items = ast.literal_eval("[" + text + "]")
                return tuple(str(i) for i in items if str(i).strip())
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                pass
        return tuple(a or b for a, b in _QUOTED.findall(text) if (a or b).strip())
    parts = text.split(", ") if ", " in text else text.split(",")
    return tuple(p.strip() for p in parts if p.strip())


@functools.lru_cache(maxsize=1 << 16)
def mention(item: str) -> str:
    """A mentioned account: an id (digits or a hash) as is, a screen name as ``@name``."""
    if item.isdigit() or not _HANDLE.fullmatch(item):
        return item
    return item if item.startswith("@") else "@" + item


@functools.lru_cache(maxsize=1 << 16)
def _mentions(value: str | None) -> tuple[str, ...]:
    return tuple(mention(m) for m in parse_list(value))


@functools.lru_cache(maxsize=1 << 12)
def _bool(value: str | None) -> bool | _BadValue | None:
    text = (value or "").strip().lower()
    if text in ("true", "t", "1", "yes"):
        return True
    if text in ("false", "f", "0", "no"):
        return False
    if text in MISSING:
        return None
    return _BadValue(f"not true/false: {value!r}")


@functools.lru_cache(maxsize=1 << 16)
def _number(value: str | None, whole: bool) -> float | int | _BadValue | None:
    text = (value or "").strip()
    if text.lower() in MISSING:
        return None
    try:
        number = float(text)
    except ValueError:
        return _BadValue(f"not a number: {text[:80]!r}")
    if not whole:
        return number
    if not number.is_integer():
        return _BadValue(f"not a whole number: {text[:80]!r}")
    if abs(number) >= 2**63:
        return _BadValue(f"out of range: {text[:80]!r}")
    return int(number)


def _file_kind(file: Path, header: list[str]) -> str:
    if "tweetid" in header:
        required = TWEETS_REQUIRED
        kind = "tweets"
    elif "userid" in header:
        required = USERS_REQUIRED
        kind = "users"
    else:
        raise InputError(
            file,
            "not an information-operations archive file: no tweetid or userid column "
            f"(header: {', '.join(header[:8])})",
            1,
        )
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(file, f"{kind} file is missing column(s) {', '.join(missing)}", 1)
    return kind


def _strings(values: Sequence[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


def _lists(values: Sequence[tuple[str, ...] | None]) -> pa.Array:
    return pa.array(values, pa.list_(pa.string()))


def _accounts(chunk: pa.Table, snapshot: str | None) -> pa.Table:
    """The author snapshot of each row: archive account columns renamed, others dropped."""
    cols = {ACCOUNT_COLUMNS[c]: chunk[c] for c in chunk.column_names if c in ACCOUNT_COLUMNS}
    if snapshot is not None:
        cols["snapshot_at"] = chunk[snapshot]
    cols["_line"] = chunk["_line"]
    return pa.table(cols)


def _posts(chunk: pa.Table, bad: Callable[[int, str, str], None]) -> tuple[pa.Table, pa.Array]:
    """Posts for the rows of a tweets chunk, and the mask of rows that could be read.

    Works column by column (values repeat a lot, so the parsers are cached).
    """
    names = chunk.column_names
    n = chunk.num_rows
    problems: dict[int, str] = {}

    def column(name: str) -> list[Any]:
        return chunk[name].to_pylist() if name in names else [None] * n

    retweet: list[bool | None] = []
    for i, value in enumerate(column("is_retweet")):
        parsed = _bool(value)
        if isinstance(parsed, _BadValue):
            problems.setdefault(i, f"is_retweet: {parsed}")
            parsed = None
        retweet.append(parsed)
    refs = {c: column(c) for c in REF_COLUMNS if c != "is_retweet"}
    extra: dict[str, list[Any]] = {c: [None] * n for c in refs if c in names}
    kinds: list[str] = []
    ref_posts: list[str | None] = []
    ref_accounts: list[str | None] = []
    rt_post, rt_user = refs["retweet_tweetid"], refs["retweet_userid"]
    reply_post, reply_user = refs["in_reply_to_tweetid"], refs["in_reply_to_userid"]
    quoted = refs["quoted_tweet_tweetid"]
    for i in range(n):
        if retweet[i] or (retweet[i] is None and rt_post[i]):
            kind, ref, ref_account = "repost", rt_post[i], rt_user[i]
            used: tuple[str, ...] = ("retweet_tweetid", "retweet_userid")
        elif reply_post[i]:
            kind, ref, ref_account = "reply", reply_post[i], reply_user[i]
            used = ("in_reply_to_tweetid", "in_reply_to_userid")
        elif quoted[i]:
            kind, ref, ref_account, used = "quote", quoted[i], None, ("quoted_tweet_tweetid",)
        else:
            kind, ref, ref_account, used = "post", None, None, ()
        kinds.append(kind)
        ref_posts.append(ref)
        ref_accounts.append(ref_account)
        for c, values in extra.items():  # reference columns not used as the ref
            if c not in used:
                values[i] = refs[c][i]
    for c in names:
        if c in FLOAT_COLUMNS or c in INT_COLUMNS:
            values = []
            for i, value in enumerate(chunk[c].to_pylist()):
                number = _number(value, c in INT_COLUMNS)
                if isinstance(number, _BadValue):
                    problems.setdefault(i, f"{c}: {number}")
                    number = None
                values.append(number)
            extra[c] = values
    cols: dict[str, pa.Array] = {POST_COLUMNS[c]: chunk[c] for c in names if c in POST_COLUMNS}
    cols["kind"] = _strings(kinds)
    cols["ref_post_id"] = _strings(ref_posts)
    cols["ref_account_id"] = _strings(ref_accounts)
    for source, native in LIST_COLUMNS.items():
        if source in names:
            parse = _mentions if native == "mentions" else parse_list
            cols[native] = _lists([parse(v) or None for v in chunk[source].to_pylist()])
    for c, values in extra.items():
        typ = (
            pa.float64() if c in FLOAT_COLUMNS else pa.int64() if c in INT_COLUMNS else pa.string()
        )
        cols[c] = pa.array(values, typ)
    handled = {*POST_COLUMNS, *LIST_COLUMNS, *REF_COLUMNS, *ACCOUNT_COLUMNS, *extra, "_line"}
    for c in names:
        if c not in handled:  # poll_choices, and columns of newer releases
            cols[c] = chunk[c]
    cols["_line"] = chunk["_line"]
    keep = [True] * n
    if problems:
        lines = chunk["_line"].to_pylist()
        for i, reason in sorted(problems.items()):
            keep[i] = False
            row = {c: chunk[c][i].as_py() for c in names if c != "_line"}
            bad(lines[i], reason, json.dumps(row, ensure_ascii=False))
    return pa.table(cols), pa.array(keep, pa.bool_())


@register
class InfoOpsImporter(Importer):
    name = "infoops"
    description = (
        "Twitter information-operations archive: *_tweets_csv_hashed.csv, *_users_csv_hashed.csv"
    )
    patterns = ("*users*.csv", "*users*.csv.gz", "*tweets*.csv", "*tweets*.csv.gz")

    def files(self, path: Path) -> list[Path]:
        found = super().files(path)
        return sorted(found, key=lambda f: ("tweets" in f.name.lower(), f.name))

    def check(self, file: Path) -> None:
        reader = CsvReader(file)
        reader.close()
        _file_kind(file, reader.header)

    def read(self, file: Path, loader: Loader, progress: Progress | None) -> None:
        try:
            self._read(file, loader, progress)
        except UnicodeError as exc:  # UTF-16 with an odd number of bytes
            raise InputError(file, f"cannot be decoded: {exc}") from None

    def _read(self, file: Path, loader: Loader, progress: Progress | None) -> None:
        reader = CsvReader(file, progress)
        kind = _file_kind(file, reader.header)
        for chunk in reader.chunks(loader.bad):
            if kind == "users":
                loader.count_records(chunk.num_rows)
                users = _accounts(chunk, None)
                others = [c for c in chunk.column_names if c not in ACCOUNT_COLUMNS]
                for c in others:
                    if c != "_line":
                        users = users.append_column(c, chunk[c])
                loader.add("accounts", users)
                continue
            posts, keep = _posts(chunk, loader.bad)
            good = chunk.filter(keep)
            loader.count_records(good.num_rows)
            loader.add("accounts", _accounts(good, "tweet_time"))
            loader.add("posts", posts.filter(keep))
