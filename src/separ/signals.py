"""Account signals: a readable, calibrated per-account score for "inauthentic account".

A logistic-regression *scorecard* over a few profile features, each with a direction
declared before training (more followers, more likes given, being on lists make an account
*less* likely inauthentic; following far more accounts than follow back, *more* likely).
Training keeps every weight on its declared side (scipy's L-BFGS-B with bounds), so a
reviewer can read the weights as a scorecard and no set's quirk can flip a sign; Platt
scaling on out-of-fold logits calibrates it. The weights ship as data
(:mod:`separ.signals_weights`, written by ``bench/signals.py --write-weights``), with the
scaling and the labelled sets that trained them. docs/signals.md has the measured quality.

What the score is for (principle 2): it *weighs* cohorts and campaigns (see
:func:`cohort_signal`); on its own it never flags, restricts or reports anyone, and this
module has no threshold that would. What it never reads (principle 3): handles, display
names, bios, links, locations, avatars (default or not), languages, logins and networks,
private profiles, account age, or anything else in :data:`EXCLUDED`. A feature that is
unknown for an account (a source without likes, a profile without counts) contributes
nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import mannwhitneyu

from separ.errors import SeparError
from separ.workspace import Workspace

Array = npt.NDArray[np.float64]
Kind = Literal["count", "ratio", "flag"]


@dataclass(frozen=True, slots=True)
class Feature:
    """One scorecard input: an SQL expression over ``accounts a``, its declared direction
    and what it means.

    ``direction`` is +1 when a higher value means more likely inauthentic, -1 when less,
    0 when not declared (only for experiments: the shipped scorecard declares every one).
    """

    name: str
    sql: str
    direction: int
    kind: Kind
    what: str

    def show(self, value: float) -> str:
        """The value as a reviewer reads it: a count, a ratio, yes/no."""
        if math.isnan(value):
            return "unknown"
        if self.kind == "count":
            return f"{math.expm1(value):,.0f}"
        if self.kind == "ratio":
            return f"{math.exp(value):.2g}"
        return "yes" if value >= 0.5 else "no"


def known(expr: str) -> str:
    """A count as DOUBLE, NULL when missing or negative (never 0 for unknown)."""
    return f"(CASE WHEN ({expr}) >= 0 THEN ({expr})::DOUBLE END)"


def _count(expr: str) -> str:
    return f"ln(1 + {known(expr)})"


LIKES = (
    "coalesce(try_cast(a.extra->>'favourites_count' AS DOUBLE), "
    "try_cast(a.extra->'public_metrics'->>'like_count' AS DOUBLE))"
)
LISTED = (
    "coalesce(try_cast(a.extra->>'listed_count' AS DOUBLE), "
    "try_cast(a.extra->'public_metrics'->>'listed_count' AS DOUBLE))"
)

FEATURES: tuple[Feature, ...] = (
    Feature("followers", _count("a.followers_count"), -1, "count", "followers (log)"),
    Feature(
        "follow_ratio",
        f"ln((1 + {known('a.following_count')}) / (1 + {known('a.followers_count')}))",
        +1,
        "ratio",
        "(1 + following) / (1 + followers) (log): follows far more than follow back",
    ),
    Feature("verified", "a.verified::DOUBLE", -1, "flag", "verified by the platform"),
    Feature("likes", _count(LIKES), -1, "count", "posts liked (log; Twitter profiles only)"),
    Feature("listed", _count(LISTED), -1, "count", "lists it is on (log; Twitter profiles only)"),
)
"""The shipped scorecard's inputs, in order."""

EXCLUDED: dict[str, str] = {
    "handle (digits, length, pattern)": "a pseudonymous or auto-suggested handle is "
    "self-protection or a default (principles 2 and 3); a cohort's shared handle pattern is "
    "cohort evidence for the detectors, never an individual's score",
    "display name, location": "hiding one's name and place is self-protection (principle 3)",
    "bio, profile link": "an empty profile is self-protection too (principle 3): the "
    "simulated at-risk accounts leave their bio empty more often than anyone, and a bio "
    "feature scored them as high as the planted operation (docs/signals.md)",
    "avatar, default avatar": "no picture is self-protection (principle 3); shared pictures "
    "are cohort evidence for the detectors",
    "language": "any language is neutral (principle 3)",
    "logins, networks, devices": "VPN, Tor and shared exits are neutral (principle 3)",
    "private profile": "a protected account is self-protection (principle 3)",
    "account age": "a re-registered account is new (principle 3); under sign constraints it "
    "added no measured quality (docs/signals.md)",
    "posts (count, per day)": "no consistent direction: purchased followers post little, "
    "spam and retweet bots post a lot; the sign flips between the labelled sets",
}
"""Profile traits that are deliberately not features, and why."""


def feature_sql(features: Sequence[Feature] = FEATURES) -> str:
    """One row per account: ``account_id`` and each feature (NULL when unknown)."""
    cols = ", ".join(f"({f.sql})::DOUBLE AS {f.name}" for f in features)
    return f"SELECT a.account_id, {cols} FROM accounts a"


def feature_matrix(
    ws: Workspace, features: Sequence[Feature] = FEATURES, accounts: Iterable[str] | None = None
) -> tuple[list[str], Array]:
    """Account ids (sorted) and their feature matrix (NaN where unknown)."""
    query = f"SELECT * FROM ({feature_sql(features)})"
    params: list[Any] = []
    if accounts is not None:
        query += " WHERE account_id IN (SELECT unnest(?))"
        params.append(sorted(set(accounts)))
    data = ws.con.execute(query + " ORDER BY account_id", params).fetchnumpy()
    ids = [str(a) for a in data["account_id"]]
    cols = [np.asarray(np.ma.filled(data[f.name], np.nan), dtype=float) for f in features]
    matrix = np.column_stack(cols) if cols else np.empty((len(ids), 0))
    return ids, matrix.reshape(len(ids), len(features))


POSITIVE = ("bot", "fake")
NEGATIVE = ("human", "genuine")


def labelled(ws: Workspace, features: Sequence[Feature] = FEATURES) -> tuple[Array, Array]:
    """Features and labels (1 = bot/fake, 0 = human/genuine) of the labelled accounts."""
    query = f"""SELECT f.*, l.label IN (SELECT unnest(?)) AS y
                FROM ({feature_sql(features)}) f JOIN labels l USING (account_id)
                WHERE l.label IN (SELECT unnest(?)) ORDER BY account_id"""
    data = ws.con.execute(query, [list(POSITIVE), [*POSITIVE, *NEGATIVE]]).fetchnumpy()
    cols = [np.asarray(np.ma.filled(data[f.name], np.nan), dtype=float) for f in features]
    return np.column_stack(cols), np.asarray(data["y"], dtype=float)


# -- the scorecard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scorecard:
    """Weights per standard deviation of each feature, in calibrated log-odds.

    ``score = expit(intercept + sum(weight * (value - mean) / scale))``; an unknown value
    counts as the mean (it contributes nothing).
    """

    features: tuple[Feature, ...]
    mean: Array
    scale: Array
    weight: Array
    intercept: float
    calibration: dict[str, float] = field(default_factory=dict)
    training: dict[str, float] = field(default_factory=dict)
    trained_on: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    def standardize(self, x: Array) -> Array:
        z = (x - self.mean) / self.scale
        return np.where(np.isnan(z), 0.0, z)

    def contributions(self, x: Array) -> Array:
        """Each feature's share of the log-odds, per account (0 where unknown)."""
        return self.standardize(x) * self.weight + 0.0  # + 0.0: no -0.0 for a zero weight

    def logit(self, x: Array) -> Array:
        return self.intercept + self.contributions(x).sum(axis=1)

    def score(self, x: Array) -> Array:
        return np.asarray(expit(self.logit(x)), dtype=float)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": "logistic regression, sign-constrained, Platt-calibrated",
            "score": "expit(intercept + sum(weight * (value - mean) / scale)); unknown = mean",
            "intercept": round(float(self.intercept), 6),
            "features": [
                {
                    "name": f.name,
                    "what": f.what,
                    "direction": f.direction,
                    "mean": round(float(m), 6),
                    "scale": round(float(s), 6),
                    "weight": round(float(w), 6) + 0.0,
                }
                for f, m, s, w in zip(
                    self.features, self.mean, self.scale, self.weight, strict=True
                )
            ],
            "calibration": {k: round(v, 6) for k, v in self.calibration.items()},
            "training": self.training,
            "trained_on": self.trained_on,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], catalogue: Sequence[Feature] = FEATURES) -> Scorecard:
        """A scorecard from its readable form; feature names must be in ``catalogue``."""
        by_name = {f.name: f for f in catalogue}
        entries = data["features"]
        missing = [e["name"] for e in entries if e["name"] not in by_name]
        if missing:
            raise SeparError(f"scorecard features not known to this Separ: {', '.join(missing)}")
        return cls(
            features=tuple(by_name[e["name"]] for e in entries),
            mean=np.array([e["mean"] for e in entries], dtype=float),
            scale=np.array([e["scale"] for e in entries], dtype=float),
            weight=np.array([e["weight"] for e in entries], dtype=float),
            intercept=float(data["intercept"]),
            calibration=dict(data.get("calibration", {})),
            training=dict(data.get("training", {})),
            trained_on=list(data.get("trained_on", [])),
            note=str(data.get("note", "")),
        )


def load_scorecard() -> Scorecard:
    """The shipped scorecard (:data:`separ.signals_weights.WEIGHTS`)."""
    from separ.signals_weights import WEIGHTS

    return Scorecard.from_dict(WEIGHTS)


# -- training ----------------------------------------------------------------------------------


def balanced_weights(y: Array, groups: Sequence[str] | None = None) -> Array:
    """Sample weights giving each group (data set) equal total weight, and within it the
    two classes equal weight: the calibrated score is then a probability at even odds."""
    keys = np.asarray(groups if groups is not None else ["all"] * len(y))
    w = np.zeros(len(y))
    names = sorted(set(keys.tolist()))
    for g in names:
        for label in (0.0, 1.0):
            mask = (keys == g) & (y == label)
            if mask.any():
                w[mask] = 1.0 / (2 * len(names) * mask.sum())
    return w * len(y)


def stratified_folds(y: Array, k: int, seed: int = 0) -> npt.NDArray[np.int64]:
    """A fold number per row, classes spread evenly, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    folds = np.zeros(len(y), dtype=np.int64)
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        folds[rng.permutation(idx)] = np.arange(len(idx)) % k
    return folds


def _logistic(
    z: Array, y: Array, w: Array, bounds: Sequence[tuple[float | None, float | None]], l2: float
) -> Array:
    """Weighted L2-regularised logistic regression; returns [coefficients..., intercept]."""
    total = w.sum()

    def loss(beta: Array) -> tuple[float, Array]:
        eta = z @ beta[:-1] + beta[-1]
        value = float(w @ (np.logaddexp(0.0, eta) - y * eta)) / total
        residual = w * (expit(eta) - y) / total
        coef = beta[:-1]
        grad = np.append(z.T @ residual + l2 * coef, residual.sum())
        return value + 0.5 * l2 * float(coef @ coef), grad

    start = np.zeros(z.shape[1] + 1)
    result = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=[*bounds, (None, None)])
    return np.asarray(result.x, dtype=float)


def _bounds(features: Sequence[Feature]) -> list[tuple[float | None, float | None]]:
    side: dict[int, tuple[float | None, float | None]] = {
        1: (0.0, None),
        -1: (None, 0.0),
        0: (None, None),
    }
    return [side[f.direction] for f in features]


def fit_scorecard(
    x: Array,
    y: Array,
    weights: Array | None = None,
    *,
    features: Sequence[Feature] = FEATURES,
    l2: float = 1e-3,
    folds: int = 5,
    seed: int = 0,
    trained_on: list[dict[str, Any]] | None = None,
) -> Scorecard:
    """Fit a sign-constrained logistic scorecard, then Platt-calibrate it on out-of-fold
    logits (``folds``-fold, stratified) and fold the calibration into the weights."""
    w = np.ones(len(y)) if weights is None else weights
    mean = np.nanmean(x, axis=0)
    scale = np.nanstd(x, axis=0)
    mean = np.where(np.isnan(mean), 0.0, mean)
    scale = np.where(np.isnan(scale) | (scale == 0), 1.0, scale)
    z = np.where(np.isnan(x), 0.0, (x - mean) / scale)
    bounds = _bounds(features)
    beta = _logistic(z, y, w, bounds, l2)
    out_of_fold = np.zeros(len(y))
    fold = stratified_folds(y, folds, seed)
    for k in range(folds):
        test = fold == k
        b = _logistic(z[~test], y[~test], w[~test], bounds, l2)
        out_of_fold[test] = z[test] @ b[:-1] + b[-1]
    a, c = _logistic(out_of_fold[:, None], y, w, [(0.0, None)], 0.0)
    return Scorecard(
        features=tuple(features),
        mean=mean,
        scale=scale,
        weight=a * beta[:-1],
        intercept=float(a * beta[-1] + c),
        calibration={"platt_a": float(a), "platt_b": float(c)},
        training={"l2": l2, "folds": folds, "seed": seed},
        trained_on=trained_on or [],
    )


def cross_validated_scores(
    x: Array,
    y: Array,
    weights: Array | None = None,
    *,
    features: Sequence[Feature] = FEATURES,
    folds: int = 5,
    seed: int = 0,
) -> Array:
    """Each row's calibrated score from a scorecard that never saw it (``folds``-fold)."""
    w = np.ones(len(y)) if weights is None else weights
    out = np.zeros(len(y))
    fold = stratified_folds(y, folds, seed + 1)
    for k in range(folds):
        test = fold == k
        card = fit_scorecard(x[~test], y[~test], w[~test], features=features, seed=seed)
        out[test] = card.score(x[test])
    return out


@dataclass(frozen=True, slots=True)
class Quality:
    """Ranking, threshold and calibration quality of scores against labels (1 =
    inauthentic). ``ece``: expected calibration error over ten equal-width score bins (the
    bins' |mean score - share inauthentic|, weighted by their size)."""

    n: int
    positives: int
    auc: float
    precision: float
    recall: float
    brier: float
    ece: float

    @classmethod
    def of(cls, y: Array, score: Array, threshold: float = 0.5) -> Quality:
        pos, neg = score[y == 1], score[y == 0]
        auc = float("nan")
        if len(pos) and len(neg):
            auc = float(mannwhitneyu(pos, neg).statistic) / (len(pos) * len(neg))
        flagged = score >= threshold
        hits = int((flagged & (y == 1)).sum())
        return cls(
            n=len(y),
            positives=len(pos),
            auc=auc,
            precision=hits / int(flagged.sum()) if flagged.any() else float("nan"),
            recall=hits / len(pos) if len(pos) else float("nan"),
            brier=float(np.mean((score - y) ** 2)),
            ece=_ece(y, score),
        )


def _ece(y: Array, score: Array, bins: int = 10) -> float:
    which = np.minimum((score * bins).astype(int), bins - 1)
    gap = np.bincount(which, weights=score - y, minlength=bins)
    return float(np.abs(gap).sum() / max(len(y), 1))


# -- scoring a workspace -------------------------------------------------------------------------

TOP = pa.struct([("feature", pa.string()), ("value", pa.float64()), ("contribution", pa.float64())])


def account_scores(ws: Workspace, scorecard: Scorecard | None = None, *, top: int = 3) -> pa.Table:
    """Every account's score, in [0, 1], with up to ``top`` known features that move it,
    largest contribution to the log-odds first (``value`` as computed: natural logs).

    Columns: ``account_id``, ``score``, ``logit``, ``known`` (how many features were
    known), ``top`` (list of {feature, value, contribution}). Sorted by account id.
    """
    card = scorecard or load_scorecard()
    ids, x = feature_matrix(ws, card.features)
    contrib = card.contributions(x)
    present = ~np.isnan(x)
    order = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :top]
    rows = np.arange(len(ids))[:, None]
    keep = present[rows, order] & (contrib[rows, order] != 0)
    names = np.array([f.name for f in card.features], dtype=object)
    entries = pa.StructArray.from_arrays(
        [
            pa.array(names[order][keep], pa.string()),
            pa.array(x[rows, order][keep]),
            pa.array(contrib[rows, order][keep]),
        ],
        fields=list(TOP),
    )
    offsets = np.concatenate([[0], np.cumsum(keep.sum(axis=1))]).astype(np.int32)
    logit = card.intercept + contrib.sum(axis=1)
    return pa.table(
        {
            "account_id": pa.array(ids, pa.string()),
            "score": pa.array(expit(logit)),
            "logit": pa.array(logit),
            "known": pa.array(present.sum(axis=1), pa.int32()),
            "top": pa.ListArray.from_arrays(pa.array(offsets), entries),
        }
    )


@dataclass(frozen=True, slots=True)
class Contribution:
    feature: str
    what: str
    value: float
    shown: str
    mean: float
    weight: float
    contribution: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """An account's score, term by term: ``intercept + sum(contributions) = logit``."""

    account_id: str
    score: float
    logit: float
    intercept: float
    contributions: list[Contribution]

    @property
    def summary(self) -> str:
        known = [c for c in self.contributions if not math.isnan(c.value)]
        moving = [c for c in known if c.contribution][:3]
        terms = ", ".join(f"{c.feature} {c.shown} ({c.contribution:+.2f})" for c in moving)
        return (
            f"Account {self.account_id} scores {self.score:.2f} (log-odds {self.logit:+.2f} "
            f"from a base of {self.intercept:+.2f}; {len(known)} of "
            f"{len(self.contributions)} features known{': ' + terms if terms else ''}), "
            "which weighs a cohort and is never evidence against one account on its own"
        )


def explain_score(
    ws: Workspace, account_id: str, scorecard: Scorecard | None = None
) -> Explanation:
    """Each feature's value and contribution to one account's score, largest first."""
    card = scorecard or load_scorecard()
    ids, x = feature_matrix(ws, card.features, [account_id])
    if not ids:
        raise SeparError(f"no account {account_id!r} in the workspace")
    contrib = card.contributions(x)[0]
    terms = [
        Contribution(f.name, f.what, float(v), f.show(float(v)), float(m), float(w), float(c))
        for f, v, m, w, c in zip(card.features, x[0], card.mean, card.weight, contrib, strict=True)
    ]
    terms.sort(key=lambda t: (math.isnan(t.value), -abs(t.contribution), t.feature))
    logit = float(card.intercept + contrib.sum())
    return Explanation(account_id, float(expit(logit)), logit, float(card.intercept), terms)


@dataclass(frozen=True, slots=True)
class CohortSignal:
    """How a cohort's scores compare with the rest of the workspace's accounts."""

    accounts: int
    scored: int
    median: float
    baseline: int
    baseline_median: float
    auc: float
    p: float

    @property
    def summary(self) -> str:
        return (
            f"{self.scored} of the cohort's {self.accounts} accounts have profiles; they score "
            f"a median {self.median:.2f} on the account scorecard against {self.baseline_median:.2f} "
            f"for the other {self.baseline:,} accounts (a cohort account outscores a baseline "
            f"one with probability {self.auc:.2f}, one-sided Mann-Whitney p = {self.p:.2g})"
        )


def cohort_signal(
    ws: Workspace, accounts: Iterable[str], scorecard: Scorecard | None = None
) -> CohortSignal | None:
    """The cohort against the workspace's other accounts (principle 2: a cohort, never one
    account, is compared with a baseline); None when either side has no scored account."""
    cohort = set(accounts)
    table = account_scores(ws, scorecard, top=0)
    ids = np.array(table.column("account_id").to_pylist(), dtype=object)
    score = table.column("score").to_numpy()
    inside = np.isin(ids, list(cohort))
    mine, rest = score[inside], score[~inside]
    if not len(mine) or not len(rest):
        return None
    test = mannwhitneyu(mine, rest, alternative="greater")
    return CohortSignal(
        accounts=len(cohort),
        scored=len(mine),
        median=float(np.median(mine)),
        baseline=len(rest),
        baseline_median=float(np.median(rest)),
        auc=float(test.statistic) / (len(mine) * len(rest)),
        p=float(test.pvalue),
    )
