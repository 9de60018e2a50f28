"""The RSS/Atom input: watched feeds whose new entries become drafts or queued posts.

A `FeedWatch` is a durable work row: the `feed_watch` work kind claims the due ones with a lease
(`tamtam.work.claim`), `process_watch` reads the feed once (conditional GET) and turns each new entry
into a post through `publishing.services` — exactly like the composer (drafts) or the queue page
(`add_to_queue`) would. Guarantees:
- never twice: a `FeedItem` row per entry (unique per watch on the entry id's hash), a same-link check,
  and the post's `import_key` (unique per workspace) as the last word;
- at most `daily_cap` posts per workspace-local day; later entries are recorded as skipped, so that a
  burst of old news never arrives tomorrow;
- a dead feed (404, broken XML, unreachable) is marked with its error on the watch and retried later
  with a growing delay; each watch is its own row, so one dead feed never blocks another.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.accounts.services import audit
from tamtam.lib import timeutil
from tamtam.lib.errors import InvalidInput
from tamtam.networks.rss import fetch as rss
from tamtam.publishing import services
from tamtam.publishing.feed_models import FeedItem, FeedItemOutcome, FeedMode, FeedWatch, FeedWatchState
from tamtam.publishing.models import PostSource
from tamtam.work.claim import claim

log = logging.getLogger(__name__)

PLACEHOLDERS = ("title", "link", "summary")
SUMMARY_MAX = 400  # characters of the entry's summary a template gets; feeds often carry whole articles
LEASE_SECONDS = 300.0  # a fetch is bounded (timeouts times redirects) well below this
MAX_BACKOFF = timedelta(hours=24)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


# --- template -----------------------------------------------------------------------------------


def validate_template(template: str) -> str:
    """The template, or InvalidInput naming the first unknown placeholder and where it is."""
    if not template.strip():
        raise InvalidInput("template", _("the template is empty"))
    for match in _PLACEHOLDER.finditer(template):
        if match.group(1) not in PLACEHOLDERS:
            raise InvalidInput(
                "template",
                _("unknown placeholder {%(name)s} at position %(pos)d; use {title}, {link} or {summary}")
                % {"name": match.group(1), "pos": match.start() + 1},
            )
    return template


def _shorten(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    cut = text[: size - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > size // 2 else cut).rstrip(" ,;:.") + "…"


def render(template: str, entry: rss.FeedEntry) -> str:
    """The post text for an entry. Only the three placeholders are replaced, so braces elsewhere stay."""
    values = {"title": entry.title, "link": entry.link, "summary": _shorten(entry.summary, SUMMARY_MAX)}
    text = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _key(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest() if value else ""


def _chronological(entries: list[rss.FeedEntry]) -> list[rss.FeedEntry]:
    # Feeds list newest first; posts are created oldest first so a queue keeps the feed's order.
    # Entries without a date keep their relative position (Python's sort is stable).
    indexed = list(enumerate(entries))
    indexed.sort(key=lambda pair: (pair[1].published is not None, pair[1].published, -pair[0]))
    return [entry for _i, entry in indexed]


# --- preview ------------------------------------------------------------------------------------


@dataclass
class PreviewItem:
    title: str
    link: str
    text: str
    published: datetime | None
    seen: bool


def preview(
    url: str,
    template: str,
    *,
    watch: FeedWatch | None = None,
    limit: int = 5,
    transport: httpx.BaseTransport | None = None,
) -> tuple[list[PreviewItem], str]:
    """What the next posts would look like: the feed read now, the newest `limit` entries rendered.
    Returns (items, error). Entries the watch already saw are flagged `seen` (they will not be posted)."""
    result = rss.fetch_feed(url, transport=transport)
    seen: set[str] = set()
    if watch is not None and watch.pk:
        seen = set(watch.items.values_list("entry_key", flat=True))
    items = [
        PreviewItem(e.title, e.link, render(template, e), e.published, _key(e.id) in seen)
        for e in result.entries[:limit]
    ]
    return items, result.error


# --- managing watches ---------------------------------------------------------------------------


@transaction.atomic
def save_watch(watch: FeedWatch, actor: Any, channel_ids: list[int]) -> FeedWatch:
    """Create or update a watch (fields already set by the caller's form) and its channels."""
    validate_template(watch.template)
    if watch.mode == FeedMode.QUEUE and watch.queue_id is None:
        raise InvalidInput("queue", _("choose the queue the new items go to"))
    if (
        watch.queue_id is not None
        and watch.queue is not None
        and watch.queue.workspace_id != watch.workspace_id
    ):
        raise InvalidInput("queue", _("no such queue in this workspace"))
    channels = list(watch.workspace.channels.filter(pk__in=channel_ids))
    if not channels or len(channels) != len(set(channel_ids)):
        raise InvalidInput("channels", _("choose at least one channel of this workspace"))
    created = watch.pk is None
    watch.save()
    watch.channels.set(channels)
    audit(watch.workspace, actor, "feed.created" if created else "feed.updated", watch, summary=watch.url)
    return watch


@transaction.atomic
def set_paused(watch: FeedWatch, actor: Any, paused: bool) -> FeedWatch:
    watch.state = FeedWatchState.PAUSED if paused else FeedWatchState.ACTIVE
    fields = ["state", "updated_at"]
    if not paused:
        watch.due_at = timezone.now()  # resuming reads the feed at once
        fields.append("due_at")
    watch.save(update_fields=fields)
    audit(watch.workspace, actor, "feed.paused" if paused else "feed.resumed", watch, summary=watch.url)
    return watch


# --- polling ------------------------------------------------------------------------------------


@dataclass
class PollOutcome:
    posted: int = 0
    skipped: int = 0
    error: str = ""
    not_modified: bool = False


def _posted_today(watch: FeedWatch, now: datetime) -> int:
    tz = timeutil.zone(watch.workspace.time_zone)
    start, _end = timeutil.local_day_bounds(timeutil.to_local(now, tz).date(), tz)
    return watch.items.filter(outcome=FeedItemOutcome.POSTED, created_at__gte=start).count()


def _make_post(watch: FeedWatch, entry: rss.FeedEntry, entry_key: str) -> tuple[Any, str]:
    """A post for the entry, as the composer (draft) or the queue page would create it."""
    text = render(watch.template, entry)
    uses_link = "{link}" in watch.template
    data = services.PostInput(
        text=text,
        # The link field drives previews and UTM tags; when the template already puts the link in the
        # text, setting it too would show it twice on networks that append it.
        link="" if uses_link else entry.link[:2000],
        channel_ids=list(watch.channels.values_list("pk", flat=True)),
    )
    post = services.create_post(
        watch.workspace, None, data, source=PostSource.FEED, import_key=f"feed:{watch.pk}:{entry_key[:48]}"
    )
    if watch.mode == FeedMode.QUEUE and watch.queue_id:
        try:
            services.add_to_queue(post, None, watch.queue_id)
        except InvalidInput as exc:
            # Nothing is lost: the post stays a draft and the watch says why.
            return post, _("kept as a draft: %(reason)s") % {"reason": exc.message}
    return post, ""


def poll(
    watch: FeedWatch, *, now: datetime | None = None, transport: httpx.BaseTransport | None = None
) -> PollOutcome:
    """Read the watch's feed once and act on its new entries; record the result on the watch."""
    now = now or timezone.now()
    result = rss.fetch_feed(
        watch.url, etag=watch.etag, last_modified=watch.last_modified, transport=transport
    )
    outcome = PollOutcome(not_modified=result.not_modified)
    watch.last_checked_at = now
    if not result.not_modified and not result.entries and result.error:
        outcome.error = result.error
        watch.error_count += 1
        watch.last_error = result.error[:2000]
        delay = timedelta(minutes=watch.interval_minutes) * (2 ** min(watch.error_count - 1, 8))
        watch.due_at = now + min(delay, MAX_BACKOFF)
        watch.save(update_fields=["last_checked_at", "error_count", "last_error", "due_at", "updated_at"])
        return outcome
    if not result.not_modified:
        # Validators only from a full answer; a 304 keeps those we have.
        watch.etag, watch.last_modified = result.etag[:500], result.last_modified[:100]
        watch.feed_title = result.title[:300] or watch.feed_title
        first = not watch.baseline_done
        posted_today = _posted_today(watch, now)
        for entry in _chronological(result.entries):
            outcome_kind, _post, _detail = _handle_entry(watch, entry, first=first, posted_today=posted_today)
            if outcome_kind == FeedItemOutcome.POSTED:
                posted_today += 1
                outcome.posted += 1
            elif outcome_kind is not None:
                outcome.skipped += 1
        watch.baseline_done = True
    watch.last_ok_at = now
    watch.error_count = 0
    watch.last_error = result.error[:2000]  # a warning (e.g. the feed's encoding) or ""
    watch.due_at = now + timedelta(minutes=watch.interval_minutes)
    watch.save()
    if outcome.posted:
        log.info("feed watch %s: %d new post(s)", watch.pk, outcome.posted)
    return outcome


def _handle_entry(
    watch: FeedWatch, entry: rss.FeedEntry, *, first: bool, posted_today: int
) -> tuple[str | None, Any, str]:
    """Record one entry; None when it was already seen."""
    entry_key, link_key = _key(entry.id), _key(entry.link)
    if watch.items.filter(entry_key=entry_key).exists():
        return None, None, ""
    kind, detail, post = FeedItemOutcome.POSTED, "", None
    if first:
        kind = FeedItemOutcome.BASELINE
    elif link_key and watch.items.filter(link_key=link_key).exists():
        kind = FeedItemOutcome.DUPLICATE
    elif posted_today >= watch.daily_cap:
        kind = FeedItemOutcome.OVER_CAP
    try:
        with transaction.atomic():
            if kind == FeedItemOutcome.POSTED:
                try:
                    post, detail = _make_post(watch, entry, entry_key)
                except InvalidInput as exc:
                    kind, detail = FeedItemOutcome.FAILED, f"{exc.field}: {exc.message}"
            FeedItem.objects.create(
                watch=watch,
                entry_key=entry_key,
                link_key=link_key,
                title=entry.title[:300],
                link=entry.link[:2000],
                outcome=kind,
                detail=detail[:500],
                post=post,
            )
    except IntegrityError:
        # Another worker recorded the same entry (or its post) first: it is not ours to post.
        return None, None, ""
    return kind, post, detail


# --- the work kind ------------------------------------------------------------------------------


def claim_due(now: datetime, limit: int, owner: str) -> list[int]:
    return claim(
        FeedWatch,
        states=[FeedWatchState.ACTIVE],
        now=now,
        limit=limit,
        lease_seconds=LEASE_SECONDS,
        owner=owner,
        to_state=None,
        require_free_lease=True,
    )


def process_watch(watch_id: int, owner: str) -> str:
    watch = FeedWatch.objects.select_related("workspace").filter(pk=watch_id, lease_owner=owner).first()
    if watch is None or watch.state != FeedWatchState.ACTIVE:
        return "skipped"
    try:
        outcome = poll(watch)
    except Exception as exc:
        # A bug or a database hiccup on one watch must not stop the others; it is said on the watch.
        log.exception("feed watch %s failed", watch_id)
        FeedWatch.objects.filter(pk=watch_id).update(
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            error_count=watch.error_count + 1,
            due_at=timezone.now() + timedelta(minutes=max(watch.interval_minutes, 5)),
        )
        outcome = PollOutcome(error=str(exc))
    finally:
        FeedWatch.objects.filter(pk=watch_id, lease_owner=owner).update(lease_owner="", lease_until=None)
    if outcome.error:
        return "error"
    return f"posted {outcome.posted}" if outcome.posted else "nothing new"


def release(ids: list[int] | None, owner: str) -> int:
    qs = FeedWatch.objects.filter(lease_owner=owner)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(lease_owner="", lease_until=None)
