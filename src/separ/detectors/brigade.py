"""Report brigades: bursts of reports against one account from a reporter cohort that is
anomalous against all reporters (the method, thresholds and measured quality are in
docs/brigade.md).

Per target, reports no more than ``gap`` apart form a *burst*. Its candidates are the
reporters the target had not addressed (a reply, quote or mention within
``contact_window`` before the report): people report what was aimed at them, and such a
report is explained, never brigade evidence. A burst of at least ``min_reports``
candidates is tested twice, in SQL then with scipy:

1. **Burst**: more reporters than the target's own baseline predicts (its other reports
   over the data's span, shrunk towards the platform's rate per reported account)?
   Poisson p-value, Benjamini-Hochberg over every target x every ``gap``-long slot.
2. **Cohort**: are its reporters unlike reporters in general? Each trait is a p-value
   against the baseline of all reports or of the other reporters; Fisher's method
   combines the traits that have data. Traits: one reason (the modal reason's share
   against its share of all reports); creation dates packed within ``creation_days``;
   lockstep (another burst, on any target, holds more of these reporters than their
   activity predicts); a low upheld share of their earlier reports; fewer of the burst's
   reporters addressed by the target than among all reports; membership in other
   detectors' findings that do not rest on reports (this detector runs after them).

A burst passing both (``alpha``, ``cohort_alpha``) is a brigade: one finding per
(target, burst) whose first evidence entry lists the reports attributed to the brigade
(a candidate's report with the modal reason, or by a reporter a trait ties to the
others), followed by one entry per tie. :func:`brigade_reports` reads the stored
findings back as one row per attributed report, for the enforcement gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

import numpy as np
import pyarrow as pa
from scipy.stats import binom, chi2, poisson

from separ.detectors.base import (
    Detector,
    Evidence,
    Finding,
    Interval,
    Options,
    bh_qvalues,
    register,
)
from separ.schema import RESTRICTIONS
from separ.wording import duration
from separ.workspace import Workspace

NAME = "report_brigade"
"""Actions that uphold a report (``restore`` undoes one)."""

MOST_CITED = 10
"""Most other bursts (lockstep) and other findings (overlap) cited as evidence."""

TIE = 0.05
"""A trait whose p-value is at most this is named in the summary as a tie."""

TEMP = ("_brg_r", "_brg_s", "_brg_rc", "_brg_b", "_brg_m", "_brg_who", "_brg_all", "_brg_known")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(slots=True)
class Trait:
    """One cohort trait of a burst: its p-value, a phrase for the summary, the reporters
    it ties and its evidence."""

    name: str
    p: float
    phrase: str = ""
    members: set[str] = field(default_factory=set)
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(slots=True)
class Burst:
    """A burst of reports on one target: its baseline test, then its cohort's traits."""

    bid: int
    target: str
    start: datetime
    stop: datetime
    reporters: int  # the candidates: reporters the target had not addressed
    everyone: int  # every reporter in the burst
    expected: float
    p: float
    q: float = 1.0
    reason: str = ""
    traits: list[Trait] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return (self.stop - self.start).total_seconds()

    def cohort_p(self) -> float:
        """Fisher's combination of the traits that have data (1.0 when none has)."""
        if not self.traits:
            return 1.0
        ps = np.clip([t.p for t in self.traits], 1e-300, 1.0)
        return float(chi2.sf(-2.0 * np.log(ps).sum(), 2 * len(ps)))


@register
class ReportBrigade(Detector):
    name = NAME
    reads_findings = True
    version = "1"
    description = (
        "Bursts of reports against one account, beyond its baseline, from a reporter "
        "cohort unlike reporters in general (one reason, created together, lockstep over "
        "other targets, rarely upheld, never addressed by the target)."
    )
    constraints: ClassVar[dict[str, Interval | Options]] = {
        "gap": Interval(60, 7 * 86400),
        "min_reports": Interval(2, None, integer=True),
        "alpha": Interval(1e-12, 0.5),
        "cohort_alpha": Interval(1e-12, 0.5),
        "prior_days": Interval(0, 3650),
        "creation_days": Interval(1, 3650),
        "upheld_window": Interval(0, 365 * 86400),
        "contact_window": Interval(0, 365 * 86400),
    }
    docs: ClassVar[dict[str, str]] = {
        "gap": "seconds: reports on one target at most this far apart belong to one burst",
        "min_reports": "fewest distinct candidate reporters (not addressed by the target) "
        "in a burst worth testing",
        "alpha": "false-discovery rate for a burst against the target's own baseline "
        "(Benjamini-Hochberg over every target and every gap-long slot)",
        "cohort_alpha": "largest combined (Fisher) p-value of the reporter cohort's traits "
        "for a burst to be called a brigade",
        "prior_days": "days of the platform's rate per reported account that a target's "
        "own baseline is shrunk towards (a target with no history is not infinitely quiet)",
        "creation_days": "width in days of the window in which the reporters' account "
        "creation dates are tested for concentration",
        "upheld_window": "seconds after a report within which a human enforcement action on "
        "its target that cites no reports upholds it (an action citing the report upholds "
        "it whenever it happens)",
        "contact_window": "seconds before a report within which a reply or mention from the "
        "target to the reporter counts as contact",
    }

    def __init__(
        self,
        *,
        gap: float = 7200.0,
        min_reports: int = 4,
        alpha: float = 1e-3,
        cohort_alpha: float = 1e-3,
        prior_days: float = 30.0,
        creation_days: float = 7.0,
        upheld_window: float = 7 * 86400.0,
        contact_window: float = 7 * 86400.0,
    ) -> None:
        self.gap = gap
        self.min_reports = min_reports
        self.alpha = alpha
        self.cohort_alpha = cohort_alpha
        self.prior_days = prior_days
        self.creation_days = creation_days
        self.upheld_window = upheld_window
        self.contact_window = contact_window

    def run(self, ws: Workspace) -> list[Finding]:
        try:
            prepare_reports(ws, self.upheld_window, self.contact_window)
            suspects = [
                b
                for b in _bursts(ws, self.gap, self.min_reports, self.prior_days)
                if b.q <= self.alpha
            ]
            if not suspects:
                return []
            _select(ws, suspects)
            _reason_trait(ws, suspects)
            _creation_trait(ws, suspects, self.creation_days)
            _lockstep_trait(ws, suspects)
            _record_trait(ws, suspects)
            _contact_trait(ws, suspects)
            _overlap_trait(ws, suspects)
            return _findings(ws, [b for b in suspects if b.cohort_p() <= self.cohort_alpha])
        finally:
            for temp in TEMP:
                ws.con.execute(f"DROP TABLE IF EXISTS {temp}")


# --- tables ------------------------------------------------------------------------------


def prepare_reports(ws: Workspace, upheld_window: float, contact_window: float) -> None:
    """Temp table ``_brg_r``: every report with its epoch time ``t``, ``upheld`` (a human
    enforcement action cites it, or one that cites no reports hits its target and post
    within ``upheld_window``; automated actions and overturned ones uphold nothing) and
    ``contacted`` (the target replied to, quoted or mentioned the reporter within
    ``contact_window`` before)."""
    con = ws.con
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _brg_act AS
        SELECT a.account_id, a.post_id, epoch(a.created_at) AS t,
               coalesce(a.trigger_ref, []) AS refs, coalesce(a.trigger, 'report') AS trig
        FROM actions a
        WHERE NOT coalesce(a.automated, false) AND a.action IN (SELECT unnest(?))
          AND a.action_id NOT IN (SELECT action_id FROM appeals WHERE status = 'overturned')""",
        [list(RESTRICTIONS)],
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _brg_cited AS
        SELECT DISTINCT u.ref AS report_id FROM _brg_act, unnest(refs) AS u(ref)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _brg_contact AS
        SELECT c.src, c.dst, c.t FROM (
            SELECT p.account_id AS src, coalesce(p.ref_account_id, q.account_id) AS dst,
                   epoch(p.created_at) AS t
            FROM posts p LEFT JOIN posts q ON q.post_id = p.ref_post_id
            WHERE p.kind IN ('reply', 'quote')
            UNION ALL
            SELECT actor, object, epoch(ts) FROM activity WHERE verb = 'mention'
        ) c
        JOIN (SELECT DISTINCT target_account_id AS src, reporter_id AS dst FROM reports) pairs
          USING (src, dst)
        WHERE c.t IS NOT NULL"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _brg_r AS
        SELECT r.report_id, r.reporter_id AS reporter, r.target_account_id AS target,
               r.reason, r.created_at AS ts, epoch(r.created_at) AS t,
               r.report_id IN (SELECT report_id FROM _brg_cited) OR EXISTS (
                   SELECT 1 FROM _brg_act a
                   WHERE a.account_id = r.target_account_id AND len(a.refs) = 0
                     AND a.trig = 'report'
                     AND a.t BETWEEN epoch(r.created_at)
                                 AND epoch(r.created_at) + {float(upheld_window)}
                     AND (r.target_post_id IS NULL OR a.post_id IS NULL
                          OR a.post_id = r.target_post_id)) AS upheld,
               EXISTS (
                   SELECT 1 FROM _brg_contact c
                   WHERE c.src = r.target_account_id AND c.dst = r.reporter_id
                     AND c.t BETWEEN epoch(r.created_at) - {float(contact_window)}
                                 AND epoch(r.created_at)) AS contacted
        FROM reports r WHERE r.created_at IS NOT NULL"""
    )
    for temp in ("_brg_act", "_brg_cited", "_brg_contact"):
        con.execute(f"DROP TABLE IF EXISTS {temp}")


def _bursts(ws: Workspace, gap: float, min_reports: int, prior_days: float) -> list[Burst]:
    """Bursts per target (``_brg_b``; their reports in ``_brg_m``) with Poisson p-values
    against each target's own baseline and BH q-values."""
    con = ws.con
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _brg_s AS
        SELECT *, sum(new) OVER (PARTITION BY target ORDER BY t, report_id
                                 ROWS UNBOUNDED PRECEDING) AS sess
        FROM (SELECT *, CASE WHEN t - lag(t) OVER (PARTITION BY target ORDER BY t, report_id)
                                  <= {float(gap)} THEN 0 ELSE 1 END AS new
              FROM _brg_r)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _brg_rc AS
        SELECT target, sess, reporter, bool_or(contacted) AS contacted
        FROM _brg_s GROUP BY ALL"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _brg_b AS
        SELECT row_number() OVER (ORDER BY min(s.t), s.target) AS bid, s.target, s.sess,
               count(DISTINCT s.reporter) FILTER (WHERE NOT c.contacted) AS reporters,
               count(DISTINCT s.reporter) AS everyone, count(*) AS n,
               min(s.ts) FILTER (WHERE NOT c.contacted) AS start,
               max(s.ts) FILTER (WHERE NOT c.contacted) AS stop,
               min(s.t) FILTER (WHERE NOT c.contacted) AS t0,
               max(s.t) FILTER (WHERE NOT c.contacted) AS t1
        FROM _brg_s s JOIN _brg_rc c USING (target, sess, reporter)
        GROUP BY s.target, s.sess
        HAVING count(DISTINCT s.reporter) FILTER (WHERE NOT c.contacted) >= {int(min_reports)}"""
    )
    con.execute(  # the candidates: reports of reporters the target had not addressed
        """CREATE OR REPLACE TEMP TABLE _brg_m AS
        SELECT b.bid, s.report_id, s.reporter, s.reason, s.t
        FROM _brg_s s JOIN _brg_b b USING (target, sess)
        JOIN _brg_rc c USING (target, sess, reporter) WHERE NOT c.contacted"""
    )
    total, targets, t_min, t_max = ws.sql(
        "SELECT count(*), count(DISTINCT target), min(t), max(t) FROM _brg_r"
    )[0]
    if not total:
        return []
    span = max(float(t_max) - float(t_min), gap)
    prior = prior_days * 86400.0
    rate = total / targets / span  # the platform's reports per reported account per second
    rows = ws.sql(
        """SELECT b.bid, b.target, b.start, b.stop, b.reporters, b.t1 - b.t0, o.n - b.n,
                  b.everyone
        FROM _brg_b b
        JOIN (SELECT target, count(*) AS n FROM _brg_r GROUP BY target) o USING (target)
        ORDER BY b.bid"""
    )
    if not rows:
        return []
    cols = list(zip(*rows, strict=True))
    reporters = np.array(cols[4], dtype=float)
    other = np.array(cols[6], dtype=float)
    expected = (other + rate * prior) / (span + prior) * np.maximum(np.array(cols[5], float), gap)
    p = poisson.sf(reporters - 1, expected)
    q = bh_qvalues(p, max(float(targets) * span / gap, len(rows)))
    return [
        Burst(int(r[0]), r[1], r[2], r[3], int(r[4]), int(r[7]), float(e), float(pv), float(qv))
        for r, e, pv, qv in zip(rows, expected, p, q, strict=True)
    ]


def _select(ws: Workspace, bursts: list[Burst]) -> None:
    """``_brg_who``: the distinct reporters of the bursts under test; ``_brg_all``: of
    every burst."""
    chosen = pa.table({"bid": pa.array([b.bid for b in bursts], pa.int64())})
    ws.con.register("_brg_chosen", chosen)
    try:
        ws.con.execute(
            """CREATE OR REPLACE TEMP TABLE _brg_who AS
            SELECT DISTINCT bid, reporter FROM _brg_m
            WHERE bid IN (SELECT bid FROM _brg_chosen)"""
        )
    finally:
        ws.con.unregister("_brg_chosen")
    ws.con.execute(
        "CREATE OR REPLACE TEMP TABLE _brg_all AS SELECT DISTINCT bid, reporter FROM _brg_m"
    )


def _grouped(
    ws: Workspace, query: str, table: pa.Table
) -> dict[int, tuple[tuple[str, ...], set[str]]]:
    """Run ``query`` over ``table`` registered as ``_brg_in``; its rows (key, report ids,
    reporters) become ``{key: (event ids, reporters)}``."""
    ws.con.register("_brg_in", table)
    try:
        rows = ws.sql(query)
    finally:
        ws.con.unregister("_brg_in")
    return {int(k): (tuple(sorted("r:" + i for i in ids)), set(who)) for k, ids, who in rows}


# --- traits ------------------------------------------------------------------------------


def _reason_trait(ws: Workspace, bursts: list[Burst]) -> None:
    """The modal reason's share of reporters against its share of all reports
    (union bound over the reasons, since the modal one is picked after the fact)."""
    share = dict(ws.sql("SELECT reason, count(*) / sum(count(*)) OVER () FROM _brg_r GROUP BY 1"))
    modal = {
        bid: (reason, int(k))
        for bid, reason, k in ws.sql(
            """SELECT bid, reason, k FROM (
                SELECT m.bid, m.reason, count(DISTINCT m.reporter) AS k,
                       row_number() OVER (PARTITION BY m.bid
                                          ORDER BY count(DISTINCT m.reporter) DESC, m.reason)
                           AS rk
                FROM _brg_m m JOIN (SELECT DISTINCT bid FROM _brg_who) USING (bid)
                GROUP BY m.bid, m.reason)
            WHERE rk = 1"""
        )
    }
    shares = np.array([float(v) for v in share.values()])
    for b in bursts:
        b.reason, k = modal[b.bid]
        if len(shares) < 2:
            continue  # a platform with one reason: the trait has no data
        base = float(share[b.reason])
        # the modal reason is chosen after the fact: the chance that any reason gets k
        p = min(1.0, float(binom.sf(k - 1, b.reporters, shares).sum()))
        b.traits.append(
            Trait("reason", p, f"{k} of {b.reporters} gave one reason ({base:.0%} of all do)")
        )


def _creation_trait(ws: Workspace, bursts: list[Burst], days: float) -> None:
    """The most reporters created within ``days`` of each other, against the share of
    the other reporters created in that window (scan-corrected by the cohort size)."""
    width = days * 86400.0
    everyone = np.sort(
        np.asarray(
            ws.con.execute(
                """SELECT epoch(created_at) AS c FROM accounts
                WHERE created_at IS NOT NULL AND account_id IN (SELECT reporter FROM _brg_r)"""
            ).fetchnumpy()["c"],
            dtype=float,
        )
    )
    rows = ws.sql(
        f"""SELECT bid, known, c, k FROM (
            SELECT bid, c, k, count(*) OVER (PARTITION BY bid) AS known,
                   row_number() OVER (PARTITION BY bid ORDER BY k DESC, c) AS rk
            FROM (SELECT w.bid, epoch(a.created_at) AS c,
                         count(*) OVER (PARTITION BY w.bid ORDER BY epoch(a.created_at)
                                        RANGE BETWEEN CURRENT ROW AND {width} FOLLOWING) AS k
                  FROM _brg_who w JOIN accounts a ON a.account_id = w.reporter
                  WHERE a.created_at IS NOT NULL))
        WHERE rk = 1"""
    )
    by_bid = {b.bid: b for b in bursts}
    tested = []
    for bid, known, c0, k in rows:
        b, known, k, c0 = by_bid[bid], int(known), int(k), float(c0)
        if known < 2 or len(everyone) <= known:
            continue
        inside = np.searchsorted(everyone, c0 + width, "right") - np.searchsorted(everyone, c0)
        base = min(max(float(inside - k), 0.5) / float(len(everyone) - known), 1.0)
        # scan statistic: some member's window holds k - 1 of the other known - 1
        p = min(1.0, known * float(binom.sf(k - 2, known - 1, base)))
        tested.append((b, known, k, c0, base, p))
    cited = _grouped(
        ws,
        f"""SELECT m.bid, list(m.report_id), list(DISTINCT m.reporter)
        FROM _brg_m m JOIN _brg_in w ON w.bid = m.bid
        JOIN accounts a ON a.account_id = m.reporter
        WHERE epoch(a.created_at) BETWEEN w.c0 AND w.c0 + {width} GROUP BY m.bid""",
        pa.table({"bid": [t[0].bid for t in tested], "c0": [t[3] for t in tested]}),
    )
    for b, known, k, c0, base, p in tested:
        first = datetime.fromtimestamp(c0, UTC).strftime("%Y-%m-%d")
        ratio = f"{base:.1%} of other reporters were"
        events, members = cited[b.bid]
        what = f"{k} of {known} reporters were created within {days:g} days from {first}"
        b.traits.append(
            Trait(
                "creation",
                p,
                f"{k} were created within {days:g} days of {first} ({ratio})",
                members,
                [Evidence(events, f"{what} ({ratio})")],
            )
        )


def _lockstep_trait(ws: Workspace, bursts: list[Burst]) -> None:
    """The other burst (any target) sharing the most of these reporters beyond chance.

    Under the null each of another burst's s_E reporters is one of these with
    probability R_B / N (R_B: these reporters' reports outside this burst; N: all
    reports), so the overlap is Poisson with mean s_E * R_B / N; Bonferroni over the
    other bursts."""
    total = int(ws.sql("SELECT count(*) FROM _brg_r")[0][0])
    others = int(ws.sql("SELECT count(*) FROM _brg_b")[0][0]) - 1
    if others < 1:
        return
    rows = ws.sql(
        """WITH outside AS (
            SELECT w.bid, sum(k.n) - any_value(b.n) AS rb
            FROM _brg_who w JOIN _brg_b b USING (bid)
            JOIN (SELECT reporter, count(*) AS n FROM _brg_r GROUP BY reporter) k USING (reporter)
            GROUP BY w.bid),
        overlap AS (
            SELECT x.bid, y.bid AS other, count(*) AS c
            FROM _brg_who x JOIN _brg_all y ON x.reporter = y.reporter AND x.bid <> y.bid
            GROUP BY x.bid, y.bid HAVING count(*) >= 2)
        SELECT o.bid, o.other, o.c, b.reporters, b.target, b.start, u.rb
        FROM overlap o JOIN _brg_b b ON b.bid = o.other JOIN outside u ON u.bid = o.bid
        ORDER BY o.bid, o.other"""
    )
    found: dict[int, list[tuple[float, int, int, str, datetime]]] = {}
    for bid, other, c, size, target, start, rb in rows:
        mu = max(float(size) * float(rb) / total, 1e-12)
        p = float(poisson.sf(int(c) - 1, mu)) * others
        found.setdefault(int(bid), []).append((min(p, 1.0), int(other), int(c), target, start))
    strong = {
        bid: [h for h in sorted(hits) if h[0] <= TIE][:MOST_CITED] for bid, hits in found.items()
    }
    pairs = [(bid, h[1]) for bid, hs in strong.items() for h in hs]
    cited = _grouped(
        ws,
        """SELECT p.key, list(m.report_id), list(DISTINCT m.reporter)
        FROM _brg_in p JOIN _brg_m m ON m.bid = p.other
        JOIN _brg_who w ON w.bid = p.bid AND w.reporter = m.reporter
        GROUP BY p.key""",
        pa.table(
            {
                "key": pa.array(range(len(pairs)), pa.int64()),
                "bid": pa.array([p[0] for p in pairs], pa.int64()),
                "other": pa.array([p[1] for p in pairs], pa.int64()),
            }
        ),
    )
    key = {pair: i for i, pair in enumerate(pairs)}
    for b in bursts:
        hits = strong.get(b.bid, [])
        trait = Trait("lockstep", min((h[0] for h in found.get(b.bid, [])), default=1.0))
        for _, other, c, target, start in hits:
            events, members = cited[key[(b.bid, other)]]
            trait.members |= members
            trait.evidence.append(
                Evidence(
                    events,
                    f"{c} of these reporters also reported {target} together on {start:%Y-%m-%d}",
                )
            )
        if hits:
            accounts = len({h[3] for h in hits})
            trait.phrase = (
                f"{len(trait.members)} also reported together in "
                f"{_plural(len(hits), 'other burst')} on {_plural(accounts, 'account')}"
            )
        b.traits.append(trait)


def _record_trait(ws: Workspace, bursts: list[Burst]) -> None:
    """How few of the reporters' earlier reports were upheld, against all reports (no
    data, no trait: a platform without moderation outcomes, or first-time reporters)."""
    base = float(ws.sql("SELECT avg(upheld::INT) FROM _brg_r")[0][0] or 0.0)
    if base <= 0.0:
        return
    rows = ws.sql(
        """SELECT w.bid, count(*), sum(r.upheld::INT), list(r.report_id ORDER BY r.report_id)
        FROM _brg_who w JOIN _brg_b b USING (bid)
        JOIN _brg_r r ON r.reporter = w.reporter AND r.t < b.t0
        GROUP BY w.bid"""
    )
    by_bid = {b.bid: b for b in bursts}
    for bid, m, up, ids in rows:
        what = f"{_plural(int(m), 'earlier report')} upheld {up} times ({base:.0%} of all are)"
        by_bid[bid].traits.append(
            Trait(
                "record",
                float(binom.cdf(int(up), int(m), base)),
                f"their {what}",
                evidence=[Evidence(tuple("r:" + i for i in ids), f"these reporters' {what}")],
            )
        )


def _contact_trait(ws: Workspace, bursts: list[Burst]) -> None:
    """How few reporters the target had replied to or mentioned shortly before, against
    all reports: people report what was aimed at them; a brigade was never addressed."""
    base = float(ws.sql("SELECT avg(contacted::INT) FROM _brg_r")[0][0] or 0.0)
    if base <= 0.0:
        return
    for b in bursts:
        c = b.everyone - b.reporters
        who = "none of them" if c == 0 else f"{c} of {b.everyone}"
        b.traits.append(
            Trait(
                "contact",
                float(binom.cdf(c, b.everyone, base)),
                f"the target had addressed {who} ({base:.0%} of all reports follow contact)",
            )
        )


def _overlap_trait(ws: Workspace, bursts: list[Burst]) -> None:
    """Reporters in other detectors' stored findings, against all reporters. Findings that
    cite reports are left out: they rest on these same reports and are not independent
    support. Campaigns are not read: they are built from this detector's findings too, so
    reading the last run's campaigns would make each run depend on the one before."""
    ws.con.execute(
        """CREATE OR REPLACE TEMP TABLE _brg_known AS
        SELECT DISTINCT unnest(f.accounts) AS account, f.finding_id AS source, f.kind
        FROM findings f
        WHERE f.detector <> ? AND NOT EXISTS (
            SELECT 1 FROM evidence e WHERE e.finding_id = f.finding_id
            AND len(list_filter(e.event_ids, lambda x: starts_with(x, 'r:'))) > 0)""",
        [NAME],
    )
    known, reporters = ws.sql(
        """SELECT count(DISTINCT reporter)
                      FILTER (WHERE reporter IN (SELECT account FROM _brg_known)),
                  count(DISTINCT reporter) FROM _brg_r"""
    )[0]
    if not known or known >= reporters:
        return
    base = float(known) / float(reporters)
    for b in bursts:
        trait = Trait("overlap", 1.0)
        for source, kind, ids, members in ws.sql(
            """SELECT k.source, k.kind, list(DISTINCT m.report_id ORDER BY m.report_id),
                      list(DISTINCT m.reporter)
            FROM _brg_m m JOIN _brg_known k ON k.account = m.reporter
            WHERE m.bid = ? GROUP BY k.source, k.kind ORDER BY count(*) DESC, k.source""",
            [b.bid],
        ):
            trait.members |= set(members)
            if len(trait.evidence) < MOST_CITED:
                trait.evidence.append(
                    Evidence(
                        tuple("r:" + i for i in ids),
                        f"{len(members)} of these reporters are in {source} ({kind})",
                    )
                )
        k = len(trait.members)
        if k:
            trait.p = float(binom.sf(k - 1, b.reporters, base))
            trait.phrase = f"{k} are in other detectors' findings ({base:.0%} of all reporters are)"
        b.traits.append(trait)


# --- findings ----------------------------------------------------------------------------


def _findings(ws: Workspace, bursts: list[Burst]) -> list[Finding]:
    """One finding per brigade: its reports and what ties them. A report is the
    brigade's when it gives the modal reason or its reporter is tied by a trait, and the
    target had not addressed its reporter."""
    tied = {b.bid: sorted({a for t in b.traits if t.p <= TIE for a in t.members}) for b in bursts}
    attributed = _grouped(
        ws,
        """SELECT m.bid, list(m.report_id), list(DISTINCT m.reporter)
        FROM _brg_m m JOIN _brg_in i ON i.bid = m.bid
        WHERE m.reason = i.reason OR list_contains(i.tied, m.reporter)
        GROUP BY m.bid""",
        pa.table(
            {
                "bid": pa.array([b.bid for b in bursts], pa.int64()),
                "reason": pa.array([b.reason for b in bursts], pa.string()),
                "tied": pa.array([tied[b.bid] for b in bursts], pa.list_(pa.string())),
            }
        ),
    )
    filed = dict(
        ws.sql(
            """SELECT reporter, count(*) FROM _brg_r
            WHERE reporter IN (SELECT reporter FROM _brg_who) GROUP BY reporter"""
        )
    )
    return [_finding(b, *attributed[b.bid], filed) for b in bursts if b.bid in attributed]


def _finding(
    b: Burst, events: tuple[str, ...], accounts: set[str], filed: dict[str, int]
) -> Finding:
    cohort_p = b.cohort_p()
    per_reporter = float(np.median([filed[a] for a in accounts]))
    head = Evidence(
        events,
        f"{len(events)} reports against {b.target} within {duration(b.seconds)} where its "
        f"baseline predicts {b.expected:.2g}; their reporters filed a median "
        f"{per_reporter:g} reports each",
    )
    ties = [t.phrase for t in b.traits if t.phrase and t.p <= TIE]
    summary = (
        f"{len(accounts)} accounts reported {b.target} ({b.reason}) within "
        f"{duration(b.seconds)} on {b.start:%Y-%m-%d} where its own baseline predicts "
        f"{b.expected:.2g} reports (p={b.p:.0e}), a cohort unlike reporters in general "
        f"(p={cohort_p:.0e})"
    )
    if ties:
        summary += ": " + ", ".join(ties)
    return Finding(
        detector=NAME,
        kind="brigade:report",
        accounts=sorted(accounts),
        targets=[b.target],
        window=(b.start, b.stop),
        score=float(1.0 - max(b.q, cohort_p)),
        significance=float(max(b.q, cohort_p)),
        evidence=[head, *(e for t in b.traits for e in t.evidence)],
        summary=summary,
    )


def brigade_reports(ws: Workspace, target_account_id: str | None = None) -> pa.Table:
    """The reports that stored ``report_brigade`` findings attribute to a suspected
    brigade (each finding's first evidence entry): one row per report and finding,
    ``report_id, target, finding_id, why`` (``why`` is the finding's summary), for every
    target or for ``target_account_id`` only. Reads only: run the detector first."""
    return ws.con.sql(
        """SELECT substr(u.e, 3) AS report_id, t.target, f.finding_id, f.summary AS why
        FROM findings f JOIN evidence e ON e.finding_id = f.finding_id AND e.position = 0,
             unnest(e.event_ids) AS u(e), unnest(f.targets) AS t(target)
        WHERE f.detector = ? AND starts_with(u.e, 'r:')
          AND (CAST(? AS VARCHAR) IS NULL OR t.target = ?)
        ORDER BY t.target, f.finding_id, report_id""",
        params=[NAME, target_account_id, target_account_id],
    ).to_arrow_table()
