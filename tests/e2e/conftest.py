"""Browser tests: everything under tests/e2e is marked `e2e` (the fixtures: tests/browser_fixtures.py)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
