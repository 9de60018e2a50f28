"""Helpers of the listening tests (imported by name: tests/ has no packages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tamtam.listening.pipeline import RawItem

NOW = datetime(2026, 12, 2, 10, 30, 15, tzinfo=UTC)


def item(text: str, n: int = 0, **kwargs: Any) -> RawItem:
    defaults: dict[str, Any] = {
        "network": "sandbox",
        "remote_id": f"p{n}",
        "published_at": NOW - timedelta(minutes=1),
        "author_id": f"u{n}",
        "author_handle": f"user{n}",
        "author_followers": 100 * (n + 1),
    }
    defaults.update(kwargs)
    return RawItem(text=text, **defaults)
