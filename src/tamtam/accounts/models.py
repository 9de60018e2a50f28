"""Users, agencies, workspaces (brands/clients), memberships with roles, API tokens, audit log."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tamtam.lib import timeutil
from tamtam.lib.crypto import token_hash


def validate_time_zone(value: str) -> None:
    try:
        timeutil.zone(value)
    except timeutil.UnknownTimeZoneError as exc:
        raise ValidationError(str(exc)) from None


class User(AbstractUser):
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Leave empty to follow the browser."),
    )


class Agency(models.Model):
    """The organisation that runs the workspaces (an agency, or a brand's own team)."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(unique=True)
    brand_color = models.CharField(_("brand colour"), max_length=7, default="#3b5bdb")
    # Report branding: the logo and a second colour for headings and charts.
    logo = models.FileField(_("logo"), upload_to="branding/", blank=True)
    accent_color = models.CharField(_("accent colour"), max_length=7, default="#f08c00")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class ApprovalPolicy(models.TextChoices):
    NONE = "none", _("No approval")
    MANAGER = "manager", _("Manager approves")
    MANAGER_CLIENT = "manager_client", _("Manager, then client approve")


class Workspace(models.Model):
    """A brand or a client: its channels, calendar, team and settings."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="workspaces")
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField()
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    language = models.CharField(_("content language"), max_length=8, default="en", choices=settings.LANGUAGES)
    approval_policy = models.CharField(
        _("approval"), max_length=20, choices=ApprovalPolicy.choices, default=ApprovalPolicy.MANAGER
    )
    # Secret for the read-only iCal feed URL; rotating it revokes old subscriptions.
    ical_token = models.CharField(max_length=64, default=secrets.token_urlsafe, unique=True)
    crisis_mode = models.BooleanField(default=False)
    color = models.CharField(max_length=7, default="#3b5bdb")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "slug"], name="workspace_slug_per_agency")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> Any:
        return timeutil.zone(self.time_zone)


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    COMMUNITY = "community", _("Community manager")
    ANALYST = "analyst", _("Analyst")
    CLIENT = "client", _("Client")


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "workspace"], name="one_membership")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.workspace} ({self.role})"


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its hash is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    # None: every workspace the user belongs to; otherwise restricted to this one.
    workspace = models.ForeignKey(Workspace, null=True, blank=True, on_delete=models.CASCADE)
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @classmethod
    def issue(
        cls, user: User, name: str, workspace: Workspace | None = None, expires_at: datetime | None = None
    ) -> tuple[ApiToken, str]:
        raw = "tt_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            workspace=workspace,
            name=name,
            prefix=raw[:10],
            key_hash=token_hash(raw),
            expires_at=expires_at,
        )
        return token, raw

    def is_usable(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)


class AuditEvent(models.Model):
    """Who did what, when: created, approved, rescheduled, published, deleted…"""

    workspace = models.ForeignKey(Workspace, null=True, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=150, blank=True)  # "system", "client link: Jane", …
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label or self.actor} {self.action}"
