"""`tamtam backup` and `tamtam restore` for real: a live database, a worker publishing and a writer
committing while the backup runs, then a restore into an empty database and a row-by-row comparison.

Runs on the suite's engine: a SQLite file in WAL mode, or fresh PostgreSQL databases when the suite
runs with TAMTAM_DATABASE_URL=postgres://… (pg_dump/pg_restore from the PATH).
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tamtam.work import harness

BASE_URL = os.environ.get("TAMTAM_DATABASE_URL", "")
KEY = "q3yq1W8nN0oQbX0mWZ2o3Jv1q0m8wXn1Xo9b4m5c6d0="

# Each transaction writes an audit event n and sets a post's text to "tick n": in any snapshot of one
# point in time the two agree, whatever the writer was doing when the backup started.
WRITER = """
import sys, time, django
django.setup()
from django.db import transaction
from tamtam.accounts.models import AuditEvent
from tamtam.publishing.models import Post
post = Post.objects.get(pk=int(sys.argv[1]))
n = 0
while True:
    n += 1
    with transaction.atomic():
        AuditEvent.objects.create(workspace_id=post.workspace_id, action="tick", data={"n": n})
        Post.objects.filter(pk=post.pk).update(text=f"tick {n}")
    time.sleep(0.002)
"""

SEED = """
from pathlib import Path
from django.core.files.base import ContentFile
from tamtam.publishing.models import Media, Post
ws = Post.objects.order_by("pk").first().workspace
media = Media(workspace=ws, content_type="image/png", size=4096, sha256="x", alt_text="logo")
media.file.save("photo.png", ContentFile(bytes(range(256)) * 16), save=True)
post = Post.objects.create(workspace=ws, text="tick 0")
print(json.dumps({"post": post.pk, "media": media.file.name}))
"""

# A digest of every table, read with SQL (not the models: a table is compared as stored), and of
# every media file.
DIGEST = """
import hashlib
from pathlib import Path
from django.conf import settings
from django.db import connection
tables = {}
with connection.cursor() as cur:
    for table in connection.introspection.table_names(cur):
        cur.execute(f'SELECT * FROM "{table}" ORDER BY 1')
        rows = cur.fetchall()
        tables[table] = [len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()]
root = Path(settings.MEDIA_ROOT)
media = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
         for p in sorted(root.rglob("*")) if p.is_file()}
print(json.dumps({"tables": tables, "media": media}))
"""

TICKS = """
from tamtam.accounts.models import AuditEvent
from tamtam.publishing.models import Post
ns = sorted(e.data["n"] for e in AuditEvent.objects.filter(action="tick"))
print(json.dumps({"ns": ns, "text": Post.objects.get(pk=int(sys.argv[1])).text}))
"""


def empty_database(tmp: Path, source_env: dict[str, str], name: str) -> dict[str, str]:
    """An environment for a fresh instance whose database does not even have tables yet."""
    env = {
        **source_env,
        "TAMTAM_DATA_DIR": str(tmp / name / "data"),
        "TAMTAM_SANDBOX_DB": str(tmp / name / "sandbox.sqlite3"),
    }
    if BASE_URL.startswith("postgres"):
        db = f"tamtam_restore_{os.getpid()}_{name}"
        with harness._pg_admin(BASE_URL) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{db}"')
        env["TAMTAM_DATABASE_URL"] = urlunsplit(urlsplit(BASE_URL)._replace(path=f"/{db}"))
    else:
        env["TAMTAM_DATABASE_URL"] = f"sqlite:///{tmp / name / 'restored.sqlite3'}"
    return env


def drop(env: dict[str, str]) -> None:
    if BASE_URL.startswith("postgres"):
        db = urlsplit(env["TAMTAM_DATABASE_URL"]).path.lstrip("/")
        with harness._pg_admin(BASE_URL) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def run_script(env: dict[str, str], code: str, *args: str) -> dict:
    done = subprocess.run(
        [harness.PYTHON, "-c", "import django, json, sys\ndjango.setup()\n" + code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def manifest_of(path: Path) -> dict:
    with tarfile.open(path) as tar:
        fh = tar.extractfile("manifest.json")
        assert fh is not None
        return json.loads(fh.read())


@pytest.mark.slow
def test_a_backup_taken_while_workers_write_restores_into_an_empty_database(tmp_path: Path) -> None:
    extra = {"TAMTAM_ENCRYPTION_KEY": KEY, "TAMTAM_WORK_POLL_MS": "50", "TAMTAM_LOG_LEVEL": "WARNING"}
    with harness.live_database(tmp_path / "src", BASE_URL, extra_env=extra) as env:
        harness.drill(env, "seed", "--targets", "300", "--channels", "3", "--spread", "6")
        seeded = run_script(env, SEED)
        worker = harness.start_worker(env, "backup-w1")
        writer = subprocess.Popen([harness.PYTHON, "-c", WRITER, str(seeded["post"])], env=env)
        try:
            assert harness.wait_until(lambda: run_script(env, TICKS, str(seeded["post"]))["ns"], timeout=60)
            during = tmp_path / "during.tar"
            harness.manage(env, "backup", "--output", str(during))
            assert writer.poll() is None, "the writer committed through the whole backup"
            assert worker.poll() is None, "the worker published through the whole backup"
        finally:
            writer.terminate()
            writer.wait(30)
            harness.stop(worker)
        time.sleep(0.5)
        quiet = tmp_path / "quiet.tar.gz"
        harness.manage(env, "backup", "-o", str(quiet))
        source = run_script(env, DIGEST)

    manifest = manifest_of(during)
    assert manifest["engine"] == ("postgresql" if BASE_URL.startswith("postgres") else "sqlite")
    assert manifest["migrations"]["publishing"]
    assert manifest["missing_media"] == []
    assert f"media/{seeded['media']}" in manifest["files"]

    first = empty_database(tmp_path, env, "first")
    try:
        harness.manage(first, "restore", str(during))
        ticks = run_script(first, TICKS, str(seeded["post"]))
        # One point in time: the post's text matches the last event, and no event is missing before it.
        assert ticks["ns"] == list(range(1, len(ticks["ns"]) + 1))
        assert ticks["text"] == f"tick {ticks['ns'][-1]}"
        restored = run_script(first, DIGEST)
        for table, (count, _digest) in restored["tables"].items():
            assert count == manifest["counts"][table], table
        assert restored["media"] == source["media"]

        # The quiet backup, restored over a database that now has data (--yes), is identical row by row.
        harness.manage(first, "restore", str(quiet), "--yes")
        assert run_script(first, DIGEST) == source
    finally:
        drop(first)


@pytest.mark.slow
def test_an_older_backup_is_migrated_forward_and_a_full_database_needs_yes(tmp_path: Path) -> None:
    extra = {"TAMTAM_ENCRYPTION_KEY": KEY, "TAMTAM_LOG_LEVEL": "WARNING"}
    with harness.live_database(tmp_path / "src", BASE_URL, extra_env=extra) as env:
        harness.drill(env, "seed", "--targets", "5", "--channels", "1")
        # The schema as a previous release left it: the listening app one migration behind.
        harness.manage(env, "migrate", "listening", "0003", "-v", "0")
        old = tmp_path / "old.tar"
        harness.manage(env, "backup", "-o", str(old))
    assert "0004_source_kind_firehose" not in manifest_of(old)["migrations"]["listening"]

    target = empty_database(tmp_path, env, "older")
    try:
        harness.manage(target, "restore", str(old))
        applied = run_script(
            target,
            "from django.db.migrations.recorder import MigrationRecorder\n"
            "print(json.dumps(sorted(MigrationRecorder.Migration.objects.filter(app='listening')"
            ".values_list('name', flat=True))))",
        )
        assert "0004_source_kind_firehose" in applied
        # Now the database is not empty: without --yes and without a terminal, nothing is overwritten.
        with pytest.raises(RuntimeError, match=r"not empty.*--yes"):
            harness.manage(target, "restore", str(old))
    finally:
        drop(target)
