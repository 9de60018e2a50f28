"""Which networks exist: key → connector class. Each network folder registers itself on import."""

from __future__ import annotations

from importlib import import_module

from tamtam.networks.base import Connector

_CONNECTORS: dict[str, type[Connector]] = {}

# Network packages imported on first use; each calls `register` for its connector class.
NETWORK_MODULES = ["tamtam.networks.sandbox.connector"]


def register(cls: type[Connector]) -> type[Connector]:
    _CONNECTORS[cls.network] = cls
    return cls


def _load() -> None:
    if not _CONNECTORS:
        for module in NETWORK_MODULES:
            import_module(module)


def get(network: str) -> type[Connector]:
    _load()
    try:
        return _CONNECTORS[network]
    except KeyError:
        raise KeyError(f"unknown network {network!r}") from None


def all_networks() -> dict[str, type[Connector]]:
    _load()
    return dict(_CONNECTORS)
