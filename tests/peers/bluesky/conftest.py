"""Fixtures for the Bluesky peer tests: the stack once per session (bsky_stack.py), two accounts, and
the connector of the account tamtam manages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bsky_stack import Account, Stack, start_stack

from tamtam.networks.bluesky.connector import BlueskyConnector


@pytest.fixture(scope="session")
def bluesky_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with start_stack(tmp_path_factory.mktemp("bluesky-stack")) as stack:
        yield stack


@pytest.fixture(scope="session")
def brand(bluesky_stack: Stack) -> Account:
    """The account tamtam manages."""
    return bluesky_stack.create_account("brand")


@pytest.fixture(scope="session")
def fan(bluesky_stack: Stack) -> Account:
    """Another person on the network, who replies, mentions and likes."""
    return bluesky_stack.create_account("fan")


@pytest.fixture(scope="session")
def bsky(bluesky_stack: Stack, brand: Account) -> BlueskyConnector:
    return bluesky_stack.connector(brand)
