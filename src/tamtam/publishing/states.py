"""The states of one post on one channel (PostTarget) and the transitions allowed between them.

draft → in_review → approved → scheduled → claimed → sending → published
                ↘ changes_requested          ↘ retry_wait (RetryAfter) → claimed
                                              ↘ unconfirmed (ambiguous) → published | failed
                                              ↘ failed (Permanent) · needs_user (NeedsUser) · paused (crisis)
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TargetState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    CLAIMED = "claimed", _("Claimed")
    SENDING = "sending", _("Sending")
    RETRY_WAIT = "retry_wait", _("Waiting to retry")
    UNCONFIRMED = "unconfirmed", _("Unconfirmed")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    NEEDS_USER = "needs_user", _("Action needed")
    PAUSED = "paused", _("Paused")
    CANCELLED = "cancelled", _("Cancelled")


S = TargetState

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.IN_REVIEW, S.APPROVED, S.SCHEDULED, S.CANCELLED}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.SCHEDULED, S.CHANGES_REQUESTED, S.DRAFT, S.CANCELLED, S.IN_REVIEW}),
    S.CHANGES_REQUESTED: frozenset({S.IN_REVIEW, S.DRAFT, S.CANCELLED}),
    S.APPROVED: frozenset({S.SCHEDULED, S.IN_REVIEW, S.DRAFT, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.CLAIMED, S.PAUSED, S.APPROVED, S.IN_REVIEW, S.DRAFT, S.CANCELLED, S.SCHEDULED}),
    S.CLAIMED: frozenset({S.SENDING, S.SCHEDULED, S.RETRY_WAIT, S.NEEDS_USER, S.FAILED, S.PAUSED}),
    S.SENDING: frozenset({S.PUBLISHED, S.RETRY_WAIT, S.FAILED, S.NEEDS_USER, S.UNCONFIRMED}),
    S.RETRY_WAIT: frozenset({S.CLAIMED, S.PAUSED, S.CANCELLED, S.FAILED}),
    S.UNCONFIRMED: frozenset({S.PUBLISHED, S.FAILED, S.RETRY_WAIT, S.SCHEDULED}),
    S.PUBLISHED: frozenset(),
    S.FAILED: frozenset({S.SCHEDULED, S.CANCELLED, S.DRAFT}),
    S.NEEDS_USER: frozenset({S.SCHEDULED, S.CANCELLED, S.DRAFT}),
    S.PAUSED: frozenset({S.SCHEDULED, S.CANCELLED, S.DRAFT}),
    S.CANCELLED: frozenset({S.DRAFT}),
}

# Before approval: the content may still change; the engine never looks at these.
EDITABLE = frozenset(
    {
        S.DRAFT,
        S.IN_REVIEW,
        S.CHANGES_REQUESTED,
        S.APPROVED,
        S.SCHEDULED,
        S.FAILED,
        S.NEEDS_USER,
        S.PAUSED,
        S.CANCELLED,
    }
)
# The engine owns the target; humans wait (or act through the engine's safe actions).
IN_FLIGHT = frozenset({S.CLAIMED, S.SENDING})
# Due work the engine may claim.
CLAIMABLE = frozenset({S.SCHEDULED, S.RETRY_WAIT})
# Final or waiting on a person: a post in one of these is visible and actionable.
NEEDS_ATTENTION = frozenset({S.FAILED, S.NEEDS_USER, S.UNCONFIRMED, S.CHANGES_REQUESTED})


class InvalidTransition(Exception):
    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"cannot go from {current} to {wanted}")
        self.current = current
        self.wanted = wanted


def check(current: str, wanted: str) -> None:
    if wanted not in TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(current, wanted)
