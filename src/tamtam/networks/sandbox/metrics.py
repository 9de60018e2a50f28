"""The sandbox's post and account counters: deterministic (seeded), and shaped like real ones.

- Followers grow from `audience_size` (default 1,000) by about 0.3 % a week, with a little daily noise.
- A post's final reach is a share of the followers (plus some non-followers), scaled by a per-post
  quality drawn from a log-normal (a few posts do far better than the rest), and by when it went out:
  the audience's local hour (`audience_tz`, default Europe/Paris: peaks at lunch and 18-21 h, almost
  nobody at 3 h) and weekday (Tuesday to Thursday best, Sunday worst).
- Counters grow with the post's age as 1 - e^(-age/τ), τ = 5 h: most of a post's life is its first day.
- Engagements are 1.5-6 % of impressions (likes ≫ comments, shares, saves); link clicks only for posts
  with a link.
Counters never decrease, and the same post at the same instant always gives the same numbers.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tamtam.networks.base import AccountMetrics, PostMetrics

HALF_LIFE_S = 5 * 3600.0
# Share of the day's best audience by local hour (0-23) and weekday (Monday = 0).
HOUR_WEIGHT = [
    0.10, 0.06, 0.04, 0.03, 0.04, 0.08, 0.20, 0.40, 0.60, 0.65, 0.62, 0.70,
    0.90, 0.85, 0.60, 0.55, 0.58, 0.70, 0.90, 1.00, 0.95, 0.75, 0.45, 0.22,
]  # fmt: skip
WEEKDAY_WEIGHT = [0.85, 1.00, 0.98, 0.95, 0.80, 0.60, 0.55]


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass(frozen=True)
class Audience:
    seed: object
    base_followers: int
    created_at: float  # epoch seconds
    tz: ZoneInfo

    def followers(self, now: float) -> int:
        days = max(0.0, (now - self.created_at) / 86400.0)
        growth = self.base_followers * (1.003 ** (days / 7.0) - 1.0)
        noise = _rng(self.seed, "followers", int(now // 86400)).uniform(-0.002, 0.002) * self.base_followers
        return max(0, round(self.base_followers + growth + noise))

    def slot_weight(self, created_at: float) -> float:
        local = datetime.fromtimestamp(created_at, tz=UTC).astimezone(self.tz)
        return HOUR_WEIGHT[local.hour] * WEEKDAY_WEIGHT[local.weekday()]


def post_metrics(
    audience: Audience, remote_id: str, created_at: float, now: float, *, has_link: bool, media_count: int
) -> PostMetrics:
    rng = _rng(audience.seed, "post", remote_id)
    quality = math.exp(rng.gauss(0.0, 0.55)) * (1.25 if media_count else 1.0)
    weight = audience.slot_weight(created_at)
    followers = audience.followers(created_at)
    final_impressions = followers * 0.9 * weight * quality + rng.uniform(0, 30)
    rate = rng.uniform(0.015, 0.06) * (0.6 + 0.4 * weight)
    final = {
        "impressions": final_impressions,
        "reach": final_impressions * rng.uniform(0.7, 0.85),
        "likes": final_impressions * rate * 0.78,
        "comments": final_impressions * rate * 0.08,
        "shares": final_impressions * rate * 0.10,
        "saves": final_impressions * rate * 0.04,
        "clicks": final_impressions * rng.uniform(0.005, 0.02) if has_link else 0.0,
        "video_views": 0.0,
    }
    age = max(0.0, now - created_at)
    grown = 1.0 - math.exp(-age / HALF_LIFE_S)
    v = {name: int(value * grown) for name, value in final.items()}
    return PostMetrics(
        remote_id=remote_id,
        impressions=v["impressions"],
        reach=v["reach"],
        likes=v["likes"],
        comments=v["comments"],
        shares=v["shares"],
        saves=v["saves"],
        clicks=v["clicks"],
        video_views=v["video_views"],
    )


def account_metrics(audience: Audience, now: float, posts: int) -> AccountMetrics:
    followers = audience.followers(now)
    following = 50 + _rng(audience.seed, "following").randrange(400)
    return AccountMetrics(followers=followers, following=following, posts=posts)
