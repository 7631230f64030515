"""The transparency report, after the Santa Clara Principles 2.0 ("Numbers").

``build_transparency(ws)`` counts, over the workspace's moderation history (the native
``actions`` and ``appeals`` tables, which hold both the platform's history and the
restrictions Separ recorded) and Separ's own records (``decisions``, ``rabat``):

- actions taken (every action except restores), by action, policy, trigger as the
  principles name them (user report, trusted flagger, government request, automated
  detection, proactive staff review), whether automation *decided* (``automated``) and
  whether automation *detected* it, and by the account's language and country (the
  country of the ``registers`` entry; never guessed from a profile's free-text location);
- appeals: filed, upheld, overturned, still open, the overturn rate, and the time from
  filing to decision (median, 90th percentile); by policy;
- reinstatements: restores, after an appeal or otherwise;
- Rabat Plan assessments by outcome, and the gate's decisions by outcome.

``write_transparency(ws, out_dir)`` writes ``transparency.html`` (one self-contained page:
inline CSS and SVG charts, no script, nothing fetched), ``transparency.json`` (the same
numbers) and ``transparency.csv`` (one row per number: section, category, count, share).
Nothing in the workspace changes.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined, select_autoescape

from separ import __version__
from separ.exports.charts import FLAGGED, OTHER, Frame, Series, time_bars
from separ.workspace import Workspace

BAR = "#5d6d7e"
"""Bars of counts (nothing flagged here)."""

TRIGGER_SQL = """CASE
    WHEN a.trigger IN ('trusted_flagger', 'flagger') THEN 'trusted flagger'
    WHEN a.trigger = 'report' THEN 'user report'
    WHEN a.trigger = 'government' THEN 'government request'
    WHEN a.trigger = 'detector' OR (a.trigger = 'proactive' AND a.automated)
        THEN 'automated detection'
    WHEN a.trigger = 'proactive' THEN 'proactive staff review'
    WHEN a.trigger = 'appeal' THEN 'appeal'
    ELSE 'unspecified' END"""
"""The Santa Clara trigger categories, from the native ``trigger`` column."""

DIMENSIONS = {
    "by_action": ("a.action", "Action"),
    "by_policy": ("a.policy", "Policy"),
    "by_trigger": (TRIGGER_SQL, "Trigger"),
    "by_decision": ("CASE WHEN a.automated THEN 'automated' ELSE 'human' END", "Decided by"),
    "by_detection": (
        "CASE WHEN a.automated OR a.trigger = 'detector' THEN 'automated' ELSE 'not automated' END",
        "Detected by automation",
    ),
    "by_language": ("coalesce(nullif(c.lang, ''), 'unknown')", "Language"),
    "by_country": ("coalesce(g.country, 'unknown')", "Country"),
}
"""Each breakdown of actions taken: its SQL expression and its heading."""


def _actions_from(since: datetime | None, until: datetime | None) -> tuple[str, list[Any]]:
    sql = """FROM actions a
        LEFT JOIN (SELECT account_id, any_value(lang) AS lang FROM accounts GROUP BY ALL) c
          USING (account_id)
        LEFT JOIN (SELECT account_id, min(upper(country)) AS country FROM registers
                   WHERE country IS NOT NULL AND country <> '' GROUP BY ALL) g
          USING (account_id)
        WHERE a.action <> 'restore'
          AND (CAST(? AS TIMESTAMP) IS NULL OR a.created_at >= ?)
          AND (CAST(? AS TIMESTAMP) IS NULL OR a.created_at < ?)"""
    return sql, [since, since, until, until]


def build_transparency(
    ws: Workspace, *, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """The report's numbers (the JSON twin), for actions (and appeals filed) in
    ``[since, until)`` when given (naive UTC)."""
    source, params = _actions_from(since, until)
    total = int(ws.sql(f"SELECT count(*) {source}", params)[0][0])
    actions: dict[str, Any] = {"total": total}
    for key, (expr, _) in DIMENSIONS.items():
        rows = ws.sql(
            f"SELECT {expr} AS k, count(*) AS n {source} GROUP BY k ORDER BY n DESC, k", params
        )
        actions[key] = {str(k): int(n) for k, n in rows}
    period = ws.sql(f"SELECT min(a.created_at), max(a.created_at) {source}", params)[0]
    weekly = ws.sql(
        f"""SELECT epoch(date_trunc('week', a.created_at)) AS w,
                   count(*) FILTER (WHERE a.automated), count(*) FILTER (WHERE NOT coalesce(a.automated, false))
            {source} GROUP BY w ORDER BY w""",
        params,
    )
    return {
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "generator": f"separ {__version__}",
        "period": {
            "start": period[0].isoformat() + "Z" if period[0] else None,
            "end": period[1].isoformat() + "Z" if period[1] else None,
        },
        "actions": actions,
        "weekly": [
            {
                "week": datetime.fromtimestamp(w, UTC).date().isoformat(),
                "automated": au,
                "human": hu,
            }
            for w, au, hu in weekly
        ],
        "appeals": _appeals(ws, since, until),
        "reinstatements": _reinstatements(ws, since, until),
        "rabat": _counts(ws, "SELECT outcome, count(*) FROM rabat GROUP BY ALL ORDER BY ALL"),
        "gate_decisions": _counts(
            ws, "SELECT outcome, count(*) FROM decisions GROUP BY ALL ORDER BY ALL"
        ),
    }


def _counts(ws: Workspace, sql: str) -> dict[str, int]:
    rows = ws.sql(sql)
    out = {str(k): int(n) for k, n in rows}
    return {"total": sum(out.values()), **out}


def _appeals(ws: Workspace, since: datetime | None, until: datetime | None) -> dict[str, Any]:
    where = """WHERE (CAST(? AS TIMESTAMP) IS NULL OR p.filed_at >= ?)
          AND (CAST(? AS TIMESTAMP) IS NULL OR p.filed_at < ?)"""
    params = [since, since, until, until]
    row = ws.sql(
        f"""SELECT count(*),
            count(*) FILTER (WHERE p.status = 'upheld'),
            count(*) FILTER (WHERE p.status = 'overturned'),
            count(*) FILTER (WHERE p.status NOT IN ('upheld', 'overturned') OR p.status IS NULL),
            median(epoch(p.decided_at - p.filed_at) / 3600)
                FILTER (WHERE p.status IN ('upheld', 'overturned')),
            quantile_cont(epoch(p.decided_at - p.filed_at) / 3600, 0.9)
                FILTER (WHERE p.status IN ('upheld', 'overturned'))
        FROM appeals p {where}""",
        params,
    )[0]
    filed, upheld, overturned, pending, median, p90 = row
    decided = upheld + overturned
    by_policy = ws.sql(
        f"""SELECT coalesce(a.policy, 'unknown') AS policy, count(*),
            count(*) FILTER (WHERE p.status = 'overturned')
        FROM appeals p LEFT JOIN actions a USING (action_id) {where}
        GROUP BY ALL ORDER BY 2 DESC, 1""",
        params,
    )
    return {
        "filed": int(filed),
        "upheld": int(upheld),
        "overturned": int(overturned),
        "pending": int(pending),
        "overturn_rate": round(overturned / decided, 4) if decided else None,
        "decision_hours": {
            "median": round(float(median), 1) if median is not None else None,
            "p90": round(float(p90), 1) if p90 is not None else None,
        },
        "by_policy": {str(p): {"filed": int(n), "overturned": int(o)} for p, n, o in by_policy},
    }


def _reinstatements(
    ws: Workspace, since: datetime | None, until: datetime | None
) -> dict[str, int]:
    row = ws.sql(
        """SELECT count(*), count(*) FILTER (WHERE trigger = 'appeal')
        FROM actions WHERE action = 'restore'
          AND (CAST(? AS TIMESTAMP) IS NULL OR created_at >= ?)
          AND (CAST(? AS TIMESTAMP) IS NULL OR created_at < ?)""",
        [since, since, until, until],
    )[0]
    return {"total": int(row[0]), "after_appeal": int(row[1]), "other": int(row[0] - row[1])}


# --- files ------------------------------------------------------------------------------------


def rows(report: dict[str, Any]) -> list[tuple[str, str, int, float | None]]:
    """The report as (section, category, count, share of the section) rows."""
    out: list[tuple[str, str, int, float | None]] = []
    total = report["actions"]["total"]
    out.append(("actions", "total", total, None))
    for key in DIMENSIONS:
        for k, n in report["actions"][key].items():
            out.append((f"actions.{key}", k, n, round(n / total, 4) if total else None))
    ap = report["appeals"]
    for k in ("filed", "upheld", "overturned", "pending"):
        out.append(("appeals", k, ap[k], round(ap[k] / ap["filed"], 4) if ap["filed"] else None))
    for policy, c in ap["by_policy"].items():
        out.append(("appeals.by_policy.filed", policy, c["filed"], None))
        out.append(("appeals.by_policy.overturned", policy, c["overturned"], None))
    for section in ("reinstatements", "rabat", "gate_decisions"):
        for k, n in report[section].items():
            out.append((section, k, n, None))
    return out


def _hbars(items: Sequence[tuple[str, int]], title: str, colour: str = BAR) -> str:
    """A horizontal bar chart of labelled counts as one inline ``<svg>``."""
    width, row_h, left = 640, 22, 210
    height = 30 + row_h * max(len(items), 1)
    top = max((n for _, n in items), default=0) or 1
    desc = "; ".join(f"{k}: {n}" for k, n in items) or "none"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" class="chart" style="max-width:100%;height:auto;'
        f"font-family:system-ui,'DejaVu Sans',sans-serif;font-size:12px\">",
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>",
    ]
    for i, (label, n) in enumerate(items):
        y = 20 + i * row_h
        w = (width - left - 60) * n / top
        out.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" direction="ltr" '
            f'unicode-bidi="plaintext">{escape(label)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{colour}">'
            f"<title>{escape(label)}: {n}</title></rect>"
            f'<text x="{left + w + 4:.1f}" y="{y + 14}">{n:,}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Transparency report {{ r.period.start[:10] if r.period.start else "" }} to {{ r.period.end[:10] if r.period.end else "" }}</title>
<style>
body{font-family:system-ui,'DejaVu Sans',sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.2em .8em;border-bottom:1px solid #eee;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.note{color:#555;font-size:.9em}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1em}
</style></head><body>
<h1>Transparency report</h1>
<p>Moderation actions from {{ r.period.start or "–" }} to {{ r.period.end or "–" }}, counted after the
Santa Clara Principles 2.0. Generated {{ r.generated_at }} by {{ r.generator }}.
Numbers are also in <code>transparency.json</code> and <code>transparency.csv</code>.</p>
<h2>Actions taken</h2>
<p><strong>{{ "{:,}".format(r.actions.total) }}</strong> actions (restores are counted as reinstatements):
{{ r.actions.by_decision.get("automated", 0) }} decided by automation,
{{ r.actions.by_decision.get("human", 0) }} by people.</p>
{{ weekly | safe }}
<div class="grid">
{% for key, heading, chart in charts %}<section><h3>{{ heading }}</h3>{{ chart | safe }}</section>
{% endfor %}</div>
<p class="note">Country is the country an account's entry in the operator's register gives;
Separ never infers it from a profile's location. "Unknown" language or country means the
data do not say.</p>
<h2>Appeals</h2>
<table><tr><th>filed</th><th>upheld</th><th>overturned</th><th>pending</th><th>overturn rate</th>
<th>median hours to decision</th><th>90th percentile</th></tr>
<tr><td class="n">{{ r.appeals.filed }}</td><td class="n">{{ r.appeals.upheld }}</td>
<td class="n">{{ r.appeals.overturned }}</td><td class="n">{{ r.appeals.pending }}</td>
<td class="n">{{ "%.0f%%" % (100 * r.appeals.overturn_rate) if r.appeals.overturn_rate is not none else "–" }}</td>
<td class="n">{{ r.appeals.decision_hours.median if r.appeals.decision_hours.median is not none else "–" }}</td>
<td class="n">{{ r.appeals.decision_hours.p90 if r.appeals.decision_hours.p90 is not none else "–" }}</td></tr></table>
{{ appeals | safe }}
<table><tr><th>policy</th><th>appeals filed</th><th>overturned</th></tr>
{% for policy, c in r.appeals.by_policy.items() %}<tr><td>{{ policy }}</td><td class="n">{{ c.filed }}</td><td class="n">{{ c.overturned }}</td></tr>
{% endfor %}</table>
<h2>Reinstatements</h2>
<p>{{ r.reinstatements.total }} reinstatements: {{ r.reinstatements.after_appeal }} after an appeal,
{{ r.reinstatements.other }} otherwise.</p>
<h2>Incitement assessments (Rabat Plan)</h2>
<p>{{ r.rabat.total }} assessments of content restricted as incitement:
{{ r.rabat.get("meets_threshold", 0) }} met the Rabat threshold,
{{ r.rabat.get("below_threshold", 0) }} fell below it.</p>
<h2>Enforcement gate</h2>
<p>{{ r.gate_decisions.total }} proposed enforcements went through Separ's gate
{%- for k, n in r.gate_decisions.items() if k != "total" %}{{ ":" if loop.first else "," }} {{ n }} {{ k }}{% endfor %}.</p>
</body></html>
"""


def render_html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page."""
    charts = [
        (
            key,
            heading,
            _hbars(list(report["actions"][key].items()), f"Actions by {heading.lower()}"),
        )
        for key, (_, heading) in DIMENSIONS.items()
        if key != "by_decision"
    ]
    weekly = report["weekly"]
    chart = ""
    if weekly:
        start = datetime.fromisoformat(weekly[0]["week"]).replace(tzinfo=UTC).timestamp()
        by_week = {w["week"]: w for w in weekly}
        n = 1 + round(
            (datetime.fromisoformat(weekly[-1]["week"]).replace(tzinfo=UTC).timestamp() - start)
            / (7 * 86400)
        )
        days = [
            datetime.fromtimestamp(start + i * 7 * 86400, UTC).date().isoformat() for i in range(n)
        ]
        chart = time_bars(
            start,
            7 * 86400,
            [
                Series(
                    "decided by automation",
                    [by_week.get(d, {}).get("automated", 0) for d in days],
                    FLAGGED,
                ),
                Series(
                    "decided by people", [by_week.get(d, {}).get("human", 0) for d in days], OTHER
                ),
            ],
            title="Actions per week",
            desc=f"{report['actions']['total']} actions over {n} weeks, by who decided",
            frame=Frame(height=200),
        )
    ap = report["appeals"]
    appeals = _hbars(
        [("upheld", ap["upheld"]), ("overturned", ap["overturned"]), ("pending", ap["pending"])],
        "Appeals by outcome",
        OTHER,
    )
    env = Environment(autoescape=select_autoescape(default=True), undefined=StrictUndefined)
    return env.from_string(PAGE).render(r=report, charts=charts, weekly=chart, appeals=appeals)


def write_transparency(
    ws: Workspace,
    out_dir: str | Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Path]:
    """Write ``transparency.html``, ``.json`` and ``.csv`` into ``out_dir`` (created)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = build_transparency(ws, since=since, until=until)
    html, js, table = out / "transparency.html", out / "transparency.json", out / "transparency.csv"
    html.write_text(render_html(report), encoding="utf-8")
    js.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    with table.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["section", "category", "count", "share"])
        writer.writerows(rows(report))
    return [html, js, table]
