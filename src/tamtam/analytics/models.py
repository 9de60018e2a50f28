"""Analytics: metric polls (durable work), snapshots, daily rollups, short links and clicks, conversions.

- `MetricPoll` is the durable work row of one channel (DESIGN §2.1): claimed with a lease, it asks the
  connector for the account's counters and for the counters of the posts that are due, then schedules
  itself again. Each published post has a `TrackedPost` whose `next_poll_at` follows the post's age.
- `PostSnapshot` / `AccountSnapshot` keep the network's cumulative counters as they were at an instant.
- `PostDaily` (per post target and local day) and `ChannelDaily` (per channel and local day) are the
  rollups the dashboards read; campaign and pillar figures are `PostDaily` grouped by those columns.
- `ShortLink` / `Click`, `Conversion`, `TrackingSettings`, `WebhookRejection`: links and conversions.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel
from tamtam.strategy.models import Campaign, currency_validator


class PollState(models.TextChoices):
    IDLE = "idle", _("Idle")
    CLAIMED = "claimed", _("Polling")
    DEAD = "dead", _("Stopped after repeated failures")


class MetricPoll(models.Model):
    """Durable work: poll one channel's account metrics and its due posts' metrics."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="metric_poll")
    state = models.CharField(max_length=10, choices=PollState.choices, default=PollState.IDLE)
    due_at = models.DateTimeField(null=True, default=timezone.now)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    # Since when the network has not answered: the dashboard marks this channel's figures stale.
    failing_since = models.DateTimeField(null=True, blank=True)
    account_polled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["state", "due_at"], name="metric_poll_due")]

    def __str__(self) -> str:
        return f"poll {self.channel_id} [{self.state}]"


class TrackedPost(models.Model):
    """When a published target's counters are next read (None: old enough to stop)."""

    target = models.OneToOneField(
        "publishing.PostTarget", on_delete=models.CASCADE, related_name="metrics_tracking"
    )
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    published_at = models.DateTimeField()
    next_poll_at = models.DateTimeField(null=True)
    polls = models.PositiveIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["channel", "next_poll_at"], name="tracked_due")]


class PostSnapshot(models.Model):
    """A post's cumulative counters at `taken_at`; None: the network does not expose the counter."""

    target = models.ForeignKey("publishing.PostTarget", on_delete=models.CASCADE, related_name="snapshots")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    taken_at = models.DateTimeField()
    impressions = models.BigIntegerField(null=True)
    reach = models.BigIntegerField(null=True)
    likes = models.BigIntegerField(null=True)
    comments = models.BigIntegerField(null=True)
    shares = models.BigIntegerField(null=True)
    saves = models.BigIntegerField(null=True)
    clicks = models.BigIntegerField(null=True)
    video_views = models.BigIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["target", "taken_at"], name="post_snapshot_time")]


class AccountSnapshot(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="account_snapshots")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    taken_at = models.DateTimeField()
    followers = models.BigIntegerField(null=True)
    following = models.BigIntegerField(null=True)
    posts = models.BigIntegerField(null=True)
    impressions = models.BigIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["channel", "taken_at"], name="account_snapshot_time")]


class PostDaily(models.Model):
    """What one post gained on one day of the workspace's calendar (deltas of its snapshots)."""

    target = models.ForeignKey("publishing.PostTarget", on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, null=True, on_delete=models.SET_NULL, related_name="+")
    pillar = models.ForeignKey("strategy.Pillar", null=True, on_delete=models.SET_NULL, related_name="+")
    day = models.DateField()
    impressions = models.BigIntegerField(default=0)
    reach = models.BigIntegerField(default=0)
    engagements = models.BigIntegerField(default=0)
    clicks = models.BigIntegerField(default=0)
    # The denominator of the engagement rate on this network (impressions, reach or followers).
    rate_basis = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["target", "day"], name="post_daily_once")]
        indexes = [
            models.Index(fields=["workspace", "day"], name="post_daily_ws_day"),
            models.Index(fields=["campaign", "day"], name="post_daily_campaign"),
        ]


class ChannelDaily(models.Model):
    """One channel's day: sums of its posts' gains, posts published, followers, link clicks."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    impressions = models.BigIntegerField(default=0)
    reach = models.BigIntegerField(default=0)
    engagements = models.BigIntegerField(default=0)
    clicks = models.BigIntegerField(default=0)  # the network's own link clicks
    rate_basis = models.BigIntegerField(default=0)
    posts_published = models.PositiveIntegerField(default=0)
    followers = models.BigIntegerField(null=True)  # the last count seen that day
    follower_growth = models.BigIntegerField(null=True)  # vs the last count of an earlier day
    link_clicks = models.PositiveIntegerField(default=0)  # our short links, bots and floods excluded
    link_unique_clicks = models.PositiveIntegerField(default=0)
    # How many PostDaily rows the sums above come from: 0 means "no post measured that day" (no
    # data), which a day of zeros (posts polled, nothing gained) is not. Lets the dashboards read
    # these few rows per channel and day instead of every post's day.
    post_rows = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "day"], name="channel_daily_once")]
        indexes = [models.Index(fields=["workspace", "day"], name="channel_daily_ws_day")]


def new_code() -> str:
    return secrets.token_urlsafe(6)[:8]


class ShortLink(models.Model):
    """`/l/<code>` → `destination` (UTM-tagged); tied to the post and channel it was made for."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="short_links")
    code = models.CharField(max_length=16, unique=True, default=new_code)
    destination = models.URLField(max_length=2000)
    original_url = models.URLField(max_length=2000)
    target = models.ForeignKey(
        "publishing.PostTarget", null=True, blank=True, on_delete=models.SET_NULL, related_name="short_links"
    )
    post = models.ForeignKey(
        "publishing.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="short_links"
    )
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["target", "original_url"],
                condition=models.Q(target__isnull=False),
                name="one_short_link_per_target_url",
            )
        ]
        # The dashboards' first link of each workspace (kpis.figures: clicks are "no data" before it).
        indexes = [models.Index(fields=["workspace", "created_at"], name="shortlink_ws_made")]

    def __str__(self) -> str:
        return self.code


def new_click_token() -> str:
    return secrets.token_urlsafe(12)


class Click(models.Model):
    link = models.ForeignKey(ShortLink, on_delete=models.CASCADE, related_name="clicks")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    # Keyed hashes (HMAC with the server secret), never the address itself: privacy, and a stable id.
    visitor = models.CharField(max_length=32)  # address + user agent
    address = models.CharField(max_length=32)  # address alone, for the flood rule
    bot = models.BooleanField(default=False)
    flood = models.BooleanField(default=False)  # beyond the per-address allowance: not counted
    referrer_host = models.CharField(max_length=200, blank=True)
    # Made by the redirect before the row is written (clicks are written in batches): the `ttc` cookie
    # carries it, so the pixel can find the click again. Blank on rows older than the batching.
    token = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["token"], name="click_token"),
            models.Index(fields=["link", "at"], name="click_link_time"),
            models.Index(fields=["workspace", "at"], name="click_ws_time"),
            models.Index(fields=["link", "address", "at"], name="click_address"),
            # The dashboards' counts (counted clicks of a workspace in a period) read this index alone.
            models.Index(fields=["workspace", "bot", "flood", "at"], name="click_counted"),
        ]


class ConversionSource(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    PIXEL = "pixel", _("Tracking pixel")
    CSV = "csv", _("CSV import")
    API = "api", _("API")


class Conversion(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="conversions")
    occurred_at = models.DateTimeField(_("occurred at"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="EUR", validators=[currency_validator])
    source = models.CharField(max_length=10, choices=ConversionSource.choices)
    # The sender's own id: the same conversion sent twice (webhook retries, re-import) is stored once.
    external_id = models.CharField(max_length=200)
    label = models.CharField(max_length=200, blank=True)
    utm_source = models.CharField(max_length=80, blank=True)
    utm_campaign = models.CharField(max_length=80, blank=True)
    utm_content = models.CharField(max_length=80, blank=True)
    # Attribution, resolved when the conversion is stored.
    link = models.ForeignKey(ShortLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target = models.ForeignKey(
        "publishing.PostTarget", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attributed_by = models.CharField(max_length=20, blank=True)  # click, link, utm_content, utm_campaign
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "external_id"], name="conversion_once"),
        ]
        indexes = [models.Index(fields=["workspace", "occurred_at"], name="conversion_ws_time")]
        ordering = ["-occurred_at"]


def _token() -> str:
    return secrets.token_urlsafe(24)


class TrackingSettings(models.Model):
    """A workspace's link tracking switch, conversion webhook secret (encrypted) and pixel token.

    Without this row nothing is shortened: a workspace turns tracking on once (analytics → links), then
    every link of every post it publishes is shortened and counted without anyone doing it per post."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="tracking_settings")
    shorten_links = models.BooleanField(_("shorten and track links"), default=True)
    secret_encrypted = models.TextField(editable=False)
    pixel_token = models.CharField(max_length=64, unique=True, default=_token)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)


class WebhookRejection(models.Model):
    """A conversion webhook call refused (bad or missing signature, stale timestamp, bad body)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=200)
    remote_address = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at"]
