"""The French catalogue is complete and Django serves it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

import tamtam

PO = Path(tamtam.__file__).resolve().parent / "locale" / "fr" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}")


def _entries() -> list[dict[str, str]]:
    """Each entry's fields (msgid, msgid_plural, msgstr, msgstr[0]…) with continuation lines joined."""
    entries = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
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


def test_catalogue_is_complete() -> None:
    entries = [e for e in _entries() if e["msgid"]]  # the header has an empty msgid
    assert len(entries) > 500
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
