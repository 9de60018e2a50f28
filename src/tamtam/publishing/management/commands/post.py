"""`tamtam post list|schedule`: the calendar from a terminal or a script.

    tamtam post list --workspace SLUG [--from DATE --to DATE --state S] [--json]
    tamtam post schedule POST_ID --at ISO8601 [--as USERNAME]

Dates are days in the workspace's time zone (`--to` included) or ISO 8601 instants with an offset.
`--json` prints the same objects as the REST API.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F
from django.utils.translation import gettext as _
from rich.table import Table

from tamtam.accounts.management.commands._cli import acting_as, console, find_workspace, plain
from tamtam.accounts.models import Workspace
from tamtam.accounts.permissions import Cap
from tamtam.lib import timeutil
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.publishing import schemas, services
from tamtam.publishing.models import Post, PostTarget
from tamtam.publishing.states import TargetState


def _instant(value: str, workspace: Workspace, *, end: bool, option: str) -> datetime:
    """A `YYYY-MM-DD` local day (its start, or with `end` the start of the next day) or an ISO instant."""
    value = value.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value) + timedelta(days=1 if end else 0)
            return timeutil.local_day_bounds(day, workspace.tz)[0]
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _(
                "%(option)s: expected a day (2026-03-29) or a time with an offset "
                '(2026-03-29T09:00:00+02:00), got "%(value)s"'
            )
            % {"option": option, "value": value}
        ) from None
    if instant.tzinfo is None:
        raise CommandError(
            _("%(option)s: a time zone offset is required (e.g. 2026-03-29T09:00:00+02:00)")
            % {"option": option}
        )
    return instant


class Command(BaseCommand):
    help = "List posts or schedule one."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,schedule}")
        listing = actions.add_parser("list", help="Posts of a workspace, by planned time.")
        listing.add_argument("--workspace", required=True, help="Workspace slug (or id, or agency/slug).")
        listing.add_argument("--from", dest="start", metavar="DATE", help="From this day or instant.")
        listing.add_argument("--to", dest="end", metavar="DATE", help="Up to this day (included) or instant.")
        listing.add_argument("--state", choices=TargetState.values, help="Posts with a target in this state.")
        listing.add_argument("--json", action="store_true", help="JSON, as the REST API gives it.")
        scheduling = actions.add_parser("schedule", help="Set a post's time (approvals still apply).")
        scheduling.add_argument("post_id", type=int)
        scheduling.add_argument(
            "--at", required=True, help="ISO 8601 with an offset: 2026-03-29T09:00:00+02:00"
        )
        scheduling.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="Schedule as this member (their role must allow scheduling).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self.list(options)
        else:
            self.schedule(options)

    # --- list -------------------------------------------------------------------------------------

    def list(self, options: dict[str, Any]) -> None:
        workspace = find_workspace(options["workspace"])
        posts = (
            Post.objects.filter(workspace=workspace)
            .select_related("workspace")
            .prefetch_related("targets__channel", "targets__targetmedia_set", "personas")
        )
        if options["start"]:
            start = _instant(options["start"], workspace, end=False, option="--from")
            posts = posts.filter(scheduled_at__gte=start)
        if options["end"]:
            end = _instant(options["end"], workspace, end=True, option="--to")
            posts = posts.filter(scheduled_at__lt=end)
        if options["state"]:
            posts = posts.filter(
                pk__in=PostTarget.objects.filter(workspace=workspace, state=options["state"]).values(
                    "post_id"
                )
            )
        posts = posts.order_by(F("scheduled_at").asc(nulls_last=True), "id")
        if options["json"]:
            # Plain write, not rich: a script reads this, so no wrapping and no styling.
            data = [schemas.post_out(p) for p in posts.iterator(chunk_size=200)]
            self.stdout.write(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
            return
        self._table(workspace, posts)

    def _table(self, workspace: Workspace, posts: Any) -> None:
        out = console(self)
        table = Table(title=f"{workspace.name} ({workspace.time_zone})", title_justify="left")
        for column in (_("ID"), _("Time"), _("Channels"), _("State"), _("Text")):
            table.add_column(column, overflow="fold")
        count = 0
        for post in posts.iterator(chunk_size=200):
            count += 1
            when = (
                timeutil.to_local(post.scheduled_at, workspace.tz).strftime("%Y-%m-%d %H:%M")
                if post.scheduled_at
                else "—"
            )
            targets = sorted(post.targets.all(), key=lambda t: t.id)
            states = ", ".join(sorted({str(TargetState(t.state).label) for t in targets})) or "—"
            channels = ", ".join(t.channel.name for t in targets)
            text = post.text.replace("\n", " ")
            table.add_row(str(post.pk), when, channels, states, text[:60] + ("…" if len(text) > 60 else ""))
        if count:
            out.print(table)
        plain(out, _("%(count)d post(s)") % {"count": count}, style="dim")

    # --- schedule ---------------------------------------------------------------------------------

    def schedule(self, options: dict[str, Any]) -> None:
        post = Post.objects.select_related("workspace").filter(pk=options["post_id"]).first()
        if post is None:
            raise CommandError(_("No post with id %(id)s.") % {"id": options["post_id"]})
        workspace = post.workspace
        when = _instant(options["at"], workspace, end=False, option="--at")
        if len(options["at"].strip()) == 10:
            raise CommandError(_("--at: a time is needed, not only a day (e.g. 2026-03-29T09:00:00+02:00)"))
        member = acting_as(options["as_user"], workspace, Cap.SCHEDULE)
        try:
            post = services.schedule(post, member.user if member else None, when)
        except (InvalidInput, Conflict) as exc:
            raise CommandError(str(exc)) from None
        out = console(self)
        local = timeutil.to_local(when, workspace.tz)
        plain(
            out,
            _("Post %(id)d scheduled at %(local)s (%(zone)s), %(utc)s UTC.")
            % {
                "id": post.pk,
                "local": local.strftime("%Y-%m-%d %H:%M"),
                "zone": workspace.time_zone,
                "utc": when.astimezone(timeutil.zone("UTC")).strftime("%Y-%m-%d %H:%M"),
            },
            style="green",
        )
        for target in post.targets.select_related("channel").order_by("id"):
            plain(out, f"  {target.channel.name}: {TargetState(target.state).label}")
        step = services.pending_step(post)
        if step and post.targets.filter(state=TargetState.IN_REVIEW).exists():
            plain(
                out,
                _("Waiting for the %(step)s's approval before it can be published.") % {"step": step},
                style="yellow",
            )
