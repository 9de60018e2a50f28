"""Recurring posts: the form builds the RRULE, previews DST-stable dates, and occurrences get made."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tamtam.lib import timeutil
from tamtam.publishing.models import Post, PostSource, Recurrence
from tamtam.publishing.services import PostInput, create_post
from tamtam.publishing.states import TargetState as S
from tamtam.publishing.views.queues import preview


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def make_post(workspace, members, make_channel):
    channel = make_channel(name="Bluesky")

    def make(when: datetime | None, text: str = "Weekly tip") -> Post:
        post = create_post(workspace, members["manager"], PostInput(text=text, channel_ids=[channel.pk]))
        Post.objects.filter(pk=post.pk).update(scheduled_at=when)
        post.targets.update(scheduled_at=when)
        post.refresh_from_db()
        return post

    return make


def rec_url(name, post):
    return reverse(f"publishing:{name}", kwargs={"ws": post.workspace_id, "post_id": post.pk})


def form(freq="WEEKLY", weekdays=(), interval=1, monthday="", until=""):
    return {
        "frequency": freq,
        "weekdays": [str(d) for d in weekdays],
        "interval": interval,
        "monthday": monthday,
        "until": until,
    }


def test_weekly_on_chosen_days_builds_the_rrule_at_the_posts_time(members, make_post, login):
    post = make_post(utc(2027, 3, 22, 8, 30))  # Monday 09:30 in Paris
    html = (
        login(members["community"])
        .post(rec_url("recurrence_preview", post), form(weekdays=[0, 2]))
        .content.decode()
    )
    assert "FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9;BYMINUTE=30" in html


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (form("DAILY", interval=2), "FREQ=DAILY;INTERVAL=2;BYHOUR=9;BYMINUTE=30"),
        (form("MONTHLY", monthday=15), "FREQ=MONTHLY;BYMONTHDAY=15;BYHOUR=9;BYMINUTE=30"),
    ],
)
def test_daily_and_monthly_rules(members, make_post, login, data, rule):
    post = make_post(utc(2027, 3, 22, 8, 30))
    html = login(members["community"]).post(rec_url("recurrence_preview", post), data).content.decode()
    assert rule in html


def test_weekly_without_a_day_or_an_end_before_the_start_is_refused(members, make_post, login):
    post = make_post(utc(2027, 3, 22, 8, 30))
    client = login(members["community"])
    assert (
        "Choose at least one day" in client.post(rec_url("recurrence_preview", post), form()).content.decode()
    )
    response = client.post(rec_url("recurrence", post), form(weekdays=[0], until="2027-01-01"))
    assert response.status_code == 400
    assert "before the first post" in response.content.decode()
    assert not Recurrence.objects.exists()


def test_occurrences_keep_the_wall_clock_time_across_dst(workspace, members, make_post, login):
    post = make_post(utc(2027, 3, 22, 8, 30))  # CET; Paris goes to CEST on 28 March
    html = (
        login(members["community"])
        .post(rec_url("recurrence_preview", post), form(weekdays=[0]))
        .content.decode()
    )
    assert "Monday 29 March 2027, 09:30" in html
    assert "UTC+0200" in html
    dates = preview(workspace, post.scheduled_at, "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=30", None)
    assert [d.strftime("%Y-%m-%d %H:%M") for d in dates] == [
        "2027-03-29 09:30",
        "2027-04-05 09:30",
        "2027-04-12 09:30",
        "2027-04-19 09:30",
        "2027-04-26 09:30",
    ]
    assert dates[0].astimezone(UTC) == utc(2027, 3, 29, 7, 30)


def test_autumn_occurrences_stay_at_the_same_local_time(workspace, make_post):
    post = make_post(utc(2027, 10, 25, 7, 30))  # Monday 09:30 CEST; CET from 31 October
    dates = preview(workspace, post.scheduled_at, "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=30", None, count=2)
    assert [d.astimezone(UTC) for d in dates] == [utc(2027, 11, 1, 8, 30), utc(2027, 11, 8, 8, 30)]


def test_the_until_date_bounds_the_preview(workspace, members, make_post, login):
    post = make_post(utc(2027, 3, 22, 8, 30))
    html = (
        login(members["community"])
        .post(rec_url("recurrence_preview", post), form("DAILY", until="2027-03-24"))
        .content.decode()
    )
    assert "Tuesday 23 March 2027, 09:30" in html
    assert "Wednesday 24 March 2027, 09:30" in html  # the end day is included
    assert "25 March" not in html


def test_saving_a_rule_makes_the_post_recurring_and_the_command_creates_occurrences(
    workspace, members, make_post, login
):
    tomorrow = timeutil.to_local(timezone.now(), workspace.tz).date() + timedelta(days=1)
    post = make_post(timeutil.local_to_utc(tomorrow, time(9, 30), workspace.tz))
    response = login(members["community"]).post(rec_url("recurrence", post), form("DAILY"))
    assert response.status_code == 302
    rec = Recurrence.objects.get(template=post)
    assert rec.rrule == "FREQ=DAILY;BYHOUR=9;BYMINUTE=30"
    call_command("expand_recurrences", verbosity=0)
    made = Post.objects.filter(recurrence=rec, source=PostSource.RECURRENCE).order_by("scheduled_at")
    assert made.count() >= 12
    assert {timeutil.to_local(p.scheduled_at, workspace.tz).strftime("%H:%M") for p in made} == {"09:30"}
    assert made[0].scheduled_at == post.scheduled_at + timedelta(days=1)
    call_command("expand_recurrences", verbosity=0)  # idempotent
    assert Post.objects.filter(recurrence=rec, source=PostSource.RECURRENCE).count() == made.count()
    page = login(members["community"]).get(rec_url("recurrence", post)).content.decode()
    assert 'data-testid="recurrence-current"' in page


def test_stopping_cancels_the_planned_occurrences_when_asked(workspace, members, make_post, login):
    tomorrow = timeutil.to_local(timezone.now(), workspace.tz).date() + timedelta(days=1)
    post = make_post(timeutil.local_to_utc(tomorrow, time(9, 30), workspace.tz))
    client = login(members["community"])
    client.post(rec_url("recurrence", post), form("DAILY"))
    call_command("expand_recurrences", verbosity=0)
    rec = Recurrence.objects.get(template=post)
    client.post(rec_url("recurrence_stop", post), {"cancel_planned": "1"})
    rec.refresh_from_db()
    assert rec.active is False
    states = set(
        Post.objects.filter(recurrence=rec).exclude(pk=post.pk).values_list("targets__state", flat=True)
    )
    assert states == {S.CANCELLED}
    assert set(post.targets.values_list("state", flat=True)) != {S.CANCELLED}  # the original stays


def test_replacing_a_rule_retires_the_old_one(workspace, members, make_post, login):
    post = make_post(utc(2027, 3, 22, 8, 30))
    client = login(members["community"])
    client.post(rec_url("recurrence", post), form(weekdays=[0]))
    client.post(rec_url("recurrence", post), form(weekdays=[4]))
    assert list(Recurrence.objects.filter(template=post, active=True).values_list("rrule", flat=True)) == [
        "FREQ=WEEKLY;BYDAY=FR;BYHOUR=9;BYMINUTE=30"
    ]


def test_a_post_without_a_date_is_asked_for_one_first(members, make_post, login):
    post = make_post(None)
    html = login(members["community"]).get(rec_url("recurrence", post)).content.decode()
    assert 'data-testid="recurrence-needs-date"' in html


def test_only_roles_that_schedule_set_recurrence(members, make_post, make_user, login):
    post = make_post(utc(2027, 3, 22, 8, 30))
    assert login(members["analyst"]).get(rec_url("recurrence", post)).status_code == 403
    assert login(members["client"]).post(rec_url("recurrence", post), form(weekdays=[0])).status_code == 403
    assert login(make_user("stranger")).get(rec_url("recurrence", post)).status_code == 404
    assert login(members["community"]).get(rec_url("recurrence", post)).status_code == 200
