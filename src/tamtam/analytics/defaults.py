"""Link tracking is on by default when tamtam has a public address.

A professional expects every link of a campaign to be measured without having to remember a switch,
but a short link that points to an address nobody can reach (a laptop's 127.0.0.1, a private network)
would break every link published. So a workspace that never chose has tracking on exactly when
`TAMTAM_BASE_URL` is public; turned off or on (Analytics → Links), its choice is kept.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings

LOCAL_SUFFIXES = (".local", ".localhost", ".internal", ".lan", ".home.arpa", ".test", ".example", ".invalid")


def public_base_url(base_url: str | None = None) -> bool:
    """Whether people on the internet can follow a link to `base_url` (TAMTAM_BASE_URL)."""
    host = (urlsplit(base_url if base_url is not None else settings.BASE_URL).hostname or "").lower()
    if not host or host == "localhost" or ("." not in host and ":" not in host):
        return False  # no host, or a bare machine name of the local network
    if host.endswith(LOCAL_SUFFIXES):
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return True  # a domain name that is not a local one


def tracking_default() -> bool:
    return public_base_url()
