"""`make audit` (scripts/audit.py): a result that audited nothing is never reported clean."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tamtam_audit_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


audit = _module()


def _deps(audited: int, skipped: int, vulns: int = 0) -> tuple[list[dict], list[dict]]:
    # The shapes of pip-audit's `--format json` dependencies.
    ok = [{"name": f"pkg{i}", "version": "1.0", "vulns": []} for i in range(audited)]
    for dep in ok[:vulns]:
        dep["vulns"] = [{"id": "PYSEC-2026-1", "fix_versions": ["1.1"], "aliases": ["CVE-2026-1"]}]
    skip = [{"name": f"skip{i}", "skip_reason": "Dependency not found on PyPI"} for i in range(skipped)]
    return ok, skip


@pytest.mark.parametrize(
    ("audited", "skipped", "reached"),
    [(150, 0, True), (150, 8, True), (0, 158, False), (100, 58, False), (0, 0, False)],
)
def test_a_database_that_answered_for_too_few_packages_was_not_reached(audited, skipped, reached):
    ok, skip = _deps(audited, skipped)
    assert audit.Result("pypi", ok, skip).reached is reached


def test_an_error_is_not_reached_and_vulnerabilities_are_listed():
    assert not audit.Result("osv", error="NameResolutionError").reached
    ok, skip = _deps(20, 0, vulns=2)
    result = audit.Result("pypi", ok, skip)
    assert result.reached
    assert [d["name"] for d in result.vulnerable] == ["pkg0", "pkg1"]


def test_the_last_line_of_a_traceback_is_the_reason():
    text = (
        "Traceback (most recent call last):\n  File x\nrequests.ConnectionError: cannot resolve api.osv.dev\n"
    )
    assert audit._last_line(text) == "requests.ConnectionError: cannot resolve api.osv.dev"
    assert audit._last_line("") == "pip-audit failed without a message"
