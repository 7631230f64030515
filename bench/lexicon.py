"""False matches of the threat/abuse lexicon on ordinary text, its speed, and the quality
of the ``reply_swarm`` detector on simulated scenarios.

    python bench/lexicon.py                 # real data + the simulated scenarios
    python bench/lexicon.py --skip-sim      # only the false-match measurement
    python bench/lexicon.py --show 20       # also print up to 20 matched texts per corpus
    python bench/lexicon.py --lexicon my.txt   # with an operator's extra lexicon file

False matches: how many texts of corpora that are *not* harassment the lexicon matches,
by category and by phrase, so that phrases that fire on ordinary speech can be pruned:

- ``persian/persian_topic_tweets.csv``: 4,674 ordinary Persian tweets on seven topics
  (politics, economy, health, sport, social, cultural, scientific);
- ``iran_io/iran_io_subset_tweets.csv``: 3,232 tweets (mostly Persian) of Iranian
  state-linked accounts, political and hostile in tone; a match here may be real abuse;
- ``ira_sample/ira_tweets_sample.csv.gz``: 225,859 tweets (mostly English) of IRA troll
  accounts, political; a match here may be real abuse as well.

``--show`` prints matched texts to the terminal for review; they are real people's posts,
so never paste them into docs or issues.

Simulated: the default scenario at three seeds/scales; the share of the planted reply-swarm
replies that findings cite (recall), the share of cited replies that are planted
(precision), flagged accounts that belong to the operation, and at-risk accounts flagged
as a share of the at-risk cohort (target: at most 0.5%).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from separ.lexicon import Lexicon, load_lexicon

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
OUT = Path(__file__).resolve().parent / "out" / "lexicon"
CORPORA = {
    "persian topic tweets": (DATA / "persian" / "persian_topic_tweets.csv", "tweet"),
    "iran_io state-linked tweets": (DATA / "iran_io" / "iran_io_subset_tweets.csv", "tweet_text"),
    "IRA troll tweets (English)": (DATA / "ira_sample" / "ira_tweets_sample.csv.gz", "content"),
}
SCENARIOS = [(11, 0.1), (1, 1.0), (2, 0.5)]


def _rows(path: Path, column: str) -> Iterator[str]:
    csv.field_size_limit(sys.maxsize)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            yield row.get(column) or ""


def false_matches(name: str, path: Path, column: str, lexicon: Lexicon, show: int) -> None:
    if not path.exists():
        print(f"\n{name}: {path} not found, skipped")
        return
    texts = list(_rows(path, column))
    start = time.process_time()
    found = lexicon.match_many(texts)
    seconds = time.process_time() - start
    distinct = len(set(texts))
    matched = [(t, m) for t, m in zip(texts, found, strict=True) if m]
    print(
        f"\n{name}: {len(texts):,} texts ({distinct:,} distinct), matched {len(matched):,} "
        f"({len(matched) / max(len(texts), 1):.2%}); {distinct / max(seconds, 1e-9):,.0f} "
        f"distinct texts/s"
    )
    by_category = Counter(c for _, m in matched for c in {c for c, _ in m})
    for category, n in by_category.most_common():
        print(f"  {category:<24} {n:>6,} texts")
    by_term = Counter((c, p) for _, m in matched for c, p in m)
    for (category, phrase), n in by_term.most_common(40):
        print(f"  {n:>6,}  {category:<24} {phrase}")
    for text, m in matched[:show]:
        print(f"    > {' '.join(text.split())[:160]}  {[p for _, p in m]}")


def scenario_quality(seed: int, scale: float) -> dict[str, float]:
    from separ.detectors import build, run_detectors
    from separ.detectors import replyswarm as _replyswarm  # noqa: F401  (registers it)
    from separ.ingest import ingest
    from separ.simulate import simulate
    from separ.workspace import Workspace

    folder = OUT / f"sim-{seed}-{scale:g}"
    shutil.rmtree(folder, ignore_errors=True)
    simulate("default", seed=seed, scale=scale, out=folder / "data")
    truth = folder / "data" / "truth"
    with open(truth / "accounts.csv", encoding="utf-8") as f:
        role = {r["account_id"]: r["role"] for r in csv.DictReader(f)}
    with open(truth / "posts.csv", encoding="utf-8") as f:
        planted = {
            f"p:{r['post_id']}"
            for r in csv.DictReader(f)
            if r["campaign"].startswith("reply_swarm:")
        }
    with Workspace(folder / "ws.duckdb") as ws:
        ingest(ws, folder / "data")
        posts = ws.count("posts")
        start = time.perf_counter()
        findings = run_detectors(ws, [build("reply_swarm")])
        seconds = time.perf_counter() - start
        swarmers = {
            a
            for (a,) in ws.sql(
                "SELECT DISTINCT account_id FROM posts WHERE 'p:' || post_id IN (SELECT unnest(?))",
                [sorted(planted)],
            )
        }
    # the hostile replies cited (not the target's own post they answer)
    cited = {
        e
        for f in findings
        for ev in f.evidence
        if not ev.what.startswith("the post by")
        for e in ev.event_ids
    }
    flagged = {a for f in findings for a in f.accounts}
    at_risk = sum(1 for r in role.values() if r == "at_risk")
    return {
        "seed": seed,
        "scale": scale,
        "posts": posts,
        "findings": len(findings),
        "planted": len(planted),
        "recall": len(cited & planted) / max(len(planted), 1),
        "precision": len(cited & planted) / max(len(cited), 1),
        "flagged": len(flagged),
        "swarmers_found": len(flagged & swarmers) / max(len(swarmers), 1),
        "operation_share": sum(role.get(a) == "operation" for a in flagged) / max(len(flagged), 1),
        "at_risk_flagged": sum(role.get(a) == "at_risk" for a in flagged) / max(at_risk, 1),
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-sim", action="store_true", help="only the false-match part")
    parser.add_argument("--skip-real", action="store_true", help="only the simulated part")
    parser.add_argument("--show", type=int, default=0, help="matched texts to print per corpus")
    parser.add_argument("--lexicon", action="append", default=[], help="extra lexicon file")
    args = parser.parse_args()
    lexicon = load_lexicon(args.lexicon)
    print(f"lexicon: {len(lexicon):,} spellings in {len(lexicon.categories)} categories")
    if not args.skip_real:
        for name, (path, column) in CORPORA.items():
            false_matches(name, path, column, lexicon, args.show)
    if not args.skip_sim:
        print("\nreply_swarm on the default scenario")
        for seed, scale in SCENARIOS:
            r = scenario_quality(seed, scale)
            print(
                f"  seed {r['seed']} scale {r['scale']:g}: {r['posts']:,} posts, "
                f"{r['findings']} findings; planted replies {r['planted']}, recall "
                f"{r['recall']:.3f}, precision {r['precision']:.3f}; {r['flagged']} accounts "
                f"flagged ({r['swarmers_found']:.1%} of the swarms' accounts), "
                f"{r['operation_share']:.1%} operation, at-risk flagged "
                f"{r['at_risk_flagged']:.2%} of the cohort; {r['seconds']:.2f} s"
            )


if __name__ == "__main__":
    main()
