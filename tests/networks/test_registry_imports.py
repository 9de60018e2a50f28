"""Every network module the registry lists imports on its own, in a fresh interpreter (no test has
imported it before, no Django set up, no TAMTAM_* variable), and registers its connector: a network
folder must never need settings or a configured client at import time."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tamtam.networks.registry import NETWORK_MODULES

CHECK = """
import importlib
from tamtam.networks import registry
from tamtam.networks.base import Connector
importlib.import_module({module!r})
network = {module!r}.split(".")[2]
assert issubclass(registry._CONNECTORS[network], Connector), registry._CONNECTORS
print("registered", network)
"""


@pytest.mark.parametrize("module", NETWORK_MODULES)
def test_each_registered_network_module_imports_cleanly(module: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAMTAM_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", CHECK.format(module=module)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == f"registered {module.split('.')[2]}"


REGISTRY_AFTER_ONE_IMPORT = """
from tamtam.networks.tiktok.connector import TikTokConnector  # registers TikTok alone
from tamtam.networks import registry
assert registry.get("bluesky").network == "bluesky"
print(len(registry.all_networks()))
"""


def test_a_network_imported_first_does_not_hide_the_others() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAMTAM_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", REGISTRY_AFTER_ONE_IMPORT],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip()) == len(NETWORK_MODULES)
