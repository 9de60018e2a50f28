"""The whole permission matrix over every workspace page: each role, each URL, GET and POST.

Every URL under /w/<ws>/ is found from the URL configuration, so a new page is covered the day it is
added: strangers get 404 (nothing leaks about what exists), anonymous visitors are sent to log in,
no role ever gets a 500, and the main pages answer exactly as the role → capability matrix says.
"""

from __future__ import annotations

from datetime import time

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tamtam.accounts.models import Membership, Role
from tamtam.accounts.permissions import Cap, can
from tamtam.publishing import services
from tamtam.publishing.models import Queue, QueueSlot
from tamtam.publishing.services import PostInput


def _patterns(resolver: URLResolver, prefix: str = "") -> list[str]:
    found = []
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            found += _patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            found.append(prefix + str(p.pattern))
    return found


WORKSPACE_ROUTES = sorted(r for r in _patterns(get_resolver()) if r.startswith("w/<int:ws>/"))

# GET on these pages needs exactly this capability.
PAGES = {
    "w/<int:ws>/posts/new/": Cap.COMPOSE,
    "w/<int:ws>/calendar/": Cap.VIEW_CALENDAR,
    "w/<int:ws>/calendar/events.json": Cap.VIEW_CALENDAR,
    "w/<int:ws>/channels/": Cap.VIEW_CALENDAR,
    "w/<int:ws>/channels/connect/": Cap.MANAGE_CHANNELS,
    "w/<int:ws>/settings/": Cap.MANAGE_WORKSPACE,
    "w/<int:ws>/audit/": Cap.VIEW_AUDIT,
    "w/<int:ws>/import/": Cap.IMPORT,
    "w/<int:ws>/queues/": Cap.VIEW_CALENDAR,
    "w/<int:ws>/feeds/": Cap.VIEW_CALENDAR,
    "w/<int:ws>/feeds/new/": Cap.MANAGE_WORKSPACE,
    "w/<int:ws>/posts/<int:post_id>/": Cap.VIEW_CALENDAR,
    "w/<int:ws>/listening/": Cap.VIEW_LISTENING,
    "w/<int:ws>/listening/mentions/": Cap.VIEW_LISTENING,
    "w/<int:ws>/listening/queries/": Cap.VIEW_LISTENING,
    "w/<int:ws>/listening/queries/new/": Cap.MANAGE_LISTENING,
    "w/<int:ws>/listening/authors/": Cap.VIEW_LISTENING,
    "w/<int:ws>/inbox/": Cap.INBOX_VIEW,
    "w/<int:ws>/inbox/conversation/": Cap.INBOX_VIEW,
    "w/<int:ws>/inbox/approvals/": Cap.INBOX_VIEW,
    "w/<int:ws>/inbox/metrics/": Cap.INBOX_VIEW,
    "w/<int:ws>/inbox/settings/": Cap.INBOX_MANAGE,
    "w/<int:ws>/inbox/contests/": Cap.INBOX_MANAGE,
    "w/<int:ws>/inbox/contests/contest/": Cap.INBOX_MANAGE,
    "w/<int:ws>/crisis/": Cap.VIEW_CRISIS,
    "w/<int:ws>/crisis/alerts/": Cap.VIEW_CRISIS,
    "w/<int:ws>/crisis/alerts/<int:alert_id>/": Cap.VIEW_CRISIS,
    "w/<int:ws>/crisis/incidents/": Cap.VIEW_CRISIS,
    "w/<int:ws>/crisis/incidents/<int:incident_id>/": Cap.VIEW_CRISIS,
    "w/<int:ws>/crisis/incidents/<int:incident_id>/post-mortem.md": Cap.VIEW_CRISIS,
    "w/<int:ws>/crisis/rules/": Cap.VIEW_CRISIS,
    "w/<int:ws>/crisis/rules/new/": Cap.MANAGE_CRISIS,
    "w/<int:ws>/crisis/rules/<int:rule_id>/": Cap.MANAGE_CRISIS,
    "w/<int:ws>/crisis/statements/": Cap.VIEW_CRISIS,
    "w/<int:ws>/crisis/statements/new/": Cap.MANAGE_CRISIS,
    "w/<int:ws>/crisis/statements/<int:statement_id>/publish/": Cap.RESPOND_CRISIS,
    "w/<int:ws>/crisis/backtest/": Cap.VIEW_CRISIS,
    "w/<int:ws>/strategy/": Cap.VIEW_STRATEGY,
    "w/<int:ws>/strategy/objectives/new/": Cap.MANAGE_STRATEGY,
    "w/<int:ws>/strategy/objectives/<int:objective_id>/": Cap.MANAGE_STRATEGY,
    "w/<int:ws>/strategy/personas/<int:persona_id>/": Cap.MANAGE_STRATEGY,
    "w/<int:ws>/strategy/pillars/<int:pillar_id>/": Cap.MANAGE_STRATEGY,
    "w/<int:ws>/strategy/campaigns/<int:campaign_id>/": Cap.MANAGE_STRATEGY,
    "w/<int:ws>/strategy/budget/<int:budget_id>/": Cap.MANAGE_STRATEGY,
    "w/<int:ws>/reports/": Cap.VIEW_REPORTS,
    "w/<int:ws>/reports/new/": Cap.MANAGE_REPORTS,
    "w/<int:ws>/reports/branding/": Cap.MANAGE_WORKSPACE,
    "w/<int:ws>/reports/<int:report_id>/": Cap.VIEW_REPORTS,
    "w/<int:ws>/reports/<int:report_id>/edit/": Cap.MANAGE_REPORTS,
    "w/<int:ws>/reports/<int:report_id>/csv/": Cap.VIEW_REPORTS,
    "w/<int:ws>/reports/<int:report_id>/schedules/<int:schedule_id>/": Cap.MANAGE_REPORTS,
    "w/<int:ws>/analytics/": Cap.VIEW_ANALYTICS,
    "w/<int:ws>/analytics/posts/": Cap.VIEW_ANALYTICS,
    "w/<int:ws>/analytics/best-time/": Cap.VIEW_ANALYTICS,
    "w/<int:ws>/analytics/links/": Cap.VIEW_ANALYTICS,
    "w/<int:ws>/analytics/conversions/": Cap.VIEW_ANALYTICS,
    "w/<int:ws>/analytics/roi/": Cap.VIEW_ANALYTICS,
    "w/<int:ws>/analytics/good-slots.json": Cap.VIEW_CALENDAR,
    "w/<int:ws>/settings/data/": Cap.EXPORT_DATA,
    "w/<int:ws>/settings/data/export.json": Cap.EXPORT_DATA,
}

# POST only (a GET answers 405): who may post to them, checked with a real action.
INBOX_POSTS = {
    "w/<int:ws>/inbox/act/": Cap.INBOX_ACT,
    "w/<int:ws>/inbox/bulk/": Cap.INBOX_ACT,
}

# Pages that show one object take its id in the query string.
PAGE_QUERY = {
    "w/<int:ws>/inbox/conversation/": "?c={conversation_id}",
    "w/<int:ws>/inbox/contests/contest/": "?id={contest_id}",
}


@pytest.fixture
def world(workspace, members, make_channel, make_workspace, make_user):
    channel = make_channel()
    post = services.create_post(
        workspace, members["manager"], PostInput(text="Hello", channel_ids=[channel.id])
    )
    queue = Queue.objects.create(workspace=workspace, name="Q")
    slot = QueueSlot.objects.create(queue=queue, weekday=0, time=time(9, 0))
    stranger = make_user("stranger", make_workspace(), Role.OWNER)
    kwargs = {
        "ws": workspace.id,
        "post_id": post.id,
        "target_id": post.targets.get().id,
        "channel_id": channel.id,
        "queue_id": queue.id,
        "slot_id": slot.id,
        "membership_id": Membership.objects.get(workspace=workspace, role=Role.ANALYST).id,
        **_listening_objects(workspace),
        "watch_id": _feed_watch(workspace, channel),
        **_inbox_objects(workspace, channel),
    }
    kwargs.update(_crisis_objects(workspace, kwargs["query_id"]))
    kwargs.update(_strategy_and_report_objects(workspace, channel))
    return kwargs, stranger


def _strategy_and_report_objects(workspace, channel):
    from datetime import date

    from tamtam.reports.models import Report, ReportSchedule, ReportShare
    from tamtam.strategy.models import BudgetLine, Campaign, Objective, Persona, Pillar

    span = {"starts_on": date(2026, 1, 1), "ends_on": date(2026, 12, 31)}
    objective = Objective.objects.create(
        workspace=workspace, name="Reach", kind="awareness", metric="reach", target=1000, **span
    )
    persona = Persona.objects.create(workspace=workspace, name="Parents")
    persona.channels.set([channel])
    report = Report.objects.create(workspace=workspace, name="Monthly", sections=["budget", "pillar_mix"])
    schedule = ReportSchedule.objects.create(report=report, frequency="monthly", recipients="b@example.com")
    return {
        "objective_id": objective.id,
        "persona_id": persona.id,
        "pillar_id": Pillar.objects.create(workspace=workspace, name="Tips", target_share=50).id,
        "campaign_id": Campaign.objects.create(workspace=workspace, name="Spring").id,
        "budget_id": BudgetLine.objects.create(workspace=workspace, category="paid", label="Ads", **span).id,
        "report_id": report.id,
        "schedule_id": schedule.id,
        "share_id": ReportShare.objects.create(report=report, prefix="rp_x", token_hash="0" * 64).id,
    }


def _crisis_objects(workspace, query_id):
    from django.utils import timezone

    from tamtam.crisis.models import Alert, AlertRule, HoldingStatement, Incident, Notification

    rule = AlertRule.objects.create(workspace=workspace, query_id=query_id, name="Spike")
    incident = Incident.objects.create(workspace=workspace, query_id=query_id, title="Bad buzz")
    alert = Alert.objects.create(
        rule=rule,
        workspace=workspace,
        query_id=query_id,
        incident=incident,
        rule_name="Spike",
        series="all",
        bucket_start=timezone.now().replace(second=0, microsecond=0),
        expected=1,
        observed=30,
        evidence=40,
        score=0.7,
    )
    notification = Notification.objects.create(
        alert=alert, incident=incident, workspace=workspace, channel="email", state="dead"
    )
    statement = HoldingStatement.objects.create(
        workspace=workspace, title="Aware", language="en", text="We know."
    )
    return {
        "rule_id": rule.id,
        "incident_id": incident.id,
        "alert_id": alert.id,
        "notification_id": notification.id,
        "statement_id": statement.id,
    }


def _inbox_objects(workspace, channel):
    from datetime import timedelta

    from django.utils import timezone

    from tamtam.inbox.models import Contest, Conversation, Message

    conv = Conversation.objects.create(workspace=workspace, channel=channel, kind="thread", key="thread:p1")
    Message.objects.create(
        workspace=workspace,
        channel=channel,
        conversation=conv,
        remote_id="c1",
        kind="comment",
        text="Bonjour ?",
        created_at=timezone.now(),
    )
    contest = Contest.objects.create(
        workspace=workspace,
        channel=channel,
        post_remote_id="p1",
        title="Jeu",
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=1),
    )
    return {"conversation_id": conv.id, "contest_id": contest.id}


def _feed_watch(workspace, channel):
    from tamtam.publishing.feed_models import FeedWatch

    watch = FeedWatch.objects.create(workspace=workspace, name="Blog", url="https://blog.example/feed.xml")
    watch.channels.set([channel])
    return watch.id


def _listening_objects(workspace):
    from tamtam.listening.models import ListeningAuthor, Query, Source, WatchedAuthor

    query = Query.objects.create(workspace=workspace, name="Brand", expression="lumen")
    source = Source.objects.create(workspace=workspace, kind="sandbox", name="Stream")
    author = ListeningAuthor.objects.create(network="sandbox", remote_id="u1", handle="someone")
    watched = WatchedAuthor.objects.create(workspace=workspace, author=author)
    return {"query_id": query.id, "source_id": source.id, "author_id": author.id, "watched_id": watched.id}


def url_for(route: str, kwargs: dict[str, int]) -> str:
    path = route
    for name, value in kwargs.items():
        path = path.replace(f"<int:{name}>", str(value))
    assert "<" not in path, f"no test object for {route}"
    return "/" + path


def test_the_routes_are_found():
    assert len(WORKSPACE_ROUTES) > 30
    assert set(PAGES) | set(INBOX_POSTS) <= set(WORKSPACE_ROUTES)
    inbox = {r for r in WORKSPACE_ROUTES if r.startswith("w/<int:ws>/inbox/")}
    assert inbox <= set(PAGES) | set(INBOX_POSTS), "every inbox page is in the matrix"


@pytest.mark.parametrize("route", WORKSPACE_ROUTES)
def test_strangers_get_404_and_anonymous_visitors_must_log_in(route, world, client):
    kwargs, stranger = world
    url = url_for(route, kwargs)
    for method in (client.get, client.post):
        assert method(url).status_code in (302, 401, 403), url
    client.force_login(stranger)
    for method in (client.get, client.post):
        assert method(url).status_code in (404, 405), url


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_no_role_ever_gets_a_server_error(role, world, members, client):
    kwargs, _stranger = world
    client.force_login(members[role])
    for route in WORKSPACE_ROUTES:
        for method in (client.get, client.post):
            status = method(url_for(route, kwargs)).status_code
            assert status < 500, f"{role} {method.__name__} {route}: {status}"


@pytest.mark.parametrize("role", [r.value for r in Role])
@pytest.mark.parametrize(("route", "cap"), list(PAGES.items()))
def test_each_page_answers_as_the_matrix_says(role, route, cap, world, members, client):
    kwargs, _stranger = world
    client.force_login(members[role])
    query = "?start=2026-01-01T00:00:00&end=2026-02-01T00:00:00" if route.endswith(".json") else ""
    query = PAGE_QUERY.get(route, query).format(**kwargs)
    status = client.get(url_for(route, kwargs) + query).status_code
    if can(role, cap):
        assert status == 200, f"{role} should reach {route}"
    else:
        assert status == 403, f"{role} should be refused {route}, got {status}"


@pytest.mark.parametrize("role", [r.value for r in Role])
@pytest.mark.parametrize(("route", "cap"), list(INBOX_POSTS.items()))
def test_each_inbox_action_answers_as_the_matrix_says(role, route, cap, world, members, client):
    from tamtam.inbox.models import Conversation

    kwargs, _stranger = world
    client.force_login(members[role])
    conv = kwargs["conversation_id"]
    data = {"c": conv, "action": "status", "status": "pending"}
    if route.endswith("bulk/"):
        data = {"ids": [conv], "action": "status", "value": "pending"}
    status = client.post(url_for(route, kwargs), data).status_code
    changed = Conversation.objects.get(pk=conv).status == "pending"
    if can(role, cap):
        assert (status, changed) == (302, True), f"{role} should {route}"
    else:
        assert (status, changed) == (403, False), f"{role} should be refused {route}, got {status}"


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_deleting_the_workspace_answers_as_the_matrix_says(role, world, members, client):
    from tamtam.accounts.models import Workspace

    kwargs, _stranger = world
    client.force_login(members[role])
    url = url_for("w/<int:ws>/settings/data/delete/", kwargs)
    # A wrong name: the owner is asked again (400), everyone else refused (403); nothing is deleted.
    status = client.post(url, {"confirm": "not the name"}).status_code
    assert status == (400 if can(role, Cap.DELETE_WORKSPACE) else 403)
    assert Workspace.objects.filter(pk=kwargs["ws"]).exists()
