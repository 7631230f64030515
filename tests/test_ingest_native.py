from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from separ.errors import InputError
from separ.ingest import ingest
from separ.ingest.bulk import read_csv_records
from separ.workspace import Workspace
from tests.conftest import run_cli

RTL = "آزادی\u200cخواهان ‏#زن_زندگی_آزادی\u200b"  # ZWNJ, RLM, zero-width space kept as typed


def write(folder: Path, name: str, text: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def jsonl(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def reasons(ws: Workspace) -> list[tuple[int, str]]:
    return [
        (int(line), str(r))
        for line, r in ws.sql("SELECT line, reason FROM quarantine ORDER BY line")
    ]


def test_loads_csv_jsonl_and_parquet_with_types_times_and_extra(
    ws: Workspace, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    write(
        src,
        "accounts.csv",
        "account_id,handle,created_at,followers_count,default_avatar,favourite_colour\n"
        "1,sim_alpha,2020-01-01T00:00:00+03:30,10,false,green\n"
        "2,sim_beta,1577836800,5,True,\n"
        "3,sim_gamma,Fri Apr 06 10:58:22 +0000 2007,7,0,\n",
    )
    write(
        src,
        "posts.jsonl",
        jsonl(
            [
                {
                    "post_id": 10,
                    "account_id": 1,
                    "created_at": "2026-03-01T10:00:00Z",
                    "kind": "post",
                    "text": RTL,
                    "hashtags": ["#زن_زندگی_آزادی", "Freedom"],
                    "mentions": ["@sim_beta"],
                    "mood": {"x": 1},
                },
                {
                    "post_id": "11",
                    "account_id": "2",
                    "created_at": 1772359200.5,
                    "kind": "Repost",
                    "ref_post_id": "10",
                },
            ]
        ),
    )
    pq.write_table(
        pa.table(
            {
                "follower_id": ["2", "3"],
                "followee_id": ["1", "1"],
                "created_at": pa.array(
                    [datetime(2026, 3, 1, 12), datetime(2026, 3, 1, 13)], pa.timestamp("us", "UTC")
                ),
                "rank": pa.array([0, 1], pa.int32()),
            }
        ),
        src / "follows.parquet",
    )
    report = ingest(ws, src, build_activity=False)
    assert [f.total("loaded") for f in report.files] == [3, 2, 2]
    assert ws.sql(
        "SELECT account_id, created_at, followers_count, default_avatar, extra FROM accounts ORDER BY 1"
    ) == [
        ("1", datetime(2019, 12, 31, 20, 30), 10, False, '{"favourite_colour":"green"}'),
        ("2", datetime(2020, 1, 1), 5, True, None),
        ("3", datetime(2007, 4, 6, 10, 58, 22), 7, False, None),
    ]
    posts = ws.sql(
        "SELECT post_id, account_id, created_at, kind, text, hashtags, mentions, extra FROM posts ORDER BY 1"
    )
    assert posts[0] == (
        "10",
        "1",
        datetime(2026, 3, 1, 10),
        "post",
        RTL,
        ["#زن_زندگی_آزادی", "Freedom"],
        ["@sim_beta"],
        '{"mood":{"x":1}}',
    )
    assert posts[1][1:4] == ("2", datetime(2026, 3, 1, 10, 0, 0, 500000), "repost")
    assert ws.sql("SELECT follower_id, created_at, rank FROM follows ORDER BY 1") == [
        ("2", datetime(2026, 3, 1, 12), 0),
        ("3", datetime(2026, 3, 1, 13), 1),
    ]
    assert ws.count("quarantine") == 0


def test_bad_rows_are_quarantined_with_line_and_reason(ws: Workspace, tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(
        src,
        "posts.csv",
        "post_id,account_id,created_at,kind,hashtags\n"
        "1,a,2026-03-01T10:00:00Z,post,\n"  # line 2: fine
        ",a,2026-03-01T10:00:00Z,post,\n"  # 3: no id
        "3,a,yesterday,post,\n"  # 4: bad time
        "4,a,2026-03-01T10:00:00Z,share,\n"  # 5: bad enum
        "5,a,2026-03-01T10:00:00Z,post,#a #b\n"  # 6: not a JSON list
        "6,a,2026-03-01T10:00:00Z\n"  # 7: too few fields
        '7,a,2026-03-01T10:00:00Z,post,"[""#x""]"\n',  # 8: fine
    )
    report = ingest(ws, src, build_activity=False)
    assert report.files[0].total("loaded") == 2
    assert reasons(ws) == [
        (3, "missing post_id"),
        (4, "created_at: not a time: yesterday"),
        (5, "kind: share is not one of post, repost, reply, quote"),
        (6, "hashtags: not a JSON array: #a #b"),
        (7, "expected 5 fields, found 3"),
    ]
    assert report.files[0].quarantined == 5
    raw = json.loads(ws.sql("SELECT raw FROM quarantine WHERE line = 4")[0][0])
    assert raw["created_at"] == "yesterday"


def test_text_values_are_typed_liberally_and_out_of_range_times_are_quarantined(
    ws: Workspace, tmp_path: Path
) -> None:
    """Spaces around values (ASCII or Unicode: no-break, ideographic), ids written as
    floats, epoch seconds/milliseconds, ISO offsets and Twitter dates are read; a time out
    of range, 'infinity' or an offset beyond ±14 h is quarantined, not stored and not a
    crash."""
    src = tmp_path / "src"
    write(
        src,
        "follows.csv",
        "follower_id,followee_id,created_at,rank\n"
        " 12.0 ,\u00a0b\u3000,2026-03-01T13:30:00+03:30, 7 \n"  # line 2
        "c,d,1772359200, +3.0\n"  # 3: epoch seconds
        "e,f,1772359200000,\n"  # 4: epoch milliseconds
        "g,h,Sun Mar 01 10:00:00 +0000 2026,\n"  # 5
        "i,j,-9223372036854775808,\n"  # 6: out of range
        "k,l,infinity,\n"  # 7
        "m,n,2026-03-01T10:00:00Z,1.5\n"  # 8: not a whole number
        "o,p,Sun Mar 01 10:00:00 +9999 2026,\n",  # 9: no such offset
    )
    report = ingest(ws, src, build_activity=False)
    assert report.files[0].total("loaded") == 4
    when = datetime(2026, 3, 1, 10)
    assert ws.sql("SELECT follower_id, followee_id, created_at, rank FROM follows ORDER BY 1") == [
        ("12", "b", when, 7),
        ("c", "d", when, 3),
        ("e", "f", when, None),
        ("g", "h", when, None),
    ]
    assert reasons(ws) == [
        (6, "created_at: not a time: -9223372036854775808"),
        (7, "created_at: not a time: infinity"),
        (8, "rank: not a whole number: 1.5"),
        (9, "created_at: not a time: Sun Mar 01 10:00:00 +9999 2026"),
    ]


def test_parquet_values_of_other_types_are_converted_or_quarantined(
    ws: Workspace, tmp_path: Path
) -> None:
    """A Parquet column typed otherwise than the native column: a value that does not
    convert is quarantined with its reason, never silently NULL (nor rounded)."""
    src = tmp_path / "src"
    src.mkdir()
    pq.write_table(
        pa.table(
            {
                "account_id": ["a1", "a2", "a3", "a4"],
                "followers_count": pa.array([float("nan"), 1e30, 1.5, 7.0]),
                "verified": pa.array([2, 0, 1, 1], pa.int64()),
                "created_at": pa.array([10**9, 0, 1, 20_000], pa.date32()),
            }
        ),
        src / "accounts.parquet",
    )
    ingest(ws, src, build_activity=False)
    assert reasons(ws) == [
        (
            1,
            "created_at: not a time: 2739877-01-03; followers_count: not a whole number: "
            "nan; verified: not true/false: 2",
        ),
        (2, "followers_count: not a whole number: 1e+30"),
        (3, "followers_count: not a whole number: 1.5"),
    ]
    assert ws.sql("SELECT account_id, followers_count, verified, created_at FROM accounts") == [
        ("a4", 7, True, datetime(2024, 10, 4))
    ]


def test_duplicate_ids_keep_the_first_and_quarantine_the_rest(
    ws: Workspace, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    write(
        src,
        "reports.csv",
        "report_id,reporter_id,target_account_id,reason,created_at\n"
        "r1,a,t,violent_speech,2026-03-01T10:00:00Z\n"
        "r1,a,t,violent_speech,2026-03-01T10:00:00Z\n"
        "r1,b,t,spam,2026-03-01T10:00:00Z\n",
    )
    ingest(ws, src, build_activity=False)
    assert ws.sql("SELECT reporter_id FROM reports") == [("a",)]
    assert reasons(ws) == [
        (3, "duplicate report_id r1 (line 2 kept; identical row)"),
        (4, "duplicate report_id r1 (line 2 kept; differs in reporter_id, reason)"),
    ]


def test_reingest_is_idempotent(ws: Workspace, tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(
        src,
        "accounts.jsonl",
        jsonl([{"account_id": str(i), "handle": f"sim{i}"} for i in range(50)]),
    )
    first = ingest(ws, src, build_activity=False)
    again = ingest(ws, src, build_activity=False)
    forced = ingest(ws, src, build_activity=False, force=True)
    assert first.total("loaded") == 50
    assert again.files[0].skipped
    assert "already ingested" in again.files[0].skipped
    assert forced.total("loaded") == 0
    assert forced.total("unchanged") == 50
    assert ws.count("accounts") == 50
    # a second file overlapping the first adds only what is new
    write(
        tmp_path / "more",
        "accounts.jsonl",
        jsonl([{"account_id": str(i), "handle": f"sim{i}"} for i in range(40, 60)]),
    )
    more = ingest(ws, tmp_path / "more", build_activity=False)
    assert (more.total("loaded"), more.total("unchanged")) == (10, 10)
    assert ws.count("accounts") == 60


def test_conflicting_reingest_is_quarantined_not_overwritten(ws: Workspace, tmp_path: Path) -> None:
    row = {"post_id": "p", "account_id": "a", "created_at": "2026-03-01T00:00:00Z", "kind": "post"}
    write(tmp_path / "one", "posts.jsonl", jsonl([row]))
    write(tmp_path / "two", "posts.jsonl", jsonl([{**row, "account_id": "b"}]))
    ingest(ws, tmp_path / "one", build_activity=False)
    ingest(ws, tmp_path / "two", build_activity=False)
    assert ws.sql("SELECT account_id FROM posts") == [("a",)]
    assert (
        "conflict: post_id p is already stored (ingest 1 line 1) with other values in account_id"
        in reasons(ws)[0][1]
    )


def test_truncated_jsonl_and_bad_encoding_and_huge_field(ws: Workspace, tmp_path: Path) -> None:
    src = tmp_path / "src"
    good = {"account_id": "1", "handle": "sim_one"}
    body = (
        (json.dumps(good) + "\n").encode()
        + b'{"account_id": "2", "handle": "caf\xe9"}\n'  # latin-1 byte
        + (json.dumps({"account_id": "3", "bio": "x" * (5 << 20)}) + "\n").encode()
        + b"\n  \n"  # blank lines 4-5: skipped, but counted in the line numbers
        + b'{"account_id": "6", "handle": "a\x01b"}\n'  # a raw control byte
        + b'["not", "an", "object"]\n'
        + (json.dumps({"account_id": "8", "handle": "sim_eight"}) + "\n").encode()
        + b'{"account_id": "9", "hand'  # truncated last line
    )
    write(src, "accounts.jsonl", body)
    report = ingest(ws, src, build_activity=False)
    assert ws.sql("SELECT account_id, _line FROM accounts ORDER BY 1") == [("1", 1), ("8", 8)]
    assert reasons(ws) == [
        (2, "not valid UTF-8 text"),
        (3, "a line is longer than 4194304 bytes"),
        (6, "not valid JSON (a raw control character)"),
        (7, "not a JSON object"),
        (9, "not valid JSON"),
    ]
    assert report.files[0].records == 7
    assert report.files[0].quarantined == 5


def test_jsonl_line_numbers_follow_the_file_across_rejected_lines(
    ws: Workspace, tmp_path: Path
) -> None:
    """Rows after lines DuckDB could not read keep their physical line (CRLF, gzip)."""
    rows = []
    for i in range(1, 30_001):
        if i % 7_000 == 0:
            rows.append(b'{"account_id": "x", "handle": "caf\xe9"}')
        else:
            rows.append(json.dumps({"account_id": str(i), "handle": f"sim_{i}"}).encode())
    write(tmp_path / "src", "accounts.jsonl.gz", gzip.compress(b"\r\n".join(rows) + b"\r\n"))
    ingest(ws, tmp_path / "src", build_activity=False)
    assert ws.count("accounts") == 29_996
    wrong = ws.sql("SELECT count(*) FROM accounts WHERE CAST(account_id AS INT) <> _line")
    assert wrong == [(0,)]
    assert [line for line, _ in reasons(ws)] == [7_000, 14_000, 21_000, 28_000]


def test_csv_with_bad_utf8_and_mixed_types(ws: Workspace, tmp_path: Path) -> None:
    src = tmp_path / "src"
    body = (
        (
            b"account_id,handle,followers_count,verified\n"
            b"1,sim_a,12,true\n"
            b"2,sim_b,1.5e3x,false\n"
            b"3,sim_c,7,maybe\n"
        )
        + b"4,caf\xe9,1,false\n"
        + "5,سیمین,007,FALSE\n".encode()
    )
    write(src, "accounts.csv", body)
    ingest(ws, src, build_activity=False)
    assert ws.sql(
        "SELECT account_id, handle, followers_count, verified FROM accounts ORDER BY 1"
    ) == [
        ("1", "sim_a", 12, True),
        ("5", "سیمین", 7, False),
    ]
    assert reasons(ws) == [
        (3, "followers_count: not a whole number: 1.5e3x"),
        (4, "verified: not true/false: maybe"),
        (5, "not valid UTF-8 text"),
    ]


def test_gzip_bom_and_utf16_files_are_read(ws: Workspace, tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src, "accounts.csv.gz", gzip.compress("\ufeffaccount_id,handle\n1,sim_gz\n".encode()))
    write(src, "registers.csv", "account_id,register\n1,protected\n".encode("utf-16"))
    ingest(ws, src, build_activity=False)
    assert ws.sql("SELECT account_id, handle FROM accounts") == [("1", "sim_gz")]
    assert ws.sql("SELECT register FROM registers") == [("protected",)]


def test_missing_required_column_is_one_clear_error_and_loads_nothing(
    ws: Workspace, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    write(src, "accounts.csv", "account_id\n1\n")
    write(src, "posts.csv", "post_id,account_id,text\n1,a,hi\n")
    with pytest.raises(
        InputError, match=r"posts.csv:1: missing required column\(s\) created_at, kind"
    ):
        ingest(ws, src, build_activity=False)
    assert ws.count("accounts") == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("posts.parquet", b"not parquet at all", "is not a readable Parquet file"),
        ("posts.csv", b"\x00\x01\x02\x03binary", "is not a text file"),
        ("posts.csv", b"", "is empty"),
        ("tweets.csv", b"a,b\n", "unknown native table 'tweets'"),
        ("posts.xlsx", b"PK", "not a native table file"),
    ],
)
def test_unreadable_files(
    ws: Workspace, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = write(tmp_path / "src", name, content)
    with pytest.raises(InputError, match=message):
        ingest(ws, path, build_activity=False)


def test_cli_reports_bad_input_in_one_line(tmp_path: Path) -> None:
    write(tmp_path / "src", "posts.csv", "post_id\n1\n")
    result = run_cli("ingest", str(tmp_path / "w.duckdb"), str(tmp_path / "src"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "posts.csv:1: missing required column(s) account_id, created_at, kind" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "w.duckdb").exists()  # the failed first ingest created nothing


def test_cli_commands_other_than_ingest_do_not_create_a_workspace(tmp_path: Path) -> None:
    ws = tmp_path / "typo.duckdb"
    gate = ["gate", "--account", "1", "--policy", "violent_speech", "--trigger", "report"]
    for command in (["detect"], gate, ["export-sor", "-o", str(tmp_path / "sor")]):
        result = run_cli(command[0], str(ws), *command[1:])
        assert result.returncode != 0, command
        assert "no such workspace (run 'separ ingest' first)" in result.stderr, command
        assert "Traceback" not in result.stderr
        assert not ws.exists(), command


def test_cli_failed_ingest_keeps_an_existing_workspace(tmp_path: Path) -> None:
    write(tmp_path / "good", "accounts.csv", "account_id,handle\n1,sim_a\n")
    write(tmp_path / "bad", "posts.csv", "post_id\n1\n")
    ws = tmp_path / "w.duckdb"
    assert run_cli("ingest", str(ws), str(tmp_path / "good")).returncode == 0
    assert run_cli("ingest", str(ws), str(tmp_path / "bad")).returncode == 2
    with Workspace(ws) as kept:
        assert kept.count("accounts") == 1


def test_cli_ingest_status_and_quarantine(tmp_path: Path) -> None:
    write(tmp_path / "src", "accounts.csv", "account_id,handle\n1,sim_a\n,missing\n")
    ws = str(tmp_path / "w.duckdb")
    result = run_cli("ingest", ws, str(tmp_path / "src"))
    assert result.returncode == 0, result.stderr
    assert "1 records quarantined" in result.stdout
    status = run_cli("status", ws)
    assert status.returncode == 0
    assert "accounts" in status.stdout
    listing = run_cli("quarantine", ws)
    assert "missing account_id" in listing.stdout


def test_csv_huge_field_and_multiline_text_keep_their_lines(ws: Workspace, tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(
        src,
        "accounts.csv",
        "account_id,bio\n"
        '1,"two\nlines"\n'  # lines 2-3
        f"2,{'x' * (1 << 21)}\n"  # line 4: over 1 MiB
        '3,"a ""quoted"" bio, with comma"\n',  # line 5
    )
    ingest(ws, src, build_activity=False)
    assert ws.sql("SELECT account_id, bio, _line FROM accounts ORDER BY 1") == [
        ("1", "two\nlines", 2),
        ("3", 'a "quoted" bio, with comma', 5),
    ]
    assert reasons(ws) == [(4, "a field is longer than 1048576 bytes")]


def test_parquet_rows_missing_required_values_are_quarantined(
    ws: Workspace, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    pq.write_table(
        pa.table(
            {
                "report_id": ["r1", "r2", None],
                "reporter_id": ["a", "b", "c"],
                "target_account_id": ["t", None, "t"],
                "reason": ["spam", "violent_speech", "spam"],
                "created_at": pa.array([datetime(2026, 3, 1)] * 3, pa.timestamp("us")),
                "note": ["kept", None, None],
            }
        ),
        src / "reports.parquet",
    )
    ingest(ws, src, build_activity=False)
    assert ws.sql("SELECT report_id, extra, _line FROM reports") == [("r1", '{"note":"kept"}', 1)]
    assert reasons(ws) == [(2, "missing target_account_id"), (3, "missing report_id")]


def test_truncated_csv_and_fractional_counts(ws: Workspace, tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(
        src,
        "accounts.csv",
        'account_id,followers_count,bio\n1,5.0,ok\n2,5.5,ok\n3,7,"cut off in the mid',
    )
    ingest(ws, src, build_activity=False)
    assert ws.sql("SELECT account_id, followers_count FROM accounts") == [("1", 5)]
    got = reasons(ws)
    assert got[0] == (3, "followers_count: not a whole number: 5.5")
    assert got[1][1].startswith("malformed CSV")


def test_csv_read_in_bulk_keeps_lines_across_rejected_records(
    ws: Workspace, tmp_path: Path
) -> None:
    """A big CSV goes through DuckDB's reader; rejected records do not shift the lines."""
    lines = ["account_id,handle,bio"]
    bad = {
        5_000: "5000,sim_x",  # too few fields
        10_000: "10000,caf\xe9,x",  # not UTF-8 (written as latin-1 below)
        15_000: f"15000,sim_y,{'x' * (1 << 20 | 1)}",  # a field over 1 MiB
        20_000: '20000,"sim_z"q,x',  # text after a closing quote
    }
    for line in range(2, 25_002):
        lines.append(bad.get(line, f"{line},sim_{line},bio {line}"))
    body = "\n".join(lines) + "\n"
    write(
        tmp_path / "src",
        "accounts.csv",
        body.encode("utf-8").replace("caf\xe9".encode(), b"caf\xe9"),
    )
    kwargs = {"header_lines": 1, "delimiter": ",", "max_field": 1 << 20}
    accounts = tmp_path / "src" / "accounts.csv"
    names = ["account_id", "handle", "bio"]
    probe = read_csv_records(ws.con, accounts, lambda *a: None, names=names, target="_p", **kwargs)
    assert probe is not None
    ws.con.execute("DROP TABLE _p")
    blank = write(tmp_path, "blank.csv", "a,b\n1,2\n\n3,4\n")
    no = read_csv_records(ws.con, blank, lambda *a: None, names=["a", "b"], target="_b", **kwargs)
    assert no is None
    report = ingest(ws, tmp_path / "src", build_activity=False)
    assert report.files[0].records == 25_000
    assert ws.count("accounts") == 24_996
    wrong = ws.sql("SELECT count(*) FROM accounts WHERE CAST(account_id AS INT) <> _line")
    assert wrong == [(0,)]
    assert reasons(ws) == [
        (5_000, "expected 3 fields, found 2"),
        (10_000, "not valid UTF-8 text"),
        (15_000, "a field is longer than 1048576 bytes"),
        (20_000, "malformed CSV: Value with unterminated quote found."),
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"a,b\n1,2\n3,4\n",
        b"a,b\n1,2\n3,4",  # no line feed at the end
        b"a,b\r\n1,2\r\n3,4\r\n",
        b"a,b\n1,2\n\n\n3,4\n",  # blank lines
        b'a,b\n1,"two\nlines"\n3,4\n',  # a record over two lines
        b"\xef\xbb\xbfa,b\n1,caf\xe9\n3,4\n",  # a BOM, and bytes that are not UTF-8
        b"",
        b"\n",
    ],
)
def test_csv_lines_counted_from_bytes_match_duckdb(
    ws: Workspace, tmp_path: Path, body: bytes
) -> None:
    from separ.ingest.bulk import _counted_lines, _newlines, _source_options

    path = write(tmp_path, "t.csv", body)
    assert _newlines(path) == _counted_lines(ws.con, path, _source_options(path, 1 << 20))


def test_csv_with_bare_carriage_returns_is_left_to_duckdb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from separ.ingest import bulk

    monkeypatch.setattr(bulk, "_CHUNK", 3)  # "\r\n" split between two reads
    assert bulk._newlines(write(tmp_path, "mac.csv", b"a,b\r1,2\r3,4\r")) is None
    assert bulk._newlines(write(tmp_path, "mixed.csv", b"a,b\r\n1,x\ry\r\n")) is None
    assert bulk._newlines(write(tmp_path, "crlf.csv", b"a,b\r\n1,2\r\n")) == 2
    assert bulk._newlines(write(tmp_path, "end.csv", b"ab\r\n12\r\n3")) == 3
