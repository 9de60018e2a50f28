"""A connected account on a network: encrypted credentials, status, dials and rate-limit state."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from tamtam.accounts.models import Workspace
from tamtam.lib import crypto


class ChannelStatus(models.TextChoices):
    ACTIVE = "active", _("Connected")
    NEEDS_USER = "needs_user", _("Reconnect needed")
    DISCONNECTED = "disconnected", _("Disconnected")


class Channel(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    network = models.CharField(_("network"), max_length=30)  # a key of tamtam.networks.registry
    name = models.CharField(_("name"), max_length=120)
    handle = models.CharField(_("handle"), max_length=200, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    # AES-GCM ciphertext (tamtam.lib.crypto), bound to the channel id; never sent to the UI or logged.
    credentials_encrypted = models.TextField(blank=True, editable=False)
    status = models.CharField(max_length=20, choices=ChannelStatus.choices, default=ChannelStatus.ACTIVE)
    status_message = models.CharField(max_length=500, blank=True)
    # Network-specific non-secret options: e.g. the sandbox's dials (latency, error rate…).
    options = models.JSONField(default=dict, blank=True)
    # Rate shaping learnt from response headers: {"remaining": int, "reset_at": iso, "limit": int}.
    rate_state = models.JSONField(default=dict, blank=True)
    # The engine will not start a publish on this channel before this instant (rate limit, 429).
    not_before = models.DateTimeField(null=True, blank=True)
    daily_cap = models.PositiveIntegerField(
        _("daily publishing cap"), null=True, blank=True, help_text=_("Empty: the network's own cap.")
    )
    color = models.CharField(max_length=7, blank=True)
    # Token lifetimes, mirrored from the (encrypted) credentials so they can be queried unencrypted:
    # when the access token dies, and when a person must reconnect (the refresh token's death, or the
    # access token's when there is no refresh token: LinkedIn's 60 days).
    token_expires_at = models.DateTimeField(null=True, blank=True)
    reconnect_by = models.DateTimeField(null=True, blank=True)
    # The token-refresh work (channels/tasks.py): due instant, lease, attempts since the last success.
    refresh_due_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    refresh_attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workspace", "name"]
        indexes = [
            models.Index(fields=["workspace", "network"]),
            models.Index(fields=["refresh_due_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.network})"

    def _aad(self) -> bytes:
        return f"channel:{self.pk}".encode()

    def get_credentials(self) -> dict[str, Any]:
        return crypto.decrypt_json(self.credentials_encrypted, self._aad())

    def set_credentials(self, value: dict[str, Any]) -> None:
        """Requires a saved channel: the ciphertext is bound to the primary key."""
        assert self.pk is not None, "save the channel before storing credentials"
        self.credentials_encrypted = crypto.encrypt_json(value, self._aad()) if value else ""


class OAuthApp(models.Model):
    """A client registered by tamtam itself on a per-instance network (Mastodon's `POST /api/v1/apps`),
    kept per instance and redirect URL so every account of that instance shares it."""

    network = models.CharField(max_length=30)
    instance = models.CharField(max_length=300)  # "https://mastodon.social", no trailing slash
    redirect_uri = models.CharField(max_length=500)
    scopes = models.CharField(max_length=300)
    client_id = models.CharField(max_length=300)
    client_secret_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["network", "instance", "redirect_uri", "scopes"], name="oauthapp_unique_per_instance"
            )
        ]

    def __str__(self) -> str:
        return f"{self.network} app on {self.instance}"

    def _aad(self) -> bytes:
        return f"oauthapp:{self.network}:{self.instance}".encode()

    def get_secret(self) -> str:
        if not self.client_secret_encrypted:
            return ""
        return str(crypto.decrypt_json(self.client_secret_encrypted, self._aad()).get("secret", ""))

    def set_secret(self, secret: str) -> None:
        self.client_secret_encrypted = crypto.encrypt_json({"secret": secret}, self._aad()) if secret else ""
