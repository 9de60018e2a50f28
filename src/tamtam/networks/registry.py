"""Which networks exist: key → connector class. Each network folder registers itself on import."""

from __future__ import annotations

from importlib import import_module

from tamtam.networks.base import Connector

_CONNECTORS: dict[str, type[Connector]] = {}

# Network packages imported on first use; each calls `register` for its connector class.
NETWORK_MODULES = [
    "tamtam.networks.sandbox.connector",
    "tamtam.networks.mastodon.connector",
    "tamtam.networks.matrix.connector",
    "tamtam.networks.bluesky.connector",
    "tamtam.networks.x.connector",
    "tamtam.networks.telegram.connector",
    "tamtam.networks.discord.connector",
    "tamtam.networks.reddit.connector",
    "tamtam.networks.pinterest.connector",
    "tamtam.networks.youtube.connector",
    "tamtam.networks.facebook.connector",
    "tamtam.networks.instagram.connector",
    "tamtam.networks.threads.connector",
    "tamtam.networks.linkedin.connector",
    "tamtam.networks.tiktok.connector",
]


def register(cls: type[Connector]) -> type[Connector]:
    _CONNECTORS[cls.network] = cls
    return cls


_loaded = False


def _load() -> None:
    # A flag, not "is the dict empty": importing one network's module directly (a worker, a test)
    # registers that network alone, and the others must still be loaded on first lookup.
    global _loaded
    if not _loaded:
        for module in NETWORK_MODULES:
            import_module(module)
        _loaded = True


def get(network: str) -> type[Connector]:
    _load()
    try:
        return _CONNECTORS[network]
    except KeyError:
        raise KeyError(f"unknown network {network!r}") from None


def all_networks() -> dict[str, type[Connector]]:
    _load()
    return dict(_CONNECTORS)
