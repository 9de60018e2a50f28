"""Inbox settings (SLA, approval rule, influencer threshold, saved replies, staff and blocked
accounts, webhook secrets), response metrics, and contests."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tamtam.accounts.models import User
from tamtam.channels.models import Channel
from tamtam.inbox import collect, contests, ingest, metrics, services
from tamtam.inbox.access import InboxCap, caps_of, require
from tamtam.inbox.models import Contest, ExcludedAccount, InboxSettings, SavedReply
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.lib.http import AuthedRequest


class SettingsForm(forms.ModelForm):
    class Meta:
        model = InboxSettings
        fields = [
            "sla_first_response_minutes",
            "sla_resolution_minutes",
            "influencer_followers",
            "brand_name",
            "approval_rule",
            "fetch_interval_seconds",
        ]


class SavedReplyForm(forms.ModelForm):
    class Meta:
        model = SavedReply
        fields = ["title", "body", "language"]
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"body": gettext_lazy("Variables: {first_name}, {author}, {brand}")}


class ContestForm(forms.ModelForm):
    class Meta:
        model = Contest
        fields = [
            "channel",
            "post_remote_id",
            "title",
            "keyword",
            "require_comment",
            "require_like",
            "one_entry_per_person",
            "starts_at",
            "ends_at",
            "winners_count",
            "announcement",
        ]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "announcement": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.filter(workspace_id=workspace_id)  # type: ignore[attr-defined]
        self.fields["announcement"].required = False
        self.fields["announcement"].help_text = _("Variables: {first_name}, {author}, {brand}, {title}")


@login_required
def inbox_settings(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, InboxCap.MANAGE)
    rules = ingest.settings_for(ws)
    form = SettingsForm(instance=rules)
    saved_form = SavedReplyForm()
    if request.method == "POST":
        what = request.POST.get("form")
        if what == "settings":
            form = SettingsForm(request.POST, instance=rules)
            if form.is_valid():
                form.save()
                messages.success(request, _("Inbox settings saved."))
                return redirect("inbox:settings", ws=ws)
        elif what == "saved_reply":
            saved_form = SavedReplyForm(request.POST)
            if saved_form.is_valid():
                services.create_saved_reply(ws, **saved_form.cleaned_data)
                messages.success(request, _("Saved reply added."))
                return redirect("inbox:settings", ws=ws)
        elif what == "delete_saved_reply":
            SavedReply.objects.filter(workspace_id=ws, pk=_int(request.POST.get("id"))).delete()
            return redirect("inbox:settings", ws=ws)
        elif what == "exclude":
            try:
                services.exclude_account(ws, request.POST.get("handle", ""), request.POST.get("reason", ""))
            except InvalidInput as exc:
                messages.error(request, str(exc.message))
            return redirect("inbox:settings", ws=ws)
        elif what == "unexclude":
            ExcludedAccount.objects.filter(workspace_id=ws, pk=_int(request.POST.get("id"))).delete()
            return redirect("inbox:settings", ws=ws)
        else:
            return HttpResponseBadRequest(_("unknown form"))
    channels = [
        {
            "channel": c,
            "secret": ingest.webhook_secret(c),
            "fetch": getattr(c, "inbox_fetch", None),
            "url": request.build_absolute_uri(reverse("inbox:webhook", args=[c.pk])),
        }
        for c in Channel.objects.filter(workspace_id=ws).select_related("inbox_fetch").order_by("name")
        if collect.can_fetch(c)
    ]
    return render(
        request,
        "inbox/settings.html",
        {
            "workspace": member.workspace,
            "form": form,
            "saved_form": saved_form,
            "saved_replies": SavedReply.objects.filter(workspace_id=ws),
            "excluded": ExcludedAccount.objects.filter(workspace_id=ws).order_by("reason", "handle"),
            "channels": channels,
            "inbox_caps": caps_of(member.role),
        },
    )


@login_required
def metrics_page(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, InboxCap.VIEW)
    found = metrics.response_metrics(ws)
    channel_names = dict(Channel.objects.filter(workspace_id=ws).values_list("id", "name"))
    people = dict(User.objects.filter(pk__in=list(found.by_person)).values_list("id", "username"))

    def row(label: str, figures: metrics.Figures) -> dict[str, Any]:
        return {
            "label": label,
            "f": figures,
            "first": metrics.human_duration(figures.first_response_median_s),
            "resolution": metrics.human_duration(figures.resolution_median_s),
            "first_sla": None
            if figures.first_response_within_sla is None
            else round(100 * figures.first_response_within_sla),
            "resolution_sla": None
            if figures.resolution_within_sla is None
            else round(100 * figures.resolution_within_sla),
        }

    return render(
        request,
        "inbox/metrics.html",
        {
            "workspace": member.workspace,
            "m": found,
            "overall": row(_("Workspace"), found.workspace),
            "channels": [row(channel_names.get(k, str(k)), v) for k, v in found.by_channel.items()],
            "people": [row(people.get(k, str(k)), v) for k, v in found.by_person.items()],
            "sla_first": metrics.human_duration(found.sla_first_response_s),
            "sla_resolution": metrics.human_duration(found.sla_resolution_s),
        },
    )


@login_required
def contest_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, InboxCap.MANAGE)
    form = ContestForm(request.POST or None, workspace_id=ws)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contest = contests.create_contest(
                member.workspace,
                request.user,
                channel_id=data["channel"].pk,
                post_remote_id=data["post_remote_id"],
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                winners_count=data["winners_count"],
                keyword=data["keyword"],
                require_comment=data["require_comment"],
                require_like=data["require_like"],
                one_entry_per_person=data["one_entry_per_person"],
                announcement=data["announcement"] or "",
            )
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            return redirect(reverse("inbox:contest", args=[ws]) + f"?id={contest.pk}")
    return render(
        request,
        "inbox/contests.html",
        {
            "workspace": member.workspace,
            "form": form,
            "contests": Contest.objects.filter(workspace_id=ws),
        },
    )


@login_required
def contest_detail(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, InboxCap.MANAGE)
    contest = Contest.objects.filter(
        workspace_id=ws, pk=_int(request.GET.get("id") or request.POST.get("id"))
    ).first()
    if contest is None:
        return HttpResponseBadRequest(_("no such contest"))
    verification = None
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "draw":
                contests.draw(contest, request.user)
                messages.success(request, _("Winners drawn; the seed is in the audit log."))
            elif action == "announce":
                contests.announce(contest, request.user, member.role)
                messages.success(request, _("Announcement replies queued."))
            elif action == "verify":
                verification = contests.verify(contest)
            else:
                return HttpResponseBadRequest(_("unknown action"))
        except Conflict as exc:
            messages.error(request, str(exc.message))
        if verification is None:
            return redirect(reverse("inbox:contest", args=[ws]) + f"?id={contest.pk}")
    contest.refresh_from_db()
    return render(
        request,
        "inbox/contest.html",
        {
            "workspace": member.workspace,
            "contest": contest,
            "entries": contests.entries(contest),
            "winners": contest.winners.select_related("message"),
            "verification": verification,
        },
    )


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
