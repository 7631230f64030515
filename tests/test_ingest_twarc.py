"""The twarc importer: Twitter API v2 pages and flattened tweets written by twarc2.

Fixtures (``tests/fixtures/twarc``) are hand-made with simulated ids and handles:
``search_pages.jsonl`` holds two response pages; ``search_flat.jsonl`` is the same two
pages passed through ``twarc2 flatten``'s algorithm.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from separ.errors import InputError
from separ.ingest import ingest
from separ.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures" / "twarc"
PAGES = FIXTURES / "search_pages.jsonl"
FLAT = FIXTURES / "search_flat.jsonl"
RTL = "آزادی\u200cخواهان \u200f#زن_زندگی_آزادی\u200b"  # ZWNJ, RLM, zero-width space
X, Y = "1500000000000000001", "1500000000000000002"  # the included (context) tweets
AVA, BAHAR, CYRUS, DANA = "900000001", "900000002", "900000003", "900000004"


def pages() -> list[dict[str, Any]]:
    return [json.loads(line) for line in PAGES.read_text(encoding="utf-8").splitlines()]


def write(path: Path, records: list[Any]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


def reasons(ws: Workspace) -> list[tuple[int, str]]:
    rows = ws.sql("SELECT line, reason FROM quarantine ORDER BY line, reason")
    return [(int(line), str(reason)) for line, reason in rows]


def tweet(tid: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": tid,
        "author_id": AVA,
        "created_at": "2022-09-21T09:00:00.000Z",
        "text": "simulated",
        **fields,
    }


def test_pages_map_tweets_users_references_and_entities(ws: Workspace) -> None:
    report = ingest(ws, PAGES, "twarc", build_activity=False)
    result = report.files[0]
    assert result.quarantined == 0
    assert result.tables["posts"].loaded == 7  # 5 records + the 2 included tweets, once each
    assert result.tables["accounts"].loaded == 4
    assert result.not_loaded["twarc2 error stubs (deleted, protected, suspended)"] == 1
    assert result.records == 5 + 2 + 8 + 1  # data tweets, included tweets, user objects, errors
    posts = {
        r[0]: r[1:]
        for r in ws.sql(
            "SELECT post_id, account_id, kind, ref_post_id, ref_account_id, hashtags, urls, "
            "mentions, client, lang FROM posts"
        )
    }
    assert posts["1500000000000000011"][:4] == (BAHAR, "repost", X, AVA)
    assert posts["1500000000000000012"][:4] == (CYRUS, "reply", Y, DANA)
    assert posts["1500000000000000013"][:4] == (DANA, "quote", X, AVA)
    # a reply that also quotes is a reply; the quote stays in extra.referenced_tweets
    assert posts["1500000000000000022"][:4] == (BAHAR, "reply", Y, DANA)
    assert posts["1500000000000000022"][6] == [DANA, "@sim_unknown"]
    assert posts[X][:4] == (AVA, "post", None, None)
    assert posts[X][4] == ["زن_زندگی_آزادی"]
    assert posts[Y][5] == ["https://example.org/news/1"]  # expanded_url, not t.co
    assert posts[Y][7:] == ("Twitter for Android", "en")
    extra = json.loads(ws.sql(f"SELECT extra FROM posts WHERE post_id = '{X}'")[0][0])
    assert extra["attachments"]["media"][0]["url"] == "https://pbs.twimg.com/media/SimPhoto1.jpg"
    assert extra["public_metrics"]["retweet_count"] == 2  # the first copy of the file
    referenced = ws.sql("SELECT extra FROM posts WHERE post_id = '1500000000000000022'")[0][0]
    assert json.loads(referenced)["referenced_tweets"][1] == {"type": "quoted", "id": X}


def test_accounts_are_snapshots_at_retrieval_time(ws: Workspace) -> None:
    ingest(ws, PAGES, "twarc", build_activity=False)
    rows = ws.sql(
        "SELECT account_id, handle, followers_count, following_count, posts_count, "
        "default_avatar, CAST(snapshot_at AS VARCHAR), url, created_at IS NOT NULL "
        "FROM accounts ORDER BY account_id"
    )
    assert [r[0] for r in rows] == [AVA, BAHAR, CYRUS, DANA]
    ava, bahar, cyrus, _ = rows
    assert ava[1:5] == ("sim_ava", 5200, 310, 8800)
    assert ava[7] == "https://example.org/ava"  # entities.url, not the t.co link
    assert (ava[5], bahar[5], cyrus[5]) == (False, True, True)
    assert bahar[2] == 7  # page 2 was retrieved later: its counts win
    assert {r[6] for r in rows} == {"2022-09-22 00:00:02"}
    assert all(r[8] for r in rows)


def test_flattened_lines_load_the_same_rows_as_pages(tmp_path: Path) -> None:
    tables = {}
    for name, path in (("pages", PAGES), ("flat", FLAT)):
        with Workspace(tmp_path / f"{name}.duckdb") as ws:
            ingest(ws, path, "twarc", build_activity=False)
            assert ws.sql("SELECT count(*) FROM quarantine") == [(0,)]
            tables[name] = {
                t: sorted(
                    ws.sql(
                        f"SELECT * EXCLUDE (_ingest, _line, extra), CAST(extra AS VARCHAR) FROM {t}"
                    ),
                    key=str,
                )
                for t in ("posts", "accounts")
            }
    assert tables["pages"] == tables["flat"]
    assert len(tables["flat"]["posts"]) == 7


def test_reingest_adds_nothing(ws: Workspace) -> None:
    ingest(ws, PAGES, "twarc", build_activity=False)
    before = ws.counts()
    again = ingest(ws, PAGES, "twarc", force=True, build_activity=False).files[0]
    assert ws.counts() == before
    assert again.total("loaded") == 0
    assert again.tables["posts"].unchanged == 7
    assert again.tables["accounts"].unchanged == 4
    assert again.quarantined == 0
    skipped = ingest(ws, PAGES, "twarc", build_activity=False).files[0]
    assert skipped.skipped is not None


def test_rtl_and_zero_width_text_is_kept_as_typed(ws: Workspace) -> None:
    ingest(ws, FLAT, "twarc", build_activity=False)
    assert ws.sql(f"SELECT text FROM posts WHERE post_id = '{X}'") == [
        (RTL + " https://t.co/simmedia",)
    ]
    assert ws.sql(f"SELECT bio FROM accounts WHERE account_id = '{AVA}'") == [(RTL,)]


def test_truncated_file_keeps_the_complete_lines(ws: Workspace, tmp_path: Path) -> None:
    text = PAGES.read_text(encoding="utf-8")
    cut = tmp_path / "cut.jsonl"
    cut.write_text(text[: len(text) - 500], encoding="utf-8")
    result = ingest(ws, cut, "twarc", build_activity=False).files[0]
    assert result.tables["posts"].loaded == 5  # page 1: 3 records + 2 included
    [(line, reason)] = reasons(ws)
    assert line == 2
    assert reason.startswith("not valid JSON")


def test_wrong_types_are_quarantined_with_reasons(ws: Workspace, tmp_path: Path) -> None:
    page = {
        "data": [
            tweet("1", created_at="yesterday"),
            tweet("2", lang=None),
            "not a tweet",
            tweet({"nested": 1}),  # type: ignore[arg-type]
        ],
        "includes": {
            "users": [
                {"id": AVA, "username": "sim_ava", "public_metrics": {"followers_count": "many"}}
            ]
        },
    }
    odd_ref = tweet("3", referenced_tweets=[{"type": ["quoted"], "id": "2"}])
    odd_includes = {"data": [tweet("4")], "includes": {"users": 1, "tweets": {"id": "9"}}}
    path = write(
        tmp_path / "types.jsonl",
        [page, {"data": 42}, ["a", "list"], {"foo": 1}, odd_ref, odd_includes],
    )
    result = ingest(ws, path, "twarc", build_activity=False).files[0]
    assert reasons(ws) == [
        (1, "a data item is not a JSON object"),
        (1, "created_at: not a time: yesterday"),
        (1, "followers_count: not a whole number: many"),
        (1, 'tweet id is not a string: {"nested": 1}'),
        (2, "data is neither a list nor an object"),
        (3, "not a JSON object but a list"),
        (4, "neither a twarc2 page nor a tweet (keys: foo)"),
        (6, "includes.tweets is not a list"),
        (6, "includes.users is not a list"),
    ]
    assert result.tables["posts"].loaded == 3
    # a reference whose type is not a name references nothing: the tweet is a post
    assert ws.sql("SELECT post_id, kind FROM posts ORDER BY 1") == [
        ("2", "post"),
        ("3", "post"),
        ("4", "post"),
    ]


def test_a_surrogate_cut_in_half_becomes_a_replacement_character(
    ws: Workspace, tmp_path: Path
) -> None:
    # a text truncated inside an emoji's UTF-16 pair: "\ud83c" alone, in the JSON escape
    path = tmp_path / "cut.jsonl"
    path.write_text(json.dumps({"data": [tweet("1", text="cut \ud83c")]}) + "\n", "utf-8")
    assert "\\ud83c" in path.read_text(encoding="utf-8")
    ingest(ws, path, "twarc", build_activity=False)
    assert ws.sql("SELECT text FROM posts") == [("cut \ufffd",)]
    assert ws.count("quarantine") == 0


def test_missing_ids_and_required_fields_are_quarantined(ws: Workspace, tmp_path: Path) -> None:
    no_id = {k: v for k, v in tweet("x").items() if k != "id"}
    no_author = {k: v for k, v in tweet("3").items() if k != "author_id"}
    v1 = {"id_str": "5", "user": {"id_str": "6"}, "text": "a v1.1 tweet"}
    path = write(
        tmp_path / "missing.jsonl",
        [
            {"data": [no_id, no_author], "includes": {"users": [{"username": "sim_noid"}]}},
            no_id,  # a flattened tweet without id
            {"username": "sim_noid2", "name": "No Id"},
            v1,
        ],
    )
    ingest(ws, path, "twarc", build_activity=False)
    assert reasons(ws) == [
        (1, "missing account_id"),
        (1, "tweet without id"),
        (1, "user without id"),
        (2, "tweet without id"),
        (3, "user without id"),
        (4, "a Twitter API v1.1 object (twarc 1 output); this importer reads API v2"),
    ]
    raw = ws.sql("SELECT raw FROM quarantine WHERE line = 2")[0][0]
    assert json.loads(raw)["text"] == "simulated"


def test_duplicate_records_are_quarantined_but_context_is_not(
    ws: Workspace, tmp_path: Path
) -> None:
    first, second = pages()
    second["data"].append({**first["data"][0], "text": "edited"})  # a record seen twice
    path = write(tmp_path / "dupes.jsonl", [first, second])
    result = ingest(ws, path, "twarc", build_activity=False).files[0]
    [(line, reason)] = reasons(ws)
    assert line == 2
    assert reason == ("duplicate post_id 1500000000000000011 (line 1 kept; differs in text)")
    # X is in the includes of both pages, Y too: loaded once each, not duplicates
    assert result.tables["posts"].loaded == 7
    assert ws.sql(f"SELECT count(*) FROM posts WHERE post_id IN ('{X}', '{Y}')") == [(2,)]


def test_an_included_tweet_that_is_also_a_record_is_loaded_as_the_record(
    ws: Workspace, tmp_path: Path
) -> None:
    first, _ = pages()
    x = next(t for t in first["includes"]["tweets"] if t["id"] == X)
    page = {"data": [{**x, "text": "the record"}], "__twarc": first["__twarc"]}
    path = write(tmp_path / "both.jsonl", [first, page])
    ingest(ws, path, "twarc", build_activity=False)
    assert reasons(ws) == []
    assert ws.sql(f"SELECT text, _line FROM posts WHERE post_id = '{X}'") == [("the record", 2)]


def test_single_tweet_pages_and_user_pages(ws: Workspace, tmp_path: Path) -> None:
    lookup = {
        "data": tweet("7", text="one tweet"),
        "includes": {"users": [{"id": AVA, "username": "sim_ava"}]},
    }
    users = {
        "data": [{"id": BAHAR, "username": "sim_bahar", "pinned_tweet_id": "8"}],
        "includes": {"tweets": [tweet("8", author_id=BAHAR)]},
        "__twarc": {"retrieved_at": "2023-01-01T00:00:00+00:00"},
    }
    path = write(tmp_path / "lookup.jsonl", [lookup, users])
    ingest(ws, path, "twarc", build_activity=False)
    assert reasons(ws) == []
    assert ws.sql("SELECT post_id, account_id FROM posts ORDER BY 1") == [("7", AVA), ("8", BAHAR)]
    assert ws.sql("SELECT account_id, CAST(snapshot_at AS VARCHAR) FROM accounts ORDER BY 1") == [
        (AVA, None),  # no __twarc: when the profile was seen is unknown
        (BAHAR, "2023-01-01 00:00:00"),
    ]


def test_unreadable_files_raise_input_error(tmp_path: Path, ws: Workspace) -> None:
    with pytest.raises(InputError, match="no such file"):
        ingest(ws, tmp_path / "absent.jsonl", "twarc")
    csv = tmp_path / "tweets.jsonl"
    csv.write_text("\n\nid,text\n1,hello\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"tweets.jsonl:3: is not JSON"):
        ingest(ws, csv, "twarc")
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\x00\x01\x02\x03garbage")
    with pytest.raises(InputError, match="not a text file"):
        ingest(ws, binary, "twarc")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no twarc files"):
        ingest(ws, tmp_path / "empty", "twarc")
    assert ws.counts()["posts"] == 0


def test_a_second_file_repeating_context_tweets_loads_its_new_tweets(
    ws: Workspace, tmp_path: Path
) -> None:
    first, second = pages()
    ingest(ws, write(tmp_path / "day1.jsonl", [first]), "twarc", build_activity=False)
    ingest(ws, write(tmp_path / "day2.jsonl", [second]), "twarc", build_activity=False)
    loaded = {r[0] for r in ws.sql("SELECT post_id FROM posts")}
    assert {"1500000000000000021", "1500000000000000022"} <= loaded
