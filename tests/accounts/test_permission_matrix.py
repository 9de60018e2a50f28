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
    "w/<int:ws>/posts/<int:post_id>/": Cap.VIEW_CALENDAR,
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
    }
    return kwargs, stranger


def url_for(route: str, kwargs: dict[str, int]) -> str:
    path = route
    for name, value in kwargs.items():
        path = path.replace(f"<int:{name}>", str(value))
    assert "<" not in path, f"no test object for {route}"
    return "/" + path


def test_the_routes_are_found():
    assert len(WORKSPACE_ROUTES) > 30
    assert set(PAGES) <= set(WORKSPACE_ROUTES)


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
    status = client.get(url_for(route, kwargs) + query).status_code
    if can(role, cap):
        assert status == 200, f"{role} should reach {route}"
    else:
        assert status == 403, f"{role} should be refused {route}, got {status}"
