"""separ.text: every fold on explicit strings, URL and hashtag cases, properties, real tweets."""

from __future__ import annotations

import csv
import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import separ.text
from separ.text import (
    HOST_TRACKING_PARAMS,
    TRACKING_PARAM_PREFIXES,
    TRACKING_PARAMS,
    extract_hashtags,
    extract_mentions,
    extract_urls,
    match_key,
    match_keys,
    normalize_hashtag,
    normalize_hashtags,
    normalize_many,
    normalize_text,
    normalize_url,
    normalize_urls,
    text_fingerprint,
    text_fingerprints,
    url_domain,
    url_domains,
)
from separ.text.extract import MENTION_RE, URL_RE, trim_url
from separ.text.normalize import (
    _AFFIX,
    _AFFIX_END,
    _DEFER,
    _join_affixes,
    fingerprint_sql,
    key_fingerprint,
    key_token,
)
from separ.text.tables import ARABIC_SCRIPT_VARIANTS, KEY_FOLD, TEXT_FOLD
from tests.conftest import data_path

ZWNJ, ZWJ = "\u200c", "\u200d"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "text.md"

# --- normalize_text: one fold per test ------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("علي", "علی"),  # Arabic yeh
        ("مصطفى", "مصطفی"),  # alef maksura
        ("كتاب", "کتاب"),  # Arabic kaf
        ("مدرسة", "مدرسه"),  # teh marbuta
        ("خانۀ ما", "خانه\u200cی ما"),  # heh with yeh above → ه‌ی
        ("خانهٔ ما", "خانه\u200cی ما"),  # heh + combining hamza → ه‌ی
        ("قبیله\u200cٔ دیگر", "قبیله\u200cی دیگر"),  # hamza typed after a ZWNJ (real data)
        ("أحمد إيران ٱلله", "احمد ایران الله"),  # hamza-seated and wasla alefs
        ("مؤسسه", "موسسه"),
        ("آزادی", "آزادی"),  # آ is a Persian letter: kept in readable text
        ("پائیز", "پائیز"),  # ئ too
    ],
)
def test_arabic_letters_become_persian(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("سَلامٌ عَلَیْکُمْ", "سلام علیکم"),  # harakat, tanwin, sukun
        ("مُحَمَّد", "محمد"),  # shadda
        ("هٰذا", "هذا"),  # superscript alef
        ("اتحــــــاد", "اتحاد"),  # kashida
        ("ابزرد\u200cـ\u200cبودگی", "ابزرد\u200cبودگی"),  # kashida between ZWNJs (real data)
    ],
)
def test_diacritics_and_kashida_are_removed(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("۱۴۰۱", "1401"),
        ("١٤٠١", "1401"),
        ("۵۰٪", "50%"),
        ("۲۴٫۶ میلیارد", "24.6 میلیارد"),
        ("۱٬۶۰۰", "1,600"),
        ("①②", "12"),  # NFKC
    ],
)
def test_digits_become_ascii(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    "invisible",
    list("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u00ad\u061c\u2063"),
)
def test_bidi_and_format_controls_are_removed(invisible: str) -> None:
    assert normalize_text(f"آزا{invisible}دی pay{invisible}pal") == "آزادی paypal"
    assert normalize_text(f"{invisible}سلام{invisible}") == "سلام"


@pytest.mark.parametrize("zero_width", ["\u200b", "\u2060", "\ufeff", ZWNJ])
def test_zero_width_spaces_unify_to_zwnj(zero_width: str) -> None:
    # Between Arabic-script letters they break joining like a ZWNJ; elsewhere invisible.
    assert normalize_text(f"می{zero_width}روم") == f"می{ZWNJ}روم"
    assert normalize_text(f"pay{zero_width}pal") == "paypal"
    assert normalize_text(f"{zero_width}سلام{zero_width} دنیا{zero_width}") == "سلام دنیا"
    assert normalize_text(f"۱۴۰۱{zero_width}ها") == "1401ها"


def test_zwnj_runs_collapse_and_zwj_between_letters_goes() -> None:
    assert normalize_text(f"کتاب{ZWNJ}{ZWNJ}{ZWNJ}ها") == f"کتاب{ZWNJ}ها"
    assert normalize_text(f"سل{ZWJ}ام") == "سلام"
    assert normalize_text("آزا\ufe0fدی") == "آزادی"  # variation selector inside a word


def test_emoji_sequences_keep_their_glue() -> None:
    for emoji in ["👩\u200d💻", "🤦🏻\u200d♂️", "❤️", "1️⃣", "🏳️\u200d🌈"]:
        assert normalize_text(f"سلام {emoji}") == f"سلام {emoji}"


def test_nfkc_fullwidth_presentation_forms_and_ligatures() -> None:
    assert normalize_text("ｆｕｌｌ ＡＢＣ") == "full ABC"
    assert normalize_text("ﻻ ﷲ ﺳﻼﻡ") == "لا الله سلام"
    assert normalize_text("𝐁𝐨𝐥𝐝") == "Bold"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Тhis is а tеst", "This is a test"),  # Cyrillic Т а е in Latin words
        ("#Маhsa_Аmini", "#Mahsa_Amini"),
        ("the рор star", "the pop star"),  # whole look-alike word in a Latin text
        ("Ρaypal Αpple", "Paypal Apple"),  # Greek capitals
        ("ᴘᴀʏᴘᴀʟ", "paypal"),  # small capitals
        ("Привет мир", "Привет мир"),  # real Russian stays Russian
        ("Ελλάδα", "Ελλάδα"),  # real Greek stays Greek
        ("#Република_Србија is Serbian", "#Република_Србија is Serbian"),  # real data
    ],
)
def test_homoglyphs_fold_only_where_they_pose_as_latin(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_whitespace_collapses() -> None:
    assert normalize_text(" a \n\t b\u00a0c\u2003d\u2800e\u3164f  ") == "a b c d e f"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ببینید https://t.co/abc123XYZ0 را", "ببینید <url> را"),
        ("(see https://en.wikipedia.org/wiki/Foo_(bar)).", "(see <url>)."),
        ("www.kayhan.ir/news/1، ببینید", "<url>، ببینید"),
        ("https://t.co/Ksyrf72KQpفریب-بزرگ/ #x", "<url> فریب-بزرگ/ #x"),  # t.co + slug
        ("\u2066https://t.co/abc\u2069", "<url>"),
        ("h\u200bttps://evil.example/x", "<url>"),  # zero-width space cannot hide a URL
        ("@Ali_1 سلام", "@user سلام"),
        ("گزارش@younesipour 👇", "گزارش @user 👇"),  # glued to Persian (real data)
        ("＠ali و @bob.bsky.social و @u@mastodon.social", "@user و @user و @user"),
        ("@аli", "@user"),  # Cyrillic а in a handle
        ("mail legal@fifa.org", "mail legal@fifa.org"),  # e-mail is not a mention
        ("@a@b", "@user @user"),
    ],
)
def test_urls_and_mentions_are_masked(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_mixed_persian_english_rtl_text() -> None:
    raw = "\u202bما ایستاده‌ایم\u202c #WomanLifeFreedom ۲۰۲۲ ❤️ @bbcpersian https://bbc.in/x"
    assert normalize_text(raw) == "ما ایستاده\u200cایم #WomanLifeFreedom 2022 ❤️ @user <url>"


# --- match_key and fingerprints ---------------------------------------------------------------

BASE = "می‌خواهیم کتاب‌ها را بخوانیم ۱۴۰۱ #زن_زندگی_آزادی"
VARIANTS = [
    "مي‌خواهيم كتاب‌ها را بخوانيم ۱۴۰۱ #زن_زندگي_آزادي",  # Arabic ي ك
    "می خواهیم کتاب ها را بخوانیم ۱۴۰۱ #زن_زندگی_آزادی",  # ZWNJ → space
    "میخواهیم کتابها را بخوانیم ۱۴۰۱ #زن_زندگی_آزادی",  # ZWNJ → nothing (affixes)
    "مـــی‌خواهیم کتـــاب‌ها را بخـوانیم ۱۴۰۱ #زن_زندگی_آزادی",  # kashida
    "مَی‌خواهیم کِتاب‌ها را بُخوانیم ۱۴۰۱ #زن_زندگی_آزادی",  # diacritics
    "می‌خواهیم کتاب‌ها را بخوانیم 1401 #زن_زندگی_آزادی",  # ASCII digits
    "می‌خواهیم کتاب‌ها را بخوانیم ۱۴۰۱ #زن_زندگی_آزادی 🔥✌️",  # emoji added
    "@someone می‌خواهیم کتاب‌ها را بخوانیم ۱۴۰۱ #زن_زندگی_آزادی https://t.co/x1",  # mention/URL
    "می‌خواهیم کتاب‌ها را بخوانیم ۱۴۰۱ زن زندگی ازادی",  # hashtag typed as words, ا for آ
    "\u202bمی‌خواهیم\u200b کتاب‌ها را بخوانیم ۱۴۰۱ #زن_زندگی_آزادی\u202c",  # bidi, ZWSP
    "مییییی‌خواهیم کتاب‌ها را بخوانیم ۱۴۰۱ #زن_زندگی_آزادی!!!",  # elongation, punctuation
]


@pytest.mark.parametrize("variant", VARIANTS)
def test_copy_paste_variants_share_a_key(variant: str) -> None:
    assert match_key(BASE) == "میخواهیم کتابها را بخوانیم 1401 زن زندگی ازادی"
    assert match_key(variant) == match_key(BASE)
    assert text_fingerprint(variant) == text_fingerprint(BASE)


def test_latin_variants_share_a_key() -> None:
    key = match_key("Free Toomaj Salehi now")
    for variant in [
        "FREE TOOMAJ SALEHI NOW!!",
        "Frее Tооmaj Salehi now",  # Cyrillic е о
        "Ｆｒｅｅ Ｔｏｏｍａｊ Ｓａｌｅｈｉ ｎｏｗ",
        "Frée Toomaj Saléhi now 🙏",
        "F\u0336r\u0336e\u0336e\u0336 Toomaj Salehi now",  # combining strokes
        "Free Toomaj Salehi nooooow @x https://x.com/y",
    ]:
        assert match_key(variant) == key, variant


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (f"زن{ZWNJ}زندگی", "زن زندگی"),
        ("می روم", "میروم"),
        ("نمی‌دانم", "نمی دانم"),
        ("بی‌شرف", "بیشرف"),
        ("خانه‌ی ما", "خانه ی ما"),
        ("خانۀ ما", "خانهی ما"),
        ("دیوار‌ها", "دیوار ها"),
        ("آزادی‌خواهان", "ازادی خواهان"),
        ("مسئله", "مسیله"),
        ("اجزاء", "اجزا"),
    ],
)
def test_zwnj_space_and_spelling_variants_share_a_key(a: str, b: str) -> None:
    assert match_key(a) == match_key(b)


def test_fingerprint_ignores_word_breaks_but_not_words() -> None:
    assert text_fingerprint(f"زن{ZWNJ}زندگی آزادی") == text_fingerprint("زنزندگی آزادی")
    assert match_key(f"زن{ZWNJ}زندگی") != match_key("زنزندگی")  # the key keeps word breaks
    assert text_fingerprint("زن زندگی آزادی") != text_fingerprint("مرد میهن آبادی")
    fingerprint = text_fingerprint("سلام")
    assert fingerprint is not None
    assert re.fullmatch(r"[0-9a-f]{16}", fingerprint)


def test_duckdb_fingerprints_keys_as_python_does() -> None:
    keys = ["", "سلام", "زن زندگی ازادی", "free them all", "میروم به ازادی زن", "é ß 😀"]
    got = duckdb.execute(
        f"SELECT {fingerprint_sql('k')} FROM unnest(?) WITH ORDINALITY AS t(k, i) ORDER BY i",
        [keys],
    ).fetchall()
    assert [g for (g,) in got] == [key_fingerprint(k) for k in keys]
    assert got[0] == (None,)


@pytest.mark.parametrize(
    "noise", ["", "   ", "😂🔥", "@a @b", "https://t.co/x", "!!! ؟ …", "\u200c"]
)
def test_noise_has_no_key_and_no_fingerprint(noise: str) -> None:
    assert match_key(noise) == ""
    assert text_fingerprint(noise) is None


# --- hashtags, mentions, URLs in text -----------------------------------------------------------


@pytest.mark.parametrize(
    "tag",
    [
        "#آزادی_زن",
        "#ازادي_زن",
        f"#آزادی{ZWNJ}زن",
        "＃آزادیزن",
        "آزادی_زن",
        "#آزادیِ_زن",
        "#آزادی__زن",
        "#آزاااادی_زن",
    ],
)
def test_hashtag_variants_fold_together(tag: str) -> None:
    assert normalize_hashtag(tag) == "ازادیزن"


def test_hashtag_latin_and_other_scripts() -> None:
    assert normalize_hashtag("#MahsaAmini") == normalize_hashtag("#Mahsa_Amini") == "mahsaamini"
    assert normalize_hashtag("#Маhsa_Аmini") == "mahsaamini"  # Cyrillic look-alikes
    assert normalize_hashtag("#Република_Србија") == "републикасрбија"  # real Serbian
    assert normalize_hashtag("#۱۴۰۱_آبان") == "1401ابان"
    assert normalize_hashtag("#🇮🇷") == ""
    assert normalize_hashtag("") == ""


def test_extract_hashtags() -> None:
    text = "#پرسپوليس را #استراماچونی_را_برگردانید ؟ #۱۴۰۱ a#b &#123; #مهسا‌امینی‌. #X_1"
    assert extract_hashtags(text) == [
        "پرسپوليس",
        "استراماچونی_را_برگردانید",
        "مهسا\u200cامینی",
        "X_1",
    ]


def test_extract_mentions() -> None:
    text = "@milad_azami سلام me@x.com https://medium.com/@bob گزارش@reza @a.b.c. @u@m.social"
    assert extract_mentions(text) == ["milad_azami", "reza", "a.b.c", "u@m.social"]


def test_extract_urls() -> None:
    text = (
        "ببینید https://example.com/a?b=1، و www.x.ir. (https://w.org/a_(b)). "
        "https://t.co/LMltWphf5F… https://t.co/Ksyrf72KQpفریب-بزرگ/ HTTP://A.B/c"
    )
    assert extract_urls(text) == [
        "https://example.com/a?b=1",
        "www.x.ir",
        "https://w.org/a_(b)",
        "https://t.co/LMltWphf5F",
        "https://t.co/Ksyrf72KQp",
        "HTTP://A.B/c",
    ]


# --- URLs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "HTTPS://WWW.Example.COM:443/Path/?utm_source=x&b=2&a=1#top",
            "https://www.example.com/Path?a=1&b=2",
        ),
        ("http://example.com:80/", "http://example.com"),
        ("https://example.com:8080/a/", "https://example.com:8080/a"),
        ("https://x.com/user/status/1?s=20&t=abc", "https://x.com/user/status/1"),
        ("https://mobile.twitter.com/u/status/1?s=09", "https://mobile.twitter.com/u/status/1"),
        ("https://example.com/?s=search&t=1", "https://example.com?s=search&t=1"),  # not X
        ("https://youtu.be/abc?si=xyz&t=30", "https://youtu.be/abc?t=30"),
        (
            "https://www.youtube.com/watch?v=ID&feature=share&si=q",
            "https://www.youtube.com/watch?v=ID",
        ),
        ("https://open.spotify.com/track/1?si=abc", "https://open.spotify.com/track/1"),
        ("https://www.instagram.com/p/X/?igshid=abc&igsh=d", "https://www.instagram.com/p/X"),
        ("https://a.org/p?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ref_src=t", "https://a.org/p"),
        ("https://a.org/p?UTM_Medium=x&z=1&a=2&a=1", "https://a.org/p?a=2&a=1&z=1"),
        ("www.kayhan.ir/fa/news/1/", "https://www.kayhan.ir/fa/news/1"),
        ("kayhan.ir/fa", "https://kayhan.ir/fa"),
        (
            "https://fa.wikipedia.org/wiki/%D8%A7%DB%8C%D8%B1%D8%A7%D9%86",
            "https://fa.wikipedia.org/wiki/ایران",
        ),
        ("https://fa.wikipedia.org/wiki/ایران", "https://fa.wikipedia.org/wiki/ایران"),
        ("https://example.com/a%2fb?q=%7e", "https://example.com/a%2Fb?q=~"),
        ("https://Example.com./A", "https://example.com/A"),  # path case kept
        ("  https://a.org/x  ", "https://a.org/x"),
    ],
)
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected
    assert normalize_url(expected) == expected


@pytest.mark.parametrize(
    "junk",
    ["", "   ", "not a url", "http://", "http://[::1", "mailto:a@b.c", "javascript:alert(1)"],
)
def test_normalize_url_returns_junk_stripped(junk: str) -> None:
    assert normalize_url(f" {junk} ") == junk.strip()
    assert url_domain(junk) == ""


def test_normalize_url_extra_tracking() -> None:
    url = "https://news.example/a?campaign=x&id=1"
    assert normalize_url(url) == "https://news.example/a?campaign=x&id=1"
    assert normalize_url(url, extra_tracking=["Campaign"]) == "https://news.example/a?id=1"
    assert normalize_urls([url, None], extra_tracking=["campaign"]) == [
        "https://news.example/a?id=1",
        "",
    ]


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("https://WWW.BBC.co.uk:8080/persian", "bbc.co.uk"),
        ("http://www.kayhan.ir", "kayhan.ir"),
        ("t.co/abc", "t.co"),
        ("https://user@Sub.Example.com/x", "sub.example.com"),
        ("https://[2001:db8::1]:443/", "[2001:db8::1]"),
    ],
)
def test_url_domain(raw: str, domain: str) -> None:
    assert url_domain(raw) == domain


def test_tracking_parameters_are_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for name in [*TRACKING_PARAMS, *TRACKING_PARAM_PREFIXES, *HOST_TRACKING_PARAMS]:
        assert f"`{name}`" in docs, f"docs/text.md does not list `{name}`"
    for params in HOST_TRACKING_PARAMS.values():
        for name in params:
            assert f"`{name}`" in docs, f"docs/text.md does not list `{name}`"


def test_public_functions_are_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for name in separ.text.__all__:
        assert f"`{name}" in docs, f"docs/text.md does not mention `{name}`"


# --- batch forms ---------------------------------------------------------------------------------


def test_batch_forms_match_single_calls() -> None:
    texts = ["سلام علي", None, "سلام علي", "😀", "https://t.co/x"]
    assert normalize_many(texts) == ["سلام علی", "", "سلام علی", "😀", "<url>"]
    assert match_keys(texts) == ["سلام علی", "", "سلام علی", "", ""]
    fingerprints = text_fingerprints(texts)
    assert fingerprints[0] == fingerprints[2] == text_fingerprint("سلام علي")
    assert fingerprints[1] is fingerprints[3] is fingerprints[4] is None
    assert normalize_hashtags(["#ازادي", "#آزادی", None]) == ["ازادی", "ازادی", ""]
    assert url_domains(["https://www.a.org/x", None]) == ["a.org", ""]
    assert normalize_urls(iter(["https://a.org/?utm_source=x"])) == ["https://a.org"]


# --- tables --------------------------------------------------------------------------------------


def test_folds_have_no_chains() -> None:
    """Targets are never sources, so one pass is enough and the folds are idempotent."""
    for table in (TEXT_FOLD, KEY_FOLD):
        targets = "".join(table.values())
        assert not set(targets) & set(table), set(targets) & set(table)


def test_key_fold_agrees_with_hazm() -> None:
    """Every letter hazm's Normalizer unifies, our key unifies the same way (hazm is the
    reference for the Arabic-script variants table we vendor)."""
    constants = pytest.importorskip("hazm.constants")
    for src, dst in zip(constants.TRANSLATION_SRC, constants.TRANSLATION_DST, strict=False):
        if not src.isalpha() or unicodedata.normalize("NFKC", src) == "ۀ":
            continue  # quotes, no-break space; ۀ is ه‌ی here on purpose (hazm: ه)
        assert match_key(src) == match_key(dst), (hex(ord(src)), src, dst)
    assert set(ARABIC_SCRIPT_VARIANTS) <= set(constants.TRANSLATION_SRC) | set("ڃڄؼ")


# --- properties ----------------------------------------------------------------------------------

ALPHABET = (
    "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیيكةۀأإٱؤئآءى"
    "\u064b\u064e\u064f\u0650\u0651\u0652\u0670\u0654\u0640"
    "\u200c\u200d\u200b\u200e\u200f\u202b\u202c\u2066\u2069\ufeff\u00ad\u2060\ufe0f\u20e3"
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩0123456789aAbcehiopsTxyzаеорсхуіАВЕКМНОРСТХαοΑΝｆＡ＠＃"
    " \n\t\u00a0@#_./:-()،؟!?😀🔥👩ßİﷲﻻ"
)
PIECES = ["http://", "https://", "www.", "t.co/", "@", "#", "می", "ها", "ی", "ای", "نمی", ZWNJ]
texts = st.one_of(
    st.text(),
    st.lists(
        st.one_of(st.text(alphabet=ALPHABET, max_size=4), st.sampled_from(PIECES)), max_size=25
    ).map("".join),
)
URL_PIECES = ["http://", "https://", "www.", "x.com", "youtu.be", ":443", "?", "&", "=", "#"]
URL_PIECES += ["utm_source=", "si=", "s=", "%2f", "%d8%a7", "%zz", "/", "[::1]", "@", ".", "+"]
urls = st.lists(
    st.one_of(
        st.text(alphabet="aZ09-._~%/?#&=:@[] ای\u200c", max_size=3), st.sampled_from(URL_PIECES)
    ),
    max_size=15,
).map("".join)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(texts)
def test_text_folds_are_idempotent(s: str) -> None:
    for fold in (normalize_text, match_key, normalize_hashtag):
        once = fold(s)
        assert fold(once) == once, (fold.__name__, s, once)


@PROPERTY
@given(texts, st.randoms(use_true_random=False))
def test_key_ignores_zwnj_kashida_and_harakat(s: str, rng: random.Random) -> None:
    noisy = "".join(c + rng.choice(["", "", "ـ", "\u064e", "\u0650\u0651"]) for c in s)
    assert match_key(s.replace(ZWNJ, " ")) == match_key(s)
    assert match_key(noisy) == match_key(s)


def joined_word_by_word(s: str) -> str | None:
    """The key with affixes joined over every word (what ``match_key`` shortcuts)."""
    pieces = [key_token(token) for token in s.split()]
    if any(_DEFER in piece for piece in pieces):
        return None
    words = " ".join(pieces).replace(_AFFIX, " ").replace(_AFFIX_END, " ").split()
    return " ".join(_join_affixes(words))


@PROPERTY
@given(texts)
def test_affix_shortcut_equals_joining_every_word(s: str) -> None:
    reference = joined_word_by_word(s)
    assert reference is None or match_key(s) == reference


@PROPERTY
@given(st.one_of(texts, urls))
def test_url_folds_are_idempotent_and_never_raise(s: str) -> None:
    once = normalize_url(s)
    assert normalize_url(once) == once
    assert url_domain(once) == url_domain(s)


@PROPERTY
@given(st.one_of(texts, urls))
def test_nothing_raises_on_any_text(s: str) -> None:
    text_fingerprint(s)
    extract_hashtags(s)
    extract_mentions(s)
    extract_urls(s)


# --- real tweets ---------------------------------------------------------------------------------

DUAL_JOINING = set("بپتثجچحخسشصضطظعغفقکگلمنهی")
ARABIC_LETTER = re.compile("[\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc]")
HARAKAT = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652"
FA_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
URL_OR_MENTION = re.compile(f"{URL_RE.pattern}|{MENTION_RE.pattern}")


@pytest.fixture(scope="module")
def tweets() -> list[str]:
    path = data_path("persian", "persian_topic_tweets.csv")
    with path.open(encoding="utf-8", newline="") as f:
        return [row["tweet"] for row in csv.DictReader(f)]


def outside_links(s: str, fn: Callable[[str], str]) -> str:
    """Apply ``fn`` to the text between URLs and mentions (copy-paste keeps links intact)."""
    out, pos = [], 0
    for m in URL_OR_MENTION.finditer(s):
        out += [fn(s[pos : m.start()]), m[0]]
        pos = m.end()
    return "".join([*out, fn(s[pos:])])


def arabic_letters(rng: random.Random, s: str) -> str:
    return outside_links(s, lambda t: t.replace("ی", "ي").replace("ک", "ك"))


def zwnj_to_space(rng: random.Random, s: str) -> str:
    return s.replace(ZWNJ, " ")


def kashida(rng: random.Random, s: str) -> str:
    def stretch(t: str) -> str:
        return "".join(
            c + "ـ" * rng.randint(1, 3)
            if c in DUAL_JOINING and ARABIC_LETTER.match(t[i + 1 : i + 2]) and rng.random() < 0.3
            else c
            for i, c in enumerate(t)
        )

    return outside_links(s, stretch)


def diacritics(rng: random.Random, s: str) -> str:
    def vowel(t: str) -> str:
        return "".join(
            c + rng.choice(HARAKAT) if ARABIC_LETTER.match(c) and rng.random() < 0.2 else c
            for c in t
        )

    return outside_links(s, vowel)


def digit_script(rng: random.Random, s: str) -> str:
    def swap(t: str) -> str:
        persian = "".join(FA_DIGITS[int(c)] if "0" <= c <= "9" else c for c in t)
        if persian != t:
            return persian
        return "".join(str(FA_DIGITS.index(c)) if c in FA_DIGITS else c for c in t)

    return outside_links(s, swap)


def emoji(rng: random.Random, s: str) -> str:
    return f"{s} {rng.choice(['🔥', '✌️', '😂😂', '🇮🇷', '❤️‍🔥'])}"


def mention_swap(rng: random.Random, s: str) -> str:
    s = MENTION_RE.sub(lambda m: "@" + rng.choice(["bot_1", "x9", "Someone"]), s)
    return f"@{rng.choice(['a_b', 'zz1'])} {s}"


def url_swap(rng: random.Random, s: str) -> str:
    new = "https://t.co/" + "".join(rng.choice("abcXYZ012") for _ in range(10))
    s = URL_RE.sub(lambda m: new + m[0][len(trim_url(m[0])) :], s)
    return f"{s} https://bit.ly/3xyz"


PERTURBATIONS = [
    arabic_letters,
    zwnj_to_space,
    kashida,
    diacritics,
    digit_script,
    emoji,
    mention_swap,
    url_swap,
]


def test_real_tweets_have_the_cases_we_fold(tweets: list[str]) -> None:
    assert len(tweets) == 4674
    assert sum(ZWNJ in t for t in tweets) == 1378
    assert sum(bool(re.search("[يك]", t)) for t in tweets) == 548
    assert sum(bool(re.search("[۰-۹]", t)) for t in tweets) == 978


def test_real_tweets_affix_shortcut(tweets: list[str]) -> None:
    checked = [(t, joined_word_by_word(t)) for t in tweets]
    assert [match_key(t) for t, ref in checked if ref is not None] == [
        ref for _, ref in checked if ref is not None
    ]


def test_real_tweets_normalise_cleanly(tweets: list[str]) -> None:
    normal = normalize_many(tweets)
    assert not [t for t in normal if re.search("[يكىـ۰-۹٠-٩\u064b-\u0652\u200e\u200f]", t)]
    assert not [t for t in normal if "  " in t or t != t.strip()]


@pytest.mark.slow
@pytest.mark.parametrize("perturb", PERTURBATIONS, ids=lambda p: p.__name__)
def test_copy_paste_perturbations_keep_the_key(
    tweets: list[str], perturb: Callable[[random.Random, str], str]
) -> None:
    rng = random.Random(1401)
    changed = [t for t in tweets if match_key(perturb(rng, t)) != match_key(t)]
    assert not changed, changed[:3]


@pytest.mark.slow
def test_combined_perturbations_keep_key_and_fingerprint(tweets: list[str]) -> None:
    rng = random.Random(57)
    for tweet in tweets:
        copy = tweet
        for perturb in rng.sample(PERTURBATIONS, 4):
            copy = perturb(rng, copy)
        assert match_key(copy) == match_key(tweet), (tweet, copy)
        assert text_fingerprint(copy) == text_fingerprint(tweet)
        assert text_fingerprint(tweet.replace(ZWNJ, "")) == text_fingerprint(tweet)


def test_distinct_real_tweets_rarely_collide(tweets: list[str]) -> None:
    """3,991 distinct tweets give 3,920 keys: the 71 that share a key are real copy-paste
    variants (other t.co link or mention, ك for ک, spacing). None is a false collision:
    every pair sharing a key has the same words after ``normalize_text``."""
    distinct = sorted(set(tweets))
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for tweet, key in zip(distinct, match_keys(distinct), strict=True):
        groups[key].append(tweet)
    collided = sum(len(group) - 1 for group in groups.values())
    assert len(distinct) == 3991
    assert collided <= 80  # 71 today

    def words(s: str) -> set[str]:
        return set(re.findall(r"\w+", normalize_text(s).casefold())) - {"url", "user"}

    for group in groups.values():
        first = words(group[0])
        for other in group[1:]:
            union = first | words(other)
            assert len(first & words(other)) / len(union) >= 0.8, (group[0], other)
    assert len({text_fingerprint(t) for t in distinct}) >= len(groups) - 5
