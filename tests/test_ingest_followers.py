"""The ordered-follower-list importer, on FollowerAnalyzer's sample and on small files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

import separ
from separ.errors import InputError
from separ.ingest import followers, ingest
from separ.ingest.followers import followee_from_name

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SAMPLE = DATA / "followers" / "sample_follower_data.json"


def real() -> Path:
    if not SAMPLE.exists():
        pytest.skip(f"../shared/data/followers/sample_follower_data.json not found: {SAMPLE}")
    return SAMPLE


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def quarantine(ws: separ.Workspace) -> list[tuple[Any, ...]]:
    return ws.sql("SELECT line, table_name, reason FROM quarantine ORDER BY line, table_name")


def follows(ws: separ.Workspace) -> list[tuple[Any, ...]]:
    return ws.sql("SELECT follower_id, followee_id, rank, created_at FROM follows ORDER BY rank")


# -- the real sample ------------------------------------------------------------------------


def test_real_sample(ws: separ.Workspace) -> None:
    path = real()
    with open(path, encoding="utf-8") as f:
        members = json.load(f, object_pairs_hook=list)  # keeps repeated keys, if any
    created = {key: dict(value)["timestamp"] for key, value in members}
    ranks = sorted(dict(value)["rank"] for _, value in members)
    assert len(members) == len(created) == 28_854
    assert ranks == list(range(28_854))

    result = ingest(ws, path.parent, "followers", build_activity=False).files[0]

    assert result.records == 28_854
    assert result.tables["follows"].loaded == 28_854
    assert result.tables["accounts"].loaded == 28_854
    assert result.quarantined == 0
    assert ws.sql(
        "SELECT count(*), count(DISTINCT follower_id), min(rank), max(rank), count(created_at), "
        "any_value(followee_id) FROM follows"
    ) == [(28_854, 28_854, 0, 28_853, 0, "sample_follower_data")]
    stored = dict(ws.sql("SELECT account_id, epoch(created_at)::BIGINT FROM accounts"))
    assert stored == created


def test_reingest_is_unchanged(ws: separ.Workspace) -> None:
    path = real()
    ingest(ws, path, "followers", build_activity=False)
    again = ingest(ws, path, "followers", force=True, build_activity=False).files[0]
    assert again.tables["follows"].loaded == 0
    assert again.tables["follows"].unchanged == 28_854
    assert again.tables["accounts"].loaded == 0
    assert again.tables["accounts"].unchanged == 28_854
    assert ws.sql("SELECT count(*) FROM follows") == [(28_854,)]


# -- small files -----------------------------------------------------------------------------

MAPPING = '{"11": {"rank": 1, "timestamp": 1471008059}, "22": {"rank": 0, "timestamp": 1266716647}}'


def test_shapes_give_the_same_rows(ws: separ.Workspace, tmp_path: Path) -> None:
    write(tmp_path / "a.json", MAPPING)
    write(
        tmp_path / "b.jsonl",
        '{"follower_id": "11", "rank": 1, "timestamp": 1471008059}\n\n'
        '{"follower_id": 22, "rank": 0, "timestamp": 1266716647}\n',
    )
    write(
        tmp_path / "c.json",
        '[{"follower_id": "11", "rank": 1, "timestamp": 1471008059},'
        ' {"follower_id": "22", "rank": 0, "timestamp": 1266716647}]',
    )
    with gzip.open(tmp_path / "d.json.gz", "wt", encoding="utf-8") as f:
        f.write(MAPPING)
    results = []
    for name in ("a.json", "b.jsonl", "c.json", "d.json.gz"):
        with separ.Workspace(tmp_path / f"{name}.duckdb") as one:
            ingest(one, tmp_path / name, "followers", build_activity=False)
            assert quarantine(one) == []
            results.append(
                (
                    one.sql("SELECT follower_id, rank FROM follows ORDER BY rank"),
                    one.sql("SELECT account_id, created_at FROM accounts ORDER BY account_id"),
                )
            )
    assert all(r == results[0] for r in results)
    assert results[0][0] == [("22", 0), ("11", 1)]


def test_streaming_across_chunk_boundaries(
    ws: separ.Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = {str(10**12 + i): {"rank": i, "timestamp": 1_300_000_000 + i} for i in range(200)}
    path = write(tmp_path / "big.json", json.dumps(members, indent=1))
    monkeypatch.setattr(followers, "READ_CHARS", 7)  # every token split over reads
    ingest(ws, path, "followers", build_activity=False)
    assert quarantine(ws) == []
    assert ws.sql("SELECT count(*), sum(rank), max(follower_id) FROM follows") == [
        (200, sum(range(200)), str(10**12 + 199))
    ]
    assert ws.sql("SELECT max(epoch(created_at))::BIGINT FROM accounts") == [(1_300_000_199,)]


def test_followee_from_option_name_or_record(
    ws: separ.Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert followee_from_name(Path("sim_target_followers.json.gz")) == "sim_target"
    assert followee_from_name(Path("sample_follower_data.json")) == "sample_follower_data"
    path = write(tmp_path / "sim_target_followers.json", MAPPING)
    ingest(ws, path, "followers", build_activity=False)
    assert {f[1] for f in follows(ws)} == {"sim_target"}

    with separ.Workspace(tmp_path / "other.duckdb") as other:
        ingest(other, path, "followers", build_activity=False, options={"followee": "x9"})
        assert {f[1] for f in follows(other)} == {"x9"}

    lines = write(tmp_path / "f.jsonl", '{"follower_id": "1", "followee_id": "y", "rank": 0}\n')
    with separ.Workspace(tmp_path / "third.duckdb") as third:
        ingest(third, lines, "followers", build_activity=False)
        assert follows(third) == [("1", "y", 0, None)]


def test_rtl_and_zero_width_ids_and_extra_are_kept(ws: separ.Workspace, tmp_path: Path) -> None:
    note = "\u200fسلام\u200cدنیا \u202bنقل\u202c"
    path = write(
        tmp_path / "fa.json",
        json.dumps(
            {"کاربر\u200cیک": {"rank": 0, "timestamp": 1, "note": note}}, ensure_ascii=False
        ),
    )
    ingest(ws, path, "followers", build_activity=False)
    [(follower, extra)] = ws.sql("SELECT follower_id, extra FROM follows")
    assert follower == "کاربر\u200cیک"
    assert json.loads(extra) == {"note": note}


def test_wrong_types_are_quarantined(ws: separ.Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.json",
        '{"1": {"rank": "first", "timestamp": 5}, "2": {"rank": 1, "timestamp": "yesterday"},'
        ' "3": 7, "4": {"rank": 3, "timestamp": 6}}',
    )
    ingest(ws, path, "followers", build_activity=False)
    assert quarantine(ws) == [
        (1, "follows", "rank: not a whole number: first"),
        (2, "accounts", "created_at: not a time: yesterday"),
        (3, None, "expected an object with rank and timestamp"),
    ]
    assert [f[0] for f in follows(ws)] == ["2", "4"]


def test_missing_follower_id_and_not_an_object(ws: separ.Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "m.jsonl",
        '{"rank": 0, "timestamp": 1}\n[1, 2]\n{"follower_id": "5", "rank": 1}\n{"follower_id": \n',
    )
    ingest(ws, path, "followers", build_activity=False)
    got = quarantine(ws)
    assert got[:4] == [
        (1, "accounts", "missing account_id"),
        (1, "follows", "missing follower_id"),
        (2, None, "expected a JSON object, found list"),
        (4, None, got[3][2]),
    ]
    assert got[3][2].startswith("not valid JSON")
    assert follows(ws) == [("5", "m", 1, None)]


def test_duplicate_follower_keys(ws: separ.Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "dup.json",
        '{"1": {"rank": 0, "timestamp": 5}, "1": {"rank": 1, "timestamp": 5}, "2": {"rank": 2}}',
    )
    ingest(ws, path, "followers", build_activity=False)
    assert quarantine(ws) == [
        (2, "follows", "duplicate follower_id/followee_id 1/dup (line 1 kept; differs in rank)")
    ]
    assert [f[:3] for f in follows(ws)] == [("1", "dup", 0), ("2", "dup", 2)]


def test_truncated_file_keeps_what_came_before(ws: separ.Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "cut.json", MAPPING[:-30])
    ingest(ws, path, "followers", build_activity=False)
    assert follows(ws) == [("11", "cut", 1, None)]
    [(line, table, reason)] = quarantine(ws)
    assert (line, table) == (2, None)
    assert reason == "file ends inside the JSON object after follower 1"


def test_syntax_error_is_a_file_error(ws: separ.Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "x.json", '{"1": {"rank": 0},\n "2": {"rank": 1} "3": {}}')
    with pytest.raises(
        InputError, match=r"x\.json:2: is not valid JSON at follower 3: expected , or \}"
    ):
        ingest(ws, path, "followers", build_activity=False)
    assert ws.sql("SELECT count(*) FROM follows") == [(0,)]  # nothing half-loaded


def test_unreadable_inputs(ws: separ.Workspace, tmp_path: Path) -> None:
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\x00\x01\x00\x02")
    with pytest.raises(InputError, match="not a text file"):
        ingest(ws, binary, "followers", build_activity=False)
    with pytest.raises(InputError, match="is empty"):
        ingest(ws, write(tmp_path / "e.json", "  \n"), "followers", build_activity=False)
    with pytest.raises(InputError, match="is not JSON"):
        ingest(ws, write(tmp_path / "t.json", "follower,rank\n"), "followers", build_activity=False)
    folder = tmp_path / "none"
    folder.mkdir()
    with pytest.raises(InputError, match="no followers files"):
        ingest(ws, folder, "followers", build_activity=False)


def test_invalid_utf8_member_is_quarantined(ws: separ.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "u.json"
    path.write_bytes(b'{"1": {"rank": 0}, "\xff\xfe2": {"rank": 1}, "3": {"rank": 2}}')
    ingest(ws, path, "followers", build_activity=False)
    assert quarantine(ws) == [(2, None, "not valid UTF-8 text")]
    assert [f[0] for f in follows(ws)] == ["1", "3"]


def test_fractional_rank_is_not_truncated(ws: separ.Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "f.json", '{"1": {"rank": 3.5, "timestamp": 5}, "2": {"rank": 4.0}}')
    ingest(ws, path, "followers", build_activity=False)
    assert [f[:3] for f in follows(ws)] == [("2", "f", 4)]
    assert quarantine(ws) == [(1, "follows", "rank: not a whole number: 3.5")]


def test_utf16_files(ws: separ.Workspace, tmp_path: Path) -> None:
    data = MAPPING.encode("utf-16")
    (tmp_path / "u16.json").write_bytes(data)
    ingest(ws, tmp_path / "u16.json", "followers", build_activity=False)
    assert [f[0] for f in follows(ws)] == ["22", "11"]
    (tmp_path / "odd.json").write_bytes(data + b"x")  # cut inside a UTF-16 code unit
    with pytest.raises(InputError, match=r"odd\.json: cannot be decoded"):
        ingest(ws, tmp_path / "odd.json", "followers", build_activity=False)
