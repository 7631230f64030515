"""Constants, the claim record and small helpers shared by the dossier's sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from separ.wording import utc

FORMAT = "separ-dossier/1"
MAX_REPORT_ROWS = 300
"""Reports listed: every attributed one, then others up to this many (counts cover all)."""
MAX_EXCERPTS = 12
"""Reply excerpts per finding."""
MAX_MAP_POINTS = 4000
"""Other followers drawn in the follower map (every k-th one beyond this)."""
MAX_TILES = 24
"""Reused profile images in the grid."""
MAX_RELATED = 30
"""Other findings about the same accounts."""
MAX_ZOOMS = 3
"""Bursts shown in close-up."""
MAX_EVENTS_SHOWN = 400
"""Event ids listed under one claim in the page (the JSON and the findings hold them all)."""
MAX_AVATAR_BYTES = 256 * 1024
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
}
RTL = {"fa", "ar", "ur", "ps", "he", "ckb", "yi", "dv", "sd", "ug"}
TIME_BINS = (3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400)
ZOOM_BINS = (300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 86400)
AGE_BINS = (86400, 7 * 86400, 30 * 86400, 91 * 86400, 365 * 86400)
HOW = {"reply": "replies", "quote": "quotes", "mention": "mentions", "repost": "reposts"}


@dataclass
class Claim:
    """One statement of the dossier with the findings and events that justify it."""

    section: str
    text: str
    finding_ids: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    id: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "section": self.section,
            "text": self.text,
            "finding_ids": sorted(set(self.finding_ids)),
            "event_ids": sorted(set(self.event_ids)),
        }


# -- small helpers -------------------------------------------------------------------------


ISO = "%Y-%m-%dT%H:%M:%SZ"
"""How the dossier writes times: ISO 8601, UTC."""


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.strftime(ISO)


def epoch(value: datetime) -> float:
    return value.replace(tzinfo=UTC).timestamp()


def stamp(seconds: float) -> str:
    """Epoch seconds as ISO 8601 UTC."""
    return utc(seconds).strftime(ISO)


def unstamp(text: str) -> float:
    return epoch(datetime.strptime(text, ISO))


def text_dir(lang: str | None) -> str:
    """``rtl`` for right-to-left languages, else ``auto`` (the first strong character)."""
    return "rtl" if (lang or "").split("-")[0].lower() in RTL else "auto"


def bin_width(span: float, choices: tuple[int, ...], most: int) -> int:
    return next((w for w in choices if span / w <= most), choices[-1])
