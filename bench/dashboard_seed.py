"""Seeding for bench/analytics_dashboard.py: a year of an agency's measured life, fast.

50 workspaces (three time zones), 4 channels each on networks whose engagement rate has a different
basis (impressions, reach, followers; LinkedIn counting clicks as engagement), posts published at
business hours of the workspace's time zone over the last ~400 days, and for each post the readings
the metrics poll takes as it ages (every 15 minutes for 2 hours, hourly for a day, every 6 hours for
a week, daily for a month, weekly for three months: ~85 readings for an old post), the account's
follower counts every 6 hours, short links on half the posts and their clicks (bots, floods, repeat
visitors), conversions after some clicks, listening mentions with their sentiment and inbox
conversations with their response times.

Speed: the big tables are written by raw `executemany` on the sqlite3 connection (or COPY on
PostgreSQL) with their secondary indexes dropped during the load and rebuilt after, and the numbers
are computed with numpy, one channel at a time. The daily rollups (PostDaily, ChannelDaily) are
computed here from the same readings with the rules of analytics/rollups.py — and `verify()` then
rebuilds a sample of posts and channel days with the product's own rollup code and compares, so the
dashboards read exactly what the metrics poller would have left.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from dashboard_seed_base import (
    DAY,
    HOUR,
    HOUR_WEIGHTS,
    NETWORKS,
    SCHEDULE,
    TIME_ZONES,
    TzTable,
    Writer,
    curve,
    days_text,
    model_columns,
    ts,
)
from dashboard_seed_events import Events, verify  # noqa: F401  (verify: the bench calls it from here)


class Seeder(Events):
    """One run of the seed: `run()` writes everything and returns the counts."""

    def __init__(self, workspaces: int, snapshots: int, clicks: int, days: int, seed: int = 7) -> None:
        self.n_workspaces, self.n_snapshots, self.n_clicks, self.days = workspaces, snapshots, clicks, days
        self.rng = np.random.default_rng(seed)
        self.now = int(time.time()) // 60 * 60
        self.start = self.now - days * DAY
        self.t0 = self.start - 2 * DAY  # the accounts' first follower reading, before any post
        self.writer = Writer()
        self.counts: dict[str, int] = defaultdict(int)
        self.tz: dict[str, TzTable] = {
            name: TzTable(name, self.t0 - DAY, self.now + DAY) for name in TIME_ZONES
        }

    # --- the small, ORM-made part: workspaces, channels, strategy ------------------------------------
    def structure(self) -> None:
        from django.contrib.auth import get_user_model

        from tamtam.accounts.models import Agency, Membership, Role, Workspace
        from tamtam.channels.models import Channel
        from tamtam.listening.models import Query
        from tamtam.strategy.models import BudgetLine, Campaign, Objective, Persona, Pillar

        agency = Agency.objects.create(name="Bench agency", slug="bench")
        self.user = get_user_model().objects.create_user("dash-analyst")
        today = datetime.fromtimestamp(self.now, UTC).date()
        self.ws: list[dict[str, Any]] = []
        for w in range(self.n_workspaces):
            tz_name = TIME_ZONES[w % len(TIME_ZONES)]
            ws = Workspace.objects.create(
                agency=agency, name=f"Client {w:02d}", slug=f"c{w}", time_zone=tz_name
            )
            Membership.objects.create(user=self.user, workspace=ws, role=Role.ANALYST)
            channels = [
                Channel.objects.create(
                    workspace=ws, network=net, name=f"{net.title()} {w:02d}", handle=f"c{w}{net}"
                )
                for net in NETWORKS
            ]
            pillars = [
                Pillar.objects.create(workspace=ws, name=name, target_share=share)
                for name, share in (("Product", 40), ("Behind the scenes", 30), ("Community", 30))
            ]
            campaigns = [
                Campaign.objects.create(
                    workspace=ws,
                    name=f"Campaign {k}",
                    utm_campaign=f"camp-{w}-{k}",
                    starts_on=today - timedelta(days=120 * (k + 1)),
                    ends_on=today - timedelta(days=120 * k - 20),
                )
                for k in range(2)
            ]
            persona = Persona.objects.create(workspace=ws, name="Young parents")
            persona.channels.set(channels[:2])
            quarter = today - timedelta(days=60)
            for kind, metric, target, mode in (
                ("awareness", "impressions", 2_000_000, "level"),
                ("engagement", "engagement_rate", 3.5, "level"),
                ("traffic", "clicks", 9_000, "level"),
                ("awareness", "followers", 3_000, "growth"),
                ("revenue", "conversion_value", 20_000, "level"),
            ):
                Objective.objects.create(
                    workspace=ws,
                    kind=kind,
                    name=f"{metric} this quarter",
                    metric=metric,
                    target=Decimal(str(target)),
                    target_mode=mode,
                    starts_on=quarter,
                    ends_on=quarter + timedelta(days=90),
                )
            for k, (category, planned, actual) in enumerate(
                (("paid", 3000, 2400), ("content", 5000, 5100), ("tools", 600, 600))
            ):
                BudgetLine.objects.create(
                    workspace=ws,
                    campaign=campaigns[k % 2],
                    category=category,
                    label=category,
                    planned_amount=Decimal(planned),
                    actual_amount=Decimal(actual),
                    currency="EUR",
                    starts_on=today - timedelta(days=240),
                    ends_on=today,
                )
            query = Query.objects.create(workspace=ws, name="Brand", expression=f"client{w}")
            self.ws.append(
                {
                    "id": ws.pk,
                    "tz": tz_name,
                    "channels": [(c.pk, c.network) for c in channels],
                    "pillars": [p.pk for p in pillars],
                    "campaigns": [c.pk for c in campaigns],
                    "query": query.pk,
                }
            )

    # --- posts: when they went out, how good they were --------------------------------------------
    def plan_posts(self) -> None:
        """Publication times and final counters of every post (small arrays), before any reading."""
        ages = self.rng.uniform(600, self.days * DAY, 200_000)
        per_post = float((SCHEDULE[None, :] <= ages[:, None]).sum(axis=1).mean())
        accounts = self.n_workspaces * len(NETWORKS) * ((self.now - self.t0) // (6 * HOUR) + 1)
        wanted = max(1, self.n_snapshots - accounts)
        per_channel = int(np.ceil(wanted / per_post / (self.n_workspaces * len(NETWORKS)) * 1.003))
        self.channels: list[dict[str, Any]] = []
        next_id = 1
        for ws in self.ws:
            tz = self.tz[ws["tz"]]
            for channel_id, network in ws["channels"]:
                local_now = self.now + int(tz.offsets[-1])
                day = self.rng.integers(
                    (local_now - self.days * DAY) // DAY, local_now // DAY + 1, per_channel
                )
                hour = self.rng.choice(24, per_channel, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
                local = day * DAY + hour * HOUR + self.rng.integers(0, 60, per_channel) * 60
                pub = np.sort(tz.local_to_utc(local))
                pub = pub[(pub < self.now - 600) & (pub > self.t0 + DAY)]
                n = len(pub)
                followers0 = int(self.rng.lognormal(9.5, 0.8)) + 500
                growth = self.rng.uniform(2, 25)  # followers a day
                quality = self.rng.lognormal(0, 0.7, n) * (0.6 + 0.8 * HOUR_WEIGHTS[hour[:n]] / 9)
                impressions = np.maximum(500, followers0 * 0.3 * quality).astype(np.int64)
                self.channels.append(
                    {
                        "ws": ws,
                        "id": channel_id,
                        "network": network,
                        "tz": tz,
                        "ids": np.arange(next_id, next_id + n),
                        "pub": pub,
                        "impressions": impressions,
                        "likes_rate": 0.025 * self.rng.lognormal(0, 0.4, n),
                        "followers0": followers0,
                        "growth": growth,
                        "pillar": self.rng.choice([*ws["pillars"], 0], n, p=[0.35, 0.25, 0.25, 0.15]),
                        "campaign": np.where(
                            self.rng.random(n) < 0.3, self.rng.choice(ws["campaigns"], n), 0
                        ),
                        "linked": self.rng.random(n) < 0.5,
                    }
                )
                next_id += n

    def followers(self, ch: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """The channel's follower readings: (instants, counts), every 6 hours from t0."""
        at = np.arange(self.t0, self.now + 1, 6 * HOUR, dtype=np.int64)
        steps = self.rng.normal(ch["growth"] / 4, ch["growth"] / 3, len(at))
        return at, (ch["followers0"] + np.maximum.accumulate(np.cumsum(steps))).astype(np.int64)

    def posts_and_targets(self) -> None:
        from tamtam.publishing.models import Post, PostTarget

        w = self.writer
        post_cols, post_defaults = model_columns(
            Post,
            ["id", "workspace_id", "author_id", "text", "campaign_id", "pillar_id", "scheduled_at", "link"],
            w,
        )
        target_cols, target_defaults = model_columns(
            PostTarget,
            [
                "id",
                "post_id",
                "channel_id",
                "workspace_id",
                "state",
                "scheduled_at",
                "published_at",
                "idempotency_key",
                "remote_id",
                "remote_url",
            ],
            w,
        )
        for ch in self.channels:
            when = ts(ch["pub"])
            ids = ch["ids"].tolist()
            ws_id = ch["ws"]["id"]
            campaign = [c or None for c in ch["campaign"].tolist()]
            pillar = [p or None for p in ch["pillar"].tolist()]
            linked = ch["linked"].tolist()
            w.insert(
                "publishing_post",
                post_cols,
                (
                    (
                        i,
                        ws_id,
                        self.user.pk,
                        f"Post {i}: news from the brand, with a story to tell",
                        c,
                        p,
                        t,
                        f"https://shop.example/p/{i}" if lk else "",
                        *post_defaults,
                    )
                    for i, c, p, t, lk in zip(ids, campaign, pillar, when, linked, strict=True)
                ),
            )
            w.insert(
                "publishing_posttarget",
                target_cols,
                (
                    (
                        i,
                        i,
                        ch["id"],
                        ws_id,
                        "published",
                        t,
                        t,
                        f"bench-{i}",
                        f"r{i}",
                        f"https://net.example/{i}",
                        *target_defaults,
                    )
                    for i, t in zip(ids, when, strict=True)
                ),
            )
            self.counts["targets"] += len(ids)

    # --- readings and the daily rollups computed from them -------------------------------------------
    def readings(self) -> None:
        w = self.writer
        snap_cols = [
            "target_id",
            "channel_id",
            "workspace_id",
            "taken_at",
            "impressions",
            "reach",
            "likes",
            "comments",
            "shares",
            "saves",
            "clicks",
            "video_views",
        ]
        daily_cols = [
            "target_id",
            "workspace_id",
            "channel_id",
            "campaign_id",
            "pillar_id",
            "day",
            "impressions",
            "reach",
            "engagements",
            "clicks",
            "rate_basis",
        ]
        channel_cols = [
            "workspace_id",
            "channel_id",
            "day",
            "impressions",
            "reach",
            "engagements",
            "clicks",
            "rate_basis",
            "posts_published",
            "followers",
            "follower_growth",
            "link_clicks",
            "link_unique_clicks",
            "post_rows",
        ]
        account_cols = [
            "channel_id",
            "workspace_id",
            "taken_at",
            "followers",
            "following",
            "posts",
            "impressions",
        ]
        for ch in self.channels:
            ws_id, network, tz = ch["ws"]["id"], ch["network"], ch["tz"]
            n = len(ch["ids"])
            f_at, f_count = self.followers(ch)
            w.insert(
                "analytics_accountsnapshot",
                account_cols,
                (
                    (ch["id"], ws_id, t, f, 180, None, None)
                    for t, f in zip(ts(f_at), f_count.tolist(), strict=True)
                ),
            )
            self.counts["account_snapshots"] += len(f_at)
            ages = SCHEDULE[None, :] + self.rng.integers(0, 240, (n, len(SCHEDULE)))
            taken = ch["pub"][:, None] + ages
            valid = taken <= self.now
            share = curve(ages)
            imp = ch["impressions"][:, None].astype(float)
            likes_final = imp * ch["likes_rate"][:, None]
            final = {
                "impressions": imp,
                "reach": imp * 0.72,
                "likes": likes_final,
                "comments": likes_final * 0.12,
                "shares": likes_final * 0.18,
                "saves": likes_final * 0.06,
                "clicks": imp * 0.012,
            }
            cum = {k: np.floor(v * share).astype(np.int64) for k, v in final.items()}
            exposed = {
                "impressions": network != "mastodon",
                "reach": network != "mastodon",
                "saves": network == "instagram",
                "clicks": network in ("sandbox", "linkedin"),
                "likes": True,
                "comments": True,
                "shares": True,
            }
            rows_t = np.broadcast_to(ch["ids"][:, None], taken.shape)[valid]
            flat = {k: (cum[k][valid].tolist() if exposed[k] else None) for k in cum}
            none = [None] * len(rows_t)
            w.insert(
                "analytics_postsnapshot",
                snap_cols,
                zip(
                    rows_t.tolist(),
                    [ch["id"]] * len(rows_t),
                    [ws_id] * len(rows_t),
                    ts(taken[valid]),
                    *(
                        flat[k] if flat[k] is not None else none
                        for k in ("impressions", "reach", "likes", "comments", "shares", "saves", "clicks")
                    ),
                    none,
                    strict=True,
                ),
            )
            self.counts["post_snapshots"] += len(rows_t)
            # PostDaily (rollups.post_days): per local day, its last reading minus the last of an earlier day.
            day = tz.local_day(taken)
            nxt_valid = np.concatenate([valid[:, 1:], np.zeros((n, 1), bool)], axis=1)
            nxt_day = np.concatenate([day[:, 1:], np.full((n, 1), -1)], axis=1)
            last = valid & (~nxt_valid | (nxt_day != day))
            t_ids = np.broadcast_to(ch["ids"][:, None], taken.shape)[last]
            row_of = np.broadcast_to(np.arange(n)[:, None], taken.shape)[last]
            days = day[last]
            first = np.concatenate([[True], t_ids[1:] != t_ids[:-1]])
            gain = {}
            for k in cum:
                v = cum[k][last] if exposed[k] else np.zeros(len(t_ids), np.int64)
                prev = np.concatenate([[0], v[:-1]])
                gain[k] = v - np.where(first, 0, prev)
            engaged = gain["likes"] + gain["comments"] + gain["shares"] + gain["saves"]
            if network == "linkedin":
                engaged = engaged + gain["clicks"]
            if network == "mastodon":  # per follower: the audience at publication, on its first day
                at_pub = f_count[np.searchsorted(f_at, ch["pub"], side="right") - 1]
                basis = np.where(first, at_pub[row_of], 0)
            else:
                basis = gain["reach"] if network == "instagram" else gain["impressions"]
            campaign = [c or None for c in ch["campaign"][row_of].tolist()]
            pillar = [p or None for p in ch["pillar"][row_of].tolist()]
            k = len(t_ids)
            w.insert(
                "analytics_postdaily",
                daily_cols,
                zip(
                    t_ids.tolist(),
                    [ws_id] * k,
                    [ch["id"]] * k,
                    campaign,
                    pillar,
                    days_text(days),
                    gain["impressions"].tolist(),
                    gain["reach"].tolist(),
                    engaged.tolist(),
                    gain["clicks"].tolist(),
                    basis.tolist(),
                    strict=True,
                ),
            )
            self.counts["post_days"] += k
            # ChannelDaily (rollups.rebuild_channel_days): sums, publications, last follower count of the day.
            lo = int(tz.local_day(np.array([self.t0]))[0])
            hi = int(tz.local_day(np.array([self.now]))[0]) + 1
            size = hi - lo + 1
            sums = {}
            for name, values in (
                ("impressions", gain["impressions"]),
                ("reach", gain["reach"]),
                ("engagements", engaged),
                ("clicks", gain["clicks"]),
                ("rate_basis", basis),
            ):
                sums[name] = np.zeros(size, np.int64)
                np.add.at(sums[name], days - lo, values)
            post_rows = np.bincount(days - lo, minlength=size)
            has_days = post_rows > 0
            published = np.bincount(tz.local_day(ch["pub"]) - lo, minlength=size)
            level = np.full(size, -1, np.int64)
            level[tz.local_day(f_at) - lo] = f_count  # in time order: the day's last reading stays
            rows = []
            earlier = None
            for i in range(size):
                followers = int(level[i]) if level[i] >= 0 else None
                if not has_days[i] and not published[i] and followers is None:
                    continue
                growth = followers - earlier if followers is not None and earlier is not None else None
                rows.append(
                    (
                        ws_id,
                        ch["id"],
                        str(date.fromordinal(date(1970, 1, 1).toordinal() + lo + i)),
                        *(
                            int(sums[m][i])
                            for m in ("impressions", "reach", "engagements", "clicks", "rate_basis")
                        ),
                        int(published[i]),
                        followers,
                        growth,
                        0,
                        0,
                        int(post_rows[i]),
                    )
                )
                if followers is not None:
                    earlier = followers
            w.insert("analytics_channeldaily", channel_cols, rows)
            self.counts["channel_days"] += len(rows)

    def run(self) -> dict[str, int]:
        from django.db import transaction

        big = [
            "analytics_postsnapshot",
            "analytics_postdaily",
            "analytics_channeldaily",
            "analytics_click",
            "analytics_accountsnapshot",
            "publishing_post",
            "publishing_posttarget",
            "analytics_shortlink",
            "analytics_conversion",
            "listening_mention",
            "listening_mentionmatch",
            "inbox_conversation",
        ]
        began = time.perf_counter()
        self.writer.fast()
        self.structure()
        self.plan_posts()
        with transaction.atomic():
            self.writer.drop_indexes(big)
            self.posts_and_targets()
            self.readings()
            self.links_and_clicks()
            self.listening_and_inbox()
        loaded = time.perf_counter()
        with transaction.atomic():
            self.writer.rebuild_indexes()
        self.counts["seconds_load"] = round(loaded - began)
        self.counts["seconds_indexes"] = round(time.perf_counter() - loaded)
        return dict(self.counts)
