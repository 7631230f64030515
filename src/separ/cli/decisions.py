"""Commands that decide about one account: gate, shield, notice, appeal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from separ.cli.common import (
    JsonOpt,
    WorkspaceArg,
    app,
    asdict_of,
    group,
    out,
    parse_time,
    print_json,
    read_json,
    styled,
    table_of,
)
from separ.errors import ParameterError

PANEL = "Decisions"


@app.command(rich_help_panel=PANEL)
def gate(
    workspace: WorkspaceArg,
    account: Annotated[
        str | None, typer.Option("--account", help="The account a restriction is proposed for.")
    ] = None,
    policy: Annotated[
        str | None, typer.Option("--policy", help="The rule it would enforce.")
    ] = None,
    trigger: Annotated[
        str | None, typer.Option("--trigger", help="report, detector, proactive, government, ...")
    ] = None,
    reports: Annotated[
        str | None, typer.Option("--reports", help="Comma-separated report ids behind it.")
    ] = None,
    proposed: Annotated[str, typer.Option("--proposed", help="The action proposed.")] = "suspend",
    human: Annotated[
        bool, typer.Option("--human", help="Proposed by a person, not automation.")
    ] = False,
    json_in: Annotated[
        Path | None,
        typer.Option("--json-in", help="Read the request as JSON from FILE (- = stdin)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Ask the enforcement gate about a proposed restriction: allow, review or reject, with
    reasons. Reports from brigade or campaign members are discounted; protected accounts
    need two different reviewers; anything missing means review, never allow.

    Example: `separ gate separ.duckdb --account 1000042 --policy violent_speech --trigger report --reports 7001,7002`
    """
    from separ.decisions.gate import gate as ask
    from separ.decisions.gate import gate_json
    from separ.workspace import Workspace

    with Workspace(workspace, create=False) as ws:
        if json_in is not None:
            request = read_json(json_in)
            print_json(gate_json(ws, request))
            return
        if not (account and policy and trigger):
            raise ParameterError("give --account, --policy and --trigger (or --json-in FILE)")
        ids = [r.strip() for r in (reports or "").split(",") if r.strip()]
        answer = ask(
            ws, account, policy, trigger, ids or None, proposed=proposed, automated=not human
        )
    if as_json:
        print_json(answer.as_json())
        return
    out.print(styled(answer.outcome, f" (decision {answer.decision_id})"))
    for reason in answer.reasons:
        out.print(f"  - {reason}")
    if answer.discounted_reports:
        out.print(f"discounted reports: {', '.join(answer.discounted_reports)}")
    if answer.reviewers_needed:
        out.print(f"different human reviewers needed: {answer.reviewers_needed}")


@app.command(rich_help_panel=PANEL)
def shield(
    workspace: WorkspaceArg,
    target: Annotated[str, typer.Option("--target", help="The account under attack.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the actions as JSON.")] = False,
    ozone: Annotated[
        bool, typer.Option("--ozone", help="Print Bluesky Ozone moderation event bodies.")
    ] = False,
    created_by: Annotated[
        str | None, typer.Option("--created-by", help="The labeler's DID (with --ozone).")
    ] = None,
    mute_hours: Annotated[int, typer.Option("--mute-hours", min=1)] = 720,
) -> None:
    """Protective actions for a target under attack: swarm followers to remove,
    notifications to mute, reports to discount — as JSON, or as Ozone events.

    Example: `separ shield separ.duckdb --target 1000042 --json`
    """

    from separ.decisions.shield import ozone_events
    from separ.decisions.shield import shield as protect
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        found = protect(ws, target)
    if ozone:
        if not created_by:
            raise ParameterError("--ozone needs --created-by DID (the labeler's account)")
        events = ozone_events(found, created_by, mute_hours=mute_hours)
        print_json(events)
    elif as_json:
        print_json(found.as_json())
    else:
        out.print(found.summary)


@app.command(rich_help_panel=PANEL)
def notice(
    workspace: WorkspaceArg,
    action_id: Annotated[str, typer.Argument(help="The restriction to notify.")],
    lang: Annotated[str, typer.Option("--lang", help="en or fa (Persian, right to left).")] = "en",
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write it as an HTML page.")
    ] = None,
) -> None:
    """Write the notice of a restriction to the person affected: the rule, what was found,
    whether automation was involved, when it ends, how to appeal.

    Example: `separ notice separ.duckdb 9001 --lang fa`
    """
    from separ.decisions.notices import write_notice
    from separ.workspace import Workspace

    if lang not in ("en", "fa"):
        raise ParameterError(f"--lang must be en or fa, not {lang!r}")
    with Workspace(workspace, create=False) as ws:
        written = write_notice(ws, action_id, lang)
    if html is not None:
        html.write_text(written.html(), encoding="utf-8")
    out.print(written.body, markup=False)


appeal_app = group(
    "appeal",
    "Appeals against restrictions: file, review, list. "
    "Example: `separ appeal list separ.duckdb --status open`",
    PANEL,
)


@appeal_app.command("file")
def appeal_file(
    workspace: WorkspaceArg,
    action_id: Annotated[str, typer.Argument(help="The restriction appealed.")],
    statement: Annotated[str, typer.Option("--statement", help="The appellant's words.")],
    at: Annotated[str | None, typer.Option("--at", help="When (ISO 8601; default now).")] = None,
) -> None:
    """File an appeal against a restriction.

    Example: `separ appeal file separ.duckdb 9001 --statement "I was reported by a brigade"`
    """
    from separ.decisions.appeals import file_appeal
    from separ.workspace import Workspace

    with Workspace(workspace, create=False) as ws:
        appeal = file_appeal(ws, action_id, statement, parse_time(at, "--at"))
    out.print(f"appeal {appeal.appeal_id} filed against action {appeal.action_id}")


@appeal_app.command("review")
def appeal_review(
    workspace: WorkspaceArg,
    appeal_id: Annotated[str, typer.Argument(help="The appeal to decide.")],
    reviewer: Annotated[
        str, typer.Option("--reviewer", help="Who decides (not the original decider).")
    ],
    outcome: Annotated[str, typer.Option("--outcome", help="upheld or overturned.")],
    reasons: Annotated[str, typer.Option("--reasons", help="Why, in plain words.")],
    at: Annotated[str | None, typer.Option("--at", help="When (ISO 8601; default now).")] = None,
) -> None:
    """Decide an appeal; an overturn restores the account, and the restore then sticks
    against automation.

    Example: `separ appeal review separ.duckdb ap-1a2b3c --reviewer mod-7 --outcome overturned --reasons "brigaded reports"`
    """
    from separ.decisions.appeals import review_appeal
    from separ.workspace import Workspace

    if outcome not in ("upheld", "overturned"):
        raise ParameterError(f"--outcome must be upheld or overturned, not {outcome!r}")
    with Workspace(workspace, create=False) as ws:
        review = review_appeal(ws, appeal_id, reviewer, outcome, reasons, parse_time(at, "--at"))  # type: ignore[arg-type]
    hours = review.appeal.hours_to_decision
    out.print(
        f"appeal {appeal_id}: {review.outcome}"
        + (f" after {hours:.1f} h" if hours is not None else "")
        + (
            f"; account restored (action {review.restore_action_id})"
            if review.restore_action_id
            else ""
        )
    )


@appeal_app.command("list")
def appeal_list(
    workspace: WorkspaceArg,
    status: Annotated[
        str | None, typer.Option("--status", help="open, upheld or overturned.")
    ] = None,
    account: Annotated[str | None, typer.Option("--account", help="Appeals about it.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List appeals with their status and time to decision.

    Example: `separ appeal list separ.duckdb --status open`
    """

    from separ.decisions.appeals import list_appeals
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        found = list_appeals(ws, status, account=account)
    if as_json:
        print_json([asdict_of(a) for a in found])
        return
    table = table_of(
        "appeal", "action", "account", "filed", "status", "hours", title=f"{len(found)} appeals"
    )
    for a in found:
        hours = a.hours_to_decision
        table.add_row(
            a.appeal_id,
            a.action_id,
            str(a.account_id),
            str(a.filed_at),
            a.status,
            f"{hours:.1f}" if hours is not None else "",
        )
    out.print(table)
