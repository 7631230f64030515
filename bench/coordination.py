"""Separ's co-action engine side by side with the QUT coordination-network-toolkit.

    python bench/coordination.py                 # 1M simulated posts, window 600 s
    python bench/coordination.py --rows 100000   # quick check

The simulator writes the default scenario (about ``--rows`` posts; its planted operation
is the ground truth) into bench/out/coordination/; the posts are exported to the
toolkit's CSV format, and the toolkit (``pip install coordination-network-toolkit``) is
installed into a throwaway virtual environment there. Four layers are compared:

    toolkit            Separ
    co_retweet         repost
    co_tweet           post (exact copies after Separ's text folding)
    co_link            link
    co_similar_tweet   post with near-duplicates (``separ.neardup``)

Times include ingest for both: the toolkit's preprocessing (CSV into SQLite, through its
own ``preprocess_data``: the CLI's CSV reader turns an empty ``urls`` field into the link
"" that every post without a link would share in co_link) plus its
``compute`` (with ``--time_window`` given explicitly, it defaults to 1 s, and a graphml
``--output_file``: its CSV output crashes); Separ's native ingest (posts only, loaded
once, as the toolkit preprocesses once) plus, per layer, the build of that layer's
activity (for co_tweet and co_similar the Persian-aware folding and near-duplicate grouping
of every text) and ``coaction_edges``. Every run is a fresh subprocess;
peak memory is its maximum resident set (``/usr/bin/time``; for the toolkit, the largest
of its worker processes). A toolkit run longer than ``--timeout`` is stopped and reported
as "> N s".

Planted pairs of a layer: two operation accounts of the same operator that co-act (same
reposted post, same copy-paste text, same link, same copy-paste message) within the
window on at least ``--planted-min`` objects of their campaign posts. For each tool's
network (the toolkit's edges; Separ's raw candidate pairs at the toolkit's minimum,
``alpha=1`` and ``min_shared`` = ``--min-weight``; Separ's significant edges) the
recovery table gives the planted pairs it links directly ("pairs"), those whose two
accounts it connects through any path ("linked": what clustering the network into
campaigns recovers), and the share of its edges with both accounts in the operation ("op
share", a precision). Separ links pairs directly only up to ``--pair-cap`` accounts per
burst: in a denser burst on one object (an operator's hundreds of accounts posting one
text) each action is paired with about that many others, so the burst stays connected
without its quadratic number of pairs. The toolkit pairs everyone. Edge agreement is the
Jaccard index of the toolkit's edges (``--min_edge_weight``, a pair kept when both
directions reach it) and Separ's raw or significant ones.
Targets: >= 10x faster than the toolkit on every layer, same or better recovery.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from separ.workspace import remove_workspace

OUT = Path(__file__).resolve().parent / "out"
HERE = OUT / "coordination"
VENV = HERE / "qut-venv"
POSTS_PER_SCALE = 44_660  # posts the default scenario writes per unit of scale (seed 1)
PYTHON312 = ("python3.12", "/root/.pyenv/versions/3.12.1/bin/python3")

# toolkit network -> (Separ verb, label)
LAYERS = {
    "co_retweet": ("repost", "co-retweet"),
    "co_tweet": ("post", "co-tweet"),
    "co_link": ("link", "co-link"),
    "co_similar_tweet": ("post_neardup", "co-similar-text"),
}

SEPAR_CHILD = """
import json, resource, sys, time
from separ.detectors.coaction import coaction_edges
from separ.ingest import ingest, ingest_memory
from separ.workspace import Workspace
import separ.activity

src, db, out, window, alpha, min_shared, max_obj, raw_min = sys.argv[1:9]
layers = sys.argv[9].split(",")
window, alpha, min_shared, max_obj, raw_min = (
    float(window), float(alpha), int(min_shared), int(max_obj), int(raw_min))
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
result = {"layers": {}}




def layer_edges(ws, verb, alpha, min_shared):
    # coaction_edges stores the layer's kept edges in the table coaction_edges (older
    # versions also returned them); clear the verb's rows first, read them back after
    ws.con.execute("DELETE FROM coaction_edges WHERE verb = ?", [verb])
    t = time.perf_counter()
    coaction_edges(ws, verb, window, alpha, min_shared, max_obj)
    seconds = time.perf_counter() - t
    rows = ws.con.execute("SELECT a, b FROM coaction_edges WHERE verb = ?", [verb]).fetchall()
    return seconds, [list(r) for r in rows]


with Workspace(db) as ws:
    t = time.perf_counter()
    report = ingest(ws, src, "native", build_activity=False)  # each layer builds its own
    result["ingest_seconds"] = time.perf_counter() - t
    result["records"] = report.records
    result["peak_mb_ingest"] = peak()
    for verb in layers:
        info = {}
        t = time.perf_counter()
        # the post layer groups near-duplicates (separ.neardup): co_tweet and co_similar
        verb_used = "post" if verb == "post_neardup" else verb
        with ingest_memory(ws):
            separ.activity.build_activity(ws, [verb_used])
        info["activity_seconds"] = time.perf_counter() - t
        prep = time.perf_counter() - t
        seconds, info["edges"] = layer_edges(ws, verb_used, alpha, min_shared)
        info["seconds"] = prep + seconds
        info["verb"] = verb_used
        info["raw_seconds"], info["raw_edges"] = layer_edges(ws, verb_used, 1.0, raw_min)
        info["peak_mb"] = peak()
        result["layers"][verb] = info
open(out, "w").write(json.dumps(result))
"""


PREPROCESS = """
import csv, sys
from coordination_network_toolkit.preprocess import preprocess_data
db, path = sys.argv[1:3]
with open(path, encoding="utf-8") as f:
    reader = csv.reader(f)
    next(reader)
    preprocess_data(db, ((*row[:-1], [u for u in row[-1].split(" ") if u]) for row in reader))
"""
"""The toolkit's own ``preprocess_csv_files`` less one bug: it splits an empty ``urls``
field into ``[""]``, so every post without a link would "share" the link "" in co_link."""


# --- data --------------------------------------------------------------------------------


def generate(rows: int) -> Path:
    from separ.simulate import simulate

    folder = HERE / f"sim-{rows}"
    if not (folder / "truth" / "scenario.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        t = time.perf_counter()
        simulate("default", seed=1, scale=rows / POSTS_PER_SCALE, out=folder, fmt="parquet")
        print(f"simulated ~{rows:,} posts in {time.perf_counter() - t:.1f} s", flush=True)
    return folder


def posts_only(folder: Path) -> Path:
    """A native folder holding only the posts table (the toolkit gets nothing else)."""
    native = folder.parent / f"{folder.name}-posts"
    native.mkdir(exist_ok=True)
    link = native / "posts.parquet"
    if not link.exists():
        link.symlink_to(folder / "posts.parquet")
    return native


def export_csv(folder: Path) -> tuple[Path, int]:
    """The posts in the toolkit's CSV columns (reposts carry ``repost_id``, replies
    ``reply_id``; ``timestamp`` in epoch seconds; ``urls`` space-separated)."""
    import duckdb

    csv = folder.parent / f"{folder.name}-toolkit.csv"
    con = duckdb.connect()
    if not csv.exists():
        con.execute(
            f"""COPY (
              SELECT post_id AS message_id, account_id AS user_id, account_id AS username,
                     CASE WHEN kind = 'repost' THEN ref_post_id ELSE '' END AS repost_id,
                     CASE WHEN kind = 'reply' THEN ref_post_id ELSE '' END AS reply_id,
                     coalesce(text, '') AS message,
                     CAST(epoch(created_at) AS BIGINT) AS timestamp,
                     coalesce(array_to_string(urls, ' '), '') AS urls
              FROM '{folder / "posts.parquet"}' ORDER BY created_at
            ) TO '{csv}' (HEADER, FORCE_QUOTE *)"""
        )
    n = con.execute(f"SELECT count(*) FROM '{folder / 'posts.parquet'}'").fetchone()
    return csv, int(n[0]) if n else 0


def operation_accounts(folder: Path) -> set[str]:
    import duckdb

    rows = (
        duckdb.connect()
        .execute(
            f"SELECT account_id FROM read_csv('{folder / 'truth' / 'accounts.csv'}', "
            "all_varchar = true) WHERE role = 'operation'"
        )
        .fetchall()
    )
    return {str(r[0]) for r in rows}


def planted_pairs(folder: Path, window: float, min_objects: int) -> dict[str, set[tuple[str, str]]]:
    """Per toolkit network: same-operator pairs of operation accounts co-acting on at
    least ``min_objects`` of their campaign's objects within ``window``."""
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"""CREATE TABLE camp AS
        SELECT p.post_id, p.account_id AS actor, a.operator, t.campaign,
               CAST(epoch(p.created_at) AS DOUBLE) AS ts, p.kind, p.ref_post_id, p.text, p.urls
        FROM '{folder / "posts.parquet"}' p
        JOIN read_csv('{folder / "truth" / "posts.csv"}', all_varchar = true) t USING (post_id)
        JOIN read_csv('{folder / "truth" / "accounts.csv"}', all_varchar = true) a
          ON a.account_id = p.account_id
        WHERE a.role = 'operation'"""
    )
    # one copy-paste message = one burst of its campaign (posts within 20 min of the first)
    con.execute(
        """CREATE TABLE copy AS
        SELECT *, campaign || '#' || sum(new) OVER (PARTITION BY campaign ORDER BY ts) AS message
        FROM (SELECT *, CASE WHEN ts - lag(ts) OVER (PARTITION BY campaign ORDER BY ts) > 1800
                             OR lag(ts) OVER (PARTITION BY campaign ORDER BY ts) IS NULL
                        THEN 1 ELSE 0 END AS new
              FROM camp WHERE campaign LIKE 'copypasta:%')"""
    )
    units = {
        "co_retweet": "SELECT actor, operator, ts, ref_post_id AS unit FROM camp "
        "WHERE campaign LIKE 'amplify:%' AND kind = 'repost'",
        "co_tweet": "SELECT actor, operator, ts, lower(trim(regexp_replace("
        "regexp_replace(text, '@\\S*', '', 'g'), '\\s+', ' ', 'g'))) AS unit FROM copy",
        "co_link": "SELECT actor, operator, ts, split_part(u, '?', 1) AS unit "
        "FROM copy, unnest(urls) AS x(u)",
        "co_similar_tweet": "SELECT actor, operator, ts, message AS unit FROM copy",
    }
    out: dict[str, set[tuple[str, str]]] = {}
    for network, query in units.items():
        rows = con.execute(
            f"""WITH u AS ({query})
            SELECT x.actor, y.actor FROM u x JOIN u y
              ON x.unit = y.unit AND x.operator = y.operator AND x.actor < y.actor
             AND abs(x.ts - y.ts) <= {float(window)}
            GROUP BY 1, 2 HAVING count(DISTINCT x.unit) >= {int(min_objects)}"""
        ).fetchall()
        out[network] = {(a, b) for a, b in rows}
    return out


# --- runs ----------------------------------------------------------------------------------


def venv() -> Path:
    python = VENV / "bin" / "python"
    if not (VENV / "bin" / "compute_networks").exists():
        base = next((p for p in PYTHON312 if shutil.which(p) or Path(p).exists()), None)
        if base is None:
            sys.exit("no Python 3.12 to build the toolkit's virtual environment")
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "coordination-network-toolkit"],
            check=True,
        )
    return VENV / "bin" / "compute_networks"


def timed(cmd: list[str], timeout: float, log: Path) -> dict[str, Any]:
    """Run ``cmd`` in its own process group; wall seconds, peak MB, or a timeout."""
    prefix = ["/usr/bin/time", "-f", "PEAK_KB %M"] if Path("/usr/bin/time").exists() else []
    t = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            prefix + cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return {"seconds": None, "timeout": timeout, "peak_mb": None}
    seconds = time.perf_counter() - t
    text = log.read_text(errors="replace")
    if rc != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({rc}); see {log}:\n{text[-2000:]}")
    peaks = [int(line.split()[1]) for line in text.splitlines() if line.startswith("PEAK_KB ")]
    return {"seconds": seconds, "timeout": None, "peak_mb": peaks[-1] / 1024 if peaks else None}


def toolkit_edges(db: Path, network: str, min_weight: int) -> set[tuple[str, str]]:
    """Undirected pairs whose weight reaches ``min_weight`` in both directions."""
    con = sqlite3.connect(db)
    weights: dict[tuple[str, str], list[int]] = {}
    for a, b, w in con.execute(
        f"SELECT user_1, user_2, weight FROM {network}_network WHERE user_1 != user_2"
    ):
        key = (str(a), str(b)) if str(a) < str(b) else (str(b), str(a))
        weights.setdefault(key, []).append(int(w))
    con.close()
    return {k for k, ws in weights.items() if len(ws) == 2 and min(ws) >= min_weight}


def run_toolkit(csv: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The toolkit's runs; with ``--reuse-toolkit``, those saved by an earlier run with the
    same posts and settings (the toolkit does not change between runs of Separ)."""
    saved = HERE / f"toolkit-result-{args.rows}.json"
    settings = {k: vars(args)[k] for k in ("rows", "window", "timeout", "min_weight", "similarity")}
    settings["csv_bytes"] = csv.stat().st_size
    if args.reuse_toolkit and saved.exists():
        old = json.loads(saved.read_text())
        if old["settings"] == settings and set(args.layers) <= set(old["result"]["layers"]):
            print("toolkit: reusing the runs saved in toolkit-result.json", flush=True)
            result: dict[str, Any] = old["result"]
            for r in result["layers"].values():
                if r["edges"] is not None:
                    r["edges"] = {(a, b) for a, b in r["edges"]}
            return result
    result = _run_toolkit(csv, args)
    plain = {
        **result,
        "layers": {
            n: {**r, "edges": None if r["edges"] is None else sorted(r["edges"])}
            for n, r in result["layers"].items()
        },
    }
    saved.write_text(json.dumps({"settings": settings, "result": plain}))
    return result


def _run_toolkit(csv: Path, args: argparse.Namespace) -> dict[str, Any]:
    cli = str(venv())
    db = HERE / "toolkit.db"
    for leftover in HERE.glob("toolkit.db*"):
        leftover.unlink()
    print("toolkit: preprocess ...", flush=True)
    python = str(VENV / "bin" / "python")
    pre = timed(
        [python, "-c", PREPROCESS, str(db), str(csv)], args.timeout, HERE / "toolkit-pre.log"
    )
    print(f"  {pre['seconds']:.1f} s, peak {pre['peak_mb']:,.0f} MB", flush=True)
    result: dict[str, Any] = {"preprocess": pre, "layers": {}}
    for network in args.layers:
        cmd = [
            cli,
            str(db),
            "compute",
            network,
            "--time_window",
            str(int(args.window)),
            "--min_edge_weight",
            str(args.min_weight),
            "--output_format",
            "graphml",
            "--output_file",
            str(HERE / f"toolkit-{network}.graphml"),
        ]
        if network == "co_similar_tweet":
            cmd += ["--similarity_threshold", str(args.similarity)]
        print(f"toolkit: {network} ...", flush=True)
        r = timed(cmd, args.timeout, HERE / f"toolkit-{network}.log")
        r["edges"] = None if r["timeout"] else toolkit_edges(db, network, args.min_weight)
        shown = f"> {args.timeout:.0f} s" if r["timeout"] else f"{r['seconds']:.1f} s"
        print(f"  {shown}", flush=True)
        result["layers"][network] = r
    return result


def run_separ(native: Path, args: argparse.Namespace) -> dict[str, Any]:
    db = HERE / "separ.duckdb"
    remove_workspace(db)
    out = HERE / "separ-result.json"
    verbs = [LAYERS[n][0] for n in args.layers]
    print("separ: ingest + layers ...", flush=True)
    r = timed(
        [
            sys.executable,
            "-c",
            SEPAR_CHILD,
            str(native),
            str(db),
            str(out),
            str(args.window),
            str(args.alpha),
            str(args.min_shared),
            str(args.pair_cap),
            str(args.min_weight),
            ",".join(verbs),
        ],
        10 * args.timeout,
        HERE / "separ.log",
    )
    result: dict[str, Any] = json.loads(out.read_text())
    result["wall_seconds"] = r["seconds"]
    result["peak_mb"] = r["peak_mb"]
    remove_workspace(db)
    return result


# --- comparison ----------------------------------------------------------------------------


def pairs(edges: list[list[str]]) -> set[tuple[str, str]]:
    return {(a, b) if a < b else (b, a) for a, b in edges}


def jaccard(x: set[tuple[str, str]], y: set[tuple[str, str]]) -> float | None:
    union = len(x | y)
    return len(x & y) / union if union else None


def recall(found: set[tuple[str, str]] | None, planted: set[tuple[str, str]]) -> float | None:
    if found is None or not planted:
        return None
    return len(found & planted) / len(planted)


def linked(found: set[tuple[str, str]] | None, planted: set[tuple[str, str]]) -> float | None:
    """The share of planted pairs whose two accounts are connected (by any path) in the
    network ``found``: the pair's coordination is recovered even where a thinned network
    links it through other members of its group rather than directly."""
    import igraph as ig

    if found is None or not planted:
        return None
    names = sorted({a for pair in found for a in pair})
    index = {n: i for i, n in enumerate(names)}
    graph = ig.Graph(n=len(names), edges=[(index[a], index[b]) for a, b in found])
    member: list[int] = graph.connected_components().membership
    hits = sum(
        a in index and b in index and member[index[a]] == member[index[b]] for a, b in planted
    )
    return hits / len(planted)


def op_share(found: set[tuple[str, str]] | None, operation: set[str]) -> float | None:
    """The share of edges with both accounts in the planted operation (a precision)."""
    if not found:
        return None
    return sum(a in operation and b in operation for a, b in found) / len(found)


def fmt(x: float | None, spec: str = ".2f", none: str = "n/a") -> str:
    return none if x is None else format(x, spec)


def speed_table(rows: list[dict[str, Any]]) -> list[str]:
    header = (
        f"{'layer':16} {'toolkit s':>11} {'separ s':>9} {'speedup':>8} "
        f"{'tk edges':>9} {'raw':>9} {'sig':>9} {'J raw':>6} {'J sig':>6}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        if row["toolkit_seconds"] is None:
            tk_s, speed = f"> {row['toolkit_timeout']:.0f}", f">{row['speedup_at_least']:.0f}x"
        else:
            tk_s, speed = f"{row['toolkit_seconds']:.1f}", f"{row['speedup']:.1f}x"
        lines.append(
            f"{row['layer']:16} {tk_s:>11} {row['separ_seconds']:>9.1f} {speed:>8} "
            f"{fmt(row['toolkit_edges'], ','):>9} {row['separ_raw_edges']:>9,} "
            f"{row['separ_edges']:>9,} {fmt(row['jaccard_raw']):>6} "
            f"{fmt(row['jaccard_significant']):>6}"
        )
    return lines


def recovery_table(rows: list[dict[str, Any]]) -> list[str]:
    """Per network: planted pairs linked directly (pairs), connected in the network
    (linked), and the share of its edges inside the operation (op share)."""
    tools = (("toolkit", "toolkit"), ("separ_raw", "separ raw"), ("separ", "separ sig"))
    header = f"{'planted pairs':16} {'':>9} " + " ".join(
        f"{label + ': pairs':>16} {'linked':>6} {'op share':>8}" for _, label in tools
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        cells = " ".join(
            f"{fmt(row[f'recovery_{n}']):>16} {fmt(row[f'linked_{n}']):>6} "
            f"{fmt(row[f'op_share_{n}'], '.3f'):>8}"
            for n, _ in tools
        )
        lines.append(f"{row['layer']:16} {row['planted_pairs']:>9,} {cells}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="about this many posts")
    parser.add_argument("--window", type=float, default=600.0, help="seconds (both tools)")
    parser.add_argument("--timeout", type=float, default=900.0, help="per toolkit run (s)")
    parser.add_argument("--layers", nargs="+", default=list(LAYERS), choices=list(LAYERS))
    parser.add_argument("--min-weight", type=int, default=2, help="toolkit --min_edge_weight")
    parser.add_argument("--similarity", type=float, default=0.8, help="toolkit threshold")
    parser.add_argument("--alpha", type=float, default=1e-3)
    parser.add_argument("--min-shared", type=int, default=3)
    parser.add_argument("--pair-cap", type=int, default=16)
    parser.add_argument(
        "--reuse-toolkit",
        action="store_true",
        help="reuse the toolkit runs saved for the same --rows and settings",
    )
    parser.add_argument("--planted-min", type=int, default=3, help="co-actions per planted pair")
    args = parser.parse_args()
    HERE.mkdir(parents=True, exist_ok=True)

    folder = generate(args.rows)
    native = posts_only(folder)
    csv, n_posts = export_csv(folder)
    planted = planted_pairs(folder, args.window, args.planted_min)
    print(f"{n_posts:,} posts; window {args.window:g} s", flush=True)

    toolkit = run_toolkit(csv, args)
    separ = run_separ(native, args)

    pre = toolkit["preprocess"]["seconds"]
    ing = separ["ingest_seconds"]
    operation = operation_accounts(folder)
    rows = []
    for network in args.layers:
        verb, label = LAYERS[network]
        tk = toolkit["layers"][network]
        sp = separ["layers"][verb]
        tk_total = None if tk["timeout"] else pre + tk["seconds"]
        sp_total = ing + sp["seconds"]
        sig, raw = pairs(sp["edges"]), pairs(sp["raw_edges"])
        tk_edges = tk["edges"]
        truth = planted[network]
        row = {
            "layer": label,
            "toolkit_network": network,
            "separ_verb": sp["verb"],
            "toolkit_seconds": tk_total,
            "toolkit_timeout": None if tk["timeout"] is None else pre + tk["timeout"],
            "toolkit_compute_seconds": tk["seconds"],
            "toolkit_peak_mb": max(
                x for x in (toolkit["preprocess"]["peak_mb"], tk["peak_mb"], 0) if x is not None
            ),
            "separ_seconds": sp_total,
            "separ_layer_seconds": sp["seconds"],
            "separ_activity_seconds": sp.get("activity_seconds"),
            "separ_raw_seconds": sp["raw_seconds"],
            "speedup": None if tk_total is None else tk_total / sp_total,
            "speedup_at_least": (pre + tk["timeout"]) / sp_total if tk["timeout"] else None,
            "planted_pairs": len(truth),
            "jaccard_raw": None if tk_edges is None else jaccard(tk_edges, raw),
            "jaccard_significant": None if tk_edges is None else jaccard(tk_edges, sig),
            "toolkit_edges": None if tk_edges is None else len(tk_edges),
            "separ_raw_edges": len(raw),
            "separ_edges": len(sig),
        }
        for name, found in (("toolkit", tk_edges), ("separ_raw", raw), ("separ", sig)):
            row[f"recovery_{name}"] = recall(found, truth)
            row[f"linked_{name}"] = linked(found, truth)
            row[f"op_share_{name}"] = op_share(found, operation)
        rows.append(row)
    lines = [*speed_table(rows), "", *recovery_table(rows)]
    for row in rows:
        act = row["separ_activity_seconds"]
        lines.append(
            f"separ {row['layer']} ({row['separ_verb']}): layer {row['separ_layer_seconds']:.1f} s"
            + (f", of which building its activity {act:.1f} s" if act is not None else "")
            + (
                f"; toolkit compute {row['toolkit_compute_seconds']:.1f} s"
                f", peak {row['toolkit_peak_mb']:,.0f} MB"
                if row["toolkit_compute_seconds"] is not None
                else "; toolkit compute stopped at the timeout"
            )
        )
    lines.append(
        f"ingest: toolkit preprocess {pre:.1f} s (peak {toolkit['preprocess']['peak_mb']:,.0f} MB),"
        f" separ {ing:.1f} s; separ subprocess peak {fmt(separ['peak_mb'], ',.0f')} MB"
        f" (includes the untimed raw-candidate runs)"
    )
    print("\n" + "\n".join(lines), flush=True)
    summary = {
        "rows": n_posts,
        "window": args.window,
        "toolkit_min_edge_weight": args.min_weight,
        "toolkit_similarity_threshold": args.similarity,
        "separ": {
            "alpha": args.alpha,
            "min_shared": args.min_shared,
            "pair_cap": args.pair_cap,
            "ingest_seconds": ing,
            "peak_mb": separ["peak_mb"],
        },
        "toolkit_preprocess": toolkit["preprocess"],
        "planted_min": args.planted_min,
        "layers": rows,
        "table": lines,
    }
    (OUT / "coordination.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
