"""Backup, restore and workspace-export speed on a seeded database, with the real commands.

    nice -n 10 .venv/bin/python bench/backup_restore.py                   # SQLite, 20,000 targets
    TAMTAM_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        nice -n 10 .venv/bin/python bench/backup_restore.py --targets 20000

What runs: a fresh database migrated with the real migrations (a SQLite file in WAL mode, or a new
PostgreSQL database on the server TAMTAM_DATABASE_URL names), `--targets` scheduled targets planted by
the publishing drill (a post, a target and their rows each), then as subprocesses, as an operator
would run them: `tamtam backup`, `tamtam restore` into an empty database, `tamtam workspace export`.
Each is timed on the wall clock (process start included).

Baselines (named in the output): copying the database file (SQLite) or a bare `pg_dump
--format=custom` to a file (PostgreSQL), the floor a copy can reach here; and the wall time of
`tamtam workspace list`, the fixed cost of starting any tamtam command.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from tamtam.work import harness


def timed(env: dict[str, str], *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    out = harness.manage(env, *args, timeout=3600)
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=20_000)
    args = parser.parse_args()
    base = os.environ.get("TAMTAM_DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="tamtam-bench-backup-") as tmp_name:
        tmp = Path(tmp_name)
        with harness.live_database(tmp / "src", base, extra_env={"TAMTAM_LOG_LEVEL": "WARNING"}) as env:
            harness.drill(env, "seed", "--targets", str(args.targets), "--channels", "8")
            command_s, listing = timed(env, "workspace", "list")
            ws = listing.split("\t", 1)[0]
            archive = tmp / "b.tar"
            backup_s, _ = timed(env, "backup", "-o", str(archive))
            manifest = harness.python_json(
                env,
                "import tarfile\n"
                f"print(json.dumps(json.load(tarfile.open({str(archive)!r}).extractfile('manifest.json'))))",
            )
            rows = sum(manifest["counts"].values())
            export_s, _ = timed(env, "workspace", "export", ws, "-o", str(tmp / "export.json"))
            start = time.perf_counter()
            if base.startswith("postgres"):
                subprocess.run(
                    ["pg_dump", "--format=custom", "--compress=6", f"--file={tmp / 'bare.pgdump'}"],
                    env={**os.environ, "PGDATABASE": urlsplit(env["TAMTAM_DATABASE_URL"]).path.lstrip("/"),
                         "PGHOST": "127.0.0.1", "PGUSER": "postgres"},
                    check=True,
                )  # fmt: skip
            else:
                shutil.copyfile(urlsplit(env["TAMTAM_DATABASE_URL"]).path, tmp / "copy.sqlite3")
            floor_s = time.perf_counter() - start
        target = {**env, "TAMTAM_DATA_DIR": str(tmp / "dst"), "TAMTAM_SANDBOX_DB": str(tmp / "dst.sqlite3")}
        if base.startswith("postgres"):
            name = f"tamtam_bench_restore_{os.getpid()}"
            with harness._pg_admin(base) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            target["TAMTAM_DATABASE_URL"] = urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
        else:
            target["TAMTAM_DATABASE_URL"] = f"sqlite:///{tmp / 'restored.sqlite3'}"
        try:
            restore_s, _ = timed(target, "restore", str(archive), "--yes")
        finally:
            if base.startswith("postgres"):
                with harness._pg_admin(base) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        size_mb = archive.stat().st_size / 1e6
        export_mb = (tmp / "export.json").stat().st_size / 1e6
    engine = "postgresql" if base.startswith("postgres") else "sqlite"
    result = {
        "engine": engine,
        "targets": args.targets,
        "rows": rows,
        "archive_mb": round(size_mb, 1),
        "backup_s": round(backup_s, 2),
        "restore_s": round(restore_s, 2),
        "export_s": round(export_s, 2),
        "export_mb": round(export_mb, 1),
        "export_db_rows_per_s": round(
            rows / export_s
        ),  # the whole database: nearly all of it is the workspace
        "baseline_copy_s": round(floor_s, 2),
        "baseline_command_s": round(command_s, 2),  # starting any tamtam command (Django set-up)
        "backup_vs_baseline": round(backup_s / floor_s, 1) if floor_s else None,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
