"""The jetstream importer: Bluesky events as JSON lines.

``tests/fixtures/jetstream/events.jsonl`` is hand-made with simulated DIDs and handles:
19 events covering posts (facets, replies, quotes, link cards, tags), reposts, a like,
follows, deletions, a block, identity, account and profile events, and one event in the
first Jetstream spelling (``"type": "com"``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from separ.errors import InputError
from separ.ingest import ingest
from separ.workspace import Workspace

EVENTS = Path(__file__).parent / "fixtures" / "jetstream" / "events.jsonl"
RTL = "آزادی\u200cخواهان \u200f#زن_زندگی_آزادی\u200b"  # ZWNJ, RLM, zero-width space
A = "did:plc:simava000000000000000001"
B = "did:plc:simbahar0000000000000002"
C = "did:plc:simcyrus0000000000000003"
D = "did:plc:simdana00000000000000004"
P1 = f"at://{A}/app.bsky.feed.post/3lsimpost0001"
T0 = 1725911162329308


def write(path: Path, events: list[Any]) -> Path:
    path.write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), encoding="utf-8"
    )
    return path


def reasons(ws: Workspace) -> list[tuple[int, str]]:
    rows = ws.sql("SELECT line, reason FROM quarantine ORDER BY line, reason")
    return [(int(line), str(reason)) for line, reason in rows]


def post(
    did: str, rkey: str, record: dict[str, Any] | None = None, **commit: Any
) -> dict[str, Any]:
    rec = {"$type": "app.bsky.feed.post", "text": "simulated", "createdAt": "2024-09-09T19:46:00Z"}
    return {
        "did": did,
        "time_us": T0,
        "kind": "commit",
        "commit": {
            "rev": "3lsimrev",
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": rkey,
            "record": {**rec, **(record or {})},
            "cid": "bafyreisim",
            **commit,
        },
    }


def test_events_map_to_posts_follows_and_accounts(ws: Workspace) -> None:
    result = ingest(ws, EVENTS, "jetstream", build_activity=False).files[0]
    assert result.quarantined == 0
    assert result.records == 19
    assert {k: v.read for k, v in result.tables.items()} == {
        "posts": 9,
        "follows": 2,
        "accounts": 4,
    }
    assert result.not_loaded == {
        "app.bsky.feed.like": 1,
        "app.bsky.graph.block": 1,
        "delete app.bsky.graph.follow": 1,
        "delete app.bsky.feed.post": 1,
    }
    posts = {
        r[0].rsplit("/", 1)[1]: r[1:]
        for r in ws.sql(
            "SELECT post_id, account_id, kind, ref_post_id, ref_account_id, hashtags, urls, "
            "mentions, lang, CAST(created_at AS VARCHAR) FROM posts"
        )
    }
    assert posts["3lsimpost0001"] == (
        A, "post", None, None, ["زن_زندگی_آزادی"], ["https://example.org/report"], [D], "fa",
        "2024-09-09 19:46:00",
    )  # fmt: skip
    assert posts["3lsimpost0002"][:4] == (C, "reply", P1, A)
    assert posts["3lsimpost0003"][:4] == (D, "quote", P1, A)
    assert posts["3lsimpost0004"][:4] == (B, "quote", P1, A)  # recordWithMedia
    assert posts["3lsimpost0004"][7] == "en"  # the first of langs
    # facet tag + record tags; the link card's URL
    assert posts["3lsimpost0005"][4:6] == (
        ["Mahsa", "IranProtests"],
        ["https://example.org/news/1"],
    )
    # a reply that also quotes: the parent is the reference
    assert posts["3lsimpost0006"][:4] == (
        B,
        "reply",
        f"at://{D}/app.bsky.feed.post/3lsimpost0005",
        D,
    )
    assert posts["3lsimrepo0007"][:4] == (B, "repost", P1, A)
    assert posts["3lsimrepo0013"][:4] == (D, "repost", P1, A)  # old "type": "com" spelling
    assert posts["3lsimpost0012"][8] == "2024-09-09 19:46:23.329308"  # no createdAt: time_us
    extra = json.loads(ws.sql(f"SELECT extra FROM posts WHERE post_id = '{P1}'")[0][0])
    assert extra["time_us"] == T0
    assert extra["embed"]["images"][0]["image"]["ref"]["$link"] == "bafkreisimimage1"
    assert ws.sql(
        "SELECT follower_id, followee_id, CAST(created_at AS VARCHAR) FROM follows ORDER BY 1"
    ) == [
        (B, A, "2024-09-09 19:46:13"),
        (C, A, "2024-09-09 19:46:12"),
    ]
    follow = json.loads(ws.sql(f"SELECT extra FROM follows WHERE follower_id = '{C}'")[0][0])
    assert follow["uri"] == f"at://{C}/app.bsky.graph.follow/3lsimfoll0009"


def test_identity_account_and_profile_events_are_account_snapshots(ws: Workspace) -> None:
    ingest(ws, EVENTS, "jetstream", build_activity=False)
    rows = {
        r[0]: r[1:]
        for r in ws.sql(
            "SELECT account_id, handle, display_name, avatar, default_avatar, "
            "CAST(snapshot_at AS VARCHAR), CAST(created_at AS VARCHAR), extra FROM accounts"
        )
    }
    assert set(rows) == {A, B, C}
    handle, _, _, _, snapshot, _, extra = rows[C]
    assert handle == "sim-cyrus.bsky.social"
    assert snapshot == "2024-09-09 19:46:18"  # the account event, after the identity event
    assert json.loads(extra) == {"active": False, "status": "takendown"}
    _, name, avatar, default, snapshot, created, extra = rows[A]
    assert name == "Sim Ava \u200fآوا"
    assert avatar == f"https://cdn.bsky.app/img/avatar/plain/{A}/bafkreisimavatar1@jpeg"
    assert default is False
    assert (snapshot, created) == ("2024-09-09 19:46:21.329308", "2023-02-01 00:00:00")
    assert json.loads(extra)["avatar"]["ref"]["$link"] == "bafkreisimavatar1"
    assert rows[B][3] is True  # a profile without avatar
    assert json.loads(rows[B][6])["operation"] == "update"


def test_reingest_adds_nothing(ws: Workspace) -> None:
    ingest(ws, EVENTS, "jetstream", build_activity=False)
    before = ws.counts()
    again = ingest(ws, EVENTS, "jetstream", force=True, build_activity=False).files[0]
    assert ws.counts() == before
    assert again.total("loaded") == 0
    assert (again.tables["posts"].unchanged, again.tables["follows"].unchanged) == (9, 2)
    assert again.tables["accounts"].unchanged == 3
    assert again.quarantined == 0


def test_rtl_and_zero_width_text_is_kept_as_typed(ws: Workspace) -> None:
    ingest(ws, EVENTS, "jetstream", build_activity=False)
    text = ws.sql(f"SELECT text FROM posts WHERE post_id = '{P1}'")[0][0]
    assert text == RTL + " https://example.org/report @sim-dana.bsky.social"
    assert ws.sql(f"SELECT bio FROM accounts WHERE account_id = '{A}'") == [(RTL,)]


def test_truncated_file_keeps_the_complete_lines(ws: Workspace, tmp_path: Path) -> None:
    text = EVENTS.read_text(encoding="utf-8")
    cut = tmp_path / "cut.jsonl"
    cut.write_text(text[: len(text) - 40], encoding="utf-8")
    result = ingest(ws, cut, "jetstream", build_activity=False).files[0]
    [(line, reason)] = reasons(ws)
    assert (line, reason.split(":")[0]) == (19, "not valid JSON")
    assert result.tables["posts"].loaded == 8


def test_wrong_types_are_quarantined_with_reasons(ws: Workspace, tmp_path: Path) -> None:
    events: list[Any] = [
        {**post(A, "r1"), "did": 42},
        {**post(A, "r2"), "time_us": "soon"},
        post(A, "r3", {"text": 5}),
        post(A, "r4", {"createdAt": 1725911162}),
        post(A, "r5", {"createdAt": "yesterday"}),
        {"did": A, "kind": "account", "account": {"active": "yes", "did": A}},
        {"did": A, "kind": "commit", "commit": "create"},
        post(A, "r6"),
        "a string",
    ]
    not_object = post(A, "r6")
    not_object["commit"]["record"] = ["not", "an", "object"]
    events[7] = not_object
    result = ingest(ws, write(tmp_path / "types.jsonl", events), "jetstream", build_activity=False)
    assert reasons(ws) == [
        (1, "did is not a DID: 42"),
        (2, 'time_us is not a whole number: "soon"'),
        (3, "record.text is not a string: 5"),
        (4, "record.createdAt is not a string: 1725911162"),
        (5, "created_at: not a time: yesterday"),
        (6, 'account.active is not true/false: "yes"'),
        (7, "commit is not a JSON object"),
        (8, "commit record is not a JSON object"),
        (9, "not a JSON object but a str"),
    ]
    assert result.files[0].total("loaded") == 0


def test_missing_fields_are_quarantined_with_reasons(ws: Workspace, tmp_path: Path) -> None:
    no_rkey = post(A, "x")
    del no_rkey["commit"]["rkey"]
    no_kind = post(A, "y")
    del no_kind["kind"]
    repost = post(A, "z", {"$type": "app.bsky.feed.repost"}, collection="app.bsky.feed.repost")
    follow = post(A, "w", {"$type": "app.bsky.graph.follow"}, collection="app.bsky.graph.follow")
    events = [
        {k: v for k, v in post(A, "v").items() if k != "did"},
        no_rkey,
        no_kind,
        repost,
        follow,
        {"did": A, "kind": "identity"},
        post(A, "u", operation="archive"),
    ]
    ingest(ws, write(tmp_path / "missing.jsonl", events), "jetstream", build_activity=False)
    assert reasons(ws) == [
        (1, "event without did"),
        (2, "commit without rkey"),
        (3, "event without kind"),
        (4, "repost without subject.uri"),
        (5, "follow without a subject DID"),
        (6, "identity is not a JSON object"),
        (7, 'unknown commit operation "archive"'),
    ]


def test_duplicate_and_edited_posts_are_quarantined(ws: Workspace, tmp_path: Path) -> None:
    first = post(A, "d1")
    edited = post(A, "d1", {"text": "edited"}, operation="update")
    events = [first, first, edited]
    ingest(ws, write(tmp_path / "dupes.jsonl", events), "jetstream", build_activity=False)
    uri = f"at://{A}/app.bsky.feed.post/d1"
    assert reasons(ws) == [
        (2, f"duplicate post_id {uri} (line 1 kept; identical row)"),
        (3, f"duplicate post_id {uri} (line 1 kept; differs in text, extra)"),
    ]
    assert ws.sql("SELECT text FROM posts") == [("simulated",)]


def test_unknown_collections_and_kinds_are_counted_not_loaded(
    ws: Workspace, tmp_path: Path
) -> None:
    listitem = post(
        A, "l1", {"$type": "app.bsky.graph.listitem"}, collection="app.bsky.graph.listitem"
    )
    events = [
        listitem,
        listitem | {"commit": {**listitem["commit"], "rkey": "l2"}},
        {"did": A, "time_us": T0, "kind": "sync", "sync": {}},
        post(A, "p", collection="com.example.custom", operation="update"),
    ]
    result = ingest(ws, write(tmp_path / "other.jsonl", events), "jetstream", build_activity=False)
    assert result.files[0].not_loaded == {
        "app.bsky.graph.listitem": 2,
        "sync events": 1,
        "update com.example.custom": 1,
    }
    assert result.files[0].records == 4
    assert reasons(ws) == []


def test_unreadable_files_raise_input_error(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        ingest(ws, tmp_path / "absent.jsonl", "jetstream")
    text = tmp_path / "events.jsonl"
    text.write_text("did,kind\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"events.jsonl:1: is not JSON"):
        ingest(ws, text, "jetstream")
    gz = tmp_path / "events.jsonl.gz"
    gz.write_bytes(b"\x1f\x8b\x08\x00broken")
    with pytest.raises(InputError):
        ingest(ws, gz, "jetstream")
    assert ws.counts()["posts"] == 0


def test_lone_surrogates_anywhere_become_replacement_characters(
    ws: Workspace, tmp_path: Path
) -> None:
    """A JSON "\\ud83c" without its other half (a text cut inside an emoji) is no text
    DuckDB can hold: it becomes U+FFFD wherever it is, a value, a key or a collection."""
    events = [
        post(A, "s1", {"text": "cut \ud83c"}),
        post(A, "s2", collection="app.bsky.\ud800"),
        {**post(A, "s3"), "commit": {**post(A, "s3")["commit"], "record": "\ud800"}},
    ]
    path = tmp_path / "cut.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    result = ingest(ws, path, "jetstream", build_activity=False).files[0]
    assert ws.sql("SELECT text FROM posts") == [("cut \ufffd",)]
    assert result.not_loaded == {"app.bsky.\ufffd": 1}
    assert reasons(ws) == [(3, "commit record is not a JSON object")]
    assert "\ufffd" in ws.sql("SELECT raw FROM quarantine")[0][0]
