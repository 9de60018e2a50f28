"""`tamtam worker`: claim due work from the database and run it (DESIGN §2.1, §4)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tamtam.work.runner import Runner


class Command(BaseCommand):
    help = "Run a publishing worker: claim due work, call the networks, sweep expired leases."
    # A worker serves no URLs: a broken view elsewhere must not stop publishing.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--concurrency",
            type=int,
            default=None,
            help="handlers running at once (default: TAMTAM_WORK_CONCURRENCY)",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="process what is due now, then exit (for cron or a quick check)",
        )
        parser.add_argument("--name", default=None, help="a name for this worker in heartbeats and leases")

    def handle(self, *args: Any, **options: Any) -> None:
        runner = Runner(name=options["name"], concurrency=options["concurrency"])
        runner.install_signal_handlers()
        runner.run(once=options["once"])
