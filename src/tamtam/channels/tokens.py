"""Token lifetimes of a channel: storing refreshed credentials, refreshing before expiry, and the
"reconnect needed" warnings shown on the channel and on every post due on it.

Why the lifetimes are mirrored on the Channel row (`token_expires_at`, `reconnect_by`,
`refresh_due_at`): the credentials are encrypted, and the refresh scan and the warnings on lists of
posts must not decrypt every channel to know which ones are concerned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tamtam.channels.models import Channel, ChannelStatus
from tamtam.networks import oauth
from tamtam.networks.base import ChannelContext, Connector
from tamtam.work.db import write_transaction

# Refresh an access token this long before it dies (a publish needs a valid one at its due time).
REFRESH_MARGIN = timedelta(minutes=30)
# Warn this many days before a reconnect is needed when the network's spec does not say.
DEFAULT_WARN_DAYS = 7


def spec_for(network: str) -> oauth.OAuthSpec | None:
    """The network's OAuthSpec (networks/<net>/oauth.py: SPEC), or None for non-OAuth networks."""
    try:
        module = import_module(f"tamtam.networks.{network}.oauth")
    except ModuleNotFoundError:
        return None
    spec = getattr(module, "SPEC", None)
    return spec if isinstance(spec, oauth.OAuthSpec) else None


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return when if timezone.is_aware(when) else timezone.make_aware(when, UTC)


@dataclass(frozen=True)
class Lifetimes:
    token_expires_at: datetime | None
    reconnect_by: datetime | None
    refresh_due_at: datetime | None


def lifetimes(credentials: Mapping[str, Any]) -> Lifetimes:
    """What the credentials say about their own death, and when to refresh them."""
    expires = _parse(credentials.get("expires_at"))
    has_refresh = bool(credentials.get("refresh_token"))
    if has_refresh:
        reconnect = _parse(credentials.get("refresh_expires_at"))
        due = expires - REFRESH_MARGIN if expires else None
    else:
        # Nothing can renew the access token: its death is the reconnect deadline.
        reconnect, due = expires, None
    return Lifetimes(token_expires_at=expires, reconnect_by=reconnect, refresh_due_at=due)


def store_credentials(channel: Channel, credentials: dict[str, Any]) -> None:
    """Encrypt and set the credentials and their mirrored lifetimes on `channel` (not saved)."""
    channel.set_credentials(credentials)
    life = lifetimes(credentials)
    channel.token_expires_at = life.token_expires_at
    channel.reconnect_by = life.reconnect_by
    channel.refresh_due_at = life.refresh_due_at


TOKEN_FIELDS = ["credentials_encrypted", "token_expires_at", "reconnect_by", "refresh_due_at", "updated_at"]


def persist_credentials(channel_id: int, credentials: dict[str, Any]) -> None:
    """Store credentials a connector refreshed (ChannelContext.persist_credentials). Its own short
    write, committed at once: a refresh token the network rotated is only valid from now on, so losing
    it to a later rollback would lock the account out."""
    with write_transaction():
        channel = Channel.objects.select_for_update().get(pk=channel_id)
        store_credentials(channel, credentials)
        channel.refresh_attempts = 0
        channel.save(update_fields=[*TOKEN_FIELDS, "refresh_attempts"])


def context_for(channel: Channel) -> ChannelContext:
    """The connector context of a channel, with refreshed credentials persisted on the way."""
    return ChannelContext(
        channel_id=channel.pk,
        handle=channel.handle,
        credentials=channel.get_credentials(),
        options=dict(channel.options or {}),
        external_id=channel.external_id,
        persist_credentials=lambda creds: persist_credentials(channel.pk, creds),
    )


def refresh_now(connector: Connector) -> None:
    """Refresh the connector's token through its own `refresh()`; a connector that did not write one
    is refreshed from its network's OAuthSpec (the generic refresh-token grant)."""
    from tamtam.networks.http import HttpConnector

    own = getattr(type(connector), "refresh", None)
    if own is not None and own is not HttpConnector.refresh:
        own(connector)
        return
    spec = spec_for(connector.network)
    if spec is None:
        own_default = getattr(connector, "refresh", None)
        if own_default is not None:
            own_default()
        return
    token_url = ""
    client: tuple[str, str] | None = None
    if spec.per_instance:
        token_url, client = instance_client(spec, connector.ctx.options)
    connector.update_credentials(
        oauth.refresh_token(spec, connector.ctx.credentials, token_url=token_url, client=client)
    )


def instance_client(spec: oauth.OAuthSpec, options: Mapping[str, Any]) -> tuple[str, tuple[str, str]]:
    """Token URL and client of a per-instance network (the app tamtam registered on that instance)."""
    from tamtam.channels.models import OAuthApp

    instance = str(options.get("instance") or options.get("api_base") or "").rstrip("/")
    app = OAuthApp.objects.filter(network=spec.network, instance=instance).order_by("-id").first()
    client = (app.client_id, app.get_secret()) if app else ("", "")
    return instance + spec.token_url, client


# --- warnings ---------------------------------------------------------------------------------


def warn_days(network: str) -> int:
    spec = spec_for(network)
    return spec.warn_days_before_expiry if spec else DEFAULT_WARN_DAYS


def channel_warnings(channel: Channel, now: datetime | None = None) -> list[str]:
    """What a person must know before posting on this channel: it needs a reconnect now, or soon."""
    now = now or timezone.now()
    if channel.status == ChannelStatus.NEEDS_USER:
        reason = channel.status_message or _("the network refused the credentials")
        return [_("Reconnect needed: %(reason)s") % {"reason": reason}]
    if channel.status == ChannelStatus.DISCONNECTED:
        return [_("This channel is disconnected.")]
    if channel.reconnect_by is not None:
        if channel.reconnect_by <= now:
            return [_("The connection expired: reconnect the account.")]
        if channel.reconnect_by <= now + timedelta(days=warn_days(channel.network)):
            when = date_format(timezone.localtime(channel.reconnect_by), "SHORT_DATE_FORMAT")
            return [
                _("The connection expires on %(date)s: reconnect the account before then.") % {"date": when}
            ]
    return []


def warnings_for(channels: list[Channel], now: datetime | None = None) -> dict[int, list[str]]:
    """channel id → warnings, for pages listing many posts (no query: the rows are given)."""
    now = now or timezone.now()
    return {c.pk: w for c in channels if (w := channel_warnings(c, now))}
