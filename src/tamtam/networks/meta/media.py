"""Public addresses of our media, for the networks that fetch media themselves (Instagram images,
Threads, TikTok PULL_FROM_URL) instead of accepting an upload.

Uploaded media are served at `TAMTAM_BASE_URL` + `MEDIA_URL` (tamtam.urls); the network must be able
to reach that address, so a loopback or private host is refused with a message saying what to set.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.conf import settings

from tamtam.networks.base import MediaItem, Permanent


def _private(host: str) -> bool:
    if host in ("localhost", "") or host.endswith((".local", ".localhost", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def public_media_url(item: MediaItem, network_label: str) -> str:
    """The address at which the network can download `item`."""
    path = Path(item.path)
    if item.path.startswith(("http://", "https://")):
        return item.path
    base = str(getattr(settings, "BASE_URL", "")).rstrip("/")
    host = urlsplit(base).hostname or ""
    if not base or _private(host):
        raise Permanent(
            f"{network_label} downloads media from a public address, and TAMTAM_BASE_URL ({base or 'unset'}) "
            "is not reachable from the internet: set it to tamtam's public address"
        )
    root = Path(settings.MEDIA_ROOT).resolve()
    try:
        relative = path.resolve().relative_to(root)
    except ValueError as exc:
        raise Permanent(f"{network_label}: the file {path.name} is not in tamtam's media folder") from exc
    return f"{base}{settings.MEDIA_URL.rstrip('/')}/{quote(relative.as_posix())}"
