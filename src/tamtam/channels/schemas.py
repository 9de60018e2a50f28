"""API schemas of channels. Credentials and the network's raw options never appear here."""

from __future__ import annotations

from ninja import Schema


class ChannelOut(Schema):
    id: int
    network: str
    # What the channel publishes as: the network itself, or for the sandbox the network it poses as.
    flavor: str
    name: str
    handle: str
    status: str
    status_message: str
    daily_cap: int | None
    color: str
