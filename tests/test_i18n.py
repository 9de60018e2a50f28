"""The French catalogue is complete and Django serves it."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

import tamtam

PACKAGE = Path(tamtam.__file__).resolve().parent
PO = PACKAGE / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# The main catalogue, plus one per app that keeps its own (src/tamtam/<app>/locale/fr/...).
CATALOGUES = sorted(PACKAGE.glob("**/locale/fr/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}")


def _entries(po: Path = PO) -> list[dict[str, str]]:
    """Each entry's fields (msgid, msgid_plural, msgstr, msgstr[0]…) with continuation lines joined."""
    entries = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        flags = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += line
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                assert key is not None, block
                fields[key] += ast.literal_eval(line)
            else:
                key, _, value = line.partition(" ")
                fields[key] = ast.literal_eval(value)
        if "msgid" in fields:
            fields["flags"] = flags
            entries.append(fields)
    return entries


def test_main_catalogue_is_large() -> None:
    assert len([e for e in _entries() if e["msgid"]]) > 500


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_catalogue_is_complete(po: Path) -> None:
    entries = [e for e in _entries(po) if e["msgid"]]  # the header has an empty msgid
    assert po.with_suffix(".mo").stat().st_mtime >= po.stat().st_mtime - 1, "compile the catalogue (.mo)"
    for entry in entries:
        assert "fuzzy" not in entry["flags"], entry["msgid"]
        translations = [v for k, v in entry.items() if k.startswith("msgstr")]
        assert translations, entry["msgid"]
        assert all(translations), f"untranslated: {entry['msgid']!r}"
        source = entry.get("msgid_plural", entry["msgid"])
        last = entry.get("msgstr[1]", entry.get("msgstr", ""))
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(last)), entry["msgid"]


@pytest.mark.parametrize(
    ("english", "french"),
    [
        ("Log in", "Se connecter"),
        ("Draft", "Brouillon"),
        ("Scheduled", "Programmé"),
        ("Published", "Publié"),
        ("In review", "En validation"),
        ("Calendar", "Calendrier"),
        ("Workspace", "Espace de travail"),
    ],
)
def test_key_strings_are_french(english: str, french: str) -> None:
    with translation.override("fr"):
        assert translation.gettext(english) == french
    with translation.override("en"):
        assert translation.gettext(english) == english


def test_login_page_in_french(db, client) -> None:
    page = client.get("/accounts/login/", headers={"accept-language": "fr"}).content.decode()
    assert "Se connecter à tamtam" in page


def _msgids(po: Path) -> set[str]:
    return {e["msgid"] for e in _entries(po) if e["msgid"]}


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="xgettext (Debian's gettext) is not installed")
def test_every_translatable_string_is_in_a_catalogue(tmp_path: Path) -> None:
    # Extract from a copy, as `make messages` would, so a string added without a translation is caught
    # here rather than shown in English to French users.
    copy = tmp_path / "tamtam"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "fr",
            "--no-location",
            "--ignore",
            "migrations/*",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tamtam.settings"},
    )
    for extracted in sorted(copy.glob("**/locale/fr/LC_MESSAGES/django.po")):
        shipped = PACKAGE / extracted.relative_to(copy)
        missing = _msgids(extracted) - (_msgids(shipped) if shipped.exists() else set())
        assert not missing, (
            f"{shipped.relative_to(PACKAGE)}: not extracted yet (make messages): {sorted(missing)[:10]}"
        )
