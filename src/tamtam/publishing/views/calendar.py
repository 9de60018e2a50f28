"""Calendar pages, the events feed FullCalendar reads, drag-and-drop moves and the iCal feed.

Time zones: FullCalendar runs with timeZone "UTC" used as a plain wall clock. The server turns every
instant into the wall-clock time of the zone being shown and sends it without an offset; a move comes
back as a wall-clock time and is placed in that zone with timeutil.local_to_utc. The browser's own
zone never enters the picture, so a viewer in Montréal sees a Paris brand's 09:30 post at 09:30, and
DST days are right because only the server does zone arithmetic.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tamtam.accounts import services as accounts
from tamtam.accounts.models import Membership, Workspace
from tamtam.accounts.permissions import Cap, can
from tamtam.channels.models import Channel
from tamtam.channels.tokens import channel_warnings
from tamtam.lib import timeutil
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.lib.http import AuthedRequest
from tamtam.publishing import planning, services
from tamtam.publishing.models import PostTarget
from tamtam.publishing.states import TargetState
from tamtam.strategy.models import Campaign, Pillar

S = TargetState
# What services.reschedule_target accepts; only a hint for the UI (the service decides).
MOVABLE = services.PRE_FLIGHT | {S.PAUSED, S.FAILED, S.NEEDS_USER}
# Same palette as the .badge.state-* classes in app.css.
STATE_COLORS: dict[str, str] = {
    S.DRAFT: "#868e96",
    S.IN_REVIEW: "#f08c00",
    S.CHANGES_REQUESTED: "#f08c00",
    S.APPROVED: "#1c7ed6",
    S.SCHEDULED: "#3b5bdb",
    S.CLAIMED: "#3b5bdb",
    S.SENDING: "#3b5bdb",
    S.RETRY_WAIT: "#3b5bdb",
    S.PUBLISHED: "#2f9e44",
    S.FAILED: "#e03131",
    S.NEEDS_USER: "#e03131",
    S.UNCONFIRMED: "#e03131",
    S.PAUSED: "#495057",
    S.CANCELLED: "#495057",
}
# A wider window would let one request scan years of posts; FullCalendar never asks for more.
MAX_RANGE = timedelta(days=190)
EXCERPT = 60
VIEWS = ("dayGridMonth", "timeGridWeek", "listWeek", "listMonth")


# --- Small helpers shared by the planning views (queues, recurrence, import) -----------------------


def json_error(message: str, field: str = "", status: int = 400) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message, "field": field}, status=status)


@lru_cache(maxsize=1)
def _post_url_pattern() -> str:
    """The post detail URL with placeholders, from the composer's url names when they exist."""
    for name in ("post_id", "pk", "post"):
        try:
            url = reverse("publishing:post_detail", kwargs={"ws": 990001, name: 990002})
            return url.replace("990001", "{ws}").replace("990002", "{post}")
        except NoReverseMatch:
            continue
    return "/w/{ws}/posts/{post}/"


def post_url(ws: int, post_id: int) -> str:
    return _post_url_pattern().format(ws=ws, post=post_id)


def settings_url(ws: int) -> str:
    try:
        return reverse("workspace:settings", kwargs={"ws": ws})
    except NoReverseMatch:
        return f"/w/{ws}/settings/"


def ical_url(workspace: Workspace) -> str:
    return settings.BASE_URL + reverse("publishing:ical", kwargs={"token": workspace.ical_token})


def parse_when(value: str, field_name: str) -> tuple[datetime, bool]:
    """An ISO date or date-time: (value, has_offset). Raises InvalidInput naming the field."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T")) if value else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidInput(field_name, _("expected a date and time such as 2026-03-29T09:30"))
    return parsed, parsed.tzinfo is not None


def wall_clock_to_utc(value: str, tz: ZoneInfo, field_name: str) -> datetime:
    """A wall-clock time in `tz` (an explicit offset, if any, wins) to an aware UTC instant."""
    parsed, aware = parse_when(value, field_name)
    if aware:
        return parsed.astimezone(ZoneInfo("UTC"))
    return timeutil.local_to_utc(parsed.date(), parsed.time(), tz)


def zone_label(tz: ZoneInfo, at: datetime | None = None) -> str:
    offset = timeutil.to_local(at or timezone.now(), tz).strftime("%z")
    return f"{tz.key} (UTC{offset[:3]}:{offset[3:]})"


# --- Events ---------------------------------------------------------------------------------------


@dataclass
class Filters:
    channel: int | None = None
    campaign: int | None = None
    pillar: int | None = None
    states: list[str] = field(default_factory=list)
    workspace: int | None = None

    @classmethod
    def from_query(cls, query: Any) -> Filters:
        def as_id(name: str) -> int | None:
            raw = (query.get(name) or "").strip()
            if not raw:
                return None
            if not raw.isdigit():
                raise InvalidInput(name, _("expected an id"))
            return int(raw)

        states = [s for raw in query.getlist("state") for s in raw.split(",") if s]
        unknown = [s for s in states if s not in S.values]
        if unknown:
            raise InvalidInput("state", _("unknown state: %s") % ", ".join(unknown))
        return cls(as_id("channel"), as_id("campaign"), as_id("pillar"), states, as_id("workspace"))

    def apply(self, targets: QuerySet[PostTarget]) -> QuerySet[PostTarget]:
        if self.channel is not None:
            targets = targets.filter(channel_id=self.channel)
        if self.campaign is not None:
            targets = targets.filter(post__campaign_id=self.campaign)
        if self.pillar is not None:
            targets = targets.filter(post__pillar_id=self.pillar)
        if self.workspace is not None:
            targets = targets.filter(workspace_id=self.workspace)
        if self.states:
            return targets.filter(state__in=self.states)
        return targets.exclude(state=S.CANCELLED)  # cancelled posts only when asked for


def query_range(query: Any, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """FullCalendar's visible range (wall-clock in `tz`; its "Z" is an artefact of timeZone UTC)."""
    bounds = []
    for name in ("start", "end"):
        parsed, _aware = parse_when(query.get(name, ""), name)
        bounds.append(timeutil.local_to_utc(parsed.date(), parsed.time(), tz))
    start, end = bounds
    if end <= start:
        raise InvalidInput("end", _("the end must be after the start"))
    if end - start > MAX_RANGE:
        raise InvalidInput("end", _("ask for at most %d days at a time") % MAX_RANGE.days)
    return start, end


def excerpt(text: str, length: int = EXCERPT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


def target_event(target: PostTarget, tz: ZoneInfo, *, can_move: bool, cross: bool = False) -> dict[str, Any]:
    assert target.scheduled_at is not None  # the calendar only lists targets with a time
    local = timeutil.to_local(target.scheduled_at, tz).replace(tzinfo=None)
    text = target.text or target.post.text
    state_color = STATE_COLORS.get(target.state, "#868e96")
    ws = target.workspace
    editable = can_move and target.state in MOVABLE
    warnings = [] if target.published_at else channel_warnings(target.channel)
    return {
        "id": str(target.pk),
        "title": f"{'⚠ ' if warnings else ''}{target.channel.name} · {excerpt(text)}",
        "start": local.isoformat(timespec="seconds"),
        "allDay": False,
        "editable": editable,
        "backgroundColor": ws.color if cross else state_color,
        # Across workspaces the block is the workspace's colour and a dot gives the state.
        "borderColor": ws.color if cross else state_color,
        "textColor": "#ffffff",
        "classNames": [f"tt-state-{target.state}"],
        "extendedProps": {
            "target_id": target.pk,
            "post_id": target.post_id,
            "state": target.state,
            "state_label": str(target.get_state_display()),
            "state_color": state_color,
            "channel": target.channel.name,
            "channel_id": target.channel_id,
            "network": target.channel.network,
            "text": excerpt(text, 200),
            "remote_url": target.remote_url,
            "post_url": post_url(ws.pk, target.post_id),
            "move_url": reverse("publishing:move_target", kwargs={"ws": ws.pk, "target_id": target.pk})
            if editable
            else "",
            "workspace": ws.name,
            "workspace_id": ws.pk,
            "local_time": local.strftime("%Y-%m-%d %H:%M"),
            "channel_warnings": warnings,
        },
    }


def _targets_between(
    workspace_ids: list[int], start: datetime, end: datetime, filters: Filters
) -> QuerySet[PostTarget]:
    targets = (
        PostTarget.objects.filter(
            workspace_id__in=workspace_ids, scheduled_at__gte=start, scheduled_at__lt=end
        )
        .select_related("channel", "post", "workspace")
        .order_by("scheduled_at", "pk")
    )
    return filters.apply(targets)


def load_events(
    workspace: Workspace, start: datetime, end: datetime, channel_id: int | None
) -> list[dict[str, Any]]:
    """One background event per local day with the load of each capped channel; full days flagged.

    Same count as planning.day_load (planning.CAP_STATES, local day bounds) but in one query for the
    whole visible range rather than one per channel and day.
    """
    tz = workspace.tz
    channels = Channel.objects.filter(workspace=workspace).select_related("workspace")
    if channel_id is not None:
        channels = channels.filter(pk=channel_id)
    caps = {c.pk: (c, cap) for c in channels if (cap := planning.daily_cap(c))}
    if not caps:
        return []
    # Whole local days around the range, so that the first and last days count everything.
    first = timeutil.to_local(start, tz).date()
    last = timeutil.to_local(end - timedelta(microseconds=1), tz).date()  # the range's end is exclusive
    lo, _x = timeutil.local_day_bounds(first, tz)
    _y, hi = timeutil.local_day_bounds(last, tz)
    counts: dict[date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    rows = PostTarget.objects.filter(
        channel_id__in=caps, state__in=planning.CAP_STATES, scheduled_at__gte=lo, scheduled_at__lt=hi
    ).values_list("channel_id", "scheduled_at")
    for channel_pk, at in rows:
        if at is not None:  # filtered on scheduled_at; this only tells the type checker
            counts[timeutil.to_local(at, tz).date()][channel_pk] += 1
    events = []
    for day in sorted(counts):
        parts, full = [], []
        for channel_pk, count in sorted(counts[day].items(), key=lambda item: caps[item[0]][0].name):
            channel, cap = caps[channel_pk]
            parts.append({"channel": channel.name, "count": count, "cap": cap, "full": count >= cap})
            if count >= cap:
                full.append(channel.name)
        events.append(
            {
                "id": f"load-{day.isoformat()}",
                "start": day.isoformat(),
                "allDay": True,
                "display": "background",
                "title": " · ".join(f"{p['channel']} {p['count']}/{p['cap']}" for p in parts),
                "classNames": ["tt-load", "tt-load-full"] if full else ["tt-load"],
                "extendedProps": {"load": parts, "full": full},
            }
        )
    return events


# --- Pages ----------------------------------------------------------------------------------------


def _texts() -> dict[str, str]:
    return {
        "moved": _("Moved."),
        "refused": _("Not moved:"),
        "failed": _("The calendar could not reach the server. Try again."),
        "remote": _("Open on the network"),
        "published": _("Published"),
    }


def _initial(request: AuthedRequest) -> dict[str, Any]:
    view = request.GET.get("view", "")
    day = request.GET.get("date", "")
    try:
        date.fromisoformat(day)
    except ValueError:
        day = ""
    return {"view": view if view in VIEWS else "dayGridMonth", "date": day, "texts": _texts()}


@login_required
@require_GET
def calendar(request: AuthedRequest, ws: int) -> HttpResponse:
    member = accounts.require(request.user, ws, Cap.VIEW_CALENDAR)
    workspace = member.workspace
    tz = workspace.tz
    config = {
        "eventsUrl": reverse("publishing:calendar_events", kwargs={"ws": ws}),
        "loadUrl": reverse("publishing:calendar_load", kwargs={"ws": ws}),
        "goodSlotsUrl": reverse("analytics:good_slots", kwargs={"ws": ws}),  # best times, highlighted
        "timeZone": tz.key,
        "cross": False,
        **_initial(request),
    }
    return render(
        request,
        "publishing/calendar.html",
        {
            "workspace": workspace,
            "zone": zone_label(tz),
            "config": config,
            "channels": Channel.objects.filter(workspace=workspace).order_by("name"),
            "campaigns": Campaign.objects.filter(workspace=workspace).order_by("name"),
            "pillars": Pillar.objects.filter(workspace=workspace),
            "states": S.choices,
            "selected": request.GET,
            "can_move": can(member.role, Cap.SCHEDULE),
            "can_rotate": can(member.role, Cap.MANAGE_WORKSPACE),
            "ical_url": ical_url(workspace),
            "settings_url": settings_url(ws),
            "state_colors": [(value, label, STATE_COLORS[value]) for value, label in S.choices],
        },
    )


def _viewer_zone(request: AuthedRequest, workspaces: list[Workspace]) -> ZoneInfo:
    name = request.GET.get("tz", "")
    if name:
        try:
            return timeutil.zone(name)
        except timeutil.UnknownTimeZoneError as exc:
            raise InvalidInput("tz", str(exc)) from None
    return workspaces[0].tz if workspaces else ZoneInfo("UTC")


@login_required
@require_GET
def calendar_all(request: AuthedRequest) -> HttpResponse:
    workspaces = list(accounts.workspaces_for(request.user, Cap.VIEW_CALENDAR).order_by("name"))
    try:
        tz = _viewer_zone(request, workspaces)
    except InvalidInput:
        tz = workspaces[0].tz if workspaces else ZoneInfo("UTC")
    own_zones = list(dict.fromkeys([w.time_zone for w in workspaces] + ["UTC"]))
    config = {
        "eventsUrl": reverse("publishing:calendar_all_events"),
        "loadUrl": "",
        "timeZone": tz.key,
        "cross": True,
        **_initial(request),
    }
    return render(
        request,
        "publishing/calendar.html",
        {
            "workspace": None,
            "workspaces": workspaces,
            "zone": zone_label(tz),
            "zone_name": tz.key,
            "own_zones": own_zones,
            "other_zones": [z for z in timeutil.all_zone_names() if z not in own_zones],
            "config": config,
            "states": S.choices,
            "selected": request.GET,
            "state_colors": [(value, label, STATE_COLORS[value]) for value, label in S.choices],
        },
    )


@login_required
@require_GET
def calendar_events(request: AuthedRequest, ws: int) -> JsonResponse:
    member = accounts.require(request.user, ws, Cap.VIEW_CALENDAR)
    tz = member.workspace.tz
    try:
        filters = Filters.from_query(request.GET)
        start, end = query_range(request.GET, tz)
    except InvalidInput as exc:
        return json_error(exc.message, exc.field)
    filters.workspace = None  # this endpoint is one workspace's
    can_move = can(member.role, Cap.SCHEDULE)
    events = [target_event(t, tz, can_move=can_move) for t in _targets_between([ws], start, end, filters)]
    return JsonResponse(events, safe=False)


@login_required
@require_GET
def calendar_load(request: AuthedRequest, ws: int) -> JsonResponse:
    member = accounts.require(request.user, ws, Cap.VIEW_CALENDAR)
    try:
        filters = Filters.from_query(request.GET)
        start, end = query_range(request.GET, member.workspace.tz)
    except InvalidInput as exc:
        return json_error(exc.message, exc.field)
    return JsonResponse(load_events(member.workspace, start, end, filters.channel), safe=False)


@login_required
@require_GET
def calendar_all_events(request: AuthedRequest) -> JsonResponse:
    memberships = {m.workspace_id: m for m in Membership.objects.filter(user=request.user)}
    allowed = [ws for ws, m in memberships.items() if can(m.role, Cap.VIEW_CALENDAR)]
    workspaces = list(Workspace.objects.filter(pk__in=allowed).order_by("name"))
    try:
        tz = _viewer_zone(request, workspaces)
        filters = Filters.from_query(request.GET)
        start, end = query_range(request.GET, tz)
    except InvalidInput as exc:
        return json_error(exc.message, exc.field)
    movers = {ws for ws in allowed if can(memberships[ws].role, Cap.SCHEDULE)}
    events = [
        target_event(t, tz, can_move=t.workspace_id in movers, cross=True)
        for t in _targets_between(allowed, start, end, filters)
    ]
    return JsonResponse(events, safe=False)


@login_required
@require_POST
def move_target(request: AuthedRequest, ws: int, target_id: int) -> JsonResponse:
    """Drag and drop: {"start": wall-clock ISO, "tz": zone it was shown in (default the workspace's)}."""
    try:
        member = accounts.require(request.user, ws, Cap.SCHEDULE)
    except PermissionDenied:
        return json_error(_("Your role cannot move posts in this workspace."), status=403)
    target = get_object_or_404(PostTarget.objects.select_related("workspace"), pk=target_id, workspace_id=ws)
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise InvalidInput("", _("expected a JSON object"))
        tz = member.workspace.tz
        if body.get("tz"):
            try:
                tz = timeutil.zone(str(body["tz"]))
            except timeutil.UnknownTimeZoneError as exc:
                raise InvalidInput("tz", str(exc)) from None
        when = wall_clock_to_utc(str(body.get("start") or ""), tz, "start")
        target = services.reschedule_target(target, request.user, when)
    except json.JSONDecodeError:
        return json_error(_("expected a JSON object"))
    except InvalidInput as exc:
        return json_error(exc.message, exc.field)
    except Conflict as exc:
        return json_error(exc.message, status=409)
    assert target.scheduled_at is not None
    local = timeutil.to_local(target.scheduled_at, tz)
    return JsonResponse(
        {
            "ok": True,
            "message": _("Moved to %(when)s.") % {"when": local.strftime("%Y-%m-%d %H:%M")},
            "event": target_event(target, tz, can_move=True, cross=bool(body.get("tz"))),
        }
    )


@require_GET
def ical(request: AuthedRequest, token: str) -> HttpResponse:
    """The read-only feed calendar apps subscribe to: the secret token is the only credential."""
    workspace = Workspace.objects.filter(ical_token=token).first() if token else None
    if workspace is None:
        raise Http404("unknown calendar feed")
    response = HttpResponse(
        planning.ical_feed(workspace, settings.BASE_URL), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="tamtam-{workspace.slug or workspace.pk}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
