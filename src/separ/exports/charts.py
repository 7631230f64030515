"""Small inline SVG charts for self-contained reports: bars over time, mirrored histograms,
scatter plots and a pHash bit grid. No JavaScript, no fonts or files to fetch.

Each function takes plain numbers (times as epoch seconds, UTC) and returns one ``<svg>``
element as text; every label is escaped. The charts carry a ``<title>`` and a ``<desc>``
(what a screen reader says) and scale to the width of the page (``viewBox``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from html import escape

from separ.wording import percent

FLAGGED = "#c0392b"
"""Accounts or events a finding names."""
OTHER = "#7f8c8d"
"""Everything else (the baseline)."""
BAND = "#f5b7b1"
"""The shaded span of a detected burst."""
INK = "#222"
GRID = "#ddd"
FONT = "font-family:system-ui,'DejaVu Sans',sans-serif;font-size:11px"


@dataclass(frozen=True, slots=True)
class Series:
    """One row of values (stacked bars, one side of a histogram) with its legend label."""

    label: str
    values: Sequence[float]
    colour: str


@dataclass(frozen=True, slots=True)
class Band:
    """A span of time shaded behind the bars, with a short label."""

    start: float
    end: float
    label: str


@dataclass(frozen=True, slots=True)
class Frame:
    """Plot area inside an SVG of ``width`` x ``height`` pixels."""

    width: int = 900
    height: int = 220
    left: int = 48
    right: int = 12
    top: int = 26
    bottom: int = 34

    @property
    def inner_w(self) -> float:
        return float(self.width - self.left - self.right)

    @property
    def inner_h(self) -> float:
        return float(self.height - self.top - self.bottom)


# -- ticks ---------------------------------------------------------------------------------


def nice_ticks(high: float, count: int = 4) -> list[float]:
    """0 and round steps (1, 2, 5 x 10^k) up to at least ``high``."""
    if high <= 0:
        return [0.0, 1.0]
    raw = high / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    top = step * math.ceil(high / step - 1e-9)
    return [i * step for i in range(round(top / step) + 1)]


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _add_months(d: datetime, months: int) -> datetime:
    month = d.month - 1 + months
    return d.replace(year=d.year + month // 12, month=month % 12 + 1, day=1)


def _plus(d: datetime, *, seconds: float) -> datetime:
    return d + timedelta(seconds=seconds)


def _plus_years(d: datetime, *, years: int) -> datetime:
    return d.replace(year=d.year + years)


def time_ticks(low: float, high: float, most: int = 7) -> list[tuple[float, str]]:
    """Calendar-aligned ticks between two epoch times, labelled for their step."""
    span = max(high - low, 1.0)
    start = _utc(low)
    for h in (1, 2, 3, 6, 12):
        if span / (h * 3600) <= most:
            t = start.replace(minute=0, second=0, microsecond=0)
            t -= timedelta(hours=t.hour % h)
            return _walk(t, low, high, partial(_plus, seconds=h * 3600), "%d %b %H:%M")
    for days in (1, 2, 7, 14):
        if span / (days * 86400) <= most:
            t = start.replace(hour=0, minute=0, second=0, microsecond=0)
            return _walk(t, low, high, partial(_plus, seconds=days * 86400), "%d %b %Y")
    for months in (1, 2, 3, 6):
        if span / (months * 30.44 * 86400) <= most:
            t = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            t = _add_months(t, -((t.month - 1) % months))
            return _walk(t, low, high, partial(_add_months, months=months), "%b %Y")
    years = next((y for y in (1, 2, 5, 10, 20, 50) if span / (y * 365.25 * 86400) <= most), 100)
    t = datetime(start.year - start.year % years, 1, 1, tzinfo=UTC)
    return _walk(t, low, high, partial(_plus_years, years=years), "%Y")


def _walk(
    t: datetime, low: float, high: float, step: Callable[[datetime], datetime], fmt: str
) -> list[tuple[float, str]]:
    out = []
    while t.timestamp() <= high:
        if t.timestamp() >= low:
            out.append((t.timestamp(), t.strftime(fmt).lstrip("0")))
        t = step(t)
    return out


def _num(value: float) -> str:
    return f"{value:,.0f}" if value >= 1 or value == 0 else f"{value:.2g}"


# -- building blocks -------------------------------------------------------------------------


def _open(frame: Frame, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {frame.width} {frame.height}" '
        f'width="{frame.width}" height="{frame.height}" role="img" class="chart" '
        f'style="{FONT};max-width:100%;height:auto">',
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>",
        f'<rect x="0" y="0" width="{frame.width}" height="{frame.height}" fill="#fff"/>',
    ]


def _legend(frame: Frame, items: Sequence[tuple[str, str]]) -> list[str]:
    out, x = [], float(frame.left)
    for label, colour in items:
        out.append(f'<rect x="{x:.1f}" y="8" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 14:.1f}" y="17" fill="{INK}">{escape(label)}</text>')
        x += 24 + 6.2 * len(label)
    return out


def _x_time_axis(frame: Frame, low: float, high: float, y: float) -> list[str]:
    out = [
        f'<line x1="{frame.left}" y1="{y:.1f}" x2="{frame.width - frame.right}" y2="{y:.1f}" '
        f'stroke="{INK}"/>'
    ]
    scale = frame.inner_w / max(high - low, 1.0)
    for t, label in time_ticks(low, high):
        x = frame.left + (t - low) * scale
        if x + 3.3 * len(label) > frame.width:
            continue
        out.append(
            f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x:.1f}" y2="{y + 4:.1f}" stroke="{INK}"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{y + 15:.1f}" text-anchor="middle" fill="{INK}">'
            f"{escape(label)}</text>"
        )
    return out


def _y_grid(
    frame: Frame,
    ticks: Sequence[float],
    y_of: Callable[[float], float],
    fmt: Callable[[float], str],
) -> list[str]:
    out = []
    for v in ticks:
        y = y_of(v)
        out.append(
            f'<line x1="{frame.left}" y1="{y:.1f}" x2="{frame.width - frame.right}" '
            f'y2="{y:.1f}" stroke="{GRID}"/>'
        )
        out.append(
            f'<text x="{frame.left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{escape(fmt(v))}</text>"
        )
    return out


# -- charts --------------------------------------------------------------------------------


def time_bars(
    start: float,
    width: float,
    series: Sequence[Series],
    *,
    bands: Sequence[Band] = (),
    title: str,
    desc: str,
    frame: Frame | None = None,
) -> str:
    """Stacked bars over time: bin ``i`` covers ``[start + i*width, start + (i+1)*width)``;
    ``bands`` (detected bursts) are shaded behind the bars and labelled."""
    frame = frame or Frame()
    n = max((len(s.values) for s in series), default=0)
    end = start + max(n, 1) * width
    totals = [sum(s.values[i] for s in series if i < len(s.values)) for i in range(n)]
    ticks = nice_ticks(max(totals, default=0.0))
    base_y = frame.top + frame.inner_h
    y_scale = frame.inner_h / ticks[-1]
    x_scale = frame.inner_w / (end - start)
    out = _open(frame, title, desc)
    out += _legend(frame, [(s.label, s.colour) for s in series] + [("detected burst", BAND)])
    for band in bands:
        x0 = frame.left + (max(band.start, start) - start) * x_scale
        x1 = frame.left + (min(band.end, end) - start) * x_scale
        x1 = max(x1, x0 + 2.0)
        out.append(
            f'<rect class="band" x="{x0:.1f}" y="{frame.top}" width="{x1 - x0:.1f}" '
            f'height="{frame.inner_h:.1f}" fill="{BAND}" opacity="0.6"/>'
        )
        right = x1 + 6.5 * len(band.label) + 3 < frame.width - frame.right
        out.append(
            f'<text x="{x1 + 3 if right else x0 - 3:.1f}" y="{frame.top + 11}" '
            f'text-anchor="{"start" if right else "end"}" fill="{FLAGGED}">'
            f"{escape(band.label)}</text>"
        )
    out += _y_grid(frame, ticks, lambda v: base_y - v * y_scale, _num)
    bar_w = max(frame.inner_w / max(n, 1) - 1.0, 1.0)
    for i in range(n):
        y = base_y
        x = frame.left + i * width * x_scale
        for s in series:
            v = s.values[i] if i < len(s.values) else 0.0
            if v <= 0:
                continue
            h = v * y_scale
            y -= h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{s.colour}"><title>{escape(s.label)}: {_num(v)}</title></rect>'
            )
    out += _x_time_axis(frame, start, end, base_y)
    out.append("</svg>")
    return "\n".join(out)


def mirrored_histogram(
    start: float,
    width: float,
    upper: Series,
    lower: Series,
    *,
    title: str,
    desc: str,
    frame: Frame | None = None,
) -> str:
    """Two distributions over the same time bins, as shares of their own totals: ``upper``
    above the axis, ``lower`` below it, so a cohort's peak stands against the baseline."""
    frame = frame or Frame(height=250, bottom=40)
    n = max(len(upper.values), len(lower.values))
    end = start + max(n, 1) * width
    shares = []
    for s in (upper, lower):
        total = float(sum(s.values)) or 1.0
        shares.append([v / total for v in s.values])
    top = max((v for row in shares for v in row), default=0.0)
    ticks = nice_ticks(top or 1.0, 2)
    mid = frame.top + frame.inner_h / 2
    y_scale = frame.inner_h / 2 / ticks[-1]
    x_scale = frame.inner_w / (end - start)
    out = _open(frame, title, desc)
    out += _legend(
        frame,
        [
            (f"{upper.label} (n = {sum(upper.values):,.0f}), above", upper.colour),
            (f"{lower.label} (n = {sum(lower.values):,.0f}), below", lower.colour),
        ],
    )
    grid = [mid - v * y_scale for v in ticks[1:]] + [mid + v * y_scale for v in ticks[1:]]
    for y, v in zip(grid, list(ticks[1:]) * 2, strict=True):
        out.append(
            f'<line x1="{frame.left}" y1="{y:.1f}" x2="{frame.width - frame.right}" '
            f'y2="{y:.1f}" stroke="{GRID}"/>'
        )
        out.append(
            f'<text x="{frame.left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{percent(v)}</text>"
        )
    bar_w = max(frame.inner_w / max(n, 1) - 1.0, 1.0)
    for sign, s, row in ((-1, upper, shares[0]), (1, lower, shares[1])):
        for i, v in enumerate(row):
            if v <= 0:
                continue
            h = max(v * y_scale, 1.0)
            x = frame.left + i * width * x_scale
            y = mid - h if sign < 0 else mid
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{s.colour}"><title>{escape(s.label)}: {s.values[i]:,.0f} '
                f"({percent(v)})</title></rect>"
            )
    out += _x_time_axis(frame, start, end, frame.top + frame.inner_h + 6)
    out.append(
        f'<line x1="{frame.left}" y1="{mid:.1f}" x2="{frame.width - frame.right}" '
        f'y2="{mid:.1f}" stroke="{INK}"/>'
    )
    out.append("</svg>")
    return "\n".join(out)


def scatter(
    xs: Sequence[float],
    ys: Sequence[float],
    flagged: Sequence[bool],
    *,
    labels: tuple[str, str],
    x_label: str,
    title: str,
    desc: str,
    frame: Frame | None = None,
) -> str:
    """Points at (``xs``, ``ys``) with times (epoch seconds) on the y axis; ``flagged``
    points are drawn last, in the finding colour. ``labels`` name the two groups."""
    frame = frame or Frame(height=300, left=70, bottom=40)
    out = _open(frame, title, desc)
    out += _legend(frame, [(labels[0], FLAGGED), (labels[1], OTHER)])
    if not xs:
        out.append("</svg>")
        return "\n".join(out)
    x_hi = max(max(xs), 1.0) * 1.02
    y_lo, y_hi = min(ys), max(ys)
    pad = max((y_hi - y_lo) * 0.03, 86400.0)
    y_lo, y_hi = y_lo - pad, y_hi + pad
    base_y = frame.top + frame.inner_h
    x_scale = frame.inner_w / x_hi
    y_scale = frame.inner_h / (y_hi - y_lo)
    for t, label in time_ticks(y_lo, y_hi, 6):
        y = base_y - (t - y_lo) * y_scale
        out.append(
            f'<line x1="{frame.left}" y1="{y:.1f}" x2="{frame.width - frame.right}" '
            f'y2="{y:.1f}" stroke="{GRID}"/>'
        )
        out.append(
            f'<text x="{frame.left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{escape(label)}</text>"
        )
    for v in nice_ticks(x_hi, 5):
        if v > x_hi:
            break
        x = frame.left + v * x_scale
        out.append(
            f'<text x="{x:.1f}" y="{base_y + 15:.1f}" text-anchor="middle" fill="{INK}">'
            f"{_num(v)}</text>"
        )
    out.append(
        f'<text x="{frame.left + frame.inner_w / 2:.1f}" y="{frame.height - 4}" '
        f'text-anchor="middle" fill="{INK}">{escape(x_label)}</text>'
    )
    out.append(
        f'<line x1="{frame.left}" y1="{base_y:.1f}" x2="{frame.width - frame.right}" '
        f'y2="{base_y:.1f}" stroke="{INK}"/>'
    )
    for want in (False, True):
        colour, r = (FLAGGED, 2.6) if want else (OTHER, 1.8)
        dots = [
            f'<circle cx="{frame.left + x * x_scale:.1f}" cy="{base_y - (y - y_lo) * y_scale:.1f}" '
            f'r="{r}"/>'
            for x, y, f in zip(xs, ys, flagged, strict=True)
            if f == want
        ]
        out.append(f'<g fill="{colour}" fill-opacity="0.75">{"".join(dots)}</g>')
    out.append("</svg>")
    return "\n".join(out)


def bit_grid(hex_hash: str, size: int = 64) -> str:
    """A 64-bit perceptual hash drawn as an 8 x 8 grid, for an image whose file is not at
    hand: near-identical images have near-identical grids."""
    bits = bin(int(hex_hash[:16].ljust(16, "0"), 16))[2:].zfill(64)
    cell = size / 8
    cells = "".join(
        f'<rect x="{(i % 8) * cell:.1f}" y="{(i // 8) * cell:.1f}" width="{cell:.1f}" '
        f'height="{cell:.1f}"/>'
        for i, b in enumerate(bits)
        if b == "1"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" '
        f'height="{size}" role="img" class="hashgrid"><title>pHash {escape(hex_hash)}</title>'
        f'<rect width="{size}" height="{size}" fill="#eee"/><g fill="#555">{cells}</g></svg>'
    )
