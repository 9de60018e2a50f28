"""The community inbox: what the community says (messages grouped into conversations), what the team
does about it (assignment, status, notes, tags, replies) and the durable work behind it (one fetch row
per channel, one row per reply with its attempts), and contests on a post.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel

TEXT_PREVIEW = 280


class ApprovalRule(models.TextChoices):
    NONE = "none", _("No approval for replies")
    COMMUNITY_NEGATIVE = (
        "community_negative",
        _("Community managers' replies to negative items need a manager"),
    )
    COMMUNITY_ALL = "community_all", _("Every reply by a community manager needs a manager")


class InboxSettings(models.Model):
    """Per-workspace rules of the inbox (created on first use with these defaults)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="inbox_settings")
    sla_first_response_minutes = models.PositiveIntegerField(_("first response target (minutes)"), default=60)
    sla_resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"), default=24 * 60)
    influencer_followers = models.PositiveIntegerField(_("influencer from (followers)"), default=10_000)
    brand_name = models.CharField(_("brand name in saved replies"), max_length=120, blank=True)
    approval_rule = models.CharField(
        _("reply approval"), max_length=30, choices=ApprovalRule.choices, default=ApprovalRule.NONE
    )
    fetch_interval_seconds = models.PositiveIntegerField(_("fetch every (seconds)"), default=120)

    def brand(self) -> str:
        return self.brand_name or self.workspace.name


class FetchState(models.TextChoices):
    IDLE = "idle", _("Idle")
    CLAIMED = "claimed", _("Fetching")
    DEAD = "dead", _("Stopped after repeated failures")


class InboxFetch(models.Model):
    """Durable work: fetch one channel's comments, mentions and DMs after `cursor` (DESIGN §2.1)."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="inbox_fetch")
    state = models.CharField(max_length=10, choices=FetchState.choices, default=FetchState.IDLE)
    due_at = models.DateTimeField(null=True, default=timezone.now)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    consecutive_failures = models.PositiveIntegerField(default=0)
    cursor = models.TextField(blank=True)  # opaque, the connector's own
    interval_seconds = models.PositiveIntegerField(default=120)
    last_error = models.CharField(max_length=500, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    items_seen = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["state", "due_at"], name="inbox_fetch_due")]


class ConversationKind(models.TextChoices):
    THREAD = "thread", _("Comments under a post")
    DM = "dm", _("Direct messages")
    MENTION = "mention", _("Mention")


class Status(models.TextChoices):
    OPEN = "open", pgettext_lazy("inbox status", "Open")
    PENDING = "pending", _("Pending")
    CLOSED = "closed", _("Closed")


class Tag(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="inbox_tags")
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="inbox_tag_unique")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Conversation(models.Model):
    """A thread under one of our posts, a DM conversation, or a mention (with its replies).

    The triage fields are those of its most urgent open inbound message, denormalised so that the
    list views (200,000 items) filter and sort on indexed columns of one table."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="conversations")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="conversations")
    kind = models.CharField(max_length=10, choices=ConversationKind.choices)
    key = models.CharField(max_length=300)  # thread:<root> · dm:<conversation key> · mention:<id>
    root_remote_id = models.CharField(max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    priority = models.PositiveSmallIntegerField(default=0)
    sentiment = models.CharField(max_length=10, blank=True)
    language = models.CharField(max_length=8, blank=True)
    flags = models.JSONField(default=list, blank=True)  # ["question", "complaint", …] of open items
    spam = models.BooleanField(default=False)
    last_text = models.CharField(max_length=TEXT_PREVIEW, blank=True)
    last_author = models.CharField(max_length=200, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_item_at = models.DateTimeField(default=timezone.now)
    unread = models.PositiveIntegerField(default=0)
    messages_count = models.PositiveIntegerField(default=0)
    # Response metrics: when the oldest unanswered inbound item arrived, first answer, resolution.
    awaiting_since = models.DateTimeField(null=True, blank=True)
    first_inbound_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "key"], name="inbox_conversation_key")]
        indexes = [
            # default view: open, newest first; unassigned / mine; by priority; by channel; sentiment
            models.Index(fields=["workspace", "status", "-last_item_at"], name="inbox_conv_status"),
            models.Index(
                fields=["workspace", "status", "assignee", "-last_item_at"], name="inbox_conv_assignee"
            ),
            models.Index(
                fields=["workspace", "status", "-priority", "-last_item_at"], name="inbox_conv_prio"
            ),
            models.Index(
                fields=["workspace", "channel", "status", "-last_item_at"], name="inbox_conv_channel"
            ),
            models.Index(
                fields=["workspace", "sentiment", "status", "-last_item_at"], name="inbox_conv_sent"
            ),
            models.Index(fields=["workspace", "-last_item_at"], name="inbox_conv_all"),
            # Counts (the unread badge at every poll, a list's total) read this index only, never
            # the wide rows: 3,000 open conversations counted in 0.2 ms instead of 7. `spam` last:
            # first, SQLite's planner took it for the lists too, and sorted instead of reading in order.
            models.Index(fields=["workspace", "status", "unread", "spam"], name="inbox_conv_count"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"


class Direction(models.TextChoices):
    IN = "in", _("From the community")
    OUT = "out", _("From us")


class Message(models.Model):
    """One comment, reply, mention or DM as the network gave it (stored once per channel and id),
    or one of our replies once it is on the network."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    remote_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=10)  # networks.base.InboxKind
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.IN)
    text = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    parent_remote_id = models.CharField(max_length=200, blank=True)
    root_remote_id = models.CharField(max_length=200, blank=True)
    author_remote_id = models.CharField(max_length=200, blank=True)
    author_handle = models.CharField(max_length=200, blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    author_followers = models.PositiveBigIntegerField(null=True, blank=True)
    author_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()  # on the network
    received_at = models.DateTimeField(default=timezone.now)
    via = models.CharField(max_length=10, default="poll")  # poll | webhook | reply
    lang = models.CharField(max_length=8, blank=True)
    sentiment = models.CharField(max_length=10, blank=True)
    negative_score = models.FloatField(default=0.0)
    is_question = models.BooleanField(default=False)
    is_complaint = models.BooleanField(default=False)
    is_purchase_intent = models.BooleanField(default=False)
    is_influencer = models.BooleanField(default=False)
    is_spam = models.BooleanField(default=False)
    priority = models.PositiveSmallIntegerField(default=0)
    deleted_at = models.DateTimeField(null=True, blank=True)  # deleted on the network: kept, marked
    hidden = models.BooleanField(default=False)
    liked = models.BooleanField(default=False)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "remote_id"], name="inbox_message_once")]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="inbox_msg_conv"),
            models.Index(fields=["workspace", "author_handle"], name="inbox_msg_author"),
            # A search maps the messages found by the text index to their conversations: through
            # this narrow index rather than one wide row per message (twice as fast on SQLite).
            models.Index(fields=["id", "conversation"], name="inbox_msg_to_conv"),
        ]
        ordering = ["created_at", "id"]

    @property
    def author_label(self) -> str:
        return self.author_name or (f"@{self.author_handle.lstrip('@')}" if self.author_handle else "")

    @property
    def first_name(self) -> str:
        name = (self.author_name or "").strip()
        return name.split()[0] if name else ""

    def flag_names(self) -> list[str]:
        names = []
        for flag in ("question", "complaint", "purchase_intent", "influencer", "spam"):
            if getattr(self, f"is_{flag}"):
                names.append(flag)
        return names


class Note(models.Model):
    """An internal note on a conversation: seen by the team, never sent."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class SavedReply(models.Model):
    """A reusable answer; `{first_name}`, `{author}` and `{brand}` are filled in when used."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="saved_replies")
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=8, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class ReplyState(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    REJECTED = "rejected", _("Rejected")
    SCHEDULED = "scheduled", _("Queued")
    CLAIMED = "claimed", _("Claimed")
    SENDING = "sending", _("Sending")
    RETRY_WAIT = "retry_wait", _("Waiting to retry")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    UNCONFIRMED = "unconfirmed", _("Unconfirmed")


class Reply(models.Model):
    """Durable work: one answer sent through the connector, exactly once (see inbox/replies.py)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="replies")
    parent = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    state = models.CharField(max_length=20, choices=ReplyState.choices, default=ReplyState.SCHEDULED)
    due_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    idempotency_key = models.CharField(max_length=80, unique=True)
    remote_id = models.CharField(max_length=200, blank=True)
    url = models.CharField(max_length=500, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    approval_reason = models.CharField(max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "due_at"], name="inbox_reply_due")]
        ordering = ["created_at", "id"]


class ReplyAttempt(models.Model):
    """Written before the network call: what was tried, and what the network said."""

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveIntegerField()
    idempotency_key = models.CharField(max_length=80)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, blank=True)  # "" while in flight
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["reply", "number"], name="inbox_attempt_once")]


class ExcludedAccount(models.Model):
    """Staff and blocked accounts: never entered in a contest; blocked authors' items are spam."""

    class Reason(models.TextChoices):
        STAFF = "staff", _("Staff")
        BLOCKED = "blocked", _("Blocked")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    handle = models.CharField(_("handle"), max_length=200)
    reason = models.CharField(max_length=10, choices=Reason.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "handle"], name="inbox_excluded_once")]


class Contest(models.Model):
    """A giveaway on one of our posts: who qualifies, and a draw anyone can replay from its seed."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("contest state", "Open")
        DRAWN = "drawn", _("Winners drawn")
        ANNOUNCED = "announced", _("Announced")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="contests")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    post_remote_id = models.CharField(_("post"), max_length=200)
    title = models.CharField(_("title"), max_length=200)
    require_comment = models.BooleanField(_("must comment"), default=True)
    require_like = models.BooleanField(_("must like the post"), default=False)
    keyword = models.CharField(_("keyword"), max_length=100, blank=True)
    one_entry_per_person = models.BooleanField(_("one entry per person"), default=True)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    winners_count = models.PositiveSmallIntegerField(_("winners"), default=1)
    announcement = models.TextField(_("announcement"), blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    seed = models.CharField(max_length=64, blank=True)
    entries_digest = models.CharField(max_length=64, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ContestWinner(models.Model):
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="winners")
    rank = models.PositiveSmallIntegerField()
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    author_handle = models.CharField(max_length=200)

    class Meta:
        ordering = ["rank"]
        constraints = [models.UniqueConstraint(fields=["contest", "rank"], name="inbox_winner_rank")]
