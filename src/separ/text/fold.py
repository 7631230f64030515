"""The character-level steps shared by ``normalize_text``, ``match_key`` and hashtags.

Everything here works on one whitespace-free token at a time except the homoglyph
context (``whole_words``), which looks at a whole text. Speed notes: characters are folded
by a regex that visits only the characters needing it (``str.translate`` with a dict
costs ~40 µs per Persian tweet, this ~2 µs), and every pattern starts with a character
class so the regex engine can skip ahead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping

from separ.text.extract import MASK_RE, trim_url
from separ.text.tables import ARABIC_LETTERS, EMOJI_GLUE, HOMOGLYPHS, TEXT_FOLD, ZWNJ

#: What a URL is replaced with in ``normalize_text``.
URL_TOKEN = "<url>"
#: What an @mention is replaced with in ``normalize_text``.
MENTION_TOKEN = "@user"


def char_class(chars: Iterable[str]) -> str:
    """A regex character class for ``chars``, written as ranges (a long list of single
    characters makes Python's regex engine slow)."""
    codes = sorted({ord(c) for c in chars})
    parts: list[str] = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        first, last = re.escape(chr(codes[i])), re.escape(chr(codes[j]))
        parts.append(first if i == j else f"{first}-{last}")
        i = j + 1
    return "[" + "".join(parts) + "]"


def folder(table: Mapping[str, str]) -> Callable[[str], str]:
    """``str.translate(table)`` that only visits the characters in ``table``."""
    pattern = re.compile(char_class(table) + "+")
    trans = str.maketrans(dict(table))

    def fold(m: re.Match[str]) -> str:
        return m[0].translate(trans)

    def apply(s: str) -> str:
        return pattern.sub(fold, s)

    return apply


_fold_text = folder(TEXT_FOLD)
_homoglyph_table = str.maketrans(HOMOGLYPHS)

# ه + combining hamza above is the ezafe, like ۀ. NFKC may have put harakat in between,
# people type a kashida or ZWNJ first (real data: "قبیله‌ٔ دیگر"), or a space: a hamza
# that starts a word (after a space or zero-width character) is that ezafe's ی.
_EZAFE_HAMZA = re.compile(
    "\u0647[\u200b-\u200d\u2060\ufeff\u0640\u064b-\u0653\u0655-\u065f\u0670]*\u0654"
)
_ORPHAN_HAMZA = re.compile(
    "(?<![^\\s\u200b\u200c\u2060\ufeff])[\u0640\u064b-\u0653\u0655-\u065f\u0670]*\u0654"
)
_EZAFE = "\u0647" + ZWNJ + "\u06cc"  # ه‌ی
_ARABIC = char_class(ARABIC_LETTERS)
# A ZWNJ (runs already collapsed) that is not between two Arabic-script letters.
_STRAY_ZWNJ = re.compile(f"\u200c(?<!{_ARABIC}\u200c)|\u200c(?!{_ARABIC})")
_GLUE = re.compile(char_class(EMOJI_GLUE) + "+")
_NO_PAD_AFTER = frozenset(" .,;:!?)]}»\"'،؛؟…")
_NO_PAD_BEFORE = frozenset(" ([{«\"'")

OTHER_SCRIPT = re.compile("[\u0370-\u03ff\u0400-\u052f\u0531-\u058f]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
_WORD = re.compile(r"\w+")


def chars(s: str, *, key: bool = False) -> str:
    """NFKC, ezafe, ``TEXT_FOLD``, and a ZWNJ kept only between Arabic-script letters.

    With ``key``, every typed ZWNJ is a space first (so a ZWNJ, a space and a ZWNJ that
    ``normalize_text`` deletes as invisible give one key), and the ZWNJs that U+200B,
    U+2060 or U+FEFF became are spaces where they are kept (deleted where invisible, so a
    zero-width space cannot hide a URL).
    """
    s = unicodedata.normalize("NFKC", s)
    if "\u0654" in s:
        s = _ORPHAN_HAMZA.sub("\u06cc", _EZAFE_HAMZA.sub(_EZAFE, s))
    if key and ZWNJ in s:
        s = s.replace(ZWNJ, " ")
    folded = _fold_text(s)
    if folded != s:  # a deleted control can leave combining marks to reorder or compose
        s = unicodedata.normalize("NFKC", folded)
    if ZWNJ in s:
        while ZWNJ + ZWNJ in s:
            s = s.replace(ZWNJ + ZWNJ, ZWNJ)
        s = _STRAY_ZWNJ.sub("", s)
        if key:
            s = s.replace(ZWNJ, " ")
    return s


def _placeholder(m: re.Match[str]) -> str:
    """``<url>`` or ``@user``, with a space where it would otherwise touch a word."""
    s, (start, end) = m.string, m.span()
    if m[0][0] in "@＠":
        token, tail = MENTION_TOKEN, ""
    else:
        token, tail = URL_TOKEN, m[0][len(trim_url(m[0])) :]
    after = tail[:1] or (s[end] if end < len(s) else " ")
    before = s[start - 1] if start else " "
    left = "" if before in _NO_PAD_BEFORE or before.isspace() else " "
    right = "" if after in _NO_PAD_AFTER or after.isspace() else " "
    return f"{left}{token}{right}{tail}"


def masked(s: str, *, drop: bool = False) -> str:
    """URLs → ``<url>``, mentions → ``@user`` (``drop``: both → a space), repeated until
    nothing changes, since masking one can expose another (``@a@b``)."""
    repl: str | Callable[[re.Match[str]], str] = " " if drop else _placeholder
    for _ in range(8):
        new = MASK_RE.sub(repl, s)
        if new == s:
            break
        s = new
    return s


def _glue(m: re.Match[str]) -> str:
    """ZWJ and variation selectors: kept after an emoji or symbol, dropped elsewhere."""
    s, (i, j) = m.string, m.span()
    prev = s[i - 1] if i else " "
    if prev.isdigit() and s[j : j + 1] == "\u20e3":  # keycap: digit, VS16, U+20E3
        return m[0]
    if prev.isalnum() or prev.isspace() or prev == ZWNJ:
        return ""
    return m[0]


def masked_text(s: str) -> str:
    """``masked``, then the ZWNJs, ZWJs and variation selectors with no letter beside them."""
    s = masked(s)
    if ZWNJ in s:
        s = _STRAY_ZWNJ.sub("", s)
    if "\u200d" in s or "\ufe0f" in s or _GLUE.search(s):
        s = _GLUE.sub(_glue, s)
    return s


def whole_words(text: str) -> bool:
    """Whether whole look-alike words in ``text`` count as Latin: the text (URLs and
    mentions removed) has Latin letters and no Cyrillic/Greek/Armenian letter that is not
    a look-alike (so Russian, Greek and Armenian texts are left alone)."""
    text = text.replace(URL_TOKEN, " ").replace(MENTION_TOKEN, " ")
    if _LATIN.search(text) is None:
        return False
    return all(ch in HOMOGLYPHS or not ch.isalpha() for ch in OTHER_SCRIPT.findall(text))


def fold_homoglyphs(s: str, whole: bool) -> str:
    """Look-alikes → Latin in words that mix them with Latin letters, and in every word
    when ``whole`` (see ``whole_words``)."""

    def fold(m: re.Match[str]) -> str:
        word = m[0]
        if OTHER_SCRIPT.search(word) and (whole or _LATIN.search(word)):
            return word.translate(_homoglyph_table)
        return word

    return _WORD.sub(fold, s)
