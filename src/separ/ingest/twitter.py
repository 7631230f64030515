"""Twitter user objects (API v1.1 and v2) as ``accounts`` rows, for ``twarc`` and ``profiles``.

:func:`v1_account` and :func:`v2_account` return an ``accounts`` row plus the source
fields that have no native column (``extra``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from separ.ingest.rows import Row

DEFAULT_AVATAR_MARK = "/default_profile_images/"
"""Every Twitter default ("egg" or silhouette) profile image lives under this path."""

V1_BOOLS = frozenset(
    {
        "contributors_enabled",
        "default_profile",
        "default_profile_image",
        "follow_request_sent",
        "following",
        "geo_enabled",
        "has_extended_profile",
        "is_translation_enabled",
        "is_translator",
        "notifications",
        "profile_background_tile",
        "profile_use_background_image",
        "protected",
        "verified",
    }
)
"""Boolean fields of a v1.1 user object."""

V1_INTS = frozenset(
    {
        "favourites_count",
        "followers_count",
        "friends_count",
        "listed_count",
        "statuses_count",
        "utc_offset",
    }
)
"""Whole-number fields of a v1.1 user object."""


def default_avatar(url: Any) -> bool | None:
    """True when a Twitter profile image URL is the default image; None when unknown."""
    if not isinstance(url, str) or not url:
        return None
    return DEFAULT_AVATAR_MARK in url


def _expanded_profile_url(user: Mapping[str, Any]) -> Any:
    """The profile link as the person typed it (``entities.url``), else the t.co link."""
    entities = user.get("entities")
    if isinstance(entities, dict):
        url = entities.get("url")
        if isinstance(url, dict):
            urls = url.get("urls")
            if isinstance(urls, list) and urls and isinstance(urls[0], dict):
                expanded = urls[0].get("expanded_url")
                if expanded:
                    return expanded
    return user.get("url")


def v1_account(user: Mapping[str, Any], snapshot_at: Any = None) -> tuple[Row, Row]:
    """A Twitter API v1.1 user object -> (accounts columns, extra).

    The object may come from JSON (typed values) or from a CSV export (all text; empty
    cells already None). ``id_str`` is preferred over ``id`` (JSON numbers above 2^53 lose
    digits in many tools). Every field without a native column is returned in ``extra``
    under its source name.
    """
    account_id = user.get("id_str")
    used = {"id_str", "id"}
    if account_id in (None, ""):
        account_id = user.get("id")
    avatar_key = (
        "profile_image_url_https" if user.get("profile_image_url_https") else "profile_image_url"
    )
    avatar = user.get(avatar_key)
    default = user.get("default_profile_image")
    row: Row = {
        "account_id": account_id,
        "handle": user.get("screen_name"),
        "display_name": user.get("name"),
        "bio": user.get("description"),
        "created_at": user.get("created_at"),
        "lang": user.get("lang"),
        "avatar": avatar,
        "default_avatar": default if default is not None else default_avatar(avatar),
        "followers_count": user.get("followers_count"),
        "following_count": user.get("friends_count"),
        "posts_count": user.get("statuses_count"),
        "snapshot_at": snapshot_at,
        "verified": user.get("verified"),
        "location": user.get("location"),
        "url": _expanded_profile_url(user),
    }
    used |= {
        "screen_name",
        "name",
        "description",
        "created_at",
        "lang",
        avatar_key,
        "default_profile_image",
        "followers_count",
        "friends_count",
        "statuses_count",
        "verified",
        "location",
        "url",
    }
    extra = {k: v for k, v in user.items() if k not in used and v is not None}
    return row, extra


def v2_account(user: Mapping[str, Any], snapshot_at: Any = None) -> tuple[Row, Row]:
    """A Twitter API v2 user object -> (accounts columns, extra)."""
    metrics = user.get("public_metrics")
    metrics = metrics if isinstance(metrics, dict) else {}
    avatar = user.get("profile_image_url")
    row: Row = {
        "account_id": user.get("id"),
        "handle": user.get("username"),
        "display_name": user.get("name"),
        "bio": user.get("description"),
        "created_at": user.get("created_at"),
        "avatar": avatar,
        "default_avatar": default_avatar(avatar),
        "followers_count": metrics.get("followers_count"),
        "following_count": metrics.get("following_count"),
        "posts_count": metrics.get("tweet_count"),
        "snapshot_at": snapshot_at,
        "verified": user.get("verified"),
        "location": user.get("location"),
        "url": _expanded_profile_url(user),
    }
    used = {
        "id",
        "username",
        "name",
        "description",
        "created_at",
        "profile_image_url",
        "public_metrics",
        "verified",
        "location",
        "url",
    }
    extra = {k: v for k, v in user.items() if k not in used and v is not None}
    rest = {
        k: v
        for k, v in metrics.items()
        if k not in ("followers_count", "following_count", "tweet_count")
    }
    if rest:
        extra["public_metrics"] = rest
    return row, extra
