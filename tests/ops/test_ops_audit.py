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


# --- the fallback: PyPI's project pages (scripts/audit_latest.py) -------------------------------------

sys.path.insert(0, str(SCRIPT.parent))
import audit_latest  # noqa: E402  (a script beside audit.py, as audit.py imports it)


def _page(latest: str, vulns: list[dict] | None = None) -> dict:
    # The shape of PyPI's project JSON (/pypi/<name>/json): info of the latest release, and the
    # known vulnerabilities of that release.
    return {
        "info": {"name": "x", "version": latest},
        "releases": {},
        "urls": [],
        "vulnerabilities": vulns or [],
        "last_serial": 1,
    }


def test_only_the_packages_at_their_latest_release_are_audited_by_the_project_pages():
    advisory = {
        "id": "PYSEC-2026-7",
        "aliases": ["CVE-2026-7"],
        "fixed_in": ["2.1"],
        "withdrawn": None,
        "summary": "x",
    }
    withdrawn = {**advisory, "id": "PYSEC-2026-8", "withdrawn": "2026-11-01T00:00:00Z"}
    installed = [
        ("Clean", "1.0"),
        ("Vuln_Pkg", "2.0"),
        ("Old", "0.9"),
        ("Dateish", "2.9.0.post0"),
        ("Local", "1"),
    ]
    pages = {
        "clean": _page("1.0", [withdrawn]),  # a withdrawn advisory is not a finding
        "vuln-pkg": _page("2.0", [advisory]),
        "old": _page("1.4"),
        "dateish": _page("2.9.0-post0"),  # the same version, spelled otherwise
        "local": "HTTP 404",
    }
    outcome = audit_latest.classify(installed, pages)
    assert [p.name for p in outcome.clean] == ["Clean", "Dateish"]
    assert [(p.name, [v["id"] for v in p.vulns]) for p in outcome.vulnerable] == [
        ("Vuln_Pkg", ["PYSEC-2026-7"])
    ]
    assert [(p.name, p.latest) for p in outcome.older] == [("Old", "1.4")]
    assert [(p.name, p.error) for p in outcome.unknown] == [("Local", "HTTP 404")]
    text = "\n".join(audit_latest.report(outcome))
    assert "2 at their latest release, no known vulnerability." in text
    assert "VULNERABLE Vuln_Pkg 2.0: PYSEC-2026-7 (CVE-2026-7) fixed in: 2.1" in text
    assert "Old 0.9 (latest 1.4)" in text
    assert "Local 1: HTTP 404" in text


def test_the_fallback_fetches_every_installed_package_once():
    asked = []

    def fetch(name, timeout):
        asked.append(name)
        return _page("1.0")

    outcome = audit_latest.check([("a", "1.0"), ("b", "0.5")], fetch=fetch)
    assert sorted(asked) == ["a", "b"]
    assert ([p.name for p in outcome.clean], [p.name for p in outcome.older]) == (["a"], ["b"])
    # This virtualenv's own packages, tamtam itself left out (it is not on PyPI).
    names = {name.lower() for name, _version in audit_latest.installed_packages(skip=["tamtam"])}
    assert "django" in names
    assert "tamtam" not in names
