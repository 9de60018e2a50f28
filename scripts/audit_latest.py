"""`make audit`'s fallback when no vulnerability database answers: PyPI's project pages.

PyPI's project JSON (`/pypi/<name>/json`, which package mirrors usually serve when they do not serve
the per-version pages pip-audit asks for) describes a project's *latest* release, with the known
vulnerabilities of that release (PyPI's own advisory feed, the one pip-audit's "pypi" service
reads). So it audits exactly the installed packages that are at their latest release; any other
package is listed as not audited, with its latest version: nothing is claimed about it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

PROJECT_URL = "https://pypi.org/pypi/{name}/json"


@dataclass
class Package:
    name: str
    version: str
    latest: str = ""
    vulns: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""


@dataclass
class Outcome:
    clean: list[Package] = field(default_factory=list)  # at the latest release, no known vulnerability
    vulnerable: list[Package] = field(default_factory=list)  # at the latest release, with some
    older: list[Package] = field(default_factory=list)  # not the latest release: not audited
    unknown: list[Package] = field(default_factory=list)  # no page (a local or private package)


def _same(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def classify(installed: Iterable[tuple[str, str]], pages: dict[str, dict[str, Any] | str]) -> Outcome:
    """`pages`: canonical name → the project JSON, or the reason it could not be read."""
    outcome = Outcome()
    for name, version in sorted(installed, key=lambda nv: canonicalize_name(nv[0])):
        package = Package(name, version)
        page = pages.get(canonicalize_name(name), "not looked up")
        if isinstance(page, str):
            package.error = page
            outcome.unknown.append(package)
            continue
        package.latest = str(page.get("info", {}).get("version") or "")
        if not _same(version, package.latest):
            outcome.older.append(package)
            continue
        package.vulns = [v for v in page.get("vulnerabilities") or [] if not v.get("withdrawn")]
        (outcome.vulnerable if package.vulns else outcome.clean).append(package)
    return outcome


def installed_packages(skip: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(name, version) of this interpreter's installed distributions, without the ones named."""
    skipped = {canonicalize_name(s) for s in skip}
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and canonicalize_name(name) not in skipped:
            found[canonicalize_name(name)] = (name, dist.version)
    return sorted(found.values())


def fetch_page(name: str, timeout: float) -> dict[str, Any] | str:
    url = PROJECT_URL.format(name=canonicalize_name(name))
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 (a fixed https URL)
            return json.load(answer)  # type: ignore[no-any-return]
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"[:200]


def check(
    installed: list[tuple[str, str]],
    fetch: Callable[[str, float], dict[str, Any] | str] = fetch_page,
    timeout: float = 15,
) -> Outcome:
    with ThreadPoolExecutor(max_workers=16) as pool:
        pages = dict(
            zip(
                (canonicalize_name(n) for n, _v in installed),
                pool.map(lambda nv: fetch(nv[0], timeout), installed),
                strict=True,
            )
        )
    return classify(installed, pages)


def report(outcome: Outcome) -> list[str]:
    total = len(outcome.clean) + len(outcome.vulnerable) + len(outcome.older) + len(outcome.unknown)
    lines = [
        f"Fallback, PyPI's project pages (the known vulnerabilities of each project's latest release), "
        f"{total} packages:",
        f"  {len(outcome.clean)} at their latest release, no known vulnerability.",
    ]
    for package in outcome.vulnerable:
        for vuln in package.vulns:
            fixes = ", ".join(vuln.get("fixed_in") or []) or "no fix released"
            aliases = ", ".join(vuln.get("aliases") or [])
            what = f"{vuln.get('id')} ({aliases}) fixed in: {fixes}"
            lines.append(f"  VULNERABLE {package.name} {package.version}: {what}")
    if outcome.older:
        lines.append(f"  {len(outcome.older)} not at their latest release, NOT audited:")
        lines += [f"    {p.name} {p.version} (latest {p.latest})" for p in outcome.older]
    if outcome.unknown:
        lines.append(f"  {len(outcome.unknown)} without a page, NOT audited:")
        lines += [f"    {p.name} {p.version}: {p.error}" for p in outcome.unknown]
    return lines
