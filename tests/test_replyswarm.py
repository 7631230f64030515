"""The threat/abuse lexicon and the ``reply_swarm`` detector, on real text and on the
simulated scenario (with replies added to it: threats, solidarity, political anger)."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from separ.activity import build_activity
from separ.detectors import build, run_detectors
from separ.detectors.base import Finding
from separ.errors import InputError, ParameterError
from separ.lexicon import CATEGORIES, KINDS, load_lexicon, match_text, match_texts
from separ.workspace import Workspace
from tests.conftest import data_path, fresh, truth_accounts

# --- the lexicon -------------------------------------------------------------------------


def test_builtin_lexicon_uses_documented_categories_of_every_kind() -> None:
    lexicon = load_lexicon()
    assert len(lexicon) > 500
    assert set(lexicon.categories) <= set(CATEGORIES)
    assert {c.split(".")[0] for c in lexicon.categories} == set(KINDS)
    docs = (Path(__file__).resolve().parents[1] / "docs" / "lexicon.md").read_text("utf-8")
    for category in CATEGORIES:
        assert f"`{category}`" in docs, f"docs/lexicon.md does not explain {category}"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("می‌کشیمت", "threat.death"),
        ("مي كشيمت", "threat.death"),  # Arabic ي/ك, a space for the ZWNJ
        ("میکشیمت!!", "threat.death"),  # no ZWNJ at all
        ("میـــکشیـمت", "threat.death"),  # kashida
        ("مِی‌کُشیمَت", "threat.death"),  # diacritics
        ("میکشششیمت", "threat.death"),  # elongation
        ("اعدامت میکنیم", "threat.execution"),
        ("خانوادتو پیدا می کنیم", "threat.family"),
        ("خانواده‌ات را هم پیدا می‌کنیم", "threat.family"),
        ("می دونیم کجا زندگی میکنی", "threat.doxxing"),
        ("بهت تجاوز میکنیم", "threat.sexual_violence"),
        ("اسید میپاشیم", "threat.violence"),
        ("جنده‌ها", "abuse.sexual_slur"),
        ("جنده ها", "abuse.sexual_slur"),
        ("@someone We KNOW where u live", "threat.doxxing"),
        ("ｗｅ ｋｎｏｗ ｗｈｅｒｅ ｙｏｕ ｌｉｖｅ", "threat.doxxing"),  # fullwidth
        ("we knоw where yоu live", "threat.doxxing"),  # Cyrillic о
        ("k i l l yourself", "abuse.self_harm"),  # spaced letters
        ("k.i.l.l yourself", "abuse.self_harm"),
        ("k1ll yours3lf", "abuse.self_harm"),  # digits for letters
        ("kiiiilll yourself", "abuse.self_harm"),
        ("wh0res", "abuse.sexual_slur"),
        ("I'll kill you", "threat.death"),
        ("you will be raped", "threat.sexual_violence"),
    ],
)
def test_evasions_still_match(text: str, category: str) -> None:
    assert category in {c for c, _ in match_text(text)}, match_text(text)


@pytest.mark.parametrize(
    "text",
    [
        # Persian political speech and news: slogans, executions, killings, accusations
        "مرگ بر دیکتاتور",
        "اعدام نکنید #اعدام_نکنید",
        "به اعدام‌ها اعتراض داریم",
        "طناب دار بر گردن جوانان این سرزمین",
        "قاتل‌ها تاوان خون‌ها را پس می‌دهید",
        "وطن‌فروش‌ها و مزدوران آشوب به پا کردند",
        "هر کس کشته شد نامش را فراموش نمی‌کنیم",
        "کسانی که تهدیدت می‌کنند از صدای تو می‌ترسند",
        "مبارزه با هرزه‌نگاری در فضای مجازی",
        "فردا می‌بینیمت",
        # English: words inside words, quotes and idioms
        "Oh goodie, a new season",
        "that takes skill you know",
        "son of a bitch",
        "who're you voting for?",
        "Live as if you'll die today",
    ],
)
def test_ordinary_speech_does_not_match(text: str) -> None:
    assert match_text(text) == []


def test_a_phrase_inside_a_longer_one_is_not_listed_again() -> None:
    assert match_text("We found your family's address.") == [
        ("threat.doxxing", "we found your family's address")
    ]


def test_many_texts_match_as_one_at_a_time() -> None:
    texts = ["می‌کشیمت", None, "hello", "می‌کشیمت", "slut"]
    assert match_texts(texts) == [match_text(t or "") for t in texts]


def test_operator_lexicon_adds_phrases(tmp_path: Path) -> None:
    extra = tmp_path / "mine.txt"
    extra.write_text(
        "# the operator's own\nthreat.local  (دیگه|) نمی‌ذاریم نفس بکشی\nabuse.local  zorblax*\n",
        encoding="utf-8",
    )
    lexicon = load_lexicon([extra])
    assert lexicon.match("ديگه نميذاريم نفس بكشي") == [("threat.local", "دیگه نمی‌ذاریم نفس بکشی")]
    assert lexicon.match("ZORBLAXES all of them") == [("abuse.local", "zorblax*")]
    alone = load_lexicon([extra], builtin=False)
    assert alone.categories == ["abuse.local", "threat.local"]
    assert alone.match("می‌کشیمت") == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("death  we will", "is not kind.name"),
        ("threat  we will", "is not kind.name"),
        ("threat.x", "no phrase"),
        ("threat.x  (a|b", "unbalanced"),
        ("threat.x  (we (will|shall))", "nested"),
        ("abuse.x  ab*", "needs 3 letters"),
        ("abuse.x  !!!", "no letters"),
    ],
)
def test_bad_lexicon_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(f"# ok\nthreat.death  we will end you\n{line}\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"bad\.txt:3: .*{message}"):
        load_lexicon([path])


def test_missing_lexicon_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the lexicon"):
        load_lexicon([tmp_path / "nope.txt"])


def test_ordinary_persian_tweets_carry_no_threat_and_few_slurs() -> None:
    path = data_path("persian", "persian_topic_tweets.csv")
    with open(path, encoding="utf-8") as f:
        texts = [r["tweet"] for r in csv.DictReader(f)]
    found = match_texts(texts)
    matched = [m for m in found if m]
    assert not [m for m in matched if any(c.startswith("threat.") for c, _ in m)]
    assert len(matched) / len(texts) <= 0.005  # measured: 13 of 4,674, all real slurs
    assert {c for m in matched for c, _ in m} <= {"abuse.sexual_slur", "abuse.slur"}


# --- the detector on the simulated scenario ---------------------------------------------------


@pytest.fixture(scope="module")
def baseline(scenario: Path) -> list[Finding]:
    with fresh(scenario, "replyswarm-base") as ws:
        return run_detectors(ws, [build("reply_swarm")])


def test_finds_the_planted_reply_swarms_and_spares_the_at_risk(
    scenario: Path, baseline: list[Finding]
) -> None:
    truth = truth_accounts(scenario)
    with open(scenario / "data" / "truth" / "posts.csv", encoding="utf-8") as f:
        campaign = {f"p:{r['post_id']}": r["campaign"] for r in csv.DictReader(f)}
    planted = {e for e, c in campaign.items() if c.startswith("reply_swarm:")}
    swarmed = {c.split(":", 1)[1] for c in campaign.values() if c.startswith("reply_swarm:")}
    assert baseline
    replies = {
        e
        for f in baseline
        for ev in f.evidence
        if not ev.what.startswith("the post by")
        for e in ev.event_ids
    }
    assert len(replies & planted) / len(planted) >= 0.65  # measured 0.72 (word swaps missed)
    assert len(replies & planted) / len(replies) >= 0.95  # measured 1.0
    flagged = {a for f in baseline for a in f.accounts}
    assert all(truth[a]["role"] == "operation" for a in flagged)
    at_risk = [a for a, r in truth.items() if r["role"] == "at_risk"]
    assert len(flagged & set(at_risk)) <= 0.005 * len(at_risk)
    for f in baseline:
        assert f.kind == "reply_swarm"
        assert len(f.targets) == 1
        assert f.targets[0] in swarmed
        assert len(f.accounts) >= 5
        assert "threats or abuse" in f.summary


def _target(ws: Workspace, scenario: Path, role: str) -> tuple[str, str]:
    """An account of ``role`` with posts and its latest post."""
    truth = truth_accounts(scenario)
    ids = sorted(a for a, r in truth.items() if r["role"] == role)
    row = ws.sql(
        "SELECT account_id, arg_max(post_id, created_at) FROM posts "
        "WHERE account_id IN (SELECT unnest(?)) AND kind = 'post' "
        "GROUP BY account_id ORDER BY count(*) DESC, account_id LIMIT 1",
        [ids],
    )
    return row[0][0], row[0][1]


def _inject(
    ws: Workspace,
    scenario: Path,
    target: str,
    post: str,
    texts: list[str],
    *,
    media: str | None = None,
) -> list[str]:
    """Replies to ``post`` (mentioning ``target``) from distinct organic accounts, 30 s
    apart from 2026-03-30 12:00 UTC; returns the repliers."""
    truth = truth_accounts(scenario)
    people = sorted(a for a, r in truth.items() if r["role"] == "organic" and a != target)
    start = datetime(2026, 3, 30, 12, 0)
    rows = [
        (
            f"inj{i}",
            people[i],
            start + timedelta(seconds=30 * i),
            text,
            post,
            target,
            [target],
            [media] if media else [],
        )
        for i, text in enumerate(texts)
    ]
    ws.con.executemany(
        "INSERT INTO posts (post_id, account_id, created_at, kind, text, ref_post_id, "
        "ref_account_id, mentions, media_hashes) VALUES (?, ?, ?, 'reply', ?, ?, ?, ?, ?)",
        rows,
    )
    build_activity(ws)
    return [r[1] for r in rows]


THREATS = [
    "می‌کشیمت",
    "اعدامت می‌کنیم جنده",
    "we know where u live",
    "بهت تجاوز میکنیم",
    "k i l l yourself",
    "you will hang",
    "خانوادتو پیدا میکنیم",
    "اسید میپاشیم به صورتت",
]
SOLIDARITY = [
    "همبستگی ✊",
    "صدایش باشیم",
    "تنها نیستی",
    "We stand with you",
    "قوی باش، ما کنارت هستیم",
    "Sending love and strength",
    "نگران نباش، با تو هستیم",
    "کسانی که تهدیدت می‌کنند از صدای تو می‌ترسند",
    "You are so brave ❤️",
    "ممنون که صدای ما هستی",
]
# 6 abusers among 30 supporters: every sixth reply is a threat
MIXED = [
    reply
    for i, support in enumerate(SOLIDARITY * 3)
    for reply in ([THREATS[i // 5]] if i % 5 == 0 else []) + [support]
]
ANGER = [
    "مرگ بر دیکتاتور",
    "قاتل‌ها تاوان خون‌ها را پس می‌دهید",
    "اعدام نکنید",
    "شرم بر شما، دروغگوها",
    "Death to the dictator",
    "You will answer for these executions",
    "آزادی زندانیان سیاسی",
    "خون‌های ریخته شده را فراموش نمی‌کنیم",
    "وطن‌فروش خودتی",
    "طناب دار را از گردن جوانان بردارید",
    "قاتل قاتل",
    "مزدوران حکومت",
]


@pytest.mark.parametrize(
    ("role", "texts", "swarm"),
    [
        ("at_risk", THREATS, True),
        ("at_risk", SOLIDARITY * 4, False),  # 40 supporters within 20 minutes
        ("at_risk", MIXED, False),
        ("affiliated", ANGER, False),  # an angry crowd under an official's post
    ],
    ids=["threats", "solidarity", "abusers-among-supporters", "political-anger"],
)
def test_only_a_hostile_crowd_is_a_swarm(
    scenario: Path, baseline: list[Finding], role: str, texts: list[str], swarm: bool
) -> None:
    with fresh(scenario, "replyswarm-inject") as ws:
        target, post = _target(ws, scenario, role)
        repliers = _inject(ws, scenario, target, post, texts)
        findings = run_detectors(ws, [build("reply_swarm")])
    new = [f for f in findings if f.finding_id not in {b.finding_id for b in baseline}]
    if not swarm:
        assert new == []
        return
    assert len(new) == 1
    f = new[0]
    assert f.targets == [target]
    assert f.accounts == sorted(repliers)
    assert f.evidence[-1].event_ids == (f"p:{post}",)
    assert f.summary.startswith(f"{len(THREATS)} accounts replied to or mentioned @")
    assert "100% of the 8 accounts" in f.summary


def test_categories_and_operator_lexicon_decide_what_counts(scenario: Path, tmp_path: Path) -> None:
    extra = tmp_path / "local.txt"
    extra.write_text("abuse.local  zorblax*\n", encoding="utf-8")
    with fresh(scenario, "replyswarm-lexicon") as ws:
        target, post = _target(ws, scenario, "at_risk")
        repliers = _inject(ws, scenario, target, post, [f"you zorblax #{i}" for i in range(6)])
        assert run_detectors(ws, [build("reply_swarm", {"categories": "abuse"})]) == []
        mine = build("reply_swarm", {"lexicon": str(extra), "categories": "abuse.local"})
        found = run_detectors(ws, [mine])
        with pytest.raises(ParameterError, match="match no lexicon category"):
            build("reply_swarm", {"categories": "threat.nothing"}).run(ws)
    assert [f.accounts for f in found] == [sorted(repliers)]
    assert "zorblax*" in found[0].evidence[0].what


def test_media_near_the_operators_hash_list_counts_as_abuse(scenario: Path, tmp_path: Path) -> None:
    listed = tmp_path / "hashes.txt"
    listed.write_text("# known abusive images\nPHASH:00ff00ff00ff00ff abusive meme\n", "utf-8")
    with fresh(scenario, "replyswarm-media") as ws:
        target, post = _target(ws, scenario, "at_risk")
        # two bits away from the listed hash: a re-encoded copy of the image
        repliers = _inject(ws, scenario, target, post, ["👀"] * 6, media="phash:00ff00ff00ff00fc")
        plain = {f.finding_id for f in build("reply_swarm").run(ws)}
        assert plain  # the planted swarms
        with_list = build("reply_swarm", {"hash_list": str(listed)}).run(ws)
        threats_only = build("reply_swarm", {"hash_list": str(listed), "categories": "threat"})
        assert {f.finding_id for f in threats_only.run(ws)} <= plain
    new = [f for f in with_list if f.finding_id not in plain]
    assert [f.accounts for f in new] == [sorted(repliers)]
    what = new[0].evidence[0].what
    assert what.startswith("6 posts to @")
    assert "within 2 bits of phash:00ff00ff00ff00ff" in what
    assert "abusive meme" in what


def test_bad_hash_list_is_an_input_error(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "hashes.txt"
    path.write_text("phash:00ff00ff00ff00ff\nmd5:abc\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"hashes\.txt:2"):
        build("reply_swarm", {"hash_list": str(path)}).run(ws)
