"""The keys of many texts at once: :func:`separ.neardup.text_keys` over an Arrow array.

``text_keys`` folds a text token by token (``match_key``) and strips its trailing block
(``message_body``). Most of its time is Python's per-text work: splitting a text into a
list of strings, looking each one up, joining the results. :func:`keys_of` does that work
on whole arrays instead:

1. Arrow splits every text on whitespace (Arrow's whitespace is Python's ``str.split``
   whitespace, which a test checks over all of Unicode) and numbers the distinct tokens;
2. each distinct token is folded once, by the same cached ``key_token`` as ``match_key``
   (a token whose Persian affixes join only among themselves, ``alone_key``, with them
   joined), and classified as ``message_body`` classifies it (a tail token, a hashtag);
3. NumPy finds each text's body end by ``message_body``'s rules, all texts in step;
4. Arrow joins the non-empty token keys of each text (its key) and of its body.

A text needs more than its tokens' own keys where a token holds a Persian affix that may
join a neighbouring token's word (``می`` or ``ها`` typed as a word of its own), or
Cyrillic/Greek/Armenian look-alikes that depend on the whole text. Such texts go through
``text_keys`` itself: 0.3% of the simulator's texts, but a third of the real Persian
sample's, where ``می`` and ``ها`` are often typed apart. The result is the same as
``text_keys`` on every text; ``tests/test_textkeys.py`` checks that on real and generated
texts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from separ.neardup import HASH_PREFIXES, tail_token, text_keys
from separ.text.normalize import AFFIX_MARK, TEXT_MARK, alone_key, key_token

__all__ = ["keys_of"]

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


def keys_of(texts: pa.Array) -> tuple[pa.Array, pa.Array]:
    """``text_keys`` of each text, as two Arrow string arrays: the ``match_key`` of each
    text and its body key. A null text counts as ``""``.

    >>> keys, bodies = keys_of(pa.array(["Free them all #FreeThemAll", None]))
    >>> keys.to_pylist(), bodies.to_pylist()
    (['free them all freethemall', ''], ['free them all', ''])
    """
    texts = pc.fill_null(texts.cast(pa.string()), "")
    n = len(texts)
    tokens = pc.utf8_split_whitespace(texts)
    counts = pc.list_value_length(tokens).to_numpy(zero_copy_only=False).astype(np.int64)
    encoded = pc.dictionary_encode(tokens.flatten())
    token: Ints = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    words: list[str] = encoded.dictionary.to_pylist()
    folded = [alone_key(key_token(w)) for w in words]

    def each(test: Callable[[str], bool], values: list[str]) -> Bools:
        """``test`` of each distinct token, then of each token of each text."""
        out: Bools = np.fromiter(map(test, values), bool, len(values))[token]
        return out

    kept = each(bool, folded)
    owner = np.repeat(np.arange(n, dtype=np.int64), counts)
    first = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=first[1:])
    hashtag = each(lambda w: w.startswith(HASH_PREFIXES), words)
    end = _body_ends(counts, first, each(tail_token, words), hashtag)
    in_body = np.arange(len(token), dtype=np.int64) - first[owner] < end[owner]
    hash_tail = np.bincount(owner[hashtag & ~in_body], minlength=n) > 0
    table = pa.array(folded, pa.string())
    keys = _joined(table, token, owner, kept, n)
    # text_keys: the body key is the text's key unless hashtags are in the stripped tail
    bodies = _joined(table, token, owner, kept & (in_body | ~hash_tail[owner]), n)
    # keys that need more than their tokens' own: a Persian affix that may join a
    # neighbouring token's word, or look-alikes that depend on the whole text
    redo = np.flatnonzero(np.bincount(owner[each(_whole, folded)], minlength=n) > 0)
    if len(redo):
        redone = [text_keys(t) for t in texts.take(pa.array(redo)).to_pylist()]
        new_keys, new_bodies = zip(*redone, strict=True)
        mask = np.zeros(n, bool)
        mask[redo] = True
        at = pa.array(mask)
        keys = pc.replace_with_mask(keys, at, pa.array(new_keys, pa.string()))
        bodies = pc.replace_with_mask(bodies, at, pa.array(new_bodies, pa.string()))
    return keys, bodies


def _whole(key: str) -> bool:
    """Whether a text with a token of this key needs ``text_keys`` itself."""
    return AFFIX_MARK in key or TEXT_MARK in key


def _joined(table: pa.Array, token: Ints, owner: Ints, keep: Bools, n: int) -> pa.Array:
    """Per text, the ``table`` entries of its kept tokens joined by one space."""
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(owner[keep], minlength=n), out=offsets[1:])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), table.take(pa.array(token[keep])))
    return pc.binary_join(lists, " ")


def _body_ends(counts: Ints, first: Ints, tail: Bools, hashtag: Bools) -> Ints:
    """``_body_end`` of every text at once: how many of its tokens its body keeps.

    Texts step back from their end together, each by the rule that applies to it, until
    none can step further."""
    end = counts.copy()
    active = np.flatnonzero(counts)
    while len(active):
        e, at = end[active], first[active]
        step = np.zeros(len(active), np.int64)
        last_tail = tail[at + e - 1]
        step[last_tail] = 1
        inner = ~last_tail & (e < counts[active])  # a text that ends in words keeps them all
        two = inner & (e >= 2) & hashtag[np.maximum(at + e - 2, 0)]
        step[two] = 2
        three = (
            inner
            & ~two
            & (e >= 3)
            & hashtag[np.maximum(at + e - 3, 0)]
            & ~tail[np.maximum(at + e - 2, 0)]
        )
        step[three] = 3
        end[active] = e - step
        active = active[(step > 0) & (end[active] > 0)]
    return end
