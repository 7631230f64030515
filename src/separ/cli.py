"""The ``separ`` command: thin — it parses, calls the Python API, and prints.

Errors a user can fix are one line on stderr and a non-zero exit (see ``separ.errors``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from separ.errors import ParameterError, SeparError
from separ.ingest.read import Progress as Tick

app = typer.Typer(
    name="separ",
    help="Find coordinated inauthentic campaigns against activists, shield the targets, "
    "and keep an accountable record.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

WorkspaceArg = Annotated[
    Path,
    typer.Argument(
        help="Workspace file (created if missing), e.g. separ.duckdb.", show_default=False
    ),
]


@contextmanager
def _bytes_progress(label: str) -> Iterator[Callable[[int], Tick]]:
    with Progress(
        TextColumn(label),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:

        def start(total: int) -> Tick:
            task = bar.add_task(label, total=total)

            def tick(n: int) -> None:
                bar.advance(task, n)

            return tick

        yield start


@app.command()
def ingest(
    workspace: WorkspaceArg,
    path: Annotated[Path, typer.Argument(help="A source file or folder.", show_default=False)],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Source format; see `separ formats`.")
    ] = "native",
    force: Annotated[
        bool,
        typer.Option(help="Read files again even if already ingested (rows still de-duplicate)."),
    ] = False,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            help="A format's own setting as KEY=VALUE, repeatable (see `separ formats`).",
        ),
    ] = None,
) -> None:
    """Load a source file or folder into the workspace; bad rows go to the quarantine.

    Example: `separ ingest separ.duckdb demo-data/ --format native`

    Example: `separ ingest separ.duckdb followers.json --format followers --option followee=sim_target`
    """
    from separ.ingest import ingest as run
    from separ.workspace import Workspace

    options = dict(_key_value(o, "--option") for o in option or [])
    with Workspace(workspace) as ws, _bytes_progress("ingest") as start:
        report = run(ws, path, fmt, force=force, options=options, progress=start)
    table = Table(title=f"ingested into {workspace}")
    for col in ("file", "records", "loaded", "unchanged", "merged", "quarantined"):
        table.add_column(col, justify="left" if col == "file" else "right")
    for f in report.files:
        if f.skipped:
            table.add_row(f.source, "-", "-", "-", "-", f"skipped: {f.skipped}")
            continue
        table.add_row(
            f.source,
            f"{f.records:,}",
            f"{f.total('loaded'):,}",
            f"{f.total('unchanged'):,}",
            f"{f.total('merged'):,}",
            f"{f.quarantined:,}",
        )
    out.print(table)
    for f in report.files:
        if f.not_loaded:
            kinds = ", ".join(f"{what} {n:,}" for what, n in f.not_loaded.items())
            out.print(f"{f.source}: not loaded (no native table holds them): {kinds}")
    if report.activity_rows is not None:
        out.print(f"activity: {report.activity_rows:,} rows")
    bad = sum(f.quarantined for f in report.files)
    if bad:
        out.print(f"[yellow]{bad:,} records quarantined[/]: see `separ quarantine {workspace}`")


def _key_value(text: str, what: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ParameterError(f"{what} takes KEY=VALUE, not {text!r}")
    return key.strip(), value


@app.command()
def formats() -> None:
    """List the source formats `separ ingest --format` understands.

    Example: `separ formats`
    """
    from separ.ingest import IMPORTERS, options_of

    table = Table("format", "what it reads", "options (--option KEY=VALUE)")
    for name, cls in sorted(IMPORTERS.items()):
        table.add_row(name, cls.description, ", ".join(options_of(cls)))
    out.print(table)


@app.command()
def status(workspace: WorkspaceArg) -> None:
    """Show what a workspace holds: rows per table, schema version, ingest log.

    Example: `separ status separ.duckdb`
    """
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        counts = ws.counts()
        log = ws.sql(
            "SELECT ingest_id, source, format, rows_read, rows_loaded, rows_unchanged, "
            "rows_quarantined, status FROM ingest_log ORDER BY ingest_id"
        )
        version = ws.schema_version
    out.print(f"workspace {workspace} (schema version {version})")
    table = Table("table", "rows")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    out.print(table)
    if log:
        t = Table("id", "source", "format", "read", "loaded", "unchanged", "quarantined", "status")
        for row in log:
            t.add_row(*("" if v is None else str(v) for v in row))
        out.print(t)


@app.command()
def quarantine(
    workspace: WorkspaceArg,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 20,
    source: Annotated[str | None, typer.Option(help="Only rows from this source file.")] = None,
) -> None:
    """List quarantined records with their file, line and reason.

    Example: `separ quarantine separ.duckdb --limit 50`
    """
    from separ.workspace import Workspace

    where, params = ("WHERE source = ?", [source]) if source else ("", [])
    with Workspace(workspace, read_only=True) as ws:
        rows = ws.sql(
            f"SELECT source, line, table_name, reason FROM quarantine {where} "
            f"ORDER BY ingest_id, line LIMIT {int(limit)}",
            params,
        )
        total = ws.sql(f"SELECT count(*) FROM quarantine {where}", params)[0][0]
    table = Table("file", "line", "table", "reason", title=f"{total:,} quarantined records")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    out.print(table)


@app.command()
def export(
    workspace: WorkspaceArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="parquet, csv or jsonl.")] = "parquet",
) -> None:
    """Write the workspace's tables as a native folder (the format `ingest` reads).

    Example: `separ export separ.duckdb -o exported/ --format csv`
    """
    from separ.exports.native import export_native
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        written = export_native(ws, output, fmt)  # type: ignore[arg-type]
    for name, n in written.items():
        out.print(f"{output / name}.{fmt}: {n:,} rows")


@app.command()
def detect(
    workspace: WorkspaceArg,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only this detector (repeatable).")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="A detector setting as NAME.KEY=VALUE (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Run the detectors over the workspace and store their findings with evidence.

    Example: `separ detect separ.duckdb --only coaction --param coaction.window=300`
    """
    from separ.detectors import DETECTORS, build, run_detectors
    from separ.workspace import Workspace

    names = only or sorted(DETECTORS)
    overrides: dict[str, dict[str, str]] = {n: {} for n in names}
    for text in param or []:
        key, value = _key_value(text, "--param")
        name, _, setting = key.partition(".")
        if name not in overrides or not setting:
            raise ParameterError(
                f"--param {text!r}: expected NAME.KEY=VALUE for one of {', '.join(names)}"
            )
        overrides[name][setting] = value
    detectors = [build(n, overrides[n]) for n in names]
    from separ.campaigns import build_campaigns

    with Workspace(workspace) as ws, err.status("detecting") as status:
        findings = run_detectors(ws, detectors, lambda n: status.update(f"running {n}"))
        status.update("clustering campaigns")
        found = build_campaigns(ws)
    if as_json:
        import json

        out.print_json(json.dumps([f.as_json() for f in findings], default=str))
        return
    title = f"{len(findings)} findings"
    table = Table("finding", "accounts", "score", "what happened", title=title)
    for f in findings:
        table.add_row(f.finding_id, str(len(f.accounts)), f"{f.score:.3f}", f.summary)
    out.print(table)
    out.print(f"{len(found)} campaigns: see `separ campaigns {workspace}`")


@app.command()
def campaigns(
    workspace: WorkspaceArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the campaigns as JSON.")] = False,
) -> None:
    """List the campaigns found by `separ detect`, largest first.

    Example: `separ campaigns separ.duckdb --json`
    """
    from separ.campaigns import campaign_json, load_campaigns
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        found = load_campaigns(ws)
    if as_json:
        import json

        out.print_json(json.dumps([campaign_json(c) for c in found], default=str))
        return
    title = f"{len(found)} campaigns"
    table = Table("campaign", "accounts", "targets", "layers", "what happened", title=title)
    for c in found:
        layers = ", ".join(f"{k} {v}" for k, v in c.layers.items())
        table.add_row(c.campaign_id, str(len(c.accounts)), str(len(c.targets)), layers, c.summary)
    out.print(table)


@app.command()
def explain(
    workspace: WorkspaceArg,
    key: Annotated[str, typer.Argument(help="A campaign id (c-...) or an account id or handle.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the trail as JSON.")] = False,
) -> None:
    """Show the evidence trail of a campaign or an account, down to event ids.

    Example: `separ explain separ.duckdb c-1a2b3c4d5e`
    """
    from separ.campaigns import explain as trail
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        result = trail(ws, key)
    if as_json:
        import json

        out.print_json(json.dumps(result, default=str))
        return
    if "campaign" in result:
        c = result["campaign"]
        out.print(f"[bold]{c['campaign_id']}[/]: {c['summary']}")
        out.print(f"accounts ({len(c['accounts'])}): {', '.join(c['accounts'])}")
        out.print(f"targets: {', '.join(c['targets']) or 'none'}")
        hints = c["hints"]
        if hints.get("affiliated_members") or hints.get("amplifies_affiliated"):
            out.print(f"attribution hints: {hints}")
    else:
        count = len(result["campaigns"])
        out.print(f"[bold]account {result['account']}[/] in {count} campaign(s)")
        for c in result["campaigns"]:
            out.print(f"  {c['campaign_id']}: {c['summary']}")
    table = Table("layer", "pair", "shared", "expected", "q", "event ids", title="co-action edges")
    for e in result["edges"]:
        table.add_row(
            e["layer"],
            " ~ ".join(e["accounts"]),
            str(e["shared"]),
            f"{e['expected']:.3g}",
            f"{e['q']:.2g}",
            ", ".join(e["event_ids"]),
        )
    out.print(table)
    for f in result["findings"]:
        out.print(f"[bold]{f['finding_id']}[/]: {f['summary']}")
        for ev in f["evidence"]:
            out.print(f"  {ev['what']}: {', '.join(ev['event_ids'])}")


@app.command()
def signals(
    workspace: WorkspaceArg,
    account: Annotated[
        str | None, typer.Option("--account", help="Explain one account's score, term by term.")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Show this many accounts.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """The account scorecard: an interpretable inauthenticity score per account, which
    only ever weighs a cohort (it never flags one account on its own).

    Example: `separ signals separ.duckdb --account 1000042`
    """
    import json

    from separ.signals import account_scores, explain_score
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        if account is not None:
            why = explain_score(ws, account)
            if as_json:
                out.print_json(json.dumps({"summary": why.summary, **_asdict(why)}, default=str))
                return
            out.print(why.summary)
            table = Table("feature", "value", "weight", "contribution", title="terms")
            for c in why.contributions:
                table.add_row(c.feature, c.shown, f"{c.weight:+.3f}", f"{c.contribution:+.3f}")
            out.print(table)
            return
        scores = account_scores(ws).sort_by([("score", "descending"), ("account_id", "ascending")])
    rows = scores.slice(0, top).to_pylist()
    if as_json:
        out.print_json(json.dumps(rows, default=str))
        return
    table = Table("account", "score", "top terms", title=f"{scores.num_rows:,} accounts scored")
    for r in rows:
        terms = ", ".join(f"{t['feature']} {t['contribution']:+.2f}" for t in r["top"] or [])
        table.add_row(str(r["account_id"]), f"{r['score']:.3f}", terms)
    out.print(table)


def _asdict(value: object) -> dict[str, object]:
    from dataclasses import asdict, is_dataclass

    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else {}


@app.command("hash-avatars")
def hash_avatars(
    workspace: WorkspaceArg,
    folder: Annotated[Path, typer.Argument(help="The folder that avatar paths are relative to.")],
    kind: Annotated[
        str, typer.Option("--kind", help="phash or pdq (needs the pdq extra).")
    ] = "phash",
) -> None:
    """Fill missing avatar hashes from the avatar image files (never fetches URLs), then
    rebuild the activity table.

    Example: `separ hash-avatars separ.duckdb sim/`
    """
    from separ.activity import build_activity
    from separ.images import hash_avatar_files
    from separ.workspace import Workspace

    if kind not in ("phash", "pdq"):
        raise ParameterError(f"--kind must be phash or pdq, not {kind!r}")
    problems: list[str] = []
    with Workspace(workspace) as ws:
        hashed = hash_avatar_files(
            ws, folder, kind, on_error=lambda path, why: problems.append(f"{path}: {why}")
        )
        build_activity(ws)
    for line in problems:
        err.print(line)
    out.print(f"{hashed} avatars hashed ({kind}); {len(problems)} could not be read")


@app.command()
def dossier(
    workspace: WorkspaceArg,
    target: Annotated[
        str, typer.Option("--target", "-t", help="The targeted account: id or @handle.")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="FILE: writes FILE.html and FILE.json (default dossier-HANDLE)."
        ),
    ] = None,
) -> None:
    """Write the dossier of an attack on one account: an offline HTML page a platform
    reviewer can check in minutes, every claim linked to its evidence, and its JSON twin.

    Example: `separ dossier separ.duckdb --target 1000042 -o dossier`
    """
    from separ.exports.dossier import default_name, resolve_target, write_dossier
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        account = resolve_target(ws, target)
        html, data = write_dossier(ws, account, output or Path(default_name(ws, account)))
    out.print(f"dossier: {html}\nJSON twin: {data}")


@app.command()
def simulate(
    scenario: Annotated[str, typer.Argument(help="Scenario name, e.g. default.")] = "default",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 0,
    scale: Annotated[
        float, typer.Option(help="Size: about 100,000 events per unit (0.1 to 100).")
    ] = 1.0,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write.")] = Path(
        "simulated"
    ),
    fmt: Annotated[str, typer.Option("--format", "-f", help="parquet, csv or jsonl.")] = "parquet",
) -> None:
    """Write a simulated scenario in the native format, with ground truth in `truth/`.

    Example: `separ simulate default --seed 1 --scale 0.1 -o sim/`
    """
    from separ.simulate import simulate as run

    summary = run(scenario, seed=seed, scale=scale, out=output, fmt=fmt)
    table = Table("table", "rows", title=f"scenario {scenario}, seed {seed}, scale {scale:g}")
    for name, n in summary.counts.items():
        table.add_row(name, f"{n:,}")
    out.print(table)
    roles = ", ".join(f"{role} {n:,}" for role, n in summary.roles.items())
    out.print(f"accounts by role: {roles}; {len(summary.targets)} targets attacked")
    out.print(
        f"{summary.events:,} events written to {output} ({fmt}); ground truth in {output / 'truth'}"
    )


@app.command()
def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the demo's files.")
    ] = Path("separ-demo"),
    scale: Annotated[
        float, typer.Option(help="Simulation size (about 100,000 events per unit).")
    ] = 0.1,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Simulate an attack on activists, ingest it, run the detectors, and summarise.

    Example: `separ demo -o separ-demo/`
    """
    from separ.demo import print_demo, run_demo

    print_demo(run_demo(output, scale=scale, seed=seed), out)


def main() -> None:
    try:
        app()
    except SeparError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
