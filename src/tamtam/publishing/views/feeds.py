"""RSS/Atom input pages: the watched feeds of a workspace, add/edit/pause/delete, and a preview of the
posts the next entries would become. Thin: forms collect, `publishing.feeds` acts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tamtam.accounts import services as accounts
from tamtam.accounts.models import Membership, Workspace
from tamtam.accounts.permissions import Cap, can
from tamtam.channels.models import Channel
from tamtam.lib.errors import InvalidInput
from tamtam.lib.http import AuthedRequest
from tamtam.publishing import feeds
from tamtam.publishing.feed_models import FeedWatch
from tamtam.publishing.models import Queue

RECENT_ITEMS = 10


class FeedWatchForm(forms.ModelForm):
    class Meta:
        model = FeedWatch
        fields = ["name", "url", "channels", "mode", "queue", "template", "daily_cap", "interval_minutes"]
        widgets = {
            "channels": forms.CheckboxSelectMultiple,
            "template": forms.Textarea(attrs={"rows": 4}),
            "mode": forms.RadioSelect,
        }
        help_texts = {
            "template": gettext_lazy("Placeholders: {title}, {link}, {summary}."),
            "daily_cap": gettext_lazy("New items beyond this number in a day are skipped, not delayed."),
        }

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channels = self.fields["channels"]
        queue = self.fields["queue"]
        assert isinstance(channels, forms.ModelMultipleChoiceField)
        assert isinstance(queue, forms.ModelChoiceField)
        # Only this workspace's channels and queues: a posted id from elsewhere is a form error.
        channels.queryset = Channel.objects.filter(workspace=workspace).order_by("name")
        queue.queryset = Queue.objects.filter(workspace=workspace).order_by("name")
        self.fields["daily_cap"].min_value = 1  # type: ignore[attr-defined]
        self.fields["interval_minutes"].widget.attrs["min"] = 5
        self.workspace = workspace

    def clean_template(self) -> str:
        template = str(self.cleaned_data["template"])
        try:
            return feeds.validate_template(template)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean_interval_minutes(self) -> int:
        value = int(self.cleaned_data["interval_minutes"])
        if value < 5:
            raise forms.ValidationError(_("check a feed at most every 5 minutes"))
        return value

    def clean_daily_cap(self) -> int:
        value = int(self.cleaned_data["daily_cap"])
        if value < 1:
            raise forms.ValidationError(_("at least one post per day"))
        return value


def _watch_or_404(workspace: Workspace, watch_id: int) -> FeedWatch:
    return get_object_or_404(FeedWatch, pk=watch_id, workspace=workspace)


def _save(request: AuthedRequest, form: FeedWatchForm) -> FeedWatch | None:
    """Save through the service; its refusals become form errors on the field they name."""
    watch = form.save(commit=False)
    watch.workspace = form.workspace
    try:
        with transaction.atomic():
            return feeds.save_watch(watch, request.user, [c.pk for c in form.cleaned_data["channels"]])
    except InvalidInput as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None


def _edit_page(
    request: AuthedRequest,
    member: Membership,
    form: FeedWatchForm,
    watch: FeedWatch | None,
    status: int = 200,
) -> HttpResponse:
    workspace = member.workspace
    preview_items: list[feeds.PreviewItem] = []
    preview_error = ""
    wants_preview = request.method == "POST" and "preview" in request.POST
    if wants_preview and form.is_valid():
        preview_items, preview_error = feeds.preview(
            form.cleaned_data["url"], form.cleaned_data["template"], watch=watch
        )
    return render(
        request,
        "publishing/feed_edit.html",
        {
            "workspace": workspace,
            "form": form,
            "watch": watch,
            "preview_items": preview_items,
            "preview_error": preview_error,
            # Only on request: a page view never waits on a slow feed server.
            "previewed": wants_preview and form.is_valid(),
            "recent": list(watch.items.select_related("post")[:RECENT_ITEMS]) if watch else [],
            "can_manage": can(member.role, Cap.MANAGE_WORKSPACE),
        },
        status=status,
    )


@login_required
def feed_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = accounts.require(request.user, ws, Cap.VIEW_CALENDAR)
    watches = (
        FeedWatch.objects.filter(workspace=member.workspace)
        .prefetch_related("channels")
        .select_related("queue")
    )
    return render(
        request,
        "publishing/feeds.html",
        {
            "workspace": member.workspace,
            "watches": list(watches),
            "can_manage": can(member.role, Cap.MANAGE_WORKSPACE),
        },
    )


@login_required
def feed_create(request: AuthedRequest, ws: int) -> HttpResponse:
    member = accounts.require(request.user, ws, Cap.MANAGE_WORKSPACE)
    workspace = member.workspace
    if request.method != "POST":
        return _edit_page(request, member, FeedWatchForm(workspace=workspace), None)
    form = FeedWatchForm(request.POST, workspace=workspace)
    if "preview" in request.POST or not form.is_valid():
        return _edit_page(request, member, form, None, status=200 if form.is_valid() else 400)
    watch = _save(request, form)
    if watch is None:
        return _edit_page(request, member, form, None, status=400)
    messages.success(
        request,
        _("Feed “%(name)s” added. Entries already in it are remembered; new ones become posts.")
        % {"name": watch.name},
    )
    return redirect("publishing:feed_edit", ws=ws, watch_id=watch.pk)


@login_required
def feed_edit(request: AuthedRequest, ws: int, watch_id: int) -> HttpResponse:
    member = accounts.require(request.user, ws, Cap.VIEW_CALENDAR)
    workspace = member.workspace
    watch = _watch_or_404(workspace, watch_id)
    if request.method != "POST":
        return _edit_page(request, member, FeedWatchForm(instance=watch, workspace=workspace), watch)
    accounts.require(request.user, ws, Cap.MANAGE_WORKSPACE)
    form = FeedWatchForm(request.POST, instance=watch, workspace=workspace)
    if "preview" in request.POST or not form.is_valid():
        return _edit_page(request, member, form, watch, status=200 if form.is_valid() else 400)
    if _save(request, form) is None:
        return _edit_page(request, member, form, watch, status=400)
    messages.success(request, _("Feed saved."))
    return redirect("publishing:feed_edit", ws=ws, watch_id=watch.pk)


@login_required
@require_POST
def feed_pause(request: AuthedRequest, ws: int, watch_id: int) -> HttpResponse:
    member = accounts.require(request.user, ws, Cap.MANAGE_WORKSPACE)
    watch = _watch_or_404(member.workspace, watch_id)
    paused = not watch.paused
    feeds.set_paused(watch, request.user, paused)
    messages.success(request, _("Feed paused.") if paused else _("Feed resumed: it is read again now."))
    return redirect("publishing:feeds", ws=ws)


@login_required
@require_POST
def feed_delete(request: AuthedRequest, ws: int, watch_id: int) -> HttpResponse:
    member = accounts.require(request.user, ws, Cap.MANAGE_WORKSPACE)
    watch = _watch_or_404(member.workspace, watch_id)
    with transaction.atomic():
        accounts.audit(
            member.workspace, request.user, "feed.deleted", None, summary=watch.url, feed_id=watch.pk
        )
        watch.delete()
    messages.success(request, _("Feed deleted. Posts it created stay."))
    return redirect("publishing:feeds", ws=ws)
