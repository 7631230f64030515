"""Commands that keep decisions accountable: audit, waves, moderators, rabat,
transparency, export-sor, disclose."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from separ.cli.common import (
    AlphaOpt,
    JsonOpt,
    WorkspaceArg,
    app,
    group,
    out,
    parse_time,
    print_json,
    print_summaries,
    read_json,
    table_of,
)

PANEL = "Accountability"


audit_app = group(
    "audit",
    "The hash-chained audit log: verify it, show entries. "
    "Example: `separ audit verify separ.duckdb`",
    PANEL,
)


@audit_app.command("verify")
def audit_verify(
    workspace: WorkspaceArg,
    anchor: Annotated[
        str | None, typer.Option("--anchor", help="A SEQ:HASH head kept elsewhere, to check.")
    ] = None,
) -> None:
    """Check that no audit entry was edited, removed or reordered (exit 1 if one was).

    Example: `separ audit verify separ.duckdb`
    """
    from separ.decisions.audit import head, verify
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        result = verify(ws, anchor=anchor)
        top = head(ws)
    out.print(result.message)
    out.print(f"head: {top}")
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("show")
def audit_show(
    workspace: WorkspaceArg,
    account: Annotated[str | None, typer.Option("--account", help="Entries about it.")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Entries by this actor.")] = None,
    action: Annotated[str | None, typer.Option("--action", help="e.g. gate, appeal.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="ISO 8601 time.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="ISO 8601 time.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show audit entries, filtered by account, actor, action and time.

    Example: `separ audit show separ.duckdb --account 1000042`
    """

    from separ.decisions.audit import show
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        entries = show(
            ws,
            account,
            actor,
            parse_time(since, "--since"),
            parse_time(until, "--until"),
            action=action,
            limit=limit,
        )
    if as_json:
        print_json([e.as_json() for e in entries])
        return
    for entry in entries:
        out.print(entry.line(), markup=False)


@app.command(rich_help_panel=PANEL)
def waves(
    workspace: WorkspaceArg,
    alpha: AlphaOpt = 0.05,
    as_json: JsonOpt = False,
) -> None:
    """Enforcement waves: spikes in restrictions of a community (language, country,
    protected register) against its own baseline, and what drove each.

    Example: `separ waves separ.duckdb`
    """

    from separ.monitors.waves import enforcement_waves
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        found = enforcement_waves(ws, alpha=alpha)
    print_summaries(found, "enforcement wave(s)", as_json, lambda w: f"driven by: {w.driver}")


@app.command(rich_help_panel=PANEL)
def moderators(
    workspace: WorkspaceArg,
    alpha: AlphaOpt = 0.05,
    as_json: JsonOpt = False,
) -> None:
    """Moderator audit: moderators whose restrictions fall on protected accounts or
    brigade targets, or are overturned, far more than their peers' (Fisher, BH).

    Example: `separ moderators separ.duckdb`
    """

    from separ.monitors.moderators import moderator_audit
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        flags = moderator_audit(ws, alpha=alpha)
    print_summaries(flags, "flag(s)", as_json)


rabat_app = group(
    "rabat",
    "Rabat Plan assessments of content restricted as incitement: record, show. "
    "Example: `separ rabat show separ.duckdb`",
    PANEL,
)


@rabat_app.command("record")
def rabat_record(
    workspace: WorkspaceArg,
    action: Annotated[str, typer.Option("--action", help="The restriction assessed.")],
    assessor: Annotated[str, typer.Option("--assessor", help="Who assessed it.")],
    factors: Annotated[
        Path,
        typer.Option(
            "--factors",
            exists=True,
            dir_okay=False,
            help="JSON: the six factors, each {rating: met|partly_met|not_met, rationale}.",
        ),
    ],
    decision: Annotated[str | None, typer.Option("--decision", help="The gate decision.")] = None,
) -> None:
    """Record a Rabat Plan assessment (context, speaker, intent, content and form, extent,
    likelihood) of a restriction; the threshold outcome follows from the ratings.

    Example: `separ rabat record separ.duckdb --action 9001 --assessor rev-2 --factors rabat.json`
    """
    from separ.decisions.rabat import record_assessment
    from separ.workspace import Workspace

    given = read_json(factors)
    with Workspace(workspace, create=False) as ws:
        done = record_assessment(ws, action, assessor=assessor, factors=given, decision_id=decision)
    out.print(f"assessment {done.assessment_id}: {done.outcome}")


@rabat_app.command("show")
def rabat_show(
    workspace: WorkspaceArg,
    action: Annotated[str | None, typer.Option("--action", help="Only this restriction.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show recorded Rabat Plan assessments.

    Example: `separ rabat show separ.duckdb --action 9001`
    """

    from separ.decisions.rabat import assessments
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        found = assessments(ws, action)
    if as_json:
        print_json([a.as_json() for a in found])
        return
    table = table_of(
        "assessment", "action", "outcome", "assessor", "when", title=f"{len(found)} assessments"
    )
    for a in found:
        table.add_row(a.assessment_id, a.action_id, a.outcome, a.assessor, str(a.created_at))
    out.print(table)


@app.command(rich_help_panel=PANEL)
def transparency(
    workspace: WorkspaceArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the report.")],
    since: Annotated[str | None, typer.Option("--since", help="ISO 8601 time.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="ISO 8601 time.")] = None,
) -> None:
    """Write the Santa Clara Principles transparency report: restrictions by policy,
    trigger, automation, language and country; appeals and their outcomes; reinstatements;
    Rabat assessments — an offline HTML page plus CSV and JSON.

    Example: `separ transparency separ.duckdb -o out/transparency`
    """
    from separ.exports.transparency import write_transparency
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        files = write_transparency(
            ws, output, since=parse_time(since, "--since"), until=parse_time(until, "--until")
        )
    for path in files:
        out.print(str(path))


@app.command("export-sor", rich_help_panel=PANEL)
def export_sor(
    workspace: WorkspaceArg,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the sor-NNNNN.json batches.")
    ],
    prefix: Annotated[str, typer.Option("--prefix", help="Start of every puid.")] = "separ-action",
    trusted_flagger: Annotated[
        list[str] | None,
        typer.Option("--trusted-flagger", help="Reporter id of a trusted flagger (repeatable)."),
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=100)] = 100,
) -> None:
    """Write EU DSA Transparency Database statements of reasons (v1 API) for every
    restriction, validated against the schema kept in the project, in batches of 100.

    Example: `separ export-sor separ.duckdb -o out/sor`
    """
    from separ.exports.sor import export_sor as write
    from separ.workspace import Workspace

    with Workspace(workspace, create=False) as ws:
        files = write(
            ws,
            output,
            batch_size=batch_size,
            prefix=prefix,
            trusted_flaggers=tuple(trusted_flagger or ()),
        )
    out.print(f"{len(files)} batch file(s) in {output}")


@app.command(rich_help_panel=PANEL)
def disclose(
    workspace: WorkspaceArg,
    campaign_id: Annotated[str, typer.Argument(help="The campaign taken down (c-...).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the CSV files.")],
    salt_file: Annotated[
        Path,
        typer.Option(
            "--salt-file", exists=True, dir_okay=False, help="A file holding the secret salt."
        ),
    ],
    threshold: Annotated[
        int,
        typer.Option("--threshold", min=0, help="Accounts below this many followers are hashed."),
    ] = 5000,
) -> None:
    """Write the disclosure archive of a campaign taken down, in the Twitter
    information-operations format (users and tweets CSV), with accounts under the
    follower threshold pseudonymised by salted hashes (the salt is never written).

    Example: `separ disclose separ.duckdb c-1a2b3c4d5e -o out/disclosure --salt-file salt.txt`
    """
    from separ.exports.disclosure import export_disclosure
    from separ.workspace import Workspace

    salt = salt_file.read_text(encoding="utf-8").strip()
    with Workspace(workspace, create=False) as ws:
        users, tweets = export_disclosure(ws, campaign_id, output, salt, threshold=threshold)
    out.print(f"users: {users}\ntweets: {tweets}")
