"""Monitors of the platform's own moderation: enforcement waves and moderator audits."""
