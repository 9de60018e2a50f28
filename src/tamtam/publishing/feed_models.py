"""RSS/Atom input: a feed watched on a schedule whose new items become drafts or queued posts.

Kept apart from models.py (which re-exports them) so the feed input can grow without crowding the core
publishing models. The operations live in `publishing.feeds`.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel

DEFAULT_TEMPLATE = "{title}\n\n{link}"


class FeedMode(models.TextChoices):
    DRAFT = "draft", _("Create drafts")
    QUEUE = "queue", _("Add to a queue")


class FeedWatchState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("feed", "Active")
    PAUSED = "paused", pgettext_lazy("feed", "Paused")


class FeedWatch(models.Model):
    """One watched feed. A durable work row: claimed with a lease when `due_at` has come."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="feed_watches")
    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("feed address"), max_length=2000)
    channels = models.ManyToManyField(
        Channel, related_name="feed_watches", verbose_name=pgettext_lazy("feed", "channels")
    )
    mode = models.CharField(
        _("new items become"), max_length=10, choices=FeedMode.choices, default=FeedMode.DRAFT
    )
    queue = models.ForeignKey(
        "publishing.Queue",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feed_watches",
        verbose_name=pgettext_lazy("feed", "queue"),
    )
    template = models.TextField(pgettext_lazy("feed", "template"), default=DEFAULT_TEMPLATE)
    daily_cap = models.PositiveSmallIntegerField(_("posts per day at most"), default=3)
    interval_minutes = models.PositiveIntegerField(_("check every (minutes)"), default=30)
    state = models.CharField(max_length=10, choices=FeedWatchState.choices, default=FeedWatchState.ACTIVE)
    # Conditional GET: the server's validators from the last 200.
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    feed_title = models.CharField(max_length=300, blank=True)
    # The first successful read only records what is already in the feed: a new watch must not flood
    # the channels with the feed's whole history.
    baseline_done = models.BooleanField(default=False)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    error_count = models.PositiveIntegerField(default=0)
    # The work row part (tamtam.work.claim).
    due_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["state", "due_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def paused(self) -> bool:
        return self.state == FeedWatchState.PAUSED


class FeedItemOutcome(models.TextChoices):
    POSTED = "posted", _("Post created")
    BASELINE = "baseline", _("Already in the feed when it was added")
    OVER_CAP = "over_cap", _("Skipped: daily limit reached")
    DUPLICATE = "duplicate", _("Skipped: same link as an earlier item")
    FAILED = "failed", _("Could not become a post")


class FeedItem(models.Model):
    """An entry of a watched feed that was seen: the dedupe memory (by entry id and by link)."""

    watch = models.ForeignKey(FeedWatch, on_delete=models.CASCADE, related_name="items")
    entry_key = models.CharField(max_length=64)  # sha256 of the entry id (ids can be long URLs)
    link_key = models.CharField(max_length=64, blank=True, db_index=True)  # sha256 of the link
    title = models.CharField(max_length=300, blank=True)
    link = models.URLField(max_length=2000, blank=True)
    outcome = models.CharField(max_length=10, choices=FeedItemOutcome.choices)
    detail = models.CharField(max_length=500, blank=True)
    post = models.ForeignKey(
        "publishing.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="feed_items"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["watch", "entry_key"], name="feed_item_once")]
