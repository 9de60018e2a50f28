"""Posts, their per-channel variants (PostTarget), media, approvals, comments, queues, recurrence and
the publish-attempt ledger."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel
from tamtam.publishing.states import TargetState
from tamtam.strategy.models import Campaign, Persona, Pillar


class PostSource(models.TextChoices):
    COMPOSER = "composer", _("Composer")
    API = "api", _("API")
    CSV = "csv", _("CSV import")
    QUEUE = "queue", _("Queue")
    RECURRENCE = "recurrence", _("Recurring post")
    DEMO = "demo", _("Demo")
    FEED = "feed", _("RSS/Atom feed")


class Post(models.Model):
    """One message, planned once, published as a variant on each target channel."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("text"), blank=True)  # the base text each variant starts from
    link = models.URLField(_("link"), max_length=2000, blank=True)
    utm_source = models.CharField(max_length=80, blank=True)
    utm_medium = models.CharField(max_length=80, blank=True, default="social")
    utm_campaign = models.CharField(max_length=80, blank=True)
    utm_content = models.CharField(max_length=80, blank=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    pillar = models.ForeignKey(Pillar, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts")
    personas = models.ManyToManyField(Persona, blank=True, related_name="posts")
    # The wanted publication time (UTC); each target copies it unless moved on its own.
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    # Bumped by every content edit: approvals given on an older version no longer count.
    version = models.PositiveIntegerField(default=1)
    source = models.CharField(max_length=20, choices=PostSource.choices, default=PostSource.COMPOSER)
    # CSV import idempotency: a hash of the row, unique per workspace, so re-importing adds nothing.
    import_key = models.CharField(max_length=64, null=True, blank=True)
    queue = models.ForeignKey("Queue", null=True, blank=True, on_delete=models.SET_NULL, related_name="posts")
    recurrence = models.ForeignKey(
        "Recurrence", null=True, blank=True, on_delete=models.SET_NULL, related_name="occurrences"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "import_key"], name="post_import_key_once"),
        ]
        indexes = [models.Index(fields=["workspace", "scheduled_at"])]

    def __str__(self) -> str:
        return (self.text[:60] or f"post {self.pk}").replace("\n", " ")


class Media(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to="media/%Y/%m/")
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    alt_text = models.CharField(_("alt text"), max_length=1500, blank=True)
    source_url = models.URLField(max_length=2000, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.file.name or self.source_url


class PostTarget(models.Model):
    """One post on one channel: the unit of publishing work (DESIGN §4)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="targets")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="targets")
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="+"
    )  # denormalised for filters
    text = models.TextField(_("text"), blank=True)
    link = models.URLField(max_length=2000, blank=True)
    first_comment = models.TextField(_("first comment"), blank=True)
    media = models.ManyToManyField(Media, blank=True, through="TargetMedia", related_name="targets")

    state = models.CharField(
        max_length=20, choices=TargetState.choices, default=TargetState.DRAFT, db_index=True
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)  # wanted time
    due_at = models.DateTimeField(null=True, blank=True)  # next time the engine should act
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Stable across attempts so a network that honours idempotency never posts twice.
    idempotency_key = models.CharField(max_length=64, default=uuid.uuid4, unique=True)
    remote_id = models.CharField(max_length=300, blank=True)
    remote_url = models.URLField(max_length=2000, blank=True)
    first_comment_remote_id = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_kind = models.CharField(max_length=20, blank=True)  # permanent, retry, needs_user, ambiguous
    paused_from = models.CharField(max_length=20, blank=True)  # state before crisis-mode pause
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "channel"], name="one_target_per_channel")]
        indexes = [
            models.Index(fields=["state", "due_at"], name="target_due"),
            models.Index(fields=["state", "lease_until"], name="target_lease"),
            models.Index(fields=["workspace", "scheduled_at"], name="target_calendar"),
            models.Index(fields=["channel", "published_at"], name="target_channel_pub"),
        ]

    def __str__(self) -> str:
        return f"{self.post_id}→{self.channel_id} [{self.state}]"


class TargetMedia(models.Model):
    target = models.ForeignKey(PostTarget, on_delete=models.CASCADE)
    media = models.ForeignKey(Media, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]


class AttemptOutcome(models.TextChoices):
    STARTED = "started", _("Started")  # written before the call: a crash leaves this trace
    SUCCESS = "success", _("Published")
    RETRY = "retry", _("Will retry")
    PERMANENT = "permanent", _("Failed")
    NEEDS_USER = "needs_user", _("Action needed")
    AMBIGUOUS = "ambiguous", _("Unconfirmed")
    RECONCILED = "reconciled", _("Found on the network")


class PublishAttempt(models.Model):
    """The ledger: one row per network call, written *before* the call."""

    target = models.ForeignKey(PostTarget, on_delete=models.CASCADE, related_name="attempts_log")
    number = models.PositiveIntegerField()
    step = models.CharField(max_length=30, default="post")  # post, first_comment, reconcile
    idempotency_key = models.CharField(max_length=80)
    worker = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=AttemptOutcome.choices, default=AttemptOutcome.STARTED)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)  # truncated, never a secret
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["target", "number"]


class ApprovalStep(models.TextChoices):
    MANAGER = "manager", _("Manager")
    CLIENT = "client", _("Client")


class ApprovalDecision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class Approval(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approvals")
    step = models.CharField(max_length=20, choices=ApprovalStep.choices)
    decision = models.CharField(max_length=20, choices=ApprovalDecision.choices)
    version = models.PositiveIntegerField()  # the post version this decision was about
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reviewer_name = models.CharField(max_length=150, blank=True)  # client approving through a link
    via_link = models.BooleanField(default=False)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]


class PostComment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    author_name = models.CharField(max_length=150, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]


class Queue(models.Model):
    """A publishing queue: posts added to it take the next free weekly time slot."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="queues")
    name = models.CharField(_("name"), max_length=120)
    channels = models.ManyToManyField(Channel, related_name="queues")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class QueueSlot(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="slots")
    weekday = models.PositiveSmallIntegerField()  # 0 = Monday, in the workspace's time zone
    time = models.TimeField()

    class Meta:
        ordering = ["weekday", "time"]
        constraints = [models.UniqueConstraint(fields=["queue", "weekday", "time"], name="one_slot")]


class Recurrence(models.Model):
    """A recurring post: an RFC 5545 rule evaluated in the workspace's wall-clock time (DST-safe)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="recurrences")
    template = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    rrule = models.CharField(max_length=500)  # e.g. FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0
    starts_at = models.DateTimeField()
    until = models.DateTimeField(null=True, blank=True)
    generated_until = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)


# The RSS/Atom input's models live in their own module; importing them here registers them.
from tamtam.publishing.feed_models import FeedItem, FeedWatch  # noqa: E402, F401
