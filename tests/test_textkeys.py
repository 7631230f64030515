"""``separ.textkeys.keys_of``: the keys of many texts at once equal ``text_keys`` of each."""

from __future__ import annotations

import csv
import gzip
import sys
from itertools import islice

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from separ.neardup import text_keys
from separ.textkeys import keys_of
from tests.conftest import data_path
from tests.test_text import texts


def one_by_one(values: list[str | None]) -> list[tuple[str, str]]:
    return [text_keys(v or "") for v in values]


def in_bulk(values: list[str | None]) -> list[tuple[str, str]]:
    keys, bodies = keys_of(pa.array(values, pa.string()))
    return list(zip(keys.to_pylist(), bodies.to_pylist(), strict=True))


def test_arrow_splits_on_exactly_pythons_whitespace() -> None:
    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000]
    split = pc.utf8_split_whitespace(pa.array([f"a{c}b" for c in chars])).to_pylist()
    assert [c for c, parts in zip(chars, split, strict=True) if len(parts) == 2] == [
        c for c in chars if c.isspace()
    ]


def test_every_kind_of_text() -> None:
    values: list[str | None] = [
        "Free them all #FreeThemAll",
        None,
        "",
        "   ",
        "🔥 🔥",
        "#only #tags",
        "@someone رسانه‌های بیگانه با پول‌های کلان دوباره 🔥 #نه_به_آشوب #ایران https://t.co/x1",
        "مرسی از این کنفرانس #FreeIran #مریم رجوی #تیک تاک سرنگونی #ایران",
        "می روم به خانه ها #می روم",  # affixes typed as words, in the body and in the tail
        "کتاب ها #ها",
        "کتاب ها خوب #تهران",
        "Fоreign-funded mеdia are trying to stir up chaos #IranStrong",  # Cyrillic look-alikes
        "امروز #تهران شلوغ بود",
    ]
    assert in_bulk(values) == one_by_one(values)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts, max_size=40))
def test_generated_texts(values: list[str]) -> None:
    assert in_bulk(list(values)) == one_by_one(list(values))


@pytest.mark.parametrize(
    ("path", "column"),
    [
        (("persian", "persian_topic_tweets.csv"), "tweet"),
        (("iran_io", "iran_io_subset_tweets.csv"), "tweet_text"),
        (("ira_sample", "ira_tweets_sample.csv.gz"), "content"),
    ],
)
def test_real_texts(path: tuple[str, str], column: str) -> None:
    file = data_path(*path)
    opener = gzip.open if file.suffix == ".gz" else open
    with opener(file, "rt", encoding="utf-8", newline="") as f:  # the first 20,000 rows
        values: list[str | None] = sorted({r[column] for r in islice(csv.DictReader(f), 20_000)})
    assert len(values) > 2000
    assert in_bulk(values) == one_by_one(values)
