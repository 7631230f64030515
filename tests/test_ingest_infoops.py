"""The information-operations archive importer, on the real Iran subset and on small files."""

from __future__ import annotations

import collections
import csv
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

import separ
from separ.errors import InputError
from separ.ingest import ingest
from separ.ingest.infoops import TWEET_COLUMNS, mention, parse_list

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
IRAN = DATA / "iran_io" / "iran_io_subset_tweets.csv"


def real() -> Path:
    if not IRAN.exists():
        pytest.skip(f"../shared/data/iran_io not found: {IRAN}")
    return IRAN


def tweet(**values: str) -> dict[str, str]:
    row = dict.fromkeys(TWEET_COLUMNS, "")
    row.update(
        tweetid="1",
        userid="u1",
        user_screen_name="sim_one",
        follower_count="10",
        following_count="5",
        account_creation_date="2015-06-01",
        account_language="fa",
        tweet_language="fa",
        tweet_text="hello",
        tweet_time="2018-02-15 20:39",
        is_retweet="false",
        latitude="absent",
        longitude="absent",
        quote_count="0",
        reply_count="0",
        like_count="0",
        retweet_count="0",
        hashtags="[]",
        urls="[]",
        user_mentions="[]",
    )
    row.update(values)
    return row


def write(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or TWEET_COLUMNS
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def quarantine(ws: separ.Workspace) -> list[tuple[Any, ...]]:
    return ws.sql("SELECT line, table_name, reason FROM quarantine ORDER BY line, table_name")


# -- the real archive subset ---------------------------------------------------------------


def independent_counts(path: Path) -> dict[str, Any]:
    """Counts from the CSV with the standard library only: what the importer must match."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = []
        last = reader.line_num
        for row in reader:
            rows.append((last + 1, dict(zip(header, row, strict=True))))
            last = reader.line_num
    first: dict[str, tuple[int, dict[str, str]]] = {}
    duplicates = []
    for line, row in rows:
        if row["tweetid"] in first:
            duplicates.append((line, row, first[row["tweetid"]][1]))
        else:
            first[row["tweetid"]] = (line, row)
    kinds: collections.Counter[str] = collections.Counter()
    for _, row in first.values():
        if row["is_retweet"].lower() == "true":
            kinds["repost"] += 1
        elif row["in_reply_to_tweetid"]:
            kinds["reply"] += 1
        elif row["quoted_tweet_tweetid"]:
            kinds["quote"] += 1
        else:
            kinds["post"] += 1
    return {
        "rows": len(rows),
        "tweets": len(first),
        "users": len({row["userid"] for _, row in rows}),
        "duplicates": duplicates,
        "kinds": dict(kinds),
    }


def test_real_subset_loads_exactly(ws: separ.Workspace) -> None:
    path = real()
    expected = independent_counts(path)
    assert (expected["rows"], expected["tweets"], expected["users"]) == (3232, 3088, 637)
    assert len(expected["duplicates"]) == 144

    report = ingest(ws, path.parent, "infoops", build_activity=False)

    assert [Path(f.source).name for f in report.files] == [path.name]  # seeds.csv is not read
    result = report.files[0]
    assert result.records == 3232
    assert result.tables["posts"].loaded == 3088
    assert result.tables["accounts"].loaded == 637
    assert result.quarantined == 144
    assert ws.sql("SELECT count(*), count(DISTINCT post_id) FROM posts") == [(3088, 3088)]
    assert ws.sql("SELECT count(*) FROM accounts") == [(637,)]
    kinds = dict(ws.sql("SELECT kind, count(*) FROM posts GROUP BY kind"))
    assert kinds == expected["kinds"]

    # every duplicate row is in the quarantine, on its own line, saying what differs
    held = {line: reason for line, table, reason in quarantine(ws) if table == "posts"}
    assert sorted(held) == sorted(line for line, _, _ in expected["duplicates"])
    for line, row, kept in expected["duplicates"]:
        assert held[line].startswith(f"duplicate post_id {row['tweetid']} (line ")
        if row["userid"] != kept["userid"]:
            assert "account_id" in held[line]
    differs_in_account = sum(d[1]["userid"] != d[2]["userid"] for d in expected["duplicates"])
    assert differs_in_account > 0
    assert ws.sql("SELECT count(*) FROM quarantine WHERE reason LIKE '%account_id%'") == [
        (differs_in_account,)
    ]


def test_real_subset_values(ws: separ.Workspace) -> None:
    ingest(ws, real(), "infoops", build_activity=False)
    # no archive list string survives unparsed, in either style
    leftovers = ws.sql(
        "SELECT count(*) FROM posts, unnest(coalesce(hashtags, []) || coalesce(urls, []) "
        "|| coalesce(mentions, [])) AS u(v) WHERE v LIKE '[%' OR v LIKE '%]' OR v LIKE '''%'"
    )
    assert leftovers == [(0,)]
    # both release styles are present and parsed
    assert ws.sql("SELECT count(*) > 0 FROM posts WHERE len(hashtags) > 1") == [(True,)]
    assert ws.sql("SELECT count(*) > 0 FROM posts WHERE mentions[1] LIKE '@%'") == [(True,)]
    # 'absent' coordinates are not kept; engagement counts are numbers in extra
    assert ws.sql("SELECT count(*) FROM posts WHERE extra->>'latitude' IS NOT NULL") == [(0,)]
    assert ws.sql(
        "SELECT count(*) FROM posts WHERE json_type(extra->'like_count') <> 'UBIGINT'"
    ) == [(0,)]
    assert ws.sql("SELECT count(*) FROM posts WHERE lang = ''") == [(0,)]
    # every tweet's author is an account with a snapshot time
    assert ws.sql(
        "SELECT count(*) FROM posts p LEFT JOIN accounts a USING (account_id) "
        "WHERE a.account_id IS NULL OR a.snapshot_at IS NULL"
    ) == [(0,)]


def test_reingest_is_unchanged(ws: separ.Workspace) -> None:
    path = real()
    ingest(ws, path, "infoops", build_activity=False)
    again = ingest(ws, path, "infoops", force=True, build_activity=False).files[0]
    assert again.tables["posts"].loaded == 0
    assert again.tables["posts"].unchanged == 3088
    assert again.tables["accounts"].loaded == 0
    assert again.tables["accounts"].unchanged == 637
    assert ws.sql("SELECT count(*) FROM posts") == [(3088,)]
    assert ws.sql("SELECT count(*) FROM accounts") == [(637,)]


def test_seeds_file_is_not_an_archive_file(ws: separ.Workspace) -> None:
    seeds = real().parent / "seeds.csv"
    with pytest.raises(InputError, match="not an information-operations archive file"):
        ingest(ws, seeds, "infoops", build_activity=False)


# -- small files -----------------------------------------------------------------------------


def test_kinds_references_and_extra(ws: separ.Workspace, tmp_path: Path) -> None:
    rows = [
        tweet(tweetid="1", is_retweet="True", retweet_tweetid="90", retweet_userid="u9"),
        tweet(
            tweetid="2",
            in_reply_to_tweetid="91",
            in_reply_to_userid="u8",
            quoted_tweet_tweetid="92",
        ),
        tweet(tweetid="3", quoted_tweet_tweetid="93"),
        tweet(
            tweetid="4",
            in_reply_to_userid="u7",
            latitude="35.7",
            longitude="51.4",
            like_count="5.0",
        ),
        tweet(tweetid="5", is_retweet="FALSE", poll_choices="yes|no"),
    ]
    ingest(ws, write(tmp_path / "x_tweets_csv_hashed.csv", rows), "infoops", build_activity=False)
    got = ws.sql(
        "SELECT post_id, kind, ref_post_id, ref_account_id, extra FROM posts ORDER BY post_id"
    )
    extras = [json.loads(e) for *_, e in got]
    assert [g[:4] for g in got] == [
        ("1", "repost", "90", "u9"),
        ("2", "reply", "91", "u8"),
        ("3", "quote", "93", None),
        ("4", "post", None, None),
        ("5", "post", None, None),
    ]
    assert extras[1]["quoted_tweet_tweetid"] == "92"  # a reply that also quotes keeps the quote
    assert "in_reply_to_tweetid" not in extras[1]
    assert extras[3]["in_reply_to_userid"] == "u7"
    assert (extras[3]["latitude"], extras[3]["like_count"]) == (35.7, 5)
    assert "latitude" not in extras[0]
    assert extras[4]["poll_choices"] == "yes|no"


def test_list_styles() -> None:
    assert parse_list("['a', 'b']") == ("a", "b")
    assert parse_list('["a", "it\'s"]') == ("a", "it's")
    assert parse_list("[a, b]") == ("a", "b")
    assert parse_list("[https://x.example/a,b]") == ("https://x.example/a", "b")
    assert parse_list("[]") == parse_list("") == parse_list(None) == ()
    assert parse_list("['دختران\\u200cانقلاب']") == ("دختران\u200cانقلاب",)
    assert parse_list("single") == ("single",)
    assert mention("47813521") == "47813521"
    assert mention("sim_handle") == "@sim_handle"
    assert mention("KYOiwo2lAF0h2Sri0iOi4DLcnhyyq+hS7whrTj7bbSM=") == (
        "KYOiwo2lAF0h2Sri0iOi4DLcnhyyq+hS7whrTj7bbSM="
    )


def test_rtl_and_zero_width_text_is_kept(ws: separ.Workspace, tmp_path: Path) -> None:
    text = "\u200fسلام\u200cدنیا \u202bنقل\u202c #آزادی\n@sim"
    bio = "\u200f\u200fآن دل\u200cبرانِ سرمست"
    rows = [
        tweet(
            tweet_text=text,
            user_profile_description=bio,
            user_display_name="\u2066🇮🇷\u2069نام",
            hashtags="['آزادی', 'زن\\u200cزندگی']",
        )
    ]
    ingest(ws, write(tmp_path / "tweets.csv", rows), "infoops", build_activity=False)
    assert ws.sql("SELECT text, hashtags FROM posts") == [(text, ["آزادی", "زن\u200cزندگی"])]
    assert ws.sql("SELECT bio, display_name FROM accounts") == [(bio, "\u2066🇮🇷\u2069نام")]


def test_wrong_types_are_quarantined(ws: separ.Workspace, tmp_path: Path) -> None:
    rows = [
        tweet(tweetid="1"),
        tweet(tweetid="2", is_retweet="maybe"),
        tweet(tweetid="3", like_count="many"),
        tweet(tweetid="4", tweet_time="yesterday"),
        tweet(tweetid="5", follower_count="lots"),
        tweet(tweetid="6", reply_count="9223372036854775808"),  # beyond int64
    ]
    result = ingest(ws, write(tmp_path / "tweets.csv", rows), "infoops", build_activity=False)
    reasons = quarantine(ws)
    assert reasons == [
        (3, None, "is_retweet: not true/false: 'maybe'"),
        (4, None, "like_count: not a number: 'many'"),
        (5, "accounts", "snapshot_at: not a time: yesterday"),
        (5, "posts", "created_at: not a time: yesterday"),
        (6, "accounts", "followers_count: not a whole number: lots"),
        (7, None, "reply_count: out of range: '9223372036854775808'"),
    ]
    assert ws.sql("SELECT post_id FROM posts ORDER BY post_id") == [("1",), ("5",)]
    assert result.files[0].records == 6


def test_missing_values_and_columns(ws: separ.Workspace, tmp_path: Path) -> None:
    ingest(ws, write(tmp_path / "tweets.csv", [tweet(tweetid="")]), "infoops", build_activity=False)
    assert quarantine(ws) == [(2, "posts", "missing post_id")]
    assert ws.sql("SELECT count(*) FROM accounts") == [(1,)]  # the author is still known

    columns = [c for c in TWEET_COLUMNS if c != "tweet_time"]
    path = write(tmp_path / "b_tweets.csv", [tweet()], columns)
    with pytest.raises(
        InputError, match=r"b_tweets.csv:1: tweets file is missing column\(s\) tweet_time"
    ):
        ingest(ws, path, "infoops", build_activity=False)


def test_duplicate_tweet_ids(ws: separ.Workspace, tmp_path: Path) -> None:
    rows = [
        tweet(tweetid="7"),
        tweet(tweetid="7", userid="u2", is_retweet="False"),
        tweet(tweetid="7"),
    ]
    ingest(ws, write(tmp_path / "tweets.csv", rows), "infoops", build_activity=False)
    assert quarantine(ws) == [
        (3, "posts", "duplicate post_id 7 (line 2 kept; differs in account_id)"),
        (4, "posts", "duplicate post_id 7 (line 2 kept; identical row)"),
    ]
    assert ws.sql("SELECT count(*) FROM accounts") == [(2,)]


def test_truncated_file(ws: separ.Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "tweets.csv", [tweet(tweetid="1"), tweet(tweetid="2", tweet_text="cut")]
    )
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"cut") + 3])  # the last row ends in its text
    ingest(ws, path, "infoops", build_activity=False)
    assert ws.sql("SELECT post_id FROM posts") == [("1",)]
    [(line, table, reason)] = quarantine(ws)
    assert (line, table) == (3, None)
    assert reason.startswith("expected 31 fields")


def test_users_file_and_folder_order(ws: separ.Workspace, tmp_path: Path) -> None:
    users = ["userid", "user_screen_name", "follower_count", "account_creation_date", "extra_field"]
    write(
        tmp_path / "x_users_csv_hashed.csv",
        [
            {
                "userid": "u1",
                "user_screen_name": "sim_old",
                "follower_count": "3",
                "account_creation_date": "2014-01-01",
                "extra_field": "kept",
            }
        ],
        users,
    )
    with gzip.open(
        tmp_path / "x_tweets_csv_hashed.csv.gz", "wt", encoding="utf-8", newline=""
    ) as f:
        f.write(
            write(tmp_path / "plain.tmp", [tweet(user_screen_name="sim_new")]).read_text("utf-8")
        )
    report = ingest(ws, tmp_path, "infoops", build_activity=False)
    assert [Path(f.source).name for f in report.files] == [
        "x_users_csv_hashed.csv",
        "x_tweets_csv_hashed.csv.gz",
    ]
    [(handle, followers, extra)] = ws.sql("SELECT handle, followers_count, extra FROM accounts")
    assert (handle, followers) == ("sim_new", 10)  # the tweet's snapshot is newer
    assert json.loads(extra) == {"extra_field": "kept"}


def test_unreadable_inputs(ws: separ.Workspace, tmp_path: Path) -> None:
    binary = tmp_path / "tweets.csv"
    binary.write_bytes(b"\x00\x01\x02\x00garbage")
    with pytest.raises(InputError, match="not a text file"):
        ingest(ws, binary, "infoops", build_activity=False)
    with pytest.raises(InputError, match="no such file"):
        ingest(ws, tmp_path / "missing", "infoops", build_activity=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no infoops files"):
        ingest(ws, empty, "infoops", build_activity=False)
    assert ws.sql("SELECT count(*) FROM posts") == [(0,)]
