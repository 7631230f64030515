"""How summaries say numbers, shares, durations and dates: one wording for every finding,
campaign, dossier and chart, so a reader learns it once.

>>> from datetime import datetime
>>> dates(datetime(2026, 3, 3, 9), datetime(2026, 3, 5, 17))
'between 3 and 5 March 2026'
>>> count(1, "account"), count(1204, "reply", "replies"), percent(0.004), duration(5400)
('1 account', '1,204 replies', '0.4%', '90 min')
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from separ.workspace import Workspace

__all__ = [
    "DAY",
    "account_name",
    "count",
    "dates",
    "day",
    "duration",
    "moment",
    "percent",
    "utc",
]

DAY = 86_400.0


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3.5 h``, and from three days on ``4 days`` (one decimal
    below ten days: ``3.5 days``)."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * DAY:
        return f"{seconds / 3600:.1f} h"
    days = seconds / DAY
    text = f"{days:.1f}".removesuffix(".0") if days < 10 else f"{days:.0f}"
    return f"{text} days"


def count(n: int, word: str, plural: str | None = None) -> str:
    """``1 account``, ``2,400 accounts`` (``plural`` where adding an s is wrong)."""
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def percent(share: float) -> str:
    """A share as a percentage with as many decimals as it needs to not read as 0%
    (``37%``, ``0.4%``, ``0.04%``, ``<0.01%``)."""
    if share >= 0.01 or share == 0:
        return f"{share:.0%}"
    if share >= 0.001:
        return f"{share:.1%}"
    return f"{share:.2%}" if share >= 1e-4 else "<0.01%"


def utc(epoch: float) -> datetime:
    """Epoch seconds as a naive UTC datetime (how the workspace stores times)."""
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def day(value: datetime) -> str:
    """``3 March 2026``."""
    return f"{value.day} {value:%B %Y}"


def moment(value: datetime) -> str:
    """``3 March 2026, 12:36 UTC``."""
    return f"{day(value)}, {value:%H:%M} UTC"


def dates(first: datetime, last: datetime, *, times: bool = False) -> str:
    """When something happened, from its first to its last time: ``on 3 March 2026``,
    ``between 3 and 5 March 2026``, ``between 28 February and 2 March 2026``,
    ``between 30 December 2025 and 2 January 2026``. With ``times``, one day also gets
    its clock times: ``on 3 March 2026, 12:36-12:42 UTC``."""
    if first.date() == last.date():
        if not times:
            return f"on {day(first)}"
        start, end = f"{first:%H:%M}", f"{last:%H:%M}"
        return f"on {day(first)}, {start if start == end else f'{start}-{end}'} UTC"
    if (first.year, first.month) == (last.year, last.month):
        return f"between {first.day} and {day(last)}"
    if first.year == last.year:
        return f"between {first.day} {first:%B} and {day(last)}"
    return f"between {day(first)} and {day(last)}"


def account_name(ws: Workspace, account: str) -> str:
    """``@handle`` when the account has one, else its id."""
    rows = ws.sql("SELECT handle FROM accounts WHERE account_id = ?", [account])
    handle = rows[0][0] if rows and rows[0][0] else None
    return f"@{handle.lstrip('@')}" if handle else account
