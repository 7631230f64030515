"""The disclosure archive of a campaign: the information-operations columns, a round trip
through the ``infoops`` importer, pseudonyms below 5,000 followers (never the salt), and
the real Iran archive subset written back out and read again."""

from __future__ import annotations

import csv
import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from separ.errors import ParameterError
from separ.exports.disclosure import (
    TWEET_COLUMNS,
    USER_COLUMNS,
    Pseudonyms,
    export_disclosure,
)
from separ.ingest import ingest
from separ.ingest.infoops import ACCOUNT_COLUMNS
from separ.workspace import Workspace
from tests.conftest import data_path, fresh, truth_accounts

SALT = "k3y-only-the-operator-knows-9f2c"


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def pseudo(kind: str, value: str) -> str:
    """The pseudonym, computed independently of the module."""
    return hmac.new(SALT.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


@pytest.fixture(scope="module")
def archive(
    scenario: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Workspace, list[str], str, Path, Path]]:
    """An operation's accounts as a campaign, one of them made a 12,000-follower account."""
    ops = sorted(a for a, r in truth_accounts(scenario).items() if r["operator"] == "op1")
    with fresh(scenario, "disclosure") as ws:
        ws.con.execute("INSERT INTO campaigns (campaign_id, accounts) VALUES ('c-op1', ?)", [ops])
        big = ws.sql(
            "SELECT account_id FROM posts WHERE account_id IN (SELECT unnest(?)) "
            "GROUP BY account_id ORDER BY count(*) DESC, account_id LIMIT 1",
            [ops],
        )[0][0]
        ws.con.execute("UPDATE accounts SET followers_count = 12000 WHERE account_id = ?", [big])
        users, tweets = export_disclosure(ws, "c-op1", tmp_path_factory.mktemp("dc"), SALT)
        yield ws, ops, big, users, tweets


def test_the_files_have_the_archive_columns(
    archive: tuple[Workspace, list[str], str, Path, Path],
) -> None:
    _, ops, _, users, tweets = archive
    assert users.name == "c-op1_users_csv_hashed.csv"
    assert tweets.name == "c-op1_tweets_csv_hashed.csv"
    with open(users, encoding="utf-8") as f:
        assert tuple(next(csv.reader(f))) == USER_COLUMNS
    with open(tweets, encoding="utf-8") as f:
        assert tuple(next(csv.reader(f))) == TWEET_COLUMNS
    assert set(USER_COLUMNS) == set(ACCOUNT_COLUMNS)  # what the importer maps
    assert len(TWEET_COLUMNS) == 31
    assert len(rows(users)) == len(ops)


def test_small_accounts_are_pseudonymised_and_big_ones_keep_their_ids(
    archive: tuple[Workspace, list[str], str, Path, Path],
) -> None:
    ws, ops, big, users, tweets = archive
    handles = dict(ws.sql("SELECT account_id, handle FROM accounts"))
    published = {r["userid"] for r in rows(users)}
    assert big in published
    small = [a for a in ops if a != big]
    assert published == {big} | {pseudo("user", a) for a in small}
    by_id = {r["userid"]: r for r in rows(users)}
    assert by_id[big]["user_screen_name"] == handles[big]
    for a in small:
        row = by_id[pseudo("user", a)]
        assert row["user_screen_name"] == pseudo("handle", handles[a].casefold())
        assert row["user_display_name"] == pseudo("user", a)
        assert row["user_profile_url"] == ""
    content = users.read_text(encoding="utf-8") + tweets.read_text(encoding="utf-8")
    for a in small:
        assert a not in content
        assert f",{handles[a]}," not in content
        assert f"@{handles[a]}" not in content


def test_the_salt_is_written_nowhere(
    archive: tuple[Workspace, list[str], str, Path, Path],
) -> None:
    ws, _, _, users, tweets = archive
    for path in (users, tweets):
        assert SALT.encode() not in path.read_bytes()
    audit = ws.sql("SELECT action, subject, CAST(detail AS VARCHAR) FROM audit_log")
    assert [(a, s) for a, s, _ in audit] == [("disclose", "c-op1")]
    assert SALT not in audit[0][2]


def test_references_to_small_accounts_outside_the_campaign_are_pseudonymised(
    archive: tuple[Workspace, list[str], str, Path, Path],
) -> None:
    ws, ops, _, _, tweets = archive
    refs = ws.sql(
        "SELECT post_id, kind, ref_account_id FROM posts WHERE account_id IN (SELECT unnest(?)) "
        "AND ref_account_id IS NOT NULL",
        [ops],
    )
    assert refs
    followers = dict(ws.sql("SELECT account_id, followers_count FROM accounts"))
    out = {r["tweetid"]: r for r in rows(tweets)}
    for post_id, kind, ref in refs:
        column = {"repost": "retweet_userid", "reply": "in_reply_to_userid"}.get(kind)
        if column is None:
            continue
        kept = (followers.get(ref) or 0) >= 5000
        assert out[post_id][column] == (ref if kept else pseudo("user", ref))


def test_round_trip_through_the_infoops_importer(
    archive: tuple[Workspace, list[str], str, Path, Path], tmp_path: Path
) -> None:
    ws, ops, big, users, _tweets = archive
    names = Pseudonyms(SALT, [big], [])
    original: dict[str, tuple[Any, ...]] = {
        r[0]: r
        for r in ws.sql(
            "SELECT post_id, account_id, kind, ref_post_id, ref_account_id, hashtags, "
            "strftime(created_at, '%Y-%m-%d %H:%M'), text FROM posts "
            "WHERE account_id IN (SELECT unnest(?))",
            [ops],
        )
    }
    with Workspace(tmp_path / "back.duckdb") as back:
        report = ingest(back, users.parent, "infoops")
        assert back.count("quarantine") == 0, report
        again = {
            r[0]: r
            for r in back.sql(
                "SELECT post_id, account_id, kind, ref_post_id, ref_account_id, hashtags, "
                "strftime(created_at, '%Y-%m-%d %H:%M'), text FROM posts"
            )
        }
        accounts = back.count("accounts")
    assert accounts == len(ops)
    assert again.keys() == original.keys()
    for post_id, (_, account, kind, ref_post, ref_account, tags, minute, text) in original.items():
        got = again[post_id]
        assert got[1] == names.user(account)
        assert got[2:4] == (kind, ref_post)
        if kind in ("repost", "reply"):
            assert got[4] == names.user(ref_account)
        assert (got[5] or []) == [t.removeprefix("#") for t in tags or []]
        assert got[6] == minute
        assert got[7] == names.text(text)


def test_bad_inputs_are_one_clear_error(
    archive: tuple[Workspace, list[str], str, Path, Path], tmp_path: Path
) -> None:
    ws = archive[0]
    with pytest.raises(ParameterError, match="at least 16 characters"):
        export_disclosure(ws, "c-op1", tmp_path, "short")
    with pytest.raises(ParameterError, match="no campaign 'c-none'"):
        export_disclosure(ws, "c-none", tmp_path, SALT)


def test_text_mentions_are_replaced_unless_the_account_is_kept() -> None:
    names = Pseudonyms(SALT, ["1"], ["BigNews"])
    text = "RT @small_one: see @BigNews and mail a@b.org"
    assert names.text(text) == (
        f"RT @{pseudo('handle', 'small_one')}: see @BigNews and mail a@b.org"
    )
    assert names.mention("@Small_One") == pseudo("handle", "small_one")
    assert names.mention("1") == "1"
    assert names.mention("2") == pseudo("user", "2")


def test_the_real_archive_subset_round_trips(tmp_path: Path) -> None:
    source = data_path("iran_io", "iran_io_subset_tweets.csv")
    with Workspace(tmp_path / "iran.duckdb") as ws:
        ingest(ws, source, "infoops")
        accounts = [r[0] for r in ws.sql("SELECT account_id FROM accounts ORDER BY 1")]
        big = {
            r[0] for r in ws.sql("SELECT account_id FROM accounts WHERE followers_count >= 5000")
        }
        ws.con.execute(
            "INSERT INTO campaigns (campaign_id, accounts) VALUES ('iran', ?)", [accounts]
        )
        _users, _tweets = export_disclosure(ws, "iran", tmp_path / "out", SALT)
        posts = ws.count("posts")
    with Workspace(tmp_path / "back.duckdb") as back:
        ingest(back, tmp_path / "out", "infoops")
        assert back.count("posts") == posts
        assert back.count("quarantine") == 0
        ids = {r[0] for r in back.sql("SELECT account_id FROM accounts")}
    assert big
    assert big <= ids
    small = {pseudo("user", a) for a in accounts if a not in big}
    assert small  # the subset has accounts under 5,000 followers too
    assert ids - big == small
