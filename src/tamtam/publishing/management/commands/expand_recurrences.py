"""`tamtam expand_recurrences`: create the upcoming occurrences of every recurring post.

planning.expand_recurrences is idempotent (each occurrence has a unique key), so running it every few
minutes from the runner, cron or a Celery beat is safe; `--every` keeps it running on its own.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tamtam.publishing import planning


class Command(BaseCommand):
    help = "Create the occurrences of recurring posts up to the horizon (default: two weeks ahead)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--horizon-days", type=int, default=14, help="how far ahead to create posts")
        parser.add_argument(
            "--every",
            type=int,
            default=0,
            metavar="SECONDS",
            help="keep running, expanding again every SECONDS (0: once, then exit)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            created = planning.expand_recurrences(horizon_days=options["horizon_days"])
            if options["verbosity"] > 0:
                self.stdout.write(f"{created} occurrence(s) created")
            if options["every"] <= 0:
                return
            time.sleep(options["every"])
