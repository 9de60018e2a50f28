"""Listening data: queries, sources, mentions, authors, per-minute counters, watch list (DESIGN §6).

A mention is public content stored ONCE whatever the number of sources that brought it
(`MentionSource` lists them) and linked to every query of every workspace that matches it
(`MentionMatch`). `MentionCounter` rows are what the crisis detectors read: per query and per minute,
all mentions and negative ones, upserted in the pipeline's own write transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tamtam.accounts.models import Workspace


class QueryKind(models.TextChoices):
    BRAND = "brand", _("Brand")
    COMPETITOR = "competitor", _("Competitor")
    PRODUCT = "product", _("Product")
    CAMPAIGN = "campaign", _("Campaign")
    TOPIC = "topic", _("Topic")


class Query(models.Model):
    """A saved boolean expression (see `listening.query`) that mentions are matched against."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="listening_queries")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=QueryKind.choices, default=QueryKind.BRAND)
    expression = models.TextField(_("expression"))
    # ISO 639-1 codes; empty: every language.
    languages = models.JSONField(_("languages"), default=list, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workspace", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="listening_query_name")]
        verbose_name = _("listening query")
        verbose_name_plural = _("listening queries")

    def __str__(self) -> str:
        return self.name


class SourceKind(models.TextChoices):
    NETWORK = "network", _("Network search")
    RSS = "rss", _("RSS/Atom feed")
    SANDBOX = "sandbox", _("Sandbox stream")
    # The AT Protocol firehose of a PDS or a relay (com.atproto.sync.subscribeRepos), read after its
    # sequence number; see listening/network_sources.py.
    FIREHOSE = "firehose", _("Bluesky firehose")


class SourceState(models.TextChoices):
    IDLE = "idle", _("Waiting")
    CLAIMED = "claimed", _("Fetching")
    DEAD = "dead", _("Dead")
    PAUSED = "paused", _("Paused")


class Source(models.Model):
    """Where mentions come from: a durable work row (state, due_at, lease, attempts) with a cursor."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="listening_sources")
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices)
    name = models.CharField(_("name"), max_length=120)
    # Network search: the channel whose connector searches; its network labels the mentions.
    channel = models.ForeignKey(
        "channels.Channel", null=True, blank=True, on_delete=models.CASCADE, related_name="listening_sources"
    )
    url = models.URLField(_("feed URL"), max_length=1000, blank=True)
    # Network search: the terms sent to the network; empty: the workspace's query terms.
    search = models.CharField(_("search terms"), max_length=500, blank=True)
    options = models.JSONField(default=dict, blank=True)
    interval_seconds = models.PositiveIntegerField(_("fetch every (seconds)"), default=300)

    # Cursor state: nothing fetched twice. Opaque network cursor, or feed validators.
    cursor = models.TextField(blank=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)

    # Durable work row (tamtam.work.claim).
    state = models.CharField(max_length=20, choices=SourceState.choices, default=SourceState.IDLE)
    due_at = models.DateTimeField(null=True, blank=True, default=timezone.now, db_index=True)
    lease_owner = models.CharField(max_length=80, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    items_seen = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workspace", "name"]
        indexes = [models.Index(fields=["state", "due_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """What the mention lists as its source, e.g. "rss:Le Monde"."""
        return f"{self.kind}:{self.name}"


class ListeningAuthor(models.Model):
    """Someone who wrote mentions, across workspaces (public facts only)."""

    network = models.CharField(max_length=30)
    remote_id = models.CharField(max_length=200)
    handle = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    followers = models.PositiveBigIntegerField(null=True, blank=True)
    mentions_seen = models.PositiveIntegerField(default=0)
    # Exponential moving average of (likes + 2·shares + replies) per mention.
    avg_engagement = models.FloatField(default=0.0)
    influence = models.FloatField(default=0.0, db_index=True)  # 0 to 100, see docs/listening.md
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "remote_id"], name="listening_author_per_network")
        ]

    def __str__(self) -> str:
        return self.handle or self.name or self.remote_id


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


class Mention(models.Model):
    """One piece of public content, stored once (keys: the network's id, and the content hash)."""

    # sha1 of "network:remote_id" (or of the canonical URL for a feed entry without an id).
    remote_key = models.CharField(max_length=40, unique=True)
    # sha1 of normalised text + author: the same text by the same author from any source.
    content_hash = models.CharField(max_length=40, unique=True)
    network = models.CharField(max_length=30)
    remote_id = models.CharField(max_length=300, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    title = models.CharField(max_length=500, blank=True)
    text = models.TextField()
    lang = models.CharField(max_length=8, blank=True, db_index=True)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, default=Sentiment.NEUTRAL)
    sentiment_score = models.FloatField(default=0.0)  # P(positive) - P(negative), in [-1, 1]
    author = models.ForeignKey(ListeningAuthor, null=True, blank=True, on_delete=models.SET_NULL)
    author_handle = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField(db_index=True)
    seen_at = models.DateTimeField(default=timezone.now)
    likes = models.PositiveIntegerField(default=0)
    shares = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    reach = models.PositiveBigIntegerField(default=0)  # the author's audience when seen
    influence = models.FloatField(default=0.0)
    # A near-duplicate (retweet, copy, syndicated article): the content hash of the first one seen.
    # A hash, not a foreign key, so that a batch holding both writes them in one insert.
    duplicate_of_hash = models.CharField(max_length=40, blank=True, db_index=True)

    class Meta:
        ordering = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return self.text[:60]


class MentionSource(models.Model):
    """Which sources brought a mention (a mention seen in three sources is stored once)."""

    mention = models.ForeignKey(
        Mention, on_delete=models.CASCADE, related_name="source_links", db_index=False
    )  # the unique (mention, source) leads with it
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="mention_links")
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mention", "source"], name="listening_mention_source")]


class MentionMatch(models.Model):
    """A mention matched by a query; workspace, time and sentiment copied for the views' filters."""

    # No index of their own: the unique (mention, query) and the two indexes below lead with these
    # columns, and every index less is a b-tree less to write for each of thousands of rows a second.
    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="matches", db_index=False)
    query = models.ForeignKey(Query, on_delete=models.CASCADE, related_name="matches", db_index=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    published_at = models.DateTimeField()
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, default=Sentiment.NEUTRAL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mention", "query"], name="listening_mention_query")]
        indexes = [
            models.Index(fields=["workspace", "published_at"]),
            models.Index(fields=["query", "published_at"]),
        ]


class MentionCounter(models.Model):
    """Per query and per minute (UTC, by publication time): all mentions and negative ones.

    The crisis detectors read these; the pipeline upserts them (increments) in the same transaction
    as the mentions, so a counter never counts a mention that is not stored."""

    query = models.ForeignKey(
        Query, on_delete=models.CASCADE, related_name="counters", db_index=False
    )  # the unique (query, bucket_start) leads with it
    bucket_start = models.DateTimeField()  # aware, second and microsecond zero
    mentions = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["query", "bucket_start"], name="listening_counter_minute")
        ]
        ordering = ["query", "bucket_start"]

    def __str__(self) -> str:
        return f"{self.query_id} {self.bucket_start:%Y-%m-%d %H:%M} {self.mentions}/{self.negative}"


class WatchStatus(models.TextChoices):
    WATCH = "watch", _("Watching")
    CONTACT = "contact", _("To contact")
    CONTACTED = "contacted", _("Contacted")
    PARTNER = "partner", _("Partner")
    AVOID = "avoid", _("Avoid")


class WatchedAuthor(models.Model):
    """An influencer on a workspace's watch list."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="watched_authors")
    author = models.ForeignKey(ListeningAuthor, on_delete=models.CASCADE, related_name="watches")
    status = models.CharField(
        _("status"), max_length=20, choices=WatchStatus.choices, default=WatchStatus.WATCH
    )
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "author"], name="listening_watch_once")]
        ordering = ["-created_at"]


class InfluencerNote(models.Model):
    """A CRM-like note on a watched influencer (who said what, when)."""

    watch = models.ForeignKey(WatchedAuthor, on_delete=models.CASCADE, related_name="notes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
