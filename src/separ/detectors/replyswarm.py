"""Reply and mention swarms: many accounts sending one person threats or abuse at once.

For every account that others reply to, quote or mention (its *target* role), in SQL:

1. the posts addressed to it: replies and quotes of its posts (``ref_account_id``, or the
   author of ``ref_post_id``) and mentions of it (activity verb ``mention``);
2. targets with a window (``window`` seconds) holding ``min_accounts`` such posts or more
   are candidates; only their addressed texts are matched, each distinct text once,
   against the threat/abuse lexicon (``separ.lexicon``), and their media hashes against
   the operator's hash list when one is given (``separ.images``, near-identical within a
   few bits);
3. a *burst* is a run of hostile posts (with a lexicon or hash-list match) in which some
   window holds ``min_accounts`` distinct hostile accounts or more, closed when the next
   hostile post comes more than ``window`` later;
4. each burst is tested against the target's own history: its hostile posts outside the
   burst give a rate, the burst's hostile accounts a Poisson p-value, Benjamini-Hochberg
   over all bursts a q-value;
5. a burst is a finding when q <= ``alpha`` and hostile accounts make at least
   ``min_share`` of all the accounts that addressed the target during it, so a crowd of
   supporters replying at once (organic solidarity) never is one, even with a few
   abusers among them.

Evidence: the hostile posts grouped by the phrase they matched, and the target's post
they answered. Accounts: the hostile ones only. See docs/lexicon.md.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar

import pyarrow as pa
from scipy.stats import false_discovery_control, poisson

from separ.detectors.base import Detector, Evidence, Finding, Interval, Options, register
from separ.errors import ParameterError
from separ.images import HashList, match_hash_list, read_hash_list
from separ.lexicon import Lexicon, load_lexicon
from separ.wording import duration, moment
from separ.workspace import Workspace

_MATCH = pa.struct([("category", pa.string()), ("phrase", pa.string())])
_HOW = {"reply": "replied to", "quote": "quoted", "mention": "mentioned"}
MEDIA = "abuse.media"
"""The category of a post whose media is on the operator's hash list."""


@dataclass(frozen=True, slots=True)
class Burst:
    target: str
    start: datetime
    end: datetime
    accounts: int  # distinct accounts addressing the target during the burst
    hostile_accounts: int
    expected: float  # hostile accounts the target's own history predicts in that time
    p: float
    q: float = 1.0  # Benjamini-Hochberg over all bursts


@register
class ReplySwarm(Detector):
    name = "reply_swarm"
    version = "1"
    description = (
        "Many accounts replying to or mentioning one person within minutes, "
        "mostly with threats or abuse, far beyond that person's own history."
    )
    constraints: ClassVar[dict[str, Interval | Options]] = {
        "window": Interval(60, 7 * 86400),
        "min_accounts": Interval(2, None, integer=True),
        "min_share": Interval(0.0, 1.0),
        "alpha": Interval(1e-12, 0.5),
    }
    docs: ClassVar[dict[str, str]] = {
        "window": "seconds within which the hostile replies and mentions of a swarm fall",
        "min_accounts": "fewest distinct accounts sending threats or abuse within one window",
        "min_share": "least share of the accounts addressing the target during the burst that "
        "send threats or abuse: below it the burst is a crowd (supporters, a debate) with "
        "some abusers in it, not a swarm",
        "alpha": "false-discovery rate for a burst against the target's own history "
        "(Poisson, Benjamini-Hochberg over all bursts)",
        "lexicon": "extra lexicon files (comma-separated paths, format in docs/lexicon.md) "
        "added to the built-in Persian and English lists",
        "categories": "lexicon categories that count as hostile: kinds (threat, abuse) or "
        "categories (threat.death); comma-separated",
        "hash_list": "a file of image hashes the operator knows to be abusive (separ.images "
        "hash-list formats: 'phash:HEX label', 'pdq:HEX label', ThreatExchange): a post "
        "whose media is within the near-identical distance of one counts as hostile "
        "(category abuse.media)",
    }

    def __init__(
        self,
        *,
        window: float = 3600.0,
        min_accounts: int = 5,
        min_share: float = 0.5,
        alpha: float = 1e-3,
        lexicon: tuple[str, ...] = (),
        categories: tuple[str, ...] = ("threat", "abuse"),
        hash_list: str = "",
    ) -> None:
        self.window = window
        self.min_accounts = min_accounts
        self.min_share = min_share
        self.alpha = alpha
        self.lexicon = lexicon
        self.categories = categories
        self.hash_list = hash_list

    # --- steps ---------------------------------------------------------------------------

    def run(self, ws: Workspace) -> list[Finding]:
        lexicon = load_lexicon(self.lexicon)
        hashes = read_hash_list(self.hash_list) if self.hash_list else None
        wanted = self._wanted(lexicon, hashes)
        if not _addressed(ws, self.window, self.min_accounts):
            return []
        _hostile_events(ws, lexicon, wanted, hashes)
        bursts = self._bursts(ws)
        if bursts:
            qs = false_discovery_control([b.p for b in bursts], method="bh")
            bursts = [replace(b, q=float(q)) for b, q in zip(bursts, qs, strict=True)]
        kept = [
            b
            for b in bursts
            if b.hostile_accounts >= self.min_accounts
            and b.hostile_accounts >= self.min_share * b.accounts
            and b.q <= self.alpha
        ]
        return self._findings(ws, kept)

    def _wanted(self, lexicon: Lexicon, hashes: HashList | None) -> set[str]:
        """The categories that count, from ``categories`` (kinds or full names)."""
        known = set(lexicon.categories) | ({MEDIA} if hashes is not None else set())
        wanted = {c for c in known for w in self.categories if c == w or c.startswith(w + ".")} - {
            "ignore"
        }
        if not wanted:
            raise ParameterError(
                f"{self.name}.categories {', '.join(self.categories) or '(none)'} match no "
                f"lexicon category (known: {', '.join(sorted(known - {'ignore'}))})"
            )
        return wanted

    def _bursts(self, ws: Workspace) -> list[Burst]:
        """Runs of hostile posts to one target, each with its test against the target's
        own rate of hostile posts outside it."""
        w = f"INTERVAL {int(self.window)} SECOND"
        ws.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _rs_runs AS
            WITH hostile AS (
                SELECT target, ts, event_id,
                       count(DISTINCT actor) OVER (PARTITION BY target ORDER BY ts
                           RANGE BETWEEN CURRENT ROW AND {w} FOLLOWING) AS ahead
                FROM _rs_events WHERE hostile),
            covered AS (
                SELECT target, ts, event_id FROM (
                    SELECT *, max(ahead) OVER (PARTITION BY target ORDER BY ts
                               RANGE BETWEEN {w} PRECEDING AND CURRENT ROW) AS best
                    FROM hostile)
                WHERE best >= {int(self.min_accounts)}),
            marked AS (
                SELECT *, CASE WHEN lag(ts) OVER (PARTITION BY target ORDER BY ts, event_id)
                                    >= ts - {w} THEN 0 ELSE 1 END AS fresh
                FROM covered)
            SELECT target, min(ts) AS t0, max(ts) AS t1 FROM (
                SELECT *, sum(fresh) OVER (PARTITION BY target ORDER BY ts, event_id
                                           ROWS UNBOUNDED PRECEDING) AS run
                FROM marked)
            GROUP BY target, run"""
        )
        span = ws.sql("SELECT epoch(max(ts)) - epoch(min(ts)) FROM activity")[0][0] or 0.0
        rows = ws.sql(
            """WITH totals AS (
                SELECT target, count(*) FILTER (WHERE hostile) AS hostile_events
                FROM _rs_events GROUP BY target)
            SELECT r.target, r.t0, r.t1, count(DISTINCT e.actor),
                   count(DISTINCT e.actor) FILTER (WHERE e.hostile),
                   any_value(t.hostile_events) - count(*) FILTER (WHERE e.hostile),
                   epoch(r.t1) - epoch(r.t0)
            FROM _rs_runs r JOIN totals t USING (target)
            JOIN _rs_events e ON e.target = r.target AND e.ts BETWEEN r.t0 AND r.t1
            GROUP BY r.target, r.t0, r.t1 ORDER BY r.target, r.t0"""
        )
        out = []
        for target, t0, t1, accounts, hostile, outside, seconds in rows:
            # the target's hostile posts outside the burst (plus one, so a target never
            # abused has a rate) spread over the observed span, over the burst's length
            length = max(float(seconds), self.window)
            expected = (outside + 1) * length / max(float(span), length)
            p = float(poisson.sf(hostile - 1, expected))
            out.append(Burst(target, t0, t1, accounts, hostile, expected, p))
        return out

    # --- findings --------------------------------------------------------------------------

    def _findings(self, ws: Workspace, kept: list[Burst]) -> list[Finding]:
        if not kept:
            return []
        table = pa.table(
            {
                "burst": pa.array(range(len(kept)), pa.int64()),
                "target": pa.array([b.target for b in kept], pa.string()),
                "t0": pa.array([b.start for b in kept], pa.timestamp("us")),
                "t1": pa.array([b.end for b in kept], pa.timestamp("us")),
            }
        )
        ws.con.register("_rs_kept", table)
        try:
            rows = ws.sql(
                """SELECT k.burst, e.event_id, e.actor, e.how, e.matches, e.ref_post_id,
                          e.ref_author
                FROM _rs_kept k JOIN _rs_events e
                  ON e.target = k.target AND e.ts BETWEEN k.t0 AND k.t1 AND e.hostile
                ORDER BY k.burst, e.ts, e.event_id"""
            )
        finally:
            ws.con.unregister("_rs_kept")
        events: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in rows:
            events[row[0]].append(row[1:])
        swarms = Counter(a for rows_ in events.values() for a in {r[1] for r in rows_})
        targets = sorted({b.target for b in kept})
        names = dict(
            ws.sql(
                "SELECT account_id, '@' || ltrim(any_value(handle), '@') FROM accounts "
                "WHERE account_id IN (SELECT unnest(?)) AND handle IS NOT NULL GROUP BY 1",
                [targets],
            )
        )
        posts = {
            e
            for (e,) in ws.sql(
                "SELECT DISTINCT event_id FROM activity WHERE event_id IN (SELECT unnest(?))",
                [sorted({f"p:{r[4]}" for rs in events.values() for r in rs if r[4]})],
            )
        }
        return [
            self._finding(b, events[i], names.get(b.target, b.target), swarms, posts)
            for i, b in enumerate(kept)
        ]

    def _finding(
        self,
        burst: Burst,
        rows: list[tuple[Any, ...]],
        name: str,
        swarms: Counter[str],
        posts: set[str],
    ) -> Finding:
        accounts = sorted({r[1] for r in rows})
        by_phrase: dict[tuple[str, str], list[str]] = defaultdict(list)
        categories: Counter[str] = Counter()
        how: set[str] = set()
        answered: Counter[str] = Counter()
        for event_id, _actor, hows, matches, ref_post, ref_author in rows:
            how.update(hows)
            for m in matches:
                by_phrase[(m["category"], m["phrase"])].append(event_id)
            categories.update({m["category"] for m in matches})
            if ref_post and ref_author == burst.target and f"p:{ref_post}" in posts:
                answered[f"p:{ref_post}"] += 1
        evidence = [
            Evidence(tuple(sorted(set(ids))), _what(len(set(ids)), name, category, phrase))
            for (category, phrase), ids in sorted(
                by_phrase.items(), key=lambda kv: (-len(set(kv[1])), kv[0])
            )
        ]
        evidence += [
            Evidence((post,), f"the post by {name} that {n} of them answered")
            for post, n in sorted(answered.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        share = burst.hostile_accounts / max(burst.accounts, 1)
        verbs = " or ".join(_HOW[h] for h in ("reply", "quote", "mention") if h in how)
        top = ", ".join(f"{c} {_posts(n)}" for c, n in categories.most_common(3))
        repeat = sum(swarms[a] > 1 for a in accounts)
        again = f"; {repeat} of them joined another swarm too" if repeat else ""
        summary = (
            f"{burst.hostile_accounts} accounts {verbs} {name} with threats or abuse within "
            f"{duration((burst.end - burst.start).total_seconds())} from "
            f"{moment(burst.start)} ({top}), {share:.0%} of the "
            f"{burst.accounts} accounts addressing {name} then, where its own history "
            f"predicts {burst.expected:.2g} hostile posts{again}"
        )
        return Finding(
            detector=self.name,
            kind="reply_swarm",
            accounts=accounts,
            targets=[burst.target],
            window=(burst.start, burst.end),
            score=float(share * (1.0 - burst.q)),
            significance=burst.p,
            evidence=evidence,
            summary=summary,
        )


def _posts(n: int) -> str:
    return f"{n} post" if n == 1 else f"{n} posts"


def _what(n: int, name: str, category: str, phrase: str) -> str:
    """What ``n`` hostile posts to ``name`` have in common, in words."""
    if category == MEDIA:
        return f"{_posts(n)} to {name} {'carries' if n == 1 else 'carry'} {phrase}"
    return f"{_posts(n)} to {name} {'says' if n == 1 else 'say'} '{phrase}' ({category})"


# --- SQL steps -------------------------------------------------------------------------------


def _addressed(ws: Workspace, window: float, min_accounts: int) -> int:
    """Temp table ``_rs_addressed``: posts addressed to an account (reply, quote,
    mention) of targets with a dense window; returns how many such posts."""
    ws.con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _rs_addressed AS
        WITH pairs AS (
            SELECT p.post_id, coalesce(p.ref_account_id, r.account_id) AS target, p.kind AS how
            FROM posts p LEFT JOIN posts r ON r.post_id = p.ref_post_id
            WHERE p.kind IN ('reply', 'quote')
            UNION ALL
            SELECT substr(event_id, 3), object, 'mention' FROM activity WHERE verb = 'mention'),
        grouped AS (
            SELECT post_id, target, list(DISTINCT how ORDER BY how) AS how
            FROM pairs WHERE target IS NOT NULL GROUP BY post_id, target),
        cited AS (SELECT DISTINCT event_id FROM activity WHERE starts_with(event_id, 'p:')),
        addressed AS (
            SELECT 'p:' || p.post_id AS event_id, g.target, p.account_id AS actor,
                   p.created_at AS ts, p.text, p.media_hashes, g.how, p.ref_post_id,
                   r.account_id AS ref_author
            FROM grouped g JOIN posts p USING (post_id)
            LEFT JOIN posts r ON r.post_id = p.ref_post_id
            WHERE g.target <> p.account_id AND p.created_at IS NOT NULL
              AND 'p:' || p.post_id IN (SELECT event_id FROM cited)),
        dense AS (
            SELECT DISTINCT target FROM (
                SELECT target, count(*) OVER (PARTITION BY target ORDER BY ts
                    RANGE BETWEEN CURRENT ROW AND INTERVAL {int(window)} SECOND FOLLOWING) AS n
                FROM addressed)
            WHERE n >= {int(min_accounts)})
        SELECT * FROM addressed WHERE target IN (SELECT target FROM dense)"""
    )
    return int(ws.sql("SELECT count(*) FROM _rs_addressed")[0][0])


def _hostile_events(
    ws: Workspace, lexicon: Lexicon, wanted: set[str], hashes: HashList | None
) -> None:
    """Temp table ``_rs_events``: ``_rs_addressed`` with the lexicon and hash-list
    ``matches`` (category, phrase) in ``wanted`` and ``hostile``. Each distinct text and
    media hash is matched once, in Python; the rest is SQL."""
    texts = [t for (t,) in ws.sql("SELECT DISTINCT text FROM _rs_addressed WHERE text IS NOT NULL")]
    found = lexicon.match_many(texts)
    hits = [
        (text, [{"category": c, "phrase": p} for c, p in m if c in wanted])
        for text, m in zip(texts, found, strict=True)
    ]
    hits = [(t, m) for t, m in hits if m]
    ws.con.register(
        "_rs_text_hits",
        pa.table(
            {
                "text": pa.array([t for t, _ in hits], pa.string()),
                "matches": pa.array([m for _, m in hits], pa.list_(_MATCH)),
            }
        ),
    )
    listed: list[tuple[str, str]] = []  # (media hash as posted, what it matched)
    if hashes is not None and MEDIA in wanted:
        media = [
            h
            for (h,) in ws.sql(
                "SELECT DISTINCT m FROM _rs_addressed, unnest(media_hashes) AS u(m) "
                "WHERE m IS NOT NULL ORDER BY m"
            )
        ]
        listed = [
            (
                media[m.index],
                f"media {media[m.index]} within {m.distance} bits of {m.entry.text} "
                f"({m.entry.label}, {hashes.path.name}:{m.entry.line})",
            )
            for m in match_hash_list(media, hashes)
        ]
    ws.con.register(
        "_rs_media_hits",
        pa.table(
            {
                "hash": pa.array([h for h, _ in listed], pa.string()),
                "phrase": pa.array([w for _, w in listed], pa.string()),
            }
        ),
    )
    try:
        ws.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _rs_events AS
            WITH media AS (
                SELECT a.event_id, a.target,
                       list({{'category': '{MEDIA}', 'phrase': h.phrase}} ORDER BY h.phrase)
                           AS matches
                FROM _rs_addressed a, unnest(a.media_hashes) AS u(m)
                JOIN _rs_media_hits h ON h.hash = u.m
                GROUP BY a.event_id, a.target)
            SELECT a.*,
                   list_concat(coalesce(t.matches, []), coalesce(m.matches, [])) AS matches,
                   t.matches IS NOT NULL OR m.matches IS NOT NULL AS hostile
            FROM _rs_addressed a
            LEFT JOIN _rs_text_hits t ON t.text = a.text
            LEFT JOIN media m ON m.event_id = a.event_id AND m.target = a.target"""
        )
    finally:
        ws.con.unregister("_rs_text_hits")
        ws.con.unregister("_rs_media_hits")
