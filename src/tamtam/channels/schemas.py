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


class ConnectFieldOut(Schema):
    name: str
    label: str
    kind: str
    required: bool
    secret: bool
    help_text: str


class NetworkOut(Schema):
    network: str
    label: str
    # "oauth" and "instance" connect in a browser (the network's sign-in page); "form" through the API too.
    method: str
    configured: bool
    missing: str
    fields: list[ConnectFieldOut]


class ConnectIn(Schema):
    """The network's connect form fields (see GET …/networks), e.g. {"bot_token": "…", "chat": "@news"}."""

    values: dict[str, str]
