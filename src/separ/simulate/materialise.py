"""From numbers to native tables: Arrow record batches in the column order of ``schema.py``.

Posts are materialised chunk by chunk (text, ids, lists), each chunk with its own random
stream, so memory stays bounded and the output does not depend on anything but the seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from separ.schema import POST_KINDS, TABLES
from separ.simulate import text, vocab
from separ.simulate.common import (
    DAY,
    I64,
    Bools,
    Rng,
    hex64,
    ints_to_str,
    list_array,
    stream,
    take,
    ts_array,
)
from separ.simulate.plan import (
    REPOST,
    SRC_FIXED,
    SRC_NEWS,
    SRC_ORGANIC,
    SRC_PROTEST,
    SRC_SOLIDARITY,
    URL_NEWS,
    URL_ORGANIC,
)
from separ.simulate.world import World
from separ.simulate.writer import arrow_schema

CHUNK = 200_000
LANGS = pa.array(["fa", "en"])
BODIES: dict[int, Callable[[Rng, Bools], pa.Array]] = {
    SRC_ORGANIC: text.organic_body,
    SRC_NEWS: text.news_body,
    SRC_PROTEST: text.protest_body,
    SRC_SOLIDARITY: text.solidarity_body,
}


def record_batch(table: str, columns: dict[str, pa.Array]) -> pa.RecordBatch:
    schema = arrow_schema(TABLES[table])
    arrays = [columns[f.name].cast(f.type) for f in schema]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def chunks(n: int) -> Iterator[tuple[int, int, int]]:
    for k, lo in enumerate(range(0, n, CHUNK)):
        yield k, lo, min(n, lo + CHUNK)


def _nulls(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


def _pick(rng: Rng, words: tuple[str, ...], n: int) -> pa.Array:
    return pa.array(list(words)).take(pa.array(rng.integers(0, len(words), size=n)))


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


# --- posts -----------------------------------------------------------------------------


def post_batches(world: World) -> Iterator[pa.RecordBatch]:
    """Posts in time order, one chunk at a time, each chunk with its own random stream."""
    post_ids = ints_to_str(world.posts.ids)
    order = world.posts.order
    for k, lo, hi in chunks(len(order)):
        yield _post_batch(world, post_ids, order[lo:hi], stream(world.seed, f"post-text-{k}"))


def _bodies(world: World, idx: I64, rng: Rng) -> pa.Array:
    p = world.posts.plan
    n = len(idx)
    src, lang_en = p.src[idx], p.lang[idx] == 1
    where = np.full(n, -1, dtype=np.int64)
    parts: list[pa.Array] = []
    at = 0
    fixed = pa.array(world.texts.names or [""])
    for code in (SRC_ORGANIC, SRC_NEWS, SRC_PROTEST, SRC_SOLIDARITY, SRC_FIXED):
        rows = np.flatnonzero(src == code)
        if not len(rows):
            continue
        body = (
            fixed.take(pa.array(p.var[idx[rows]]))
            if code == SRC_FIXED
            else BODIES[code](rng, lang_en[rows])
        )
        parts.append(body)
        where[rows] = at + np.arange(len(rows))
        at += len(rows)
    return take(pa.concat_arrays(parts), where) if parts else _nulls(n)


def _urls(world: World, code: np.ndarray, rng: Rng) -> pa.Array:
    n = len(code)
    num = ints_to_str(rng.integers(100_000, 99_999_999, size=n))
    organic = _join(
        "https://",
        _pick(rng, vocab.DOMAINS_ORGANIC, n),
        "/",
        _pick(rng, vocab.URL_WORDS, n),
        "/",
        num,
        _pick(rng, vocab.UTM, n),
    )
    news = _join("https://", _pick(rng, vocab.DOMAINS_NEWS, n), "/fa/news/", num)
    fixed = take(pa.array(world.urls.names or [""]), np.where(code >= 0, code, -1))
    out = pc.if_else(pa.array(code == URL_ORGANIC), organic, fixed)
    return pc.if_else(pa.array(code == URL_NEWS), news, out)


def _hashtags(codes: np.ndarray, rng: Rng) -> tuple[pa.Array, pa.Array]:
    """(hashtags column, the text appended to the post)."""
    tags = pa.array(text.HASHTAGS)
    with_hash = pc.binary_join_element_wise("#", tags, "")
    plain = list_array(codes, tags)
    typed = rng.random(len(codes)) < 0.15  # some clients keep the '#'
    counts = (codes >= 0).sum(axis=1)
    values = pc.if_else(
        pa.array(np.repeat(typed, counts)), list_array(codes, with_hash).flatten(), plain.flatten()
    )
    column = pa.ListArray.from_arrays(plain.offsets, values)
    return column, pc.binary_join(list_array(codes, with_hash), " ")


def _post_batch(world: World, post_ids: pa.Array, idx: I64, rng: Rng) -> pa.RecordBatch:
    p, pop, prof = world.posts.plan, world.pop, world.profiles
    n = len(idx)
    author, kind = p.author[idx], p.kind[idx]
    hashtags, tag_text = _hashtags(p.tags[idx], rng)
    ment = p.ment[idx]
    mention_text = pc.binary_join(list_array(ment, _join("@", prof.handle)), " ")
    url_code = p.url[idx]
    has_url = url_code != -1
    url = _urls(world, url_code, rng)
    media = p.media[idx]
    has_media = media > 0
    media_hex = hex64(media, "phash:")
    body = _bodies(world, idx, rng)

    def part(arr: pa.Array, before: str, after: str) -> pa.Array:
        nonempty = pc.greater(pc.utf8_length(pc.fill_null(arr, "")), 0)
        return pc.if_else(nonempty, _join(before, arr, after), "")

    post_text = _join(
        part(mention_text, "", " "),
        pc.fill_null(body, ""),
        part(tag_text, " ", ""),
        pc.if_else(pa.array(has_url), _join(" ", pc.fill_null(url, "")), ""),
    )
    post_text = pc.if_else(pa.array(kind == REPOST), _nulls(n), pc.utf8_trim(post_text, " "))
    ext = p.ref_ext[idx]
    ref = pc.coalesce(
        take(post_ids, p.ref[idx]), take(ints_to_str(ext), np.where(ext > 0, np.arange(n), -1))
    )
    client = np.where(rng.random(n) < 0.1, rng.integers(0, 5, size=n), pop.client[author])
    return record_batch(
        "posts",
        {
            "post_id": post_ids.take(pa.array(idx)),
            "account_id": prof.ids.take(pa.array(author)),
            "created_at": ts_array(p.ts[idx]),
            "kind": pa.array(list(POST_KINDS)).take(pa.array(kind)),
            "text": post_text,
            "lang": take(LANGS, p.lang[idx]),
            "ref_post_id": ref,
            "ref_account_id": take(prof.ids, p.ref_acc[idx]),
            "hashtags": hashtags,
            "urls": list_array(np.where(has_url, np.arange(n), -1), url),
            "mentions": list_array(ment, prof.ids),
            "media_hashes": list_array(np.where(has_media, np.arange(n), -1), media_hex),
            "client": pa.array(list(vocab.CLIENTS)).take(pa.array(client)),
        },
    )


# --- accounts, follows ---------------------------------------------------------------


def account_order(world: World) -> I64:
    return np.argsort(world.pop.created, kind="stable").astype(np.int64)


def account_batches(world: World) -> Iterator[pa.RecordBatch]:
    pop, prof = world.pop, world.profiles
    rng = stream(world.seed, "account-counts")
    posts = np.bincount(world.posts.plan.author, minlength=pop.n)
    age_days = np.maximum(pop.start - pop.created, 0) / DAY
    earlier = rng.poisson(np.minimum(pop.activity * age_days / 30.0, 1e6))
    following = np.bincount(world.follows.follower, minlength=pop.n)
    followers = np.bincount(world.follows.followee, minlength=pop.n)
    order = account_order(world)
    for _, lo, hi in chunks(pop.n):
        i = pa.array(order[lo:hi])
        j = order[lo:hi]
        yield record_batch(
            "accounts",
            {
                "account_id": prof.ids.take(i),
                "handle": prof.handle.take(i),
                "display_name": prof.display_name.take(i),
                "bio": prof.bio.take(i),
                "created_at": ts_array(pop.created[j]),
                "lang": LANGS.take(pa.array(pop.lang[j])),
                "avatar": prof.avatar.take(i),
                "avatar_hash": prof.avatar_hash.take(i),
                "default_avatar": pa.array(prof.default_avatar[j]),
                "followers_count": pa.array(followers[j]),
                "following_count": pa.array(following[j]),
                "posts_count": pa.array(posts[j] + earlier[j]),
                "snapshot_at": ts_array(np.full(hi - lo, pop.end)),
                "verified": pa.array(prof.verified[j]),
                "location": prof.location.take(i),
                "url": prof.url.take(i),
            },
        )


def follow_batches(world: World) -> Iterator[pa.RecordBatch]:
    f, ids = world.follows, world.profiles.ids
    for _, lo, hi in chunks(len(f)):
        yield record_batch(
            "follows",
            {
                "follower_id": ids.take(pa.array(f.follower[lo:hi])),
                "followee_id": ids.take(pa.array(f.followee[lo:hi])),
                "created_at": ts_array(f.ts[lo:hi]),
                "rank": pa.array(f.rank[lo:hi]),
            },
        )
