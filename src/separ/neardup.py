"""Near-duplicate groups of post texts: the object of the ``post`` activity verb.

Two posts act on the same object when their texts are copies: exactly (one
``text_fingerprint``) or nearly (the same message with a few words swapped, changed, added
or removed, on top of everything ``match_key`` already folds: Arabic/Persian letters, ZWNJ,
kashida, diacritics, digits, emoji, mentions, links, punctuation).

1. Every distinct text gets its exact fingerprint (``text_fingerprint``) and its *body
   key*: the ``match_key`` of the text without its trailing block of hashtags, links,
   mentions and emoji (``message_body``). Hashtags are the ``hashtag`` and ``hashtag_seq``
   layers; two different sentences under one long hashtag block are not copies.
2. Bodies of fewer than ``min_words`` words stay exact-only: "صبح بخیر", "good morning"
   or "thank you so much" would otherwise link everyone who types them.
3. The shingles of a body are its distinct words. A MinHash signature of each distinct
   body (datasketch's ``affine32`` scheme, computed for all bodies at once with numpy) goes
   through LSH banding (``bands`` x ``rows``) to find candidates.
4. Groups are stars, never chains. Bodies are ranked by how many other bodies share an LSH
   bucket with them (most central first, then the smallest id); each body's candidates are
   the top-ranked bodies of its buckets that rank above it (the ``CANDIDATES`` that head
   the most of its buckets). A body joins the candidate centre with the highest *exact*
   Jaccard similarity of word sets, if it is at least ``threshold``, and otherwise is a
   centre itself. Every member is within the threshold
   of its centre, so unrelated texts are never linked through a chain of neighbours.
5. A group's id is its centre's fingerprint (the smallest fingerprint among the texts
   with the centre's body); a text with no near-duplicate keeps its own fingerprint.

Everything is deterministic: the same set of texts gives the same ids, whatever the order.
``docs/neardup.md`` has the measurements behind the threshold, the shingles and the
minimum length.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from separ.arrays import sorted_unique
from separ.errors import ParameterError
from separ.text import match_key
from separ.text.normalize import key_fingerprint

__all__ = [
    "BANDS",
    "CANDIDATES",
    "HASH_PREFIXES",
    "MIN_WORDS",
    "NEARDUP_VERSION",
    "NUM_PERM",
    "ROWS",
    "SEED",
    "THRESHOLD",
    "centres",
    "group_texts",
    "jaccard",
    "key_fingerprint",
    "message_body",
    "near_duplicate_groups",
    "shingles",
    "tail_token",
    "text_keys",
]

#: Version of the grouping rules; bump when a default or a step changes (group ids change).
NEARDUP_VERSION: Final = "1"
#: Minimum exact Jaccard similarity of word sets between a text's body and its centre's.
THRESHOLD: Final = 0.6
#: Bodies with fewer words are matched exactly only.
MIN_WORDS: Final = 6
#: MinHash permutations, and LSH bands x rows (``bands * rows <= num_perm``).
NUM_PERM: Final = 64
BANDS: Final = 16
ROWS: Final = 4
#: Seed of the permutations (datasketch's ``MinHash(seed=...)``).
SEED: Final = 1
#: Candidate centres verified per body.
CANDIDATES: Final = 4

F64 = npt.NDArray[np.float64]
U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
type Keys = list[str] | pa.Array
"""Body keys: Python strings, or an Arrow string array (as DuckDB hands them over)."""

#: How a hashtag starts.
HASH_PREFIXES: Final = ("#", "＃")
_TAIL_PREFIXES = (*HASH_PREFIXES, "@", "＠", "http://", "https://", "www.")
_WORD_CHAR = re.compile(r"\w")
_BAND_MUL = np.uint64(0x100000001B3)

# --- bodies and shingles ---------------------------------------------------------------


def tail_token(token: str) -> bool:
    """Whether ``token`` may be part of a text's trailing block: a hashtag, a mention, a
    link, or no word character at all (emoji, punctuation)."""
    return token.startswith(_TAIL_PREFIXES) or _WORD_CHAR.search(token) is None


def _body_end(tokens: list[str]) -> int:
    """How many of ``tokens`` are left when the trailing block is stripped."""
    n = end = len(tokens)
    while end:
        if tail_token(tokens[end - 1]):
            end -= 1
        elif end == n:  # a sentence that ends in words ends the text
            break
        elif end >= 2 and tokens[end - 2].startswith(HASH_PREFIXES):
            end -= 2
        elif (
            end >= 3
            and tokens[end - 3].startswith(HASH_PREFIXES)
            and not tail_token(tokens[end - 2])
        ):
            end -= 3
        else:
            break
    return end


def message_body(text: str) -> str:
    """``text`` without its trailing block of hashtags, links, mentions, emoji and
    punctuation (the text itself when there is none). Hashtags inside a sentence stay.
    Inside that block, one or two words right after a hashtag count as part of it, since
    multi-word tags are often typed with spaces (``#مریم رجوی #ایران``); words that end
    the text are never part of it (``امروز #تهران شلوغ بود`` keeps everything).

    >>> message_body("دروغ می‌گویند #نه_به_آشوب #مریم رجوی 🔥 https://t.co/x")
    'دروغ می‌گویند'
    """
    tokens = text.split()
    end = _body_end(tokens)
    return text if end == len(tokens) else " ".join(tokens[:end])


def text_keys(text: str) -> tuple[str, str]:
    """``(match_key(text), body key)``: the key of the exact fingerprint, and the
    ``match_key`` of ``message_body(text)`` that near-duplicate matching compares.

    Only the hashtags of the stripped tail have words in a key (links, mentions and emoji
    have none), so without them the body key is the text's key; with them it is the
    text's key less the tail's key when it ends with it, else the body folded on its own.
    """
    key = match_key(text)
    tokens = text.split()
    end = _body_end(tokens)
    if end == len(tokens) or not any(t.startswith(HASH_PREFIXES) for t in tokens[end:]):
        return key, key
    tail_key = match_key(" ".join(tokens[end:]))
    keep = len(key) - len(tail_key)
    if key.endswith(tail_key) and (keep == 0 or key[keep - 1] == " "):
        return key, key[:keep].rstrip()
    return key, match_key(" ".join(tokens[:end]))


def shingles(key: str) -> set[str]:
    """The shingles of a body key: its distinct words."""
    return set(key.split())


def jaccard(a: set[str], b: set[str]) -> float:
    """``|a ∩ b| / |a ∪ b|`` (1.0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


class _Shingled:
    """The distinct words of many body keys: key ``i``'s are ``ids[at[i]:at[i + 1]]``
    (dense word numbers) and ``hashes[ids[...]]`` their 64-bit hashes."""

    def __init__(self, keys: Keys) -> None:
        # split, numbered and de-duplicated in bulk (Arrow and NumPy): the words of a key
        # are a set, so their order within it does not matter. Keys are words joined by
        # one space (``match_key``), so splitting on " " is exact and cheaper than Unicode
        # whitespace rules.
        split = pc.split_pattern(
            keys if isinstance(keys, pa.Array) else pa.array(keys, pa.string()), " "
        )
        words = pc.dictionary_encode(split.flatten())
        number = words.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        width = max(len(words.dictionary), 1)
        lengths = pc.list_value_length(split).to_numpy(zero_copy_only=False)
        code = sorted_unique(
            np.repeat(np.arange(len(keys), dtype=np.int64), lengths) * width + number
        )
        self.ids: I32 = (code % width).astype(np.int32)
        self.at: I64 = np.searchsorted(code // width, np.arange(len(keys) + 1)).astype(np.int64)
        self.hashes: U64 = np.asarray(
            [_word_hash(w) for w in words.dictionary.to_pylist()], dtype=np.uint64
        )

    def values(self, i: int) -> U32:
        """Key ``i``'s shingles as the 32-bit values MinHash sees."""
        return _fold32(self.hashes[self.ids[self.at[i] : self.at[i + 1]]])


def _fold32(h: U64) -> U32:
    out: U32 = (h ^ (h >> np.uint64(32))).astype(np.uint32)
    return out


def _fmix32(h: U32) -> U32:
    """MurmurHash3's finalizer, with which datasketch's ``affine32`` scheme pre-mixes."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    out: U32 = h ^ (h >> np.uint32(16))
    return out


def permutations(num_perm: int, seed: int = SEED) -> tuple[U32, U32]:
    """datasketch's ``affine32`` permutation parameters ``(a, b)``: the same draws as
    ``datasketch.MinHash(num_perm, seed).permutations`` (a test checks), without importing
    datasketch, whose LSH module pulls in SciPy (about a second)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def signatures(shingled: _Shingled, num_perm: int, seed: int = SEED) -> U32:
    """MinHash signatures, ``(num_perm, n_keys)``. Column ``i`` equals the ``hashvalues``
    of ``datasketch.MinHash(num_perm, seed=seed, hashfunc=int)`` updated with
    ``shingled.values(i)``. Every key needs at least one word."""
    a, b = permutations(num_perm, seed)
    at = shingled.at
    hv = _fmix32(_fold32(shingled.hashes))[shingled.ids]
    n = len(at) - 1
    sig: U32 = np.empty((num_perm, n), dtype=np.uint32)
    step = max(1, (1 << 22) // num_perm)  # bounds the (num_perm x chunk) temporary
    i = 0
    while i < n:
        j = min(max(int(np.searchsorted(at, at[i] + step, side="right")) - 1, i + 1), n)
        lo, hi = int(at[i]), int(at[j])
        permuted = np.multiply.outer(a, hv[lo:hi])
        permuted += b[:, None]
        sig[:, i:j] = np.minimum.reduceat(permuted, at[i:j] - lo, axis=1)
        i = j
    return sig


def _buckets(sig: U32, bands: int, rows: int) -> I32:
    """``(bands, n)`` LSH bucket numbers: within a band, equal when the band's rows are
    equal; ``-1`` for a bucket of one."""
    n = sig.shape[1]
    out: I32 = np.full((bands, n), -1, dtype=np.int32)
    for k in range(bands):
        h = np.zeros(n, dtype=np.uint64)
        for r in range(k * rows, (k + 1) * rows):
            h = (h ^ sig[r].astype(np.uint64)) * _BAND_MUL
        order = np.argsort(h)
        hs = h[order]
        run = np.cumsum(np.concatenate([[True], hs[1:] != hs[:-1]]), dtype=np.int64) - 1
        shared = np.bincount(run)[run] >= 2
        out[k, order[shared]] = run[shared]
    return out


# --- grouping ---------------------------------------------------------------------------


def _ranks(bucket: I32) -> I64:
    """Rank of every key (0 = first): by the number of other keys sharing an LSH bucket
    with it, summed over bands (most first), then by id (keys are numbered in id order)."""
    density = np.zeros(bucket.shape[1], dtype=np.int64)
    for column in bucket:
        shared = column >= 0
        density[shared] += np.bincount(column[shared])[column[shared]] - 1
    order = np.argsort(-density, kind="stable")
    rank: I64 = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _candidates(bucket: I32, rank: I64, per_key: int) -> tuple[I64, I64]:
    """Candidate edges ``(key, head)``, grouped by key. The head of an LSH bucket is its
    top-ranked key; a key's candidates are the heads of its buckets that rank above it,
    the ``per_key`` that head the most of its buckets (ties to the higher rank)."""
    bands, n = bucket.shape
    none = n  # a rank no key has
    heads = np.full((n, bands), none, dtype=np.int32)  # the rank of each bucket's head
    rank32 = rank.astype(np.int32)
    for k, column in enumerate(bucket):
        nodes = np.flatnonzero(column >= 0)
        if not len(nodes):
            continue
        b = column[nodes]
        best = np.full(int(b.max()) + 1, none, dtype=np.int32)
        np.minimum.at(best, b, rank32[nodes])
        head = best[b]
        heads[nodes, k] = np.where(head == rank32[nodes], none, head)
    by_rank = np.empty_like(rank)  # the key of each rank
    by_rank[rank] = np.arange(n)
    keys = np.flatnonzero((heads != none).any(axis=1))
    src: list[I64] = []
    dst: list[I64] = []
    col = np.arange(bands)
    worst = (bands + 1) * (n + 1)  # a score no run has
    step = 1 << 18  # rows at a time, to bound memory
    for lo in range(0, len(keys), step):
        chunk = keys[lo : lo + step]
        h = np.sort(heads[chunk], axis=1).astype(np.int64)
        # runs of equal heads in each sorted row: score each run's first cell by its
        # length (longest first), then its head's rank; keep the per_key best scores
        first = np.ones(h.shape, dtype=bool)
        first[:, 1:] = h[:, 1:] != h[:, :-1]
        last = np.ones(h.shape, dtype=bool)
        last[:, :-1] = first[:, 1:]
        start = np.maximum.accumulate(np.where(first, col, 0), axis=1)
        end = np.minimum.accumulate(np.where(last, col, bands)[:, ::-1], axis=1)[:, ::-1]
        score = np.where(first & (h != none), (bands - 1 - end + start) * (n + 1) + h, worst)
        if per_key < bands:
            score = np.partition(score, per_key - 1, axis=1)[:, :per_key]
        score.sort(axis=1)
        row, at = np.nonzero(score < worst)
        src.append(chunk[row])
        dst.append(by_rank[score[row, at] % (n + 1)])
    if not src:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(src), np.concatenate(dst)


def _gather(at: I64, keys: I64) -> tuple[I64, I64]:
    """For ragged rows ``[at[k], at[k + 1])`` of ``keys``: (row number, position) of every
    element, row by row."""
    lengths = at[keys + 1] - at[keys]
    row = np.repeat(np.arange(len(keys)), lengths)
    first = np.cumsum(lengths) - lengths
    return row, np.arange(int(lengths.sum())) - first[row] + at[keys][row]


def _exact(shingled: _Shingled, src: I64, dst: I64) -> F64:
    """Exact Jaccard similarity of the word sets of every edge: a word in both sets of an
    edge appears twice among the edge's words (computed for 2**16 edges at a time)."""
    out: F64 = np.empty(len(src), dtype=np.float64)
    if not len(src):
        return out
    words = int(shingled.ids.max()) + 1
    at, ids = shingled.at, shingled.ids
    step = 1 << 16
    for lo in range(0, len(src), step):
        s, d = src[lo : lo + step], dst[lo : lo + step]
        edge_s, pos_s = _gather(at, s)
        edge_d, pos_d = _gather(at, d)
        code = np.concatenate([edge_s * words + ids[pos_s], edge_d * words + ids[pos_d]])
        code.sort(kind="stable")  # two sorted runs: a linear merge
        twice = code[1:][code[1:] == code[:-1]] // words
        common = np.bincount(twice, minlength=len(s)).astype(np.float64)
        size = (at[s + 1] - at[s]) + (at[d + 1] - at[d])
        out[lo : lo + step] = common / (size - common)
    return out


def _stars(shingled: _Shingled, bucket: I32, threshold: float, per_key: int) -> I64:
    """The centre of every key (itself for a centre); keys are numbered in id order.

    Greedy star clustering in rank order: a key joins the most similar of its candidates
    that is a centre, if any has exact Jaccard >= ``threshold`` (ties to the higher
    rank), or becomes a centre. Computed in rounds over all keys at once: a key decides
    as soon as its best remaining candidate has decided.
    """
    n = bucket.shape[1]
    centre: I64 = np.arange(n, dtype=np.int64)
    rank = _ranks(bucket)
    src, dst = _candidates(bucket, rank, per_key)
    sim = _exact(shingled, src, dst)
    ok = sim >= threshold
    src, dst, sim = src[ok], dst[ok], sim[ok]
    if not len(src):
        return centre
    o = np.lexsort((rank[dst], -sim, src))
    src, dst = src[o], dst[o]
    starts = np.flatnonzero(np.concatenate([[True], src[1:] != src[:-1]]))
    keys = src[starts]
    status = np.zeros(n, dtype=np.int8)  # 0 centre, 1 member, 2 undecided
    status[keys] = 2
    todo = np.ones(len(keys), dtype=bool)
    edges = np.arange(len(src))
    while todo.any():
        st = status[dst]
        # a key's first candidate (most similar) that is not a member
        first = np.minimum.reduceat(np.where(st != 1, edges, len(src)), starts)
        alone = todo & (first == len(src))
        pick = np.minimum(first, len(src) - 1)
        join = todo & ~alone & (st[pick] == 0)
        status[keys[alone]] = 0
        status[keys[join]] = 1
        centre[keys[join]] = dst[pick[join]]
        todo &= ~(alone | join)
    return centre


def _check(threshold: float, min_words: int, num_perm: int, bands: int, rows: int) -> None:
    if not 0.0 < threshold <= 1.0:
        raise ParameterError(f"threshold must be in (0, 1], got {threshold}")
    if min_words < 2:
        raise ParameterError(f"min_words must be at least 2, got {min_words}")
    if bands < 1 or rows < 1 or bands * rows > num_perm:
        raise ParameterError(f"bands x rows ({bands} x {rows}) must fit in num_perm ({num_perm})")


def near_duplicate_groups(
    bodies: Mapping[str, str],
    *,
    threshold: float = THRESHOLD,
    min_words: int = MIN_WORDS,
    num_perm: int = NUM_PERM,
    bands: int = BANDS,
    rows: int = ROWS,
) -> dict[str, str]:
    """The group id of every fingerprint, given ``{fingerprint: body key}``.

    Bodies of fewer than ``min_words`` words keep their own fingerprint; longer ones are
    grouped in stars around centres (see the module docstring). Fingerprints with the
    same body are near-duplicates of each other (similarity 1).
    """
    _check(threshold, min_words, num_perm, bands, rows)
    groups = {fp: fp for fp in bodies}
    owner: dict[str, str] = {}  # body key -> the smallest fingerprint with that body
    for fp, key in bodies.items():
        if key and key.count(" ") + 1 >= min_words and (key not in owner or fp < owner[key]):
            owner[key] = fp
    if not owner:
        return groups
    keys = sorted(owner, key=owner.__getitem__)
    centre = centres(keys, threshold=threshold, num_perm=num_perm, bands=bands, rows=rows)
    group_of = {key: owner[keys[c]] for key, c in zip(keys, centre, strict=True)}
    for fp, key in bodies.items():
        if key in group_of:
            groups[fp] = group_of[key]
    return groups


def centres(
    keys: Keys,
    *,
    threshold: float = THRESHOLD,
    num_perm: int = NUM_PERM,
    bands: int = BANDS,
    rows: int = ROWS,
) -> list[int]:
    """For distinct body keys in id order (each of at least ``MIN_WORDS`` words): the
    position of each key's centre (its own for a centre). The step behind
    :func:`near_duplicate_groups`, for callers that keep the keys elsewhere (in SQL)."""
    _check(threshold, MIN_WORDS, num_perm, bands, rows)
    if len(keys) == 0:
        return []
    shingled = _Shingled(keys)
    bucket = _buckets(signatures(shingled, num_perm), bands, rows)  # signatures freed here
    centre: list[int] = _stars(shingled, bucket, threshold, CANDIDATES).tolist()
    return centre


def group_texts(
    texts: Iterable[str | None],
    *,
    threshold: float = THRESHOLD,
    min_words: int = MIN_WORDS,
    num_perm: int = NUM_PERM,
    bands: int = BANDS,
    rows: int = ROWS,
) -> list[str | None]:
    """The near-duplicate group id of each text, ``None`` where ``text_fingerprint`` is
    ``None`` (nothing to match on). Each distinct text is folded once.

    >>> a = "رسانه‌های بیگانه با پول‌های کلان دوباره به دنبال آشوب هستند #نه_به_آشوب"
    >>> b = "@x رسانه هاي بيگانه با پول هاي کلان باز هم به دنبال آشوب هستند 🔥"
    >>> ga, gb, gc = group_texts([a, b, "صبح بخیر"])
    >>> ga == gb != gc
    True
    """
    seen: dict[str, str | None] = {}
    bodies: dict[str, str] = {}
    out: list[str | None] = []
    for text in texts:
        text = text or ""
        if text not in seen:
            full, key = text_keys(text)
            fp = seen[text] = key_fingerprint(full)
            if fp is not None and (fp not in bodies or key < bodies[fp]):
                bodies[fp] = key
        out.append(seen[text])
    groups = near_duplicate_groups(
        bodies, threshold=threshold, min_words=min_words, num_perm=num_perm, bands=bands, rows=rows
    )
    return [None if fp is None else groups[fp] for fp in out]
