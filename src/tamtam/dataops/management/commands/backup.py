"""`tamtam backup [--output FILE]`: database and media in one consistent archive (docs/deployment.md).

Safe while the web app and workers run. The encryption key is not in the archive (only its
fingerprint): keep it apart, as the docs explain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tamtam.dataops.archive import BackupError
from tamtam.dataops.backup import create_backup


class Command(BaseCommand):
    help = "Back up the database and the media directory into one archive (.tar, or .tar.gz to compress)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            "-o",
            type=Path,
            default=None,
            help="archive to write (default: ./tamtam-backup-<UTC time>.tar; a directory puts it there)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path, manifest = create_backup(options["output"], progress=self.stderr.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(manifest.counts.values())
        self.stderr.write(
            _("Backup written: %(rows)s rows in %(tables)s tables, %(files)s media file(s).")
            % {"rows": rows, "tables": len(manifest.counts), "files": len(manifest.files) - 1}
        )
        for name in manifest.missing_media:
            self.stderr.write(
                _("warning: %(name)s is referenced but was not found in the media directory") % {"name": name}
            )
        self.stdout.write(str(path))
