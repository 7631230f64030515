"""Moderator audit: moderators whose decisions fall unusually on people at risk.

Three questions, each asked of every human moderator against their pooled peers (all
other human moderators), with a one-sided Fisher exact test on the 2 x 2 table
(this moderator / the others x yes / no):

- ``protected``: the share of their restrictions that fall on accounts in the
  ``protected`` register;
- ``brigaded``: the share that fall on accounts a ``report_brigade`` finding names as a
  target (run ``separ detect`` first, else this test is skipped);
- ``overturned``: the share of their appealed and decided restrictions overturned.

Benjamini-Hochberg runs over every moderator x question; a flag is a moderator and a
question with ``q <= alpha``. It is a test, not a ranking: with honest moderators and no
real difference, no one is flagged, however the moderators rank.

Only restrictions the moderator chose count: by default actions on user reports and
proactive or detector triggers, not government requests (which a moderator carries out)
and not appeal decisions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from scipy.stats import false_discovery_control, fisher_exact

from separ.monitors.waves import RESTRICTIONS
from separ.workspace import Workspace

QUESTIONS = {
    "protected": "of their restrictions fell on accounts in the protected register",
    "brigaded": "of their restrictions fell on targets of a suspected report brigade",
    "overturned": "of their appealed restrictions were overturned on appeal",
}


@dataclass(frozen=True, slots=True)
class ModeratorFlag:
    """One moderator and one question on which they differ from their peers."""

    moderator: str
    question: str
    count: int
    total: int
    peer_count: int
    peer_total: int
    odds_ratio: float
    p: float
    q: float
    action_ids: tuple[str, ...]
    summary: str

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "rate": self.rate, "peer_rate": self.peer_rate}

    @property
    def rate(self) -> float:
        return self.count / self.total if self.total else 0.0

    @property
    def peer_rate(self) -> float:
        return self.peer_count / self.peer_total if self.peer_total else 0.0


@dataclass(frozen=True, slots=True)
class _Row:
    moderator: str
    question: str
    count: int
    total: int
    ids: tuple[str, ...]


def moderator_audit(
    ws: Workspace,
    *,
    alpha: float = 0.05,
    min_actions: int = 5,
    triggers: tuple[str, ...] = ("report", "proactive", "detector"),
    actions: tuple[str, ...] = RESTRICTIONS,
) -> list[ModeratorFlag]:
    """Flags, most significant first (see the module docstring). Moderators with fewer
    than ``min_actions`` restrictions (or decided appeals) are not tested on that
    question; ``alpha`` is the false discovery rate over moderators x questions."""
    ws.con.execute(
        """CREATE OR REPLACE TEMP TABLE _mod_a AS
        SELECT a.action_id, a.actor AS moderator,
               a.account_id IN (SELECT account_id FROM registers WHERE register = 'protected')
                   AS protected,
               a.account_id IN (SELECT unnest(targets) FROM findings
                                WHERE detector = 'report_brigade') AS brigaded,
               p.status AS appeal
        FROM actions a
        LEFT JOIN (SELECT action_id, arg_max(status, coalesce(decided_at, filed_at)) AS status
                   FROM appeals WHERE status IN ('upheld', 'overturned') GROUP BY ALL) p
          USING (action_id)
        WHERE NOT coalesce(a.automated, false) AND a.actor IS NOT NULL
          AND a.actor <> 'automated' AND list_contains(?, a.action)
          AND list_contains(?, coalesce(a.trigger, 'report'))""",
        [list(actions), list(triggers)],
    )
    brigades = int(ws.sql("SELECT count(*) FROM findings WHERE detector = 'report_brigade'")[0][0])
    rows: list[_Row] = []
    for question, hit, among in (
        ("protected", "protected", "true"),
        ("brigaded", "brigaded", "true"),
        ("overturned", "appeal = 'overturned'", "appeal IS NOT NULL"),
    ):
        if question == "brigaded" and not brigades:
            continue
        for moderator, total, ids in ws.sql(
            f"""SELECT moderator, count(*) FILTER (WHERE {among}),
                   list(action_id ORDER BY action_id) FILTER (WHERE {hit} AND {among})
            FROM _mod_a GROUP BY moderator ORDER BY moderator"""
        ):
            rows.append(_Row(moderator, question, len(ids or []), int(total), tuple(ids or [])))
    return _test(rows, alpha, min_actions)


def _test(rows: list[_Row], alpha: float, least: int) -> list[ModeratorFlag]:
    tested: list[tuple[_Row, int, int, float, float]] = []
    for r in rows:
        peers = [o for o in rows if o.question == r.question and o.moderator != r.moderator]
        peer_count, peer_total = sum(o.count for o in peers), sum(o.total for o in peers)
        if r.total < least or peer_total == 0:
            continue
        table = [[r.count, r.total - r.count], [peer_count, peer_total - peer_count]]
        odds, p = fisher_exact(table, alternative="greater")
        tested.append((r, peer_count, peer_total, float(odds), float(p)))
    if not tested:
        return []
    qs = false_discovery_control([t[4] for t in tested])
    flags = [
        _flag(r, pc, pt, odds, p, float(q))
        for (r, pc, pt, odds, p), q in zip(tested, qs, strict=True)
        if q <= alpha
    ]
    return sorted(flags, key=lambda f: (f.p, f.moderator, f.question))


def _flag(
    r: _Row, peer_count: int, peer_total: int, odds: float, p: float, q: float
) -> ModeratorFlag:
    rate = r.count / r.total
    peer_rate = peer_count / peer_total
    summary = (
        f"{r.count} of {r.total} ({rate:.0%}) {QUESTIONS[r.question]} by {r.moderator}, "
        f"against {peer_count} of {peer_total} ({peer_rate:.0%}) for the other moderators "
        f"(Fisher p={p:.2g}, q={q:.2g} over all moderators and questions)"
    )
    return ModeratorFlag(
        moderator=r.moderator,
        question=r.question,
        count=r.count,
        total=r.total,
        peer_count=peer_count,
        peer_total=peer_total,
        odds_ratio=odds,
        p=p,
        q=q,
        action_ids=r.ids,
        summary=summary,
    )
