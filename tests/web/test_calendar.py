"""Calendar pages, the events feed (workspace wall-clock times), day loads and drag-and-drop moves."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from tamtam.accounts.models import AuditEvent, Membership
from tamtam.publishing.models import Post, PostTarget
from tamtam.publishing.states import TargetState as S
from tamtam.strategy.models import Campaign, Pillar


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_target(channel, when, state=S.SCHEDULED, text="Spring launch", **post_kw) -> PostTarget:
    post = Post.objects.create(workspace=channel.workspace, text=text, scheduled_at=when, **post_kw)
    return PostTarget.objects.create(
        post=post,
        channel=channel,
        workspace=channel.workspace,
        text=text,
        scheduled_at=when,
        due_at=when if state == S.SCHEDULED else None,
        state=state,
    )


def events(client, ws, start="2026-03-23T00:00:00Z", end="2026-03-30T00:00:00Z", **params):
    url = reverse("publishing:calendar_events", kwargs={"ws": ws.pk})
    return client.get(url, {"start": start, "end": end, **params})


def move(client, target, start, **extra):
    url = reverse("publishing:move_target", kwargs={"ws": target.workspace_id, "target_id": target.pk})
    return client.post(url, json.dumps({"start": start, **extra}), content_type="application/json")


@pytest.fixture
def channel(make_channel):
    return make_channel(name="Bluesky")


# --- events ---------------------------------------------------------------------------------------


def test_events_show_wall_clock_times_of_the_workspace_zone_across_dst(workspace, members, channel, login):
    before = make_target(channel, utc(2026, 3, 28, 8, 30))  # CET, UTC+1
    after = make_target(channel, utc(2026, 3, 29, 7, 30))  # CEST, UTC+2 (the DST day itself)
    response = events(login(members["analyst"]), workspace)
    assert response.status_code == 200
    starts = {e["id"]: e["start"] for e in response.json()}
    assert starts == {str(before.pk): "2026-03-28T09:30:00", str(after.pk): "2026-03-29T09:30:00"}


def test_event_range_is_read_as_local_days_of_the_workspace(workspace, members, channel, login):
    first_minute = make_target(channel, utc(2026, 3, 22, 23, 30))  # 23 March 00:30 in Paris
    next_day = make_target(channel, utc(2026, 3, 29, 22, 30))  # 30 March 00:30 in Paris: outside
    ids = {e["id"] for e in events(login(members["analyst"]), workspace).json()}
    assert str(first_minute.pk) in ids
    assert str(next_day.pk) not in ids


def test_events_carry_state_channel_remote_link_and_post_url(workspace, members, channel, login):
    target = make_target(channel, utc(2026, 3, 25, 10, 0), state=S.PUBLISHED, text="Hello world " * 10)
    PostTarget.objects.filter(pk=target.pk).update(remote_url="https://bsky.app/profile/x/post/1")
    (event,) = events(login(members["community"]), workspace).json()
    props = event["extendedProps"]
    assert event["title"].startswith("Bluesky · Hello world")
    assert event["title"].endswith("…")
    assert props["state"] == "published"
    assert props["channel"] == "Bluesky"
    assert props["remote_url"] == "https://bsky.app/profile/x/post/1"
    assert props["post_url"] == f"/w/{workspace.pk}/posts/{target.post_id}/"
    assert event["editable"] is False  # published: nothing to move
    assert props["move_url"] == ""


def test_events_are_editable_only_for_roles_that_schedule(workspace, members, channel, login):
    make_target(channel, utc(2026, 3, 25, 10, 0))
    assert events(login(members["community"]), workspace).json()[0]["editable"] is True
    assert events(login(members["analyst"]), workspace).json()[0]["editable"] is False


def test_events_filter_by_channel_campaign_pillar_and_state(workspace, members, make_channel, login):
    a, b = make_channel(name="A"), make_channel(name="B")
    campaign = Campaign.objects.create(workspace=workspace, name="Spring")
    pillar = Pillar.objects.create(workspace=workspace, name="Product")
    on_a = make_target(a, utc(2026, 3, 24, 9, 0), campaign=campaign)
    on_b = make_target(b, utc(2026, 3, 24, 10, 0), pillar=pillar, state=S.FAILED)
    client = login(members["analyst"])

    def ids(**params):
        return {int(e["id"]) for e in events(client, workspace, **params).json()}

    assert ids() == {on_a.pk, on_b.pk}
    assert ids(channel=a.pk) == {on_a.pk}
    assert ids(campaign=campaign.pk) == {on_a.pk}
    assert ids(pillar=pillar.pk) == {on_b.pk}
    assert ids(state="failed") == {on_b.pk}
    assert ids(state="failed,scheduled") == {on_a.pk, on_b.pk}


def test_cancelled_posts_show_only_when_asked_for(workspace, members, channel, login):
    cancelled = make_target(channel, utc(2026, 3, 24, 9, 0), state=S.CANCELLED)
    client = login(members["analyst"])
    assert events(client, workspace).json() == []
    assert [e["id"] for e in events(client, workspace, state="cancelled").json()] == [str(cancelled.pk)]


def test_a_bad_filter_or_range_is_a_400_naming_the_field(workspace, members, login):
    client = login(members["analyst"])
    assert events(client, workspace, state="bogus").json()["field"] == "state"
    assert events(client, workspace, channel="x").json()["field"] == "channel"
    response = events(client, workspace, start="nonsense")
    assert response.status_code == 400
    assert response.json()["field"] == "start"
    too_long = events(client, workspace, start="2026-01-01", end="2027-06-01")
    assert too_long.status_code == 400


def test_day_load_flags_days_where_a_channel_is_full(workspace, members, make_channel, login):
    capped = make_channel(name="Threads", daily_cap=2)
    make_target(capped, utc(2026, 3, 24, 8, 0))
    make_target(capped, utc(2026, 3, 24, 15, 0))
    make_target(capped, utc(2026, 3, 25, 8, 0))
    make_target(capped, utc(2026, 3, 26, 8, 0), state=S.DRAFT)  # drafts take no slot
    url = reverse("publishing:calendar_load", kwargs={"ws": workspace.pk})
    data = (
        login(members["analyst"])
        .get(url, {"start": "2026-03-23T00:00:00Z", "end": "2026-03-30T00:00:00Z"})
        .json()
    )
    by_day = {e["start"]: e for e in data}
    assert set(by_day) == {"2026-03-24", "2026-03-25"}
    assert by_day["2026-03-24"]["extendedProps"]["full"] == ["Threads"]
    assert "tt-load-full" in by_day["2026-03-24"]["classNames"]
    assert by_day["2026-03-25"]["extendedProps"]["load"] == [
        {"channel": "Threads", "count": 1, "cap": 2, "full": False}
    ]
    assert by_day["2026-03-24"]["display"] == "background"


# --- pages ----------------------------------------------------------------------------------------


def test_calendar_page_states_the_zone_and_the_ical_address(workspace, members, login, settings):
    settings.BASE_URL = "https://tamtam.example"
    page = login(members["analyst"]).get(reverse("publishing:calendar", kwargs={"ws": workspace.pk}))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="calendar"' in html
    assert "Europe/Paris" in html
    assert f"https://tamtam.example/ical/{workspace.ical_token}.ics" in html
    assert 'data-testid="ical-rotate"' not in html  # only who can manage the workspace rotates it
    owner_page = login(members["owner"]).get(reverse("publishing:calendar", kwargs={"ws": workspace.pk}))
    assert 'data-testid="ical-rotate"' in owner_page.content.decode()


def test_calendar_page_loads_fullcalendar_from_the_vendor_static_files(workspace, members, login):
    html = (
        login(members["analyst"])
        .get(reverse("publishing:calendar", kwargs={"ws": workspace.pk}))
        .content.decode()
    )
    assert "/static/vendor/fullcalendar/index.global.min.js" in html
    assert "/static/tamtam/calendar.js" in html
    # Nothing is loaded from another host (a CDN): every script and stylesheet is ours.
    sources = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(s.startswith("/") for s in sources), sources


def test_client_gets_403_and_a_stranger_404_on_the_calendar(workspace, members, make_user, login):
    url = reverse("publishing:calendar", kwargs={"ws": workspace.pk})
    assert login(members["client"]).get(url).status_code == 403
    assert events(login(members["client"]), workspace).status_code == 403
    stranger = make_user("stranger")
    assert login(stranger).get(url).status_code == 404
    assert events(login(stranger), workspace).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, workspace):
    response = client.get(reverse("publishing:calendar", kwargs={"ws": workspace.pk}))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- moves ----------------------------------------------------------------------------------------


def test_moving_an_event_reschedules_it_at_that_wall_clock_time(workspace, members, channel, login):
    target = make_target(channel, utc(2027, 3, 20, 8, 0))
    response = move(login(members["community"]), target, "2027-03-29T09:30:00")
    assert response.status_code == 200, response.content
    target.refresh_from_db()
    assert target.scheduled_at == utc(2027, 3, 29, 7, 30)  # CEST
    assert target.due_at == target.scheduled_at
    assert response.json()["event"]["start"] == "2027-03-29T09:30:00"
    assert AuditEvent.objects.filter(action="target.rescheduled", object_id=str(target.pk)).exists()


def test_a_move_into_the_spring_forward_gap_lands_after_it(workspace, members, channel, login):
    target = make_target(channel, utc(2027, 3, 20, 8, 0))
    assert move(login(members["community"]), target, "2027-03-28T02:30:00").status_code == 200
    target.refresh_from_db()
    assert target.scheduled_at == utc(2027, 3, 28, 1, 30)  # 03:30 CEST


def test_a_move_into_the_past_is_refused_and_nothing_changes(workspace, members, channel, login):
    when = utc(2027, 3, 20, 8, 0)
    target = make_target(channel, when)
    response = move(login(members["community"]), target, "2020-01-01T09:00:00")
    assert response.status_code == 400
    assert "past" in response.json()["error"]
    target.refresh_from_db()
    assert target.scheduled_at == when


def test_a_move_onto_a_full_day_is_refused_with_the_cap_message(workspace, members, make_channel, login):
    capped = make_channel(name="Instagram", daily_cap=1)
    make_target(capped, utc(2027, 4, 5, 8, 0))
    other = make_target(capped, utc(2027, 4, 6, 8, 0))
    response = move(login(members["community"]), other, "2027-04-05T18:00:00")
    assert response.status_code == 400
    body = response.json()
    assert "Instagram allows 1 posts a day and 2027-04-05 is full" in body["error"]
    other.refresh_from_db()
    assert other.scheduled_at == utc(2027, 4, 6, 8, 0)


def test_a_published_post_cannot_be_moved(workspace, members, channel, login):
    target = make_target(channel, utc(2026, 3, 20, 8, 0), state=S.PUBLISHED)
    response = move(login(members["community"]), target, "2027-05-01T09:00:00")
    assert response.status_code == 409
    assert "cannot be moved" in response.json()["error"]


def test_an_analyst_can_view_but_not_move(workspace, members, channel, login):
    target = make_target(channel, utc(2027, 3, 20, 8, 0))
    response = move(login(members["analyst"]), target, "2027-03-21T09:00:00")
    assert response.status_code == 403
    assert response.json()["ok"] is False
    target.refresh_from_db()
    assert target.scheduled_at == utc(2027, 3, 20, 8, 0)


def test_a_stranger_cannot_move_and_learns_nothing(workspace, channel, make_user, login):
    target = make_target(channel, utc(2027, 3, 20, 8, 0))
    assert move(login(make_user("stranger")), target, "2027-03-21T09:00:00").status_code == 404


def test_a_target_of_another_workspace_is_not_found_through_this_one(
    workspace, members, make_workspace, make_channel, login
):
    other = make_workspace()
    Membership.objects.create(user=members["community"], workspace=other, role="community")
    target = make_target(make_channel(ws=other), utc(2027, 3, 20, 8, 0))
    url = reverse("publishing:move_target", kwargs={"ws": workspace.pk, "target_id": target.pk})
    response = login(members["community"]).post(
        url, json.dumps({"start": "2027-03-21T09:00:00"}), content_type="application/json"
    )
    assert response.status_code == 404


def test_a_malformed_move_is_a_400(workspace, members, channel, login):
    target = make_target(channel, utc(2027, 3, 20, 8, 0))
    client = login(members["community"])
    assert move(client, target, "tomorrow morning").json()["field"] == "start"
    url = reverse("publishing:move_target", kwargs={"ws": workspace.pk, "target_id": target.pk})
    assert client.post(url, "not json", content_type="application/json").status_code == 400
    assert client.get(url).status_code == 405


# --- across workspaces ----------------------------------------------------------------------------


def test_the_cross_workspace_calendar_shows_only_the_users_workspaces(
    make_workspace, make_user, make_channel, login
):
    mine = make_workspace(name="Mine", time_zone="Europe/Paris", color="#ff0000")
    watched = make_workspace(name="Watched", time_zone="America/New_York")
    reviewed = make_workspace(name="Reviewed")
    foreign = make_workspace(name="Foreign")
    user = make_user("alice", mine, "community")
    Membership.objects.create(user=user, workspace=watched, role="analyst")
    Membership.objects.create(user=user, workspace=reviewed, role="client")
    at = utc(2026, 6, 10, 12, 0)
    t_mine = make_target(make_channel(ws=mine), at)
    t_watched = make_target(make_channel(ws=watched), at)
    make_target(make_channel(ws=reviewed), at)
    make_target(make_channel(ws=foreign), at)
    url = reverse("publishing:calendar_all_events")
    data = login(user).get(url, {"start": "2026-06-08", "end": "2026-06-15", "tz": "Europe/Paris"}).json()
    by_id = {int(e["id"]): e for e in data}
    assert set(by_id) == {t_mine.pk, t_watched.pk}
    # Both shown on the viewer's chosen clock, coloured by workspace, movable only where allowed.
    assert {e["start"] for e in data} == {"2026-06-10T14:00:00"}
    assert by_id[t_mine.pk]["backgroundColor"] == "#ff0000"
    assert by_id[t_mine.pk]["editable"] is True
    assert by_id[t_watched.pk]["editable"] is False
    in_new_york = login(user).get(url, {"start": "2026-06-08", "end": "2026-06-15", "tz": "America/New_York"})
    assert {e["start"] for e in in_new_york.json()} == {"2026-06-10T08:00:00"}
    page = login(user).get(reverse("publishing:calendar_all")).content.decode()
    legend = page.split('data-testid="calendar-legend"', 1)[1].split("</div>", 1)[0]
    assert "Mine" in legend
    assert "Watched" in legend
    assert "Foreign" not in page
    assert "Reviewed" not in legend


def test_a_move_from_the_cross_calendar_uses_the_zone_it_was_shown_in(workspace, members, channel, login):
    target = make_target(channel, utc(2027, 3, 20, 8, 0))
    response = move(login(members["community"]), target, "2027-04-01T09:00:00", tz="America/New_York")
    assert response.status_code == 200
    target.refresh_from_db()
    assert target.scheduled_at == utc(2027, 4, 1, 13, 0)  # 09:00 EDT


def test_the_cross_calendar_defaults_to_the_first_workspace_zone(make_workspace, make_user, login):
    ws = make_workspace(name="Alpha", time_zone="Asia/Tokyo")
    user = make_user("bob", ws, "analyst")
    page = login(user).get(reverse("publishing:calendar_all")).content.decode()
    assert "Asia/Tokyo" in page
    assert '"timeZone": "Asia/Tokyo"' in page


def test_the_event_after_a_move_can_be_fetched_in_the_new_week(workspace, members, channel, login):
    target = make_target(channel, utc(2027, 3, 20, 8, 0))
    client = login(members["community"])
    move(client, target, "2027-03-31T18:15:00")
    data = events(client, workspace, start="2027-03-29T00:00:00Z", end="2027-04-05T00:00:00Z").json()
    assert [(e["id"], e["start"]) for e in data] == [(str(target.pk), "2027-03-31T18:15:00")]
    assert timedelta(0) == PostTarget.objects.get(pk=target.pk).scheduled_at - utc(2027, 3, 31, 16, 15)
