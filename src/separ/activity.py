"""The ``activity(event_id, actor, verb, object, ts)`` table every co-action detector reads.

Derived from posts, follows and reports in SQL. Layers are verbs (see
:data:`separ.schema.VERBS`); adding a layer is adding rows, not code paths. Event ids
name the source record: ``p:POST_ID``, ``f:FOLLOWER>FOLLOWEE``, ``r:REPORT_ID``,
``a:ACCOUNT_ID`` (an account's avatar).

Values that need Persian-aware normalisation (hashtags, URLs, post text) are normalised
in Python once per *distinct* value, a batch at a time (in worker processes, one per
core, when there are many), and joined back, so the per-event work stays in SQL. Lists
are unnested in a subquery's select list before a join: a lateral ``unnest`` followed by
a join is planned as a dependent join that groups every post first (hashtags, links and
mentions at 10M events took 14.6 s that way, 1.7 s this way).
The object of a ``post`` is the text's near-duplicate group (:mod:`separ.neardup`): the
fingerprint of the group's centre text, so variants of one message are one object. The
grouping (one core, NumPy) runs in a thread while DuckDB builds the other layers; the
``post`` layer is built last.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

import pyarrow as pa

from separ.errors import ParameterError
from separ.neardup import MIN_WORDS, centres
from separ.text import normalize_hashtag, url_and_domain
from separ.text.normalize import fingerprint_sql
from separ.textkeys import keys_of
from separ.workspace import Workspace

BATCH = 100_000

PARALLEL_MIN = BATCH
"""Map values in worker processes once a batch holds at least this many distinct values
(below it, starting the workers costs more than it saves)."""
MAX_WORKERS = 8

type Columns = dict[str, pa.Array]
type _Mapped = Future[Columns]
"""A worker's columns of a batch."""


def _map_distinct(
    ws: Workspace,
    name: str,
    schema: str,
    query: str,
    fn: Callable[[pa.Array], Columns],
    select: str = "*",
) -> None:
    """Create temp table ``name`` (its SQL ``schema``) from the distinct values of ``query``,
    a batch at a time: ``fn`` gives a batch's columns, and ``SELECT {select}`` over
    ``value`` and them gives its rows."""
    ws.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({schema})")
    reader = ws.con.cursor().sql(query).to_arrow_reader(BATCH)
    batches = (batch.column(0) for batch in reader)
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    for values, columns in _mapped_in_order(fn, batches, workers):
        ws.con.register("_separ_map", pa.table({"value": values, **columns}))
        ws.con.execute(f"INSERT INTO {name} SELECT {select} FROM _separ_map")
        ws.con.unregister("_separ_map")


def _mapped_in_order(
    fn: Callable[[pa.Array], Columns], batches: Iterable[pa.Array], workers: int
) -> Iterator[tuple[pa.Array, Columns]]:
    """Each batch of values with its ``fn`` columns, in order.

    From a first batch of ``PARALLEL_MIN`` values on, batches are mapped in ``workers``
    processes, each kept busy with the next batch while the caller stores the last one;
    here instead if the processes cannot start (a ``__main__`` they cannot import)."""
    pool: ProcessPoolExecutor | None = None
    waiting: deque[tuple[pa.Array, _Mapped | None]] = deque()

    def done(values: pa.Array, future: _Mapped | None) -> tuple[pa.Array, Columns]:
        try:
            return values, fn(values) if future is None else future.result()
        except BrokenProcessPool:
            return values, fn(values)

    try:
        for values in batches:
            if pool is None and workers > 1 and len(values) >= PARALLEL_MIN:
                pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
            waiting.append((values, None if pool is None else _submit(pool, fn, values)))
            while len(waiting) > (0 if pool is None else workers):
                yield done(*waiting.popleft())
        while waiting:
            yield done(*waiting.popleft())
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _submit(
    pool: ProcessPoolExecutor, fn: Callable[[pa.Array], Columns], values: pa.Array
) -> _Mapped | None:
    try:  # a slice pickles with its whole parent's buffers: copied out first
        return pool.submit(fn, pa.concat_arrays([values]))
    except BrokenProcessPool:
        return None


def _tags(values: pa.Array) -> Columns:
    """The normalised hashtag of each raw one (null when nothing is left)."""
    return {
        "tag": pa.array([normalize_hashtag(v) or None for v in values.to_pylist()], pa.string())
    }


def _urls(values: pa.Array) -> Columns:
    """The normalised URL and the domain of each raw one; null for junk that is not a web
    address (no domain)."""
    pairs = [url_and_domain(v) for v in values.to_pylist()]
    return {
        "url": pa.array([u or None for u, _ in pairs], pa.string()),
        "domain": pa.array([d or None for _, d in pairs], pa.string()),
    }


def _text_keys(values: pa.Array) -> Columns:
    key, body = keys_of(values)
    return {"key": key, "body": body}


def _text_bodies(ws: Workspace, query: str) -> pa.Array:
    """Create temp tables ``_texts(value, fp, body)`` (each distinct text of ``query``,
    its exact fingerprint and body key), ``_fp_body`` and ``_bodies``; return the distinct
    long bodies in id order, for :func:`separ.neardup.centres`.

    Texts stream in batches and their keys go straight to DuckDB; only the distinct long
    bodies, in fingerprint order, come back to Python for the grouping, which needs every
    one of them at once.
    """
    con = ws.con
    _map_distinct(
        ws,
        "_texts",
        "value VARCHAR, fp VARCHAR, body VARCHAR",
        query,
        _text_keys,
        f"value, {fingerprint_sql('key')}, body",
    )
    # a fingerprint's body is its smallest; each long body once, owned by its smallest
    # fingerprint, numbered in owner order
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _fp_body AS "
        "SELECT fp, min(body) AS body FROM _texts WHERE fp IS NOT NULL GROUP BY fp"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _bodies AS
        SELECT body, owner, row_number() OVER (ORDER BY owner) - 1 AS i
        FROM (SELECT body, min(fp) AS owner FROM _fp_body
              WHERE len(string_split(body, ' ')) >= {MIN_WORDS} GROUP BY body)"""
    )
    return (
        con.sql("SELECT body FROM _bodies ORDER BY i").to_arrow_table().column(0).combine_chunks()
    )


def _text_map(ws: Workspace, centre: list[int]) -> None:
    """Create temp table ``_text_map(value, fp)`` from ``_text_bodies``'s tables and the
    centre of each body: each distinct text and its near-duplicate group id (``None`` when
    the text has nothing to match on)."""
    con = ws.con
    con.register("_separ_centres", pa.table({"i": pa.array(range(len(centre))), "c": centre}))
    con.execute(  # every fingerprint of a grouped body takes the owner of the body's centre
        """CREATE OR REPLACE TEMP TABLE _text_map AS
        SELECT t.value, coalesce(g.grp, t.fp) AS fp FROM _texts t
        LEFT JOIN (SELECT f.fp, c.owner AS grp FROM _fp_body f JOIN _bodies b ON b.body = f.body
                   JOIN _separ_centres k ON k.i = b.i JOIN _bodies c ON c.i = k.c) g
        ON g.fp = t.fp"""
    )
    con.unregister("_separ_centres")
    con.execute("DROP TABLE _bodies; DROP TABLE _fp_body; DROP TABLE _texts")


STEPS: list[tuple[frozenset[str], str]] = [
    (
        frozenset({"repost", "reply", "quote"}),
        """INSERT INTO activity
        SELECT 'p:' || post_id, account_id, kind, ref_post_id, created_at
        FROM posts WHERE kind IN ({kinds}) AND ref_post_id IS NOT NULL""",
    ),
    (
        frozenset({"hashtag", "hashtag_seq"}),
        """CREATE OR REPLACE TEMP TABLE _post_tags AS
        SELECT p.post_id, p.account_id, p.created_at, p.i, m.tag
        FROM (SELECT post_id, account_id, created_at, unnest(hashtags) AS h,
                     generate_subscripts(hashtags, 1) AS i FROM posts) p
        JOIN _tag_map m ON m.value = p.h
        WHERE m.tag IS NOT NULL""",
    ),
    (
        frozenset({"hashtag"}),
        """INSERT INTO activity
        SELECT DISTINCT 'p:' || post_id, account_id, 'hashtag', tag, created_at FROM _post_tags""",
    ),
    (
        frozenset({"hashtag_seq"}),
        """INSERT INTO activity
        SELECT 'p:' || post_id, any_value(account_id), 'hashtag_seq',
               array_to_string(list_distinct(list(tag ORDER BY i)), ' '), any_value(created_at)
        FROM _post_tags GROUP BY post_id
        HAVING count(DISTINCT tag) >= 2""",
    ),
    (
        frozenset({"link", "domain"}),
        """CREATE OR REPLACE TEMP TABLE _post_urls AS
        SELECT DISTINCT p.post_id, p.account_id, p.created_at, m.url, m.domain
        FROM (SELECT post_id, account_id, created_at, unnest(urls) AS v FROM posts) p
        JOIN _url_map m ON m.value = p.v""",
    ),
    (
        frozenset({"link"}),
        """INSERT INTO activity
        SELECT 'p:' || post_id, account_id, 'link', url, created_at FROM _post_urls
        WHERE url IS NOT NULL""",
    ),
    (
        frozenset({"domain"}),
        """INSERT INTO activity
        SELECT DISTINCT 'p:' || post_id, account_id, 'domain', domain, created_at
        FROM _post_urls WHERE domain IS NOT NULL""",
    ),
    (
        frozenset({"domain"}),  # sources that give domains without URLs (CooRTweet's domain ids)
        """INSERT INTO activity
        SELECT DISTINCT 'p:' || post_id, account_id, 'domain', d, created_at
        FROM (SELECT post_id, account_id, created_at,
                     CASE WHEN json_type(extra, '$.domains') = 'ARRAY'
                          THEN from_json(json_extract(extra, '$.domains'), '["VARCHAR"]')
                     END AS ds
              FROM posts WHERE extra IS NOT NULL) p, unnest(p.ds) AS u(d)
        WHERE d IS NOT NULL AND d <> ''""",
    ),
    (
        frozenset({"mention"}),
        """INSERT INTO activity
        SELECT DISTINCT 'p:' || p.post_id, p.account_id, 'mention',
               CASE WHEN starts_with(p.m, '@')
                    THEN coalesce(h.account_id, lower(p.m)) ELSE p.m END,
               p.created_at
        FROM (SELECT post_id, account_id, created_at, unnest(mentions) AS m FROM posts) p
        LEFT JOIN _handles h ON starts_with(p.m, '@') AND h.handle = lower(ltrim(p.m, '@'))""",
    ),
    (
        frozenset({"media"}),
        """INSERT INTO activity
        SELECT DISTINCT 'p:' || p.post_id, p.account_id, 'media', lower(u.m), p.created_at
        FROM posts p, unnest(p.media_hashes) AS u(m)""",
    ),
    (
        frozenset({"follow"}),
        """INSERT INTO activity
        SELECT 'f:' || follower_id || '>' || followee_id, follower_id, 'follow',
               followee_id, created_at
        FROM follows""",
    ),
    (
        frozenset({"report"}),
        """INSERT INTO activity
        SELECT 'r:' || report_id, reporter_id, 'report', target_account_id, created_at
        FROM reports""",
    ),
    (
        frozenset({"avatar"}),
        """INSERT INTO activity
        SELECT 'a:' || account_id, account_id, 'avatar', lower(avatar_hash), created_at
        FROM accounts WHERE avatar_hash IS NOT NULL AND NOT coalesce(default_avatar, false)""",
    ),
    (  # last: its text groups are computed while the other layers are built
        frozenset({"post"}),
        """INSERT INTO activity
        SELECT 'p:' || p.post_id, p.account_id, 'post', m.fp, p.created_at
        FROM posts p JOIN _text_map m ON p.text = m.value
        WHERE p.kind <> 'repost' AND m.fp IS NOT NULL""",
    ),
]
"""Each step of the build and the layers it serves, in order."""

LAYERS = frozenset().union(*(verbs for verbs, _ in STEPS))


def build_activity(ws: Workspace, verbs: Iterable[str] | None = None) -> int:
    """(Re)build the activity table from the native tables; returns its row count.

    ``verbs`` rebuilds only those layers (the others stay as they are): a detector or a
    benchmark that needs one layer does not pay for the text folding of the ``post`` one.
    """
    want = LAYERS if verbs is None else frozenset(verbs)
    if want - LAYERS:
        raise ParameterError(
            f"unknown activity layer(s) {', '.join(sorted(want - LAYERS))} "
            f"(known: {', '.join(sorted(LAYERS))})"
        )
    con = ws.con
    with ThreadPoolExecutor(1) as grouping:  # the text grouping runs beside the SQL below
        grouped: Future[list[int]] | None = None
        if "post" in want:
            bodies = _text_bodies(
                ws, "SELECT DISTINCT text FROM posts WHERE text IS NOT NULL AND kind <> 'repost'"
            )
            grouped = grouping.submit(centres, bodies)
        if want & {"hashtag", "hashtag_seq"}:
            _map_distinct(
                ws,
                "_tag_map",
                "value VARCHAR, tag VARCHAR",
                "SELECT DISTINCT h FROM (SELECT unnest(hashtags) AS h FROM posts) "
                "WHERE h IS NOT NULL",
                _tags,
            )
        if want & {"link", "domain"}:
            _map_distinct(
                ws,
                "_url_map",
                "value VARCHAR, url VARCHAR, domain VARCHAR",
                "SELECT DISTINCT u FROM (SELECT unnest(urls) AS u FROM posts) WHERE u IS NOT NULL",
                _urls,
            )
        if "mention" in want:
            con.execute(
                """CREATE OR REPLACE TEMP TABLE _handles AS
                SELECT lower(ltrim(handle, '@')) AS handle, min(account_id) AS account_id
                FROM accounts WHERE handle IS NOT NULL GROUP BY 1"""
            )
        kinds = ", ".join(f"'{k}'" for k in sorted(want & {"repost", "reply", "quote"}))
        with ws.transaction():
            if want == LAYERS:
                con.execute("DELETE FROM activity")
            else:
                con.execute("DELETE FROM activity WHERE list_contains(?, verb)", [sorted(want)])
            for layers, sql in STEPS:
                if layers & want:
                    if "post" in layers and grouped is not None:
                        _text_map(ws, grouped.result())
                    con.execute(sql.replace("{kinds}", kinds))
    for temp in ("_tag_map", "_url_map", "_text_map", "_handles", "_post_tags", "_post_urls"):
        con.execute(f"DROP TABLE IF EXISTS {temp}")
    return ws.count("activity")
