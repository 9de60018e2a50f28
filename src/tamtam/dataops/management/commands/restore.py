"""`tamtam restore FILE [--yes] [--check]`: put a backup back (docs/deployment.md, "Restore").

Stop the web app and the workers first. Everything is checked before anything is overwritten; a
backup from a newer tamtam or another database engine is refused; an older one is migrated forward.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tamtam.dataops.archive import BackupError
from tamtam.dataops.restore import Plan, plan, restore


class Command(BaseCommand):
    help = "Restore a backup made by `tamtam backup`: database, media and sandbox state."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the archive written by `tamtam backup`")
        parser.add_argument("--yes", action="store_true", help="overwrite without asking")
        parser.add_argument(
            "--check", action="store_true", help="only check the archive and say what a restore would do"
        )

    def describe(self, the_plan: Plan) -> None:
        m = the_plan.manifest
        self.stderr.write(
            _("Backup of %(created)s by tamtam %(version)s (%(engine)s): %(rows)s rows, %(files)s file(s).")
            % {
                "created": m.created_at,
                "version": m.tamtam_version,
                "engine": m.engine,
                "rows": sum(m.counts.values()),
                "files": len(m.files),
            }
        )
        if the_plan.pending:
            self.stderr.write(
                _("%(count)s migration(s) will be applied after the restore.")
                % {"count": len(the_plan.pending)}
            )
        if not the_plan.key_matches:
            self.stderr.write(
                _(
                    "warning: this backup was made with another encryption key (fingerprint %(theirs)s): "
                    "channel credentials will not decrypt and channels must be reconnected, unless you set "
                    "TAMTAM_ENCRYPTION_KEY to the key of the backed-up instance"
                )
                % {"theirs": m.key_fingerprint}
            )

    def confirm(self, the_plan: Plan, yes: bool) -> bool:
        self.describe(the_plan)
        if yes or (the_plan.existing_tables == 0 and the_plan.key_matches):
            return True
        if not sys.stdin.isatty():
            if the_plan.existing_tables == 0:
                raise CommandError(
                    _("the encryption key differs (see above): run again with --yes to restore")
                )
            raise CommandError(
                _("this database is not empty (%(tables)s tables): run again with --yes to overwrite it")
                % {"tables": the_plan.existing_tables}
            )
        if the_plan.existing_tables:
            self.stderr.write(
                _("This replaces the database (%(tables)s tables) and the media directory.")
                % {"tables": the_plan.existing_tables}
            )
        answer = input(_("Type 'yes' to go on: "))
        return answer.strip().lower() in {"yes", _("yes")}

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["check"]:
                self.describe(plan(options["file"]))
                self.stderr.write(_("Checks passed (checksums are verified during a restore)."))
                return
            result = restore(
                options["file"],
                confirm=lambda p: self.confirm(p, options["yes"]),
                progress=self.stderr.write,
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        for table, (expected, found) in sorted(result.count_mismatches.items()):
            self.stderr.write(
                _("warning: %(table)s has %(found)s rows, the backup had %(expected)s")
                % {"table": table, "found": found, "expected": expected}
            )
        self.stderr.write(
            _("Restored: %(rows)s rows, %(files)s media file(s).")
            % {"rows": sum(result.plan.manifest.counts.values()), "files": result.media_files}
        )
