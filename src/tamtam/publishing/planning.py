"""Calendar rules: daily caps, queue slots, recurring posts (DST-safe), client approval links, iCal."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from dateutil.rrule import rrulestr
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel
from tamtam.lib import timeutil
from tamtam.lib.errors import InvalidInput
from tamtam.networks.base import Limits
from tamtam.publishing.models import Approval, Post, PostSource, PostTarget, Queue, Recurrence
from tamtam.publishing.states import TargetState

S = TargetState
# Targets that occupy a slot of the channel's daily publishing cap.
CAP_STATES = [S.SCHEDULED, S.CLAIMED, S.SENDING, S.RETRY_WAIT, S.UNCONFIRMED, S.PUBLISHED]


def channel_limits(channel: Channel) -> Limits | None:
    """The limits of the network the channel publishes to (the sandbox poses as its `flavor`)."""
    try:
        from tamtam.networks.limits import limits_for
    except ImportError:  # pragma: no cover - limits module always ships
        return None
    key = channel.options.get("flavor", "") if channel.network == "sandbox" else channel.network
    try:
        return limits_for(key) if key else None
    except KeyError:
        return None


def daily_cap(channel: Channel) -> int | None:
    if channel.daily_cap:
        return channel.daily_cap
    limits = channel_limits(channel)
    return limits.daily_cap if limits else None


def check_daily_cap(channel: Channel, when: datetime, exclude_target_id: int | None = None) -> None:
    """Refuse a time on a local day that already has the channel's daily cap of posts."""
    cap = daily_cap(channel)
    if not cap:
        return
    tz = timeutil.zone(channel.workspace.time_zone)
    day = timeutil.to_local(when, tz).date()
    start, end = timeutil.local_day_bounds(day, tz)
    taken = PostTarget.objects.filter(
        channel=channel, state__in=CAP_STATES, scheduled_at__gte=start, scheduled_at__lt=end
    )
    if exclude_target_id is not None:
        taken = taken.exclude(pk=exclude_target_id)
    if taken.count() >= cap:
        raise InvalidInput(
            "scheduled_at",
            _("%(channel)s allows %(cap)d posts a day and %(day)s is full; choose another day")
            % {"channel": channel.name, "cap": cap, "day": day.isoformat()},
        )


def day_load(channel: Channel, day: date) -> tuple[int, int | None]:
    """(posts on that local day, cap) — what the calendar shows when scheduling."""
    tz = timeutil.zone(channel.workspace.time_zone)
    start, end = timeutil.local_day_bounds(day, tz)
    count = PostTarget.objects.filter(
        channel=channel, state__in=CAP_STATES, scheduled_at__gte=start, scheduled_at__lt=end
    ).count()
    return count, daily_cap(channel)


# --- Queues -------------------------------------------------------------------------------------


def next_queue_slot(queue: Queue, after: datetime, horizon_days: int = 56) -> datetime | None:
    """The first weekly slot after `after` (workspace wall-clock time) that no post of the queue holds."""
    tz = timeutil.zone(queue.workspace.time_zone)
    slots = list(queue.slots.all())
    if not slots:
        return None
    start_day = timeutil.to_local(after, tz).date()
    taken = set(
        Post.objects.filter(queue=queue, scheduled_at__gte=after)
        .exclude(targets__state=S.CANCELLED)
        .values_list("scheduled_at", flat=True)
    )
    for offset in range(horizon_days + 1):
        day = start_day + timedelta(days=offset)
        for slot in slots:
            if slot.weekday != day.weekday():
                continue
            at = timeutil.local_to_utc(day, slot.time, tz)
            if at > after and at not in taken:
                return at
    return None


# --- Recurring posts ------------------------------------------------------------------------------


def validate_rrule(rule: str) -> str:
    rule = rule.strip().removeprefix("RRULE:")
    try:
        rrulestr(rule, dtstart=datetime(2026, 1, 1))  # noqa: DTZ001 - syntax check only
    except (ValueError, TypeError) as exc:
        raise InvalidInput("rrule", _("not a valid recurrence rule: %s") % exc) from None
    if "FREQ=" not in rule.upper():
        raise InvalidInput("rrule", _("FREQ is required (e.g. FREQ=WEEKLY;BYDAY=MO)"))
    if any(part in rule.upper() for part in ("FREQ=SECONDLY", "FREQ=MINUTELY")):
        raise InvalidInput("rrule", _("posts cannot recur more than hourly"))
    return rule


def occurrences(recurrence: Recurrence, start: datetime, end: datetime) -> list[datetime]:
    """Occurrences in [start, end) as UTC instants, computed on the workspace's wall clock.

    The rule runs on naive local times (so "every Monday 09:00" stays 09:00 across DST changes), and
    each local time is then placed in the zone with timeutil.local_to_utc (gaps move forward).
    """
    tz = timeutil.zone(recurrence.workspace.time_zone)
    local_start = timeutil.to_local(recurrence.starts_at, tz).replace(tzinfo=None)
    rule = rrulestr(recurrence.rrule, dtstart=local_start)
    result = []
    local_from = timeutil.to_local(start, tz).replace(tzinfo=None) - timedelta(hours=3)
    local_to = timeutil.to_local(end, tz).replace(tzinfo=None) + timedelta(hours=3)
    for local in rule.between(local_from, local_to, inc=True):
        at = timeutil.local_to_utc(local.date(), local.time(), tz)
        if start <= at < end and (recurrence.until is None or at <= recurrence.until):
            result.append(at)
    return result


def expand_recurrences(now: datetime | None = None, horizon_days: int = 14) -> int:
    """Create the occurrences of every active recurring post up to the horizon. Idempotent."""
    from tamtam.publishing import services

    now = now or timezone.now()
    horizon = now + timedelta(days=horizon_days)
    created = 0
    for rec in Recurrence.objects.filter(active=True).select_related("workspace", "template"):
        start = max(rec.generated_until or rec.starts_at, now)
        for at in occurrences(rec, start, horizon):
            with transaction.atomic():
                key = f"rec:{rec.pk}:{at.isoformat()}"
                if Post.objects.filter(workspace=rec.workspace, import_key=key).exists():
                    continue
                post = _copy_post(rec.template, at, key, rec)
                # The template's approval covers its occurrences: same words, new time.
                for approval in Approval.objects.filter(post=rec.template, version=rec.template.version):
                    Approval.objects.create(
                        post=post,
                        step=approval.step,
                        decision=approval.decision,
                        version=post.version,
                        user=approval.user,
                        reviewer_name=approval.reviewer_name,
                        comment=approval.comment,
                    )
                services.submit(post, None)
                created += 1
        Recurrence.objects.filter(pk=rec.pk).update(generated_until=horizon)
    return created


def _copy_post(template: Post, at: datetime, key: str, rec: Recurrence) -> Post:
    post = Post.objects.create(
        workspace=template.workspace,
        author=template.author,
        text=template.text,
        link=template.link,
        utm_source=template.utm_source,
        utm_medium=template.utm_medium,
        utm_campaign=template.utm_campaign,
        utm_content=template.utm_content,
        campaign=template.campaign,
        pillar=template.pillar,
        scheduled_at=at,
        source=PostSource.RECURRENCE,
        import_key=key,
        recurrence=rec,
    )
    post.personas.set(template.personas.all())
    for t in template.targets.all():
        copy = PostTarget.objects.create(
            post=post,
            channel=t.channel,
            workspace=post.workspace,
            text=t.text,
            link=t.link,
            first_comment=t.first_comment,
            scheduled_at=at,
            state=S.DRAFT,
        )
        copy.media.set(t.media.all())
    return post


@transaction.atomic
def make_recurring(post: Post, rule: str, until: datetime | None = None) -> Recurrence:
    post = Post.objects.select_related("workspace").get(pk=post.pk)
    first = post.scheduled_at
    if first is None:
        raise InvalidInput("scheduled_at", _("set the first date before making the post recurring"))
    rule = validate_rrule(rule)
    rec = Recurrence.objects.create(
        workspace=post.workspace,
        template=post,
        rrule=rule,
        starts_at=first,
        until=until,
        generated_until=first + timedelta(seconds=1),
    )
    Post.objects.filter(pk=post.pk).update(recurrence=rec)
    return rec


# --- Client approval links ----------------------------------------------------------------------

APPROVAL_SALT = "tamtam.publishing.approval-link"
APPROVAL_LINK_MAX_AGE = timedelta(days=30)


def approval_token(post: Post) -> str:
    """A signed token for the client's review of this post version; an edit invalidates it."""
    return signing.dumps({"p": post.pk, "v": post.version, "w": post.workspace_id}, salt=APPROVAL_SALT)


class BadApprovalLink(Exception):
    pass


def read_approval_token(token: str) -> tuple[Post, int]:
    try:
        data: dict[str, Any] = signing.loads(token, salt=APPROVAL_SALT, max_age=APPROVAL_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise BadApprovalLink(_("This approval link has expired. Ask for a new one.")) from None
    except (signing.BadSignature, ValueError):
        raise BadApprovalLink(_("This approval link is not valid.")) from None
    if not isinstance(data, dict) or not {"p", "w", "v"} <= data.keys():
        raise BadApprovalLink(_("This approval link is not valid."))
    post = (
        Post.objects.select_related("workspace")
        .filter(pk=int(data["p"]), workspace_id=int(data["w"]))
        .first()
    )
    if post is None:
        raise BadApprovalLink(_("This post no longer exists."))
    return post, int(data.get("v", 0))


# --- iCal feed ------------------------------------------------------------------------------------


def ical_feed(workspace: Workspace, base_url: str, days_back: int = 30, days_ahead: int = 180) -> bytes:
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//tamtam//calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"tamtam · {workspace.name}")
    cal.add("x-wr-timezone", workspace.time_zone)
    now = timezone.now()
    targets = (
        PostTarget.objects.filter(
            workspace=workspace,
            scheduled_at__gte=now - timedelta(days=days_back),
            scheduled_at__lte=now + timedelta(days=days_ahead),
        )
        .exclude(state=S.CANCELLED)
        .select_related("channel", "post")
        .order_by("scheduled_at")
    )
    for target in targets:
        start = target.scheduled_at
        assert start is not None  # filtered on scheduled_at above
        event = Event()
        event.add("uid", f"target-{target.pk}@tamtam")
        event.add("summary", f"[{target.channel.name}] {(target.text or target.post.text)[:80]}")
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=15))
        event.add("dtstamp", now)
        event.add("description", f"{target.get_state_display()}\n\n{target.text}")
        event.add("url", target.remote_url or f"{base_url}/w/{workspace.pk}/posts/{target.post_id}/")
        event.add("status", "CONFIRMED" if target.state in (S.SCHEDULED, S.PUBLISHED) else "TENTATIVE")
        cal.add_component(event)
    return cal.to_ical()
