"""`tamtam createuser USERNAME [--email E] [--password-stdin] [--workspace W --role R] [--superuser]`.

Without --password-stdin a random password is generated and printed once; it is never stored in
clear or logged.
"""

from __future__ import annotations

import secrets
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from tamtam.accounts import members
from tamtam.accounts.management.commands._cli import console, find_workspace, plain
from tamtam.accounts.models import Role, User
from tamtam.lib.errors import InvalidInput


class Command(BaseCommand):
    help = "Create a user, optionally a member of a workspace with a role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input.",
        )
        parser.add_argument("--workspace", help="Workspace slug (or id, or agency/slug).")
        parser.add_argument("--role", choices=Role.values)
        parser.add_argument("--superuser", action="store_true", help="Full access, including the admin site.")

    def handle(self, *args: Any, **options: Any) -> None:
        out = console(self)
        username = options["username"].strip()
        if not username or User.objects.filter(username__iexact=username).exists():
            raise CommandError(
                _('The user "%(name)s" already exists.') % {"name": username}
                if username
                else _("A username is required.")
            )
        email = options["email"].strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(_('"%(email)s" is not an e-mail address.') % {"email": email}) from None
        if bool(options["workspace"]) != bool(options["role"]):
            raise CommandError(_("--workspace and --role go together."))
        workspace = find_workspace(options["workspace"]) if options["workspace"] else None

        generated = not options["password_stdin"]
        password = secrets.token_urlsafe(12) if generated else self._read_password(username, email)
        with transaction.atomic():
            user = User.objects.create_user(
                username=username,
                email=email,
                password=password,
                is_staff=options["superuser"],
                is_superuser=options["superuser"],
            )
            if workspace is not None:
                try:
                    members.add_member(workspace, None, user.username, options["role"])
                except InvalidInput as exc:
                    raise CommandError(str(exc)) from None
        summary = _("Created user %(name)s.") % {"name": username}
        if workspace is not None:
            summary += " " + _("%(role)s of %(workspace)s.") % {
                "role": Role(options["role"]).label,
                "workspace": workspace.name,
            }
        if options["superuser"]:
            summary += " " + _("Superuser.")
        plain(out, summary, style="green")
        if generated:
            plain(out, _("Password: %(password)s") % {"password": password})
            plain(out, _("It is shown only this once."), style="dim")

    def _read_password(self, username: str, email: str) -> str:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError(_("No password on standard input."))
        try:
            validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            raise CommandError(" ".join(str(m) for m in exc.messages)) from None
        return password
