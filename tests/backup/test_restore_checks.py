"""What a restore refuses, before it touches anything: another engine, a newer schema, a damaged or
foreign archive, PostgreSQL tools that are missing or too old."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from tamtam.dataops import pgtools
from tamtam.dataops.archive import BackupError, Manifest, engine, extract_verified, key_fingerprint
from tamtam.dataops.restore import known_migrations, plan


def archive(tmp: Path, *, members: dict[str, bytes], manifest: dict | None = None, **changes) -> Path:
    """A tar as `tamtam backup` writes it, with the manifest's fields overridden by `changes`."""
    applied: dict[str, list[str]] = {}
    for app, name in known_migrations():
        applied.setdefault(app, []).append(name)
    base = Manifest(engine=engine(), migrations=applied, key_fingerprint=key_fingerprint())
    base.files = {m: {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b)} for m, b in members.items()}
    data = {**base.__dict__, **changes} if manifest is None else manifest
    path = tmp / "b.tar"
    with tarfile.open(path, "w") as tar:
        for name, content in [*members.items(), ("manifest.json", json.dumps(data).encode())]:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


DB = {"database/tamtam.sqlite3": b"SQLite format 3\x00", "database/tamtam.pgdump": b"PGDMP"}


def members() -> dict[str, bytes]:
    member = "database/tamtam.sqlite3" if engine() == "sqlite" else "database/tamtam.pgdump"
    return {member: DB[member], "media/media/2026/01/a.png": b"png"}


def test_a_sound_archive_passes_the_checks(tmp_path, db):
    the_plan = plan(archive(tmp_path, members=members()))
    assert the_plan.pending == []
    assert the_plan.key_matches


def test_another_engine_is_refused(tmp_path, db):
    other = "postgresql" if engine() == "sqlite" else "sqlite"
    with pytest.raises(BackupError, match=f"holds a {other} database and this instance uses {engine()}"):
        plan(archive(tmp_path, members=members(), engine=other))


def test_a_newer_schema_is_refused(tmp_path, db):
    applied = {"accounts": ["0001_initial", "0002_agency_branding", "0099_from_the_future"]}
    path = archive(tmp_path, members=members(), migrations=applied, tamtam_version="9.0.0")
    with pytest.raises(BackupError, match=r"newer tamtam \(9.0.0\).*accounts.0099_from_the_future"):
        plan(path)


def test_an_older_schema_is_planned_for_migration(tmp_path, db):
    applied = {"accounts": ["0001_initial"]}
    the_plan = plan(archive(tmp_path, members=members(), migrations=applied))
    assert ("accounts", "0002_agency_branding") in the_plan.pending


def test_a_foreign_key_is_reported(tmp_path, db):
    assert not plan(archive(tmp_path, members=members(), key_fingerprint="0" * 16)).key_matches


def test_a_tar_without_manifest_or_a_future_format_is_refused(tmp_path, db):
    path = tmp_path / "plain.tar"
    with tarfile.open(path, "w") as tar:
        tar.add(__file__, arcname="something.py")
    with pytest.raises(BackupError, match="no manifest"):
        plan(path)
    with pytest.raises(BackupError, match="unknown backup format 7"):
        plan(archive(tmp_path, members=members(), format=7))
    (tmp_path / "junk.tar").write_bytes(b"not a tar at all")
    with pytest.raises(BackupError, match="not a readable archive"):
        plan(tmp_path / "junk.tar")


def test_a_damaged_member_or_a_missing_one_is_refused(tmp_path):
    content = members()
    path = archive(tmp_path, members=content)
    with tarfile.open(path) as tar:
        manifest = Manifest.from_json(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    manifest.files["media/media/2026/01/a.png"]["sha256"] = "0" * 64
    with pytest.raises(BackupError, match=r"a\.png does not match its checksum"):
        list(extract_verified(path, manifest, tmp_path / "out1"))
    manifest.files["media/missing.png"] = {"sha256": "0" * 64, "size": 1}
    manifest.files["media/media/2026/01/a.png"]["sha256"] = hashlib.sha256(b"png").hexdigest()
    with pytest.raises(BackupError, match="lacks 1 file"):
        list(extract_verified(path, manifest, tmp_path / "out2"))
    del manifest.files["media/media/2026/01/a.png"]
    with pytest.raises(BackupError, match="which its manifest does not list"):
        list(extract_verified(path, manifest, tmp_path / "out3"))


def test_missing_postgresql_tools_are_named_with_what_to_install(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(BackupError, match=r"pg_dump not found on PATH.*postgresql-client"):
        pgtools.tool("pg_dump")


@pytest.mark.skipif(not shutil.which("pg_dump"), reason="the PostgreSQL client tools are not installed")
def test_tools_older_than_the_server_or_the_dump_are_refused():
    major, _minor = pgtools.tool_version("pg_dump")
    assert pgtools.check_dump_tool(f"{major}.3") == pgtools.tool_version("pg_dump")
    with pytest.raises(BackupError, match=f"older than the PostgreSQL server {major + 1}.1"):
        pgtools.check_dump_tool(f"{major + 1}.1")
    with pytest.raises(BackupError, match=f"written by pg_dump {major + 2}.0"):
        pgtools.check_restore_tool(f"{major + 2}.0")
