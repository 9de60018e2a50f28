"""The iCal feed: a secret address, no login, parseable by calendar apps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from tamtam.publishing.models import Post, PostTarget
from tamtam.publishing.states import TargetState as S


def make_target(channel, when, state=S.SCHEDULED, text="Launch day"):
    post = Post.objects.create(workspace=channel.workspace, text=text, scheduled_at=when)
    return PostTarget.objects.create(
        post=post, channel=channel, workspace=channel.workspace, text=text, scheduled_at=when, state=state
    )


def test_the_feed_parses_and_lists_the_planned_posts(client, workspace, make_channel, make_workspace):
    channel = make_channel(name="Mastodon")
    when = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    kept = make_target(channel, when)
    make_target(channel, when + timedelta(hours=1), state=S.CANCELLED, text="Dropped")
    make_target(make_channel(ws=make_workspace()), when, text="Someone else's")
    response = client.get(reverse("publishing:ical", kwargs={"token": workspace.ical_token}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    assert str(cal["x-wr-timezone"]) == "Europe/Paris"
    events = cal.walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["[Mastodon] Launch day"]
    (event,) = events
    assert event.decoded("dtstart").astimezone(UTC) == when.astimezone(UTC)
    assert str(event["uid"]) == f"target-{kept.pk}@tamtam"
    assert f"/w/{workspace.pk}/posts/{kept.post_id}/" in str(event["url"])


def test_an_unknown_token_is_a_404(client, workspace):
    assert client.get("/ical/not-a-real-token.ics").status_code == 404
    assert client.get(f"/ical/{workspace.ical_token}x.ics").status_code == 404


def test_a_rotated_token_stops_the_old_address(client, workspace):
    old = workspace.ical_token
    workspace.ical_token = "fresh-token-value"
    workspace.save()
    assert client.get(f"/ical/{old}.ics").status_code == 404
    assert client.get("/ical/fresh-token-value.ics").status_code == 200


def test_published_posts_link_to_the_network(client, workspace, make_channel):
    target = make_target(make_channel(), datetime.now(UTC) - timedelta(days=1), state=S.PUBLISHED)
    PostTarget.objects.filter(pk=target.pk).update(remote_url="https://example.social/@brand/1")
    cal = Calendar.from_ical(client.get(f"/ical/{workspace.ical_token}.ics").content)
    (event,) = cal.walk("VEVENT")
    assert str(event["url"]) == "https://example.social/@brand/1"
    assert str(event["status"]) == "CONFIRMED"
