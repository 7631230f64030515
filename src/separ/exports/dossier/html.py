"""The dossier as one self-contained HTML page, and writing both files."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from separ.exports import charts
from separ.exports.dossier.build import build_dossier
from separ.exports.dossier.common import MAX_EVENTS_SHOWN, unstamp
from separ.exports.dossier.target import resolve_target
from separ.wording import account_name, duration
from separ.workspace import Workspace

RTL_RUN = re.compile(
    r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]"
    r"(?:[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\u200c\u200d\s\d«»،؛؟.!:()-]*"
    r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff])?"
)
"""A run of right-to-left text (with the spaces, digits, ZWNJ and punctuation inside it)."""


def isolate(text: object) -> Markup:
    """Escape ``text`` and wrap each right-to-left run in ``<bdi dir="rtl">``, so a Persian
    phrase inside an English sentence keeps its order and leaves the sentence's alone."""
    escaped = str(escape("" if text is None else str(text)))
    return Markup(RTL_RUN.sub(lambda m: f'<bdi dir="rtl">{m.group(0)}</bdi>', escaped))


def _when(text: str | None) -> str:
    return "" if not text else text.replace("T", " ").replace("Z", " UTC")


def _time_chart(part: dict[str, Any], bursts: list[dict[str, Any]], title: str) -> Markup:
    start = unstamp(part["start"])
    series = [
        charts.Series("followers whose follows findings cite", part["cited"], charts.FLAGGED),
        charts.Series("other followers", part["other"], charts.OTHER),
    ]
    bands = [
        charts.Band(
            unstamp(b["start"]),
            unstamp(b["end"]),
            f"{b['followers']} in {duration(unstamp(b['end']) - unstamp(b['start']))}",
        )
        for b in bursts
    ]
    desc = (
        f"{sum(part['cited']):,} cited and {sum(part['other']):,} other new followers in bins "
        f"of {duration(part['bin_seconds'])} from {_when(part['start'])}"
    )
    return Markup(
        charts.time_bars(start, part["bin_seconds"], series, bands=bands, title=title, desc=desc)
    )


def _creation_chart(part: dict[str, Any], title: str) -> Markup:
    return Markup(
        charts.mirrored_histogram(
            unstamp(part["start"]),
            part["bin_seconds"],
            charts.Series("followers whose follows findings cite", part["cited"], charts.FLAGGED),
            charts.Series("other followers", part["other"], charts.OTHER),
            title=title,
            desc=f"account creation dates in bins of {duration(part['bin_seconds'])}",
        )
    )


def _charts(d: dict[str, Any]) -> dict[str, Any]:
    """Every chart of the page as inline SVG, drawn from the JSON twin alone."""
    f = d["sections"]["followers"]
    out: dict[str, Any] = {"zooms": []}
    bursts = f["bursts"]
    if f["timeline"]:
        out["timeline"] = _time_chart(f["timeline"], bursts, "New followers over time")
        for i, z in enumerate(f["timeline"]["zooms"]):
            out["zooms"].append(_time_chart(z, bursts[i : i + 1], "The burst, close up"))
    if f["creation"]:
        out["creation"] = _creation_chart(f["creation"], "When the followers' accounts were made")
        if "zoom" in f["creation"]:
            out["creation_zoom"] = _creation_chart(
                f["creation"]["zoom"], "Around the cited followers' busiest week of creation"
            )
    m = f["map"]
    if m["position"]:
        out["map"] = Markup(
            charts.scatter(
                m["position"],
                [unstamp(t) for t in m["created"]],
                m["cited"],
                labels=("followers whose follows findings cite", "other followers"),
                x_label="follow order (0 = earliest follower)",
                title="Follower map: follow order against account creation date",
                desc=f"{len(m['position']):,} followers; a horizontal streak of red points is "
                "a run of followers created together",
            )
        )
    out["tiles"] = {
        t["hash"]: Markup(charts.bit_grid(t["hash"].split(":")[-1]))
        for t in d["sections"]["avatars"]
        if not t["image"]
    }
    return out


def render_html(dossier: dict[str, Any]) -> str:
    """The dossier as one self-contained HTML page (from :func:`build_dossier`'s dict)."""
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )
    env.filters["bidi"] = isolate
    env.filters["when"] = _when
    env.filters["span"] = duration
    claims = defaultdict(list)
    for c in dossier["claims"]:
        claims[c["section"]].append(c)
    by_detector: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in dossier["findings"]:
        by_detector[f["detector"]].append(f)
    finding_claims = {c["finding_ids"][0]: c for c in claims["findings"]}
    return env.get_template("dossier.html.j2").render(
        d=dossier,
        t=dossier["target"],
        s=dossier["sections"],
        claims=claims,
        finding_claims=finding_claims,
        by_detector=dict(sorted(by_detector.items())),
        charts=_charts(dossier),
        max_events=MAX_EVENTS_SHOWN,
    )


def default_name(ws: Workspace, target: str) -> str:
    """``dossier-<handle or id>``: a file name for the dossier of ``target``."""
    name = account_name(ws, resolve_target(ws, target)).lstrip("@")
    return "dossier-" + re.sub(r"[^\w.-]", "_", name)


def dossier_paths(out: str | Path) -> tuple[Path, Path]:
    """``(FILE.html, FILE.json)`` for ``out`` given with or without either suffix."""
    out = Path(out)
    if out.suffix.lower() in (".html", ".htm", ".json"):
        out = out.with_suffix("")
    return out.with_name(out.name + ".html"), out.with_name(out.name + ".json")


def write_dossier(ws: Workspace, target: str, out: str | Path) -> tuple[Path, Path]:
    """Write the dossier of ``target`` as ``FILE.html`` and ``FILE.json`` (``out`` with or
    without a suffix; folders are created); returns both paths."""
    dossier = build_dossier(ws, target)
    html, js = dossier_paths(out)
    html.parent.mkdir(parents=True, exist_ok=True)
    js.write_text(json.dumps(dossier, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    html.write_text(render_html(dossier), encoding="utf-8")
    return html, js
