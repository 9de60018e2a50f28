"""`tamtam backup`: the database and the media directory in one consistent archive, in either mode.

Consistency: the database is copied first, as one snapshot (SQLite's online backup API copies every
page under one read transaction, so workers keep writing through WAL meanwhile; PostgreSQL exports a
repeatable-read snapshot and `pg_dump --snapshot` dumps exactly it). Media files are written once under
fresh names and never edited in place, so copying the directory afterwards captures every file the
snapshot refers to; a file deleted in between is listed in the manifest's `missing_media`.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _

from tamtam.dataops import pgtools
from tamtam.dataops.archive import (
    MEDIA_PREFIX,
    SANDBOX_MEMBER,
    ArchiveWriter,
    BackupError,
    Manifest,
    engine,
    key_fingerprint,
)

Progress = Callable[[str], None]


def default_name(at: datetime | None = None) -> str:
    at = at or datetime.now(UTC)
    return f"tamtam-backup-{at:%Y%m%dT%H%M%SZ}.tar"


def file_columns() -> list[tuple[str, str]]:
    """(table, column) of every FileField: the media the database refers to."""
    found = []
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField):
                found.append((model._meta.db_table, str(f.column)))
    return found


def _inspect(cursor: Any, tables: set[str]) -> tuple[dict[str, list[str]], dict[str, int], set[str]]:
    """Applied migrations, row count per table and referenced media names, read from the snapshot
    itself so that they describe exactly what the archive holds."""
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        for app, name in cursor.fetchall():
            migrations.setdefault(app, []).append(name)
    counts = {}
    for table in sorted(tables):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 — names come from the catalogue
        counts[table] = int(cursor.fetchone()[0])
    referenced: set[str] = set()
    for table, column in file_columns():
        if table in tables:
            cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" <> \'\'')  # noqa: S608
            referenced.update(str(row[0]) for row in cursor.fetchall())
    return migrations, counts, referenced


def sqlite_copy(source: Path, dest: Path) -> sqlite3.Connection:
    """A consistent copy of a live SQLite database through the online backup API, as one file."""
    src = sqlite3.connect(str(source), timeout=60)
    try:
        dst = sqlite3.connect(str(dest))
        # One step (pages=-1): the whole copy happens under a single read transaction, so it is one
        # point in time even while other processes commit; in WAL mode they are not blocked.
        src.backup(dst)
    finally:
        src.close()
    dst.execute("PRAGMA journal_mode=DELETE")  # self-contained: no -wal file to carry along
    check = dst.execute("PRAGMA quick_check").fetchone()[0]
    if check != "ok":
        dst.close()
        raise BackupError(_("the database copy failed its integrity check: %(reason)s") % {"reason": check})
    return dst


def _sqlite_snapshot(manifest: Manifest, dest: Path) -> set[str]:
    path = Path(settings.DATABASES["default"]["NAME"])
    if not path.exists():
        raise BackupError(_("the database file %(path)s does not exist") % {"path": path})
    dst = sqlite_copy(path, dest)
    try:
        cur = dst.cursor()
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        tables = {row[0] for row in cur.fetchall()}
        manifest.migrations, manifest.counts, referenced = _inspect(cur, tables)
        manifest.server_version = f"SQLite {sqlite3.sqlite_version}"
    finally:
        dst.close()
    return referenced


def pg_connect(**extra: Any) -> Any:
    import psycopg

    db = settings.DATABASES["default"]
    params: dict[str, Any] = {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "dbname": db.get("NAME"),
        "connect_timeout": 15,
    }
    if (db.get("OPTIONS") or {}).get("sslmode"):
        params["sslmode"] = db["OPTIONS"]["sslmode"]
    return psycopg.connect(**{k: v for k, v in params.items() if v is not None}, **extra)


def _pg_snapshot(manifest: Manifest, dest: Path) -> set[str]:
    pg_dump = pgtools.tool("pg_dump")
    with pg_connect() as conn:
        cur = conn.cursor()
        manifest.server_version = pgtools.server_version(cur)
        conn.rollback()
        major, minor = pgtools.check_dump_tool(manifest.server_version)
        manifest.dump_tool_version = f"{major}.{minor}"
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cur.execute("SELECT pg_export_snapshot()")
        snapshot = cur.fetchone()[0]
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = {row[0] for row in cur.fetchall()}
        manifest.migrations, manifest.counts, referenced = _inspect(cur, tables)
        # The exporting transaction stays open while pg_dump reads the very same snapshot.
        pgtools.run(
            [pg_dump, "--format=custom", "--compress=6", f"--snapshot={snapshot}", f"--file={dest}"],
            what="pg_dump",
        )
        conn.rollback()
    return referenced


def _media_files() -> list[tuple[Path, str]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                found.append((path, path.relative_to(root).as_posix()))
    return found


def create_backup(output: Path | None = None, *, progress: Progress | None = None) -> tuple[Path, Manifest]:
    """Write the archive to `output` (default: ./tamtam-backup-<UTC time>.tar; `.tar.gz`/`.tgz`
    compresses). Written to `<output>.partial` and renamed at the end: a file with the final name is
    always complete. Mode 0600: the archive holds personal data."""
    say = progress or (lambda _msg: None)
    output = (output or Path.cwd() / default_name()).resolve()
    if output.is_dir():
        output = output / default_name()
    if not output.parent.is_dir():
        raise BackupError(_("--output: the directory %(path)s does not exist") % {"path": output.parent})
    kind = engine()
    manifest = Manifest(
        engine=kind, created_at=datetime.now(UTC).isoformat(), key_fingerprint=key_fingerprint()
    )
    partial = output.with_name(output.name + ".partial")
    with tempfile.TemporaryDirectory(prefix=".tamtam-backup-", dir=output.parent) as tmp:
        db_copy = Path(tmp) / "database"
        say(_("Copying the %(engine)s database…") % {"engine": kind})
        referenced = (
            _sqlite_snapshot(manifest, db_copy) if kind == "sqlite" else _pg_snapshot(manifest, db_copy)
        )
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                writer = ArchiveWriter(fh, manifest, compress=output.name.endswith((".gz", ".tgz")))
                writer.add_file(db_copy, manifest.database_member)
                sandbox = Path(settings.SANDBOX_DB_PATH)
                if sandbox.exists():
                    sandbox_copy = Path(tmp) / "sandbox"
                    sqlite_copy(sandbox, sandbox_copy).close()
                    writer.add_file(sandbox_copy, SANDBOX_MEMBER)
                media = _media_files()
                say(_("Adding %(count)s media file(s)…") % {"count": len(media)})
                for path, name in media:
                    writer.add_file(path, MEDIA_PREFIX + name)
                manifest.missing_media = sorted(referenced - {name for _path, name in media})
                writer.close()
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(partial, output)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return output, manifest
