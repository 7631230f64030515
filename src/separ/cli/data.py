"""Commands that bring data in and out: ingest, formats, status, quarantine, export,
simulate, demo."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from separ.cli.common import (
    WorkspaceArg,
    app,
    bytes_progress,
    cells,
    key_value,
    out,
    styled,
    table_of,
)

if TYPE_CHECKING:
    from separ.demo import DemoResult

PANEL = "Data"


@app.command(rich_help_panel=PANEL)
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
    from separ.workspace import Workspace, remove_workspace

    options = dict(key_value(o, "--option") for o in option or [])
    created = not workspace.exists()
    try:
        with Workspace(workspace) as ws, bytes_progress("ingest") as start:
            report = run(ws, path, fmt, force=force, options=options, progress=start)
    except Exception:
        if created:  # a failed first ingest leaves no empty workspace behind
            remove_workspace(workspace)
        raise
    counts = ("records", "loaded", "unchanged", "merged", "quarantined")
    table = table_of("file", *counts, right=counts, title=f"ingested into {workspace}")
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
        out.print(
            styled(
                f"{bad:,} records quarantined", f": see `separ quarantine {workspace}`", "yellow"
            )
        )


@app.command(rich_help_panel=PANEL)
def formats() -> None:
    """List the source formats `separ ingest --format` understands.

    Example: `separ formats`
    """
    from separ.ingest import IMPORTERS, options_of

    table = table_of("format", "what it reads", "options (--option KEY=VALUE)")
    for name, cls in sorted(IMPORTERS.items()):
        table.add_row(name, cls.description, ", ".join(options_of(cls)))
    out.print(table)


@app.command(rich_help_panel=PANEL)
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
    table = table_of("table", "rows")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    out.print(table)
    if log:
        t = table_of(
            "id", "source", "format", "read", "loaded", "unchanged", "quarantined", "status"
        )
        for row in log:
            t.add_row(*cells(row))
        out.print(t)


@app.command(rich_help_panel=PANEL)
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
    table = table_of("file", "line", "table", "reason", title=f"{total:,} quarantined records")
    for row in rows:
        table.add_row(*cells(row))
    out.print(table)


@app.command(rich_help_panel=PANEL)
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


@app.command(rich_help_panel=PANEL)
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
    table = table_of("table", "rows", title=f"scenario {scenario}, seed {seed}, scale {scale:g}")
    for name, n in summary.counts.items():
        table.add_row(name, f"{n:,}")
    out.print(table)
    roles = ", ".join(f"{role} {n:,}" for role, n in summary.roles.items())
    out.print(f"accounts by role: {roles}; {len(summary.targets)} targets attacked")
    out.print(
        f"{summary.events:,} events written to {output} ({fmt}); ground truth in {output / 'truth'}"
    )


@app.command(rich_help_panel=PANEL)
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
    from separ.demo import run_demo

    _print_demo(run_demo(output, scale=scale, seed=seed))


def _print_demo(result: DemoResult) -> None:
    truth = result.truth
    out.rule("Separ demo: a simulated operation against activists")
    roles = truth.get("roles") or truth.get("counts", {}).get("roles", {})
    if roles:
        t = table_of("simulated accounts", "count", title="What was simulated (ground truth)")
        for role, n in roles.items():
            t.add_row(str(role), f"{n:,}")
        out.print(t)
    t = table_of("table", "rows loaded", "activity layer", "rows", title="What was ingested")
    tables = [(k, v) for k, v in result.counts.items() if k not in ("activity", "quarantine")]
    verbs = list(result.verbs.items())
    for i in range(max(len(tables), len(verbs))):
        a = tables[i] if i < len(tables) else ("", "")
        b = verbs[i] if i < len(verbs) else ("", "")
        t.add_row(
            str(a[0]),
            f"{a[1]:,}" if a[1] != "" else "",
            str(b[0]),
            f"{b[1]:,}" if b[1] != "" else "",
        )
    out.print(t)
    if result.moderation:
        t = table_of("action", "automated", "count", title="The platform's moderation in the data")
        for action, auto, n in result.moderation:
            t.add_row(action, "yes" if auto else "no", f"{n:,}")
        out.print(t)
    quarantined = result.counts.get("quarantine", 0)
    out.print(f"quarantined records: {quarantined:,}")
    title = f"{len(result.campaigns)} campaigns (from {len(result.findings)} findings)"
    t = table_of("campaign", "accounts", "what happened", title=title)
    for c in result.campaigns:
        t.add_row(c.campaign_id, str(len(c.accounts)), c.summary)
    out.print(t)
    if result.campaigns:
        first = result.campaigns[0].campaign_id
        out.print(f"evidence trail of a campaign: separ explain {result.workspace} {first}")
    if result.replay:
        out.print(styled("the moderation replayed through the gate:", f" {result.replay}"))
    if result.transparency:
        out.print(f"transparency report: {result.transparency}")
    if result.notice:
        out.print(f"a notice (Persian): {result.notice}")
    if result.dossier:
        out.print(f"dossier of the most-attacked target: {result.dossier}")
    out.print(f"simulated data (native format + truth/): {result.data}")
    out.print(f"workspace: {result.workspace}  (try: separ status {result.workspace})")
