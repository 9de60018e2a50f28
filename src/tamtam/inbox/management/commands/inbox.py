"""`tamtam inbox list|assign|reply|close`: the community inbox from a terminal or a script.

    tamtam inbox list --workspace SLUG [--view all|unassigned|mine --status S --channel ID
                      --priority P --sentiment S --q WORDS --limit N --as USERNAME] [--json]
    tamtam inbox assign CONVERSATION_ID (--to USERNAME | --nobody) [--as USERNAME]
    tamtam inbox reply CONVERSATION_ID (--text TEXT | --saved SAVED_REPLY_ID) [--message ID] --as USERNAME
    tamtam inbox close CONVERSATION_ID [--as USERNAME]

A reply needs `--as`: it is signed by a person and the workspace's approval rule depends on the role.
`--json` prints the same objects as the REST API.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _
from rich.table import Table

from tamtam.accounts.management.commands._cli import acting_as, console, find_user, find_workspace, plain
from tamtam.accounts.permissions import Cap
from tamtam.inbox import replies, schemas, services
from tamtam.inbox.models import Conversation, ReplyState, Status
from tamtam.lib.errors import Conflict, InvalidInput


def _conversation(conversation_id: int) -> Conversation:
    found = (
        Conversation.objects.select_related("workspace", "channel", "assignee")
        .filter(pk=conversation_id)
        .first()
    )
    if found is None:
        raise CommandError(_("No conversation with id %(id)s.") % {"id": conversation_id})
    return found


class Command(BaseCommand):
    help = "List inbox conversations, assign, reply, close."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,assign,reply,close}")
        listing = actions.add_parser("list", help="Conversations of a workspace, newest first.")
        listing.add_argument("--workspace", required=True, help="Workspace slug (or id, or agency/slug).")
        listing.add_argument("--view", choices=services.VIEWS, default="all")
        listing.add_argument("--status", choices=[*Status.values, "any"], default="open")
        listing.add_argument("--channel", type=int, help="Channel id.")
        listing.add_argument("--priority", choices=services.PRIORITIES)
        listing.add_argument("--sentiment", choices=services.SENTIMENTS)
        listing.add_argument("--q", default="", help="Words of a message, or an author.")
        listing.add_argument("--limit", type=int, default=50)
        listing.add_argument("--json", action="store_true", help="JSON, as the REST API gives it.")
        listing.add_argument("--as", dest="as_user", metavar="USERNAME", help="Whose 'mine' view.")
        assigning = actions.add_parser("assign", help="Give a conversation to a teammate.")
        assigning.add_argument("conversation_id", type=int)
        who = assigning.add_mutually_exclusive_group(required=True)
        who.add_argument("--to", metavar="USERNAME")
        who.add_argument("--nobody", action="store_true", help="Unassign.")
        assigning.add_argument("--as", dest="as_user", metavar="USERNAME")
        replying = actions.add_parser("reply", help="Answer through the network (exactly once).")
        replying.add_argument("conversation_id", type=int)
        text = replying.add_mutually_exclusive_group(required=True)
        text.add_argument("--text")
        text.add_argument("--saved", type=int, metavar="SAVED_REPLY_ID")
        replying.add_argument("--message", type=int, help="The message answered (default: the newest).")
        replying.add_argument("--as", dest="as_user", metavar="USERNAME", required=True)
        closing = actions.add_parser("close", help="Close a conversation (its resolution time).")
        closing.add_argument("conversation_id", type=int)
        closing.add_argument("--as", dest="as_user", metavar="USERNAME")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "do_" + options["action"])(options)
        except (InvalidInput, Conflict) as exc:
            raise CommandError(str(exc)) from None

    def do_list(self, options: dict[str, Any]) -> None:
        workspace = find_workspace(options["workspace"])
        member = acting_as(options["as_user"], workspace, Cap.INBOX_VIEW)
        if options["view"] == "mine" and member is None:
            raise CommandError(_("--view mine needs --as USERNAME"))
        if not 1 <= options["limit"] <= 1000:
            raise CommandError(_("--limit: between 1 and 1000"))
        filters = services.Filters(
            view=options["view"],
            status=options["status"],
            channel=options["channel"],
            priority=options["priority"] or "",
            sentiment=options["sentiment"] or "",
            q=options["q"].strip()[: services.MAX_SEARCH],
        )
        qs = services.conversations(workspace.pk, member.user if member else None, filters)
        items = list(qs[: options["limit"]])
        tags = services.tags_of([c.pk for c in items])
        if options["json"]:
            data = [schemas.conversation_out(c, tags.get(c.pk, [])) for c in items]
            self.stdout.write(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
            return
        out = console(self)
        table = Table(title=workspace.name, title_justify="left")
        for column in (
            _("ID"),
            _("Channel"),
            _("Status"),
            _("Priority"),
            _("Assignee"),
            _("Author"),
            _("Text"),
        ):
            table.add_column(column, overflow="fold")
        for conv in items:
            text = conv.last_text.replace("\n", " ")
            table.add_row(
                str(conv.pk),
                conv.channel.name,
                str(Status(conv.status).label),
                str(conv.priority),
                conv.assignee.get_username() if conv.assignee else "—",
                conv.last_author or _("Unknown author"),
                text[:60] + ("…" if len(text) > 60 else ""),
            )
        if items:
            out.print(table)
        plain(out, _("%(count)d conversation(s)") % {"count": len(items)}, style="dim")

    def do_assign(self, options: dict[str, Any]) -> None:
        conv = _conversation(options["conversation_id"])
        member = acting_as(options["as_user"], conv.workspace, Cap.INBOX_ACT)
        assignee = None if options["nobody"] else find_user(options["to"])
        services.assign(conv, member.user if member else None, assignee.pk if assignee else None)
        who = assignee.get_username() if assignee else _("nobody")
        plain(console(self), _("Conversation %(id)d assigned to %(who)s.") % {"id": conv.pk, "who": who})

    def do_reply(self, options: dict[str, Any]) -> None:
        conv = _conversation(options["conversation_id"])
        member = acting_as(options["as_user"], conv.workspace, Cap.INBOX_ACT)
        assert member is not None  # --as is required by the parser
        target = services.reply_target(conv, options["message"])
        text = options["text"] or ""
        if options["saved"] is not None:
            text = services.saved_reply_for(conv, options["saved"], target)
        reply = replies.request_reply(conv, target, member.user, member.role, text)
        out = console(self)
        if reply.state == ReplyState.AWAITING_APPROVAL:
            plain(
                out,
                _("Reply %(id)d waiting for a manager: %(reason)s")
                % {"id": reply.pk, "reason": reply.approval_reason},
                style="yellow",
            )
        else:
            plain(out, _("Reply %(id)d queued: it is sent in a moment.") % {"id": reply.pk}, style="green")

    def do_close(self, options: dict[str, Any]) -> None:
        conv = _conversation(options["conversation_id"])
        member = acting_as(options["as_user"], conv.workspace, Cap.INBOX_ACT)
        services.set_status(conv, member.user if member else None, Status.CLOSED)
        plain(console(self), _("Conversation %(id)d closed.") % {"id": conv.pk}, style="green")
