"""The ``separ`` command: thin — it parses, calls the Python API, and prints.

Errors a user can fix are one line on stderr and a non-zero exit (see ``separ.errors``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

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


def _read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path`` (``-``: standard input); one clear error otherwise."""
    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParameterError(f"{path}: not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ParameterError(f"{path}: expected a JSON object")
    return value


def _print_json(value: object) -> None:
    """Print ``value`` as JSON (times and other values as their text)."""
    out.print_json(json.dumps(value, default=str))


WorkspaceArg = Annotated[
    Path,
    typer.Argument(
        help="Workspace file, e.g. separ.duckdb (`separ ingest` creates it).",
        show_default=False,
    ),
]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print as JSON.")]
AlphaOpt = Annotated[float, typer.Option("--alpha", help="False-discovery rate.")]


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
    from separ.workspace import Workspace, remove_workspace

    options = dict(_key_value(o, "--option") for o in option or [])
    created = not workspace.exists()
    try:
        with Workspace(workspace) as ws, _bytes_progress("ingest") as start:
            report = run(ws, path, fmt, force=force, options=options, progress=start)
    except Exception:
        if created:  # a failed first ingest leaves no empty workspace behind
            remove_workspace(workspace)
        raise
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

    with Workspace(workspace, create=False) as ws, err.status("detecting") as status:
        findings = run_detectors(ws, detectors, lambda n: status.update(f"running {n}"))
        status.update("clustering campaigns")
        found = build_campaigns(ws)
    if as_json:
        _print_json([f.as_json() for f in findings])
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
        _print_json([campaign_json(c) for c in found])
        return
    title = f"{len(found)} campaigns"
    caption = (
        "layers: co-action edges of each layer inside the campaign, and findings of "
        "other detectors that tie its members"
    )
    table = Table(
        "campaign", "accounts", "targets", "layers", "what happened", title=title, caption=caption
    )
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
        _print_json(result)
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
    as_json: JsonOpt = False,
) -> None:
    """The account scorecard: an interpretable inauthenticity score per account, which
    only ever weighs a cohort (it never flags one account on its own).

    Example: `separ signals separ.duckdb --account 1000042`
    """

    from separ.signals import account_scores, explain_score
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        if account is not None:
            why = explain_score(ws, account)
            if as_json:
                _print_json({"summary": why.summary, **_asdict(why)})
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
        _print_json(rows)
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
    with Workspace(workspace, create=False) as ws:
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
            request = _read_json(json_in)
            _print_json(gate_json(ws, request))
            return
        if not (account and policy and trigger):
            raise ParameterError("give --account, --policy and --trigger (or --json-in FILE)")
        ids = [r.strip() for r in (reports or "").split(",") if r.strip()]
        answer = ask(
            ws, account, policy, trigger, ids or None, proposed=proposed, automated=not human
        )
    if as_json:
        _print_json(answer.as_json())
        return
    out.print(f"[bold]{answer.outcome}[/] (decision {answer.decision_id})")
    for reason in answer.reasons:
        out.print(f"  - {reason}")
    if answer.discounted_reports:
        out.print(f"discounted reports: {', '.join(answer.discounted_reports)}")
    if answer.reviewers_needed:
        out.print(f"different human reviewers needed: {answer.reviewers_needed}")


@app.command()
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
        _print_json(events)
    elif as_json:
        _print_json(found.as_json())
    else:
        out.print(found.summary)


audit_app = typer.Typer(
    help="The hash-chained audit log: verify it, show entries. "
    "Example: `separ audit verify separ.duckdb`",
    no_args_is_help=True,
)
appeal_app = typer.Typer(
    help="Appeals against restrictions: file, review, list. "
    "Example: `separ appeal list separ.duckdb --status open`",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")
app.add_typer(appeal_app, name="appeal")


def _when(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ParameterError(f"{what}: {text!r} is not an ISO 8601 time") from None


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
            _when(since, "--since"),
            _when(until, "--until"),
            action=action,
            limit=limit,
        )
    if as_json:
        _print_json([e.as_json() for e in entries])
        return
    for entry in entries:
        out.print(entry.line(), markup=False)


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
        appeal = file_appeal(ws, action_id, statement, _when(at, "--at"))
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
        review = review_appeal(ws, appeal_id, reviewer, outcome, reasons, _when(at, "--at"))  # type: ignore[arg-type]
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
    from dataclasses import asdict

    from separ.decisions.appeals import list_appeals
    from separ.workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        found = list_appeals(ws, status, account=account)
    if as_json:
        _print_json([asdict(a) for a in found])
        return
    table = Table(
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


@app.command()
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


rabat_app = typer.Typer(
    help="Rabat Plan assessments of content restricted as incitement: record, show. "
    "Example: `separ rabat show separ.duckdb`",
    no_args_is_help=True,
)
app.add_typer(rabat_app, name="rabat")


@app.command()
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
    if as_json:
        _print_json([w.as_json() for w in found])
        return
    out.print(f"{len(found)} enforcement wave(s)")
    for w in found:
        out.print(f"- {w.summary}", markup=False)
        out.print(f"  driven by: {w.driver}", markup=False)


@app.command()
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
    if as_json:
        _print_json([f.as_json() for f in flags])
        return
    out.print(f"{len(flags)} flag(s)")
    for f in flags:
        out.print(f"- {f.summary}", markup=False)


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

    given = _read_json(factors)
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
        _print_json([a.as_json() for a in found])
        return
    table = Table(
        "assessment", "action", "outcome", "assessor", "when", title=f"{len(found)} assessments"
    )
    for a in found:
        table.add_row(a.assessment_id, a.action_id, a.outcome, a.assessor, str(a.created_at))
    out.print(table)


@app.command()
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
            ws, output, since=_when(since, "--since"), until=_when(until, "--until")
        )
    for path in files:
        out.print(str(path))


@app.command("export-sor")
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


@app.command()
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
