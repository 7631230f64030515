"""The native tables as typed models: one place for names, types and required columns.

Everything that creates, validates, imports or exports a native table reads this module:
the workspace DDL, the native importer's checks, the exporter and the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["id", "text", "time", "int", "float", "bool", "list", "enum"]

SQL_TYPES: dict[Kind, str] = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "time": "TIMESTAMP",  # always UTC
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "list": "VARCHAR[]",
    "enum": "VARCHAR",
}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()
    doc: str = ""

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    doc: str = ""
    optional: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def _c(name: str, kind: Kind, required: bool = False, *choices: str, doc: str = "") -> Column:
    return Column(name, kind, required, tuple(choices), doc)


POST_KINDS = ("post", "repost", "reply", "quote")
ACTIONS = ("suspend", "remove", "limit", "label", "restore", "warn")
RESTRICTIONS = tuple(a for a in ACTIONS if a != "restore")
"""Actions that restrict an account or its content (everything but ``restore``)."""
TRIGGERS = ("report", "detector", "proactive", "government", "appeal")
APPEAL_STATUS = ("open", "upheld", "overturned")
NETWORKS = ("residential", "mobile", "datacenter", "vpn", "tor", "unknown")
REGISTERS = ("protected", "affiliated")

ACCOUNTS = Table(
    "accounts",
    (
        _c("account_id", "id", True),
        _c("handle", "text"),
        _c("display_name", "text"),
        _c("bio", "text"),
        _c("created_at", "time"),
        _c("lang", "text"),
        _c("avatar", "text", doc="path relative to the source folder, or a URL; never fetched"),
        _c("avatar_hash", "text", doc="phash:HEX or pdq:HEX"),
        _c("default_avatar", "bool"),
        _c("followers_count", "int"),
        _c("following_count", "int"),
        _c("posts_count", "int"),
        _c("snapshot_at", "time", doc="when the profile counts were observed"),
        _c("verified", "bool"),
        _c("location", "text"),
        _c("url", "text"),
    ),
    key=("account_id",),
    doc="One row per account, the latest profile snapshot.",
)

POSTS = Table(
    "posts",
    (
        _c("post_id", "id", True),
        _c("account_id", "id", True),
        _c("created_at", "time", True),
        _c("kind", "enum", True, *POST_KINDS),
        _c("text", "text"),
        _c("lang", "text"),
        _c("ref_post_id", "id", doc="the post reposted, replied to or quoted"),
        _c("ref_account_id", "id"),
        _c("hashtags", "list", doc="as typed, with or without #"),
        _c("urls", "list", doc="as posted"),
        _c("mentions", "list", doc="account ids (an @handle matching a known handle is resolved)"),
        _c("media_hashes", "list", doc="phash:HEX or pdq:HEX"),
        _c("client", "text"),
    ),
    key=("post_id",),
    doc="Posts, reposts, replies and quotes.",
)

FOLLOWS = Table(
    "follows",
    (
        _c("follower_id", "id", True),
        _c("followee_id", "id", True),
        _c("created_at", "time"),
        _c("rank", "int", doc="follow order per followee, 0 = earliest, when times are unknown"),
    ),
    key=("follower_id", "followee_id"),
    doc="Who follows whom, with the time or the order of the follow.",
)

REPORTS = Table(
    "reports",
    (
        _c("report_id", "id", True),
        _c("reporter_id", "id", True),
        _c("target_account_id", "id", True),
        _c("target_post_id", "id"),
        _c("reason", "text", True),
        _c("created_at", "time", True),
    ),
    key=("report_id",),
    doc="User reports against accounts or posts.",
)

ACTIONS_TABLE = Table(
    "actions",
    (
        _c("action_id", "id", True),
        _c("account_id", "id", True),
        _c("post_id", "id"),
        _c("action", "enum", True, *ACTIONS),
        _c("policy", "text", True),
        _c("created_at", "time", True),
        _c("actor", "text", True, doc="moderator id, or 'automated'"),
        _c("automated", "bool", True),
        _c("trigger", "enum", False, *TRIGGERS),
        _c("trigger_ref", "list", doc="report ids or a finding id"),
        _c("reason", "text"),
        _c("ends_at", "time"),
    ),
    key=("action_id",),
    doc="Moderation actions taken by the platform.",
)

APPEALS = Table(
    "appeals",
    (
        _c("appeal_id", "id", True),
        _c("action_id", "id", True),
        _c("filed_at", "time", True),
        _c("statement", "text"),
        _c("status", "enum", False, *APPEAL_STATUS),
        _c("decided_at", "time"),
        _c("reviewer", "text"),
    ),
    key=("appeal_id",),
    doc="Appeals against moderation actions.",
)

LOGINS = Table(
    "logins",
    (
        _c("account_id", "id", True),
        _c("ts", "time", True),
        _c("network", "enum", False, *NETWORKS),
        _c("asn", "text"),
        _c("ip_hash", "text", doc="salted hash, never a raw IP"),
        _c("device_hash", "text", doc="salted hash, never a raw device id"),
    ),
    key=("account_id", "ts", "ip_hash", "device_hash"),
    doc="Platform-internal login records (optional).",
    optional=True,
)

REGISTERS_TABLE = Table(
    "registers",
    (
        _c("account_id", "id", True),
        _c("register", "enum", True, *REGISTERS),
        _c("kind", "text", doc="journalist, activist, whrd; state-official, state-media, ..."),
        _c("country", "text"),
        _c("source", "text"),
        _c("since", "time"),
    ),
    key=("account_id", "register"),
    doc="The operator's own knowledge: accounts at risk and accounts known to be state-affiliated.",
)

LABELS = Table(
    "labels",
    (
        _c("account_id", "id", True),
        _c("label", "text", True),
        _c("dataset", "text", True),
    ),
    key=("account_id", "dataset"),
    doc="Ground truth that came with an imported data set; detectors never read it.",
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        ACCOUNTS,
        POSTS,
        FOLLOWS,
        REPORTS,
        ACTIONS_TABLE,
        APPEALS,
        LOGINS,
        REGISTERS_TABLE,
        LABELS,
    )
}
"""Every native table, in load order (accounts first, so handles can resolve mentions)."""

VERBS = (
    "post",
    "repost",
    "reply",
    "quote",
    "link",
    "domain",
    "hashtag",
    "hashtag_seq",
    "mention",
    "media",
    "follow",
    "report",
)
"""The co-action layers of the activity table."""

PROFILE_VERBS = ("avatar",)
"""Activity rows that describe an account rather than an act: ``avatar`` (object = the
avatar's perceptual hash, ts = the account's creation time). Detectors cite them as
evidence; co-action does not pair them by default."""
