"""Readable normalisation, match keys, fingerprints and hashtag folding.

``normalize_text`` takes each whitespace-separated token through, in order:

1. NFKC (fullwidth and mathematical letters, Arabic presentation forms, ligatures);
   ``هٔ`` (heh + hamza above, the ezafe) becomes ``ه‌ی`` like ``ۀ``;
2. ``TEXT_FOLD``: Arabic→Persian letters, digits→ASCII, diacritics, kashida and
   bidi/format controls deleted, U+200B/U+2060/U+FEFF → ZWNJ, blank look-alikes → space;
3. a ZWNJ survives only between two Arabic-script letters (elsewhere it is invisible);
4. URLs → ``<url>``, mentions → ``@user``: only character-level steps run before this (so
   ``＠``, zero-width characters or Persian digits cannot hide a URL or mention), and
   nothing after it looks inside one;
5. ZWJ and variation selectors are kept only where they glue emoji;

then, over the whole text, 6. Cyrillic/Greek/Armenian look-alikes → Latin inside words
that mix them with Latin letters, and in whole look-alike words when the text also has
Latin and no real Cyrillic/Greek/Armenian word (Russian or Greek text is left alone), and
7. single spaces. A URL or mention never spans whitespace, so steps 1-5 are cached per
token (``lru_cache``): texts share most of their words.

``match_key`` is the same with URLs and mentions dropped, every ZWNJ a space, then
casefold, ``KEY_FOLD`` plus the lower-case homoglyphs, letter runs of three or more
shortened to one, every non-word character (punctuation, emoji, ``_``) a word break, and
the Persian affixes that are written with a ZWNJ, a space or nothing (``PERSIAN_PREFIXES``,
``PERSIAN_SUFFIXES``) joined to their word.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Final

from separ.text.fold import (
    MENTION_TOKEN,
    OTHER_SCRIPT,
    URL_TOKEN,
    chars,
    fold_homoglyphs,
    folder,
    masked,
    masked_text,
    whole_words,
)
from separ.text.tables import KEY_FOLD, KEY_FOLD_HOMOGLYPHS

__all__ = [
    "AFFIX_MARK",
    "MENTION_TOKEN",
    "PERSIAN_PREFIXES",
    "PERSIAN_SUFFIXES",
    "TEXT_MARK",
    "URL_TOKEN",
    "alone_key",
    "fingerprint_sql",
    "joined_key",
    "key_fingerprint",
    "key_token",
    "map_distinct",
    "match_key",
    "match_keys",
    "normalize_hashtag",
    "normalize_hashtags",
    "normalize_many",
    "normalize_text",
    "text_fingerprint",
    "text_fingerprints",
]

#: Suffixes written after a ZWNJ, a space or nothing; joined to the word before in keys.
PERSIAN_SUFFIXES: frozenset[str] = frozenset({
    "ها", "های", "هایی", "هایم", "هایت", "هایش", "هایمان", "هایتان", "هایشان",
    "تر", "ترین", "ام", "ات", "اش", "ای", "ایم", "اید", "اند", "مان", "تان", "شان",
    "گر", "گری", "ی",
})  # fmt: skip
#: Prefixes written before a ZWNJ, a space or nothing; joined to the word after in keys.
PERSIAN_PREFIXES: frozenset[str] = frozenset({"می", "نمی", "بی"})
_PERSIAN_LETTERS = frozenset("ءآأؤإئابتثجحخدذرزسشصضطظعغفقلمنهوپچژکگی")

_fold_key = folder(KEY_FOLD)
_fold_key_homoglyphs = folder(KEY_FOLD_HOMOGLYPHS)
_ELONGATED = re.compile(r"(.)\1{2,}")
_NON_WORD = re.compile(r"\W+")


# --- normalize_text ----------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def _text_token(token: str) -> str:
    """Steps 1-5 for one whitespace-free token."""
    return " ".join(masked_text(chars(token)).split())


def normalize_text(s: str) -> str:
    """Readable normalised text with URLs as ``<url>`` and mentions as ``@user``.

    Idempotent; never raises on a ``str``.

    >>> normalize_text("سلامٌ  علیكم ۱۴۰۱ https://t.co/x @Ali")
    'سلام علیکم 1401 <url> @user'
    """
    text = " ".join(filter(None, map(_text_token, s.split())))
    if OTHER_SCRIPT.search(text):
        folded = fold_homoglyphs(text, whole_words(text))
        if folded != text:
            text = " ".join(masked_text(folded).split())
    return text


# --- match_key, fingerprints -------------------------------------------------------------------


def _elongation(m: re.Match[str]) -> str:
    return m[1] if m[1].isalpha() else m[0]


def _shorten(s: str) -> str:
    """Runs of three or more of the same letter → one letter (مرررد → مرد, sooo → so)."""
    return _ELONGATED.sub(_elongation, s)


def _concat(left: str, right: str) -> str:
    """``left + right``, shortening a letter run the junction creates (هه + ها)."""
    c = right[0]
    if left[-1] == c and (left[-2:-1] == c or right[1:2] == c):
        return _shorten(left + right)
    return left + right


def _joins(left: str, right: str) -> bool:
    return (right in PERSIAN_SUFFIXES and left[-1] in _PERSIAN_LETTERS) or (
        left in PERSIAN_PREFIXES and right[0] in _PERSIAN_LETTERS
    )


def _join_affixes(words: Iterable[str], out: list[str] | None = None) -> list[str]:
    """``out`` (default empty) extended by ``words``, each Persian affix joined to its
    word, left to right, over all the words of a text (so where the ZWNJs and spaces were
    cannot matter); afterwards no two neighbours could be joined."""
    out = [] if out is None else out
    append, suffixes, prefixes = out.append, PERSIAN_SUFFIXES, PERSIAN_PREFIXES
    last = out[-1] if out else ""  # kept in a local: this loop is the hot path of keys
    for word in words:
        # The membership tests are cheap and almost always false: check them first.
        if (word in suffixes or last in prefixes) and last and _joins(last, word):
            last = out[-1] = _concat(last, word)
            while len(out) > 1 and _joins(out[-2], last):
                out.pop()
                last = out[-1] = _concat(out[-1], last)
        else:
            append(word)
            last = word
    return out


def _key_words(s: str, fold: Callable[[str], str]) -> list[str]:
    """Casefold, ``fold``, elongation, and non-word characters as word breaks."""
    s = fold(s.casefold())
    if len(s) > 2:
        s = _shorten(s)
    if s.isalnum():
        return [s]
    return [w for w in _NON_WORD.split(s) if w]


# Markers in the cached key of a token (control characters never survive ``chars``).
_AFFIX, _AFFIX_END = "\x01", "\x03"  # around the words of a token with a Persian affix
_DEFER = "\x02"  # it has Cyrillic/Greek/Armenian letters: needs the whole text
#: In a ``key_token`` key: a Persian affix that may join a neighbouring token's word.
AFFIX_MARK: Final = _AFFIX
#: In a ``key_token`` key: look-alike letters, so the key depends on the whole text.
TEXT_MARK: Final = _DEFER


@lru_cache(maxsize=1 << 16)
def key_token(token: str) -> str:
    """The key words of one whitespace-free token, space-separated, marked with
    ``AFFIX_MARK`` or ``TEXT_MARK`` when the rest of the text matters. The ``match_key``
    of a text none of whose token keys has ``TEXT_MARK`` is the ``joined_key`` of its
    non-empty token keys joined by one space."""
    s = chars(token, key=True)
    if OTHER_SCRIPT.search(s):
        return _DEFER
    if "@" in s or "/" in s or "." in s:
        s = masked(s, drop=True)
    words = _key_words(s, _fold_key_homoglyphs)
    if PERSIAN_SUFFIXES.isdisjoint(words) and PERSIAN_PREFIXES.isdisjoint(words):
        return " ".join(words)
    return _AFFIX + " ".join(words) + _AFFIX_END


def _join_marked(key: str) -> list[str]:
    """``_join_affixes`` over the words of a key with ``_AFFIX`` marks, in one pass over
    the marked tokens only: a word that is not an affix never joins anything but a prefix
    right before it, so the words between marked tokens are taken as they are."""
    first, *marked = key.split(_AFFIX)
    out = first.split()
    for part in marked:
        affixed, _, rest = part.partition(_AFFIX_END)
        out = _join_affixes(affixed.split(), out)
        plain = rest.split()
        if plain and out and out[-1] in PERSIAN_PREFIXES:
            out = _join_affixes(plain[:1], out)
            plain = plain[1:]
        out += plain
    return out


def alone_key(key: str) -> str:
    """A ``key_token`` key with ``AFFIX_MARK``, its affixes joined, when the token's
    words join only among themselves in every text: ``key`` itself (still marked) when
    one of them may join a neighbouring token's word, or when it has no affix at all.

    Across a token boundary, ``_join_affixes`` joins only a prefix that ends the left
    token, or a suffix that starts the right one: as the token's first word, or as what
    its first word becomes while its words join. A token with neither leaves the same
    words in every text, so a text of such tokens and plain ones keys to their keys
    joined by one space.
    """
    if _AFFIX not in key:
        return key
    out: list[str] = []
    for word in key.strip(_AFFIX + _AFFIX_END).split():
        out = _join_affixes([word], out)
        if out[0] in PERSIAN_SUFFIXES:
            return key
    return key if out and out[-1] in PERSIAN_PREFIXES else " ".join(out)


def _key_deferred(s: str) -> list[str]:
    """Key words of a text with Cyrillic/Greek/Armenian letters, token by token as in
    ``key_token`` but folding look-alikes with the context of the whole text."""
    pieces = [masked(chars(t, key=True), drop=True) for t in s.split()]
    whole = whole_words(" ".join(pieces))
    words: list[str] = []
    for piece in pieces:
        if OTHER_SCRIPT.search(piece):
            folded = fold_homoglyphs(piece, whole)
            if folded != piece:
                piece = masked(folded, drop=True)
        words += _key_words(piece, _fold_key_homoglyphs)
    return _join_affixes(words)


def match_key(s: str) -> str:
    """The aggressive fold used to match copy-paste variants; ``""`` when nothing is left.

    ``normalize_text`` with URLs and mentions dropped, then casefold, Arabic-script
    variants, آ/ا, ئ/ی, accents and look-alikes folded, punctuation and emoji dropped,
    ZWNJ = space, and Persian affixes joined whether typed with ZWNJ, space or nothing.

    >>> match_key("مي‌روم به #آزادی_زن 😀 @x https://t.co/y")
    'میروم به ازادی زن'
    """
    key = " ".join(filter(None, map(key_token, s.split())))
    if _DEFER in key:
        return " ".join(_key_deferred(s))
    return joined_key(key)


def joined_key(key: str) -> str:
    """A text's ``match_key`` from its non-empty ``key_token`` keys joined by one space,
    none with ``TEXT_MARK``: the Persian affixes joined to their words."""
    return " ".join(_join_marked(key)) if _AFFIX in key else key


def text_fingerprint(s: str) -> str | None:
    """16 hex digits of ``match_key(s)`` with its spaces removed (``key_fingerprint``),
    or ``None`` when the key is empty (only emoji, URLs, mentions, punctuation).

    Dropping the spaces makes the fingerprint blind to word breaks, so a ZWNJ typed as a
    space *or left out* (``زن‌زندگی`` / ``زن زندگی`` / ``زنزندگی``) gives one fingerprint.
    ``None`` means "nothing to match on": emit no activity row for it.
    """
    return key_fingerprint(match_key(s))


def key_fingerprint(key: str) -> str | None:
    """``text_fingerprint`` of a text given its ``match_key``: the first 16 hex digits of
    the MD5 of the key without its spaces, ``None`` for an empty key. MD5 because DuckDB
    has it (``fingerprint_sql``): fingerprints of many keys are computed there.

    >>> key_fingerprint(match_key("می‌روم")) == text_fingerprint("می روم")
    True
    """
    key = key.replace(" ", "")
    return hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()[:16] if key else None


def fingerprint_sql(key: str) -> str:
    """``key_fingerprint`` of the SQL string expression ``key`` (a ``match_key``), for
    DuckDB."""
    return f"CASE WHEN {key} <> '' THEN left(md5(replace({key}, ' ', '')), 16) END"


# --- hashtags ----------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def _hashtag(tag: str) -> str:
    body = chars(tag.strip(), key=True).lstrip("#")
    if OTHER_SCRIPT.search(body):
        body = fold_homoglyphs(body, whole_words(body))
    words = _key_words(body, _fold_key)
    folded = words[0] if len(words) == 1 else _shorten("".join(words))
    if OTHER_SCRIPT.search(folded):
        folded = _shorten(fold_homoglyphs(folded, whole_words(folded)))
    return folded


def normalize_hashtag(tag: str) -> str:
    """A hashtag folded so every way of typing it gives one string (``""`` if nothing is
    left): ``#``/``＃`` stripped, the ``normalize_text`` and ``match_key`` folds, and ZWNJ,
    ``_``, spaces and emoji removed. Cyrillic/Greek look-alikes are folded only inside
    tags that mix them with Latin letters, so real Russian or Greek tags stay readable.

    >>> normalize_hashtag("#ازادي_زن") == normalize_hashtag("＃آزادی‌زن") == "ازادیزن"
    True
    """
    return _hashtag(tag) if tag else ""


# --- batch forms -------------------------------------------------------------------------------


def map_distinct[T](fn: Callable[[str], T], values: Iterable[str | None]) -> list[T]:
    """``[fn(v) for v in values]``, computing ``fn`` once per distinct value; ``None`` is
    treated as ``""``."""
    cache: dict[str, T] = {}
    out: list[T] = []
    append = out.append
    for v in values:
        if v is None:
            v = ""
        if v in cache:
            append(cache[v])
        else:
            r = cache[v] = fn(v)
            append(r)
    return out


def normalize_many(values: Iterable[str | None]) -> list[str]:
    """``normalize_text`` over many values (each distinct value computed once)."""
    return map_distinct(normalize_text, values)


def match_keys(values: Iterable[str | None]) -> list[str]:
    """``match_key`` over many values (each distinct value computed once)."""
    return map_distinct(match_key, values)


def text_fingerprints(values: Iterable[str | None]) -> list[str | None]:
    """``text_fingerprint`` over many values (each distinct value computed once)."""
    return map_distinct(text_fingerprint, values)


def normalize_hashtags(values: Iterable[str | None]) -> list[str]:
    """``normalize_hashtag`` over many values (each distinct value computed once)."""
    return map_distinct(normalize_hashtag, values)
