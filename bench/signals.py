"""Account signals: the scorecard's quality on the real labelled sets, within and across them.

    python bench/signals.py                   # in-domain CV, train -> test pairs, leave-one-set-out
    python bench/signals.py --ablation        # also the feature choices docs/signals.md discusses
    python bench/signals.py --write-weights   # also refit on all three sets and write the
                                              # shipped weights (src/separ/signals_weights.py)

The sets are read from ../shared/data through Separ's own ``profiles`` importer into
temporary workspaces; labels come from the ``labels`` table (bot/fake = 1, human/genuine
= 0). Every fit weighs each set equally and, within a set, both classes equally, so a
calibrated 0.5 means even odds. Precision and recall are at that 0.5 threshold. In-domain
figures are 5-fold cross-validated (the Platt calibration inside each fold is itself
fitted on inner out-of-fold logits). Also timed: scoring the 49,191 FollowerAnalyzer
profiles, and the score of the planted operation in a simulated scenario (as a cohort).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from separ.ingest import ingest
from separ.signals import (
    FEATURES,
    Array,
    Feature,
    Quality,
    Scorecard,
    account_scores,
    balanced_weights,
    cohort_signal,
    cross_validated_scores,
    fit_scorecard,
    known,
    labelled,
    load_scorecard,
)
from separ.simulate import simulate
from separ.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
WEIGHTS_FILE = ROOT / "src" / "separ" / "signals_weights.py"
SETS = {
    "cresci2015": ("cresci2015", "Cresci et al. 2015, E13 genuine vs INT purchased fake followers"),
    "gilani-2017": ("botrepo/gilani-2017", "Bot Repository, Gilani et al. 2017"),
    "cresci-rtbust-2019": ("botrepo/cresci-rtbust-2019", "Bot Repository, Mazza et al. 2019"),
}

Data = dict[str, tuple[Array, Array]]

# -- feature variants for --ablation ----------------------------------------------------------
AGE = known("date_diff('second', a.created_at, a.snapshot_at) / 86400.0")
AGE_FEATURE = Feature("age", f"ln(1 + {AGE})", -1, "count", "days from creation to snapshot")
POSTS = Feature("posts", f"ln(1 + {known('a.posts_count')})", 0, "count", "posts (log)")
POSTS_PER_DAY = Feature(
    "posts_per_day",
    f"ln(1 + {known('a.posts_count')} / (CASE WHEN {AGE} < 1 THEN 1 ELSE {AGE} END))",
    0,
    "count",
    "posts per day of age (log)",
)
BIO_LENGTH = Feature(
    "bio_length", "ln(1 + coalesce(length(trim(a.bio)), 0))", -1, "count", "bio characters (log)"
)
HAS_BIO = Feature("has_bio", "nullif(trim(a.bio), '') IS NOT NULL", -1, "flag", "has a bio")
HAS_URL = Feature("has_url", "nullif(trim(a.url), '') IS NOT NULL", -1, "flag", "has a link")


def free(features: Sequence[Feature]) -> list[Feature]:
    return [replace(f, direction=0) for f in features]


def named(*names: str) -> list[Feature]:
    return [f for f in FEATURES if f.name in names]


NATIVE = named("followers", "follow_ratio", "verified")
VARIANTS: dict[str, list[Feature]] = {
    "shipped (sign-constrained)": list(FEATURES),
    "shipped features, signs free": free(FEATURES),
    "+ has bio, has link": [*FEATURES, HAS_BIO, HAS_URL],
    "+ account age": [*FEATURES, AGE_FEATURE],
    "+ posts, posts per day": [*FEATURES, POSTS, POSTS_PER_DAY],
    "native columns only (no likes, listed)": NATIVE,
    "native only, signs free": free(NATIVE),
    "brief's list, signs free": free(
        [
            *named("followers", "follow_ratio", "verified"),
            AGE_FEATURE,
            POSTS_PER_DAY,
            BIO_LENGTH,
            HAS_URL,
        ]
    ),
}


# -- loading and evaluating ---------------------------------------------------------------------


def load(tmp: Path, features: Sequence[Feature]) -> tuple[Data, dict[str, Workspace]]:
    data: Data = {}
    spaces: dict[str, Workspace] = {}
    for name, (folder, _) in SETS.items():
        ws = Workspace(tmp / f"{name}.duckdb")
        ingest(ws, DATA / folder, "profiles", build_activity=False)
        data[name] = labelled(ws, features)
        spaces[name] = ws
    return data, spaces


def refeature(spaces: dict[str, Workspace], features: Sequence[Feature]) -> Data:
    return {name: labelled(ws, features) for name, ws in spaces.items()}


def pooled(data: Data, names: Sequence[str]) -> tuple[Array, Array, Array]:
    x = np.vstack([data[n][0] for n in names])
    y = np.concatenate([data[n][1] for n in names])
    groups = [n for n in names for _ in range(len(data[n][1]))]
    return x, y, balanced_weights(y, groups)


def evaluate(data: Data, features: Sequence[Feature]) -> list[tuple[str, str, Quality]]:
    """(train, test, quality) for in-domain CV, every pair, and leave-one-set-out."""
    rows: list[tuple[str, str, Quality]] = []
    names = list(data)
    for name in names:
        x, y = data[name]
        scores = cross_validated_scores(x, y, balanced_weights(y), features=features)
        rows.append((name, f"{name} (5-fold CV)", Quality.of(y, scores)))
    for train in names:
        x, y, w = pooled(data, [train])
        card = fit_scorecard(x, y, w, features=features)
        for test in names:
            if test != train:
                rows.append((train, test, Quality.of(data[test][1], card.score(data[test][0]))))
    for test in names:
        others = [n for n in names if n != test]
        x, y, w = pooled(data, others)
        card = fit_scorecard(x, y, w, features=features)
        rows.append(
            (" + ".join(others), test, Quality.of(data[test][1], card.score(data[test][0])))
        )
    return rows


def show(rows: list[tuple[str, str, Quality]]) -> None:
    print(
        f"{'train':42s} {'test':32s} {'n':>5s} {'AUC':>6s} {'prec':>6s} {'recall':>6s} "
        f"{'Brier':>6s} {'ECE':>6s}"
    )
    for train, test, q in rows:
        print(
            f"{train:42s} {test:32s} {q.n:5d} {q.auc:6.3f} {q.precision:6.3f} {q.recall:6.3f} "
            f"{q.brier:6.3f} {q.ece:6.3f}"
        )


def summary(rows: list[tuple[str, str, Quality]]) -> tuple[float, float, float]:
    """Mean AUC in-domain, over single-set transfers, and over leave-one-set-out."""
    own = [q.auc for tr, te, q in rows if te.startswith(tr)]
    pairs = [q.auc for tr, te, q in rows if not te.startswith(tr) and "+" not in tr]
    held = [q.auc for tr, _, q in rows if "+" in tr]
    return float(np.mean(own)), float(np.mean(pairs)), float(np.mean(held))


# -- the shipped weights ----------------------------------------------------------------------------


def literal(value: Any, indent: int = 0) -> str:
    """A Python literal that ``ruff format`` leaves as it is (expanded, trailing commas)."""
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = "".join(f"{pad}{literal(k)}: {literal(v, indent + 4)},\n" for k, v in value.items())
        return "{\n" + items + " " * indent + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = "".join(f"{pad}{literal(v, indent + 4)},\n" for v in value)
        return "[\n" + items + " " * indent + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def write_weights(data: Data) -> None:
    names = list(data)
    x, y, w = pooled(data, names)
    trained_on = [
        {
            "dataset": n,
            "source": SETS[n][1],
            "accounts": len(data[n][1]),
            "inauthentic": int(data[n][1].sum()),
        }
        for n in names
    ]
    card = fit_scorecard(x, y, w, trained_on=trained_on)
    for name in names:
        q = Quality.of(data[name][1], card.score(data[name][0]))
        print(
            f"shipped weights on {name} (in-sample): AUC {q.auc:.3f}, precision "
            f"{q.precision:.3f}, recall {q.recall:.3f}, Brier {q.brier:.3f}, ECE {q.ece:.3f}"
        )
    card = replace(
        card,
        note="Each set weighs the same and, within it, both classes the same: 0.5 is even "
        "odds. Weights are log-odds per standard deviation. A score weighs cohorts; it "
        "never flags one account (principle 2).",
    )
    body = (
        '"""The shipped account scorecard: written by ``python bench/signals.py '
        "--write-weights``,\nnot by hand. docs/signals.md shows it as a table with its "
        'measured quality."""\n\n'
        "from typing import Any\n\n"
        f"WEIGHTS: dict[str, Any] = {literal(card.as_dict())}\n"
    )
    WEIGHTS_FILE.write_text(body, encoding="utf-8")
    print(f"\nwrote {WEIGHTS_FILE.relative_to(ROOT)}")
    print(f"{'feature':14s} {'direction':>9s} {'mean':>8s} {'scale':>8s} {'weight':>8s}")
    for f, m, s, wt in zip(card.features, card.mean, card.scale, card.weight, strict=True):
        print(f"{f.name:14s} {f.direction:+9d} {m:8.3f} {s:8.3f} {wt:+8.3f}")
    print(f"{'intercept':14s} {'':9s} {'':8s} {'':8s} {card.intercept:+8.3f}")
    print("calibration", card.calibration)


# -- speed and the simulated cohort ---------------------------------------------------------------


def speed(tmp: Path) -> None:
    path = DATA / "followers" / "follower_profiles_sample.jsons"
    if not path.exists():
        return
    with Workspace(tmp / "followers.duckdb") as ws:
        ingest(ws, path, "profiles", build_activity=False)
        start = time.perf_counter()
        table = account_scores(ws)
        seconds = time.perf_counter() - start
        print(f"\nscored {table.num_rows:,} FollowerAnalyzer profiles in {seconds:.2f} s")


def simulated(tmp: Path, cards: dict[str, Scorecard]) -> None:
    """Median scores per simulated role, and the operation and the at-risk as cohorts."""
    simulate("default", seed=1, scale=1.0, out=tmp / "sim")
    with Workspace(tmp / "sim.duckdb") as ws:
        ingest(ws, tmp / "sim")
        with open(tmp / "sim" / "truth" / "accounts.csv", encoding="utf-8") as f:
            role = {r["account_id"]: r["role"] for r in csv.DictReader(f)}
        for label, card in cards.items():
            print(f"\nsimulated scenario (default, seed 1, scale 1), scorecard: {label}")
            table = account_scores(ws, card)
            ids = table.column("account_id").to_pylist()
            score = table.column("score").to_numpy()
            for name in sorted(set(role.values())):
                mine = np.array([role.get(a) == name for a in ids])
                print(f"  {name:10s} n={mine.sum():5d} median score {np.median(score[mine]):.3f}")
            for name in ("operation", "at_risk"):
                signal = cohort_signal(ws, [a for a, r in role.items() if r == name], card)
                print(f"  {name} as a cohort:", signal.summary if signal else "no scores")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-weights", action="store_true", help="write the shipped weights")
    parser.add_argument("--ablation", action="store_true", help="compare feature choices")
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"real data not found: {DATA}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="separ-signals-") as folder:
        tmp = Path(folder)
        start = time.perf_counter()
        data, spaces = load(tmp, FEATURES)
        print(
            f"loaded {', '.join(f'{n}: {len(d[1])}' for n, d in data.items())} labelled "
            f"accounts in {time.perf_counter() - start:.1f} s\n"
        )
        show(evaluate(data, FEATURES))
        if args.ablation:
            print(f"\n{'variant':42s} {'in-domain':>9s} {'pairs':>6s} {'held-out':>8s}  (mean AUC)")
            for name, features in VARIANTS.items():
                own, pairs, held = summary(evaluate(refeature(spaces, features), features))
                print(f"{name:42s} {own:9.3f} {pairs:6.3f} {held:8.3f}")
        if args.write_weights:
            write_weights(data)
        bio = VARIANTS["+ has bio, has link"]
        x, y, w = pooled(refeature(spaces, bio), list(SETS))
        cards = {
            "shipped": load_scorecard(),
            "+ has bio, has link": fit_scorecard(x, y, w, features=bio),
        }
        for ws in spaces.values():
            ws.close()
        speed(tmp)
        simulated(tmp, cards)
    return 0


if __name__ == "__main__":
    sys.exit(main())
