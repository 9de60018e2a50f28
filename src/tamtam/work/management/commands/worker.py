"""`tamtam worker`: claim due work from the database and run it (DESIGN §2.1, §4).

Embedded mode (no TAMTAM_BROKER_URL): the worker polls the database. Scale-out mode: it is a Celery
worker on the queues given with `--queues` (default: all), woken by the ids `tamtam beat` sends;
`--once` polls the database in both modes.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

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
        parser.add_argument(
            "--parent-pid",
            type=int,
            default=None,
            help="stop (cleanly) when this process, our parent, goes away (used by `tamtam run`)",
        )
        parser.add_argument(
            "--queues",
            default="",
            help="scale-out mode: queues to serve, comma-separated (publish, inbox, listening, metrics, "
            "crisis, reports, upkeep; default all)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.BROKER_URL and not options["once"]:
            from tamtam.work import scaleout_worker

            try:
                queues = scaleout_worker.parse_queues(options["queues"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            scaleout_worker.run(name=options["name"], concurrency=options["concurrency"], queues=queues)
            return
        runner = Runner(name=options["name"], concurrency=options["concurrency"])
        runner.install_signal_handlers()
        if options["parent_pid"]:
            _watch_parent(runner, options["parent_pid"])
        runner.run(once=options["once"])


def _watch_parent(runner: Runner, parent: int) -> None:
    """A `tamtam run` killed with SIGKILL cannot stop its workers: they notice it is gone instead
    (they are re-parented), finish their in-flight calls and exit, rather than run on as orphans."""

    def watch() -> None:
        while not runner.stopping:
            if os.getppid() != parent:
                runner.stop()
                return
            time.sleep(1.0)

    threading.Thread(target=watch, name="tamtam-parent-watch", daemon=True).start()
