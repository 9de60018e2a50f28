"""`tamtam seed_demo [--force-password PASSWORD]`: the demo agency, two brands, two weeks of posts.

Does nothing when the demo agency exists. Passwords are random and printed once, unless
--force-password gives one (handy for screenshots and browser tests); existing users keep theirs.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from tamtam.accounts.management.commands._cli import console, plain
from tamtam.publishing.models import PostTarget
from tamtam.web import demo


class Command(BaseCommand):
    help = "Create the demo agency with two brands, sandbox channels and posts in every state."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force-password",
            metavar="PASSWORD",
            help="Give every new demo user this password instead of a random one.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = console(self)
        with out.status(_("Seeding the demo (publishing on the sandbox network)…")):
            result = demo.seed(password=options["force_password"])
        if not result.created:
            plain(
                out,
                _('The demo agency "%(name)s" already exists; nothing was changed.')
                % {"name": result.agency.name},
            )
            return
        plain(out, _("Created %(agency)s:") % {"agency": result.agency.name}, style="green")
        for workspace in result.workspaces:
            count = PostTarget.objects.filter(workspace=workspace).count()
            plain(
                out,
                "  "
                + _("%(name)s (%(zone)s, %(language)s): %(channels)d channels, %(targets)d posts on channels")
                % {
                    "name": workspace.name,
                    "zone": workspace.time_zone,
                    "language": workspace.language,
                    "channels": workspace.channels.count(),
                    "targets": count,
                },
            )
        if not result.used_engine:
            plain(
                out,
                _("The publishing engine is not installed: past posts were written as it would have."),
                style="yellow",
            )
        for credential in result.credentials:
            if credential.password is None:
                plain(
                    out,
                    _("%(label)s user: %(username)s (existing user, password unchanged)")
                    % {"label": credential.label, "username": credential.username},
                )
            else:
                # Printed once, here; it is stored only as a hash.
                plain(out, f"{credential.label} user: {credential.username} / {credential.password}")
