"""Durable work kinds of the listening app (registered with tamtam.work.registry on import).

`listening_source`: due sources (network search, RSS/Atom feeds, the sandbox stream) → claimed →
fetched after their cursor → pipeline → cursor moved (see listening/sources.py; the Bluesky
firehose in listening/network_sources.py, imported here so that every worker has its fetcher).
"""

from __future__ import annotations

# network_sources registers its fetcher (the Bluesky firehose) in sources.FETCHERS on import.
from tamtam.listening import network_sources, sources  # noqa: F401
from tamtam.work.registry import WorkKind, register

LISTENING_SOURCE = register(
    WorkKind(
        name="listening_source",
        claim=sources.claim_due,
        process=sources.run_source,
        release=sources.release_claims,
        sweep=sources.sweep_expired,
        priority=60,  # after publishing (on time matters more), before bookkeeping
    )
)
