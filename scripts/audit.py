"""`make audit`: pip-audit over the installed virtualenv, and a clear answer when it could not ask.

pip-audit reports "No known vulnerabilities found" even when it could not look a single package up
(the PyPI JSON API answers 404 through a mirror, OSV is unreachable): each package is then only
"skipped". A clean result that audited nothing is not clean, so this wrapper reads pip-audit's JSON,
tries the next vulnerability service when the first one could not be reached, and exits:

- 0: every installed package was audited, no known vulnerability;
- 1: known vulnerabilities (each printed with its fix versions);
- 2: the vulnerability databases could not be reached (or too few packages could be looked up),
  and the fallback (PyPI's project pages, scripts/audit_latest.py) could not audit every package.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

VENV_BIN = Path(sys.executable).parent
SERVICES = ("pypi", "osv")
# Packages pip-audit cannot look up for good reasons (local or private); beyond this share of
# skipped packages, the database was not really reachable.
MAX_SKIPPED_SHARE = 0.2


@dataclass
class Result:
    service: str
    audited: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    @property
    def vulnerable(self) -> list[dict[str, Any]]:
        return [d for d in self.audited if d.get("vulns")]

    @property
    def reached(self) -> bool:
        total = len(self.audited) + len(self.skipped)
        return not self.error and total > 0 and len(self.skipped) <= MAX_SKIPPED_SHARE * total


def run(service: str, timeout: int) -> Result:
    command = [
        str(VENV_BIN / "pip-audit"),
        "--local",
        "--skip-editable",  # tamtam itself, installed from this checkout
        "--progress-spinner",
        "off",
        "--format",
        "json",
        "--vulnerability-service",
        service,
        "--timeout",
        str(timeout),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report = json.loads(done.stdout or "{}")
    except ValueError:
        return Result(service, error=_last_line(done.stderr or done.stdout))
    result = Result(service)
    for dep in report.get("dependencies", []):
        (result.skipped if dep.get("skip_reason") else result.audited).append(dep)
    if not report and done.returncode:
        result.error = _last_line(done.stderr)
    return result


def _last_line(text: str) -> str:
    """The exception's own line, not its traceback."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:400] if lines else "pip-audit failed without a message"


def main() -> int:
    today = datetime.now(UTC).date().isoformat()
    tried: list[Result] = []
    for service in SERVICES:
        result = run(service, timeout=15)
        tried.append(result)
        if result.reached:
            break
    else:
        print(f"make audit ({today}): the vulnerability database could not be reached; nothing was audited.")
        for result in tried:
            why = result.error or (
                f"{len(result.skipped)} of {len(result.skipped) + len(result.audited)} packages could not be "
                f"looked up (first: {result.skipped[0]['skip_reason'] if result.skipped else 'none'})"
            )
            print(f"  {result.service}: {why}")
        return fallback()
    print(
        f"make audit ({today}, {result.service}): {len(result.audited)} packages audited, "
        f"{len(result.skipped)} skipped."
    )
    for dep in result.skipped:
        print(f"  skipped {dep['name']}: {dep['skip_reason']}")
    if not result.vulnerable:
        print("No known vulnerabilities.")
        return 0
    for dep in result.vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix released"
            aliases = ", ".join(vuln.get("aliases") or [])
            print(f"  {dep['name']} {dep['version']}: {vuln['id']} ({aliases}) fixed in: {fixes}")
    print("Document each finding in docs/security.md (Dependency audit) or upgrade the package.")
    return 1


def fallback() -> int:
    """PyPI's project pages audit the packages at their latest release (scripts/audit_latest.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import audit_latest

    outcome = audit_latest.check(audit_latest.installed_packages(skip=["tamtam"]))
    for line in audit_latest.report(outcome):
        print(line)
    if outcome.vulnerable:
        print("Upgrade each vulnerable package or document it in docs/security.md (Dependency audit).")
        return 1
    if outcome.older or outcome.unknown:
        print("Run `make audit` again where pypi.org (per-version JSON API) or api.osv.dev is reachable.")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
