"""API: the strategy overview (objectives with progress and forecast, pillar mix, budget consumed)
and CRUD on objectives, personas, pillars, campaigns and budget lines.

Reading needs `view_strategy`, writing `manage_strategy`. Bad input: 422 naming the field with its
API name (`channel_ids`, `campaign_id`…)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query as QueryParams
from ninja import Router, Schema

from tamtam.accounts.api import COMMON, member_for
from tamtam.accounts.permissions import Cap
from tamtam.accounts.schemas import PathId
from tamtam.lib.errors import InvalidInput
from tamtam.strategy import schemas as s
from tamtam.strategy import services
from tamtam.strategy.models import BudgetLine, Campaign, Objective, Persona, Pillar

router = Router(tags=["strategy"])


def _save(
    request: HttpRequest, ws: int, model: type[models.Model], data: dict[str, Any], obj: Any = None
) -> Any:
    member = member_for(request, ws, Cap.MANAGE_STRATEGY)
    try:
        return services.save(member.workspace, request.user, model, s.to_model(data), obj)  # type: ignore[arg-type]
    except InvalidInput as exc:
        raise InvalidInput(s.MODEL_TO_API.get(exc.field, exc.field), exc.message) from None


def _crud(
    kind: str,
    path: str,
    model: type[models.Model],
    schema_in: type[Schema],
    schema_patch: type[Schema],
    schema_out: type[Schema],
    out: Callable[[Any], dict[str, Any]],
    prefetch: tuple[str, ...] = (),
) -> None:
    """List, create, get, patch and delete one kind of strategy object."""
    base = f"/workspaces/{{ws}}/strategy/{path}"
    one = f"{base}/{{item_id}}"

    def list_items(request: HttpRequest, ws: PathId) -> list[dict[str, Any]]:
        member_for(request, ws, Cap.VIEW_STRATEGY)
        return [out(o) for o in model._default_manager.filter(workspace_id=ws).prefetch_related(*prefetch)]

    def create_item(request: HttpRequest, ws: PathId, payload: Any) -> tuple[int, dict[str, Any]]:
        return 201, out(_save(request, ws, model, payload.dict()))

    def get_item(request: HttpRequest, ws: PathId, item_id: PathId) -> dict[str, Any]:
        member_for(request, ws, Cap.VIEW_STRATEGY)
        return out(get_object_or_404(model, workspace_id=ws, pk=item_id))

    def patch_item(request: HttpRequest, ws: PathId, item_id: PathId, payload: Any) -> dict[str, Any]:
        member_for(request, ws, Cap.MANAGE_STRATEGY)
        obj = get_object_or_404(model, workspace_id=ws, pk=item_id)
        return out(_save(request, ws, model, payload.dict(exclude_unset=True), obj))

    # The payload schema differs per kind: ninja reads it from the annotations, set here.
    create_item.__annotations__["payload"] = schema_in
    patch_item.__annotations__["payload"] = schema_patch

    def delete_item(request: HttpRequest, ws: PathId, item_id: PathId) -> tuple[int, None]:
        member = member_for(request, ws, Cap.MANAGE_STRATEGY)
        obj = get_object_or_404(model, workspace_id=ws, pk=item_id)
        services.delete(member.workspace, request.user, obj)  # type: ignore[arg-type]
        return 204, None

    label = kind.replace("_", " ")
    router.get(
        base,
        response={200: list[schema_out], **COMMON},  # type: ignore[valid-type]
        summary=f"List {label}s",
        operation_id=f"strategy_list_{kind}",
    )(list_items)
    router.post(
        base,
        response={201: schema_out, **COMMON},
        summary=f"Create a {label}",
        operation_id=f"strategy_create_{kind}",
    )(create_item)
    router.get(
        one, response={200: schema_out, **COMMON}, summary=f"One {label}", operation_id=f"strategy_get_{kind}"
    )(get_item)
    router.patch(
        one,
        response={200: schema_out, **COMMON},
        summary=f"Change a {label}",
        operation_id=f"strategy_patch_{kind}",
    )(patch_item)
    router.delete(
        one,
        response={204: None, **COMMON},
        summary=f"Delete a {label}",
        operation_id=f"strategy_delete_{kind}",
    )(delete_item)


def _objective_out(o: Objective) -> dict[str, Any]:
    return s.objective_out(o, services.objective_progress(o))


_crud(
    "objective",
    "objectives",
    Objective,
    s.ObjectiveIn,
    s.ObjectivePatch,
    s.ObjectiveOut,
    _objective_out,
    ("channels",),
)
_crud("persona", "personas", Persona, s.PersonaIn, s.PersonaPatch, s.PersonaOut, s.persona_out, ("channels",))
_crud("pillar", "pillars", Pillar, s.PillarIn, s.PillarPatch, s.PillarOut, s.pillar_out)
_crud(
    "campaign",
    "campaigns",
    Campaign,
    s.CampaignIn,
    s.CampaignPatch,
    s.CampaignOut,
    s.campaign_out,
    ("pillars", "personas"),
)
_crud(
    "budget_line",
    "budget-lines",
    BudgetLine,
    s.BudgetLineIn,
    s.BudgetLinePatch,
    s.BudgetLineOut,
    s.budget_line_out,
)


@router.get("/workspaces/{ws}/strategy", response={200: s.OverviewOut, **COMMON}, summary="Strategy overview")
def overview(request: HttpRequest, ws: PathId, period: QueryParams[s.PeriodIn]) -> dict[str, Any]:
    member = member_for(request, ws, Cap.VIEW_STRATEGY)
    workspace = member.workspace
    default_start, default_end = services.current_period(workspace)
    start, end = period.start or default_start, period.end or default_end
    if end < start:
        raise InvalidInput("end", _("must be on or after start"))
    if (end - start).days > 3660:
        raise InvalidInput("end", _("the period cannot be longer than ten years"))
    progress = services.objectives_progress(workspace)
    mix = services.pillar_mix(workspace, start, end)
    rows, totals = s.budget_out(services.budget_summary(workspace, start, end))
    return {
        "start": start,
        "end": end,
        "objectives": [s.objective_out(p.objective, p) for p in progress],
        "posts_published": mix.total_posts,
        "pillar_mix": s.mix_out(mix),
        "budget": rows,
        "budget_totals": totals,
    }
