"""The keys of many texts at once: :func:`separ.neardup.text_keys` over an Arrow array.

``text_keys`` folds a text token by token (``match_key``) and strips its trailing block
(``message_body``). Most of its time is Python's per-text work: splitting a text into a
list of strings, looking each one up, joining the results. :func:`keys_of` does that work
on whole arrays instead:

1. Arrow splits every text on whitespace (Arrow's whitespace is Python's ``str.split``
   whitespace, which a test checks over all of Unicode) and numbers the distinct tokens;
2. each distinct token is folded once, by the same cached ``key_token`` as ``match_key``,
   and classified as ``message_body`` classifies it (a tail token, a hashtag);
3. NumPy finds each text's body end by ``message_body``'s rules, all texts in step;
4. Arrow joins the non-empty token keys of each text (its key) and of its body.

Two kinds of text need more than their tokens' own keys. Where a token holds a Persian
affix (``AFFIX_MARK``; a third of the simulator's texts), the joined keys go through
``joined_key`` and ``text_keys``' body rule, in Python but without folding anything again.
Where a token has Cyrillic/Greek/Armenian look-alikes (``TEXT_MARK``; rare), the text
goes through ``text_keys`` itself. The result is the same as ``text_keys`` on every text;
``tests/test_textkeys.py`` checks that on real and generated texts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from separ.neardup import HASH_PREFIXES, key_fingerprint, tail_token, text_keys
from separ.text.normalize import AFFIX_MARK, TEXT_MARK, joined_key, key_token

__all__ = ["keys_of"]

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


def keys_of(texts: pa.Array) -> tuple[pa.Array, pa.Array]:
    """``(fingerprint, body key)`` of each text, as Arrow strings: the
    ``key_fingerprint`` of ``text_keys(text)[0]`` (null when the key is empty) and
    ``text_keys(text)[1]``. A null text counts as ``""``.

    >>> fps, bodies = keys_of(pa.array(["Free them all #FreeThemAll", None]))
    >>> bodies.to_pylist()
    ['free them all', '']
    >>> fps[0].as_py() == key_fingerprint("free them all freethemall"), fps[1].as_py()
    (True, None)
    """
    texts = pc.fill_null(texts.cast(pa.string()), "")
    n = len(texts)
    tokens = pc.utf8_split_whitespace(texts)
    counts = pc.list_value_length(tokens).to_numpy(zero_copy_only=False).astype(np.int64)
    encoded = pc.dictionary_encode(tokens.flatten())
    token: Ints = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    words: list[str] = encoded.dictionary.to_pylist()
    folded = [key_token(w) for w in words]

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
    keys: list[str] = _joined(table, token, owner, kept, n).to_pylist()
    # text_keys: the body key is the text's key unless hashtags are in the stripped tail
    bodies = _joined(table, token, owner, kept & (in_body | ~hash_tail[owner]), n)
    whole = np.bincount(owner[each(lambda k: TEXT_MARK in k, folded)], minlength=n) > 0
    affixed = np.bincount(owner[each(lambda k: AFFIX_MARK in k, folded)], minlength=n) > 0
    redo = np.flatnonzero(whole | affixed)
    if len(redo):
        # keys and bodies that need more than the tokens' own keys: text_keys' rules on
        # the joined token keys (Persian affixes), or on the text itself (look-alikes)
        tails = _joined(table, token, owner, kept & ~in_body & affixed[owner], n)
        at = pa.array(redo)
        new = []
        for i, text, body, tail in zip(
            redo.tolist(),
            texts.take(at).to_pylist(),
            bodies.take(at).to_pylist(),
            tails.take(at).to_pylist(),
            strict=True,
        ):
            if whole[i]:
                keys[i], body = text_keys(text)
            else:
                keys[i] = joined_key(keys[i])
                body = _body_key(keys[i], body, tail, hash_tail[i])
            new.append(body)
        mask = np.zeros(n, bool)
        mask[redo] = True
        bodies = pc.replace_with_mask(bodies, pa.array(mask), pa.array(new, pa.string()))
    return pa.array(list(map(key_fingerprint, keys)), pa.string()), bodies


def _body_key(key: str, body: str, tail: str, hash_tail: bool) -> str:
    """``text_keys``' body key of a text with Persian affixes, from its ``match_key`` and
    the joined token keys of its body and of its tail."""
    if not hash_tail:
        return key
    tail = joined_key(tail)
    keep = len(key) - len(tail)
    if key.endswith(tail) and (keep == 0 or key[keep - 1] == " "):
        return key[:keep].rstrip()
    return joined_key(body)


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
