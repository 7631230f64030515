"""Throughput of separ.text on real Persian tweets: python bench/text.py

Texts are the 4,674 tweets of ../shared/data/persian repeated to 100,000, each made distinct
by a trailing number (so no per-text cache or dedupe helps). CPU time, best of 3 runs.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from separ.text import (
    extract_hashtags,
    extract_urls,
    match_key,
    match_keys,
    normalize_hashtag,
    normalize_text,
    normalize_url,
    text_fingerprint,
    url_domain,
)
from separ.text import normalize as _normalize
from separ.text import urls as _urls

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "persian"
N = 100_000


def clear_caches() -> None:
    for fn in (
        _normalize._text_token,
        _normalize.key_token,
        _normalize._hashtag,
        _urls._split,
        _urls._host_params,
    ):
        fn.cache_clear()


def per_second(fn: Callable[[str], object], values: list[str], *, cold: bool = True) -> float:
    best = float("inf")
    for _ in range(3):
        if cold:
            clear_caches()
        start = time.process_time()
        for v in values:
            fn(v)
        best = min(best, time.process_time() - start)
    return len(values) / best


def batch_per_second(fn: Callable[[Iterable[str]], object], values: list[str]) -> float:
    best = float("inf")
    for _ in range(3):
        clear_caches()
        start = time.process_time()
        fn(values)
        best = min(best, time.process_time() - start)
    return len(values) / best


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA / "persian_topic_tweets.csv"
    if not path.exists():
        sys.exit(f"real data not found: {path}")
    with path.open(encoding="utf-8", newline="") as f:
        tweets = [row["tweet"] for row in csv.DictReader(f)]
    repeated = (tweets * (N // len(tweets) + 1))[:N]
    texts = [f"{t} {i}" for i, t in enumerate(repeated)]
    sample = texts[:20_000]
    real_tags = [f"#{t}" for s in tweets for t in extract_hashtags(s)]
    real_tags = (real_tags * (N // len(real_tags) + 1))[:N]
    tags = [f"{t}_{i}" for i, t in enumerate(real_tags)]
    real_links = [u for s in tweets for u in extract_urls(s)]
    real_links = (real_links * (N // len(real_links) + 1))[:N]
    links = [f"{u}?utm_source=tw&id={i}&b=2" for i, u in enumerate(real_links)]

    rows = [
        ("normalize_text", per_second(normalize_text, texts)),
        ("match_key", per_second(match_key, texts)),
        ("text_fingerprint", per_second(text_fingerprint, texts)),
        (
            "match_key, no token cache",
            per_second(lambda s: (_normalize.key_token.cache_clear(), match_key(s)), sample),
        ),
        (
            "normalize_text, no token cache",
            per_second(lambda s: (_normalize._text_token.cache_clear(), normalize_text(s)), sample),
        ),
        ("match_keys (batch, tweets repeated)", batch_per_second(match_keys, repeated)),
        ("normalize_hashtag (distinct)", per_second(normalize_hashtag, tags)),
        ("normalize_url (distinct)", per_second(normalize_url, links)),
        ("url_domain (distinct)", per_second(url_domain, links)),
        ("normalize_hashtag (data's tags, repeated)", per_second(normalize_hashtag, real_tags)),
        ("normalize_url (data's links, repeated)", per_second(normalize_url, real_links)),
    ]
    print(f"{len(tweets):,} tweets ({len(set(tweets)):,} distinct), {N:,} values per row")
    for name, rate in rows:
        print(f"{name:42s} {rate:>11,.0f} /s {1e6 / rate:8.1f} µs")


if __name__ == "__main__":
    main()
