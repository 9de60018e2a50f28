"""API: listening queries (CRUD) and the workspace's mentions (list with filters)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query as QueryParams
from ninja import Router

from tamtam.accounts.api import COMMON, member_for
from tamtam.accounts.permissions import Cap
from tamtam.accounts.schemas import PathId
from tamtam.lib.errors import InvalidInput
from tamtam.listening import analytics, services
from tamtam.listening.models import MentionMatch, MentionSource, Query, Source
from tamtam.listening.schemas import (
    MentionFiltersIn,
    MentionPage,
    QueryIn,
    QueryOut,
    QueryPatch,
    mention_out,
    query_out,
)

router = Router(tags=["listening"])


@router.get("/workspaces/{ws}/listening/queries", response={200: list[QueryOut], **COMMON}, summary="Queries")
def list_queries(request: HttpRequest, ws: PathId) -> list[dict[str, Any]]:
    member_for(request, ws, Cap.VIEW_LISTENING)
    return [query_out(q) for q in Query.objects.filter(workspace_id=ws).order_by("kind", "name", "id")]


@router.post(
    "/workspaces/{ws}/listening/queries", response={201: QueryOut, **COMMON}, summary="Create a query"
)
def create_query(request: HttpRequest, ws: PathId, payload: QueryIn) -> tuple[int, dict[str, Any]]:
    member = member_for(request, ws, Cap.MANAGE_LISTENING)
    query = services.save_query(
        member.workspace,
        name=payload.name,
        kind=payload.kind,
        expression=payload.expression,
        languages=payload.languages,
        enabled=payload.enabled,
    )
    return 201, query_out(query)


@router.get(
    "/workspaces/{ws}/listening/queries/{query_id}", response={200: QueryOut, **COMMON}, summary="One query"
)
def get_query(request: HttpRequest, ws: PathId, query_id: PathId) -> dict[str, Any]:
    member_for(request, ws, Cap.VIEW_LISTENING)
    return query_out(get_object_or_404(Query, pk=query_id, workspace_id=ws))


@router.patch(
    "/workspaces/{ws}/listening/queries/{query_id}",
    response={200: QueryOut, **COMMON},
    summary="Change a query",
)
def update_query(request: HttpRequest, ws: PathId, query_id: PathId, payload: QueryPatch) -> dict[str, Any]:
    member = member_for(request, ws, Cap.MANAGE_LISTENING)
    query = get_object_or_404(Query, pk=query_id, workspace_id=ws)
    saved = services.save_query(
        member.workspace,
        name=payload.name if payload.name is not None else query.name,
        kind=payload.kind if payload.kind is not None else query.kind,
        expression=payload.expression if payload.expression is not None else query.expression,
        languages=payload.languages if payload.languages is not None else query.languages,
        enabled=payload.enabled if payload.enabled is not None else query.enabled,
        query=query,
    )
    return query_out(saved)


@router.delete(
    "/workspaces/{ws}/listening/queries/{query_id}", response={204: None, **COMMON}, summary="Delete a query"
)
def delete_query(request: HttpRequest, ws: PathId, query_id: PathId) -> tuple[int, None]:
    member_for(request, ws, Cap.MANAGE_LISTENING)
    services.delete_query(get_object_or_404(Query, pk=query_id, workspace_id=ws))
    return 204, None


@router.get("/workspaces/{ws}/listening/mentions", response={200: MentionPage, **COMMON}, summary="Mentions")
def list_mentions(request: HttpRequest, ws: PathId, filters: QueryParams[MentionFiltersIn]) -> dict[str, Any]:
    member = member_for(request, ws, Cap.VIEW_LISTENING)
    if filters.query is not None and not Query.objects.filter(workspace_id=ws, pk=filters.query).exists():
        raise InvalidInput("query", _("unknown query in this workspace"))
    if filters.source is not None and not Source.objects.filter(workspace_id=ws, pk=filters.source).exists():
        raise InvalidInput("source", _("unknown source in this workspace"))
    if filters.since and filters.until and filters.since >= filters.until:
        raise InvalidInput("until", _("must be after since"))
    mentions = analytics.mentions(
        member.workspace,
        analytics.MentionFilters(
            query_id=filters.query,
            sentiment=filters.sentiment or "",
            lang=(filters.lang or "").strip().lower(),
            source_id=filters.source,
            author=(filters.author or "").strip(),
            include_duplicates=filters.include_duplicates,
        ),
    )
    if filters.since is not None:
        mentions = mentions.filter(published_at__gte=filters.since)
    if filters.until is not None:
        mentions = mentions.filter(published_at__lt=filters.until)
    count = mentions.count()
    items = list(mentions[filters.offset : filters.offset + filters.limit])
    ids = [m.pk for m in items]
    queries: dict[int, list[int]] = {}
    for mention_id, query_id in MentionMatch.objects.filter(workspace_id=ws, mention_id__in=ids).values_list(
        "mention_id", "query_id"
    ):
        queries.setdefault(mention_id, []).append(query_id)
    sources: dict[int, list[str]] = {}
    for mention_id, kind, name in MentionSource.objects.filter(
        mention_id__in=ids, source__workspace_id=ws
    ).values_list("mention_id", "source__kind", "source__name"):
        sources.setdefault(mention_id, []).append(f"{kind}:{name}")
    return {
        "items": [
            mention_out(m, sorted(queries.get(m.pk, [])), sorted(sources.get(m.pk, []))) for m in items
        ],
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
    }
