"""`tamtam workspace list|export|delete|deletions`: a workspace's data as JSON, and its erasure.

    tamtam workspace list
    tamtam workspace export WS [--output FILE] [--with-files]   (stdout when no --output)
    tamtam workspace delete WS [--confirm NAME]                 (asks for the name when not given)
    tamtam workspace deletions                                  (the agency-level record)

WS is a workspace id, `agency-slug/workspace-slug`, or a slug no other agency uses.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tamtam.accounts.models import Workspace
from tamtam.dataops import export, services
from tamtam.lib.errors import InvalidInput


def find_workspace(ref: str) -> Workspace:
    workspaces = Workspace.objects.select_related("agency")
    if ref.isdigit():
        found = list(workspaces.filter(pk=int(ref)))
    elif "/" in ref:
        agency, slug = ref.split("/", 1)
        found = list(workspaces.filter(agency__slug=agency, slug=slug))
    else:
        found = list(workspaces.filter(slug=ref)[:2])
    if len(found) > 1:
        raise CommandError(_("%(ref)s: several agencies have this slug; write agency/slug") % {"ref": ref})
    if not found:
        raise CommandError(_("%(ref)s: no such workspace (see `tamtam workspace list`)") % {"ref": ref})
    return found[0]


class Command(BaseCommand):
    help = "Workspace data: list, export as JSON (GDPR), delete with everything in it."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{list,export,delete,deletions}"
        )
        actions.add_parser("list", help="Every workspace: id, agency/slug, name.")
        exp = actions.add_parser("export", help="Everything the workspace holds, as JSON.")
        exp.add_argument("workspace", help="id, agency-slug/workspace-slug, or slug")
        exp.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")
        exp.add_argument(
            "--with-files", action="store_true", help="a zip with export.json and the media files (needs -o)"
        )
        delete = actions.add_parser("delete", help="Delete the workspace, its rows and its media.")
        delete.add_argument("workspace", help="id, agency-slug/workspace-slug, or slug")
        delete.add_argument("--confirm", default=None, help="the workspace's name, typed to confirm")
        actions.add_parser("deletions", help="Workspaces deleted so far (agency-level audit).")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "do_" + options["action"])(options)

    def do_list(self, options: dict[str, Any]) -> None:
        for ws in Workspace.objects.select_related("agency").order_by("agency__slug", "slug"):
            self.stdout.write(f"{ws.pk}\t{ws.agency.slug}/{ws.slug}\t{ws.name}")

    def do_export(self, options: dict[str, Any]) -> None:
        workspace = find_workspace(options["workspace"])
        output: Path | None = options["output"]
        if options["with_files"]:
            if output is None:
                raise CommandError(_("--with-files writes a zip file: give it with --output"))
            files = export.write_zip(workspace, output)
            self.stderr.write(
                _("Wrote %(path)s (%(files)s media file(s)).") % {"path": output, "files": files}
            )
            return
        if output is None:
            for piece in export.stream(workspace):
                self.stdout.write(piece, ending="")
            self.stdout.write("")
            return
        with output.open("w", encoding="utf-8") as out:
            for piece in export.stream(workspace):
                out.write(piece)
            out.write("\n")

    def do_delete(self, options: dict[str, Any]) -> None:
        workspace = find_workspace(options["workspace"])
        typed = options["confirm"]
        if typed is None:
            if not sys.stdin.isatty():
                raise CommandError(_("give the workspace's name with --confirm (no terminal to ask on)"))
            self.stderr.write(
                _("This deletes %(name)s (%(agency)s) and everything in it, for good.")
                % {"name": workspace.name, "agency": workspace.agency.name}
            )
            typed = input(_("Type the workspace's name to confirm: "))
        try:
            result = services.delete_workspace(workspace, None, typed, actor_label="cli")
        except InvalidInput as exc:
            raise CommandError(exc.message) from None
        self.stderr.write(
            _(
                "Deleted %(name)s: %(rows)s rows, %(files)s media file(s); %(revoked)s of %(channels)s "
                "channel token(s) revoked at the network."
            )
            % {
                "name": result.name,
                "rows": sum(result.rows.values()),
                "files": result.media_files,
                "revoked": result.channels_revoked,
                "channels": result.channels,
            }
        )

    def do_deletions(self, options: dict[str, Any]) -> None:
        for event in services.deletions():
            data = event.data
            fields = [
                f"{event.created_at:%Y-%m-%d %H:%M}Z",
                str(data.get("agency", "")),
                str(data.get("workspace_name", "")),
                f"#{data.get('workspace_id', '')}",
                event.actor_label,
                str(sum((data.get("rows") or {}).values())),
            ]
            self.stdout.write("\t".join(fields))
