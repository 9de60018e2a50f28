"""Listening pages under /w/<ws>/listening/: overview (volume, sentiment, share of voice, trends, top
authors), the mentions stream with filters and CSV export, queries with a live preview, sources,
influencers and the watch list. Thin: reading goes through `analytics`, changes through `services`."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamtam.accounts.forms import add_service_error
from tamtam.accounts.permissions import Cap, can
from tamtam.accounts.services import require
from tamtam.channels.models import Channel
from tamtam.lib.errors import InvalidInput
from tamtam.lib.http import AuthedRequest
from tamtam.listening import analytics, services
from tamtam.listening.forms import MentionFilterForm, NoteForm, QueryForm, SourceForm, WatchStatusForm
from tamtam.listening.models import (
    ListeningAuthor,
    MentionMatch,
    Query,
    Source,
    SourceKind,
    WatchedAuthor,
)

PAGE_SIZE = 50
PERIODS = {"1": 1, "7": 7, "30": 30, "90": 90}


def _period(request: AuthedRequest, default: str = "7") -> int:
    return PERIODS.get(request.GET.get("days", default), PERIODS[default])


@login_required
def overview(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_LISTENING)
    workspace = member.workspace
    days = _period(request)
    words, tags = analytics.trends(workspace)
    since = timezone.now() - timedelta(days=1)
    context = {
        "workspace": workspace,
        "days": days,
        "periods": list(PERIODS),
        "volume": analytics.volume_series(workspace, days),
        "voices": analytics.share_of_voice(workspace, days),
        "words": words[:10],
        "tags": tags[:10],
        "authors": analytics.top_authors(workspace, days, limit=10),
        "last_day": MentionMatch.objects.filter(workspace=workspace, published_at__gte=since)
        .values("mention_id")
        .distinct()
        .count(),
        "has_queries": Query.objects.filter(workspace=workspace).exists(),
        "can_manage": can(member.role, Cap.MANAGE_LISTENING),
    }
    return render(request, "listening/overview.html", context)


def _filters(request: AuthedRequest, workspace_id: int) -> tuple[MentionFilterForm, analytics.MentionFilters]:
    queries = list(Query.objects.filter(workspace_id=workspace_id).values_list("pk", "name"))
    sources = list(Source.objects.filter(workspace_id=workspace_id).values_list("pk", "name"))
    form = MentionFilterForm(request.GET or None, queries=queries, sources=sources)
    filters = analytics.MentionFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = analytics.MentionFilters(
            query_id=data["query"],
            sentiment=data["sentiment"],
            lang=data["lang"].strip().lower(),
            source_id=data["source"],
            author=data["author"].strip(),
            since=data["since"],
            until=data["until"],
            text=data["text"].strip(),
            include_duplicates=data["duplicates"],
        )
    return form, filters


@login_required
def mention_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_LISTENING)
    form, filters = _filters(request, ws)
    mentions = analytics.mentions(member.workspace, filters)
    page = Paginator(mentions, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "listening/mentions.html",
        {
            "workspace": member.workspace,
            "form": form,
            "page": page,
            "params": params.urlencode(),
            "status_code": 400 if form.is_bound and not form.is_valid() else 200,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs a cell that starts with = + - @ as a formula: mentions are public text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
def mention_csv(request: AuthedRequest, ws: int) -> StreamingHttpResponse:
    member = require(request.user, ws, Cap.VIEW_LISTENING)
    _form, filters = _filters(request, ws)
    mentions = analytics.mentions(member.workspace, filters)
    names = dict(Query.objects.filter(workspace_id=ws).values_list("pk", "name"))
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(
            [
                "published_at",
                "network",
                "author",
                "followers",
                "language",
                "sentiment",
                "score",
                "queries",
                "url",
                "title",
                "text",
            ]
        )
        for start in range(0, 10**9, 1000):
            chunk = list(mentions[start : start + 1000])
            if not chunk:
                return
            links: dict[int, list[str]] = {}
            for mention_id, query_id in MentionMatch.objects.filter(
                workspace_id=ws, mention_id__in=[m.pk for m in chunk]
            ).values_list("mention_id", "query_id"):
                links.setdefault(mention_id, []).append(names.get(query_id, ""))
            for m in chunk:
                yield writer.writerow(
                    [
                        _cell(m.published_at.isoformat()),
                        _cell(m.network),
                        _cell(m.author_handle),
                        _cell(m.reach),
                        _cell(m.lang),
                        _cell(m.sentiment),
                        _cell(m.sentiment_score),
                        _cell("; ".join(sorted(links.get(m.pk, [])))),
                        _cell(m.url),
                        _cell(m.title),
                        _cell(m.text),
                    ]
                )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="mentions-{ws}-{stamp}.csv"'
    return response


# --- queries -----------------------------------------------------------------------------------------


@login_required
def query_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_LISTENING)
    queries = Query.objects.filter(workspace_id=ws).order_by("kind", "name")
    return render(
        request,
        "listening/queries.html",
        {
            "workspace": member.workspace,
            "queries": queries,
            "can_manage": can(member.role, Cap.MANAGE_LISTENING),
        },
    )


def _query_form(request: AuthedRequest, ws: int, query: Query | None) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_LISTENING)
    initial = {}
    if query is not None:
        initial = {
            "name": query.name,
            "kind": query.kind,
            "expression": query.expression,
            "languages": ", ".join(query.languages or []),
            "enabled": query.enabled,
        }
    form = QueryForm(request.POST or None, initial=initial or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_query(
                member.workspace,
                name=data["name"],
                kind=data["kind"],
                expression=data["expression"],
                languages=data["languages"],
                enabled=data["enabled"],
                query=query,
            )
        except InvalidInput as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Query %(name)s saved.") % {"name": saved.name})
            return redirect("listening:queries", ws=ws)
    preview = None
    expression = form["expression"].value() or ""
    if expression:
        preview = services.preview(expression, form["languages"].value() or "")
    return render(
        request,
        "listening/query_form.html",
        {"workspace": member.workspace, "form": form, "query": query, "preview": preview},
        status=400 if form.is_bound else 200,
    )


@login_required
def query_new(request: AuthedRequest, ws: int) -> HttpResponse:
    return _query_form(request, ws, None)


@login_required
def query_edit(request: AuthedRequest, ws: int, query_id: int) -> HttpResponse:
    require(request.user, ws, Cap.MANAGE_LISTENING)
    return _query_form(request, ws, get_object_or_404(Query, pk=query_id, workspace_id=ws))


@login_required
@require_POST
def query_delete(request: AuthedRequest, ws: int, query_id: int) -> HttpResponse:
    require(request.user, ws, Cap.MANAGE_LISTENING)
    query = get_object_or_404(Query, pk=query_id, workspace_id=ws)
    services.delete_query(query)
    messages.success(request, _("Query %(name)s deleted.") % {"name": query.name})
    return redirect("listening:queries", ws=ws)


@login_required
def query_preview(request: AuthedRequest, ws: int) -> HttpResponse:
    """The htmx partial under the expression field: its parse error, or the recent mentions it matches."""
    member = require(request.user, ws, Cap.MANAGE_LISTENING)
    data = request.POST if request.method == "POST" else request.GET
    expression = data.get("expression", "")
    preview = services.preview(expression, data.get("languages", "")) if expression.strip() else None
    return render(
        request,
        "listening/_preview.html",
        {"workspace": member.workspace, "preview": preview, "expression": expression},
    )


# --- sources -----------------------------------------------------------------------------------------


@login_required
def source_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_LISTENING)
    channels = [
        (pk, f"{name} ({network})")
        for pk, name, network in Channel.objects.filter(workspace_id=ws).values_list("pk", "name", "network")
    ]
    form = SourceForm(request.POST or None, channels=channels)
    status = 200
    if request.method == "POST":
        require(request.user, ws, Cap.MANAGE_LISTENING)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.save_source(
                    member.workspace,
                    kind=data["kind"],
                    name=data["name"],
                    url=data["url"],
                    channel_id=data["channel"],
                    search=data["search"],
                    interval_seconds=data["interval_seconds"],
                    start_seq=data["start_seq"],
                )
            except InvalidInput as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Source %(name)s added.") % {"name": data["name"]})
                return redirect("listening:sources", ws=ws)
        status = 400
    return render(
        request,
        "listening/sources.html",
        {
            "workspace": member.workspace,
            "rows": [
                (s, services.source_health(s), services.describe_cursor(s))
                for s in Source.objects.filter(workspace_id=ws).select_related("channel")
            ],
            "form": form,
            "errors": form_errors(form),
            "can_manage": can(member.role, Cap.MANAGE_LISTENING),
            "kinds": SourceKind,
        },
        status=status,
    )


@login_required
@require_POST
def source_revive(request: AuthedRequest, ws: int, source_id: int) -> HttpResponse:
    require(request.user, ws, Cap.MANAGE_LISTENING)
    services.revive_source(get_object_or_404(Source, pk=source_id, workspace_id=ws))
    return redirect("listening:sources", ws=ws)


@login_required
@require_POST
def source_pause(request: AuthedRequest, ws: int, source_id: int) -> HttpResponse:
    require(request.user, ws, Cap.MANAGE_LISTENING)
    services.pause_source(get_object_or_404(Source, pk=source_id, workspace_id=ws))
    return redirect("listening:sources", ws=ws)


def form_errors(form: SourceForm) -> list[str]:
    """Every error of the form, each prefixed with its field's label (the summary above the form)."""
    if not form.is_bound:
        return []
    summary: list[str] = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        summary.extend(f"{label}: {e}" if label else str(e) for e in errors)
    return summary


# --- influencers and watch list ----------------------------------------------------------------------


@login_required
def author_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_LISTENING)
    days = _period(request, "30")
    order = request.GET.get("order", "influence")
    rows = analytics.top_authors(member.workspace, days, limit=100, order=order)
    watched = set(WatchedAuthor.objects.filter(workspace_id=ws).values_list("author_id", flat=True))
    return render(
        request,
        "listening/authors.html",
        {
            "workspace": member.workspace,
            "rows": rows,
            "watched": watched,
            "show_watch": True,
            "days": days,
            "periods": list(PERIODS),
            "order": order,
            "can_manage": can(member.role, Cap.MANAGE_LISTENING),
        },
    )


@login_required
@require_POST
def author_watch(request: AuthedRequest, ws: int, author_id: int) -> HttpResponse:
    member = require(request.user, ws, Cap.MANAGE_LISTENING)
    # Only an author of this workspace's mentions: ids of other workspaces' authors reveal nothing.
    if not MentionMatch.objects.filter(workspace_id=ws, mention__author_id=author_id).exists():
        raise Http404("no such author in this workspace")
    author = get_object_or_404(ListeningAuthor, pk=author_id)
    entry = services.watch(member.workspace, author, request.user, request.POST.get("note", ""))
    messages.success(request, _("%(name)s is on the watch list.") % {"name": str(author)})
    return redirect("listening:watch", ws=ws, watched_id=entry.pk)


@login_required
def watch_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_LISTENING)
    entries = WatchedAuthor.objects.filter(workspace_id=ws).select_related("author").prefetch_related("notes")
    return render(request, "listening/watchlist.html", {"workspace": member.workspace, "entries": entries})


@login_required
def watch_detail(request: AuthedRequest, ws: int, watched_id: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_LISTENING)
    entry = get_object_or_404(WatchedAuthor.objects.select_related("author"), pk=watched_id, workspace_id=ws)
    note_form = NoteForm(request.POST if request.POST.get("action") == "note" else None)
    status_form = WatchStatusForm(
        request.POST if request.POST.get("action") == "status" else None, initial={"status": entry.status}
    )
    status = 200
    if request.method == "POST":
        require(request.user, ws, Cap.MANAGE_LISTENING)
        action = request.POST.get("action")
        try:
            if action == "note" and note_form.is_valid():
                services.add_note(entry, request.user, note_form.cleaned_data["text"])
                return redirect("listening:watch", ws=ws, watched_id=entry.pk)
            if action == "status" and status_form.is_valid():
                services.set_watch_status(entry, status_form.cleaned_data["status"])
                return redirect("listening:watch", ws=ws, watched_id=entry.pk)
            if action == "remove":
                services.unwatch(entry)
                return redirect("listening:watchlist", ws=ws)
        except InvalidInput as exc:
            add_service_error(note_form, exc)
        status = 400
    mentions = analytics.mentions(member.workspace).filter(author=entry.author)[:20]
    return render(
        request,
        "listening/watch.html",
        {
            "workspace": member.workspace,
            "entry": entry,
            "notes": entry.notes.select_related("user"),
            "note_form": note_form,
            "status_form": status_form,
            "mentions": mentions,
            "can_manage": can(member.role, Cap.MANAGE_LISTENING),
        },
        status=status,
    )


@login_required
def trend_list(request: AuthedRequest, ws: int) -> HttpResponse:
    member = require(request.user, ws, Cap.VIEW_LISTENING)
    hours = {"6": 6, "24": 24, "72": 72}.get(request.GET.get("hours", "24"), 24)
    words, tags = analytics.trends(
        member.workspace, window=timedelta(hours=hours), baseline=timedelta(days=7)
    )
    return render(
        request,
        "listening/trends.html",
        {
            "workspace": member.workspace,
            "words": words,
            "tags": tags,
            "hours": hours,
            "cloud": analytics.word_cloud(words, tags),
        },
    )
