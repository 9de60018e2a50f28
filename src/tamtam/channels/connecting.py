"""Connecting real accounts: the OAuth 2 authorization-code flow driven by a network's `SPEC`
(state + PKCE S256), per-instance app registration (Mastodon), and the generic connect form of the
networks without OAuth (declared by the connector's `connect_fields`).

The pending OAuth state lives in the person's session, bound to user, workspace and network, used once
and valid `STATE_TTL`: the callback can only finish a flow this very person started here. No token,
code or secret is ever put in a URL we build for our own pages, in a message or in the audit.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tamtam.accounts.models import Workspace
from tamtam.accounts.permissions import Cap
from tamtam.accounts.services import audit, require
from tamtam.channels import tokens
from tamtam.channels.models import Channel, ChannelStatus, OAuthApp
from tamtam.lib.errors import InvalidInput
from tamtam.networks import oauth, registry
from tamtam.networks.base import ConnectField, Connector, ConnectorError, Identity

SESSION_KEY = "tamtam_oauth_pending"
STATE_TTL = 600.0  # seconds a person has to grant access at the network
MAX_PENDING = 8  # flows kept per session (older ones dropped: a person rarely has more tabs open)


class ConnectError(Exception):
    """A connect that could not finish; `message` is safe to show (never a secret)."""

    def __init__(self, message: str, workspace_id: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.workspace_id = workspace_id


@dataclass(frozen=True)
class NetworkOption:
    """One network on the "connect an account" page."""

    network: str
    label: str
    method: str  # "oauth" | "instance" (per-instance OAuth: Mastodon) | "form"
    configured: bool
    missing: str = ""  # why it cannot be connected yet (a setting to set)
    fields: tuple[ConnectField, ...] = field(default_factory=tuple)


def redirect_uri(network: str) -> str:
    return f"{settings.OAUTH_REDIRECT_BASE}/oauth/callback/{network}/"


def instance_field() -> ConnectField:
    return ConnectField(
        "instance",
        _("Server address"),
        kind="url",
        placeholder="https://mastodon.social",
        help_text=_("The address of the server the account is on."),
    )


# Networks whose folder logs in through a module-level `connect(...)` function rather than the
# connector's `connect_fields`/`connect_form`/`identify` hooks (Bluesky: handle + app password + PDS).
def bluesky_fields() -> tuple[ConnectField, ...]:
    return (
        ConnectField("handle", _("Handle"), placeholder="brand.bsky.social"),
        ConnectField(
            "app_password",
            _("App password"),
            kind="password",
            secret=True,
            help_text=_("Create one in Bluesky: Settings, Privacy and security, App passwords."),
        ),
        ConnectField(
            "service_url",
            _("PDS address"),
            kind="url",
            required=False,
            placeholder="https://bsky.social",
            help_text=_("Only for an account hosted on its own server."),
        ),
    )


def _connect_function(network: str) -> Any:
    if network != "bluesky":
        return None
    try:
        module = import_module(f"tamtam.networks.{network}.connector")
    except ModuleNotFoundError:
        return None
    return getattr(module, "connect", None)


def _bluesky_connect(values: Mapping[str, str]) -> tuple[Identity, dict[str, Any], dict[str, Any]]:
    connect = _connect_function("bluesky")
    service = str(values.get("service_url") or "").strip()
    options: dict[str, Any] = {}
    if service:
        service = normalise_instance(service)
        options["api_base"] = service
    did, handle, credentials = connect(
        values["handle"], values["app_password"], service or "https://bsky.social"
    )
    return Identity(external_id=did, handle="@" + handle, name=handle), credentials, options


def network_option(network: str) -> NetworkOption | None:
    """How `network` connects, or None when it cannot be connected from the UI (the sandbox)."""
    if network == "sandbox":
        return None
    cls = registry.get(network)
    spec = tokens.spec_for(network)
    if spec is not None and spec.per_instance:
        return NetworkOption(network, cls.label, "instance", True, fields=(instance_field(),))
    if spec is not None:
        client_id, client_secret = oauth.client_credentials(network)
        configured = bool(client_id) and (bool(client_secret) or spec.client_auth == "none")
        key = f"TAMTAM_{network.upper()}"
        missing = (
            ""
            if configured
            else _("not configured: set %(id)s and %(secret)s")
            % {"id": f"{key}_CLIENT_ID", "secret": f"{key}_CLIENT_SECRET"}
        )
        return NetworkOption(network, cls.label, "oauth", configured, missing)
    if cls.connect_fields:
        return NetworkOption(network, cls.label, "form", True, fields=cls.connect_fields)
    if _connect_function(network) is not None:
        return NetworkOption(network, cls.label, "form", True, fields=bluesky_fields())
    return None


def network_options() -> list[NetworkOption]:
    found = [network_option(n) for n in sorted(registry.all_networks())]
    return sorted((o for o in found if o is not None), key=lambda o: o.label.lower())


def cannot_identify(cls: type[Connector]) -> str:
    return _("%(network)s cannot say who the account is yet") % {"network": cls.label}


def no_sign_in(network: str) -> str:
    return _("%(network)s does not connect through a sign-in page") % {"network": network}


# --- channels from an identity ----------------------------------------------------------------


@transaction.atomic
def save_account(
    workspace: Workspace,
    actor: Any,
    network: str,
    identity: Identity,
    credentials: dict[str, Any],
    options: Mapping[str, Any],
) -> tuple[Channel, bool]:
    """Create the channel, or update the one of the same account (same network and external id):
    reconnecting never duplicates. (channel, created)."""
    if not identity.external_id:
        raise ConnectError(_("the network did not say which account this is"), workspace.pk)
    channel = (
        Channel.objects.select_for_update()
        .filter(workspace=workspace, network=network, external_id=identity.external_id)
        .first()
    )
    created = channel is None
    handle = (identity.handle or "")[:200]
    name = (identity.name or identity.handle or identity.external_id)[:120]
    if channel is None:
        channel = Channel.objects.create(
            workspace=workspace, network=network, external_id=identity.external_id, name=name, handle=handle
        )
    else:
        channel.handle = handle or channel.handle
    channel.options = {**(channel.options or {}), **dict(options), **identity.options}
    channel.status = ChannelStatus.ACTIVE
    channel.status_message = ""
    channel.refresh_attempts = 0
    tokens.store_credentials(channel, credentials)
    channel.save()
    audit(
        workspace,
        actor,
        "channel.connected" if created else "channel.reconnected",
        channel,
        summary=f"{channel.name} ({registry.get(network).label})",
        network=network,
        handle=channel.handle,
    )
    return channel, created


def _identify(
    cls: type[Connector], credentials: dict[str, Any], options: dict[str, Any], ws: int
) -> Identity:
    try:
        return cls.identify(credentials, options)
    except NotImplementedError as exc:
        raise ConnectError(
            _("%(network)s cannot say who the account is yet") % {"network": cls.label}, ws
        ) from exc
    except ConnectorError as exc:
        raise ConnectError(exc.message, ws) from exc


# --- OAuth: start ----------------------------------------------------------------------------


def _pending(session: MutableMapping[str, Any]) -> dict[str, dict[str, Any]]:
    value = session.get(SESSION_KEY)
    return dict(value) if isinstance(value, dict) else {}


def _remember(session: MutableMapping[str, Any], state: str, entry: dict[str, Any]) -> None:
    pending = {k: v for k, v in _pending(session).items() if float(v.get("expires", 0)) > time.time()}
    pending[state] = entry
    # Keep the newest few: a session is not a place to pile up flows never finished.
    newest = sorted(pending.items(), key=lambda kv: float(kv[1].get("expires", 0)))[-MAX_PENDING:]
    session[SESSION_KEY] = dict(newest)


def normalise_instance(value: str) -> str:
    """A server address → "https://host[:port]". Plain http only for this machine (tests, a local
    server): tokens must not travel in clear over a network."""
    raw = (value or "").strip().rstrip("/")
    if not raw:
        raise InvalidInput("instance", _("give the server's address, e.g. https://mastodon.social"))
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        raise InvalidInput("instance", _("not a server address: %(value)s") % {"value": value[:100]})
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise InvalidInput("instance", _("the address must start with https://"))
    if parts.path not in ("", "/") or parts.query:
        raise InvalidInput("instance", _("only the server's address, without a path"))
    return f"{parts.scheme}://{parts.netloc.lower()}"


def instance_app(spec: oauth.OAuthSpec, instance: str) -> OAuthApp:
    """The app tamtam registered on this instance for our redirect URL (registered on first use)."""
    uri = redirect_uri(spec.network)
    scopes = spec.scope_separator.join(spec.scopes)
    app = OAuthApp.objects.filter(
        network=spec.network, instance=instance, redirect_uri=uri, scopes=scopes
    ).first()
    if app is not None:
        return app
    module = import_module(f"tamtam.networks.{spec.network}.oauth")
    try:
        client_id, client_secret = module.register_app(instance, uri, spec.scopes)
    except ConnectorError as exc:
        raise InvalidInput("instance", exc.message) from exc
    app = OAuthApp(
        network=spec.network, instance=instance, redirect_uri=uri, scopes=scopes, client_id=client_id
    )
    app.set_secret(client_secret)
    try:
        with transaction.atomic():
            app.save()
    except IntegrityError:  # registered by a concurrent request: use theirs
        return OAuthApp.objects.get(network=spec.network, instance=instance, redirect_uri=uri, scopes=scopes)
    return app


def start_oauth(
    session: MutableMapping[str, Any], user: Any, workspace: Workspace, network: str, *, instance: str = ""
) -> str:
    """Remember a new flow in the session and return the network's authorization URL."""
    option = network_option(network)
    spec = tokens.spec_for(network)
    if option is None or spec is None:
        raise InvalidInput(
            "network", _("%(network)s does not connect through a sign-in page") % {"network": network}
        )
    if not option.configured:
        raise InvalidInput("network", option.missing)
    state, verifier = oauth.new_state(), oauth.new_code_verifier() if spec.pkce else ""
    authorize_url, client_id = "", ""
    if spec.per_instance:
        instance = normalise_instance(instance)
        app = instance_app(spec, instance)
        authorize_url, client_id = instance + spec.authorize_url, app.client_id
    _remember(
        session,
        state,
        {
            "user": user.pk,
            "ws": workspace.pk,
            "network": network,
            "verifier": verifier,
            "instance": instance,
            "expires": time.time() + STATE_TTL,
        },
    )
    return oauth.authorization_url(
        spec,
        redirect_uri=redirect_uri(network),
        state=state,
        code_verifier=verifier,
        client_id=client_id,
        authorize_url=authorize_url,
    )


# --- OAuth: the callback ---------------------------------------------------------------------


def take_state(session: MutableMapping[str, Any], state: str) -> dict[str, Any] | None:
    """The pending flow of `state`, removed from the session whatever happens next (single use)."""
    pending = _pending(session)
    entry = pending.pop(state, None) if state else None
    session[SESSION_KEY] = pending
    return entry


def finish_oauth(
    session: MutableMapping[str, Any],
    user: Any,
    network: str,
    params: Mapping[str, str],
    *,
    transport: Any = None,
) -> Channel:
    """The network sent the person back: check the state, exchange the code, identify the account and
    save the channel. Raises ConnectError with a message to show."""
    entry = take_state(session, str(params.get("state", "")))
    if entry is None:
        raise ConnectError(_("This sign-in link is unknown or was already used: start the connection again."))
    ws = int(entry["ws"])
    if float(entry.get("expires", 0)) < time.time():
        raise ConnectError(_("This sign-in took too long and expired: start the connection again."), ws)
    if entry.get("user") != user.pk or entry.get("network") != network:
        raise ConnectError(_("This sign-in was started by someone else or for another network."), ws)
    label = registry.get(network).label
    if params.get("error"):
        # The network's own words (access_denied, a description): no secret is ever in them.
        words = str(params.get("error_description") or params["error"])[:200]
        raise ConnectError(
            _("%(network)s did not grant access: %(words)s") % {"network": label, "words": words}, ws
        )
    code = str(params.get("code", ""))
    if not code:
        raise ConnectError(_("%(network)s sent no authorization code back.") % {"network": label}, ws)
    workspace = Workspace.objects.get(pk=ws)
    require(user, ws, Cap.MANAGE_CHANNELS)  # the role may have changed since the flow started
    spec = tokens.spec_for(network)
    if spec is None:
        raise ConnectError(
            _("%(network)s does not connect through a sign-in page") % {"network": network}, ws
        )
    options: dict[str, Any] = {}
    token_url, client = "", None
    if spec.per_instance:
        instance = str(entry.get("instance") or "")
        app = instance_app(spec, instance)
        token_url, client = instance + spec.token_url, (app.client_id, app.get_secret())
        options = {"instance": instance, "api_base": instance}
    try:
        credentials = oauth.exchange_code(
            spec,
            code=code,
            redirect_uri=redirect_uri(network),
            code_verifier=str(entry.get("verifier") or ""),
            token_url=token_url,
            client=client,
            transport=transport,
        )
    except ConnectorError as exc:
        raise ConnectError(exc.message, ws) from exc
    identity = _identify(registry.get(network), credentials, options, ws)
    channel, _created = save_account(workspace, user, network, identity, credentials, options)
    return channel


# --- networks without OAuth: the connect form -------------------------------------------------


def connect_with_form(workspace: Workspace, actor: Any, network: str, values: Mapping[str, str]) -> Channel:
    """Connect an account from its connect form (bot token, app password, access token…)."""
    option = network_option(network)
    if option is None or option.method != "form":
        raise InvalidInput("network", _("%(network)s has no connect form") % {"network": network})
    cls = registry.get(network)
    clean: dict[str, str] = {}
    for f in option.fields:
        value = str(values.get(f.name, "") or "").strip()
        if f.required and not value:
            raise InvalidInput(f.name, _("%(label)s is required") % {"label": f.label})
        clean[f.name] = value
    typed = [clean[f.name] for f in option.fields if f.secret]
    if not cls.connect_fields and _connect_function(network) is not None:
        try:
            identity, credentials, options = _bluesky_connect(clean)
        except ConnectorError as exc:
            raise InvalidInput("", _without(exc.message, typed)) from exc
        return _save_from_form(workspace, actor, network, identity, credentials, options)
    try:
        credentials, options = cls.connect_form(clean)
    except ConnectorError as exc:
        raise InvalidInput("", _without(exc.message, typed)) from exc
    try:
        identity = cls.identify(credentials, options)
    except NotImplementedError as exc:
        raise InvalidInput(
            "", _("%(network)s cannot say who the account is yet") % {"network": cls.label}
        ) from exc
    except ConnectorError as exc:
        raise InvalidInput("", _without(exc.message, [*typed, *credentials.values()])) from exc
    return _save_from_form(workspace, actor, network, identity, credentials, options)


def _without(message: str, secrets: list[Any]) -> str:
    """A network's refusal can echo the token just typed ("invalid token 123:AAH…"): the message is
    shown on the page and in the API answer, so the secret values are cut out of it."""
    for value in secrets:
        if isinstance(value, str) and len(value) >= 6:
            message = message.replace(value, "•••")
    return message


def _save_from_form(
    workspace: Workspace,
    actor: Any,
    network: str,
    identity: Identity,
    credentials: dict[str, Any],
    options: Mapping[str, Any],
) -> Channel:
    try:
        channel, _created = save_account(workspace, actor, network, identity, credentials, options)
    except ConnectError as exc:
        raise InvalidInput("", exc.message) from exc
    return channel


# --- several accounts behind one sign-in (Facebook Pages, LinkedIn organisations, Instagram) --------

# One sign-in gives access to several accounts on these networks; the connector's `identify` picks one
# through an option and lists the others on the channel's options: (list key, id key, label key, the
# option that chooses). A second account is connected from the first one's stored credentials, so no
# token ever waits in a session or a form.
SIBLINGS: dict[str, tuple[str, str, str, str]] = {
    "facebook": ("pages", "id", "name", "page_id"),
    "linkedin": ("organizations", "urn", "name", "author_urn"),
    "instagram": ("accounts", "id", "username", "ig_user_id"),
}


def other_accounts(channel: Channel, connected: set[str] | None = None) -> list[tuple[str, str]]:
    """(id, label) of the accounts the channel's sign-in also reaches and that this workspace has not
    connected yet (read from the options: nothing is decrypted)."""
    shape = SIBLINGS.get(channel.network)
    if shape is None or channel.status != ChannelStatus.ACTIVE:
        return []
    list_key, id_key, label_key, _choose = shape
    if connected is None:
        connected = set(
            Channel.objects.filter(workspace_id=channel.workspace_id, network=channel.network)
            .exclude(status=ChannelStatus.DISCONNECTED)
            .values_list("external_id", flat=True)
        )
    out: list[tuple[str, str]] = []
    options = channel.options or {}
    for entry in options.get(list_key) or []:
        key = str(entry.get(id_key) or "") if isinstance(entry, dict) else ""
        if key and key not in connected:
            out.append((key, str(entry.get(label_key) or key)))
    member = str(options.get("member_urn") or "")
    if channel.network == "linkedin" and member and member not in connected:
        out.insert(0, (member, _("Your own LinkedIn profile")))
    return out


def connect_other_account(channel: Channel, actor: Any, account: str) -> Channel:
    """Connect another account reached by `channel`'s sign-in as its own channel (or update it)."""
    ws = channel.workspace_id
    require(actor, ws, Cap.MANAGE_CHANNELS)
    choices = dict(other_accounts(channel))
    if account not in choices:
        raise InvalidInput(
            "account", _("this account is not reachable from %(name)s") % {"name": channel.name}
        )
    _list_key, _id_key, _label_key, choose = SIBLINGS[channel.network]
    cls = registry.get(channel.network)
    credentials = channel.get_credentials()
    options = {**(channel.options or {}), choose: account}
    try:
        identity = cls.identify(credentials, options)
    except ConnectorError as exc:
        raise InvalidInput("account", exc.message) from exc
    if identity.external_id != account:
        raise InvalidInput("account", _("the network did not give access to this account"))
    try:
        other, _created = save_account(
            channel.workspace, actor, channel.network, identity, credentials, options
        )
    except ConnectError as exc:
        raise InvalidInput("account", exc.message) from exc
    return other
