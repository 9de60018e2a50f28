"""The event side of the dashboard benchmark's seed: short links, clicks (bots, floods, repeat visitors),
conversions, listening mentions, inbox conversations; and `verify()`, the product's rollups on a sample."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from dashboard_seed_base import HOUR, SENTIMENTS, _hex, _t, model_columns, ts


class Events:
    """Mixed into dashboard_seed.Seeder (its rng, writer, counts, channels, workspaces, now)."""

    rng: Any
    writer: Any
    counts: Any
    channels: list[dict[str, Any]]
    ws: list[dict[str, Any]]
    n_clicks: int
    days: int
    start: int
    now: int

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
