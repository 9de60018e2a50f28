"""`tamtam import-csv FILE --workspace SLUG [--as USERNAME] [--dry-run]`: schedule posts from a CSV file.

Exit codes: 0 all rows imported (or already there), 1 some rows failed (the others are imported),
2 the file itself cannot be imported (nothing is).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from tamtam.accounts.management.commands._cli import acting_as, console, find_workspace, plain
from tamtam.accounts.permissions import Cap
from tamtam.publishing import csv_import

FILE_ERROR = 2
ROW_ERRORS = 1


class Command(BaseCommand):
    help = "Schedule posts from a CSV file (columns: text, channels, time, media_url, campaign, link)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The CSV file, or - for standard input.")
        parser.add_argument("--workspace", required=True, help="Workspace slug (or id, or agency/slug).")
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="Import as this member (their role must allow imports); the audit log names them.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check every row, write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        out = console(self)
        workspace = find_workspace(options["workspace"])
        member = acting_as(options["as_user"], workspace, Cap.IMPORT)
        stream, size = self._open(options["file"])
        try:
            actor = member.user if member else None
            report = self._run(out, workspace, actor, stream, size=size, dry_run=options["dry_run"])
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        self._print(out, report)
        if report.file_error:
            raise CommandError(report.file_error, returncode=FILE_ERROR)
        if report.errors:
            raise CommandError(
                _("%(count)d row(s) could not be imported; see above.") % {"count": report.failed_lines},
                returncode=ROW_ERRORS,
            )

    def _open(self, name: str) -> tuple[IO[bytes], int | None]:
        if name == "-":
            return sys.stdin.buffer, None
        path = Path(name)
        try:
            return path.open("rb"), path.stat().st_size
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": name, "error": exc.strerror},
                returncode=FILE_ERROR,
            ) from None

    def _run(
        self, out: Any, workspace: Any, actor: Any, stream: IO[bytes], *, size: int | None, dry_run: bool
    ) -> csv_import.ImportReport:
        columns = [TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn()]
        # Live bars only on a terminal: in a pipe or a log they would be noise.
        with Progress(*columns, console=out, transient=True, disable=not out.is_terminal) as progress:
            task = progress.add_task(_("Checking") if dry_run else _("Importing"), total=size)
            return csv_import.run(
                workspace,
                actor,
                stream,
                dry_run=dry_run,
                progress=lambda done: progress.update(task, completed=done),
            )

    def _print(self, out: Any, report: csv_import.ImportReport) -> None:
        for note in report.notes:
            plain(out, _("Note: %(note)s") % {"note": note}, style="yellow")
        if report.file_error:
            plain(out, _("File error: %(error)s") % {"error": report.file_error}, style="bold red")
            return
        created = _("Would create: %(count)d") if report.dry_run else _("Created: %(count)d")
        plain(out, created % {"count": report.created}, style="green")
        plain(out, _("Duplicates (already imported): %(count)d") % {"count": report.duplicates})
        if report.errors:
            plain(out, _("Errors: %(count)d row(s)") % {"count": report.failed_lines}, style="bold red")
            for error in report.errors:
                plain(out, f"line {error.line}: {error.field}: {error.message}", style="red")
