"""`tamtam beat`: the one scheduler of the scale-out mode (tamtam/work/beat.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Scale-out mode: send due work ids to the queues and sweep expired leases (run exactly one)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default=None, help="a name for this process in heartbeats")
        parser.add_argument("--list", action="store_true", help="print each queue's kinds of work and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        from tamtam.work import beat, registry

        if options["list"]:
            for queue, kinds in beat.kinds_by_queue(registry.kinds()).items():
                self.stdout.write(f"{queue}: {', '.join(kinds)}")
            return
        if not settings.BROKER_URL:
            raise CommandError(
                "tamtam beat runs in scale-out mode only: set TAMTAM_BROKER_URL (embedded workers "
                "poll the database and need no beat)"
            )
        runner = beat.Beat(name=options["name"])
        runner.install_signal_handlers()
        runner.run()
