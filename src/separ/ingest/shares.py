"""A generic share table: one CSV row per share (CooRTweet's input shape).

Every row names an account and a time; optional columns name the post (content id), the
shared object (e.g. the retweeted post), the post's text, and one URL, hashtag, domain or
image of the post. Columns are found by their usual names (first match wins, any case):

==========  =========================================================
role        column names
==========  =========================================================
account*    account_id, account, user_id, userid, author_id
time*       timestamp_share, timestamp, created_at, time
content     content_id, post_id, tweet_id, tweetid, id
object      object_id, object
text        text, tweet_text, message
url         url, url_id
hashtag     hashtag, hashtag_id
domain      domain, domain_id
image       phash, phash_id, image
==========  =========================================================

or named explicitly: ``SharesImporter(account="uid", time="ts")``. Other columns are kept
in ``extra`` under their own names.

How rows become posts (nothing is lost; see the tests for real-data counts):

* Rows with the same content id, object, account, time, text and other columns are one
  post: their URLs, hashtags and images are combined into the lists ``urls``,
  ``hashtags`` and ``media_hashes`` (distinct values, in file order), their domains into
  ``extra.domains`` as a list (posts have no domain column, and ``activity`` derives
  domains from URLs, which opaque URL ids are not). The post's line is its first
  row. Values are stored as given: opaque ids (``url_id``, ``phash_id``, ...) stay ids.
* A row with an object is a ``repost`` with ``ref_post_id`` = the object; else a ``post``.
  ``text`` is null unless a text column is given (ids are opaque).
* One content id sharing several objects (a tweet with two referenced tweets) yields one
  post per object, so every share is its own event: the object seen first keeps the
  content id as ``post_id``; the others get ``CONTENT#OBJECT``, with the content id in
  ``extra.content_id``.
* A row identical to an earlier one (every column equal) is a duplicate: it goes to the
  quarantine, naming the line kept. Rows with one post id that disagree on account,
  time or another column are quarantined as conflicting duplicates by the loader.
* Without a content column each row is its own post, ``post_id`` = ``FILE-STEM:LINE``.
* Every account gets an ``accounts`` row (id only).

Rows are staged as text in the workspace file and combined there with SQL, so memory
stays bounded however large the file; the combined posts are streamed back in chunks.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from separ.errors import InputError
from separ.ingest.base import Importer, register
from separ.ingest.load import Loader, TableCounts
from separ.ingest.read import CHUNK_ROWS, CsvReader, Progress

ROLES: dict[str, tuple[str, ...]] = {
    "account": ("account_id", "account", "user_id", "userid", "author_id"),
    "time": ("timestamp_share", "timestamp", "created_at", "time"),
    "content": ("content_id", "post_id", "tweet_id", "tweetid", "id"),
    "object": ("object_id", "object"),
    "text": ("text", "tweet_text", "message"),
    "url": ("url", "url_id"),
    "hashtag": ("hashtag", "hashtag_id"),
    "domain": ("domain", "domain_id"),
    "image": ("phash", "phash_id", "image"),
}
"""Column roles and the names they are found by, in order of preference."""

REQUIRED_ROLES = ("account", "time")
LIST_ROLES = {"url": "urls", "hashtag": "hashtags", "image": "media_hashes"}


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _distinct(expr: str) -> str:
    """SQL: the distinct values of a list, first occurrence first."""
    return f"list_filter({expr}, lambda x, i: list_position({expr}, x) = i)"


@register
class SharesImporter(Importer):
    name = "shares"
    description = "A share table (CooRTweet style): account, time, content/object/url/hashtag/domain/image columns"
    patterns = ("*.csv", "*.csv.gz")

    def __init__(
        self,
        *,
        account: str | None = None,
        time: str | None = None,
        content: str | None = None,
        object: str | None = None,
        text: str | None = None,
        url: str | None = None,
        hashtag: str | None = None,
        domain: str | None = None,
        image: str | None = None,
    ) -> None:
        self.account = account
        self.time = time
        self.content = content
        self.object = object
        self.text = text
        self.url = url
        self.hashtag = hashtag
        self.domain = domain
        self.image = image

    def roles(self, file: Path, header: list[str]) -> dict[str, str]:
        """Map each role to a column of ``header``: the named one, else the first usual name."""
        found: dict[str, str] = {}
        for role in ROLES:
            named = getattr(self, role)
            if named is not None:
                if named not in header:
                    raise InputError(
                        file, f"has no column {named!r} (given as the {role} column)", 1
                    )
                found[role] = named
        lower = {h.lower(): h for h in reversed(header)}
        for role, names in ROLES.items():
            if role in found:
                continue
            for name in names:
                column = lower.get(name)
                if column is not None and column not in found.values():
                    found[role] = column
                    break
        for role in REQUIRED_ROLES:
            if role not in found:
                raise InputError(
                    file,
                    f"no {role} column (looked for {', '.join(ROLES[role])}; "
                    f"name it with {role}=COLUMN)",
                    1,
                )
        return found

    def check(self, file: Path) -> None:
        reader = CsvReader(file)
        reader.close()
        self.roles(file, reader.header)

    def read(self, file: Path, loader: Loader, progress: Progress | None) -> None:
        reader = CsvReader(file, progress)
        header = reader.header
        try:
            roles = self.roles(file, header)
        except InputError:
            reader.close()
            raise
        ingest = loader.result.ingest_id
        rows, shares = f"_stage_sharesrows_{ingest}", f"_stage_shares_{ingest}"
        con = loader.con.cursor()  # our own connection: it streams while the loader writes
        try:
            con.execute("SET enable_progress_bar = false")
            con.execute(
                f"CREATE OR REPLACE TABLE {rows} "
                f"({', '.join(q(h) + ' VARCHAR' for h in header)}, _line BIGINT)"
            )
            try:
                for chunk in reader.chunks(loader.bad):
                    loader.count_records(chunk.num_rows)
                    con.register("_separ_shares", chunk)
                    con.execute(f"INSERT INTO {rows} SELECT * FROM _separ_shares")
                    con.unregister("_separ_shares")
            except UnicodeError as exc:  # UTF-16 with an odd number of bytes
                raise InputError(file, f"cannot be decoded: {exc}") from None
            con.execute(_combine_sql(rows, shares, header, roles, file))
            folded = con.execute(f"SELECT count(*) FROM {rows}").fetchall()[0][0]
            account = q(roles["account"])
            for table, query in (
                ("posts", _posts_sql(shares, header, roles)),
                (
                    "accounts",
                    f"SELECT {account} AS account_id, min(_line) AS _line FROM {rows} "
                    f"WHERE {account} IS NOT NULL GROUP BY 1",
                ),
            ):
                for batch in con.sql(query).to_arrow_reader(CHUNK_ROWS):
                    loader.add(table, pa.Table.from_batches([batch]))
                    if table == "posts":
                        folded -= batch.num_rows
            # rows of one post with another object are folded into its lists: counted, so
            # that the file's rows = posts loaded + quarantined + merged
            loader.result.tables.setdefault("posts", TableCounts()).merged += int(folded)
        finally:
            con.execute(f"DROP TABLE IF EXISTS {rows}")
            con.execute(f"DROP TABLE IF EXISTS {shares}")
            con.close()


def _others(header: list[str], roles: dict[str, str]) -> list[str]:
    return [h for h in header if h not in roles.values()]


def _combine_sql(
    rows: str, shares: str, header: list[str], roles: dict[str, str], file: Path
) -> str:
    """SQL creating table ``shares``: one row per post, with the lines of its duplicates.

    Hash aggregates and joins only (no window functions), so DuckDB can spill to disk.
    """
    col = {role: q(name) for role, name in roles.items()}
    if "content" in roles:
        content = f"coalesce({col['content']}, '\\0' || _line)"  # no id: a post of its own
        content_out = f"CASE WHEN {col['content']} IS NOT NULL THEN {col['content']} END"
    else:
        stem = file.name.removesuffix(".gz").removesuffix(".csv")
        content = content_out = f"{lit(stem + ':')} || _line"
    keys = [
        f"{col[r]} AS {q('_' + r)}" for r in ("account", "time", "object", "text") if r in roles
    ]
    keys += [q(h) for h in _others(header, roles)]
    key_names = [k.rsplit(" AS ", 1)[-1] for k in keys]
    lists = [
        f"list_transform(list_sort(list({{'l': _line, 'v': {col[r]}}}) "
        f"FILTER (WHERE {col[r]} IS NOT NULL)), lambda s: s.v) AS {q('_' + r)}"
        for r in ("url", "hashtag", "image", "domain")
        if r in roles
    ]
    if "object" in roles:
        # the object a content id shares first keeps the id; later objects get CONTENT#OBJECT
        split = """SELECT g.*, o._object_line > c._group_line AS _split
        FROM grouped g
        JOIN (SELECT _group, _object, min(_line) AS _object_line FROM grouped GROUP BY ALL) o
          ON o._group = g._group AND o._object IS NOT DISTINCT FROM g._object
        JOIN (SELECT _group, min(_line) AS _group_line FROM grouped GROUP BY ALL) c
          ON c._group = g._group"""
    else:
        split = "SELECT *, false AS _split FROM grouped"
    return f"""CREATE OR REPLACE TABLE {shares} AS
    WITH distinct_rows AS (
        SELECT * EXCLUDE (_line), min(_line) AS _line, list_sort(list(_line))[2:] AS _dups
        FROM {rows} GROUP BY ALL
    ), grouped AS (
        SELECT {content} AS _group, any_value({content_out}) AS _content,
               {", ".join(keys)}{", " if lists else ""}{", ".join(lists)},
               min(_line) AS _line, flatten(list(_dups)) AS _dups
        FROM distinct_rows
        GROUP BY _group, {", ".join(key_names)}
    )
    {split}"""


def _posts_sql(shares: str, header: list[str], roles: dict[str, str]) -> str:
    """SQL selecting native post rows from ``shares``, duplicates repeated on their lines."""
    has_object = "object" in roles
    split = "_split"
    post_id = (
        f"CASE WHEN {split} THEN _content || '#' || coalesce(_object, '') ELSE _content END"
        if has_object
        else "_content"
    )
    cols = [
        f"{post_id} AS post_id",
        "_account AS account_id",
        "_time AS created_at",
        "CASE WHEN _object IS NOT NULL THEN 'repost' ELSE 'post' END AS kind"
        if has_object
        else "'post' AS kind",
    ]
    produced = {"post_id", "account_id", "created_at", "kind"}
    if has_object:
        cols.append("_object AS ref_post_id")
        cols.append(f"CASE WHEN {split} THEN _content END AS content_id")
        produced |= {"ref_post_id", "content_id"}
    if "text" in roles:
        cols.append("_text AS text")
        produced.add("text")
    for role, native in LIST_ROLES.items():
        if role in roles:
            cols.append(f"{_distinct(q('_' + role))} AS {native}")
            produced.add(native)
    if "domain" in roles:
        cols.append(f"{_distinct('_domain')} AS domains")
        produced.add("domains")
    for h in _others(header, roles):
        alias = h if h not in produced else "source_" + h
        cols.append(f"{q(h)} AS {q(alias)}")
    select = ", ".join(cols)
    return f"""SELECT {select}, _line FROM {shares}
    UNION ALL
    SELECT {select}, d._line FROM {shares}, unnest(_dups) AS d(_line)"""
