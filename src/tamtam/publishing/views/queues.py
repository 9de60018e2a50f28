"""Planning rules as pages: publishing queues with weekly slots, and recurring posts.

Everything a person types here is wall-clock time in the workspace's zone; planning.next_queue_slot and
planning.occurrences do the zone arithmetic (DST-safe), these views only collect and show.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tamtam.accounts import services as accounts
from tamtam.accounts.models import Workspace
from tamtam.accounts.permissions import Cap, can
from tamtam.channels.models import Channel
from tamtam.lib import timeutil
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.lib.http import AuthedRequest
from tamtam.publishing import planning, services
from tamtam.publishing.models import Post, PostTarget, Queue, QueueSlot, Recurrence
from tamtam.publishing.states import TargetState
from tamtam.publishing.views.calendar import excerpt, post_url

S = TargetState
WEEKDAYS = [
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
    (6, gettext_lazy("Sunday")),
]
RRULE_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
UPCOMING = 10
PREVIEW_COUNT = 5


# --- Queues -----------------------------------------------------------------------------------------


class QueueForm(forms.ModelForm):
    class Meta:
        model = Queue
        fields = ["name", "channels"]
        widgets = {"channels": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only this workspace's channels: a posted id from elsewhere is a form error, not a leak.
        channels = self.fields["channels"]
        assert isinstance(channels, forms.ModelMultipleChoiceField)
        channels.queryset = Channel.objects.filter(workspace=workspace).order_by("name")
        self.fields["channels"].label = _("Channels")


class SlotForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Days"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    time = forms.TimeField(label=gettext_lazy("Time"), widget=forms.TimeInput(attrs={"type": "time"}))


def _queue_or_404(workspace: Workspace, queue_id: int) -> Queue:
    return get_object_or_404(Queue, pk=queue_id, workspace=workspace)


def _to_queue(ws: int, queue_id: int) -> HttpResponse:
    return redirect(reverse("publishing:queues", kwargs={"ws": ws}) + f"#queue-{queue_id}")


def _upcoming(queue: Queue, now: datetime) -> list[Post]:
    # Same notion of "holds a slot" as planning.next_queue_slot: a post with a cancelled target frees it.
    return list(
        Post.objects.filter(queue=queue, scheduled_at__gte=now)
        .exclude(targets__state=S.CANCELLED)
        .prefetch_related(Prefetch("targets", queryset=PostTarget.objects.select_related("channel")))
        .order_by("scheduled_at")[:UPCOMING]
    )


def _queue_card(queue: Queue, now: datetime) -> dict[str, Any]:
    slots = list(queue.slots.all())
    columns = [(label, [s for s in slots if s.weekday == day]) for day, label in WEEKDAYS]
    posts = _upcoming(queue, now)
    from tamtam.analytics.besttime import suggest_for_queue  # best times learned from the account

    best, suggested = suggest_for_queue(queue)
    return {
        "queue": queue,
        "best_times": best,
        "suggested_slots": suggested,
        "columns": columns,
        "slot_count": len(slots),
        "next_slot": planning.next_queue_slot(queue, after=now),
        "upcoming": [
            {
                "post": p,
                "excerpt": excerpt(p.text, 90),
                "url": post_url(queue.workspace_id, p.pk),
                "targets": list(p.targets.all()),
            }
            for p in posts
        ],
    }


def _queues_page(
    request: AuthedRequest,
    ws: int,
    *,
    create_form: QueueForm | None = None,
    edit_forms: dict[int, QueueForm] | None = None,
    slot_forms: dict[int, SlotForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    member = accounts.require(request.user, ws, Cap.VIEW_CALENDAR)
    workspace = member.workspace
    now = timezone.now()
    queues = list(
        Queue.objects.filter(workspace=workspace).prefetch_related("channels", "slots").order_by("name")
    )
    can_manage = can(member.role, Cap.MANAGE_WORKSPACE)
    edit_forms = edit_forms or {}
    slot_forms = slot_forms or {}
    cards = []
    for queue in queues:
        card = _queue_card(queue, now)
        card["edit_form"] = edit_forms.get(queue.pk) or QueueForm(
            instance=queue, workspace=workspace, prefix=f"q{queue.pk}"
        )
        card["slot_form"] = slot_forms.get(queue.pk) or SlotForm(prefix=f"s{queue.pk}")
        cards.append(card)
    unscheduled = (
        (
            Post.objects.filter(workspace=workspace, scheduled_at__isnull=True)
            .exclude(targets__state__in=[S.PUBLISHED, S.CLAIMED, S.SENDING, S.CANCELLED])
            .order_by("-created_at")[:50]
        )
        if can(member.role, Cap.SCHEDULE)
        else []
    )
    return render(
        request,
        "publishing/queues.html",
        {
            "workspace": workspace,
            "zone": workspace.time_zone,
            "cards": cards,
            "can_manage": can_manage,
            "can_schedule": can(member.role, Cap.SCHEDULE),
            "create_form": create_form or QueueForm(workspace=workspace, prefix="new"),
            "unscheduled": [(p, excerpt(p.text, 70)) for p in unscheduled],
        },
        status=status,
    )


@login_required
def queues(request: AuthedRequest, ws: int) -> HttpResponse:
    return _queues_page(request, ws)


@login_required
@require_POST
def queue_create(request: AuthedRequest, ws: int) -> HttpResponse:
    member = accounts.require(request.user, ws, Cap.MANAGE_WORKSPACE)
    form = QueueForm(request.POST, workspace=member.workspace, prefix="new")
    if not form.is_valid():
        return _queues_page(request, ws, create_form=form, status=400)
    with transaction.atomic():
        queue = form.save(commit=False)
        queue.workspace = member.workspace
        queue.save()
        form.save_m2m()
        accounts.audit(member.workspace, request.user, "queue.created", queue, summary=queue.name)
    messages.success(request, _("Queue “%(name)s” created. Add its time slots below.") % {"name": queue.name})
    return _to_queue(ws, queue.pk)


@login_required
@require_POST
def queue_edit(request: AuthedRequest, ws: int, queue_id: int) -> HttpResponse:
    member = accounts.require(request.user, ws, Cap.MANAGE_WORKSPACE)
    queue = _queue_or_404(member.workspace, queue_id)
    form = QueueForm(request.POST, instance=queue, workspace=member.workspace, prefix=f"q{queue.pk}")
    if not form.is_valid():
        return _queues_page(request, ws, edit_forms={queue.pk: form}, status=400)
    with transaction.atomic():
        form.save()
        accounts.audit(member.workspace, request.user, "queue.updated", queue, summary=queue.name)
    messages.success(request, _("Queue saved."))
    return redirect("publishing:queues", ws=ws)


@login_required
@require_POST
def queue_delete(request: AuthedRequest, ws: int, queue_id: int) -> HttpResponse:
    member = accounts.require(request.user, ws, Cap.MANAGE_WORKSPACE)
    queue = _queue_or_404(member.workspace, queue_id)
    # Posts keep their time: deleting a queue only stops it from handing out new slots.
    with transaction.atomic():
        accounts.audit(
            member.workspace, request.user, "queue.deleted", None, summary=queue.name, queue_id=queue.pk
        )
        queue.delete()
    messages.success(request, _("Queue deleted. Posts already placed keep their time."))
    return redirect("publishing:queues", ws=ws)


@login_required
@require_POST
def slot_add(request: AuthedRequest, ws: int, queue_id: int) -> HttpResponse:
    member = accounts.require(request.user, ws, Cap.MANAGE_WORKSPACE)
    queue = _queue_or_404(member.workspace, queue_id)
    form = SlotForm(request.POST, prefix=f"s{queue.pk}")
    if not form.is_valid():
        return _queues_page(request, ws, slot_forms={queue.pk: form}, status=400)
    at: time = form.cleaned_data["time"].replace(second=0, microsecond=0)
    with transaction.atomic():
        added = [
            day
            for day in form.cleaned_data["weekdays"]
            if QueueSlot.objects.get_or_create(queue=queue, weekday=day, time=at)[1]
        ]
        accounts.audit(
            member.workspace,
            request.user,
            "queue.slots_added",
            queue,
            summary=f"{queue.name}: {at:%H:%M} on {len(added)} day(s)",
            weekdays=added,
        )
    messages.success(request, _("%(count)d time slot(s) added.") % {"count": len(added)})
    return _to_queue(ws, queue.pk)


@login_required
@require_POST
def slot_delete(request: AuthedRequest, ws: int, queue_id: int, slot_id: int) -> HttpResponse:
    member = accounts.require(request.user, ws, Cap.MANAGE_WORKSPACE)
    queue = _queue_or_404(member.workspace, queue_id)
    slot = get_object_or_404(QueueSlot, pk=slot_id, queue=queue)
    with transaction.atomic():
        accounts.audit(
            member.workspace,
            request.user,
            "queue.slot_removed",
            queue,
            summary=f"{queue.name}: {slot.weekday} {slot.time:%H:%M}",
        )
        slot.delete()
    return _to_queue(ws, queue.pk)


@login_required
@require_POST
def queue_add_post(request: AuthedRequest, ws: int, queue_id: int) -> HttpResponse:
    member = accounts.require(request.user, ws, Cap.SCHEDULE)
    queue = _queue_or_404(member.workspace, queue_id)
    raw = request.POST.get("post_id", "")
    post = get_object_or_404(Post, pk=int(raw), workspace=member.workspace) if raw.isdigit() else None
    if post is None:
        messages.error(request, _("Choose a post to add to the queue."))
        return redirect("publishing:queues", ws=ws)
    try:
        post = services.add_to_queue(post, request.user, queue.pk)
    except (InvalidInput, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        assert post.scheduled_at is not None
        local = timeutil.to_local(post.scheduled_at, member.workspace.tz)
        messages.success(
            request,
            _("Added to “%(queue)s” at %(when)s.")
            % {"queue": queue.name, "when": local.strftime("%Y-%m-%d %H:%M")},
        )
    return _to_queue(ws, queue.pk)


# --- Recurring posts ----------------------------------------------------------------------------


class RecurrenceForm(forms.Form):
    FREQUENCIES = [
        ("DAILY", gettext_lazy("Every day")),
        ("WEEKLY", gettext_lazy("Every week")),
        ("MONTHLY", gettext_lazy("Every month")),
    ]

    frequency = forms.ChoiceField(
        label=gettext_lazy("Repeat"), choices=FREQUENCIES, initial="WEEKLY", widget=forms.RadioSelect
    )
    interval = forms.IntegerField(
        label=gettext_lazy("Every"),
        min_value=1,
        max_value=52,
        initial=1,
        help_text=gettext_lazy("1 = every day / week / month, 2 = every other one…"),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("On"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    monthday = forms.IntegerField(
        label=gettext_lazy("On day"),
        min_value=1,
        max_value=31,
        required=False,
        help_text=gettext_lazy("Months without this day are skipped."),
    )
    until = forms.DateField(
        label=gettext_lazy("Until (included)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Leave empty to repeat until stopped."),
    )

    def __init__(self, *args: Any, first_local: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.first_local = first_local  # the post's own time, in the workspace's zone
        self.fields["weekdays"].initial = [first_local.weekday()]
        self.fields["monthday"].initial = first_local.day
        self.rrule = ""

    def default_data(self) -> dict[str, Any]:
        """What the page starts from: every week on the post's own weekday."""
        return {
            "frequency": "WEEKLY",
            "interval": 1,
            "weekdays": [str(self.first_local.weekday())],
            "monthday": self.first_local.day,
            "until": "",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        freq = data.get("frequency")
        if not freq or data.get("interval") is None:
            return data
        parts = [f"FREQ={freq}"]
        if data["interval"] > 1:
            parts.append(f"INTERVAL={data['interval']}")
        if freq == "WEEKLY":
            if not data.get("weekdays"):
                self.add_error("weekdays", _("Choose at least one day."))
                return data
            parts.append("BYDAY=" + ",".join(RRULE_DAYS[d] for d in sorted(set(data["weekdays"]))))
        elif freq == "MONTHLY":
            if not data.get("monthday"):
                self.add_error("monthday", _("Choose the day of the month."))
                return data
            parts.append(f"BYMONTHDAY={data['monthday']}")
        # Pinning the hour keeps "09:30" on the wall clock whatever the DST offset (planning.occurrences).
        parts += [f"BYHOUR={self.first_local.hour}", f"BYMINUTE={self.first_local.minute}"]
        until = data.get("until")
        if until is not None and until < self.first_local.date():
            self.add_error("until", _("The end date is before the first post."))
            return data
        try:
            self.rrule = planning.validate_rrule(";".join(parts))
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None
        return data

    def until_utc(self, workspace: Workspace) -> datetime | None:
        until = self.cleaned_data.get("until")
        if until is None:
            return None
        # The whole local day is included: the bound is the start of the next local day, minus a tick.
        return timeutil.local_day_bounds(until, workspace.tz)[1] - timedelta(seconds=1)


def preview(
    workspace: Workspace, first: datetime, rule: str, until: datetime | None, count: int = PREVIEW_COUNT
) -> list[datetime]:
    """The next `count` occurrences after the first post, as aware datetimes in the workspace's zone."""
    probe = Recurrence(workspace=workspace, rrule=rule, starts_at=first, until=until)
    start = max(first + timedelta(seconds=1), timezone.now())
    found: list[datetime] = []
    span = timedelta(days=62)
    # Widen the window until enough occurrences show up: a monthly rule on the 31st is sparse.
    while len(found) < count and span <= timedelta(days=800):
        found = planning.occurrences(probe, start, start + span)
        span *= 2
    return [timeutil.to_local(at, workspace.tz) for at in found[:count]]


def _recurrence_context(request: AuthedRequest, ws: int, post_id: int) -> dict[str, Any]:
    member = accounts.require(request.user, ws, Cap.SCHEDULE)
    post = get_object_or_404(
        Post.objects.select_related("workspace", "recurrence"), pk=post_id, workspace_id=ws
    )
    current = post.recurrence if post.recurrence and post.recurrence.template_id == post.pk else None
    return {
        "member": member,
        "workspace": member.workspace,
        "post": post,
        "current": current,
        "post_url": post_url(ws, post.pk),
        "excerpt": excerpt(post.text, 140),
        "zone": member.workspace.time_zone,
    }


def _form(ctx: dict[str, Any], data: Any = None) -> RecurrenceForm | None:
    post: Post = ctx["post"]
    if post.scheduled_at is None:
        return None
    first_local = timeutil.to_local(post.scheduled_at, ctx["workspace"].tz)
    ctx["first_local"] = first_local
    return RecurrenceForm(data, first_local=first_local)


def _planned_occurrences(rec: Recurrence) -> list[Post]:
    return list(
        Post.objects.filter(recurrence=rec, scheduled_at__gte=timezone.now())
        .exclude(pk=rec.template_id)
        .exclude(targets__state=S.CANCELLED)
    )


def _cancel_planned(rec: Recurrence, actor: Any) -> int:
    cancelled = 0
    for post in _planned_occurrences(rec):
        try:
            services.cancel_post(post, actor)
            cancelled += 1
        except Conflict:
            continue  # being sent right now: it goes out, like any post already under way
    return cancelled


@login_required
def recurrence(request: AuthedRequest, ws: int, post_id: int) -> HttpResponse:
    ctx = _recurrence_context(request, ws, post_id)
    form = _form(ctx, request.POST if request.method == "POST" else None)
    if form is not None and not form.is_bound:
        form = _form(ctx, form.default_data())  # bound, so the page opens with a preview
    if request.method == "POST" and form is not None and form.is_valid():
        post, workspace = ctx["post"], ctx["workspace"]
        try:
            with transaction.atomic():
                replaced = 0
                if ctx["current"] is not None:
                    # A new rule replaces the old one; the old one's planned posts would double it.
                    Recurrence.objects.filter(pk=ctx["current"].pk).update(active=False)
                    replaced = _cancel_planned(ctx["current"], request.user)
                rec = planning.make_recurring(post, form.rrule, form.until_utc(workspace))
                accounts.audit(
                    workspace,
                    request.user,
                    "post.recurrence_set",
                    post,
                    summary=rec.rrule,
                    replaced_cancelled=replaced,
                )
        except InvalidInput as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _(
                    "This post now repeats. Its next occurrences appear in the calendar "
                    "within a few minutes, two weeks ahead."
                ),
            )
            return redirect("publishing:recurrence", ws=ws, post_id=post_id)
    if form is not None and form.is_bound and form.is_valid():
        ctx["occurrences"] = preview(
            ctx["workspace"], ctx["post"].scheduled_at, form.rrule, form.until_utc(ctx["workspace"])
        )
    if ctx["current"] is not None:
        cur = ctx["current"]
        ctx["current_next"] = preview(ctx["workspace"], cur.starts_at, cur.rrule, cur.until)
        ctx["current_planned"] = len(_planned_occurrences(cur))
    ctx["form"] = form
    status = 400 if request.method == "POST" else 200
    return render(request, "publishing/recurrence.html", ctx, status=status)


@login_required
@require_POST
def recurrence_preview(request: AuthedRequest, ws: int, post_id: int) -> HttpResponse:
    """htmx: the rule and the next occurrences for the form as it stands, without saving."""
    ctx = _recurrence_context(request, ws, post_id)
    form = _form(ctx, request.POST)
    if form is not None and form.is_valid():
        ctx["occurrences"] = preview(
            ctx["workspace"], ctx["post"].scheduled_at, form.rrule, form.until_utc(ctx["workspace"])
        )
    ctx["form"] = form
    return render(request, "publishing/recurrence_preview.html", ctx)


@login_required
@require_POST
def recurrence_stop(request: AuthedRequest, ws: int, post_id: int) -> HttpResponse:
    ctx = _recurrence_context(request, ws, post_id)
    current: Recurrence | None = ctx["current"]
    if current is None:
        messages.error(request, _("This post does not repeat."))
        return redirect("publishing:recurrence", ws=ws, post_id=post_id)
    with transaction.atomic():
        Recurrence.objects.filter(pk=current.pk).update(active=False)
        Post.objects.filter(pk=post_id).update(recurrence=None)
        cancelled = _cancel_planned(current, request.user) if request.POST.get("cancel_planned") else 0
        accounts.audit(
            ctx["workspace"],
            request.user,
            "post.recurrence_stopped",
            ctx["post"],
            summary=current.rrule,
            cancelled=cancelled,
        )
    messages.success(
        request,
        _("The post no longer repeats. %(count)d planned occurrence(s) cancelled.") % {"count": cancelled},
    )
    return redirect("publishing:recurrence", ws=ws, post_id=post_id)
