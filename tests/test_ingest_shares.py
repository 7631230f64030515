"""The share-table importer, on CooRTweet's two real data sets and on small files."""

from __future__ import annotations

import collections
import csv
import json
from pathlib import Path
from typing import Any

import pytest

import separ
from separ.errors import InputError, ParameterError
from separ.ingest import ingest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def real(name: str) -> Path:
    path = DATA / "coortweet" / name
    if not path.exists():
        pytest.skip(f"../shared/data/coortweet/{name} not found: {path}")
    return path


def rows_of(path: Path) -> list[tuple[int, dict[str, str]]]:
    """``(line, row)`` for every data row, with the standard library's csv module."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return [(i + 2, row) for i, row in enumerate(reader)]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def quarantine(ws: separ.Workspace) -> list[tuple[Any, ...]]:
    return ws.sql("SELECT line, table_name, reason FROM quarantine ORDER BY line, table_name")


# -- CooRTweet's russian_coord_tweets: retweets, a few tweets sharing two objects -----------


def test_russian_coord_tweets(ws: separ.Workspace) -> None:
    path = real("russian_coord_tweets.csv")
    rows = rows_of(path)
    seen: dict[tuple[str, ...], int] = {}
    duplicates = {}
    for line, row in rows:
        key = tuple(row.values())
        if key in seen:
            duplicates[line] = seen[key]
        else:
            seen[key] = line
    contents = {row["content_id"] for _, row in rows}
    shares = {(row["content_id"], row["object_id"]) for _, row in rows}
    assert len(rows) == 35_125
    assert len(contents) == 35_085
    assert len({row["object_id"] for _, row in rows}) == 7_285
    assert len({row["account_id"] for _, row in rows}) == 9_509
    assert len(duplicates) == 1
    assert len(shares) == 35_124  # one post per (content, object): 39 contents share two objects

    result = ingest(ws, path, "shares", build_activity=False).files[0]

    assert result.records == 35_125
    assert result.tables["posts"].loaded == 35_124
    assert result.tables["accounts"].loaded == 9_509
    assert ws.sql("SELECT count(*) FROM posts") == [(35_124,)]
    assert ws.sql("SELECT count(*) FROM accounts") == [(9_509,)]
    [(line, table, reason)] = quarantine(ws)
    assert (line, table) == (next(iter(duplicates)), "posts")
    assert reason.endswith(f"(line {duplicates[line]} kept; identical row)")
    # no share is lost: every (content, object) pair is a repost of its object
    stored = ws.sql("SELECT coalesce(extra->>'content_id', post_id), ref_post_id, kind FROM posts")
    assert {(c, o) for c, o, _ in stored} == shares
    assert {k for *_, k in stored} == {"repost"}
    assert ws.sql("SELECT count(*) FROM posts WHERE contains(post_id, '#')") == [(39,)]
    assert ws.sql("SELECT count(DISTINCT ref_post_id) FROM posts") == [(7_285,)]
    assert ws.sql("SELECT count(*) FROM posts WHERE text IS NOT NULL") == [(0,)]


def test_reingest_is_unchanged(ws: separ.Workspace) -> None:
    path = real("russian_coord_tweets.csv")
    ingest(ws, path, "shares", build_activity=False)
    again = ingest(ws, path, "shares", force=True, build_activity=False).files[0]
    assert again.tables["posts"].loaded == 0
    assert again.tables["posts"].unchanged == 35_124
    assert again.tables["accounts"].loaded == 0
    assert again.tables["accounts"].unchanged == 9_509
    assert ws.sql("SELECT count(*) FROM posts") == [(35_124,)]


# -- CooRTweet's german_elections: one post over several rows, opaque object ids ------------


def test_german_elections(ws: separ.Workspace) -> None:
    path = real("german_elections.csv")
    rows = rows_of(path)
    exact = collections.Counter(tuple(row.values()) for _, row in rows)
    identical = sum(n - 1 for n in exact.values())
    posts = {row["post_id"] for _, row in rows if row["post_id"]}
    no_id = sum(1 for _, row in rows if not row["post_id"])
    pairs = {
        column: {(row["post_id"], row[column]) for _, row in rows if row["post_id"] and row[column]}
        for column in ("url_id", "hashtag_id", "domain_id", "phash_id")
    }
    many_images = collections.Counter(post for post, _ in pairs["phash_id"])
    assert len(rows) == 218_971
    assert len(posts) == 194_323
    assert len({row["account_id"] for _, row in rows}) == 58_317
    assert (identical, no_id) == (24_177, 3)

    result = ingest(ws, path, "shares", build_activity=False).files[0]

    assert result.records == 218_971
    assert result.tables["posts"].loaded == 194_323
    assert result.tables["accounts"].loaded == 58_317
    assert result.quarantined == identical + no_id
    posts_counts = result.tables["posts"]  # every row accounted for
    assert posts_counts.loaded + result.quarantined + posts_counts.merged == len(rows)
    assert ws.sql("SELECT count(*), count(DISTINCT post_id) FROM posts") == [(194_323, 194_323)]
    reasons = dict(
        ws.sql(
            "SELECT CASE WHEN reason LIKE 'duplicate post_id % (line % kept; identical row)' "
            "THEN 'identical' ELSE reason END, count(*) FROM quarantine GROUP BY 1"
        )
    )
    assert reasons == {"identical": identical, "missing post_id": no_id}
    # every (post, object) pair of every kind is kept: lists for urls, hashtags, images;
    # domain ids as a list in extra.domains (posts have no domain column)
    for column, expr in (
        ("url_id", "unnest(urls)"),
        ("hashtag_id", "unnest(hashtags)"),
        ("phash_id", "unnest(media_hashes)"),
        ("domain_id", "unnest(from_json(extra->'domains', '[\"VARCHAR\"]'))"),
    ):
        stored = ws.sql(f"SELECT post_id, v FROM (SELECT post_id, {expr} AS v FROM posts)")
        assert len(stored) == len(pairs[column]), column
        assert set(stored) == pairs[column], column
    assert ws.sql("SELECT count(*) FROM posts WHERE len(media_hashes) > 1") == [
        (sum(n > 1 for n in many_images.values()),)
    ]
    assert ws.sql("SELECT count(*) FROM posts WHERE text IS NOT NULL OR kind <> 'post'") == [(0,)]


# -- small files -----------------------------------------------------------------------------


def test_combines_rows_and_splits_objects(ws: separ.Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "shares.csv",
        "account_id,content_id,object_id,timestamp_share,url,hashtag,domain,phash,note\n"
        "a1,c1,o1,1623881091,https://x.example/1,tag1,x.example,phash:ff,n\n"
        "a1,c1,o1,1623881091,https://x.example/2,tag1,x.example,,n\n"
        "a1,c1,o2,1623881091,,,,,n\n"
        "a2,c2,,1623881000,,,,,\n",
    )
    ingest(ws, path, "shares", build_activity=False)
    got = ws.sql(
        "SELECT post_id, account_id, kind, ref_post_id, urls, hashtags, media_hashes, extra, "
        "epoch(created_at)::BIGINT FROM posts ORDER BY post_id"
    )
    assert got == [
        (
            "c1",
            "a1",
            "repost",
            "o1",
            ["https://x.example/1", "https://x.example/2"],
            ["tag1"],
            ["phash:ff"],
            json.dumps({"domains": ["x.example"], "note": "n"}, separators=(",", ":")),
            1623881091,
        ),
        ("c1#o2", "a1", "repost", "o2", None, None, None, got[1][7], 1623881091),
        ("c2", "a2", "post", None, None, None, None, None, 1623881000),
    ]
    assert json.loads(got[1][7]) == {"content_id": "c1", "note": "n"}
    assert quarantine(ws) == []


def test_duplicate_and_conflicting_rows(ws: separ.Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "shares.csv",
        "account_id,post_id,timestamp\na1,p1,1629589836.0\na1,p1,1629589836.0\na2,p1,1629589836.0\n",
    )
    ingest(ws, path, "shares", build_activity=False)
    assert ws.sql("SELECT post_id, account_id FROM posts") == [("p1", "a1")]
    assert quarantine(ws) == [
        (3, "posts", "duplicate post_id p1 (line 2 kept; identical row)"),
        (4, "posts", "duplicate post_id p1 (line 2 kept; differs in account_id)"),
    ]


def test_rows_without_a_content_column_are_posts_of_their_own(
    ws: separ.Workspace, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "flat.csv",
        "user_id,created_at\nu1,2021-01-01T00:00:00Z\nu1,2021-01-01T00:00:00Z\nu2,2021-01-02T00:00:00+03:30\n",
    )
    ingest(ws, path, "shares", build_activity=False)
    assert ws.sql("SELECT post_id, account_id FROM posts ORDER BY post_id") == [
        ("flat:2", "u1"),
        ("flat:4", "u2"),
    ]
    assert quarantine(ws) == [(3, "posts", "duplicate post_id flat:2 (line 2 kept; identical row)")]


def test_rtl_and_zero_width_text_is_kept(ws: separ.Workspace, tmp_path: Path) -> None:
    text = "\u200fسلام\u200cدنیا \u202bنقل\u202c"
    path = tmp_path / "fa.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(
            [
                ["author_id", "tweet_id", "time", "text", "hashtag"],
                ["a", "1", "1600000000", text, "زن\u200cزندگی"],
            ]
        )
    ingest(ws, path, "shares", build_activity=False)
    assert ws.sql("SELECT text, hashtags FROM posts") == [(text, ["زن\u200cزندگی"])]


def test_wrong_types_and_missing_values(ws: separ.Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.csv",
        "account_id,content_id,timestamp\na1,c1,soon\n,c2,1600000000\na3,c3,1600000000\n",
    )
    ingest(ws, path, "shares", build_activity=False)
    assert quarantine(ws) == [
        (2, "posts", "created_at: not a time: soon"),
        (3, "posts", "missing account_id"),
    ]
    assert ws.sql("SELECT post_id FROM posts") == [("c3",)]


def test_missing_columns_are_file_errors(ws: separ.Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "notime.csv", "account_id,content_id\na,1\n")
    with pytest.raises(
        InputError, match=r"notime.csv:1: no time column \(looked for timestamp_share"
    ):
        ingest(ws, path, "shares", build_activity=False)
    path = write(tmp_path / "noacc.csv", "who,when\na,1600000000\n")
    with pytest.raises(InputError, match=r"noacc\.csv:1: no account column"):
        ingest(ws, path, "shares", build_activity=False)


def test_columns_named_explicitly(
    ws: separ.Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "named.csv", "who,when,what,id\na,1600000000,o1,x\n")
    named = {"account": "who", "time": "when", "object": "what"}
    ingest(ws, path, "shares", build_activity=False, options=named)
    assert ws.sql("SELECT post_id, account_id, kind, ref_post_id FROM posts") == [
        ("x", "a", "repost", "o1")
    ]
    with pytest.raises(
        InputError, match="has no column 'nobody' \\(given as the account column\\)"
    ):
        ingest(ws, path, "shares", force=True, build_activity=False, options={"account": "nobody"})
    with pytest.raises(ParameterError, match="format shares has no option colour"):
        ingest(ws, path, "shares", build_activity=False, options={"colour": "red"})


def test_truncated_file(ws: separ.Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "cut.csv", "account_id,content_id,timestamp\na,1,1600000000\nb,2")
    ingest(ws, path, "shares", build_activity=False)
    assert ws.sql("SELECT post_id FROM posts") == [("1",)]
    assert quarantine(ws) == [(3, None, "expected 3 fields, found 2")]


def test_unreadable_inputs(ws: separ.Workspace, tmp_path: Path) -> None:
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\x00\x00\x00\x00")
    with pytest.raises(InputError, match="not a text file"):
        ingest(ws, binary, "shares", build_activity=False)
    empty = write(tmp_path / "empty.csv", "")
    with pytest.raises(InputError, match="is empty"):
        ingest(ws, empty, "shares", build_activity=False)
    # nothing half-loaded, and no staging table left behind
    assert ws.sql("SELECT count(*) FROM posts") == [(0,)]
    assert ws.sql(
        "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '\\_stage%' ESCAPE '\\'"
    ) == [(0,)]


def test_utf16_files(ws: separ.Workspace, tmp_path: Path) -> None:
    data = "account_id,content_id,timestamp\nسارا,1,1600000000\n".encode("utf-16")
    (tmp_path / "u16.csv").write_bytes(data)
    ingest(ws, tmp_path / "u16.csv", "shares", build_activity=False)
    assert ws.sql("SELECT account_id FROM posts") == [("سارا",)]
    (tmp_path / "odd.csv").write_bytes(data + b"x")  # cut inside a UTF-16 code unit
    with pytest.raises(InputError, match=r"odd\.csv: cannot be decoded"):
        ingest(ws, tmp_path / "odd.csv", "shares", build_activity=False)
