"""Webhook POSTs that cannot be turned against the server's own network (SSRF).

A rule's webhook URL is typed by a workspace manager, and the worker that sends it sits inside the
deployment's network. So before each connection the host is resolved and EVERY address it resolves
to must be public: loopback, private (RFC 1918, unique-local IPv6), link-local, shared (CGNAT),
reserved, multicast and unspecified addresses are refused, and the cloud metadata endpoints always
are. The connection then goes to the address that was checked (not to a second lookup that a DNS
rebinding could answer differently); TLS still checks the certificate against the host name.
Redirects: only 307/308 (which keep the POST) are followed, at most 3, each one checked the same
way; another 3xx is an error. Timeouts: 5 s to connect, 10 s per read or write, and the answer's
body is never read (only its status), so a slow or huge answer cannot hold the worker.
The same address check runs when a rule is saved (`check_target`), so the user sees the refusal
next to the field; the send-time check is the one that counts.

`CRISIS_WEBHOOK_ALLOW_PRIVATE` (env `TAMTAM_CRISIS_WEBHOOK_ALLOW_PRIVATE=true`) allows loopback and
private targets, for a receiver inside your own network (and the tests' local receiver); the
metadata endpoints stay refused.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urljoin

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from tamtam.lib import env

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_REDIRECTS = 3
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Instance metadata services (AWS, GCP, Azure, OpenStack: 169.254.169.254; AWS IPv6; Alibaba).
METADATA = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}


class Refused(Exception):
    """The target is not allowed (the message says why, without the URL: it may carry a secret)."""


def allow_private() -> bool:
    value = getattr(settings, "CRISIS_WEBHOOK_ALLOW_PRIVATE", None)
    if value is None:
        raw = (env.read("TAMTAM_CRISIS_WEBHOOK_ALLOW_PRIVATE") or "").strip().lower()
        value = raw in {"1", "true", "yes", "on"}
    return bool(value)


def refused_reason(address: IPAddress, private_ok: bool) -> str | None:
    """Why this address may not be a webhook target (None: it may)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA:
        return _("a cloud metadata address")
    if address.is_multicast or address.is_unspecified:
        return _("not a unicast address")
    if address.is_global:
        return None
    if private_ok and (address.is_private or address.is_loopback or address.is_link_local):
        return None
    if address.is_loopback:
        return _("a loopback address")
    if address.is_link_local:
        return _("a link-local address")
    return _("a private or reserved address")


def addresses(host: str, port: int) -> list[IPAddress]:
    """Every address of `host` (an IP literal is its own); httpx.ConnectError when it has none."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpx.ConnectError(f"cannot resolve the host: {exc}") from None
    found = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
    if not found:
        raise httpx.ConnectError("the host has no address")
    return found


def resolve(host: str, port: int) -> IPAddress:
    """The address to connect to: every address of `host` must be allowed; the first one is used."""
    private_ok = allow_private()
    found = addresses(host, port)
    for address in found:
        reason = refused_reason(address, private_ok)
        if reason:
            raise Refused(
                _("the webhook host resolves to %(address)s, %(reason)s: refused")
                % {"address": address, "reason": reason}
            )
    return found[0]


def check_target(url: str) -> str | None:
    """At input time: why this URL may not be a webhook (None: it may). The host is resolved now,
    so a name pointing at an internal address is refused when the rule is saved; it is resolved
    again before every send (the answer may change: DNS rebinding)."""
    target = httpx.URL(url)
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        found = addresses(target.host, port)
    except httpx.ConnectError:
        return _("the host name “%(host)s” cannot be resolved") % {"host": target.host}
    private_ok = allow_private()
    for address in found:
        reason = refused_reason(address, private_ok)
        if reason:
            if str(address) == target.host.strip("[]"):
                return reason
            return _("“%(host)s” resolves to %(address)s, %(reason)s") % {
                "host": target.host,
                "address": address,
                "reason": reason,
            }
    return None


def post_json(url: str, payload: Any, headers: dict[str, str]) -> httpx.Response:
    """POST `payload` as JSON to `url` under the rules above; the answer (body not read).

    Raises Refused (not allowed: permanent), httpx.HTTPError (network: retry) or returns the answer."""
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            target = httpx.URL(url)
            if target.scheme not in ("http", "https") or not target.host:
                raise Refused(_("only http:// and https:// webhook URLs are sent"))
            port = target.port or (443 if target.scheme == "https" else 80)
            address = resolve(target.host, port)
            pinned = target.copy_with(host=str(address))
            host_header = target.host if target.port is None else f"{target.host}:{target.port}"
            request = client.build_request(
                "POST",
                pinned,
                json=payload,
                headers={**headers, "Host": host_header},
                extensions={"sni_hostname": target.host},
            )
            response = client.send(request, stream=True)
            response.close()  # the status is all we need: no body read
            if response.status_code in (307, 308) and "location" in response.headers:
                url = urljoin(str(target), response.headers["location"])
                continue
            return response
    raise Refused(_("more than %(n)s redirects") % {"n": MAX_REDIRECTS})
