"""Bluesky events as JSON lines from Jetstream (``wss://jetstream*.bsky.network/subscribe``).

One event per line: ``{"did", "time_us", "kind": "commit"|"identity"|"account", ...}``
(the first Jetstream releases wrote ``"type": "com"|"id"|"acc"`` and a commit ``"type":
"c"|"u"|"d"``; both spellings are read). Account ids are DIDs; a record's id is its
AT-URI ``at://DID/COLLECTION/RKEY``.

Mapping

* ``app.bsky.feed.post`` -> ``posts``: ``text``, ``createdAt``, ``lang`` = the first of
  ``langs``. A ``reply`` is kind ``reply`` with ``ref_post_id`` = ``reply.parent.uri`` and
  ``ref_account_id`` = the DID in that URI; an ``app.bsky.embed.record`` or
  ``recordWithMedia`` embed of a post is kind ``quote`` (a reply that also quotes stays a
  reply; its embed is in ``extra``). ``hashtags`` = ``#tag`` facets plus the record's
  ``tags``; ``urls`` = ``#link`` facets plus the link card (``app.bsky.embed.external``);
  ``mentions`` = ``#mention`` DIDs. Images and video stay in ``extra.embed`` (blob CIDs,
  no perceptual hashes), as do ``facets``, ``reply``, ``langs`` and the commit's ``rev``,
  ``cid`` and ``time_us``.
* ``app.bsky.feed.repost`` -> ``posts`` kind ``repost``, ``ref_post_id`` = ``subject.uri``.
* ``app.bsky.graph.follow`` -> ``follows`` (follower = the event's DID, followee =
  ``subject``, ``created_at`` = ``createdAt``); the follow's own AT-URI is in ``extra.uri``
  (an unfollow names only that URI).
* ``app.bsky.actor.profile`` -> an ``accounts`` snapshot at ``time_us``: ``displayName``,
  ``description``, ``avatar`` (the CDN URL of the avatar blob, never fetched; the blob's
  CID in ``extra.avatar``), ``default_avatar`` = no avatar, ``created_at`` = the profile
  record's ``createdAt`` (what Bluesky shows as "joined").
* ``identity`` events -> an ``accounts`` snapshot with the ``handle`` at ``identity.time``;
  ``account`` events -> a snapshot at ``account.time`` with ``active`` and ``status``
  (``takendown``, ``suspended``, ``deactivated``, ``deleted``) in ``extra``. The relay's
  ``seq`` is a cursor, not account data, and is not stored.
* Times: ``created_at`` is the record's ``createdAt``, which the client sets (it can be
  back-dated); ``time_us`` (when Jetstream saw the event) is kept in ``extra`` and used
  when a record has no ``createdAt``.

Not loaded, and counted in the file's report as ``not loaded: ...`` (they are valid
events, so the quarantine, which holds malformed records, would misdescribe them):

* likes (``app.bsky.feed.like``), blocks, lists, list items, feed generators and every
  other collection without a native table: the native format has no table for
  reactions or lists, and a like is not a post;
* deletions (``delete app.bsky.feed.post``, ...): a deletion is not a post or a follow,
  and names only the deleted record's URI. Rows loaded earlier are not changed: whether
  an attacker's deleted threat stays as evidence is a decision for the operator, not
  for an importer.

Events that are not JSON objects, lack a DID, or carry a commit without a collection,
rkey or record are quarantined with their reason.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from separ.ingest.base import Importer, register
from separ.ingest.load import Loader
from separ.ingest.read import Progress, check_json, json_records
from separ.ingest.rows import Row, Rows, dumps

POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.repost"
FOLLOW = "app.bsky.graph.follow"
PROFILE = "app.bsky.actor.profile"
OLD_KINDS = {"com": "commit", "id": "identity", "acc": "account"}
OLD_OPERATIONS = {"c": "create", "u": "update", "d": "delete"}
AVATAR_URL = "https://cdn.bsky.app/img/avatar/plain/{did}/{cid}@jpeg"


def uri_parts(uri: Any) -> tuple[str | None, str | None]:
    """``at://DID/COLLECTION/RKEY`` -> (DID, COLLECTION); (None, None) if not an AT-URI."""
    if not isinstance(uri, str) or not uri.startswith("at://"):
        return None, None
    parts = uri[5:].split("/")
    return parts[0] or None, parts[1] if len(parts) > 1 and parts[1] else None


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def quoted_uri(embed: Any) -> str | None:
    """The post a ``record`` or ``recordWithMedia`` embed quotes (None for lists, feeds...)."""
    kind = _get(embed, "$type")
    if kind == "app.bsky.embed.record":
        uri = _get(embed, "record", "uri")
    elif kind == "app.bsky.embed.recordWithMedia":
        uri = _get(embed, "record", "record", "uri")
    else:
        return None
    return uri if isinstance(uri, str) and uri_parts(uri)[1] == POST else None


def link_card(embed: Any) -> str | None:
    """The URL of an ``app.bsky.embed.external`` link card, also inside recordWithMedia."""
    kind = _get(embed, "$type")
    if kind == "app.bsky.embed.recordWithMedia":
        embed = _get(embed, "media")
        kind = _get(embed, "$type")
    uri = _get(embed, "external", "uri") if kind == "app.bsky.embed.external" else None
    return uri if isinstance(uri, str) and uri else None


def facets(record: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """(hashtags, urls, mentions) from a post's rich-text facets, tags and link card."""
    hashtags: list[str] = []
    urls: list[str] = []
    mentions: list[str] = []
    items = record.get("facets")
    for facet in items if isinstance(items, list) else []:
        features = _get(facet, "features")
        for feature in features if isinstance(features, list) else []:
            if not isinstance(feature, dict):
                continue
            kind = str(feature.get("$type", ""))
            if kind.endswith("#tag") and isinstance(feature.get("tag"), str):
                hashtags.append(feature["tag"])
            elif kind.endswith("#link") and isinstance(feature.get("uri"), str):
                urls.append(feature["uri"])
            elif kind.endswith("#mention") and isinstance(feature.get("did"), str):
                mentions.append(feature["did"])
    tags = record.get("tags")
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, str) and tag not in hashtags:
            hashtags.append(tag)
    card = link_card(record.get("embed"))
    if card and card not in urls:
        urls.append(card)
    return hashtags, urls, mentions


def blob_cid(blob: Any) -> str | None:
    cid = _get(blob, "ref", "$link") or _get(blob, "cid")
    return cid if isinstance(cid, str) and cid else None


class JetstreamReader:
    """Turns the events of one Jetstream file into rows."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader
        self.posts = Rows.of(loader, "posts")
        self.follows = Rows.of(loader, "follows")
        self.accounts = Rows.of(loader, "accounts")
        self.skipped: Counter[str] = Counter()
        """Valid events with no native table, by what they are (counted at the end)."""

    def finish(self) -> None:
        self.accounts.flush()
        self.posts.flush()
        self.follows.flush()
        for what, n in sorted(self.skipped.items()):
            self.loader.not_loaded(what, n)

    def bad(self, line: int, reason: str, event: Any) -> None:
        self.loader.bad(line, reason, dumps(event))

    def event(self, line: int, event: Any) -> None:
        if not isinstance(event, dict):
            self.bad(line, f"not a JSON object but a {type(event).__name__}", event)
            return
        did = event.get("did")
        if not isinstance(did, str) or not did.startswith("did:"):
            reason = "event without did" if did is None else f"did is not a DID: {dumps(did)[:60]}"
            self.bad(line, reason, event)
            return
        time_us = event.get("time_us")
        if time_us is not None and (not isinstance(time_us, int) or isinstance(time_us, bool)):
            self.bad(line, f"time_us is not a whole number: {dumps(time_us)[:40]}", event)
            return
        kind = event.get("kind") or OLD_KINDS.get(str(event.get("type")))
        if kind == "commit":
            self.commit(line, did, time_us, event)
        elif kind == "identity":
            self.identity(line, did, time_us, event)
        elif kind == "account":
            self.account(line, did, time_us, event)
        elif isinstance(kind, str) and kind:
            self.skipped[f"{kind} events"] += 1
        else:
            self.bad(line, "event without kind", event)

    def commit(self, line: int, did: str, time_us: int | None, event: dict[str, Any]) -> None:
        commit = event.get("commit")
        if not isinstance(commit, dict):
            self.bad(line, "commit is not a JSON object", event)
            return
        operation = commit.get("operation") or OLD_OPERATIONS.get(str(commit.get("type")))
        collection, rkey = commit.get("collection"), commit.get("rkey")
        if not isinstance(collection, str) or not collection:
            self.bad(line, "commit without collection", event)
            return
        if not isinstance(rkey, str) or not rkey:
            self.bad(line, "commit without rkey", event)
            return
        if operation == "delete":
            self.skipped[f"delete {collection}"] += 1
            return
        if operation not in ("create", "update"):
            self.bad(line, f"unknown commit operation {dumps(operation)[:40]}", event)
            return
        record = commit.get("record")
        if not isinstance(record, dict):
            self.bad(line, "commit record is not a JSON object", event)
            return
        meta: Row = {"time_us": time_us, "rev": commit.get("rev"), "cid": commit.get("cid")}
        if operation == "update":
            meta["operation"] = "update"
        uri = f"at://{did}/{collection}/{rkey}"
        created = record.get("createdAt")
        if created is not None and not isinstance(created, str):
            self.bad(line, f"record.createdAt is not a string: {dumps(created)[:40]}", event)
            return
        when = created if created else time_us
        if collection == POST:
            problem = self.post(line, did, uri, when, record, meta)
        elif collection == REPOST:
            problem = self.repost(line, did, uri, when, record, meta)
        elif collection == FOLLOW:
            problem = self.follow(line, did, uri, when, record, meta)
        elif collection == PROFILE:
            problem = self.profile(line, did, time_us, record, meta)
        else:
            self.skipped[collection if operation == "create" else f"{operation} {collection}"] += 1
            return
        if problem:
            self.bad(line, problem, event)
        else:
            self.loader.count_records(1)

    def post(self, line: int, did: str, uri: str, when: Any, record: Row, meta: Row) -> str | None:
        text = record.get("text")
        if text is not None and not isinstance(text, str):
            return f"record.text is not a string: {dumps(text)[:40]}"
        langs = record.get("langs")
        lang = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None
        parent = _get(record, "reply", "parent", "uri")
        parent = parent if isinstance(parent, str) and parent else None
        quote = quoted_uri(record.get("embed"))
        kind = "reply" if parent else "quote" if quote else "post"
        ref = parent or quote
        hashtags, urls, mentions = facets(record)
        row: Row = {
            "post_id": uri,
            "account_id": did,
            "created_at": when,
            "kind": kind,
            "text": text,
            "lang": lang,
            "ref_post_id": ref,
            "ref_account_id": uri_parts(ref)[0],
            "hashtags": hashtags,
            "urls": urls,
            "mentions": mentions,
        }
        self.posts.add(line, row, {**_rest(record, "text"), **_present(meta)})
        return None

    def repost(
        self, line: int, did: str, uri: str, when: Any, record: Row, meta: Row
    ) -> str | None:
        subject = _get(record, "subject", "uri")
        if not isinstance(subject, str) or not subject:
            return "repost without subject.uri"
        row: Row = {
            "post_id": uri,
            "account_id": did,
            "created_at": when,
            "kind": "repost",
            "ref_post_id": subject,
            "ref_account_id": uri_parts(subject)[0],
        }
        self.posts.add(line, row, {**_rest(record), **_present(meta)})
        return None

    def follow(
        self, line: int, did: str, uri: str, when: Any, record: Row, meta: Row
    ) -> str | None:
        subject = record.get("subject")
        if not isinstance(subject, str) or not subject:
            return "follow without a subject DID"
        row: Row = {"follower_id": did, "followee_id": subject, "created_at": when}
        extra = {**_rest(record, "subject"), "uri": uri, **_present(meta)}
        self.follows.add(line, row, extra)
        return None

    def profile(self, line: int, did: str, time_us: Any, record: Row, meta: Row) -> str | None:
        for key in ("displayName", "description"):
            if record.get(key) is not None and not isinstance(record[key], str):
                return f"record.{key} is not a string: {dumps(record[key])[:40]}"
        cid = blob_cid(record.get("avatar"))
        row: Row = {
            "account_id": did,
            "display_name": record.get("displayName"),
            "bio": record.get("description"),
            "created_at": record.get("createdAt"),
            "avatar": AVATAR_URL.format(did=did, cid=cid) if cid else None,
            "default_avatar": cid is None,
            "snapshot_at": time_us,
        }
        extra = {**_rest(record, "displayName", "description"), **_present(meta)}
        extra.pop("time_us", None)  # it is the snapshot time
        self.accounts.add(line, row, extra)
        return None

    def identity(self, line: int, did: str, time_us: Any, event: dict[str, Any]) -> None:
        identity = event.get("identity")
        if not isinstance(identity, dict):
            self.bad(line, "identity is not a JSON object", event)
            return
        if identity.get("did") not in (None, did):
            self.bad(line, "identity.did differs from the event's did", event)
            return
        handle = identity.get("handle")
        if handle is not None and not isinstance(handle, str):
            self.bad(line, f"identity.handle is not a string: {dumps(handle)[:40]}", event)
            return
        row: Row = {
            "account_id": did,
            "handle": handle,
            "snapshot_at": identity.get("time") or time_us,
        }
        extra = {k: v for k, v in identity.items() if k not in ("did", "handle", "time", "seq")}
        self.accounts.add(line, row, extra)
        self.loader.count_records(1)

    def account(self, line: int, did: str, time_us: Any, event: dict[str, Any]) -> None:
        account = event.get("account")
        if not isinstance(account, dict):
            self.bad(line, "account is not a JSON object", event)
            return
        if account.get("did") not in (None, did):
            self.bad(line, "account.did differs from the event's did", event)
            return
        active = account.get("active")
        if active is not None and not isinstance(active, bool):
            self.bad(line, f"account.active is not true/false: {dumps(active)[:40]}", event)
            return
        row: Row = {"account_id": did, "snapshot_at": account.get("time") or time_us}
        extra = {k: v for k, v in account.items() if k not in ("did", "time", "seq")}
        self.accounts.add(line, row, extra)
        self.loader.count_records(1)


def _rest(record: Row, *mapped: str) -> Row:
    """The record's fields without a native column (its ``$type`` and ``createdAt`` are)."""
    skip = {"$type", "createdAt", *mapped}
    return {k: v for k, v in record.items() if k not in skip and v is not None}


def _present(meta: Row) -> Row:
    return {k: v for k, v in meta.items() if v is not None}


@register
class JetstreamImporter(Importer):
    name = "jetstream"
    description = "Bluesky Jetstream events as JSON lines (posts, reposts, follows, profiles)"
    patterns = ("*.jsonl", "*.json", "*.ndjson", "*.jsonl.gz", "*.json.gz", "*.ndjson.gz")

    def check(self, file: Path) -> None:
        check_json(file, "Jetstream JSON lines")

    def read(self, file: Path, loader: Loader, progress: Progress | None) -> None:
        reader = JetstreamReader(loader)
        for line, event in json_records(file, loader.bad, progress):
            reader.event(line, event)
        reader.finish()
