"""Engagement and engagement rate, defined per network (documented in docs/analytics.md).

engagements = the interactions a person chose to make with the post: likes (reactions, favourites),
comments (replies), shares (reposts, boosts, retweets) and saves (bookmarks) where the network
exposes them; LinkedIn and X count link clicks as engagement in their own analytics, so we do too there.

engagement rate = engagements / basis, where the basis is what the network lets us measure:
- impressions where the network gives them per post (X, LinkedIn, Threads, YouTube views, the sandbox);
- reach (unique accounts) where it gives reach rather than impressions (Facebook, Instagram);
- the channel's followers at the time of the reading where it gives neither (Bluesky, Mastodon,
  Reddit, Telegram, Discord, Matrix): "per follower" is then the only honest denominator.
Rates are computed as sums over a period (Σ engagements / Σ basis), never as an average of per-post
rates, so a post seen by ten people does not weigh as much as one seen by ten thousand.
"""

from __future__ import annotations

from typing import Protocol

IMPRESSIONS = "impressions"
REACH = "reach"
FOLLOWERS = "followers"

RATE_BASIS: dict[str, str] = {
    "sandbox": IMPRESSIONS,
    "x": IMPRESSIONS,
    "linkedin": IMPRESSIONS,
    "threads": IMPRESSIONS,
    "youtube": IMPRESSIONS,
    "tiktok": IMPRESSIONS,
    "pinterest": IMPRESSIONS,
    "facebook": REACH,
    "instagram": REACH,
    "bluesky": FOLLOWERS,
    "mastodon": FOLLOWERS,
    "reddit": FOLLOWERS,
    "telegram": FOLLOWERS,
    "discord": FOLLOWERS,
    "matrix": FOLLOWERS,
    "rss": FOLLOWERS,
}
CLICKS_ARE_ENGAGEMENT = frozenset({"linkedin", "x"})


class Counters(Protocol):
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None
    clicks: int | None
    impressions: int | None
    reach: int | None


def basis_of(network: str) -> str:
    return RATE_BASIS.get(network, IMPRESSIONS)


def engagements(network: str, c: Counters) -> int:
    total = (c.likes or 0) + (c.comments or 0) + (c.shares or 0) + (c.saves or 0)
    if network in CLICKS_ARE_ENGAGEMENT:
        total += c.clicks or 0
    return total


def basis_value(network: str, c: Counters, followers: int | None) -> int | None:
    """The denominator for this post's rate; falls back to the next available measure."""
    kind = basis_of(network)
    order = {IMPRESSIONS: ("impressions", "reach"), REACH: ("reach", "impressions")}.get(kind, ())
    for name in order:
        value = getattr(c, name)
        if value:
            return int(value)
    return followers or None


def rate(engaged: float, basis: float) -> float | None:
    """In percent (3.2 means 3.2 %); None when there is nothing to divide by."""
    return 100.0 * engaged / basis if basis > 0 else None
