"""Threat and abuse lexicons (Persian and English), matched on Separ's text keys.

A lexicon is a list of phrases, each with a category ``kind.name`` (``threat.death``,
``abuse.sexual_slur``; kinds: ``threat``, ``abuse``, and ``ignore`` for compounds that
must not count, such as ``هرزه‌نگاری``). The built-in lists are the ``*.txt`` files next
to this module; an operator adds their own files in the same format (see
``docs/lexicon.md``)::

    # a comment
    threat.death        می‌کشیمت
    threat.doxxing      (we|i) know where you (live|work)
    abuse.sexual_slur   whore*

``(a|b|)`` spells alternatives (an empty one makes the group optional); a final ``*``
lets the last word go on (``whore*`` also matches ``whores``). Matching works on
``separ.text.match_key`` of both text and phrase, so Arabic or Persian letter variants,
ZWNJ, diacritics, kashida, case, accents and Cyrillic/Greek look-alikes cannot hide a
phrase; then doubled letters count once (``killll`` is ``kill``), digits inside Latin
words are read as letters (``k1ll``), three or more single letters in a row are one word
(``k i l l``), and a word break next to an Arabic-script letter may be there or not (a
ZWNJ typed as a space or left out: ``خانواده‌ت``, ``خانواده ت``, ``خانوادهت``). Breaks
between Latin words must be where the phrase has them (``go die`` is not ``goodie``). A
phrase matches whole words: it starts at a word start and ends at a word end (``skill
you`` is not ``kill you``), except that a ``*`` word may go on.

``match_text(text)`` gives ``[(category, phrase), ...]``; ``match_texts(texts)`` does
many, each distinct text once.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from separ.errors import InputError
from separ.text import match_key
from separ.text.normalize import map_distinct

__all__ = [
    "BUILTIN_FILES",
    "CATEGORIES",
    "KINDS",
    "Lexicon",
    "Match",
    "Term",
    "load_lexicon",
    "match_text",
    "match_texts",
    "parse_lexicon",
    "read_lexicon",
]

KINDS = ("threat", "abuse", "ignore")
"""``threat`` and ``abuse`` count; ``ignore`` phrases cancel the matches they overlap."""

CATEGORIES: dict[str, str] = {
    "threat.death": "threats to kill, wishes and announcements of death",
    "threat.execution": "calls to execute or hang the person, 'your sentence is death'",
    "threat.sexual_violence": "rape threats, 'you deserve to be raped'",
    "threat.violence": "acid, beating, 'we are coming for you', 'you will pay'",
    "threat.doxxing": "'we know where you live', the person's address or number",
    "threat.family": "threats against the person's family or children",
    "abuse.sexual_slur": "sexualised slurs (whore, slut; جنده, فاحشه)",
    "abuse.slur": "other slurs and vulgar insults",
    "abuse.misogyny": "contempt for women as women ('back to the kitchen', ضعیفه)",
    "abuse.self_harm": "telling the person to kill themselves",
    "ignore": "compounds and idioms that contain a listed word but are not abuse",
}
"""The built-in categories. Operator files may add others (``kind.anything``)."""

BUILTIN_FILES = ("threats.fa.txt", "threats.en.txt", "abuse.fa.txt", "abuse.en.txt")

Match = tuple[str, str]
"""``(category, phrase)``: the phrase is one spelling of a lexicon line, as written."""

_GROUP = re.compile(r"\(([^()]*)\)")
_FLAT_GROUPS = re.compile(r"[^()]*(?:\([^()]*\)[^()]*)*")  # brackets balanced, not nested
_LEET = str.maketrans("0134578", "oieastb")
_DOUBLE = re.compile(r"(.)\1+")
_APOSTROPHE = re.compile(r" (?=['’])")  # "we" + "'ll" from a group is "we'll"
_LATIN_AND_DIGIT = re.compile(r"(?=.*[a-z])(?=.*[0-9])")
_MIN_STEM = 3  # letters a ``*`` word needs: ``ab*`` would match half the language
_SPACED = 3  # single letters in a row read as one word


@dataclass(frozen=True, slots=True)
class Term:
    """One spelling of a lexicon line."""

    category: str
    phrase: str  # this spelling, as written (alternatives chosen, ``*`` kept)
    entry: str  # the whole line's phrase, as written
    source: str  # ``file:line``

    @property
    def kind(self) -> str:
        return self.category.split(".", 1)[0]


@lru_cache(maxsize=1 << 16)
def _word(word: str) -> str:
    """A key word as matched: digits in Latin words read as letters, doubles once."""
    if _LATIN_AND_DIGIT.match(word):
        word = word.translate(_LEET)
    return _DOUBLE.sub(r"\1", word)


def _words(text: str) -> list[str]:
    """The words matched: ``match_key`` words through ``_word``, and runs of three or more
    single Latin letters (``k i l l``, ``k.i.l.l``) as one word."""
    words = [_word(w) for w in match_key(text).split()]
    if sum(len(w) == 1 for w in words) < _SPACED:
        return words
    out: list[str] = []
    run: list[str] = []
    for w in [*words, ""]:
        if len(w) == 1 and w.isascii():
            run.append(w)
            continue
        if len(run) >= _SPACED:
            out.append(_DOUBLE.sub(r"\1", "".join(run)))
        else:
            out += run
        run = []
        if w:
            out.append(w)
    return out


def _arabic(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff"


def _join(left: str, right: str) -> str:
    """Two words as one key: a break between Latin letters or digits stays (``|``), so
    ``go die`` is not ``goodie``; one at an Arabic-script letter goes, since Persian
    writes those with a ZWNJ, a space or nothing (a doubled letter there counts once)."""
    if not left:
        return right
    a, b = left[-1], right[0]
    if not (_arabic(a) or _arabic(b)):
        return f"{left}|{right}"
    return left + right[1:] if a == b else left + right


def _compact(words: Iterable[str]) -> str:
    out = ""
    for w in words:
        out = _join(out, w)
    return out


def _expand(phrase: str) -> list[str]:
    """Every spelling of ``phrase``: the product of its ``(a|b|)`` groups."""
    parts = _GROUP.split(phrase)  # literal, group, literal, group, ...
    choices = [[p] if i % 2 == 0 else p.split("|") for i, p in enumerate(parts)]
    spellings = (" ".join("".join(c).split()) for c in itertools.product(*choices))
    return [_APOSTROPHE.sub("", s) for s in spellings]


def parse_lexicon(text: str, source: str = "<lexicon>") -> list[Term]:
    """Terms from lexicon text: ``CATEGORY PHRASE`` a line, ``#`` comments, blank lines.

    Raises ``InputError`` naming ``source`` and the line for a line that is not valid.
    """
    terms: list[Term] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        category, phrase = [*line.split(None, 1), ""][:2]
        kind = category.split(".", 1)[0]
        if kind not in KINDS or (kind != "ignore" and "." not in category):
            raise InputError(
                source,
                f"category {category!r} is not kind.name with kind threat or abuse (or ignore)",
                number,
            )
        if not phrase:
            raise InputError(source, f"no phrase after the category {category!r}", number)
        if not _FLAT_GROUPS.fullmatch(phrase):
            raise InputError(source, f"unbalanced or nested brackets in {phrase!r}", number)
        for spelling in _expand(phrase):
            if not spelling:
                continue
            stem = spelling.rstrip("*")
            words = _words(stem)
            if not words:
                raise InputError(source, f"{spelling!r} has no letters to match", number)
            if spelling.endswith("*") and len(words[-1]) < _MIN_STEM:
                raise InputError(
                    source, f"{spelling!r}: a * word needs {_MIN_STEM} letters or more", number
                )
            terms.append(Term(category, spelling, phrase, f"{source}:{number}"))
    return terms


def read_lexicon(path: str | Path) -> list[Term]:
    """Terms of one lexicon file (UTF-8); ``InputError`` if it cannot be read or parsed."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(p, f"cannot read the lexicon: {exc}") from None
    return parse_lexicon(text, str(p))


@cache
def _builtin_terms() -> tuple[Term, ...]:
    folder = resources.files(__name__)
    terms: list[Term] = []
    for name in BUILTIN_FILES:
        terms += parse_lexicon(folder.joinpath(name).read_text(encoding="utf-8"), name)
    return tuple(terms)


class Lexicon:
    """Compiled terms: whole-word phrase lookup on match keys.

    Every run of text words that could begin a phrase is joined into a compact key
    (``_join``) and looked up: exact phrases by the whole key; ``*`` phrases by the key of
    their words before the last, then the start of the run's next word. A run stops as
    soon as it begins no phrase, so most words cost one lookup.
    """

    def __init__(self, terms: Iterable[Term]) -> None:
        self.terms: tuple[Term, ...] = tuple(terms)
        self._exact: dict[str, list[Term]] = {}
        # head (words before the last) -> stem length -> stem -> terms
        self._prefix: dict[str, dict[int, dict[str, list[Term]]]] = {}
        seen: set[tuple[str, str, str, bool]] = set()
        for t in self.terms:
            words = _words(t.phrase.rstrip("*"))
            star = t.phrase.endswith("*")
            head, last = _compact(words[:-1]), words[-1]
            # spellings of one line that fold to one key are one term (the first)
            key = (t.source, head, last, star) if star else (t.source, _join(head, last), "", star)
            if key in seen:
                continue
            seen.add(key)
            if star:
                stems = self._prefix.setdefault(head, {}).setdefault(len(last), {})
                stems.setdefault(last, []).append(t)
            else:
                self._exact.setdefault(_join(head, last), []).append(t)
        self._by_word: dict[str, list[Term]] = {}
        # every key a run may grow into: the character prefixes of exact keys and heads
        self._starts = {k[:n] for k in [*self._exact, *self._prefix] for n in range(1, len(k) + 1)}

    def __len__(self) -> int:
        return len(self.terms)

    @property
    def categories(self) -> list[str]:
        return sorted({t.category for t in self.terms})

    def _spans(self, words: Sequence[str]) -> list[tuple[int, int, Term]]:
        """Every ``(first word, end word, term)`` found in the key words."""
        found: list[tuple[int, int, Term]] = []
        exact, starts = self._exact, self._starts
        for i in range(len(words)):
            run = ""
            for j in range(i, len(words)):
                word = words[j]
                if run:
                    found += [(i, j + 1, t) for t in self._continued(run, word)]
                else:
                    found += [(i, j + 1, t) for t in self._word_prefix(word)]
                run = _join(run, word)
                for t in exact.get(run, ()):
                    found.append((i, j + 1, t))
                if run not in starts:
                    break
        return found

    def _continued(self, head: str, word: str) -> list[Term]:
        """``*`` terms whose words before the last are ``head`` and whose last word
        starts ``word``."""
        by_length = self._prefix.get(head)
        if not by_length:
            return []
        return [
            t for n, stems in by_length.items() if n <= len(word) for t in stems.get(word[:n], ())
        ]

    def _word_prefix(self, word: str) -> list[Term]:
        """``_continued("", word)``, cached per word (words repeat across texts)."""
        hit = self._by_word.get(word)
        if hit is None:
            if len(self._by_word) >= 1 << 16:
                self._by_word.clear()
            hit = self._by_word[word] = self._continued("", word)
        return hit

    def match(self, text: str) -> list[Match]:
        """``(category, phrase)`` for each phrase in ``text``, in order, each once.

        A phrase inside a longer one found at the same place is left out (``we found your
        family's address`` is not also ``your family's address``), and so is every phrase
        overlapping an ``ignore`` phrase.
        """
        spans = self._spans(_words(text))
        if not spans:
            return []
        ignored = [(i, j) for i, j, t in spans if t.kind == "ignore"]
        kept = [
            (i, j, t)
            for i, j, t in spans
            if t.kind != "ignore" and not any(a < j and i < b for a, b in ignored)
        ]
        out: dict[Match, None] = {}
        for i, j, t in sorted(kept, key=lambda s: (s[0], s[1])):
            if not any(a <= i and j <= b and b - a > j - i for a, b, _ in kept):
                out[(t.category, t.phrase)] = None
        return list(out)

    def match_many(self, texts: Iterable[str | None]) -> list[list[Match]]:
        """``match`` over many texts (``None`` is ``""``), each distinct text once."""
        return map_distinct(self.match, texts)


def load_lexicon(extra: Iterable[str | Path] = (), *, builtin: bool = True) -> Lexicon:
    """The built-in lexicon (unless ``builtin=False``) plus the operator's ``extra`` files."""
    terms: list[Term] = list(_builtin_terms()) if builtin else []
    for path in extra:
        terms += read_lexicon(path)
    return Lexicon(terms)


@cache
def _default() -> Lexicon:
    return load_lexicon()


def match_text(text: str, lexicon: Lexicon | None = None) -> list[Match]:
    """``[(category, phrase), ...]`` found in ``text`` (default: the built-in lexicon).

    >>> match_text("@x We KNOW where you l1ve!!")
    [('threat.doxxing', 'we know where you live')]
    """
    return (lexicon or _default()).match(text)


def match_texts(texts: Iterable[str | None], lexicon: Lexicon | None = None) -> list[list[Match]]:
    """``match_text`` over many texts, each distinct text computed once."""
    return (lexicon or _default()).match_many(texts)
