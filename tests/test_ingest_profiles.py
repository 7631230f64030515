"""The profiles importer: Twitter v1.1 user objects, Bot Repository folders, cresci CSVs.

Counts on the real data in ../shared/data were verified independently of Separ, with
plain ``csv``/``json`` reads of the same files (repeated in ``test_real_*`` where cheap).
Small malformed inputs are written into tmp_path with simulated ids and handles.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from separ.errors import InputError
from separ.ingest import ingest
from separ.workspace import Workspace
from tests.conftest import data_path

RTL = "آزادی\u200cخواهان \u200f#زن_زندگی_آزادی\u200b"  # ZWNJ, RLM, zero-width space
CONFLICT = "conflicting labels for one account in this file"


def reasons(ws: Workspace) -> list[tuple[int, str]]:
    rows = ws.sql("SELECT line, reason FROM quarantine ORDER BY line, reason")
    return [(int(line), str(reason)) for line, reason in rows]


def user(uid: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": int(uid),
        "id_str": uid,
        "screen_name": f"sim_{uid}",
        "name": f"Sim {uid}",
        "created_at": "Tue May 07 06:43:25 +0000 2013",
        "followers_count": 10,
        "friends_count": 20,
        "statuses_count": 30,
        "favourites_count": 40,
        "default_profile_image": False,
        "verified": False,
        **fields,
    }


def jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


# -- real data ------------------------------------------------------------------------------


def test_real_cresci2015_csvs(ws: Workspace) -> None:
    folder = data_path("cresci2015")
    report = ingest(ws, folder, "profiles", build_activity=False)
    assert [(Path(f.source).name, f.records, f.quarantined) for f in report.files] == [
        ("E13_genuine_users.csv", 1481, 0),
        ("INT_fake_users.csv", 1337, 0),
    ]
    assert ws.sql("SELECT dataset, label, count(*) FROM labels GROUP BY ALL ORDER BY 1") == [
        ("E13_genuine_users", "genuine", 1481),
        ("INT_fake_users", "fake", 1337),
    ]
    assert ws.sql(
        "SELECT CAST(snapshot_at AS VARCHAR), count(*), count(verified), sum(verified::INT), "
        "sum(default_avatar::INT), count(created_at), count(followers_count) "
        "FROM accounts GROUP BY 1 ORDER BY 1"
    ) == [
        ("2015-02-14 10:40:00", 1337, 1337, 0, 4, 1337, 1337),  # INT (fake)
        ("2015-02-14 10:54:00", 1481, 1481, 0, 4, 1481, 1481),  # E13 (genuine)
    ]
    assert ws.count("accounts") == 2818
    # independent check: the file's rows, its ids and its default_profile_image cells
    for name in ("E13_genuine_users.csv", "INT_fake_users.csv"):
        with open(folder / name, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        loaded = ws.sql(
            "SELECT count(*) FROM labels l JOIN accounts a USING (account_id) WHERE dataset = ?",
            [name.removesuffix(".csv")],
        )
        assert loaded == [(len({r["id"] for r in rows}),)]
    # everything without a native column is kept, under its source name
    extra = ws.sql("SELECT extra FROM accounts LIMIT 1")[0][0]
    assert {"favourites_count", "listed_count", "time_zone", "dataset"} <= set(json.loads(extra))


def test_real_bot_repository_folders(ws: Workspace) -> None:
    folder = data_path("botrepo")
    report = ingest(ws, folder, "profiles", build_activity=False)
    files = {Path(f.source).name: f for f in report.files}
    assert {n: (f.records, f.quarantined) for n, f in files.items()} == {
        "cresci-rtbust-2019.tsv": (759, 0),
        "cresci-rtbust-2019_tweets.json": (693, 0),
        "gilani-2017.tsv": (2652, 38),  # 19 accounts labelled both bot and human
        "gilani-2017_tweets.json": (2494, 0),
    }
    assert ws.sql("SELECT dataset, label, count(*) FROM labels GROUP BY ALL ORDER BY ALL") == [
        ("cresci-rtbust-2019", "bot", 391),
        ("cresci-rtbust-2019", "human", 368),
        ("gilani-2017", "bot", 1111),
        ("gilani-2017", "human", 1503),
    ]
    conflicts = ws.sql(f"SELECT count(*) FROM quarantine WHERE reason LIKE '{CONFLICT}%'")
    assert conflicts == [(38,)]
    # labels whose account has no profile in the JSON, and profiles without a label
    per_file = """SELECT count(*) FILTER (WHERE a.account_id IS NULL),
                         count(*) FILTER (WHERE a.account_id IS NOT NULL)
                  FROM labels l LEFT JOIN accounts a USING (account_id) WHERE l.dataset = ?"""
    assert ws.sql(per_file, ["gilani-2017"]) == [(149, 2465)]
    assert ws.sql(per_file, ["cresci-rtbust-2019"]) == [(66, 693)]
    unlabelled = ws.sql(
        "SELECT count(*) FROM accounts a WHERE NOT EXISTS "
        "(SELECT 1 FROM labels l WHERE l.account_id = a.account_id)"
    )
    assert unlabelled == [(10 + 19,)]  # 10 never labelled in the TSV, 19 conflicting
    assert ws.count("accounts") == 2494 + 693
    # snapshot = the wrapper's created_at, never before the account's creation
    assert ws.sql(
        "SELECT count(snapshot_at), count(*) FILTER (WHERE snapshot_at < created_at) FROM accounts"
    ) == [(3187, 0)]
    # independent check of the JSON side
    for name in ("gilani-2017", "cresci-rtbust-2019"):
        with open(folder / name / f"{name}_tweets.json", encoding="utf-8") as f:
            items = json.load(f)
        stored = ws.sql(
            "SELECT count(*) FROM accounts a JOIN ingest_log i ON a._ingest = i.ingest_id "
            "WHERE i.source LIKE ?",
            [f"%{name}_tweets.json"],
        )
        assert stored == [(len({o["user"]["id_str"] for o in items}),)]


def test_real_follower_profiles_sample(ws: Workspace) -> None:
    path = data_path("followers", "follower_profiles_sample.jsons")
    result = ingest(ws, path, "profiles", build_activity=False).files[0]
    assert (result.records, result.quarantined) == (49191, 0)
    assert result.tables["accounts"].loaded == 49191
    assert ws.sql(
        "SELECT count(*), count(DISTINCT account_id), count(snapshot_at) FROM accounts"
    ) == [
        (49191, 49191, 0)  # a bare user object says nothing about when it was seen
    ]
    assert ws.sql("SELECT count(*) FROM accounts WHERE year(created_at) = 1970") == [(1,)]
    # `timestamp` is created_at in local (Turkish) time, not a probe time; kept in extra
    offsets = ws.sql(
        "SELECT CAST(extra->>'timestamp' AS DOUBLE) - epoch(created_at) AS d, count(*) "
        "FROM accounts GROUP BY d ORDER BY d"
    )
    assert offsets == [(-10800.0, 7907), (-7200.0, 41284)]
    with open(path, encoding="utf-8") as f:
        ids = Counter(json.loads(line)["id_str"] for line in f)
    assert (sum(ids.values()), len(ids)) == (49191, 49191)


# -- small files ----------------------------------------------------------------------------


def test_maps_v1_user_objects_and_bot_repository_wrappers(ws: Workspace, tmp_path: Path) -> None:
    bare = user(
        "101",
        description=RTL,
        location="",
        lang="fa",
        url="https://t.co/sim",
        entities={
            "url": {"urls": [{"url": "https://t.co/sim", "expanded_url": "https://example.org"}]}
        },
        profile_image_url="http://pbs.twimg.com/profile_images/1/sim_normal.jpg",
        profile_image_url_https="https://pbs.twimg.com/profile_images/1/sim_normal.jpg",
        timestamp=1367901805.0,
    )
    egg = user(
        "102",
        default_profile_image=None,
        profile_image_url="http://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png",
    )
    wrapped = [{"created_at": "Mon Jan 21 19:37:21 +0000 2019", "user": user("103", verified=True)}]
    jsonl(tmp_path / "users.jsonl", [bare, egg])
    (tmp_path / "sim-2019_tweets.json").write_text(json.dumps(wrapped), encoding="utf-8")
    (tmp_path / "sim-2019.tsv").write_text("103\tbot\n102\thuman\n", encoding="utf-8")
    report = ingest(ws, tmp_path, "profiles", build_activity=False)
    assert [Path(f.source).name for f in report.files] == [
        "sim-2019.tsv",
        "sim-2019_tweets.json",
        "users.jsonl",
    ]
    assert reasons(ws) == []
    rows = {
        r[0]: r[1:]
        for r in ws.sql(
            "SELECT account_id, handle, display_name, bio, lang, avatar, default_avatar, "
            "followers_count, following_count, posts_count, verified, location, url, "
            "CAST(snapshot_at AS VARCHAR), CAST(created_at AS VARCHAR), extra FROM accounts"
        )
    }
    assert rows["101"][:-1] == (
        "sim_101", "Sim 101", RTL, "fa", "https://pbs.twimg.com/profile_images/1/sim_normal.jpg",
        False, 10, 20, 30, False, None, "https://example.org", None, "2013-05-07 06:43:25",
    )  # fmt: skip
    extra = json.loads(rows["101"][-1])
    assert extra["timestamp"] == 1367901805.0
    assert extra["favourites_count"] == 40
    assert extra["profile_image_url"].startswith("http://")
    assert rows["102"][5] is True  # no default_profile_image: read from the image URL
    assert rows["103"][9] is True
    assert rows["103"][12] == "2019-01-21 19:37:21"  # the wrapper's created_at
    assert ws.sql("SELECT account_id, label, dataset FROM labels ORDER BY 1") == [
        ("102", "human", "sim-2019"),
        ("103", "bot", "sim-2019"),
    ]


def test_csv_profiles_with_labels_from_the_file_name(ws: Workspace, tmp_path: Path) -> None:
    header = "id,name,screen_name,statuses_count,followers_count,friends_count,created_at,"
    header += "default_profile,default_profile_image,verified,profile_banner_url,description,updated,dataset\n"
    (tmp_path / "SIM_fake_users.csv").write_text(
        header
        + f'201,Sim,sim_201,1,2,3,Fri Apr 06 10:58:22 +0000 2007,1,,,NULL,"{RTL}",2/14/2015 10:40,INT\n'
        + "202,Sim,sim_202,1,2,3,Fri Apr 06 10:58:22 +0000 2007,,1,0,,,2/14/2015 10:40,E13\n",
        encoding="utf-8",
    )
    (tmp_path / "other.csv").write_text(header + "203,S,s,1,2,3,,,,,,,,TFP\n", encoding="utf-8")
    ingest(ws, tmp_path, "profiles", build_activity=False)
    assert reasons(ws) == [
        (3, "the file name says fake but the dataset column says E13 (genuine); no label loaded")
    ]
    assert ws.sql("SELECT account_id, label, dataset FROM labels ORDER BY 1") == [
        ("201", "fake", "SIM_fake_users"),
        ("203", "genuine", "other"),  # no label in the name: cresci's TFP is genuine
    ]
    rows = ws.sql(
        "SELECT account_id, default_avatar, verified, bio, CAST(snapshot_at AS VARCHAR), extra "
        "FROM accounts ORDER BY 1"
    )
    assert rows[0][:5] == ("201", False, False, RTL, "2015-02-14 10:40:00")
    assert json.loads(rows[0][5]) == {"default_profile": True, "dataset": "INT"}  # NULL: no value
    assert rows[1][1:3] == (True, False)


def test_reingest_adds_nothing(ws: Workspace, tmp_path: Path) -> None:
    jsonl(tmp_path / "users.jsonl", [user("1"), user("2", description=RTL)])
    (tmp_path / "sim.tsv").write_text("1\tbot\n2\thuman\n", encoding="utf-8")
    ingest(ws, tmp_path, "profiles", build_activity=False)
    before = ws.counts()
    again = ingest(ws, tmp_path, "profiles", force=True, build_activity=False)
    assert ws.counts() == before
    assert again.total("loaded") == 0
    assert [f.total("unchanged") for f in again.files] == [2, 2]
    assert ws.sql("SELECT bio FROM accounts WHERE account_id = '2'") == [(RTL,)]


def test_truncated_files(ws: Workspace, tmp_path: Path) -> None:
    lines = jsonl(tmp_path / "users.jsonl", [user("1"), user("2")])
    lines.write_text(lines.read_text(encoding="utf-8")[:-30], encoding="utf-8")
    ingest(ws, lines, "profiles", build_activity=False)
    [(line, reason)] = reasons(ws)
    assert (line, reason.split(":")[0]) == (2, "not valid JSON")
    assert ws.count("accounts") == 1
    array = tmp_path / "cut_tweets.json"
    array.write_text(json.dumps([{"created_at": "x", "user": user("3")}])[:-20], encoding="utf-8")
    with pytest.raises(InputError, match=r"cut_tweets.json:1: is not valid JSON"):
        ingest(ws, array, "profiles", build_activity=False)


def test_wrong_types_and_missing_ids_are_quarantined(ws: Workspace, tmp_path: Path) -> None:
    records = [
        user("1", followers_count="many"),
        user("2", created_at="yesterday"),
        {k: v for k, v in user("3").items() if k not in ("id", "id_str")},
        {"created_at": "Mon Jan 21 19:37:21 +0000 2019", "user": {**user("4"), "id_str": {"a": 1}}},
        "a string",
        user("5", verified="maybe"),
    ]
    jsonl(tmp_path / "users.jsonl", records)
    result = ingest(ws, tmp_path / "users.jsonl", "profiles", build_activity=False).files[0]
    assert reasons(ws) == [
        (1, "followers_count: not a whole number: many"),
        (2, "created_at: not a time: yesterday"),
        (
            3,
            "not a Twitter user object: no id_str or id (keys: created_at, default_profile_image, "
            "favourites_count, followers_count, friends_count, name)",
        ),
        (4, 'user id is not a string or number: {"a": 1}'),
        (5, "not a JSON object but a str"),
        (6, "verified: not true/false: maybe"),
    ]
    assert result.total("loaded") == 0


def test_label_files(ws: Workspace, tmp_path: Path) -> None:
    tsv = tmp_path / "sim.tsv"
    tsv.write_text(
        "id\tlabel\n1\tbot\n2\thuman\n1\thuman\n3\tbot\n3\tbot\n4\tbot\textra\n\n5\t\n",
        encoding="utf-8",
    )
    result = ingest(ws, tsv, "profiles", build_activity=False).files[0]
    assert reasons(ws) == [
        (2, f"{CONFLICT}: bot (line 2), human (line 4); none loaded"),
        (4, f"{CONFLICT}: bot (line 2), human (line 4); none loaded"),
        (6, "duplicate account_id/dataset 3/sim (line 5 kept; identical row)"),
        (7, "expected 2 tab-separated fields (id, label), found 3"),
        (9, "missing label"),
    ]
    assert ws.sql("SELECT account_id, label FROM labels ORDER BY 1") == [
        ("2", "human"),
        ("3", "bot"),
    ]
    assert result.records == 7  # the header is not a record


def test_file_level_problems_raise_input_error(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        ingest(ws, tmp_path / "absent.json", "profiles")
    no_id = tmp_path / "users.csv"
    no_id.write_text("screen_name,name\nsim,Sim\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"users.csv:1: missing the account id column"):
        ingest(ws, no_id, "profiles")
    tsv = tmp_path / "labels.tsv"
    tsv.write_text("\n1 bot\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"labels.tsv:2: is not a label file"):
        ingest(ws, tsv, "profiles")
    text = tmp_path / "users.jsons"
    text.write_text("id_str;screen_name\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"users.jsons:1: is not JSON"):
        ingest(ws, text, "profiles")
    binary = tmp_path / "x.json"
    binary.write_bytes(b"\x00\x00\x00\x00")
    with pytest.raises(InputError, match="not a text file"):
        ingest(ws, binary, "profiles")
    assert ws.count("accounts") == 0


def test_same_account_twice_is_a_snapshot_merge(ws: Workspace, tmp_path: Path) -> None:
    old = {"created_at": "Mon Jan 21 19:37:21 +0000 2019", "user": user("7", followers_count=5)}
    new = {"created_at": "Tue Jan 22 19:37:21 +0000 2019", "user": user("7", followers_count=9)}
    jsonl(tmp_path / "u.jsonl", [new, old])
    result = ingest(ws, tmp_path / "u.jsonl", "profiles", build_activity=False).files[0]
    assert (result.tables["accounts"].loaded, result.tables["accounts"].merged) == (1, 1)
    row = ws.sql("SELECT followers_count, snapshot_at FROM accounts")
    assert row == [(9, datetime(2019, 1, 22, 19, 37, 21))]


def test_a_surrogate_cut_in_half_becomes_a_replacement_character(
    ws: Workspace, tmp_path: Path
) -> None:
    # Twitter truncated some bios in the middle of an emoji's UTF-16 pair: "\ud83c" alone
    path = tmp_path / "u.jsonl"
    path.write_text(
        json.dumps(user("8", description="ok \ud83c", location="\ud83c")) + "\n", encoding="utf-8"
    )
    assert "\\ud83c" in path.read_text(encoding="utf-8")
    ingest(ws, path, "profiles", build_activity=False)
    assert reasons(ws) == []
    assert ws.sql("SELECT bio, location FROM accounts") == [("ok \ufffd", "\ufffd")]
