"""Listening's business operations: queries, sources, the watch list, and the preview of a query.

Views and the API call these; each validates its input and raises `InvalidInput` naming the field
(and, for an expression, the character position) so that nothing reaches the database half-checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.accounts.models import User, Workspace
from tamtam.lib.errors import InvalidInput
from tamtam.listening.matcher import Matcher
from tamtam.listening.models import (
    InfluencerNote,
    ListeningAuthor,
    Mention,
    MentionMatch,
    Query,
    QueryKind,
    Source,
    SourceKind,
    SourceState,
    WatchedAuthor,
    WatchStatus,
)
from tamtam.listening.normalize import fold, normalize
from tamtam.listening.query import QuerySyntaxError, parse

MAX_LANGUAGES = 20
PREVIEW_WINDOW = timedelta(days=7)
PREVIEW_SCAN = 5000  # recent mentions a preview reads at most


def clean_languages(value: Iterable[str] | str | None) -> list[str]:
    if value is None:
        return []
    items = value.replace(";", ",").split(",") if isinstance(value, str) else list(value)
    codes: list[str] = []
    for raw in items:
        code = str(raw).strip().lower()
        if not code:
            continue
        if not (code.isascii() and code.isalpha() and 2 <= len(code) <= 3):
            raise InvalidInput(
                "languages", _("%(code)r is not a language code such as fr or en") % {"code": raw}
            )
        if code not in codes:
            codes.append(code)
    if len(codes) > MAX_LANGUAGES:
        raise InvalidInput("languages", _("at most %(n)s languages") % {"n": MAX_LANGUAGES})
    return codes


def check_expression(expression: str) -> str:
    """The expression, stripped, or `QuerySyntaxError` (field "expression", with the position)."""
    expression = (expression or "").strip()
    parse(expression)
    return expression


def save_query(
    workspace: Workspace,
    *,
    name: str,
    expression: str,
    kind: str = QueryKind.BRAND,
    languages: Iterable[str] | str | None = None,
    enabled: bool = True,
    query: Query | None = None,
) -> Query:
    """Create (or update `query`) after checking every field."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name", _("a name is required"))
    if len(name) > 120:
        raise InvalidInput("name", _("at most 120 characters"))
    if kind not in QueryKind.values:
        raise InvalidInput("kind", _("unknown kind %(kind)r") % {"kind": kind})
    expression = check_expression(expression)
    codes = clean_languages(languages)
    target = query or Query(workspace=workspace)
    if target.workspace_id != workspace.pk:
        raise InvalidInput("query", _("this query belongs to another workspace"))
    target.name, target.expression, target.kind, target.languages, target.enabled = (
        name,
        expression,
        kind,
        codes,
        bool(enabled),
    )
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError as exc:
        raise InvalidInput("name", _("a query with this name already exists")) from exc
    return target


def delete_query(query: Query) -> None:
    query.delete()


@dataclass
class PreviewResult:
    error: QuerySyntaxError | None
    mentions: list[Mention]
    scanned: int


def preview(expression: str, languages: Iterable[str] | str | None = None, limit: int = 20) -> PreviewResult:
    """Recent stored mentions that an expression would match (while it is being edited).

    Mentions are shared public content, so the preview reads across workspaces the last
    `PREVIEW_SCAN` mentions of the last week: it shows what the query catches, not who stored it."""
    try:
        expression = check_expression(expression)
        codes = clean_languages(languages)
    except QuerySyntaxError as exc:
        return PreviewResult(exc, [], 0)
    except InvalidInput:
        codes = []
    matcher = Matcher.build([(0, expression, codes)])
    since = timezone.now() - PREVIEW_WINDOW
    recent = Mention.objects.filter(published_at__gte=since, duplicate_of_hash="").order_by("-published_at")
    found: list[Mention] = []
    scanned = 0
    for mention in recent[:PREVIEW_SCAN].iterator(chunk_size=500):
        scanned += 1
        author = fold(mention.author_handle).lstrip("@")
        if matcher.match(normalize(mention.text), mention.lang, author):
            found.append(mention)
            if len(found) >= limit:
                break
    return PreviewResult(None, found, scanned)


# --- sources -------------------------------------------------------------------------------------------


def save_source(
    workspace: Workspace,
    *,
    kind: str,
    name: str,
    url: str = "",
    channel_id: int | None = None,
    search: str = "",
    interval_seconds: int = 300,
    options: dict[str, Any] | None = None,
    source: Source | None = None,
    start_seq: int | None = None,
) -> Source:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name", _("a name is required"))
    if kind not in SourceKind.values:
        raise InvalidInput("kind", _("unknown kind %(kind)r") % {"kind": kind})
    if not 60 <= int(interval_seconds) <= 86_400:
        raise InvalidInput("interval_seconds", _("between 60 and 86400 seconds"))
    target = source or Source(workspace=workspace)
    target.kind, target.name, target.interval_seconds = kind, name[:120], int(interval_seconds)
    target.options = options or target.options or {}
    if kind == SourceKind.RSS:
        url = (url or "").strip()
        if not url.lower().startswith(("http://", "https://")):
            raise InvalidInput("url", _("a feed URL starting with http:// or https://"))
        target.url = url
    elif kind == SourceKind.NETWORK:
        channel = workspace.channels.filter(pk=channel_id).first() if channel_id else None
        if channel is None:
            raise InvalidInput("channel", _("choose a channel of this workspace"))
        target.channel = channel
        target.search = (search or "").strip()[:500]
    elif kind == SourceKind.FIREHOSE:
        _firehose(workspace, target, url, channel_id, start_seq)
    if source is None:
        target.state, target.due_at = SourceState.IDLE, timezone.now()
    target.save()
    return target


def _firehose(
    workspace: Workspace, target: Source, url: str, channel_id: int | None, start_seq: int | None
) -> None:
    """A firehose reads a relay's address, or the PDS of a Bluesky channel (which also names the
    authors); a start sequence number is where the first run begins (empty: from then on)."""
    url = (url or "").strip()
    channel = workspace.channels.filter(pk=channel_id).first() if channel_id else None
    if channel_id and channel is None:
        raise InvalidInput("channel", _("choose a channel of this workspace"))
    if channel is not None and channel.network != "bluesky":
        raise InvalidInput("channel", _("the firehose is read through a Bluesky channel"))
    if url and not url.lower().startswith(("http://", "https://", "ws://", "wss://")):
        raise InvalidInput("url", _("a firehose address starting with wss://, ws://, https:// or http://"))
    if not url and channel is None:
        raise InvalidInput(
            "url", _("give the firehose address (e.g. wss://bsky.network) or a Bluesky channel")
        )
    if start_seq is not None and start_seq < 0:
        raise InvalidInput("start_seq", _("a sequence number is 0 or more"))
    target.url, target.channel = url, channel
    options = dict(target.options or {})
    options.pop("start_seq", None)
    if start_seq is not None:
        options["start_seq"] = int(start_seq)
    target.options = options


def source_health(source: Source) -> tuple[str, str]:
    """(code, label) of a source's health as its row shows it: ok, failing, dead, paused or new."""
    if source.state == SourceState.DEAD:
        return "dead", _("Dead: press Try again once the cause is fixed")
    if source.state == SourceState.PAUSED:
        return "paused", _("Paused")
    if source.consecutive_failures:
        return "failing", _("Failing, retries later")
    if source.last_ok_at is None:
        return ("failing", _("Waiting, not read yet")) if source.last_error else ("new", _("Not fetched yet"))
    return "ok", _("Healthy")


def describe_cursor(source: Source) -> str:
    """Where the next run of a source goes on from, in words (the cursor itself is opaque)."""
    if source.kind == SourceKind.FIREHOSE:
        if source.cursor:
            return _("after sequence number %(seq)s") % {"seq": source.cursor}
        start = (source.options or {}).get("start_seq")
        if start is not None:
            return _("from sequence number %(seq)s") % {"seq": start}
        return _("from the first run on")
    if source.kind == SourceKind.NETWORK:
        try:
            saved = json.loads(source.cursor) if source.cursor else {}
        except ValueError:
            saved = {}
        marks = saved.get("searches") if isinstance(saved, dict) else None
        if not isinstance(marks, dict) or not marks:
            # A stream read forward (the sandbox's search) keeps its own opaque cursor.
            return source.cursor[:80] if source.cursor else _("the last seven days on the first run")
        newest = max((str(m.get("newest") or "") for m in marks.values() if isinstance(m, dict)), default="")
        resuming = sum(1 for m in marks.values() if isinstance(m, dict) and m.get("resume"))
        text = _("%(n)s searches, newest post read %(when)s") % {
            "n": len(marks),
            "when": newest[:16].replace("T", " ") or "—",
        }
        if resuming:
            text += " · " + _("%(n)s still reading a burst") % {"n": resuming}
        return text
    if source.kind == SourceKind.RSS:
        parts = []
        if source.cursor:
            parts.append(_("newest entry %(when)s") % {"when": source.cursor[:16].replace("T", " ")})
        if source.etag or source.last_modified:
            parts.append(_("conditional GET"))
        return " · ".join(parts) or _("not read yet")
    return source.cursor or _("not read yet")


def revive_source(source: Source) -> None:
    """A dead or paused source tried again now (the user fixed the URL, the site is back)."""
    Source.objects.filter(pk=source.pk).update(
        state=SourceState.IDLE,
        due_at=timezone.now(),
        consecutive_failures=0,
        lease_owner="",
        lease_until=None,
    )


def pause_source(source: Source) -> None:
    Source.objects.filter(pk=source.pk).exclude(state=SourceState.CLAIMED).update(state=SourceState.PAUSED)


# --- watch list ----------------------------------------------------------------------------------------


def watch(workspace: Workspace, author: ListeningAuthor, user: User | None, note: str = "") -> WatchedAuthor:
    entry, _created = WatchedAuthor.objects.get_or_create(
        workspace=workspace, author=author, defaults={"added_by": user}
    )
    if note.strip():
        add_note(entry, user, note)
    return entry


def set_watch_status(entry: WatchedAuthor, status: str) -> None:
    if status not in WatchStatus.values:
        raise InvalidInput("status", _("unknown status %(status)r") % {"status": status})
    entry.status = status
    entry.save(update_fields=["status"])


def add_note(entry: WatchedAuthor, user: User | None, text: str) -> InfluencerNote:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("text", _("the note is empty"))
    if len(text) > 5000:
        raise InvalidInput("text", _("at most 5000 characters"))
    return InfluencerNote.objects.create(watch=entry, user=user, text=text)


def unwatch(entry: WatchedAuthor) -> None:
    entry.delete()


def workspace_mentions(workspace: Workspace) -> QuerySet[MentionMatch]:
    return MentionMatch.objects.filter(workspace=workspace)
