"""Twitter API v2 data as written by twarc2: ``twarc2 search|timeline|stream|users ...``.

Each line is one API response page, ``{"data": [...], "includes": {"users", "tweets",
"media", "polls", "places"}, "errors": [...], "meta": {...}, "__twarc": {"url",
"version", "retrieved_at"}}``, or one tweet (or user) with its expansions inline, as
``twarc2 flatten`` writes. A file holding one JSON array of either is read too.

Mapping

* ``data`` tweets and ``includes.tweets`` -> ``posts``. ``kind`` comes from
  ``referenced_tweets``: ``retweeted`` -> repost, ``replied_to`` -> reply, ``quoted`` ->
  quote (a reply that also quotes is a reply; ``referenced_tweets`` stays in ``extra``).
  ``ref_account_id`` is ``in_reply_to_user_id`` for a reply, else the author of the
  referenced tweet when the page includes it. ``hashtags`` are ``entities.hashtags[].tag``,
  ``urls`` the ``expanded_url`` of ``entities.urls`` (else the t.co ``url``), ``mentions``
  the mentioned account ids (``@username`` when the id is missing), ``client`` is
  ``source``. Every other tweet field is kept in ``extra`` under its own name; the page's
  ``includes.media``/``polls``/``places`` are put back into the tweet's ``attachments``
  and ``geo`` exactly as ``twarc2 flatten`` does, so a page and its flattened form load
  the same rows.
* ``includes.tweets`` are context (the tweets that were retweeted, quoted or replied
  to), not records of the collection: the same retweeted tweet is included in every page
  that retweets it. Each is loaded once per file, and not at all when the file's ``data``
  holds the same tweet. Tweets in ``data`` are records: a tweet twice in ``data`` is
  quarantined as a duplicate like any repeated key.
* ``data`` users (``twarc2 users``/``followers``/``following``) and ``includes.users``
  -> ``accounts``; ``public_metrics`` give the counts, ``default_avatar`` is true when
  ``profile_image_url`` is Twitter's default image.
* ``snapshot_at`` of an account is the page's ``__twarc.retrieved_at``: a v2 user object
  shows the profile as it was when the page was fetched, not when the tweet was posted,
  so the tweet's ``created_at`` would date the counts wrongly (by years for an old
  retweeted tweet). A page without ``__twarc`` leaves ``snapshot_at`` empty: the time of
  the observation is unknown, and such snapshots merge as the oldest.
* ``errors`` (stubs for deleted, protected or suspended tweets and users) have no native
  table: they are counted in the file's report as ``not loaded``. ``meta`` and
  ``__twarc`` describe the request, not the data, and are not stored.

A line that is not valid JSON, not an object, or not a page/tweet/user, and a tweet or
user without an ``id``, is quarantined with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from separ.ingest.base import Importer, register
from separ.ingest.load import Loader
from separ.ingest.read import CHUNK_ROWS, Progress, check_json, json_records
from separ.ingest.rows import Row, Rows, dumps, text
from separ.ingest.twitter import v2_account
from separ.schema import POSTS

PAGE_KEYS = frozenset({"data", "includes", "errors", "meta"})
TWEET_KEYS = frozenset({"text", "author_id", "referenced_tweets", "edit_history_tweet_ids"})
KINDS = (("retweeted", "repost"), ("replied_to", "reply"), ("quoted", "quote"))
MAPPED = frozenset({"id", "author_id", "created_at", "text", "lang", "source"})
"""Tweet fields with a native column; everything else goes to ``extra``."""
MENTION_KEYS = ("start", "end", "username", "id")
"""The keys of a v2 mention entity; ``twarc2 flatten`` merges the user object into it."""
MAX_DEPTH = 8


@dataclass
class Page:
    """What a tweet's row needs from the rest of its page."""

    authors: dict[str, Any] = field(default_factory=dict)
    media: dict[str, Any] = field(default_factory=dict)
    polls: dict[str, Any] = field(default_factory=dict)
    places: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, includes: dict[str, Any]) -> Page:
        def index(name: str, key: str) -> dict[str, Any]:
            items = includes.get(name)
            if not isinstance(items, list):
                return {}
            return {str(i[key]): i for i in items if isinstance(i, dict) and i.get(key)}

        tweets = index("tweets", "id")
        return cls(
            authors={k: t.get("author_id") for k, t in tweets.items()},
            media=index("media", "media_key"),
            polls=index("polls", "id"),
            places=index("places", "id"),
        )


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _objects(value: Any) -> list[dict[str, Any]]:
    return [v for v in _listed(value) if isinstance(v, dict)]


def post_row(tweet: dict[str, Any], page: Page) -> tuple[Row, Row]:
    """A v2 tweet object -> (posts columns, extra)."""
    refs: dict[Any, Any] = {}
    for ref in _objects(tweet.get("referenced_tweets")):
        if isinstance(ref.get("type"), str):  # a type that is not a name references nothing
            refs.setdefault(ref["type"], ref.get("id"))
    kind, ref_id = "post", None
    for typ, name in KINDS:
        if refs.get(typ):
            kind, ref_id = name, refs[typ]
            break
    reply_to = tweet.get("in_reply_to_user_id")
    if kind == "post" and reply_to:
        kind = "reply"  # a reply whose tweet is not referenced (deleted, or not requested)
    ref_account = reply_to if kind == "reply" and reply_to else page.authors.get(str(ref_id))
    entities = tweet.get("entities")
    entities = entities if isinstance(entities, dict) else {}
    hashtags = [h.get("tag") for h in _objects(entities.get("hashtags")) if h.get("tag")]
    urls = [
        u.get("expanded_url") or u.get("url")
        for u in _objects(entities.get("urls"))
        if u.get("expanded_url") or u.get("url")
    ]
    mentions = [
        m.get("id") or f"@{m['username']}"
        for m in _objects(entities.get("mentions"))
        if m.get("id") or m.get("username")
    ]
    row: Row = {
        "post_id": tweet.get("id"),
        "account_id": tweet.get("author_id"),
        "created_at": tweet.get("created_at"),
        "kind": kind,
        "text": tweet.get("text"),
        "lang": tweet.get("lang"),
        "ref_post_id": ref_id,
        "ref_account_id": ref_account,
        "hashtags": hashtags,
        "urls": urls,
        "mentions": mentions,
        "client": tweet.get("source"),
    }
    extra = {k: v for k, v in tweet.items() if k not in MAPPED and v is not None}
    attachments = extra.get("attachments")
    if isinstance(attachments, dict):
        attachments = dict(attachments)
        keys = attachments.get("media_keys")
        if isinstance(keys, list):
            media = [page.media[str(k)] for k in keys if str(k) in page.media]
            if media:
                attachments["media"] = media
        polls = attachments.get("poll_ids")
        if isinstance(polls, list) and polls and str(polls[-1]) in page.polls:
            attachments["poll"] = page.polls[str(polls[-1])]
        extra["attachments"] = attachments
    geo = extra.get("geo")
    if isinstance(geo, dict) and str(geo.get("place_id")) in page.places:
        extra["geo"] = {**geo, **page.places[str(geo["place_id"])]}
    return row, extra


@dataclass
class Unflattened:
    """A flattened line split back into its page: the record and its expansions."""

    users: list[dict[str, Any]] = field(default_factory=list)
    tweets: list[dict[str, Any]] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    polls: list[dict[str, Any]] = field(default_factory=list)
    places: list[dict[str, Any]] = field(default_factory=list)

    def includes(self) -> dict[str, Any]:
        return {
            "users": self.users,
            "tweets": self.tweets,
            "media": self.media,
            "polls": self.polls,
            "places": self.places,
        }

    def user(self, user: Any, depth: int = 0) -> None:
        if isinstance(user, dict) and user.get("id"):
            user = {k: v for k, v in user.items() if k != "__twarc"}
            pinned = user.pop("pinned_tweet", None)
            if isinstance(pinned, dict) and pinned.get("id") and depth < MAX_DEPTH:
                self.tweets.append(self.tweet(pinned, depth + 1))
            self.users.append(user)

    def tweet(self, tweet: dict[str, Any], depth: int = 0) -> dict[str, Any]:
        """The tweet as the API returned it; its expansions are collected on ``self``."""
        t = {k: v for k, v in tweet.items() if k not in ("__twarc", "author", "in_reply_to_user")}
        self.user(tweet.get("author"), depth)
        self.user(tweet.get("in_reply_to_user"), depth)
        entities = t.get("entities")
        if isinstance(entities, dict) and isinstance(entities.get("mentions"), list):
            mentions = []
            for m in entities["mentions"]:
                if isinstance(m, dict) and set(m) - set(MENTION_KEYS):
                    self.user({k: v for k, v in m.items() if k not in ("start", "end")}, depth)
                    m = {k: m[k] for k in MENTION_KEYS if k in m}
                mentions.append(m)
            t["entities"] = {**entities, "mentions": mentions}
        if isinstance(t.get("referenced_tweets"), list):
            refs = []
            for r in t["referenced_tweets"]:
                if isinstance(r, dict) and set(r) - {"type", "id"}:
                    if depth < MAX_DEPTH:
                        inner = {k: v for k, v in r.items() if k != "type"}
                        self.tweets.append(self.tweet(inner, depth + 1))
                    r = {k: r[k] for k in ("type", "id") if k in r}
                refs.append(r)
            t["referenced_tweets"] = refs
        attachments = t.get("attachments")
        if isinstance(attachments, dict):
            attachments = dict(attachments)
            self.media += _objects(attachments.pop("media", None))
            poll = attachments.pop("poll", None)
            if isinstance(poll, dict):
                self.polls.append(poll)
            t["attachments"] = attachments
        geo = t.get("geo")
        if isinstance(geo, dict) and "id" in geo and "place_id" in geo:
            self.places.append(
                {k: v for k, v in geo.items() if k not in ("place_id", "coordinates")}
            )
            t["geo"] = {k: geo[k] for k in ("place_id", "coordinates") if k in geo}
        return t


class IncludedTweets:
    """``includes.tweets``, staged in the workspace and loaded once per file at the end.

    The tweets of ``data`` are staged by id only, so an included tweet that the file
    also holds as a record is not loaded twice. Staging is a table in the workspace
    file (dropped with the ingest's other staging tables): memory stays bounded however
    many pages repeat the same tweet.
    """

    def __init__(self, loader: Loader) -> None:
        self.loader = loader
        self.name = f"_stage_twarcincluded_{loader.result.ingest_id}"
        cols = ", ".join(f'"{c}" VARCHAR' for c in POSTS.names)
        loader.con.execute(
            f"CREATE OR REPLACE TABLE {self.name} ({cols}, extra VARCHAR, _line BIGINT, "
            "_record BOOLEAN)"
        )
        self.rows = Rows(self._insert)

    def record(self, line: int, post_id: Any) -> None:
        self.rows.add_staged(line, {"post_id": text(post_id), "_record": "true"})

    def add(self, line: int, row: Row, extra: Row) -> None:
        self.rows.add(line, row, extra)

    def _insert(self, batch: pa.Table) -> None:
        con = self.loader.con
        con.register("_separ_twarc_batch", batch)
        try:
            con.execute(f"INSERT INTO {self.name} BY NAME SELECT * FROM _separ_twarc_batch")
        finally:
            con.unregister("_separ_twarc_batch")

    def finish(self) -> int:
        """Hand the included tweets that are not records to the loader; return their count."""
        self.rows.flush()
        query = f"""SELECT * EXCLUDE (_record) FROM {self.name} i
            WHERE _record IS NOT TRUE AND i.post_id IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM {self.name} d WHERE d._record AND d.post_id = i.post_id)
            QUALIFY row_number() OVER (PARTITION BY post_id ORDER BY _line) = 1"""
        loaded = 0
        cursor = self.loader.con.cursor()
        try:
            for batch in cursor.sql(query).to_arrow_reader(CHUNK_ROWS):
                table = pa.Table.from_batches([batch])
                self.loader.add("posts", table)
                loaded += table.num_rows
        finally:
            cursor.close()
        self.loader.con.execute(f"DROP TABLE IF EXISTS {self.name}")
        return loaded


class TwarcReader:
    """Turns the records of one twarc2 file into rows."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader
        self.posts = Rows.of(loader, "posts")
        self.accounts = Rows.of(loader, "accounts")
        self.included = IncludedTweets(loader)

    def record(self, line: int, obj: Any) -> None:
        if not isinstance(obj, dict):
            self.loader.bad(line, f"not a JSON object but a {type(obj).__name__}", dumps(obj))
        elif "id_str" in obj or isinstance(obj.get("user"), dict):
            self.loader.bad(
                line,
                "a Twitter API v1.1 object (twarc 1 output); this importer reads API v2",
                dumps(obj),
            )
        elif PAGE_KEYS & obj.keys():
            self.page(line, obj)
        elif TWEET_KEYS & obj.keys():
            flat = Unflattened()
            record = flat.tweet(obj)
            self.page(line, {"data": [record], "includes": flat.includes(), **_meta(obj)})
        elif "username" in obj:
            if obj.get("id") in (None, ""):
                self.loader.bad(line, "user without id", dumps(obj))
                return
            flat = Unflattened()
            flat.user(obj)
            self.page(line, {"data": flat.users, "includes": flat.includes(), **_meta(obj)})
        else:
            keys = ", ".join(sorted(obj)[:8])
            self.loader.bad(line, f"neither a twarc2 page nor a tweet (keys: {keys})", dumps(obj))

    def page(self, line: int, obj: dict[str, Any]) -> None:
        meta = obj.get("__twarc")
        retrieved = meta.get("retrieved_at") if isinstance(meta, dict) else None
        includes = obj.get("includes")
        if includes is None:
            includes = {}
        elif not isinstance(includes, dict):
            self.loader.bad(line, "includes is not a JSON object", dumps(includes))
            includes = {}
        page = Page.of(includes)
        data = obj.get("data")
        items: list[Any] = []
        if isinstance(data, dict):
            items = [data]
        elif isinstance(data, list):
            items = data
        elif data is not None:
            self.loader.bad(line, "data is neither a list nor an object", dumps(data))
        rules = obj.get("matching_rules")
        for item in items:
            if not isinstance(item, dict):
                self.loader.bad(line, "a data item is not a JSON object", dumps(item))
            elif "username" in item and not TWEET_KEYS & item.keys():
                self.user(line, item, retrieved)
            else:
                if rules is not None and "matching_rules" not in item:
                    item = {**item, "matching_rules": rules}
                self.tweet(line, item, page, record=True)
        for name in ("tweets", "users"):
            found = includes.get(name)
            if found is not None and not isinstance(found, list):
                self.loader.bad(line, f"includes.{name} is not a list", dumps(found))
        for tweet in _listed(includes.get("tweets")):
            self.tweet(line, tweet, page, record=False)
        for user in _listed(includes.get("users")):
            self.user(line, user, retrieved)
        errors = obj.get("errors")
        if isinstance(errors, list) and errors:
            self.loader.not_loaded(
                "twarc2 error stubs (deleted, protected, suspended)", len(errors)
            )

    def tweet(self, line: int, tweet: Any, page: Page, *, record: bool) -> None:
        if not isinstance(tweet, dict):
            self.loader.bad(line, "a tweet is not a JSON object", dumps(tweet))
            return
        tid = tweet.get("id")
        if tid is None or tid == "":
            self.loader.bad(line, "tweet without id", dumps(tweet))
            return
        if not isinstance(tid, str | int) or isinstance(tid, bool):
            self.loader.bad(line, f"tweet id is not a string: {dumps(tid)[:40]}", dumps(tweet))
            return
        row, extra = post_row(tweet, page)
        if record:
            self.posts.add(line, row, extra)
            self.included.record(line, tid)
            self.loader.count_records(1)
        else:
            self.included.add(line, row, extra)

    def user(self, line: int, user: Any, retrieved: Any) -> None:
        if not isinstance(user, dict):
            self.loader.bad(line, "a user is not a JSON object", dumps(user))
            return
        if user.get("id") in (None, ""):
            self.loader.bad(line, "user without id", dumps(user))
            return
        row, extra = v2_account(user, retrieved)
        self.accounts.add(line, row, extra)
        self.loader.count_records(1)

    def finish(self) -> None:
        self.posts.flush()
        self.accounts.flush()
        self.loader.count_records(self.included.finish())


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return {"__twarc": obj["__twarc"]} if isinstance(obj.get("__twarc"), dict) else {}


@register
class TwarcImporter(Importer):
    name = "twarc"
    description = "Twitter API v2 JSON lines written by twarc2 (response pages or flattened)"
    patterns = ("*.jsonl", "*.json", "*.ndjson", "*.jsonl.gz", "*.json.gz", "*.ndjson.gz")

    def check(self, file: Path) -> None:
        check_json(file, "twarc2 JSON lines")

    def read(self, file: Path, loader: Loader, progress: Progress | None) -> None:
        reader = TwarcReader(loader)
        for line, obj in json_records(file, loader.bad, progress):
            reader.record(line, obj)
        reader.finish()
