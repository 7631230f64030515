"""Character tables behind Separ's text folds: data only, no logic beyond building dicts.

Two levels, kept apart on purpose:

- ``TEXT_FOLD`` (used by ``normalize_text``) only unifies *spellings of the same letter*
  (Arabic vs Persian code points, hamza-seated alefs, digits), removes what is invisible or
  optional (diacritics, kashida, bidi and format controls) and maps blank look-alikes to a
  space. Its output is still ordinary, readable text; Kurdish, Urdu or Pashto letters are
  left alone.
- ``KEY_FOLD`` (used by ``match_key`` and ``normalize_hashtag``, after casefolding) is the
  aggressive fold for matching: letters of other Arabic-script languages and rare variants
  become the nearest Persian letter (the table hazm's ``Normalizer`` uses), آ→ا, ئ→ی,
  hamza and accents go, ZWNJ and ``_`` become a space.

Every change to a table changes text fingerprints stored in workspaces, so bump
``FOLD_VERSION`` in ``separ.text`` with it.
"""

from __future__ import annotations

import unicodedata


def _span(first: int, last: int) -> str:
    """The characters from ``first`` to ``last`` inclusive."""
    return "".join(map(chr, range(first, last + 1)))


def _to(target: str, sources: str) -> dict[str, str]:
    return dict.fromkeys(sources, target)


ZWNJ = "\u200c"

# --- normalize_text ------------------------------------------------------------------------

#: Arabic code points (and hamza-seated forms) → the Persian letter readers expect.
ARABIC_TO_PERSIAN: dict[str, str] = {
    "\u064a": "ی",  # ي ARABIC YEH
    "\u0649": "ی",  # ى ALEF MAKSURA
    "\u0643": "ک",  # ك ARABIC KAF
    "\u0629": "ه",  # ة TEH MARBUTA
    "\u06c0": "ه" + ZWNJ + "ی",  # ۀ HEH WITH YEH ABOVE (ezafe) → ه‌ی
    "\u0623": "ا",  # أ
    "\u0625": "ا",  # إ
    "\u0671": "ا",  # ٱ ALEF WASLA
    "\u0672": "ا",  # ٲ
    "\u0673": "ا",  # ٳ
    "\u0624": "و",  # ؤ
}

#: Persian (U+06F0..) and Arabic-Indic (U+0660..) digits and number punctuation → ASCII.
DIGITS: dict[str, str] = {
    **{chr(0x06F0 + i): str(i) for i in range(10)},
    **{chr(0x0660 + i): str(i) for i in range(10)},
    "\u066a": "%",  # ٪
    "\u066b": ".",  # ٫ decimal separator
    "\u066c": ",",  # ٬ thousands separator
}

#: Harakat, tanwin, shadda, sukun, combining hamza/madda, superscript alef, high hamza,
#: Quranic annotation marks and kashida (tatweel) are deleted.
ARABIC_MARKS: str = (
    _span(0x0610, 0x061A)
    + _span(0x064B, 0x065F)
    + "\u0670\u0674\u0640"
    + _span(0x06D6, 0x06DC)
    + _span(0x06DF, 0x06E4)
    + "\u06e7\u06e8"
    + _span(0x06EA, 0x06ED)
    + _span(0x08D3, 0x08E1)
    + _span(0x08E3, 0x08FF)
)

#: Invisible format and bidi controls deleted outright (U+200B, U+2060 and U+FEFF are not
#: here: they break cursive joining like a ZWNJ, see ``ZWNJ_LIKE``).
INVISIBLE: str = (
    "\u00ad\u034f\u061c\u17b4\u17b5"
    + _span(0x180B, 0x180F)
    + "\u200e\u200f"
    + _span(0x202A, 0x202E)
    + _span(0x2061, 0x2064)
    + _span(0x2066, 0x206F)
    + _span(0xFFF9, 0xFFFB)
    + _span(0x1D173, 0x1D17A)
    + _span(0xE0000, 0xE007F)  # tag characters ("ASCII smuggling"; also subdivision flags)
    + "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\v\f\r\x1c\x1d\x1e\x1f")
    + _span(0x7F, 0x84)
    + _span(0x86, 0x9F)
)

#: Zero-width characters that stop Arabic letters joining, exactly as a ZWNJ does; they
#: become a ZWNJ, which is then kept only between two Arabic-script letters.
ZWNJ_LIKE: str = "\u200b\u2060\ufeff"

#: Blank look-alikes that become a plain space (then collapsed). NFKC already maps most
#: Unicode spaces; these survive it.
BLANKS: str = "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029\u2800\u115f\u1160\u3164\uffa0"

#: Latin small capitals and IPA letters that pass for ordinary letters (NFKC keeps them).
LATIN_LOOKALIKES: dict[str, str] = {
    "\u1d00": "a", "\u0299": "b", "\u1d04": "c", "\u1d05": "d", "\u1d07": "e",
    "\ua730": "f", "\u0262": "g", "\u029c": "h", "\u026a": "i", "\u1d0a": "j",
    "\u1d0b": "k", "\u029f": "l", "\u1d0d": "m", "\u0274": "n", "\u1d0f": "o",
    "\u1d18": "p", "\u0280": "r", "\ua731": "s", "\u1d1b": "t", "\u1d1c": "u",
    "\u1d20": "v", "\u1d21": "w", "\u028f": "y", "\u1d22": "z", "\u0251": "a",
    "\u0261": "g",
}  # fmt: skip

TEXT_FOLD: dict[str, str] = {
    **ARABIC_TO_PERSIAN,
    **DIGITS,
    **LATIN_LOOKALIKES,
    **dict.fromkeys(ARABIC_MARKS + INVISIBLE, ""),
    **dict.fromkeys(ZWNJ_LIKE, ZWNJ),
    **dict.fromkeys(BLANKS, " "),
}

#: Cyrillic, Greek and Armenian letters that look like Latin ones. ``normalize_text``
#: applies them by context (see ``separ.text.normalize``), ``match_key`` always (lower case).
HOMOGLYPHS: dict[str, str] = {
    # Cyrillic
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s",
    "і": "i", "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "У": "Y", "Ѕ": "S", "І": "I", "Ј": "J", "Ү": "Y",
    "Һ": "H", "Ԛ": "Q", "Ԝ": "W", "Ӏ": "I",
    # Greek
    "α": "a", "ο": "o", "ρ": "p", "ν": "v", "υ": "u", "ι": "i", "κ": "k", "χ": "x",
    "γ": "y", "ϲ": "c", "ϳ": "j",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C", "Ϳ": "J",
    # Armenian
    "օ": "o", "ս": "u", "հ": "h", "ո": "n", "Օ": "O", "Ս": "U",
}  # fmt: skip

# --- match_key / normalize_hashtag -----------------------------------------------------------

#: Rare and other-language Arabic-script letters → nearest Persian letter. This is hazm
#: 0.12.1's ``TRANSLATION_SRC/DST`` minus what NFKC already does (presentation forms),
#: plus the base letters of the presentation forms hazm maps (ڃ ڄ), grouped by target; vendored so fingerprints do not move when hazm is upgraded and so
#: importing Separ does not import hazm (1.5 s). ``tests/test_text.py`` checks it still
#: agrees with the installed hazm.
ARABIC_SCRIPT_VARIANTS: dict[str, str] = {
    **_to("ا", "\u0773\u0774"),
    **_to("ب", "\u066e\u067b\u0680\u0750\u0751\u0752\u0753\u0754\u0755\u0756\u08a0\u08a1\u08b6"),
    **_to("ت", "\u0679\u067a\u067c\u067d\u067f\u08b8"),
    **_to("ج", "\u08a2"),
    **_to("ح", "\u0681\u0682\u0683\u0684\u0685\u0757\u0758\u076e\u076f\u0772\u077c"),
    **_to("د", "\u0688\u0689\u068a\u068b\u068c\u068d\u068e\u068f\u0690\u06ee\u0759\u075a\u08ae"),
    **_to(
        "ر",
        "\u0691\u0692\u0693\u0694\u0695\u0696\u0697\u0699\u06ef\u075b\u076b\u076c"
        "\u0771\u08aa\u08b9",
    ),
    **_to("ز", "\u08b2"),
    **_to("س", "\u069a\u069b\u069c\u075c\u076d\u0770\u077d\u077e"),
    **_to("ش", "\u06fa"),
    **_to("ص", "\u069d\u069e\u08af"),
    **_to("ض", "\u06fb"),
    **_to("ط", "\u069f\u08a3"),
    **_to("ع", "\u06a0\u075d\u075e\u075f\u08b3"),
    **_to("غ", "\u06fc"),
    **_to("ف", "\u06a1\u06a2\u06a3\u06a4\u06a5\u06a6\u0760\u0761\u08a4\u08bb"),
    **_to("ق", "\u066f\u06a7\u06a8\u08a5\u08bc"),
    **_to("ل", "\u06b5\u06b6\u06b7\u06b8\u076a\u08a6"),
    **_to("م", "\u0765\u0766\u08a7"),
    **_to("ن", "\u06b9\u06ba\u06bb\u06bc\u06bd\u0767\u0768\u0769\u08bd"),
    **_to("ه", "\u06be\u06c1\u06c2\u06c3\u06d5\u06ff"),
    **_to("و", "\u06c4\u06c5\u06c6\u06c7\u06c8\u06c9\u06ca\u06cb\u06cf\u0778\u0779\u08ab\u08b1"),
    **_to("پ", "\u08b7"),
    **_to("چ", "\u0687\u06bf"),
    **_to("ک", "\u063b\u063c\u06aa\u06ab\u06ac\u06ad\u06ae\u0762\u0763\u0764\u077f\u08b4"),
    **_to("گ", "\u06b0\u06b1\u06b2\u06b3\u06b4\u08b0"),
    **_to(
        "ی",
        "\u0620\u063d\u063e\u063f\u06cd\u06ce\u06d0\u06d1\u06d2\u06d3\u0775\u0776"
        "\u0777\u077a\u077b\u08a8\u08a9\u08ac\u08ba",
    ),
}

#: Persian spelling variants that are fine to read but split matches.
SPELLING_VARIANTS: dict[str, str] = {
    "\u0622": "ا",  # آ → ا   (#آزادی vs #ازادی)
    "\u0626": "ی",  # ئ → ی   (پائیز vs پاییز)
    "\u0621": "",  # ء dropped (اجزاء vs اجزا)
}

#: Combining marks left after NFKC (accents without a precomposed form, "Zalgo" text).
COMBINING_MARKS: str = (
    _span(0x0300, 0x036F) + _span(0x1AB0, 0x1AFF) + _span(0x1DC0, 0x1DFF)
    + _span(0x20D0, 0x20FF) + _span(0xFE20, 0xFE2F)
)  # fmt: skip

#: Joiners and selectors that glue emoji together; deleted, never a word break.
EMOJI_GLUE: str = "\u200d" + _span(0xFE00, 0xFE0F) + _span(0xE0100, 0xE01EF)

_UNDECOMPOSABLE_LATIN = {
    "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ł": "l", "ŀ": "l", "ŧ": "t", "ð": "d",
    "æ": "ae", "œ": "oe", "ƀ": "b", "ɨ": "i", "ʉ": "u",
}  # fmt: skip


def _latin_base_letters() -> dict[str, str]:
    """Accented Latin letters (Latin-1, Extended-A/B, Extended Additional) → lower-case base."""
    table: dict[str, str] = {}
    for first, last in ((0x00C0, 0x024F), (0x1E00, 0x1EFF)):
        for code in range(first, last + 1):
            ch = chr(code)
            base = unicodedata.normalize("NFD", ch)[0]
            if base != ch and base.isascii() and base.isalpha():
                table[ch] = base.lower()
    for ch, base in _UNDECOMPOSABLE_LATIN.items():
        table[ch] = base
        table[ch.upper()] = base
    return table


LATIN_BASE: dict[str, str] = _latin_base_letters()

KEY_FOLD: dict[str, str] = {
    **LATIN_LOOKALIKES,  # again: casefold makes them from capitals (Ɑ → ɑ, Ɡ → ɡ)
    **ARABIC_SCRIPT_VARIANTS,
    **SPELLING_VARIANTS,
    **LATIN_BASE,
    **dict.fromkeys(COMBINING_MARKS + EMOJI_GLUE, ""),
    ZWNJ: " ",
    "_": " ",
}

#: ``KEY_FOLD`` plus the lower-case homoglyphs (``match_key`` applies it after casefold).
KEY_FOLD_HOMOGLYPHS: dict[str, str] = {
    **KEY_FOLD,
    **{src: dst for src, dst in HOMOGLYPHS.items() if src.islower()},
}

#: Arabic-script letters: a ZWNJ is kept only between two of these.
ARABIC_LETTERS: frozenset[str] = frozenset(
    _span(0x0620, 0x063F)
    + _span(0x0641, 0x064A)
    + "\u066e\u066f"
    + _span(0x0671, 0x06D3)
    + "\u06d5\u06ee\u06ef\u06fa\u06fb\u06fc\u06ff"
    + _span(0x0750, 0x077F)
    + _span(0x08A0, 0x08C9)
)
