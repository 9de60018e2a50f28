"""pg_dump / pg_restore: finding them, checking their versions, running them without a password in argv.

The connection comes from the same settings the app uses (TAMTAM_DATABASE_URL); the password goes
through the child's environment (PGPASSWORD), never its command line, which any local user can read.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from tamtam.dataops.archive import BackupError

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            _(
                "%(tool)s not found on PATH: install the PostgreSQL client tools of your server's major "
                "version or newer (Debian/Ubuntu: apt install postgresql-client)"
            )
            % {"tool": name}
        )
    return found


def tool_version(name: str) -> tuple[int, int]:
    """(major, minor) of `pg_dump --version` / `pg_restore --version`."""
    done = subprocess.run([tool(name), "--version"], capture_output=True, text=True, check=False, timeout=30)
    match = _VERSION.search(done.stdout)
    if done.returncode != 0 or match is None:
        raise BackupError(
            _("cannot tell the version of %(tool)s: %(out)s") % {"tool": name, "out": done.stdout}
        )
    return int(match.group(1)), int(match.group(2) or 0)


def major_of(version: str) -> int:
    """The major number of '15.20' or '15.20 (Debian …)'."""
    match = re.match(r"(\d+)", version.strip())
    return int(match.group(1)) if match else 0


def server_version(cursor: Any) -> str:
    cursor.execute("SHOW server_version")
    return str(cursor.fetchone()[0]).split()[0]


def check_dump_tool(server: str) -> tuple[int, int]:
    """pg_dump refuses a server newer than itself; say so before starting, with what to install."""
    ours = tool_version("pg_dump")
    if ours[0] < major_of(server):
        raise BackupError(
            _(
                "pg_dump %(tool)s is older than the PostgreSQL server %(server)s: install the client tools "
                "of version %(major)s or newer"
            )
            % {"tool": f"{ours[0]}.{ours[1]}", "server": server, "major": major_of(server)}
        )
    return ours


def check_restore_tool(dumped_with: str) -> None:
    """pg_restore cannot read a dump made by a newer pg_dump."""
    ours = tool_version("pg_restore")
    if ours[0] < major_of(dumped_with):
        raise BackupError(
            _(
                "this backup was written by pg_dump %(dump)s; pg_restore %(tool)s cannot read it: install "
                "the PostgreSQL client tools of version %(major)s or newer"
            )
            % {"dump": dumped_with, "tool": f"{ours[0]}.{ours[1]}", "major": major_of(dumped_with)}
        )


def child_env() -> dict[str, str]:
    """libpq environment for the default database (see the libpq docs: PGHOST, PGPORT, …)."""
    db = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    pairs = {
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
        "PGDATABASE": db.get("NAME") or "",
        "PGSSLMODE": str((db.get("OPTIONS") or {}).get("sslmode", "")),
        "PGAPPNAME": "tamtam-backup",
    }
    env.update({k: v for k, v in pairs.items() if v})
    return env


def run(args: list[str], *, what: str) -> None:
    done = subprocess.run(args, env=child_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        # pg_dump's and pg_restore's messages name the object and the reason; the last lines suffice.
        tail = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise BackupError(_("%(what)s failed: %(reason)s") % {"what": what, "reason": tail})


# pg_restore empties search_path for the whole restore (a safety measure of pg_dump's format). A SQL
# function that calls another unqualified — as indexes on expressions do (the inbox's search index) —
# then fails to build its index. The script is therefore replayed through psql with search_path
# set back to the database's own schema on that one line; everything else is pg_restore's output.
_RESET_SEARCH_PATH = b"SELECT pg_catalog.set_config('search_path', '', false);\n"


def restore_through_psql(dump: Path, dbname: str, schema: str) -> None:
    pg_restore, psql = tool("pg_restore"), tool("psql")
    keep = f"SELECT pg_catalog.set_config('search_path', '{schema}', false);\n".encode()
    env = child_env()
    producer = subprocess.Popen(
        [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(dump)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    consumer = subprocess.Popen(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", f"--dbname={dbname}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert producer.stdout is not None
    assert consumer.stdin is not None
    try:
        for line in producer.stdout:
            consumer.stdin.write(keep if line == _RESET_SEARCH_PATH else line)
        consumer.stdin.close()
    except BrokenPipeError:  # psql stopped at an error: its stderr says which
        producer.kill()
    assert producer.stderr is not None
    assert consumer.stderr is not None
    produced_err, consumed_err = producer.stderr.read(), consumer.stderr.read()
    producer.wait()
    consumer.wait()
    for proc, err, what in ((consumer, consumed_err, "psql"), (producer, produced_err, "pg_restore")):
        if proc.returncode != 0:
            tail = "\n".join(err.decode(errors="replace").strip().splitlines()[-8:])
            raise BackupError(_("%(what)s failed: %(reason)s") % {"what": what, "reason": tail})
