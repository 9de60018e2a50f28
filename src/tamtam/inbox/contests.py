"""Contests on one of our posts: who qualifies (rules), a draw anyone can verify and replay, and the
announcement (a reply to each winner's entry, through the exactly-once reply engine).

Entries are the inbound comments and replies under the post collected by the inbox, in the date
range, not deleted, not spam, containing the keyword (accents and case ignored) when there is one,
whose author liked the post when the rule asks it (where the network reports it: `raw.liked_post`),
excluding the brand's own account, staff and blocked accounts; with "one entry per person" an author's
earliest qualifying comment is their entry.

The draw: entries in a canonical order (time, then id) → their digest (SHA-256 of "remote_id author"
lines) → `random.Random(seed).sample(entries, k)`. The seed, the digest and the entries' ids are
written to the audit log: the same seed and the same entries give the same winners, on any machine.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from tamtam.accounts.services import audit
from tamtam.channels.models import Channel
from tamtam.inbox import replies
from tamtam.inbox.ingest import settings_for
from tamtam.inbox.models import Contest, ContestWinner, Direction, ExcludedAccount, Message, Reply
from tamtam.inbox.services import render_saved_reply
from tamtam.inbox.triage import fold
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.work.db import write_transaction

DEFAULT_ANNOUNCEMENT = "{first_name}, you won {title}! Congratulations from {brand}. Check your DMs 🎉"


def create_contest(
    workspace: Any,
    actor: Any,
    *,
    channel_id: int,
    post_remote_id: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    winners_count: int = 1,
    keyword: str = "",
    require_comment: bool = True,
    require_like: bool = False,
    one_entry_per_person: bool = True,
    announcement: str = "",
) -> Contest:
    if not Channel.objects.filter(workspace=workspace, pk=channel_id).exists():
        raise InvalidInput("channel_id", _("no such channel in this workspace"))
    if not post_remote_id.strip():
        raise InvalidInput("post_remote_id", _("this field is required"))
    if not title.strip():
        raise InvalidInput("title", _("this field is required"))
    if ends_at <= starts_at:
        raise InvalidInput("ends_at", _("must be after the start"))
    if winners_count < 1:
        raise InvalidInput("winners_count", _("must be at least %(min)s") % {"min": 1})
    contest = Contest.objects.create(
        workspace=workspace,
        channel_id=channel_id,
        post_remote_id=post_remote_id.strip(),
        title=title.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        winners_count=winners_count,
        keyword=keyword.strip(),
        require_comment=require_comment,
        require_like=require_like,
        one_entry_per_person=one_entry_per_person,
        announcement=announcement.strip() or DEFAULT_ANNOUNCEMENT,
    )
    audit(workspace, actor, "inbox.contest_created", contest, summary=contest.title)
    return contest


def entries(contest: Contest) -> list[Message]:
    excluded = set(
        ExcludedAccount.objects.filter(workspace_id=contest.workspace_id).values_list("handle", flat=True)
    )
    own = (contest.channel.handle or "").lstrip("@").lower()
    qs = Message.objects.filter(
        channel_id=contest.channel_id,
        root_remote_id=contest.post_remote_id,
        direction=Direction.IN,
        kind__in=["comment", "reply"],
        created_at__gte=contest.starts_at,
        created_at__lte=contest.ends_at,
        deleted_at__isnull=True,
        is_spam=False,
    ).order_by("created_at", "remote_id")
    keyword = fold(contest.keyword) if contest.keyword else ""
    chosen: list[Message] = []
    seen: set[str] = set()
    for message in qs:
        who = (message.author_handle or message.author_remote_id).lower()
        if not who or who in excluded or who == own:
            continue
        if keyword and keyword not in fold(message.text):
            continue
        if contest.require_like and not (message.raw or {}).get("liked_post"):
            continue
        if contest.one_entry_per_person:
            if who in seen:
                continue
            seen.add(who)
        chosen.append(message)
    return chosen


def digest(pool: list[Message]) -> str:
    lines = "\n".join(f"{m.remote_id} {(m.author_handle or m.author_remote_id).lower()}" for m in pool)
    return hashlib.sha256(lines.encode()).hexdigest()


def pick(pool: list[Message], seed: str, count: int) -> list[Message]:
    """The draw itself: deterministic in (seed, the entries in canonical order)."""
    ordered = sorted(pool, key=lambda m: (m.created_at, m.remote_id))
    return random.Random(seed).sample(ordered, min(count, len(ordered)))


def draw(contest: Contest, actor: Any, seed: str | None = None) -> list[ContestWinner]:
    if contest.state != Contest.State.OPEN:
        raise Conflict(_("The winners of this contest were already drawn."))
    pool = entries(contest)
    if not pool:
        raise Conflict(_("No entry qualifies for this contest."))
    seed = seed or secrets.token_hex(16)
    winners = pick(pool, seed, contest.winners_count)
    with write_transaction():
        rows = [
            ContestWinner(
                contest=contest, rank=i + 1, message=m, author_handle=m.author_handle or m.author_remote_id
            )
            for i, m in enumerate(winners)
        ]
        ContestWinner.objects.bulk_create(rows)
        contest.seed, contest.entries_digest, contest.state = seed, digest(pool), Contest.State.DRAWN
        from django.utils import timezone

        contest.drawn_at = timezone.now()
        contest.save(update_fields=["seed", "entries_digest", "state", "drawn_at"])
        audit(
            contest.workspace,
            actor,
            "inbox.contest_drawn",
            contest,
            summary=_("%(n)s winners among %(m)s entries") % {"n": len(rows), "m": len(pool)},
            seed=seed,
            entries_digest=contest.entries_digest,
            entries=[m.remote_id for m in pool[:10_000]],
            winners=[m.remote_id for m in winners],
        )
    return list(contest.winners.all())


def verify(contest: Contest) -> dict[str, Any]:
    """Replay the recorded draw on the entries as they are now: same entries → same winners."""
    pool = entries(contest)
    replayed = [m.remote_id for m in pick(pool, contest.seed, contest.winners_count)]
    recorded = list(contest.winners.order_by("rank").values_list("message__remote_id", flat=True))
    return {
        "seed": contest.seed,
        "entries_unchanged": digest(pool) == contest.entries_digest,
        "winners_match": replayed == recorded,
        "recorded": recorded,
        "replayed": replayed,
    }


def announce(contest: Contest, actor: Any, role: str) -> list[Reply]:
    """A reply to each winner's entry from the announcement template ({first_name}, {author},
    {brand}, {title})."""
    if contest.state != Contest.State.DRAWN:
        raise Conflict(_("Draw the winners before announcing them."))
    brand = settings_for(contest.workspace_id).brand()
    sent = []
    for winner in contest.winners.select_related("message", "message__conversation"):
        text = render_saved_reply(
            contest.announcement.replace("{title}", contest.title), winner.message, brand
        )
        sent.append(replies.request_reply(winner.message.conversation, winner.message, actor, role, text))
    Contest.objects.filter(pk=contest.pk).update(state=Contest.State.ANNOUNCED)
    contest.state = Contest.State.ANNOUNCED
    audit(contest.workspace, actor, "inbox.contest_announced", contest, summary=contest.title)
    return sent
