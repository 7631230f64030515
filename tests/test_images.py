"""Image hashes, hash lists and the ``reused_images`` detector, on real DuckDB files."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from separ.detectors import build, run_detectors
from separ.errors import InputError, ParameterError
from separ.images import (
    cluster_hashes,
    hamming,
    hash_avatar_files,
    hash_image,
    hash_words,
    image_hash,
    match_hash_list,
    near_pairs,
    parse_hash,
    read_hash_list,
    reused_avatars,
)
from separ.ingest import ingest
from separ.simulate.images import near_copies, pictures
from separ.workspace import Workspace
from tests.conftest import fresh, roles

# -- hashing ---------------------------------------------------------------------------------


def _local_avatars(scenario: Path) -> list[tuple[str, str, str]]:
    with fresh(scenario, "avatars") as ws:
        return [
            (a, p, h)
            for a, p, h in ws.sql(
                "SELECT account_id, avatar, avatar_hash FROM accounts "
                "WHERE avatar LIKE 'avatars/%' ORDER BY account_id"
            )
        ]


def test_phash_of_the_simulators_files_is_their_avatar_hash(scenario: Path) -> None:
    rows = _local_avatars(scenario)
    assert len(rows) >= 50
    for _, path, stored in rows:
        assert image_hash(scenario / "data" / path) == stored


def test_perturbed_copies_fall_within_the_threshold_and_other_pictures_do_not() -> None:
    rng = np.random.default_rng(7)
    groups = [near_copies(rng, 2) for _ in range(150)]
    base = [g[0].phash for g in groups]
    copies = [hamming(g[0].phash, c.phash) for g in groups for c in g[1:]]
    apart = [hamming(a, b) for i, a in enumerate(base) for b in base[i + 1 :]]
    assert np.mean(np.array(copies) <= 10) >= 0.99
    assert 0 < np.median(copies) <= 8
    assert np.mean(np.array(apart) <= 10) <= 1e-4
    assert np.median(apart) >= 28


def test_pdq_hashes_use_threatexchanges_bit_order(scenario: Path) -> None:
    pdqhash = pytest.importorskip("pdqhash")
    _, path, _ = _local_avatars(scenario)[0]
    text = image_hash(scenario / "data" / path, "pdq")
    kind, digits = parse_hash(text)
    assert kind == "pdq"
    with Image.open(scenario / "data" / path) as img:
        vector, _ = pdqhash.compute(np.asarray(img.convert("RGB")))
    # python-threatexchange's pdq_hasher: the bit string read as one binary number
    assert digits == f"{int(''.join(str(int(b)) for b in vector), 2):064x}"
    rng = np.random.default_rng(3)
    a, b = (Image.open(io.BytesIO(p.png)) for p in pictures(rng, 2))
    assert hamming(hash_image(a, "pdq"), hash_image(a, "pdq")) == 0
    assert hamming(hash_image(a, "pdq"), hash_image(b, "pdq")) > 31


def test_unreadable_images_are_input_errors(tmp_path: Path) -> None:
    bad = tmp_path / "x.png"
    bad.write_text("not an image")
    with pytest.raises(InputError, match=r"x\.png: cannot read image"):
        image_hash(bad)
    with pytest.raises(ParameterError, match="unknown image hash kind"):
        image_hash(bad, "md5")


def test_parse_and_hamming() -> None:
    assert parse_hash("PHASH:FFFF0000FFFF0000 ") == ("phash", "ffff0000ffff0000")
    assert parse_hash("ffff0000ffff0000") == ("phash", "ffff0000ffff0000")
    assert parse_hash("0" * 64) == ("pdq", "0" * 64)
    assert hamming("phash:" + "f" * 16, "phash:" + "0" * 16) == 64
    assert hamming("phash:8000000000000001", "phash:0000000000000000") == 2
    with pytest.raises(ValueError, match="cannot compare a phash hash with a pdq hash"):
        hamming("phash:" + "0" * 16, "pdq:" + "0" * 64)
    with pytest.raises(ValueError, match="must be 16 hex digits"):
        parse_hash("phash:12345")
    with pytest.raises(ValueError, match="unknown image hash kind 'md5'"):
        parse_hash("md5:" + "0" * 32)


@settings(max_examples=60, deadline=None)
@given(
    bits=st.sampled_from([64, 256]),
    seeds=st.lists(st.integers(0, 2**256 - 1), min_size=0, max_size=12),
    flips=st.lists(st.integers(0, 255), min_size=0, max_size=60),
    limit=st.integers(0, 40),
)
def test_near_pairs_finds_exactly_the_pairs_within_the_distance(
    bits: int, seeds: list[int], flips: list[int], limit: int
) -> None:
    values = [s % (1 << bits) for s in seeds]
    # near copies: each flip makes a variant of a seed with one more bit changed
    for k, f in enumerate(flips):
        if values:
            values.append(values[k % len(values)] ^ (1 << (f % bits)))
    if bits == 64:
        limit = min(limit, 24)
    words = hash_words([f"{v:0{bits // 4}x}" for v in values])
    i, j, d = near_pairs(words, max_distance=limit)
    brute = {
        (a, b, (values[a] ^ values[b]).bit_count())
        for a in range(len(values))
        for b in range(a + 1, len(values))
        if (values[a] ^ values[b]).bit_count() <= limit
    }
    assert set(zip(i.tolist(), j.tolist(), d.tolist(), strict=True)) == brute
    half = words[: len(words) // 2]
    i2, j2, _ = near_pairs(words, half, max_distance=limit)
    cross = {
        (a, b)
        for a in range(len(values))
        for b in range(len(half))
        if (values[a] ^ values[b]).bit_count() <= limit
    }
    assert set(zip(i2.tolist(), j2.tolist(), strict=True)) == cross


def test_clusters_chain_near_hashes_keep_kinds_apart_and_ignore_order() -> None:
    a = "phash:0000000000000000"
    b = "phash:00000000000003ff"  # 10 bits from a
    c = "phash:00000000000ffc00"  # 10 bits from b, 20 from a: joined through b
    far = "phash:ffffffffffffffff"
    pdq = "pdq:" + "0" * 64
    labels = cluster_hashes([a, b, c, far, pdq, a])
    assert labels[0] == labels[1] == labels[2] == labels[5]
    assert len({labels[0], labels[3], labels[4]}) == 3
    again = cluster_hashes([far, pdq, c, b, a])
    assert again.tolist() == [labels[3], labels[4], labels[2], labels[1], labels[0]]
    assert len(set(cluster_hashes([a, b, c], {"phash": 9}).tolist())) == 3


# -- hash lists ------------------------------------------------------------------------------

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def test_hash_lists_in_every_accepted_shape(tmp_path: Path) -> None:
    plain = tmp_path / "list.txt"
    plain.write_text(
        "# known avatars of a takedown\n"
        "\n"
        "phash:aa55555f34eaa06a op-aurora avatars  # trailing comment\n"
        f"pdq:{PDQ.upper()} op-aurora\n"
        f"pdq {PDQ}\n"
        "aa55555f34eaa06b\n",
        encoding="utf-8",
    )
    hashes = read_hash_list(plain)
    assert [(e.kind, e.label, e.line) for e in hashes.entries] == [
        ("phash", "op-aurora avatars", 3),
        ("pdq", "op-aurora", 4),
        ("pdq", "list.txt", 5),
        ("phash", "list.txt", 6),
    ]
    assert hashes.entries[1].text == f"pdq:{PDQ}"
    exported = tmp_path / "collab.csv"
    exported.write_text(
        "collab,signal_type,signal_str,category,tags\n"
        f"Sample Data,pdq,{PDQ},POSITIVE_CLASS,media_type_photo harassment\n"
        "Sample Data,url,https://example.org/x,POSITIVE_CLASS,\n"
        f"Sample Data,pdq,{PDQ[::-1]},POSITIVE_CLASS,\n",
        encoding="utf-8",
    )
    tx = read_hash_list(exported)
    assert [(e.label, e.line) for e in tx.entries] == [
        ("media_type_photo harassment", 2),
        ("Sample Data", 4),
    ]
    assert tx.skipped == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("phash:12345 label", "must be 16 hex digits"),
        ("sha1:abcd label", "unknown image hash kind 'sha1'"),
        ("just some words", "not an image hash"),
        (f"pdq:{PDQ[:-1]}x label", "must be 64 hex digits"),
    ],
)
def test_a_bad_line_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(f"# header\nphash:aa55555f34eaa06a fine\n{line}\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"bad\.txt:3: .*{message}") as err:
        read_hash_list(path)
    assert err.value.line == 3
    with pytest.raises(InputError, match="cannot read hash list"):
        read_hash_list(tmp_path / "missing.txt")


def test_match_hash_list_within_each_kinds_threshold(tmp_path: Path) -> None:
    path = tmp_path / "l.txt"
    path.write_text(f"phash:00000000000000ff eight\npdq:{PDQ} tx\n", encoding="utf-8")
    listed = read_hash_list(path)
    near_pdq = f"pdq:{int(PDQ, 16) ^ ((1 << 31) - 1):064x}"  # 31 bits away
    mine = ["phash:0000000000000000", "phash:ffffffffffffff00", near_pdq, "not a hash"]
    found = [(m.index, m.entry.label, m.distance) for m in match_hash_list(mine, listed)]
    assert found == [(0, "eight", 8), (2, "tx", 31)]
    assert match_hash_list(mine, listed, {"phash": 7, "pdq": 30}) == []


# -- the workspace ---------------------------------------------------------------------------


def test_hash_avatar_files_fills_missing_hashes(scenario: Path) -> None:
    errors: list[tuple[Path, str]] = []
    with fresh(scenario, "hash_files") as ws:
        before = dict(
            ws.sql("SELECT account_id, avatar_hash FROM accounts WHERE avatar LIKE 'avatars/%'")
        )
        ids = sorted(before)
        ws.con.execute(
            "UPDATE accounts SET avatar_hash = NULL WHERE account_id IN (SELECT unnest(?))", [ids]
        )
        ws.con.execute(
            "UPDATE accounts SET avatar = '../../../etc/passwd' WHERE account_id = ?", [ids[0]]
        )
        ws.con.execute(
            "UPDATE accounts SET avatar = 'avatars/none.png' WHERE account_id = ?", [ids[1]]
        )
        filled = hash_avatar_files(
            ws, scenario / "data", on_error=lambda p, r: errors.append((p, r))
        )
        after = dict(
            ws.sql(
                "SELECT account_id, avatar_hash FROM accounts WHERE account_id IN (SELECT unnest(?))",
                [ids],
            )
        )
        assert filled == len(ids) - 2
        assert after[ids[0]] is None
        assert after[ids[1]] is None
        assert all(after[a] == before[a] for a in ids[2:])
        assert hash_avatar_files(ws, scenario / "data") == 0  # nothing left to fill
    assert [p.name for p, _ in errors] == ["passwd", "none.png"]
    assert "outside" in errors[0][1]
    assert "cannot read image" in errors[1][1]


def test_reused_avatars_grid_counts_accounts(scenario: Path) -> None:
    truth = roles(scenario)
    with fresh(scenario, "grid") as ws:
        grid = reused_avatars(ws)
        operation = [a for a, r in truth.items() if r == "operation"]
        theirs = reused_avatars(ws, operation)
    assert grid[0].total == len(grid[0].accounts) >= 5  # the organic solidarity picture
    assert all(len(g.accounts) >= 2 for g in grid)
    assert [len(g.accounts) for g in grid] == sorted((len(g.accounts) for g in grid), reverse=True)
    assert all(g.avatar and (scenario / "data" / g.avatar).exists() for g in grid)
    assert theirs
    assert all(truth[a] == "operation" for g in theirs for a in g.accounts)
    assert sum(len(g.accounts) for g in theirs) >= 20


# -- the detector ----------------------------------------------------------------------------


def test_finds_operation_cohorts_and_spares_the_at_risk(scenario: Path) -> None:
    truth = roles(scenario)
    with fresh(scenario, "images_quality") as ws:
        findings = run_detectors(ws, [build("reused_images")])
    assert findings
    assert all(f.kind == "reused_images:avatar" for f in findings)
    flagged = {a for f in findings for a in f.accounts}
    operation = {a for a, r in truth.items() if r == "operation"}
    at_risk = {a for a, r in truth.items() if r == "at_risk"}
    assert len(flagged & operation) / len(flagged) >= 0.95
    assert len(flagged & operation) / len(operation) >= 0.25
    assert len(flagged & at_risk) / len(at_risk) <= 0.005
    for f in findings:
        assert all(e.startswith("a:") for e in f.event_ids)
        assert {e[2:] for e in f.event_ids} == set(f.accounts)
        assert f.significance is not None
        assert f.significance < 1e-5
        assert "where chance predicts" in f.summary


def _world(
    tmp_path: Path, accounts: list[dict[str, object]], posts: list[dict[str, object]]
) -> Workspace:
    folder = tmp_path / "data"
    folder.mkdir()
    with open(folder / "accounts.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(a) + "\n" for a in accounts)
    if posts:
        with open(folder / "posts.jsonl", "w", encoding="utf-8") as f:
            f.writelines(json.dumps(p) + "\n" for p in posts)
    ws = Workspace(tmp_path / "ws.duckdb")
    ingest(ws, folder)
    return ws


def _hex(value: int) -> str:
    return f"phash:{value & (2**64 - 1):016x}"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def test_popular_symbols_and_signup_waves_are_not_cohorts(tmp_path: Path) -> None:
    """A protest symbol used by many over the years, and a wave of new accounts of which
    some adopt it, are organic; a dozen accounts created in a day sharing three pictures
    (perturbed copies) are a cohort, found exactly."""
    rng = np.random.default_rng(11)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 3, 1, tzinfo=UTC) - start).total_seconds()
    symbol = int(rng.integers(0, 2**63))
    accounts: list[dict[str, object]] = []
    for k in range(3000):
        t = start + timedelta(seconds=float(rng.uniform(0, span)))
        picture = (
            symbol ^ (1 << int(rng.integers(0, 64))) if k < 120 else int(rng.integers(0, 2**63))
        )
        accounts.append(
            {"account_id": f"o{k}", "created_at": _iso(t), "avatar_hash": _hex(picture)}
        )
    wave = datetime(2026, 3, 10, tzinfo=UTC)
    for k in range(400):  # a signup wave: 400 accounts in two days, 15% take the symbol
        t = wave + timedelta(seconds=float(rng.uniform(0, 2 * 86400)))
        picture = symbol if k < 60 else int(rng.integers(0, 2**63))
        accounts.append(
            {"account_id": f"w{k}", "created_at": _iso(t), "avatar_hash": _hex(picture)}
        )
    pool = [int(rng.integers(0, 2**63)) for _ in range(3)]
    batch = datetime(2026, 2, 3, 9, tzinfo=UTC)
    for k in range(12):
        flip = sum(1 << int(b) for b in rng.choice(64, size=k % 4, replace=False))
        t = batch + timedelta(minutes=int(rng.integers(0, 600)))
        accounts.append(
            {"account_id": f"x{k}", "created_at": _iso(t), "avatar_hash": _hex(pool[k % 3] ^ flip)}
        )
    with _world(tmp_path, accounts, []) as ws:
        findings = build("reused_images").run(ws)
    assert [sorted(f.accounts) for f in findings] == [sorted(f"x{k}" for k in range(12))]
    assert (
        "12 accounts created on 3 February 2026 use 3 shared profile images" in findings[0].summary
    )


def test_media_layer_cites_the_posts(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    accounts: list[dict[str, object]] = []
    posts: list[dict[str, object]] = []
    meme = int(rng.integers(0, 2**63))
    for k in range(600):
        created = start + timedelta(days=float(rng.uniform(0, 2000)))
        accounts.append({"account_id": f"o{k}", "created_at": _iso(created)})
        picture = meme if k < 80 else int(rng.integers(0, 2**63))  # a viral meme, organic
        posts.append(
            {
                "post_id": f"po{k}",
                "account_id": f"o{k}",
                "created_at": "2026-03-01T10:00:00Z",
                "kind": "post",
                "text": f"organic post {k}",
                "media_hashes": [_hex(picture)],
            }
        )
    images = [int(rng.integers(0, 2**63)) for _ in range(2)]
    for k in range(8):
        accounts.append(
            {"account_id": f"x{k}", "created_at": _iso(datetime(2026, 2, 20, 8 + k, tzinfo=UTC))}
        )
        for n in range(2):
            posts.append(
                {
                    "post_id": f"px{k}-{n}",
                    "account_id": f"x{k}",
                    "created_at": f"2026-03-0{n + 2}T12:00:00Z",
                    "kind": "post",
                    "text": f"look {k} {n}",
                    "media_hashes": [_hex(images[n] ^ (1 << k))],
                }
            )
    with _world(tmp_path, accounts, posts) as ws:
        findings = build("reused_images", {"verbs": "media"}).run(ws)
    assert [f.kind for f in findings] == ["reused_images:media"]
    assert findings[0].accounts == [f"x{k}" for k in range(8)]
    assert set(findings[0].event_ids) == {f"p:px{k}-{n}" for k in range(8) for n in range(2)}
    assert "use 2 shared post images (8 accounts each)" in findings[0].summary


def test_hash_list_matches_become_labelled_findings(scenario: Path, tmp_path: Path) -> None:
    truth = roles(scenario)
    with fresh(scenario, "hash_list") as ws:
        shared = ws.sql(
            "SELECT object, count(*) FROM activity WHERE verb = 'avatar' "
            "GROUP BY object ORDER BY count(*) DESC, object LIMIT 3"
        )
        operation = ws.sql(
            "SELECT object FROM activity WHERE verb = 'avatar' AND actor IN (SELECT unnest(?)) "
            "ORDER BY object LIMIT 1",
            [[a for a, r in truth.items() if r == "operation"]],
        )[0][0]
        listed = tmp_path / "takedown.txt"
        listed.write_text(
            f"{operation} op-aurora\n{shared[0][0]} known-meme\nphash:0123456789abcdef op-aurora\n",
            encoding="utf-8",
        )
        findings = run_detectors(
            ws, [build("reused_images", {"hash_list": str(listed), "verbs": "avatar"})]
        )
        known = {e for (e,) in ws.sql("SELECT event_id FROM activity")}
        near = {
            a
            for a, h in ws.sql("SELECT actor, object FROM activity WHERE verb = 'avatar'")
            if hamming(h, operation) <= 10
        }
        with pytest.raises(InputError, match=r"missing\.txt"):
            build("reused_images", {"hash_list": str(tmp_path / "missing.txt")}).run(ws)
    listed_findings = {
        f.summary.split("labelled ")[1].split(" in")[0]: f
        for f in findings
        if f.kind == "hash_list"
    }
    assert set(listed_findings) == {"'op-aurora'", "'known-meme'"}
    aurora = listed_findings["'op-aurora'"]
    assert set(aurora.accounts) == near
    assert set(aurora.event_ids) <= known
    assert "line 1 of takedown.txt" in aurora.evidence[0].what
    assert len(listed_findings["'known-meme'"].accounts) == shared[0][1]


def test_unknown_layers_are_refused() -> None:
    with pytest.raises(ParameterError, match="unknown layers"):
        build("reused_images", {"verbs": "avatar,follow"})


def test_operators_stay_apart(scenario: Path) -> None:
    with open(scenario / "data" / "truth" / "accounts.csv", encoding="utf-8") as f:
        operator = {r["account_id"]: r["operator"] for r in csv.DictReader(f)}
    with fresh(scenario, "images_operators") as ws:
        findings = build("reused_images").run(ws)
    for f in findings:
        top = Counter(operator[a] for a in f.accounts).most_common(1)[0][1]
        assert top / len(f.accounts) >= 0.5
