"""`tamtam restore FILE`: put a backup back — database, media and the sandbox network's state.

Order matters: everything is checked before anything is overwritten (the engine, the schema, every
checksum, while extracting to a staging directory); only then is the database replaced, the media
directory swapped in, and migrations run when the backup predates the code. A backup made by a newer
tamtam (migrations this code does not know) is refused: its schema cannot be moved backwards.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from tamtam.dataops import pgtools
from tamtam.dataops.archive import (
    MEDIA_PREFIX,
    SANDBOX_MEMBER,
    BackupError,
    Manifest,
    engine,
    extract_verified,
    key_fingerprint,
    read_manifest,
)
from tamtam.dataops.backup import pg_connect


@dataclass
class Plan:
    manifest: Manifest
    pending: list[tuple[str, str]]  # migrations the code has and the backup lacks: run after restoring
    key_matches: bool
    existing_tables: int  # tables in the database that the restore will replace


@dataclass
class Result:
    plan: Plan
    media_files: int = 0
    count_mismatches: dict[str, tuple[int, int]] = field(default_factory=dict)


def known_migrations() -> set[tuple[str, str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces)  # a squashed migration stands for the ones it replaces
    return known


def plan(path: Path) -> Plan:
    """What restoring `path` would do, or a BackupError saying why it must not."""
    if not path.is_file():
        raise BackupError(_("%(path)s: no such file") % {"path": path})
    manifest = read_manifest(path)
    current = engine()
    if manifest.engine != current:
        raise BackupError(
            _(
                "this backup holds a %(theirs)s database and this instance uses %(ours)s: a backup restores "
                "only into the same engine (set TAMTAM_DATABASE_URL accordingly)"
            )
            % {"theirs": manifest.engine, "ours": current}
        )
    if manifest.database_member not in manifest.files:
        raise BackupError(_("the archive holds no database"))
    known = known_migrations()
    applied = manifest.applied()
    unknown = sorted(applied - known)
    if unknown:
        raise BackupError(
            _(
                "this backup was made by a newer tamtam (%(version)s): its schema has %(count)s migration(s) "
                "this version does not know, e.g. %(example)s; upgrade tamtam, then restore"
            )
            % {"version": manifest.tamtam_version, "count": len(unknown), "example": ".".join(unknown[0])}
        )
    if manifest.engine == "postgresql":
        pgtools.check_restore_tool(manifest.dump_tool_version)
    leaves = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    pending = sorted(k for k in leaves if k not in applied)
    return Plan(
        manifest=manifest,
        pending=pending,
        key_matches=manifest.key_fingerprint == key_fingerprint(),
        existing_tables=len(connection.introspection.table_names()),
    )


def _sqlite_into(extracted: Path, live: Path) -> None:
    live.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(str(extracted))
    try:
        dst = sqlite3.connect(str(live), timeout=60)
        try:
            # Through the backup API rather than a file copy: the live file's WAL and shared memory
            # stay coherent, and a process that still has it open sees the restored pages.
            dst.execute("PRAGMA journal_mode=WAL")
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _restore_postgresql(extracted: Path) -> None:
    pgtools.tool("pg_restore")
    pgtools.tool("psql")
    with pg_connect(autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("SELECT current_schema()")
        schema = cur.fetchone()[0]
        # The schema's own objects, not the schema itself (its owner may not be the role tamtam
        # connects as), and nothing an extension owns (it is recreated by the dump's CREATE EXTENSION).
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = [row[0] for row in cur.fetchall()]
        if tables:
            cur.execute("DROP TABLE IF EXISTS " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
        cur.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "WHERE p.pronamespace = current_schema()::regnamespace AND NOT EXISTS "
            "(SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
        )
        for (function,) in cur.fetchall():
            cur.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
    pgtools.restore_through_psql(extracted, settings.DATABASES["default"]["NAME"], schema)


def _swap_media(staged: Path) -> None:
    root = Path(settings.MEDIA_ROOT)
    staged.mkdir(parents=True, exist_ok=True)
    old = root.with_name(root.name + ".before-restore")
    if old.exists():
        shutil.rmtree(old)
    try:
        if root.exists():
            root.rename(old)
        staged.rename(root)
    except OSError:
        # The media directory is a mount point (a shared volume): it cannot be renamed, so its
        # contents are replaced instead.
        root.mkdir(parents=True, exist_ok=True)
        for entry in root.iterdir():
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        for entry in staged.iterdir():
            shutil.move(str(entry), str(root / entry.name))
    if old.exists():
        shutil.rmtree(old)


def _counts() -> dict[str, int]:
    with connection.cursor() as cur:
        found = {}
        for table in connection.introspection.table_names(cur):
            cur.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 — names from the catalogue
            found[table] = int(cur.fetchone()[0])
    return found


def restore(
    path: Path,
    *,
    confirm: Callable[[Plan], bool],
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Restore `path`. `confirm(plan)` is asked before anything is overwritten; False cancels."""
    say = progress or (lambda _msg: None)
    the_plan = plan(path)
    if not confirm(the_plan):
        raise BackupError(_("restore cancelled: nothing was changed"))
    result = Result(plan=the_plan)
    manifest = the_plan.manifest
    root = Path(settings.MEDIA_ROOT)
    root.parent.mkdir(parents=True, exist_ok=True)
    # Staged beside the media directory so that swapping it in is a rename, not a copy.
    with tempfile.TemporaryDirectory(prefix=".tamtam-restore-", dir=root.parent) as tmp:
        staging = Path(tmp)
        say(_("Checking and extracting the archive…"))
        for member, _extracted in extract_verified(path, manifest, staging):
            if member.startswith(MEDIA_PREFIX):
                result.media_files += 1
        connections.close_all()
        say(_("Restoring the database…"))
        extracted_db = staging / manifest.database_member
        if manifest.engine == "sqlite":
            _sqlite_into(extracted_db, Path(settings.DATABASES["default"]["NAME"]))
        else:
            _restore_postgresql(extracted_db)
        connections.close_all()
        restored = _counts()
        result.count_mismatches = {
            t: (n, restored.get(t, -1)) for t, n in manifest.counts.items() if restored.get(t, -1) != n
        }
        say(_("Restoring %(count)s media file(s)…") % {"count": result.media_files})
        _swap_media(staging / MEDIA_PREFIX.rstrip("/"))
        if SANDBOX_MEMBER in manifest.files:
            _sqlite_into(staging / SANDBOX_MEMBER, Path(settings.SANDBOX_DB_PATH))
    if the_plan.pending:
        say(_("Applying %(count)s migration(s) newer than the backup…") % {"count": len(the_plan.pending)})
        call_command("migrate", interactive=False, verbosity=0)
    return result
