"""Profiles: ids, handles, names, bios, places and avatars, built column-wise with Arrow.

Traits that many real people share are spread over every role on purpose: digits in
handles, no avatar, no bio, no location, a pseudonymous name. Only their *co-occurrence in
a cohort* (created together, same pictures, same bios) separates the operation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from separ.simulate import vocab
from separ.simulate.common import (
    I64,
    U64,
    Bools,
    Rng,
    fake_phash,
    hex64,
    ints_to_str,
    mix64,
    pick,
    snowflake_ids,
)
from separ.simulate.images import Avatar, near_copies, pictures
from separ.simulate.params import ScenarioParams
from separ.simulate.population import (
    AFFILIATED,
    AT_RISK,
    EN,
    JOURNALIST,
    OPERATION,
    ORGANIC,
    Population,
)

# Handle patterns: first_word, first12, wordword, first_last, word_12, First12345678, firstlast12
_HANDLE_P = np.array(
    [
        [0.20, 0.20, 0.10, 0.25, 0.10, 0.08, 0.07],  # organic
        [0.10, 0.10, 0.25, 0.05, 0.45, 0.00, 0.05],  # at-risk: mostly pseudonymous
        [0.20, 0.20, 0.10, 0.25, 0.10, 0.08, 0.07],  # affiliated (replaced below)
        [0.15, 0.25, 0.05, 0.10, 0.05, 0.35, 0.05],  # operation
    ]
)


@dataclass(slots=True)
class Profiles:
    ids: pa.Array
    handle: pa.Array
    display_name: pa.Array
    bio: pa.Array
    location: pa.Array
    url: pa.Array
    verified: Bools
    avatar: pa.Array
    avatar_hash: pa.Array
    default_avatar: Bools
    files: list[Avatar]
    pool_sizes: list[int]


def _words(rng: Rng, words: Sequence[str], n: int) -> pa.Array:
    return pa.array(list(words)).take(pa.array(rng.integers(0, len(words), size=n)))


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _select(choice: np.ndarray, options: Sequence[pa.Array]) -> pa.Array:
    out = options[0]
    for code, arr in enumerate(options[1:], start=1):
        out = pc.if_else(pa.array(choice == code), arr, out)
    return out


def _by_role(rng: Rng, role: np.ndarray, probs: Sequence[float]) -> Bools:
    out: Bools = rng.random(len(role)) < np.asarray(probs)[role]
    return out


def build_profiles(pop: Population, params: ScenarioParams, rng: Rng) -> Profiles:
    n = pop.n
    ids = ints_to_str(snowflake_ids(pop.created, rng))
    handle = _handles(pop, rng)
    avatar, avatar_hash, default, files, pools = _avatars(pop, params, rng)
    verified = (
        ((pop.role == AFFILIATED) & (rng.random(n) < 0.7))
        | ((pop.role == ORGANIC) & (pop.popularity > np.quantile(pop.popularity, 0.997)))
        | ((pop.kind == JOURNALIST) & (rng.random(n) < 0.15))
    )
    return Profiles(
        ids=ids,
        handle=handle,
        display_name=_display_names(pop, rng),
        bio=_bios(pop, rng),
        location=_locations(pop, rng),
        url=_urls(pop, handle, rng),
        verified=verified,
        avatar=avatar,
        avatar_hash=avatar_hash,
        default_avatar=default,
        files=files,
        pool_sizes=pools,
    )


def _handles(pop: Population, rng: Rng) -> pa.Array:
    """Handles from seven patterns; uniqueness is checked on integer keys of their parts."""
    n = pop.n
    cum = _HANDLE_P.cumsum(axis=1)[pop.role]
    pattern = (rng.random(n)[:, None] > cum).sum(axis=1).astype(np.uint64)
    codes = [rng.integers(0, len(words), size=n) for words in (vocab.LATIN_FIRST, vocab.LATIN_LAST)]
    codes += [rng.integers(0, len(vocab.LATIN_WORDS), size=n) for _ in range(2)]
    first, last, w1, w2 = (
        pa.array(list(w)).take(pa.array(c))
        for w, c in zip(
            (vocab.LATIN_FIRST, vocab.LATIN_LAST, vocab.LATIN_WORDS, vocab.LATIN_WORDS),
            codes,
            strict=True,
        )
    )
    d2_num = rng.integers(10, 10_000, size=n)
    d8_num = rng.integers(10**6, 10**8, size=n)
    d2, d8 = ints_to_str(d2_num), ints_to_str(d8_num)
    handle = _select(
        pattern,
        [
            _join(first, "_", w1),
            _join(first, d2),
            _join(w1, w2),
            _join(first, "_", last),
            _join(w1, "_", d2),
            _join(pc.utf8_capitalize(first), d8),
            _join(first, last, d2),
        ],
    )
    key = _handle_keys(pattern, codes, d2_num, d8_num)
    agency_codes = (
        rng.integers(0, len(vocab.AGENCY_WORDS), size=n),
        rng.integers(0, len(vocab.AGENCY_SUFFIX), size=n),
    )
    agency = _join(
        pa.array(vocab.AGENCY_WORDS).take(pa.array(agency_codes[0])),
        "_",
        pa.array(vocab.AGENCY_SUFFIX).take(pa.array(agency_codes[1])),
    )
    affiliated = pop.role == AFFILIATED
    handle = pc.if_else(pa.array(affiliated), agency, handle)
    agency_key = (
        (np.uint64(7) << np.uint64(58))
        | (agency_codes[0].astype(np.uint64) << np.uint64(8))
        | agency_codes[1].astype(np.uint64)
    )
    key = np.where(affiliated, agency_key, key)
    new = np.flatnonzero(pop.rereg_of >= 0)
    if len(new):
        # suffixes no pattern can produce, so only other successors could clash
        suffix = rng.integers(0, len(REREG_SUFFIX), size=len(new))
        renamed = _join(
            handle.take(pa.array(pop.rereg_of[new])), pa.array(REREG_SUFFIX).take(pa.array(suffix))
        )
        handle = _scatter(handle, new, renamed)
        key[new] = mix64(key[pop.rereg_of[new]], 1) ^ suffix.astype(np.uint64)
    return _unique(handle, key, rng)


REREG_SUFFIX = ("_2", "_new", "_back", "_fa", "_again")
# The parts each handle pattern uses: first, last, w1, w2, digits (0 none, 1 short, 2 long).
_PARTS = np.array(
    [
        [1, 0, 1, 0, 0],
        [1, 0, 0, 0, 1],
        [0, 0, 1, 1, 0],
        [1, 1, 0, 0, 0],
        [0, 0, 1, 0, 1],
        [1, 0, 0, 0, 2],
        [1, 1, 0, 0, 1],
    ],
    dtype=np.uint64,
)


def _handle_keys(pattern: U64, codes: list[I64], d2: I64, d8: I64) -> U64:
    """One integer per handle that is equal exactly when the handles are equal.

    Bits: pattern (58-60), four 6-bit word codes (32-55), digits (0-26). Patterns never
    produce each other's strings, so comparing keys avoids hashing a million strings.
    """
    uses = _PARTS[pattern.astype(np.int64)]
    digits = np.where(uses[:, 4] == 2, d8, np.where(uses[:, 4] == 1, d2, 0)).astype(np.uint64)
    key: U64 = (pattern << np.uint64(58)) | digits
    for j, c in enumerate(codes):
        key |= (c.astype(np.uint64) * uses[:, j]) << np.uint64(50 - 6 * j)
    return key


def _scatter(arr: pa.Array, idx: I64, values: pa.Array) -> pa.Array:
    """``arr`` with ``arr[idx] = values``."""
    n = len(arr)
    src = np.arange(n, dtype=np.int64)
    src[idx] = n + np.arange(len(idx))
    return pa.concat_arrays([arr, values.cast(arr.type)]).take(pa.array(src))


def _unique(handle: pa.Array, key: np.ndarray, rng: Rng) -> pa.Array:
    """Append ``_NNN`` to later duplicates (found by key) until every handle is unique."""
    key = key.copy()
    for _ in range(8):
        order = np.argsort(key)
        repeated = key[order][1:] == key[order][:-1]
        idx = np.sort(order[1:][repeated])
        if not len(idx):
            return handle
        extra = rng.integers(100, 100_000, size=len(idx))
        handle = _scatter(handle, idx, _join(handle.take(pa.array(idx)), "_", ints_to_str(extra)))
        key[idx] = mix64(key[idx], 2) ^ extra.astype(np.uint64)
    raise RuntimeError("could not make handles unique")


def _display_names(pop: Population, rng: Rng) -> pa.Array:
    n = pop.n
    fa_real = _join(_words(rng, vocab.FA_FIRST, n), " ", _words(rng, vocab.FA_LAST, n))
    fa_first = _words(rng, vocab.FA_FIRST, n)
    en_first = pc.utf8_capitalize(_words(rng, vocab.LATIN_FIRST, n))
    en_real = _join(en_first, " ", pc.utf8_capitalize(_words(rng, vocab.LATIN_LAST, n)))
    pseudo_p = np.array([0.2, 0.55, 0.0, 0.0])[pop.role]
    u = rng.random(n)
    style = np.where(u < pseudo_p, 2, np.where(u < pseudo_p + 0.25, 1, 0))
    fa = _select(style, [fa_real, fa_first, _words(rng, vocab.FA_PSEUDO, n)])
    en = _select(style, [en_real, en_first, _words(rng, vocab.EN_PSEUDO, n)])
    name = pc.if_else(pa.array(pop.lang == EN), en, fa)
    emoji = _by_role(rng, pop.role, [0.1, 0.05, 0.0, 0.3])
    loyal = _loyalists(pop)
    flag = (pop.role == OPERATION) | (loyal & (rng.random(n) < 0.5))
    tail = pc.if_else(pa.array(flag), vocab.FLAG, _words(rng, vocab.NAME_EMOJI, n))
    name = pc.if_else(
        pa.array(emoji | (flag & (rng.random(n) < 0.3))), _join(name, " ", tail), name
    )
    op_slogan = ((pop.role == OPERATION) | loyal) & (rng.random(n) < 0.3)
    name = pc.if_else(pa.array(op_slogan), _words(rng, vocab.OP_NAMES, n), name)
    agency = _join(_words(rng, vocab.AGENCY_FA, n), " ", _words(rng, vocab.AGENCY_WORDS_FA, n))
    name = pc.if_else(pa.array(pop.role == AFFILIATED), agency, name)
    new = np.flatnonzero(pop.rereg_of >= 0)
    if len(new):
        suffix = _words(rng, ("", " ۲", " (حساب جدید)", " 2"), len(new))
        name = _scatter(name, new, _join(name.take(pa.array(pop.rereg_of[new])), suffix))
    return name


def _loyalists(pop: Population) -> Bools:
    """Organic pro-government users: they share the operation's slogans, bios and flags."""
    out: Bools = (pop.role == ORGANIC) & (pop.community == pop.state_community)
    return out


def _bios(pop: Population, rng: Rng) -> pa.Array:
    n = pop.n
    general = pc.if_else(
        pa.array(pop.lang == EN), _words(rng, vocab.BIO_EN, n), _words(rng, vocab.BIO_FA, n)
    )
    bio = pc.if_else(pa.array(pop.role == AT_RISK), _words(rng, vocab.BIO_AT_RISK, n), general)
    patriotic = (pop.role == OPERATION) | (_loyalists(pop) & (rng.random(n) < 0.4))
    bio = pc.if_else(pa.array(patriotic), _words(rng, vocab.BIO_OP, n), bio)
    empty = _by_role(rng, pop.role, [0.45, 0.6, 0.0, 0.5])
    return pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), bio)


def _locations(pop: Population, rng: Rng) -> pa.Array:
    n = pop.n
    loc = pc.if_else(
        pa.array((pop.role == OPERATION) | (_loyalists(pop) & (rng.random(n) < 0.4))),
        _words(rng, vocab.OP_LOCATIONS, n),
        _words(rng, vocab.LOCATIONS, n),
    )
    loc = pc.if_else(pa.array(pop.role == AFFILIATED), "تهران", loc)
    empty = _by_role(rng, pop.role, [0.45, 0.8, 0.0, 0.5])
    return pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), loc)


def _urls(pop: Population, handle: pa.Array, rng: Rng) -> pa.Array:
    url = _join("https://", handle, ".blog.example.org")
    agency = _join("https://", pc.utf8_replace_slice(handle, 0, 0, "www."), ".example")
    url = pc.if_else(pa.array(pop.role == AFFILIATED), agency, url)
    has = _by_role(rng, pop.role, [0.08, 0.1, 0.9, 0.0])
    return pc.if_else(pa.array(has), url, pa.scalar(None, pa.string()))


def _avatars(
    pop: Population, params: ScenarioParams, rng: Rng
) -> tuple[pa.Array, pa.Array, Bools, list[Avatar], list[int]]:
    n = pop.n
    p_default = [params.default_avatar_share, 0.55, 0.0, params.operation_default_avatar]
    default = _by_role(rng, pop.role, p_default)
    file_idx = np.full(n, -1, dtype=np.int64)
    files: list[Avatar] = []
    pools: list[int] = []
    lo, hi = params.avatar_pool
    for k in range(params.operators):
        members = np.flatnonzero((pop.operator == k) & ~default)
        size = int(rng.integers(lo, hi + 1))
        pools.append(size)
        group = pick(rng, 1.0 / np.arange(1, size + 1) ** 0.7, len(members))
        copy = rng.choice(3, size=len(members), p=[0.6, 0.2, 0.2])
        file_idx[members] = len(files) + 3 * group + copy
        for _ in range(size):
            files += near_copies(rng, 2)
    people = np.flatnonzero((pop.role <= AT_RISK) & ~default)
    solidarity = people[rng.random(len(people)) < params.solidarity_avatar_share]
    file_idx[solidarity] = len(files) + rng.integers(0, 2, size=len(solidarity))
    files += pictures(rng, 2)
    is_solidarity = np.zeros(n, dtype=bool)
    is_solidarity[solidarity] = True
    rest = people[~is_solidarity[people]]
    sample = rng.choice(rest, size=min(len(rest), _sample_size(params, pop.n)), replace=False)
    file_idx[np.sort(sample)] = len(files) + np.arange(len(sample))
    files += pictures(rng, len(sample))
    has_file = file_idx >= 0
    paths = pa.array([f.path for f in files] or [""])
    hashes = pa.array([f.phash for f in files] or [""])
    random_hash = np.zeros(n, dtype=np.uint64)
    needs = ~has_file & ~default
    random_hash[needs] = fake_phash(rng, int(needs.sum()))
    url = _join(
        "https://img.example.invalid/",
        hex64(rng.integers(0, 2**63, size=n, dtype=np.uint64)),
        ".jpg",
    )
    avatar = pc.if_else(pa.array(has_file), _take_or(paths, file_idx), url)
    avatar_hash = pc.if_else(
        pa.array(has_file), _take_or(hashes, file_idx), hex64(random_hash, "phash:")
    )
    none = pa.scalar(None, pa.string())
    avatar = pc.if_else(pa.array(default), none, avatar)
    avatar_hash = pc.if_else(pa.array(default), none, avatar_hash)
    return avatar, avatar_hash, default, files, pools


def _sample_size(params: ScenarioParams, n: int) -> int:
    return min(params.avatar_files, max(20, n // 100))


def _take_or(values: pa.Array, idx: I64) -> pa.Array:
    return values.take(pa.array(np.maximum(idx, 0)))
