"""Post text: hashtags, near-duplicate variants and column-wise body builders.

Organic bodies are random slot combinations (tens of millions of possibilities, so organic
texts are mostly distinct). The operation's messages are fixed texts, each with a dozen
character-level variants of the kind that defeat exact matching: Arabic ي/ك for Persian
ی/ک, ZWNJ as space or dropped, kashida, diacritics, Persian or ASCII digits, an emoji added
or removed, a synonym or two words swapped, punctuation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from separ.simulate import vocab
from separ.simulate.common import I32, Bools, Rng, ints_to_str, list_array

ZW = vocab.ZW
KASHIDA = "\u0640"
DIACRITICS = ("\u064e", "\u0650", "\u064f", "\u0651")
FA_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
TO_ASCII = str.maketrans(FA_DIGITS, "0123456789")
TO_PERSIAN = str.maketrans("0123456789", FA_DIGITS)
NON_JOINING = set("اآدذرزژو")
PROTEST_EN = ("We will not be silenced", "Hear our voices", "For freedom", "Women are standing up")


def arabic_keyboard(s: str) -> str:
    """Persian ی/ک typed as Arabic ي/ك (common on Arabic keyboard layouts)."""
    return s.replace("ی", "ي").replace("ک", "ك")


_GROUPS = {
    "organic_fa": vocab.TAGS_ORGANIC_FA,
    "organic_en": vocab.TAGS_ORGANIC_EN,
    "protest": vocab.TAGS_PROTEST,
    "op": vocab.TAGS_OP,
    "news": vocab.TAGS_NEWS,
}
_BASE = [t for group in _GROUPS.values() for t in group]
ARABIC_SHIFT = len(_BASE)
HASHTAGS: list[str] = _BASE + [arabic_keyboard(t) for t in _BASE]
TAG_GROUPS: dict[str, I32] = {}
_at = 0
for _name, _group in _GROUPS.items():
    TAG_GROUPS[_name] = np.arange(_at, _at + len(_group), dtype=np.int32)
    _at += len(_group)


def tag_codes(group: str, rng: Rng, n: int, *, distinct: bool = False) -> I32:
    """Hashtag codes from a group: Zipf-like popularity, or ``n`` distinct ones."""
    codes = TAG_GROUPS[group]
    if distinct:
        out: I32 = rng.choice(codes, size=n, replace=False)
        return out
    w = 1.0 / np.arange(1, len(codes) + 1) ** 0.9
    drawn: I32 = rng.choice(codes, size=n, p=w / w.sum())
    return drawn


def arabic_tags(codes: I32) -> I32:
    """The same hashtags typed with Arabic letters."""
    out: I32 = np.where(codes >= 0, codes % ARABIC_SHIFT + ARABIC_SHIFT, codes).astype(np.int32)
    return out


# --- near-duplicate variants (Python: a few per message, not per event) -----------------


def _kashida(s: str, rng: Rng) -> str:
    spots = [
        i
        for i in range(len(s) - 1)
        if "\u0628" <= s[i] <= "\u06cc"
        and s[i] not in NON_JOINING
        and "\u0628" <= s[i + 1] <= "\u06cc"
    ]
    if not spots:
        return s
    i = spots[int(rng.integers(len(spots)))]
    return s[: i + 1] + KASHIDA * int(rng.integers(1, 3)) + s[i + 1 :]


def _diacritics(s: str, rng: Rng) -> str:
    letters = [i for i, c in enumerate(s) if "\u0621" <= c <= "\u06cc"]
    if not letters:
        return s
    for i in sorted(rng.choice(letters, size=min(2, len(letters)), replace=False), reverse=True):
        s = s[: i + 1] + DIACRITICS[int(rng.integers(len(DIACRITICS)))] + s[i + 1 :]
    return s


def _digits(s: str, rng: Rng) -> str:
    if any(c in FA_DIGITS for c in s):
        return s.translate(TO_ASCII)
    if any(c.isascii() and c.isdigit() for c in s):
        return s.translate(TO_PERSIAN)
    number = str(int(rng.integers(2, 100)))
    persian = any("\u0600" <= c <= "\u06ff" for c in s)
    return s + " " + (number.translate(TO_PERSIAN) if persian else number)


def _emoji(s: str, rng: Rng) -> str:
    for e in vocab.OP_EMOJI:
        if s.endswith(e):
            return s[: -len(e)].rstrip()
    return s + " " + vocab.OP_EMOJI[int(rng.integers(len(vocab.OP_EMOJI)))]


def _swap(s: str, rng: Rng) -> str:
    words = s.split(" ")
    if len(words) < 3:
        return s
    i = int(rng.integers(0, len(words) - 1))
    words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def _synonym(s: str, rng: Rng) -> str:
    for word, other in vocab.SYNONYMS.items():
        if word in s:
            return s.replace(word, other, 1)
    return _swap(s, rng)


def _punct(s: str, rng: Rng) -> str:
    return s + ("!!", ".", "!", "؟!", " ...")[int(rng.integers(5))]


TRANSFORMS: dict[str, Callable[[str, Rng], str]] = {
    "arabic_letters": lambda s, rng: arabic_keyboard(s),
    "zwnj_space": lambda s, rng: s.replace(ZW, " "),
    "zwnj_drop": lambda s, rng: s.replace(ZW, ""),
    "kashida": _kashida,
    "diacritics": _diacritics,
    "digits": _digits,
    "emoji": _emoji,
    "swap": _swap,
    "synonym": _synonym,
    "punct": _punct,
}


def variants(base: str, rng: Rng, k: int) -> list[str]:
    """``base`` and ``k - 1`` variants, each from one to three random transforms."""
    names = list(TRANSFORMS)
    out = [base]
    for _ in range(k - 1):
        chosen = rng.choice(len(names), size=int(rng.integers(1, 4)), replace=False)
        s = base
        for c in sorted(int(x) for x in chosen):
            s = TRANSFORMS[names[c]](s, rng)
        out.append(s)
    return out


# --- column-wise bodies ----------------------------------------------------------------


def _words(rng: Rng, words: Sequence[str], n: int) -> pa.Array:
    return pa.array(list(words)).take(pa.array(rng.integers(0, len(words), size=n)))


def _slots(rng: Rng, slots: Sequence[Sequence[str]], n: int) -> pa.Array:
    """Random slot fillers joined by single spaces (empty fillers are skipped)."""
    words = [w for slot in slots for w in slot]
    codes = np.empty((n, len(slots)), dtype=np.int64)
    at = 0
    for j, slot in enumerate(slots):
        pick = rng.integers(0, len(slot), size=n)
        empty = np.array([w == "" for w in slot])[pick]
        codes[:, j] = np.where(empty, -1, at + pick)
        at += len(slot)
    return pc.binary_join(list_array(codes, pa.array(words)), " ")


def persian_digits(arr: pa.Array) -> pa.Array:
    for ascii_digit, fa_digit in zip("0123456789", FA_DIGITS, strict=True):
        arr = pc.replace_substring(arr, ascii_digit, fa_digit)
    return arr


def _numbered(
    rng: Rng, body: pa.Array, share: float, persian: bool, units: Sequence[str]
) -> pa.Array:
    """Append a number and a unit to a share of the rows."""
    mask = rng.random(len(body)) < share
    k = int(mask.sum())
    if not k:
        return body
    num = ints_to_str(rng.integers(2, 1000, size=k))
    if persian:
        num = persian_digits(num)
    sub = pc.binary_join_element_wise(body.filter(pa.array(mask)), num, _words(rng, units, k), " ")
    return pc.replace_with_mask(body, pa.array(mask), sub)


def _by_language(
    lang_en: Bools, fa: Callable[[int], pa.Array], en: Callable[[int], pa.Array]
) -> pa.Array:
    """Build Persian rows and English rows separately, then interleave them."""
    en_rows = np.flatnonzero(lang_en)
    fa_rows = np.flatnonzero(~lang_en)
    where = np.empty(len(lang_en), dtype=np.int64)
    where[fa_rows] = np.arange(len(fa_rows))
    where[en_rows] = len(fa_rows) + np.arange(len(en_rows))
    both = pa.concat_arrays(
        [fa(len(fa_rows)).cast(pa.string()), en(len(en_rows)).cast(pa.string())]
    )
    return both.take(pa.array(where))


def organic_body(rng: Rng, lang_en: Bools) -> pa.Array:
    def fa(n: int) -> pa.Array:
        body = _slots(
            rng, (vocab.FA_S0, vocab.FA_S1, vocab.FA_S2, vocab.FA_S3, vocab.FA_S4, vocab.FA_S5), n
        )
        body = _numbered(rng, body, 0.15, True, ("بار", "ساعت", "روز", "هزار تومن", "نفر"))
        body = pc.if_else(pa.array(rng.random(n) < 0.03), _words(rng, vocab.FA_SHORT, n), body)
        arabic = rng.random(n) < 0.08  # typed on an Arabic keyboard layout
        if arabic.any():
            sub = body.filter(pa.array(arabic))
            sub = pc.replace_substring(pc.replace_substring(sub, "ی", "ي"), "ک", "ك")
            body = pc.replace_with_mask(body, pa.array(arabic), sub)
        return body

    def en(n: int) -> pa.Array:
        body = _slots(
            rng, (vocab.EN_S0, vocab.EN_S1, vocab.EN_S2, vocab.EN_S3, vocab.EN_S4, vocab.EN_S5), n
        )
        body = _numbered(rng, body, 0.1, False, ("times", "hours", "days", "people"))
        return pc.if_else(pa.array(rng.random(n) < 0.03), _words(rng, vocab.EN_SHORT, n), body)

    return _by_language(lang_en, fa, en)


def news_body(rng: Rng, lang_en: Bools) -> pa.Array:
    def fa(n: int) -> pa.Array:
        slots = (
            vocab.NEWS_FA_S0,
            vocab.NEWS_FA_S1,
            vocab.NEWS_FA_S2,
            vocab.NEWS_FA_S3,
            vocab.NEWS_FA_S4,
        )
        body = _numbered(
            rng, _slots(rng, slots, n), 0.5, True, ("میلیارد تومان", "واحد", "کیلومتر")
        )
        place = pc.binary_join_element_wise("(", _words(rng, vocab.LOCATIONS[:9], n), ")", "")
        return pc.binary_join_element_wise(body, place, " ")

    def en(n: int) -> pa.Array:
        return _numbered(rng, _words(rng, vocab.NEWS_EN, n), 0.5, False, ("billion", "units", "km"))

    return _by_language(lang_en, fa, en)


def protest_body(rng: Rng, lang_en: Bools) -> pa.Array:
    def fa(n: int) -> pa.Array:
        return _slots(
            rng, (vocab.PROTEST_FA_S1, vocab.PROTEST_FA_S2, vocab.FA_S5, vocab.PROTEST_FA_S3), n
        )

    def en(n: int) -> pa.Array:
        return _slots(rng, (PROTEST_EN, vocab.EN_S5), n)

    return _by_language(lang_en, fa, en)


def solidarity_body(rng: Rng, lang_en: Bools) -> pa.Array:
    return _slots(rng, (vocab.SOLIDARITY, vocab.FA_S5), len(lang_en))
