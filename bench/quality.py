"""Detection quality: planted operations in simulated scenarios, and real data sets.

    python bench/quality.py                # three simulated scenarios + the real sets
    python bench/quality.py --skip-real    # simulated only

Simulated (default scenario, three seeds/scales): operation accounts found (in any
campaign) — recall and precision over flagged accounts; at-risk accounts placed in a
campaign, as a share of the at-risk cohort and compared with the organic population.
Targets: recall >= 0.95, precision >= 0.95, at-risk <= 0.5% and no higher than organic.

Real: CooRTweet's russian_coord_tweets.csv and german_elections.csv (shares importer)
and the IRA sample (campaigns, sizes, and their purity against account_category as
normalised mutual information). Real data are read from ../shared/data when present.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import shutil
import time
from collections import Counter
from pathlib import Path

from separ.campaigns import build_campaigns
from separ.detectors import DETECTORS, build, run_detectors
from separ.ingest import ingest
from separ.simulate import simulate
from separ.workspace import Workspace

OUT = Path(__file__).resolve().parent / "out" / "quality"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SCENARIOS = [(1, 1.0), (2, 0.5), (3, 2.0)]


def detect(ws: Workspace) -> tuple[list[str], float]:
    start = time.perf_counter()
    run_detectors(ws, [build(name) for name in sorted(DETECTORS)])
    campaigns = build_campaigns(ws)
    return [a for c in campaigns for a in c.accounts], time.perf_counter() - start


def simulated(seed: int, scale: float) -> dict[str, object]:
    folder = OUT / f"sim-{seed}-{scale:g}"
    shutil.rmtree(folder, ignore_errors=True)
    simulate("default", seed=seed, scale=scale, out=folder / "data")
    with Workspace(folder / "ws.duckdb") as ws:
        ingest(ws, folder / "data")
        flagged_list, seconds = detect(ws)
        campaigns = ws.sql("SELECT count(*) FROM campaigns")[0][0]
    with open(folder / "data" / "truth" / "accounts.csv", encoding="utf-8") as f:
        role = {r["account_id"]: r["role"] for r in csv.DictReader(f)}
    flagged = set(flagged_list)
    cohort = Counter(role.values())
    hit = Counter(role[a] for a in flagged)
    operation = hit["operation"]
    return {
        "seed": seed,
        "scale": scale,
        "accounts": len(role),
        "campaigns": campaigns,
        "flagged": len(flagged),
        "recall": operation / cohort["operation"],
        "precision": operation / len(flagged) if flagged else 0.0,
        "at_risk_flagged": hit["at_risk"],
        "at_risk_rate": hit["at_risk"] / cohort["at_risk"],
        "organic_rate": hit["organic"] / cohort["organic"],
        "detect_seconds": seconds,
    }


def nmi(labels_a: list[str], labels_b: list[str]) -> float:
    """Normalised mutual information (arithmetic mean normalisation)."""
    n = len(labels_a)
    ca, cb, joint = (
        Counter(labels_a),
        Counter(labels_b),
        Counter(zip(labels_a, labels_b, strict=True)),
    )
    mi = sum(c / n * math.log(c * n / (ca[a] * cb[b])) for (a, b), c in joint.items())
    ha = -sum(c / n * math.log(c / n) for c in ca.values())
    hb = -sum(c / n * math.log(c / n) for c in cb.values())
    return 0.0 if ha + hb == 0 else 2 * mi / (ha + hb)


def real(name: str, path: Path, options: dict[str, str] | None = None) -> dict[str, object]:
    folder = OUT / f"real-{name}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with Workspace(folder / "ws.duckdb") as ws:
        start = time.perf_counter()
        ingest(ws, path, "shares", options=options)
        ingest_s = time.perf_counter() - start
        _, seconds = detect(ws)
        sizes = [
            len(r[0]) for r in ws.sql("SELECT accounts FROM campaigns ORDER BY len(accounts) DESC")
        ]
        summaries = [
            r[0]
            for r in ws.sql("SELECT summary FROM campaigns ORDER BY len(accounts) DESC LIMIT 5")
        ]
        members = ws.sql("SELECT campaign_id, unnest(accounts) FROM campaigns")
        accounts = ws.sql("SELECT count(*) FROM accounts")[0][0]
    result: dict[str, object] = {
        "data": name,
        "accounts": accounts,
        "campaigns": len(sizes),
        "sizes": sizes[:20],
        "accounts_in_campaigns": sum(sizes),
        "largest_summaries": summaries,
        "ingest_seconds": ingest_s,
        "detect_seconds": seconds,
    }
    result["members"] = members
    return result


def ira() -> dict[str, object] | None:
    tweets = DATA / "ira_sample" / "ira_tweets_sample.csv.gz"
    if not tweets.exists():
        return None
    options = {"account": "author_id", "time": "publish_date", "text": "content"}
    result = real("ira", tweets, options)
    with open(DATA / "ira_sample" / "ira_authors_sample.csv", encoding="utf-8") as f:
        category = {r["author_id"]: r["account_category"] for r in csv.DictReader(f)}
    members = [(c, a) for c, a in result.pop("members") if a in category]  # type: ignore[union-attr]
    result["nmi_vs_account_category"] = (
        nmi([c for c, _ in members], [category[a] for _, a in members]) if members else None
    )
    result["categories_in_campaigns"] = dict(Counter(category[a] for _, a in members))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {"simulated": [], "real": []}
    for seed, scale in SCENARIOS:
        r = simulated(seed, scale)
        results["simulated"].append(r)  # type: ignore[union-attr]
        print(
            f"seed {seed} scale {scale:g}: {r['accounts']:,} accounts, {r['campaigns']} campaigns, "
            f"recall {r['recall']:.3f}, precision {r['precision']:.3f}, at-risk flagged "
            f"{r['at_risk_flagged']} ({r['at_risk_rate']:.2%}; organic {r['organic_rate']:.2%}), "
            f"detect {r['detect_seconds']:.1f} s",
            flush=True,
        )
    if not args.skip_real:
        for name, path in [
            ("russian_coord_tweets", DATA / "coortweet" / "russian_coord_tweets.csv"),
            ("german_elections", DATA / "coortweet" / "german_elections.csv"),
        ]:
            if path.exists():
                r = real(name, path)
                r.pop("members")
                results["real"].append(r)  # type: ignore[union-attr]
                print(json.dumps(r, indent=1, default=str), flush=True)
        r2 = ira()
        if r2:
            results["real"].append(r2)  # type: ignore[union-attr]
            print(json.dumps(r2, indent=1, default=str), flush=True)
    (OUT / "quality.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
