"""Detection quality: planted operations in simulated scenarios, and real data sets.

    python bench/quality.py                # three simulated scenarios + the real sets
    python bench/quality.py --skip-real    # simulated only

Simulated (default scenario, three seeds/scales): operation accounts found (in any
campaign) — recall and precision over flagged accounts; at-risk accounts placed in a
campaign, as a share of the at-risk cohort and compared with the organic population.
Targets: recall >= 0.95, precision >= 0.95, at-risk <= 0.5% and no higher than organic.
Attacks on a person: follow-swarm accounts (truth: follows labelled ``follow_swarm:``)
found by ``follow_swarm`` — recall and precision; brigade reports (truth ``brigade``)
identified by ``report_brigade`` — recall, and the share of organic reports misattributed;
at-risk accounts flagged by any target-centric detector. Targets: >= 0.95, >= 0.95,
<= 1%, <= 0.5%.

    python bench/quality.py --reuse        # keep simulated workspaces from an earlier run

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


TARGETED = ("follow_swarm", "lockstep", "report_brigade", "reply_swarm", "reused_images")
"""The detectors that look at one target and the cohorts that attack it."""


def simulated(seed: int, scale: float, reuse: bool = False) -> dict[str, object]:
    folder = OUT / f"sim-{seed}-{scale:g}"
    if not (reuse and (folder / "ws.duckdb").exists()):
        shutil.rmtree(folder, ignore_errors=True)
        simulate("default", seed=seed, scale=scale, out=folder / "data")
        with Workspace(folder / "ws.duckdb") as ws:
            ingest(ws, folder / "data")
    with Workspace(folder / "ws.duckdb") as ws:
        flagged_list, seconds = detect(ws)
        campaigns = ws.sql("SELECT count(*) FROM campaigns")[0][0]
        by_detector = {
            name: {
                a
                for (a,) in ws.sql(
                    "SELECT DISTINCT unnest(accounts) FROM findings WHERE detector = ?", [name]
                )
            }
            for name in TARGETED
        }
        brigaded = _brigade_reports(ws)
    truth = folder / "data" / "truth"
    with open(truth / "accounts.csv", encoding="utf-8") as f:
        role = {r["account_id"]: r["role"] for r in csv.DictReader(f)}
    flagged = set(flagged_list)
    cohort = Counter(role.values())
    hit = Counter(role[a] for a in flagged)
    operation = hit["operation"]
    result: dict[str, object] = {
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
    with open(truth / "follows.csv", encoding="utf-8") as f:
        swarm = {
            r["follower_id"] for r in csv.DictReader(f) if r["campaign"].startswith("follow_swarm:")
        }
    found = by_detector["follow_swarm"]
    if "follow_swarm" in DETECTORS and swarm:
        result["swarm_recall"] = len(found & swarm) / len(swarm)
        result["swarm_precision"] = len(found & swarm) / len(found) if found else 0.0
    with open(truth / "reports.csv", encoding="utf-8") as f:
        reports = {r["report_id"]: r["brigade"] == "true" for r in csv.DictReader(f)}
    if brigaded is not None:
        brigade = {r for r, b in reports.items() if b}
        organic = set(reports) - brigade
        result["brigade_report_recall"] = len(brigaded & brigade) / max(1, len(brigade))
        result["organic_reports_misattributed"] = len(brigaded & organic) / max(1, len(organic))
    targeted = set().union(*by_detector.values())
    result["at_risk_targeted_rate"] = (
        sum(1 for a in targeted if role.get(a) == "at_risk") / cohort["at_risk"]
    )
    return result


def _brigade_reports(ws: Workspace) -> set[str] | None:
    """Report ids the brigade detector attributes to a brigade (None without it)."""
    try:
        from separ.detectors.brigade import brigade_reports
    except ImportError:
        return None
    return set(brigade_reports(ws).column("report_id").to_pylist())


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
    parser.add_argument("--reuse", action="store_true", help="keep earlier simulated workspaces")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {"simulated": [], "real": []}
    for seed, scale in SCENARIOS:
        r = simulated(seed, scale, args.reuse)
        results["simulated"].append(r)  # type: ignore[union-attr]
        print(
            f"seed {seed} scale {scale:g}: {r['accounts']:,} accounts, {r['campaigns']} campaigns, "
            f"recall {r['recall']:.3f}, precision {r['precision']:.3f}, at-risk flagged "
            f"{r['at_risk_flagged']} ({r['at_risk_rate']:.2%}; organic {r['organic_rate']:.2%}), "
            f"detect {r['detect_seconds']:.1f} s",
            flush=True,
        )
        extra = {k: v for k, v in r.items() if k.startswith(("swarm", "brigade", "organic_rep"))}
        extra["at_risk_targeted_rate"] = r["at_risk_targeted_rate"]
        print("  " + ", ".join(f"{k} {v:.3f}" for k, v in extra.items()), flush=True)
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
