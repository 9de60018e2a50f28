"""Channel operations: connect sandbox accounts (real networks: channels/connecting.py), edit the
dials, disconnect (revoking at the network), reconnect. Every change is audited; credentials are stored
encrypted and never returned.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from django.db import transaction
from django.utils.translation import gettext as _

from tamtam.accounts.models import Workspace
from tamtam.accounts.services import audit
from tamtam.channels import tokens
from tamtam.channels.models import Channel, ChannelStatus
from tamtam.lib import crypto
from tamtam.lib.errors import InvalidInput
from tamtam.networks import oauth, registry
from tamtam.networks.base import Connector, ConnectorError
from tamtam.networks.limits import NETWORK_LABELS, label_for

SANDBOX = "sandbox"
MAX_LATENCY_MS = 60_000
MAX_RATE_LIMIT = 100_000
MAX_AUDIENCE = 1_000_000_000


@dataclass
class SandboxDials:
    """The simulated network's behaviour for one account (see networks/sandbox/connector.py)."""

    latency_ms: int = 300
    error_rate: float = 0.0
    rate_limit_per_minute: int = 0  # 0: no rate limit
    ambiguous_rate: float = 0.0
    permanent_rate: float = 0.0
    audience_size: int = 1000
    idempotent: bool = False
    seed: int | None = None  # None: the channel id, set on connect so runs stay reproducible

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> SandboxDials:
        known = {k: options[k] for k in asdict(cls()) if k in options}
        return cls(**known)

    def validate(self) -> None:
        for name in ("error_rate", "ambiguous_rate", "permanent_rate"):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise InvalidInput(name, _("a share between 0 and 1 (0.05 is 5%)"))
        if not 0 <= self.latency_ms <= MAX_LATENCY_MS:
            raise InvalidInput("latency_ms", _("between 0 and %(max)d ms") % {"max": MAX_LATENCY_MS})
        if not 0 <= self.rate_limit_per_minute <= MAX_RATE_LIMIT:
            raise InvalidInput(
                "rate_limit_per_minute", _("between 0 (no limit) and %(max)d") % {"max": MAX_RATE_LIMIT}
            )
        if not 0 <= self.audience_size <= MAX_AUDIENCE:
            raise InvalidInput("audience_size", _("between 0 and %(max)d") % {"max": MAX_AUDIENCE})


def flavor_choices() -> list[tuple[str, str]]:
    """The real networks a sandbox account can pose as ("" : a generous generic network)."""
    return [("", _("Generic (no network limits)")), *NETWORK_LABELS.items()]


def flavor_of(channel: Channel) -> str:
    """The network whose rules apply: the channel's own, or the one a sandbox account poses as."""
    if channel.network == SANDBOX:
        return str(channel.options.get("flavor") or "")
    return channel.network


def network_label(channel: Channel) -> str:
    flavor = flavor_of(channel)
    return label_for(flavor) if flavor else _("Generic network")


def _clean_identity(name: str, handle: str) -> tuple[str, str]:
    name, handle = name.strip(), handle.strip()
    if not name:
        raise InvalidInput("name", _("give the account a name"))
    if handle and not handle.startswith("@"):
        handle = "@" + handle
    return name[:120], handle[:200]


def _check_flavor(flavor: str) -> str:
    flavor = (flavor or "").strip().lower()
    if flavor and flavor not in NETWORK_LABELS:
        raise InvalidInput("flavor", _("unknown network %(name)s") % {"name": flavor})
    return flavor


def _check_cap(daily_cap: int | None) -> int | None:
    if daily_cap is not None and daily_cap < 1:
        raise InvalidInput("daily_cap", _("at least 1 post a day, or empty for the network's own cap"))
    return daily_cap


@transaction.atomic
def connect_sandbox(
    workspace: Workspace,
    actor: Any,
    *,
    name: str,
    handle: str,
    flavor: str = "",
    dials: SandboxDials | None = None,
    daily_cap: int | None = None,
) -> Channel:
    """Connect a simulated account the way a real one is connected: it gets its own (random) token."""
    name, handle = _clean_identity(name, handle)
    flavor = _check_flavor(flavor)
    dials = dials or SandboxDials()
    dials.validate()
    channel = Channel.objects.create(
        workspace=workspace,
        network=SANDBOX,
        name=name,
        handle=handle,
        daily_cap=_check_cap(daily_cap),
        options={**asdict(dials), "flavor": flavor},
        status=ChannelStatus.ACTIVE,
    )
    if dials.seed is None:
        channel.options["seed"] = channel.pk
    # The ciphertext is bound to the primary key, hence the second save.
    channel.set_credentials({"token": secrets.token_urlsafe(32)})
    channel.save(update_fields=["options", "credentials_encrypted", "updated_at"])
    audit(
        workspace, actor, "channel.connected", channel, summary=f"{name} ({network_label(channel)}, sandbox)"
    )
    return channel


@transaction.atomic
def update_channel(
    channel: Channel,
    actor: Any,
    *,
    name: str,
    handle: str,
    daily_cap: int | None,
    flavor: str | None = None,
    dials: SandboxDials | None = None,
    settings: dict[str, str] | None = None,
) -> Channel:
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    channel.name, channel.handle = _clean_identity(name, handle)
    channel.daily_cap = _check_cap(daily_cap)
    if settings is not None and channel.network != SANDBOX:
        channel.options = {**(channel.options or {}), **_clean_settings(channel, settings)}
    if channel.network == SANDBOX:
        options = dict(channel.options)
        if flavor is not None:
            options["flavor"] = _check_flavor(flavor)
        if dials is not None:
            dials.validate()
            options.update(asdict(dials))
            if dials.seed is None:
                options["seed"] = channel.pk
        channel.options = options
    channel.save()
    audit(
        channel.workspace,
        actor,
        "channel.updated",
        channel,
        summary=channel.name,
        daily_cap=channel.daily_cap,
        options=channel.options,
    )
    return channel


def shares_grant(channel: Channel) -> bool:
    """True when another connected channel uses the same access token (the Pages or organisations one
    sign-in reaches): revoking it would cut those channels off too, so disconnecting only forgets."""
    token = str(channel.get_credentials().get("access_token") or "")
    if not token:
        return False
    others = (
        Channel.objects.filter(network=channel.network)
        .exclude(pk=channel.pk)
        .exclude(status=ChannelStatus.DISCONNECTED)
        .exclude(credentials_encrypted="")
    )
    for other in others:
        try:
            if str(other.get_credentials().get("access_token") or "") == token:
                return True
        except crypto.DecryptionError:
            continue
    return False


def _clean_settings(channel: Channel, values: dict[str, str]) -> dict[str, Any]:
    """The connector's own check of its settings; a refusal names the field it concerns."""
    cls = registry.get(channel.network)
    try:
        return cls.clean_settings(values, dict(channel.options or {}))
    except ConnectorError as exc:
        field = next((f.name for f in cls.setting_fields if f"{f.name}:" in exc.message), "")
        raise InvalidInput(field, exc.message) from exc


def revoke_at_network(channel: Channel) -> bool:
    """Best effort: revoke the channel's token at the network (its connector's `revoke()`, or the
    OAuth spec's revoke URL). False when nothing was revoked; never raises: a disconnect must succeed
    even when the network is down or already forgot the token."""
    if channel.network == SANDBOX or not channel.credentials_encrypted:
        return False
    try:
        if shares_grant(channel):
            return False
        cls = registry.get(channel.network)
        connector = cls(tokens.context_for(channel))
        if type(connector).revoke is not Connector.revoke:
            connector.revoke()
            return True
        spec = tokens.spec_for(channel.network)
        if spec is None or not spec.revoke_url:
            return False
        credentials = channel.get_credentials()
        if spec.per_instance:
            token_url, client = tokens.instance_client(spec, channel.options)
            instance = token_url[: -len(spec.token_url)]
            return oauth.revoke_token(spec, credentials, revoke_url=instance + spec.revoke_url, client=client)
        return oauth.revoke_token(spec, credentials)
    except (ConnectorError, KeyError, httpx.HTTPError, crypto.DecryptionError):
        return False


def disconnect(channel: Channel, actor: Any) -> Channel:
    """Revoke the token at the network where possible, then stop publishing to the account and
    forget its credentials (scheduled posts will need a reconnect)."""
    revoked = revoke_at_network(channel)  # a network call: outside the transaction
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel.pk)
        channel.status = ChannelStatus.DISCONNECTED
        channel.status_message = ""
        tokens.store_credentials(channel, {})
        channel.save(update_fields=["status", "status_message", *tokens.TOKEN_FIELDS])
        audit(
            channel.workspace, actor, "channel.disconnected", channel, summary=channel.name, revoked=revoked
        )
    return channel


@transaction.atomic
def reconnect_sandbox(channel: Channel, actor: Any) -> Channel:
    """A sandbox account reconnects at once with a fresh token; real networks go through their OAuth."""
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    if channel.network != SANDBOX:
        raise InvalidInput("network", _("this network reconnects through its own sign-in page"))
    channel.set_credentials({"token": secrets.token_urlsafe(32)})
    channel.status = ChannelStatus.ACTIVE
    channel.status_message = ""
    channel.options = {k: v for k, v in channel.options.items() if k != "needs_user"}
    channel.save(update_fields=["status", "status_message", "credentials_encrypted", "options", "updated_at"])
    audit(channel.workspace, actor, "channel.reconnected", channel, summary=channel.name)
    return channel
