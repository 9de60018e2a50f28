"""Settings from the environment or from `_FILE` variables, and every TAMTAM_* variable documented."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tamtam import settings as tamtam_settings
from tamtam.lib import env
from tamtam.networks import oauth

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "tamtam"
CONFIGURATION = ROOT / "docs" / "configuration.md"


def test_a_setting_is_read_from_its_file_without_the_trailing_newline(tmp_path, monkeypatch):
    secret = tmp_path / "key"
    secret.write_text("s3cret-from-a-file\n", encoding="utf-8")
    monkeypatch.delenv("TAMTAM_OPS_PROBE", raising=False)
    monkeypatch.setenv("TAMTAM_OPS_PROBE_FILE", str(secret))
    assert tamtam_settings.env_str("OPS_PROBE") == "s3cret-from-a-file"
    secret.write_text("42\n", encoding="utf-8")
    assert tamtam_settings.env_int("OPS_PROBE", 7) == 42


def test_both_the_variable_and_its_file_is_an_error_naming_both(tmp_path, monkeypatch):
    secret = tmp_path / "key"
    secret.write_text("from-file", encoding="utf-8")
    monkeypatch.setenv("TAMTAM_OPS_PROBE", "from-env")
    monkeypatch.setenv("TAMTAM_OPS_PROBE_FILE", str(secret))
    with pytest.raises(ImproperlyConfigured, match="TAMTAM_OPS_PROBE and TAMTAM_OPS_PROBE_FILE are both set"):
        tamtam_settings.env_str("OPS_PROBE")


def test_an_unreadable_or_empty_file_is_an_error_naming_the_variable_and_the_reason(tmp_path, monkeypatch):
    monkeypatch.delenv("TAMTAM_OPS_PROBE", raising=False)
    monkeypatch.setenv("TAMTAM_OPS_PROBE_FILE", str(tmp_path / "missing"))
    unreadable = r"TAMTAM_OPS_PROBE_FILE: cannot read .*missing: No such file"
    with pytest.raises(ImproperlyConfigured, match=unreadable):
        tamtam_settings.env_str("OPS_PROBE")
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    monkeypatch.setenv("TAMTAM_OPS_PROBE_FILE", str(empty))
    with pytest.raises(ImproperlyConfigured, match="is empty"):
        tamtam_settings.env_str("OPS_PROBE")
    if os.geteuid() != 0:  # root reads any file
        locked = tmp_path / "locked"
        locked.write_text("x", encoding="utf-8")
        locked.chmod(0)
        monkeypatch.setenv("TAMTAM_OPS_PROBE_FILE", str(locked))
        with pytest.raises(ImproperlyConfigured, match="Permission denied"):
            tamtam_settings.env_str("OPS_PROBE")


def test_network_client_secrets_follow_the_same_rules(tmp_path, monkeypatch):
    secret = tmp_path / "client-secret"
    secret.write_text("cs-from-file\n", encoding="utf-8")
    monkeypatch.setenv("TAMTAM_OPSNET_CLIENT_ID", "cid")
    monkeypatch.setenv("TAMTAM_OPSNET_CLIENT_SECRET_FILE", str(secret))
    assert oauth.client_credentials("opsnet") == ("cid", "cs-from-file")
    monkeypatch.setenv("TAMTAM_OPSNET_CLIENT_SECRET", "also-set")
    with pytest.raises(ImproperlyConfigured, match="both set"):
        oauth.client_credentials("opsnet")


def _start(tmp_path: Path, extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TAMTAM_")}
    environ.update({"TAMTAM_DATA_DIR": str(tmp_path / "data"), "DJANGO_SETTINGS_MODULE": "tamtam.settings"})
    environ.update(extra)
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECRET_KEY == open(settings.DATA_DIR / 'expected').read().strip())"
    )
    command = [sys.executable, "-c", code]
    return subprocess.run(command, env=environ, capture_output=True, text=True, check=False)


def test_tamtam_starts_with_its_secret_key_from_a_file_and_refuses_both(tmp_path):
    key = tmp_path / "secret_key"
    key.write_text("k" * 60 + "\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "expected").write_text("k" * 60, encoding="utf-8")
    started = _start(tmp_path, {"TAMTAM_SECRET_KEY_FILE": str(key)})
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "True"
    # No key generated into the data dir: the file's was used.
    assert not (tmp_path / "data" / "secret_key").exists()
    refused = _start(tmp_path, {"TAMTAM_SECRET_KEY_FILE": str(key), "TAMTAM_SECRET_KEY": "other"})
    assert refused.returncode != 0
    assert "TAMTAM_SECRET_KEY and TAMTAM_SECRET_KEY_FILE are both set" in refused.stderr


def test_env_read_returns_none_when_unset(monkeypatch):
    monkeypatch.delenv("TAMTAM_OPS_PROBE", raising=False)
    monkeypatch.delenv("TAMTAM_OPS_PROBE_FILE", raising=False)
    assert env.read("TAMTAM_OPS_PROBE") is None


# env_str("NAME", …), env_int("NAME", …) … and literal TAMTAM_NAME strings anywhere in the code.
_HELPER = re.compile(r"\benv_(?:str|int|bool|list|choice)\(\s*\"([A-Z0-9_]+)\"")
_LITERAL = re.compile(r"\bTAMTAM_([A-Z][A-Z0-9_]*[A-Z0-9])\b")
# Read by tests and tools only, or the _FILE twin of a documented variable.
_NOT_SETTINGS = {"TEST_DATABASE_NAME"}


def variables_read_in_src() -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        found.update(_HELPER.findall(text))
        found.update(_LITERAL.findall(text))
    return {name.removesuffix("_FILE") for name in found} - _NOT_SETTINGS


def test_the_scan_finds_the_variables_it_should():
    names = variables_read_in_src()
    assert {"SECRET_KEY", "DATABASE_URL", "LOG_FORMAT", "METRICS_TOKEN", "CLICK_FLUSH_MS"} <= names


def test_every_tamtam_variable_read_in_src_is_documented():
    documented = set(re.findall(r"`TAMTAM_([A-Z0-9_]+)`", CONFIGURATION.read_text(encoding="utf-8")))
    missing = sorted(variables_read_in_src() - documented)
    assert not missing, f"add to docs/configuration.md: {', '.join('TAMTAM_' + m for m in missing)}"
