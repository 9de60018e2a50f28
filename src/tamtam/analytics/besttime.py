"""Best time to post, learned from the account's own history, with its uncertainty.

Each published post with a rate basis gives one observation: its engagement rate (all it gained /
its basis, engagement.py), filed under the weekday and hour it went out in the workspace's time zone.
For each of the 168 slots, the slot's mean rate is shrunk towards a prior (the network's typical
curve scaled to the account's own mean rate) with the weight of K_PRIOR posts, so a slot seen once
cannot top the list by luck; the 90 % interval is +/-1.645 pooled standard deviations / sqrt(n + K).
Slots are ranked by the low end of that interval.
Scores are an index: 100 = the account's average post.

Fewer than MIN_POSTS posts with metrics is too thin a history: the network-level prior is shown
instead, and `source` / `note` say so.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from tamtam.accounts.models import Workspace
from tamtam.analytics.models import PostDaily

MIN_POSTS = 30
MAX_EVENTS = 2000
K_PRIOR = 3.0
Z90 = 1.645

# Typical relative audience by hour (0-23), for three families of networks, and by weekday (Mon = 0).
_PROFESSIONAL = [1, 1, 1, 1, 1, 2, 4, 7, 10, 10, 9, 8, 9, 8, 7, 7, 8, 8, 6, 4, 3, 2, 1, 1]
_EVENING = [3, 2, 1, 1, 1, 1, 2, 4, 5, 5, 5, 6, 8, 7, 5, 5, 6, 7, 9, 10, 10, 8, 6, 4]
_CONVERSATION = [2, 1, 1, 1, 1, 2, 4, 8, 10, 9, 8, 8, 9, 8, 7, 7, 8, 9, 8, 7, 6, 5, 4, 3]
_WEEKDAYS = {
    "professional": [9, 10, 10, 9, 7, 2, 2],
    "evening": [8, 9, 9, 9, 8, 8, 8],
    "conversation": [9, 10, 10, 9, 8, 6, 6],
}
NETWORK_FAMILY = {
    "linkedin": "professional",
    "x": "conversation",
    "bluesky": "conversation",
    "mastodon": "conversation",
    "threads": "conversation",
    "reddit": "conversation",
    "instagram": "evening",
    "facebook": "evening",
    "tiktok": "evening",
    "youtube": "evening",
    "pinterest": "evening",
}
_HOURS = {"professional": _PROFESSIONAL, "evening": _EVENING, "conversation": _CONVERSATION}


def prior_weight(network: str, weekday: int, hour: int) -> float:
    family = NETWORK_FAMILY.get(network, "conversation")
    return _HOURS[family][hour] * _WEEKDAYS[family][weekday] / 100.0


@dataclass
class Slot:
    weekday: int  # 0 = Monday
    hour: int
    score: float  # index, 100 = the account's average post (or the prior's average slot)
    low: float
    high: float
    posts: int


@dataclass
class BestTimes:
    source: str  # "history" or "prior"
    posts: int  # posts with metrics in the history
    note: str
    slots: list[Slot] = field(default_factory=list)  # all 168, Monday 0 h first

    def grid(self) -> list[list[Slot]]:
        return [self.slots[d * 24 : (d + 1) * 24] for d in range(7)]

    def best(self, count: int = 5, spacing_hours: int = 3) -> list[Slot]:
        """The best slots, at least `spacing_hours` apart on the same day (not 18 h, 19 h, 20 h).

        Ranked by the low end of the interval: a slot must have proven itself, an unseen slot with a
        flattering prior does not win."""
        chosen: list[Slot] = []
        for slot in sorted(self.slots, key=lambda s: (-s.low, -s.score, s.weekday, s.hour)):
            if all(s.weekday != slot.weekday or abs(s.hour - slot.hour) >= spacing_hours for s in chosen):
                chosen.append(slot)
            if len(chosen) == count:
                break
        return chosen

    def good(self, share: float = 0.15) -> set[tuple[int, int]]:
        """(weekday, hour) of the top `share` of slots: highlighted in the calendar."""
        ranked = sorted(self.slots, key=lambda s: (-s.low, -s.score))
        return {(s.weekday, s.hour) for s in ranked[: max(1, round(len(ranked) * share))]}


def observations(
    workspace: Workspace, channel_ids: list[int] | None = None
) -> list[tuple[int, int, float, str]]:
    """(weekday, hour, engagement rate, network) of each published post with a rate basis."""
    from tamtam.publishing.models import PostTarget

    qs = PostDaily.objects.filter(workspace=workspace)
    if channel_ids is not None:
        qs = qs.filter(channel_id__in=channel_ids)
    sums = {
        r["target_id"]: r for r in qs.values("target_id").annotate(e=Sum("engagements"), b=Sum("rate_basis"))
    }
    tz = workspace.tz
    out = []
    targets = PostTarget.objects.filter(pk__in=list(sums), published_at__isnull=False).select_related(
        "channel"
    )
    for t in targets.only("pk", "published_at", "channel__network"):
        row = sums[t.pk]
        if not row["b"] or t.published_at is None:
            continue
        local = t.published_at.astimezone(tz)
        out.append((local.weekday(), local.hour, float(row["e"] or 0) / float(row["b"]), t.channel.network))
    return out


def _network(
    obs: list[tuple[int, int, float, str]], workspace: Workspace, channel_ids: list[int] | None
) -> str:
    if obs:
        return statistics.mode(n for *_rest, n in obs)
    from tamtam.channels.models import Channel

    qs = Channel.objects.filter(workspace=workspace)
    if channel_ids is not None:
        qs = qs.filter(pk__in=channel_ids)
    first = qs.order_by("pk").values_list("network", flat=True).first()
    return first or "sandbox"


def best_times(workspace: Workspace, channel_ids: list[int] | None = None) -> BestTimes:
    obs = observations(workspace, channel_ids)
    network = _network(obs, workspace, channel_ids)
    weights = {(d, h): prior_weight(network, d, h) for d in range(7) for h in range(24)}
    mean_weight = statistics.fmean(weights.values())
    if len(obs) < MIN_POSTS:
        note = _(
            "Only %(n)d posts with metrics: too few to learn this account's best times. "
            "Typical times for the network are shown until there are %(min)d."
        ) % {"n": len(obs), "min": MIN_POSTS}
        slots = [
            Slot(
                d,
                h,
                round(100 * w / mean_weight, 1),
                round(100 * w / mean_weight, 1),
                round(100 * w / mean_weight, 1),
                0,
            )
            for (d, h), w in sorted(weights.items())
        ]
        return BestTimes("prior", len(obs), note, slots)
    rates = [r for *_slot, r, _n in obs]
    mean = statistics.fmean(rates)
    sd = statistics.pstdev(rates) or mean * 0.5
    by_slot: dict[tuple[int, int], list[float]] = defaultdict(list)
    for d, h, r, _n in obs:
        by_slot[(d, h)].append(r)
    slots = []
    for (d, h), w in sorted(weights.items()):
        seen = by_slot.get((d, h), [])
        # The square root tempers the prior: typical curves say "evenings", not "exactly 19 h".
        prior = mean * math.sqrt(w / mean_weight)
        n = len(seen)
        posterior = (sum(seen) + K_PRIOR * prior) / (n + K_PRIOR)
        half = Z90 * sd / math.sqrt(n + K_PRIOR)
        index = 100.0 / mean if mean > 0 else 0.0
        slots.append(
            Slot(
                d,
                h,
                round(posterior * index, 1),
                round(max(0.0, posterior - half) * index, 1),
                round((posterior + half) * index, 1),
                n,
            )
        )
    note = _("Learned from %(n)d posts of this account; the range is a 90 %% interval.") % {"n": len(obs)}
    return BestTimes("history", len(obs), note, slots)


def suggest_for_queue(queue: object, count: int = 3) -> tuple[BestTimes, list[Slot]]:
    """Best slots for a publishing queue's channels that the queue does not have yet (on the hour)."""
    workspace = queue.workspace  # type: ignore[attr-defined]
    channel_ids = list(queue.channels.values_list("pk", flat=True))  # type: ignore[attr-defined]
    found = best_times(workspace, channel_ids or None)
    taken = {(s.weekday, s.time.hour) for s in queue.slots.all()}  # type: ignore[attr-defined]
    return found, [s for s in found.best(count + len(taken)) if (s.weekday, s.hour) not in taken][:count]


def good_slot_events(found: BestTimes, start: datetime, end: datetime, tz: Any) -> list[dict[str, Any]]:
    """FullCalendar background events for the good slots between `start` and `end` (wall clock in tz)."""
    good = found.good()
    title = _("Good time to post") if found.source == "history" else _("Typical good time (network)")
    events: list[dict[str, Any]] = []
    moment = start.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    while moment < end and len(events) < MAX_EVENTS:
        if (moment.weekday(), moment.hour) in good:
            events.append(
                {
                    "start": moment.replace(tzinfo=None).isoformat(),
                    "end": (moment + timedelta(hours=1)).replace(tzinfo=None).isoformat(),
                    "display": "background",
                    "classNames": ["tt-good-slot", f"tt-good-slot-{found.source}"],
                    "title": title,
                }
            )
        moment = (moment + timedelta(hours=1)).astimezone(tz)
    return events
