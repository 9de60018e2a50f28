"""The strategy page (objectives with progress and forecast, personas, pillars and their mix,
campaigns, budget) and the forms that create, edit and delete each kind of object."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamtam.accounts.forms import add_service_error
from tamtam.accounts.permissions import Cap, can
from tamtam.accounts.services import require
from tamtam.lib.errors import InvalidInput
from tamtam.lib.http import AuthedRequest
from tamtam.strategy import services
from tamtam.strategy.forms import FORMS, PeriodForm
from tamtam.strategy.models import BudgetLine, Campaign, Objective, Persona, Pillar

MODELS: dict[str, type[models.Model]] = {
    "objective": Objective,
    "persona": Persona,
    "pillar": Pillar,
    "campaign": Campaign,
    "budget": BudgetLine,
}


def _titles() -> dict[str, tuple[str, str]]:
    """(new …, edit …) headings per kind, translated at request time."""
    return {
        "objective": (_("New objective"), _("Edit objective")),
        "persona": (_("New persona"), _("Edit persona")),
        "pillar": (_("New pillar"), _("Edit pillar")),
        "campaign": (_("New campaign"), _("Edit campaign")),
        "budget": (_("New budget line"), _("Edit budget line")),
    }


def _period(request: AuthedRequest, workspace: object) -> tuple[PeriodForm, date, date]:
    start, end = services.current_period(workspace)  # type: ignore[arg-type]
    if "start" in request.GET or "end" in request.GET:
        form = PeriodForm(request.GET)
        if form.is_valid():
            return form, form.cleaned_data["start"], form.cleaned_data["end"]
        return form, start, end  # the errors are shown next to the fields; the default window is used
    return PeriodForm(initial={"start": start, "end": end}), start, end


@login_required
def strategy(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_STRATEGY)
    workspace = member.workspace
    period_form, start, end = _period(request, workspace)
    progress, computed_at, kept_s = services.kept_objectives_progress(workspace)
    return render(
        request,
        "strategy/strategy.html",
        {
            "workspace": workspace,
            "can_manage": can(member.role, Cap.MANAGE_STRATEGY),
            "analytics_ready": services.analytics() is not None,
            "progress": progress,
            "computed_at": computed_at,
            "kept_s": kept_s,
            "personas": Persona.objects.filter(workspace=workspace).prefetch_related("channels"),
            "campaigns": Campaign.objects.filter(workspace=workspace).prefetch_related("pillars", "personas"),
            "mix": services.pillar_mix(workspace, start, end),
            "budget": services.budget_summary(workspace, start, end),
            "budget_lines": services.budget_lines(workspace, start, end),
            "period_form": period_form,
            "start": start,
            "end": end,
        },
    )


def _edit(request: AuthedRequest, ws: int, kind: str, item_id: int | None) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_STRATEGY)
    workspace = member.workspace
    model = MODELS[kind]
    instance = get_object_or_404(model, workspace=workspace, pk=item_id) if item_id else None
    form_class = FORMS[kind]
    form = form_class(request.POST or None, instance=instance, workspace=workspace)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.save(workspace, request.user, model, dict(form.cleaned_data), instance)
            except InvalidInput as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("strategy:page", ws=ws)
        status = 400
    new_title, edit_title = _titles()[kind]
    return render(
        request,
        "strategy/edit.html",
        {
            "workspace": workspace,
            "form": form,
            "kind": kind,
            "instance": instance,
            "title": edit_title if instance else new_title,
        },
        status=status,
    )


@login_required
def create(request: AuthedRequest, ws: int, kind: str) -> HttpResponse:
    return _edit(request, ws, kind, None)


@login_required
def edit(request: AuthedRequest, ws: int, kind: str, **ids: int) -> HttpResponse:
    return _edit(request, ws, kind, next(iter(ids.values())))


@login_required
@require_POST
def remove(request: AuthedRequest, ws: int, kind: str, **ids: int) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_STRATEGY)
    obj = get_object_or_404(MODELS[kind], workspace=member.workspace, pk=next(iter(ids.values())))
    services.delete(member.workspace, request.user, obj)
    messages.success(request, _("Deleted."))
    return redirect("strategy:page", ws=ws)
