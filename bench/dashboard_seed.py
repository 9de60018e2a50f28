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

import hashlib
import random
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

HOUR, DAY = 3600, 86400
TIME_ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo")
# network, and whether it exposes impressions/reach/clicks per post
NETWORKS = ("sandbox", "linkedin", "instagram", "mastodon")
# The metrics poll's schedule (analytics/polling.py, docs/analytics.md), as ages in seconds.
SCHEDULE = np.array(
    [m * 60 for m in range(15, 121, 15)]
    + [h * HOUR for h in range(3, 25)]
    + [h * HOUR for h in range(30, 169, 6)]
    + [d * DAY for d in range(8, 31)]
    + [d * DAY for d in range(37, 91, 7)],
    dtype=np.int64,
)
HOUR_WEIGHTS = np.array([0, 0, 0, 0, 0, 0, 1, 3, 6, 8, 8, 7, 9, 8, 7, 6, 6, 5, 5, 4, 3, 2, 1, 0], float)
SENTIMENTS = ("positive", "neutral", "negative")


def ts(epoch: np.ndarray) -> list[str]:
    """Epoch seconds → the text Django's SQLite backend stores for an aware datetime (UTC, a space)."""
    text = np.datetime_as_string(epoch.astype("datetime64[s]"), unit="s")
    return [s.replace("T", " ") for s in text.tolist()]


def days_text(day_numbers: np.ndarray) -> list[str]:
    return np.datetime_as_string(day_numbers.astype("datetime64[D]"), unit="D").tolist()


class Writer:
    """Raw bulk inserts on the Django connection: executemany (SQLite) or COPY (PostgreSQL)."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor
        self.rows = 0
        self._dropped: list[tuple[str, str]] = []

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        cursor = self.connection.cursor()
        if self.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    self.rows += 1
            return
        raw = self.connection.connection.cursor()
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608  (our own table names)
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 50_000:
                raw.executemany(sql, batch)
                self.rows += len(batch)
                batch = []
        if batch:
            raw.executemany(sql, batch)
            self.rows += len(batch)

    def drop_indexes(self, tables: Sequence[str]) -> None:
        """Secondary indexes off during the load (rebuilt once at the end: far cheaper than row by row)."""
        cursor = self.connection.cursor()
        for table in tables:
            if self.vendor == "postgresql":
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                    "AND indexname NOT LIKE '%%_pkey' AND indexdef NOT LIKE '%%UNIQUE%%'",
                    [table],
                )
            else:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                    "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                    [table],
                )
            for name, sql in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                self._dropped.append((name, sql))

    def rebuild_indexes(self) -> None:
        cursor = self.connection.cursor()
        for _name, sql in self._dropped:
            cursor.execute(sql)
        self._dropped = []
        cursor.execute("ANALYZE")

    def fast(self) -> None:
        if self.vendor == "sqlite":
            cursor = self.connection.cursor()
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -400000")


def model_columns(model: Any, given: Sequence[str], writer: Writer) -> tuple[list[str], list[Any]]:
    """The model's columns after `given`, with their defaults as database values (computed once)."""
    from django.db.models.fields import NOT_PROVIDED

    extra, defaults = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.column in given:
            continue
        if (
            f.default is not NOT_PROVIDED
            or getattr(f, "auto_now", False)
            or getattr(f, "auto_now_add", False)
        ):
            value = f.get_default() if f.default is not NOT_PROVIDED else datetime.now(UTC)
        elif f.null:
            value = None
        elif f.blank:
            value = ""
        else:
            raise ValueError(f"{model.__name__}.{f.name}: no value and no default")
        if isinstance(value, datetime):
            value = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        elif isinstance(value, (list, dict)):
            value = "[]" if value == [] else "{}"
        elif isinstance(value, bool):
            value = int(value)
        extra.append(f.column)
        defaults.append(value)
    return [*given, *extra], defaults


class TzTable:
    """UTC offset of a time zone for every UTC hour of the seeded range (DST changes on whole hours)."""

    def __init__(self, name: str, start: int, end: int) -> None:
        zone = ZoneInfo(name)
        self.start = start - start % HOUR
        hours = (end - self.start) // HOUR + 2
        self.offsets = np.array(
            [
                int(datetime.fromtimestamp(self.start + i * HOUR, zone).utcoffset().total_seconds())  # type: ignore[union-attr]
                for i in range(hours)
            ],
            dtype=np.int64,
        )

    def local_day(self, epoch: np.ndarray) -> np.ndarray:
        return (epoch + self.offsets[np.clip((epoch - self.start) // HOUR, 0, len(self.offsets) - 1)]) // DAY

    def local_to_utc(self, local: np.ndarray) -> np.ndarray:
        """Local wall-clock epoch → UTC epoch (the offset of that moment, good away from DST jumps)."""
        guess = local - self.offsets[np.clip((local - self.start) // HOUR, 0, len(self.offsets) - 1)]
        return local - self.offsets[np.clip((guess - self.start) // HOUR, 0, len(self.offsets) - 1)]


def curve(age: np.ndarray) -> np.ndarray:
    """The share of a post's final counters reached at `age` seconds: most on day one, a long tail."""
    hours = age / HOUR
    return 0.85 * (1 - np.exp(-hours / 8.0)) + 0.15 * (1 - np.exp(-hours / 168.0))


def _hex(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


class Seeder:
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

    # --- short links, clicks, conversions ------------------------------------------------------------
    def links_and_clicks(self) -> None:
        from tamtam.analytics.models import Click, Conversion, ShortLink

        w = self.writer
        link_cols, link_defaults = model_columns(
            ShortLink,
            [
                "id",
                "workspace_id",
                "code",
                "destination",
                "original_url",
                "target_id",
                "post_id",
                "channel_id",
                "campaign_id",
                "created_at",
            ],
            w,
        )
        click_cols, click_defaults = model_columns(
            Click, ["link_id", "workspace_id", "at", "visitor", "address", "bot", "flood", "referrer_host"], w
        )
        conv_cols, conv_defaults = model_columns(
            Conversion,
            [
                "workspace_id",
                "occurred_at",
                "value",
                "currency",
                "source",
                "external_id",
                "link_id",
                "target_id",
                "channel_id",
                "campaign_id",
                "attributed_by",
                "utm_campaign",
            ],
            w,
        )
        weights = np.concatenate([ch["impressions"][ch["linked"]] for ch in self.channels]).astype(float)
        per_link = self.rng.multinomial(self.n_clicks, weights / weights.sum())
        pools = {ws["id"]: [_hex("address", ws["id"], i) for i in range(3000)] for ws in self.ws}
        visitors = {
            ws["id"]: [[_hex("visitor", ws["id"], i, b) for b in range(3)] for i in range(3000)]
            for ws in self.ws
        }
        popular = 1.0 / np.arange(1, 3001) ** 0.8
        popular /= popular.sum()
        referrers = ["t.co", "l.facebook.com", "www.linkedin.com", "mastodon.social", ""]
        offset = 0
        conversion_no = 0
        for ch in self.channels:
            ws_id = ch["ws"]["id"]
            mask = ch["linked"]
            ids, pub = ch["ids"][mask], ch["pub"][mask]
            counts = per_link[offset : offset + len(ids)]
            offset += len(ids)
            campaign = ch["campaign"][mask]
            w.insert(
                "analytics_shortlink",
                link_cols,
                (
                    (
                        i,
                        ws_id,
                        f"d{i:07d}",
                        f"https://shop.example/p/{i}?utm_source={ch['network']}&utm_medium=social",
                        f"https://shop.example/p/{i}",
                        i,
                        i,
                        ch["id"],
                        c or None,
                        t,
                        *link_defaults,
                    )
                    for i, c, t in zip(ids.tolist(), campaign.tolist(), ts(pub), strict=True)
                ),
            )
            self.counts["short_links"] += len(ids)
            total = int(counts.sum())
            if not total:
                continue
            link_of = np.repeat(np.arange(len(ids)), counts)
            slow = self.rng.random(total) < 0.15
            age = self.rng.exponential(np.where(slow, 168 * HOUR, 8 * HOUR))
            at = pub[link_of] + age.astype(np.int64)
            late = at > self.now
            at[late] = pub[link_of][late] + (
                self.rng.random(late.sum()) * (self.now - pub[link_of][late])
            ).astype(np.int64)
            person = self.rng.choice(3000, total, p=popular)
            browser = self.rng.integers(0, 3, total)
            bot = self.rng.random(total) < 0.04
            flood = ~bot & (self.rng.random(total) < 0.01)
            person[flood] = 0  # one machine hammering the links: kept, never counted
            pool, vis = pools[ws_id], visitors[ws_id]
            link_ids = ids[link_of].tolist()
            w.insert(
                "analytics_click",
                click_cols,
                (
                    (lk, ws_id, t, vis[p][b], pool[p], int(bt), int(fl), referrers[p % 5], *click_defaults)
                    for lk, t, p, b, bt, fl in zip(
                        link_ids,
                        ts(at),
                        person.tolist(),
                        browser.tolist(),
                        bot.tolist(),
                        flood.tolist(),
                        strict=True,
                    )
                ),
            )
            self.counts["clicks"] += total
            buys = np.flatnonzero(~bot & ~flood & (self.rng.random(total) < 0.012))
            when = np.minimum(self.now, at[buys] + self.rng.exponential(1800, len(buys)).astype(np.int64))
            rows = []
            for b, t in zip(buys.tolist(), ts(when), strict=True):
                conversion_no += 1
                c = int(campaign[link_of[b]]) or None
                rows.append(
                    (
                        ws_id,
                        t,
                        f"{random.Random(conversion_no).uniform(15, 250):.2f}",
                        "EUR",
                        "webhook",
                        f"order-{conversion_no}",
                        link_ids[b],
                        link_ids[b],
                        ch["id"],
                        c,
                        "click",
                        "",
                        *conv_defaults,
                    )
                )
            w.insert("analytics_conversion", conv_cols, rows)
            self.counts["conversions"] += len(rows)

    # --- listening and inbox -------------------------------------------------------------------------
    def listening_and_inbox(self, mentions_per_day: float = 12, conversations_per_day: float = 4) -> None:
        from tamtam.inbox.models import Conversation
        from tamtam.listening.models import Mention, MentionMatch

        w = self.writer
        m_cols, m_defaults = model_columns(
            Mention,
            ["id", "remote_key", "content_hash", "network", "text", "lang", "sentiment", "published_at"],
            w,
        )
        mm_cols, mm_defaults = model_columns(
            MentionMatch, ["mention_id", "query_id", "workspace_id", "published_at", "sentiment"], w
        )
        c_cols, c_defaults = model_columns(
            Conversation,
            [
                "workspace_id",
                "channel_id",
                "kind",
                "key",
                "status",
                "first_inbound_at",
                "first_response_at",
                "closed_at",
                "last_item_at",
                "last_inbound_at",
                "created_at",
            ],
            w,
        )
        mention_id = 0
        for ws in self.ws:
            n = int(mentions_per_day * self.days)
            at = np.sort(self.rng.integers(self.start, self.now, n))
            feel = self.rng.choice(3, n, p=[0.22, 0.63, 0.15])
            ids = list(range(mention_id + 1, mention_id + n + 1))
            mention_id += n
            when = ts(at)
            feelings = [SENTIMENTS[f] for f in feel.tolist()]
            w.insert(
                "listening_mention",
                m_cols,
                (
                    (i, f"k{i}", f"h{i}", "sandbox", f"client{ws['id']} mention {i}", "en", s, t, *m_defaults)
                    for i, s, t in zip(ids, feelings, when, strict=True)
                ),
            )
            w.insert(
                "listening_mentionmatch",
                mm_cols,
                (
                    (i, ws["query"], ws["id"], t, s, *mm_defaults)
                    for i, s, t in zip(ids, feelings, when, strict=True)
                ),
            )
            self.counts["mentions"] += n
            k = int(conversations_per_day * self.days)
            first_in = np.sort(self.rng.integers(self.start, self.now, k))
            answered = self.rng.random(k) < 0.85
            first_out = first_in + self.rng.lognormal(np.log(2700), 0.9, k).astype(np.int64)
            closed = self.rng.random(k) < 0.7
            closed_at = first_out + self.rng.lognormal(np.log(4 * HOUR), 0.8, k).astype(np.int64)
            rows = []
            for j, (a, o, c, cl) in enumerate(
                zip(first_in.tolist(), first_out.tolist(), closed.tolist(), closed_at.tolist(), strict=True)
            ):
                done = bool(answered[j]) and c and cl <= self.now
                rows.append(
                    (
                        ws["id"],
                        ws["channels"][j % 4][0],
                        "thread",
                        f"thread:{ws['id']}-{j}",
                        "closed" if done else "open",
                        _t(a),
                        _t(o) if answered[j] and o <= self.now else None,
                        _t(cl) if done else None,
                        _t(min(cl, self.now)),
                        _t(a),
                        _t(a),
                        *c_defaults,
                    )
                )
            w.insert("inbox_conversation", c_cols, rows)
            self.counts["conversations"] += k

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


def _t(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def verify(sample: int = 60, seed: int = 3) -> list[str]:
    """Rebuild a sample of posts and channel days with the product's rollup code; the differences."""
    from tamtam.analytics import rollups
    from tamtam.analytics.models import ChannelDaily, PostDaily
    from tamtam.channels.models import Channel

    fields = (
        "day",
        "impressions",
        "reach",
        "engagements",
        "clicks",
        "rate_basis",
        "campaign_id",
        "pillar_id",
    )
    ids = list(PostDaily.objects.values_list("target_id", flat=True).distinct().order_by("target_id"))
    rng = random.Random(seed)
    chosen = rng.sample(ids, min(sample, len(ids)))
    problems = []
    before = {
        t: list(PostDaily.objects.filter(target_id=t).order_by("day").values_list(*fields)) for t in chosen
    }
    rollups.rebuild_posts(chosen)
    for t in chosen:
        after = list(PostDaily.objects.filter(target_id=t).order_by("day").values_list(*fields))
        if after != before[t]:
            problems.append(f"post days of target {t}: seeded {before[t][:3]}… rebuilt {after[:3]}…")
    ch_fields = (
        "day",
        "impressions",
        "engagements",
        "rate_basis",
        "posts_published",
        "followers",
        "follower_growth",
        "post_rows",
    )
    for channel in rng.sample(list(Channel.objects.select_related("workspace")), 8):
        days = list(
            ChannelDaily.objects.filter(channel=channel).order_by("?").values_list("day", flat=True)[:20]
        )
        seeded = list(
            ChannelDaily.objects.filter(channel=channel, day__in=days).order_by("day").values_list(*ch_fields)
        )
        rollups.rebuild_channel_days(channel, days)
        rebuilt = list(
            ChannelDaily.objects.filter(channel=channel, day__in=days).order_by("day").values_list(*ch_fields)
        )
        if seeded != rebuilt:
            diff = [(a, b) for a, b in zip(seeded, rebuilt, strict=False) if a != b][:2]
            problems.append(f"channel days of {channel.pk}: {diff}")
    return problems
