"""Disclosure archive of a campaign taken down, in Twitter's information-operations format.

When a platform takes a network down it can publish what the network did, as Twitter did
from 2018 to 2021: a users file and a tweets file, with the accounts that were not public
figures pseudonymised. :func:`export_disclosure` writes a campaign found by Separ (table
``campaigns``) as ``CAMPAIGN_users_csv_hashed.csv`` (10 columns) and
``CAMPAIGN_tweets_csv_hashed.csv`` (31 columns): the columns and value styles of the
archive, so the ``infoops`` importer (:mod:`separ.ingest.infoops`) reads it back.

Pseudonyms (principle 7). Every account with fewer than ``threshold`` (5,000) followers,
or whose follower count is unknown, is pseudonymised wherever it appears: its user id,
screen name and display name, and the references to it in other rows (``retweet_userid``,
``in_reply_to_userid``, ``user_mentions``, ``@name`` in tweet texts and profile
descriptions). Its profile URL is left out. A pseudonym is the HMAC-SHA-256 of the value
under the operator's salt, 32 hex digits, so the same account has the same pseudonym in
both files and in every archive made with the same salt, while nobody without the salt
can recompute it from a known id. The salt itself is never written anywhere (not in the
files, not in the audit log). Accounts at or above the threshold keep their ids and names,
as in Twitter's releases. Tweet ids are kept.

Times are written as the archive writes them: ``tweet_time`` to the minute
(``2018-02-15 20:39``) and ``account_creation_date`` as a date, so a round trip keeps times
to the minute.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from separ.decisions import audit
from separ.errors import ParameterError
from separ.ingest.infoops import TWEET_COLUMNS, USER_COLUMNS
from separ.workspace import Workspace

THRESHOLD = 5000
"""Accounts with fewer followers than this are pseudonymised."""
MIN_SALT = 16
"""Shortest salt accepted, in characters: a short salt could be guessed and the ids with it."""
EXTRA_COLUMNS = ("latitude", "longitude", "quote_count", "reply_count", "like_count", "retweet_count", "poll_choices")  # fmt: skip
"""Archive columns with no native column: taken from the post's ``extra`` when present."""
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_])")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


class Pseudonyms:
    """Salted pseudonyms for accounts below the follower threshold."""

    def __init__(self, salt: str, keep_ids: Iterable[str], keep_handles: Iterable[str]) -> None:
        self._key = salt.encode("utf-8")
        self.keep_ids = frozenset(keep_ids)
        self.keep_handles = frozenset(h.casefold() for h in keep_handles)

    def _hash(self, kind: str, value: str) -> str:
        mac = hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    def user(self, account_id: str | None) -> str | None:
        """The id as published: itself for a kept account, else its pseudonym."""
        if account_id is None or account_id in self.keep_ids:
            return account_id
        return self._hash("user", account_id)

    def handle(self, handle: str | None) -> str | None:
        if handle is None:
            return None
        bare = handle.removeprefix("@")
        if bare.casefold() in self.keep_handles:
            return bare
        return self._hash("handle", bare.casefold())

    def mention(self, item: str) -> str:
        """A native mention: an account id, or an ``@handle`` that did not resolve."""
        if item.startswith("@"):
            return self.handle(item) or item
        return self.user(item) or item

    def text(self, text: str | None) -> str | None:
        """``@name`` of accounts below the threshold replaced by their handle pseudonym."""
        if not text or "@" not in text:
            return text
        return _MENTION.sub(lambda m: "@" + (self.handle(m.group(1)) or m.group(1)), text)


def _check_salt(salt: str) -> None:
    if not isinstance(salt, str) or len(salt.strip()) < MIN_SALT:
        raise ParameterError(
            f"the salt must be at least {MIN_SALT} characters (a secret only the operator "
            "keeps, e.g. 32 random hex digits)"
        )


def _members(ws: Workspace, campaign_id: str) -> list[str]:
    row = next(
        iter(
            ws.con.execute(
                "SELECT accounts FROM campaigns WHERE campaign_id = ?", [campaign_id]
            ).fetchall()
        ),
        None,
    )
    if row is None:
        raise ParameterError(
            f"no campaign {campaign_id!r} in the workspace (run 'separ campaigns')"
        )
    return sorted(set(row[0] or []))


def _int(value: Any) -> str:
    return "" if value is None else str(int(value))


def _archive_list(items: Iterable[str] | None) -> str:
    """A list as the archive writes it: a Python repr, ``[]`` when empty."""
    return repr([str(i) for i in items or []])


def _extra(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    try:
        loaded = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _day(ts: datetime | None) -> str:
    return "" if ts is None else ts.strftime("%Y-%m-%d")


def _user_fields(row: tuple[Any, ...], names: Pseudonyms) -> dict[str, str]:
    """The ten account columns of one account row, pseudonymised below the threshold."""
    account_id, handle, display, location, bio, url, followers, following, created, lang = row
    kept = account_id in names.keep_ids
    return {
        "userid": names.user(account_id) or "",
        "user_display_name": (display or "") if kept else (names.user(account_id) or ""),
        "user_screen_name": (handle or "") if kept else (names.handle(handle) or ""),
        "user_reported_location": location or "",
        "user_profile_description": names.text(bio) or "",
        "user_profile_url": (url or "") if kept else "",
        "follower_count": _int(followers),
        "following_count": _int(following),
        "account_creation_date": _day(created),
        "account_language": lang or "",
    }


def _tweet(post: tuple[Any, ...], user: dict[str, str], names: Pseudonyms) -> dict[str, str]:
    (post_id, _account, created, kind, text, lang, ref_post, ref_account, hashtags, urls,
     mentions, client, extra_raw) = post  # fmt: skip
    extra = _extra(extra_raw)
    row = dict(user)
    ref_user = names.user(ref_account) or ""
    row.update(
        tweetid=post_id,
        tweet_language=lang or "",
        tweet_text=names.text(text) or "",
        tweet_time=created.strftime("%Y-%m-%d %H:%M"),
        tweet_client_name=client or "",
        in_reply_to_userid=ref_user if kind == "reply" else "",
        in_reply_to_tweetid=(ref_post or "") if kind == "reply" else "",
        quoted_tweet_tweetid=(ref_post or "") if kind == "quote" else "",
        is_retweet="true" if kind == "repost" else "false",
        retweet_userid=ref_user if kind == "repost" else "",
        retweet_tweetid=(ref_post or "") if kind == "repost" else "",
        hashtags=_archive_list(h.removeprefix("#") for h in hashtags or []),
        urls=_archive_list(urls),
        user_mentions=_archive_list(names.mention(m) for m in mentions or []),
    )
    for column in EXTRA_COLUMNS:
        value = extra.get(column)
        if column in ("latitude", "longitude"):
            row[column] = "absent" if value is None else str(value)
        else:
            row[column] = "" if value is None else str(value)
    return row


def _write(path: Path, columns: tuple[str, ...], rows: Iterable[dict[str, str]]) -> int:
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def export_disclosure(
    ws: Workspace,
    campaign_id: str,
    out_dir: str | Path,
    salt: str,
    *,
    threshold: int = THRESHOLD,
    actor: str = "separ",
) -> tuple[Path, Path]:
    """Write the users and tweets files of a campaign; return ``(users, tweets)``.

    ``salt`` is the operator's secret (at least 16 characters); accounts with fewer than
    ``threshold`` followers (or an unknown count) are pseudonymised with it. The export is
    recorded in the audit log, without the salt.
    """
    _check_salt(salt)
    if threshold < 0:
        raise ParameterError(f"threshold must be ≥ 0, not {threshold}")
    members = _members(ws, campaign_id)
    con = ws.con
    con.execute("CREATE OR REPLACE TEMP TABLE _dc_members (account_id VARCHAR)")
    con.executemany("INSERT INTO _dc_members VALUES (?)", [[m] for m in members])
    kept = con.execute(
        "SELECT account_id, handle FROM accounts WHERE followers_count >= ?", [threshold]
    ).fetchall()
    names = Pseudonyms(salt, (k[0] for k in kept), (k[1] for k in kept if k[1]))
    accounts = con.execute(
        """SELECT m.account_id, a.handle, a.display_name, a.location, a.bio, a.url,
                  a.followers_count, a.following_count, a.created_at, a.lang
           FROM _dc_members m LEFT JOIN accounts a USING (account_id)
           ORDER BY m.account_id"""
    ).fetchall()
    users = {row[0]: _user_fields(row, names) for row in accounts}
    posts = con.execute(
        """SELECT p.post_id, p.account_id, p.created_at, p.kind, p.text, p.lang, p.ref_post_id,
                  p.ref_account_id, p.hashtags, p.urls, p.mentions, p.client,
                  CAST(p.extra AS VARCHAR)
           FROM posts p JOIN _dc_members m USING (account_id)
           ORDER BY p.created_at, p.post_id"""
    ).fetchall()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = _SAFE_NAME.sub("_", campaign_id).strip("_") or "campaign"
    users_path = out / f"{stem}_users_csv_hashed.csv"
    tweets_path = out / f"{stem}_tweets_csv_hashed.csv"
    n_users = _write(users_path, USER_COLUMNS, (users[m] for m in members))
    n_tweets = _write(tweets_path, TWEET_COLUMNS, (_tweet(p, users[p[1]], names) for p in posts))
    audit.append(
        ws,
        actor,
        "disclose",
        campaign_id,
        {
            "inputs": {"campaign_id": campaign_id, "threshold": threshold},
            "outcome": {
                "users": n_users,
                "tweets": n_tweets,
                "pseudonymised": sum(1 for m in members if m not in names.keep_ids),
                "files": [users_path.name, tweets_path.name],
            },
        },
    )
    return users_path, tweets_path
