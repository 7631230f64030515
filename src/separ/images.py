"""Perceptual image hashes: compute, compare, cluster, and match against hash lists.

Hashes are text, ``KIND:HEX``, as the native format stores them (``accounts.avatar_hash``,
``posts.media_hashes``): ``phash:`` + 16 hex digits (imagehash's DCT pHash, 64 bits) or
``pdq:`` + 64 hex digits (Meta's PDQ, 256 bits, through the optional ``pdqhash``
package, bit order as ThreatExchange writes it). Two images are near-identical when their
hashes differ in few bits (Hamming distance); see docs/images.md for the thresholds and
how they were measured.

Finding every pair of hashes within a distance uses multi-index hashing: each hash is cut
into blocks, and two hashes within ``d`` bits agree within ``d // blocks`` bits on at
least one block (pigeonhole), so only hashes sharing a block value up to a few flipped
bits are compared. It runs as table look-ups in numpy, never as a Python loop over pairs.

Operator hash lists are plain text: ``pdq:HEX label`` or ``phash:HEX label`` per line,
``#`` comments and blank lines, and the ThreatExchange formats (``pdq HEX`` lines as the
``threatexchange`` file exchange reads them, and the CSV of ``threatexchange dataset -P
--csv``).
"""

from __future__ import annotations

import csv
import importlib
import io
import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import imagehash
import numpy as np
import numpy.typing as npt
import pyarrow as pa
from PIL import Image, UnidentifiedImageError
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from separ.arrays import sorted_unique
from separ.errors import InputError, ParameterError
from separ.workspace import Workspace

BITS = {"phash": 64, "pdq": 256}
"""Hash kinds and their lengths in bits."""

MAX_DISTANCE = {"phash": 10, "pdq": 31}
"""Default near-identical thresholds (bits, inclusive): pHash 10 of 64 (measured on the
simulator's perturbed avatars, docs/images.md); PDQ 31 of 256 (ThreatExchange's
``PDQ_CONFIDENT_MATCH_THRESHOLD``)."""

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
_HEX = re.compile(r"[0-9a-f]+")


# -- hashing ---------------------------------------------------------------------------------
def hash_image(image: Image.Image, kind: str = "phash") -> str:
    """The ``KIND:HEX`` perceptual hash of an image already opened with Pillow."""
    if kind == "phash":
        return f"phash:{imagehash.phash(image)}"
    if kind == "pdq":
        return f"pdq:{_pdq(image)}"
    raise ParameterError(f"unknown image hash kind {kind!r} (known: {', '.join(BITS)})")


def image_hash(path: str | Path, kind: str = "phash") -> str:
    """The ``KIND:HEX`` perceptual hash of the image file at ``path``.

    ``phash`` is imagehash's pHash (hash_size 8: 64 bits); ``pdq`` needs the optional
    ``pdqhash`` package. A file that is missing or not an image is an ``InputError``.
    """
    if kind not in BITS:
        raise ParameterError(f"unknown image hash kind {kind!r} (known: {', '.join(BITS)})")
    try:
        with Image.open(path) as image:
            return hash_image(image, kind)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise InputError(path, f"cannot read image: {exc}") from exc


def _pdq(image: Image.Image) -> str:
    """PDQ hex as ThreatExchange writes it: the first of the 256 bits is the highest."""
    try:
        pdqhash: Any = importlib.import_module("pdqhash")
    except ImportError:
        raise ParameterError(
            "PDQ hashes need the optional 'pdqhash' package: pip install pdqhash"
        ) from None
    pixels = np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))
    vector, _quality = pdqhash.compute(pixels)
    return bytes(np.packbits(np.asarray(vector, dtype=np.uint8))).hex()


# -- parsing and distance --------------------------------------------------------------------
def parse_hash(text: str) -> tuple[str, str]:
    """``(kind, hex)`` of a hash written ``phash:HEX`` or ``pdq:HEX`` (any case, spaces
    around it ignored); bare hex is read by its length (16 digits pHash, 64 PDQ).
    Raises ``ValueError`` naming what is wrong."""
    value = text.strip().lower()
    kind, sep, digits = value.partition(":")
    if not sep:
        kind, digits = {16: "phash", 64: "pdq"}.get(len(value), ""), value
        if not kind:
            raise ValueError(f"not an image hash: {text!r} (expected phash:HEX or pdq:HEX)")
    if kind not in BITS:
        raise ValueError(f"unknown image hash kind {kind!r} in {text!r} (known: phash, pdq)")
    if len(digits) != BITS[kind] // 4 or not _HEX.fullmatch(digits):
        raise ValueError(
            f"{kind} hash must be {BITS[kind] // 4} hex digits, got {digits!r} ({len(digits)})"
        )
    return kind, digits


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hashes of the same kind (``ValueError`` otherwise)."""
    kind_a, hex_a = parse_hash(a)
    kind_b, hex_b = parse_hash(b)
    if kind_a != kind_b:
        raise ValueError(f"cannot compare a {kind_a} hash with a {kind_b} hash")
    return (int(hex_a, 16) ^ int(hex_b, 16)).bit_count()


def hash_words(hexes: Sequence[str]) -> U64:
    """Hex digests of one length as an ``(n, bits / 64)`` array of uint64 words."""
    if not hexes:
        return np.zeros((0, 1), dtype=np.uint64)
    raw = np.frombuffer(bytes.fromhex("".join(hexes)), dtype=">u8")
    return raw.reshape(len(hexes), -1).astype(np.uint64)


def distances(a: U64, b: U64) -> I64:
    """Row-wise Hamming distances between two equally shaped word arrays."""
    return np.bitwise_count(a ^ b).sum(axis=1, dtype=np.int64)


# -- near pairs: multi-index hashing ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Plan:
    per_word: int  # blocks per 64-bit word
    radius: int  # bits a block may differ by (max_distance // blocks)

    def blocks(self, words: int) -> list[tuple[int, int, int]]:
        """(word, shift, width) of each block."""
        edges = np.linspace(0, 64, self.per_word + 1).astype(int)
        return [
            (w, int(lo), int(hi - lo)) for w in range(words) for lo, hi in itertools.pairwise(edges)
        ]


def _plan(words: int, max_distance: int, n: int) -> _Plan:
    """Blocks per word that minimise the work: probes (table look-ups) plus candidate
    pairs (expected bucket size of random hashes), the latter weighted as 3 look-ups."""
    best: tuple[float, _Plan] | None = None
    for per_word in range(3, 9):  # blocks of 8 to 21 bits: direct-address tables
        blocks = words * per_word
        width = 64 // per_word
        radius = max_distance // blocks
        if radius > 4:
            continue
        probes = blocks * sum(math.comb(width, i) for i in range(radius + 1))
        cost = probes * (1.0 + 3.0 * n / 2.0**width)
        if best is None or cost < best[0]:
            best = (cost, _Plan(per_word, radius))
    if best is None:
        raise ParameterError(f"a distance of {max_distance} bits is too large to search")
    return best[1]


def _masks(width: int, radius: int) -> U64:
    masks = [
        sum(1 << b for b in bits)
        for r in range(radius + 1)
        for bits in itertools.combinations(range(width), r)
    ]
    return np.array(masks, dtype=np.uint64)


CHUNK = 1 << 22
"""Probe look-ups per numpy step (bounds memory: a few arrays of this many int64)."""


def near_pairs(a: U64, b: U64 | None = None, *, max_distance: int) -> tuple[I64, I64, I64]:
    """Every pair ``(i, j)`` with ``distance(a[i], b[j]) <= max_distance``, as arrays
    ``(i, j, distance)`` sorted by ``(i, j)``. With ``b`` omitted, pairs within ``a`` with
    ``i < j``.

    Multi-index hashing: for each block, a direct-address table of ``b``'s block values
    (bucket start and size per value) answers every probe (``a``'s block value with up to
    ``radius`` bits flipped) in one look-up; candidates are then checked on all bits.
    """
    other = a if b is None else b
    empty = np.zeros(0, dtype=np.int64)
    if len(a) == 0 or len(other) == 0:
        return empty, empty, empty
    plan = _plan(a.shape[1], max_distance, max(len(a), len(other)))
    found: list[I64] = []
    n_other = np.int64(len(other))
    for word, shift, width in plan.blocks(a.shape[1]):
        low = np.uint64((1 << width) - 1)
        key_a = ((a[:, word] >> np.uint64(shift)) & low).astype(np.int64)
        key_b = ((other[:, word] >> np.uint64(shift)) & low).astype(np.int64)
        order = np.argsort(key_b, kind="stable")
        sizes = np.bincount(key_b, minlength=1 << width)
        starts = np.cumsum(sizes) - sizes
        masks = _masks(width, plan.radius).astype(np.int64)
        step = max(1, CHUNK // len(masks))
        for lo in range(0, len(a), step):
            rows = np.arange(lo, min(len(a), lo + step), dtype=np.int64)
            probe = (key_a[rows, None] ^ masks[None, :]).ravel()
            count = sizes[probe]
            total = int(count.sum())
            if not total:
                continue
            qi = np.repeat(np.repeat(rows, len(masks)), count)
            first = np.repeat(starts[probe] - (np.cumsum(count) - count), count)
            bj = order[first + np.arange(total, dtype=np.int64)]
            if b is None:
                keep = qi < bj
                qi, bj = qi[keep], bj[keep]
            close = distances(a[qi], other[bj]) <= max_distance
            found.append(qi[close] * n_other + bj[close])
    if not found:
        return empty, empty, empty
    keys = sorted_unique(np.concatenate(found))
    i, j = keys // n_other, keys % n_other
    return i, j, distances(a[i], other[j])


def cluster_hashes(hashes: Sequence[str], max_distance: dict[str, int] | None = None) -> I64:
    """A cluster label per hash: hashes of one kind within ``max_distance[kind]`` bits of
    each other, directly or through a chain, share a label (single linkage). Equal hashes
    always do; hashes of different kinds never do. Labels are 0.. in order of each
    cluster's smallest hash text, so the same set of hashes gets the same labels.
    Raises ``ValueError`` for a text that is not a hash."""
    limits = {**MAX_DISTANCE, **(max_distance or {})}
    distinct = sorted(set(hashes))
    parsed = [parse_hash(h) for h in distinct]
    parent = np.arange(len(distinct), dtype=np.int64)
    rows: list[I64] = []
    cols: list[I64] = []
    for kind in BITS:
        idx = np.array([k for k, (kd, _) in enumerate(parsed) if kd == kind], dtype=np.int64)
        if len(idx) < 2:
            continue
        words = hash_words([parsed[k][1] for k in idx])
        i, j, _ = near_pairs(words, max_distance=limits[kind])
        rows.append(idx[i])
        cols.append(idx[j])
    if rows:
        r, c = np.concatenate(rows), np.concatenate(cols)
        graph = coo_matrix((np.ones(len(r)), (r, c)), shape=(len(distinct), len(distinct)))
        _, parent = connected_components(graph, directed=False)
    # relabel so that clusters are numbered by their smallest member (sorted order)
    _, first = np.unique(parent, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    label_of = dict(zip(distinct, rank[np.unique(parent, return_inverse=True)[1]], strict=True))
    return np.array([label_of[h] for h in hashes], dtype=np.int64)


# -- hash lists ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class HashEntry:
    """One hash of an operator's list, with its label and the line it came from."""

    kind: str
    hex: str
    label: str
    line: int

    @property
    def text(self) -> str:
        return f"{self.kind}:{self.hex}"


@dataclass(frozen=True, slots=True)
class HashList:
    """A parsed hash list: the image hashes, and how many other signals were skipped
    (a ThreatExchange export also holds URLs, MD5s, text...)."""

    path: Path
    entries: tuple[HashEntry, ...]
    skipped: int = 0


TX_IMAGE_TYPES = {"pdq": "pdq", "phash": "phash"}
"""ThreatExchange signal type names (``SignalType.get_name()``) that are image hashes."""


def read_hash_list(path: str | Path) -> HashList:
    """Parse an operator hash list; a bad line is an ``InputError`` naming file and line.

    Accepted, one signal per line: ``pdq:HEX label...`` or ``phash:HEX label...``;
    ``pdq HEX label...`` (ThreatExchange's file exchange: type, space, signal); a bare
    64- or 16-digit hex hash. ``#`` starts a comment; blank lines are skipped; a missing
    label is the file's name. A CSV whose header has ``signal_type`` and ``signal_str``
    (``threatexchange dataset -P --csv``: collab, signal_type, signal_str, category,
    tags) is read by column: the label is the tags, else the collaboration; signal types
    that are not image hashes (URLs, MD5s, text) are counted as skipped.
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(source, f"cannot read hash list: {exc}") from exc
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    header = [c.strip().lower() for c in first.split(",")]
    if "signal_type" in header and "signal_str" in header:
        return _read_tx_csv(source, text)
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            entries.append(_parse_line(source, number, line))
    return HashList(source, tuple(entries))


def _parse_line(source: Path, number: int, line: str) -> HashEntry:
    head, _, rest = line.partition(" ")
    tx_kind = TX_IMAGE_TYPES.get(head.lower())
    if tx_kind and rest.strip():  # ThreatExchange's file exchange: "pdq HEX label"
        digits, _, rest = rest.strip().partition(" ")
        head = f"{tx_kind}:{digits}"
    try:
        kind, digits = parse_hash(head)
    except ValueError as exc:
        raise InputError(
            source, f"{exc}; a line is 'pdq:HEX label' or 'phash:HEX label'", number
        ) from None
    return HashEntry(kind, digits, rest.strip() or source.name, number)


def _read_tx_csv(source: Path, text: str) -> HashList:
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [f.strip().lower() for f in reader.fieldnames or []]
    entries = []
    skipped = 0
    for row in reader:
        number = reader.line_num
        kind = TX_IMAGE_TYPES.get((row.get("signal_type") or "").strip().lower())
        if kind is None:
            skipped += 1
            continue
        try:
            kind, digits = parse_hash(f"{kind}:{(row.get('signal_str') or '').strip()}")
        except ValueError as exc:
            raise InputError(source, str(exc), number) from None
        label = (row.get("tags") or "").strip() or (row.get("collab") or "").strip()
        entries.append(HashEntry(kind, digits, label or source.name, number))
    return HashList(source, tuple(entries), skipped)


@dataclass(frozen=True, slots=True)
class ListMatch:
    """``hashes[index]`` is within ``distance`` bits of ``entry``."""

    index: int
    entry: HashEntry
    distance: int


def match_hash_list(
    hashes: Sequence[str], hash_list: HashList, max_distance: dict[str, int] | None = None
) -> list[ListMatch]:
    """Every (hash, list entry) of one kind within ``max_distance[kind]`` bits, in order
    of hash then list line. Texts that are not hashes are skipped."""
    limits = {**MAX_DISTANCE, **(max_distance or {})}
    out: list[ListMatch] = []
    for kind in BITS:
        listed = [e for e in hash_list.entries if e.kind == kind]
        mine: list[tuple[int, str]] = []
        for k, h in enumerate(hashes):
            try:
                hk, digits = parse_hash(h)
            except ValueError:
                continue
            if hk == kind:
                mine.append((k, digits))
        if not listed or not mine:
            continue
        i, j, d = near_pairs(
            hash_words([m[1] for m in mine]),
            hash_words([e.hex for e in listed]),
            max_distance=limits[kind],
        )
        out += [
            ListMatch(mine[a][0], listed[b], int(c))
            for a, b, c in zip(i.tolist(), j.tolist(), d.tolist(), strict=True)
        ]
    return sorted(out, key=lambda m: (m.index, m.entry.line))


# -- the workspace ---------------------------------------------------------------------------
def hash_avatar_files(
    ws: Workspace,
    folder: str | Path,
    kind: str = "phash",
    on_error: Callable[[Path, str], None] | None = None,
) -> int:
    """Fill missing ``accounts.avatar_hash`` from avatar files; returns how many were
    filled.

    ``accounts.avatar`` paths are read relative to ``folder`` (the ingested folder); URLs
    are never fetched, paths leaving the folder are refused, and default avatars are
    skipped. A file that is missing or not an image is passed to ``on_error(path,
    reason)`` and left unhashed. Rebuild the activity table afterwards
    (``separ.activity.build_activity``) so that the ``avatar`` layer sees the new hashes.
    """
    if kind not in BITS:
        raise ParameterError(f"unknown image hash kind {kind!r} (known: {', '.join(BITS)})")
    root = Path(folder).resolve()
    rows = ws.sql(
        """SELECT account_id, avatar FROM accounts
        WHERE avatar_hash IS NULL AND avatar IS NOT NULL AND NOT contains(avatar, '://')
          AND NOT coalesce(default_avatar, false)
        ORDER BY account_id"""
    )
    ids: list[str] = []
    found: list[str] = []
    for account_id, avatar in rows:
        path = (root / avatar).resolve()
        if not path.is_relative_to(root):
            if on_error:
                on_error(path, f"outside {root}")
            continue
        try:
            found.append(image_hash(path, kind))
        except InputError as exc:
            if on_error:
                on_error(path, str(exc))
            continue
        ids.append(account_id)
    if ids:
        ws.con.register("_separ_avatar_hashes", pa.table({"account_id": ids, "h": found}))
        try:
            ws.con.execute(
                """UPDATE accounts SET avatar_hash = h.h FROM _separ_avatar_hashes h
                WHERE accounts.account_id = h.account_id AND accounts.avatar_hash IS NULL"""
            )
        finally:
            ws.con.unregister("_separ_avatar_hashes")
    return len(ids)


@dataclass(frozen=True, slots=True)
class ReusedImage:
    """A cluster of near-identical images: its smallest hash, how many accounts in the
    workspace use it (``total``), which of the asked-about accounts do, and one local
    avatar file to show (or None)."""

    hash: str
    total: int
    accounts: tuple[str, ...]
    avatar: str | None


def image_clusters(
    ws: Workspace, verb: str = "avatar", max_distance: dict[str, int] | None = None
) -> dict[str, tuple[str, ...]]:
    """``{cluster hash: sorted accounts}`` for the near-identical images of one activity
    layer (``avatar`` or ``media``); the cluster is named by its smallest hash. Objects
    that are not image hashes are left out."""
    rows = ws.sql(
        "SELECT DISTINCT actor, object FROM activity WHERE verb = ? AND object IS NOT NULL "
        "ORDER BY actor, object",
        [verb],
    )
    rows = [r for r in rows if _is_hash(r[1])]
    labels = cluster_hashes([h for _, h in rows], max_distance)
    names: dict[int, str] = {}
    members: dict[int, set[str]] = {}
    for (actor, h), label in zip(rows, labels.tolist(), strict=True):
        names[label] = min(names.get(label, h), h)
        members.setdefault(label, set()).add(actor)
    return {names[k]: tuple(sorted(v)) for k, v in members.items()}


def reused_avatars(
    ws: Workspace,
    accounts: Iterable[str] | None = None,
    max_distance: dict[str, int] | None = None,
    min_accounts: int = 2,
) -> list[ReusedImage]:
    """Avatar images used by at least ``min_accounts`` of ``accounts`` (default: every
    account), most used first: the dossier's grid of reused avatars with counts, and the
    "reused avatars" trait of a cohort."""
    wanted = None if accounts is None else set(accounts)
    out = []
    for name, members in image_clusters(ws, "avatar", max_distance).items():
        mine = members if wanted is None else tuple(a for a in members if a in wanted)
        if len(mine) >= min_accounts:
            out.append((name, len(members), mine))
    files = dict(
        ws.sql(
            "SELECT account_id, avatar FROM accounts WHERE avatar IS NOT NULL "
            "AND NOT contains(avatar, '://') AND account_id IN (SELECT unnest(?))",
            [sorted({a for _, _, m in out for a in m})],
        )
    )
    return [
        ReusedImage(name, total, mine, next((files[a] for a in mine if a in files), None))
        for name, total, mine in sorted(out, key=lambda x: (-len(x[2]), -x[1], x[0]))
    ]


def _is_hash(text: str) -> bool:
    try:
        parse_hash(text)
    except ValueError:
        return False
    return True
