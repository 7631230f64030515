"""Commands that find and explain: detect, campaigns, explain, signals, hash-avatars,
dossier."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from separ.cli.common import (
    JsonOpt,
    WorkspaceArg,
    app,
    asdict_of,
    err,
    key_value,
    out,
    print_json,
    styled,
    table_of,
)
from separ.errors import ParameterError

PANEL = "Detection and evidence"


@app.command(rich_help_panel=PANEL)
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
        key, value = key_value(text, "--param")
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
        print_json([f.as_json() for f in findings])
        return
    title = f"{len(findings)} findings"
    table = table_of("finding", "accounts", "score", "what happened", title=title)
    for f in findings:
        table.add_row(f.finding_id, str(len(f.accounts)), f"{f.score:.3f}", f.summary)
    out.print(table)
    out.print(f"{len(found)} campaigns: see `separ campaigns {workspace}`")


@app.command(rich_help_panel=PANEL)
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
        print_json([campaign_json(c) for c in found])
        return
    title = f"{len(found)} campaigns"
    caption = (
        "layers: co-action edges of each layer inside the campaign, and findings of "
        "other detectors that tie its members"
    )
    table = table_of(
        "campaign", "accounts", "targets", "layers", "what happened", title=title, caption=caption
    )
    for c in found:
        layers = ", ".join(f"{k} {v}" for k, v in c.layers.items())
        table.add_row(c.campaign_id, str(len(c.accounts)), str(len(c.targets)), layers, c.summary)
    out.print(table)


@app.command(rich_help_panel=PANEL)
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
        print_json(result)
        return
    _print_trail(result)


def _print_trail(result: dict[str, Any]) -> None:
    """``separ explain``'s trail as text: every id in full (wrapped, never cut), each
    list under its heading, indented."""
    if "campaign" in result:
        c = result["campaign"]
        _indented(styled(c["campaign_id"], f": {c['summary']}"))
        _indented(f"active {c['window'][0]} to {c['window'][1]}; score {c['score']:.3g}")
        _listed("accounts", c["accounts"])
        _listed("targets", c["targets"], "the accounts its members acted on")
        _indented(f"attribution hints: {_hints(c['hints'])}")
    else:
        _indented(
            styled(f"account {result['account']}", f" in {len(result['campaigns'])} campaign(s)")
        )
        for c in result["campaigns"]:
            _indented(styled(c["campaign_id"], f": {c['summary']}"), 2)
    edges = result["edges"]
    _indented(styled(f"co-action edges ({len(edges)})", ", the least likely by chance first"))
    for e in edges:
        a, b = e["accounts"]
        gap = e["median_gap_s"]
        _indented(
            styled(
                e["layer"],
                f" {a} ~ {b}: {e['shared']} shared where chance predicts {e['expected']:.3g} "
                f"(q {e['q']:.2g}" + ("" if gap is None else f", median gap {gap:.0f} s") + ")",
            ),
            2,
        )
        _indented(f"objects: {', '.join(e['objects'])}", 4)
        _indented(f"events: {', '.join(e['event_ids'])}", 4)
    findings = result["findings"]
    _indented(styled(f"findings ({len(findings)})"))
    for f in findings:
        _indented(styled(f["finding_id"], f": {f['summary']}"), 2)
        for ev in f["evidence"]:
            _indented(f"{ev['what']}: {', '.join(ev['event_ids'])}", 4)


def _listed(heading: str, items: list[str], note: str = "") -> None:
    _indented(f"{heading} ({len(items)})" + (f", {note}" if note else "") + (":" if items else ""))
    if items:
        _indented(", ".join(items), 2)


def _indented(text: str | Text, by: int = 0) -> None:
    """``text`` wrapped to the terminal and indented ``by`` spaces; the style of its head
    (``styled``) kept."""
    plain = text.plain if isinstance(text, Text) else text
    pad = " " * by
    wrapped = Text(
        textwrap.fill(
            plain,
            width=max(out.width, 40),
            initial_indent=pad,
            subsequent_indent=pad,
            break_on_hyphens=False,
        )
    )
    if isinstance(text, Text):
        for span in text.spans:
            wrapped.stylize(span.style, span.start + by, span.end + by)
    out.print(wrapped, soft_wrap=True)


def _hints(hints: dict[str, Any]) -> str:
    """The attribution hints in words."""
    members = hints.get("affiliated_members") or []
    amplified = hints.get("amplifies_affiliated") or []
    parts = [
        f"{len(members)} member(s) on the affiliated register ({', '.join(members)})"
        if members
        else "no member on the affiliated register"
    ]
    if amplified:
        shown = ", ".join(f"{h['account']} ({h['reposts']})" for h in amplified)
        parts.append(f"members reposted or quoted affiliated accounts: {shown}")
    else:
        parts.append("no affiliated account amplified")
    return "; ".join(parts)


@app.command(rich_help_panel=PANEL)
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
                print_json({"summary": why.summary, **asdict_of(why)})
                return
            out.print(why.summary)
            table = table_of("feature", "value", "weight", "contribution", title="terms")
            for c in why.contributions:
                table.add_row(c.feature, c.shown, f"{c.weight:+.3f}", f"{c.contribution:+.3f}")
            out.print(table)
            return
        scores = account_scores(ws).sort_by([("score", "descending"), ("account_id", "ascending")])
    rows = scores.slice(0, top).to_pylist()
    if as_json:
        print_json(rows)
        return
    table = table_of("account", "score", "top terms", title=f"{scores.num_rows:,} accounts scored")
    for r in rows:
        terms = ", ".join(f"{t['feature']} {t['contribution']:+.2f}" for t in r["top"] or [])
        table.add_row(str(r["account_id"]), f"{r['score']:.3f}", terms)
    out.print(table)


@app.command("hash-avatars", rich_help_panel=PANEL)
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


@app.command(rich_help_panel=PANEL)
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
