"""The calendar in a real browser (Debian's Chromium through Playwright): rendering in the workspace's
wall clock, drag and drop that moves, and a refused drop that snaps back with the reason."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from tamtam.lib import timeutil
from tamtam.publishing.models import Post, PostTarget
from tamtam.publishing.states import TargetState as S

# Browser and page fixtures come from tests/e2e/conftest.py (Debian's Chromium, DESIGN §10 flags).
pytestmark = pytest.mark.e2e


def month_ahead() -> date:
    """The first Monday-started week of the month after next: always in the future, never today."""
    today = timezone.now().date()
    return (today.replace(day=1) + timedelta(days=62)).replace(day=1)


def place(channel, day: date, at: time, state=S.SCHEDULED, text="Launch") -> PostTarget:
    when = timeutil.local_to_utc(day, at, channel.workspace.tz)
    post = Post.objects.create(workspace=channel.workspace, text=text, scheduled_at=when)
    return PostTarget.objects.create(
        post=post, channel=channel, workspace=channel.workspace, text=text, scheduled_at=when,
        due_at=when if state == S.SCHEDULED else None, state=state,
    )  # fmt: skip


def log_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"pw-{username}-Secret1")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def event(page, target: PostTarget):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-testid=calendar-event][data-target-id="{target.pk}"]')


def cell(page, day: date):  # type: ignore[no-untyped-def]
    return page.locator(f'td.fc-daygrid-day[data-date="{day.isoformat()}"] .fc-daygrid-day-frame')


@pytest.mark.django_db(transaction=True)
def test_drag_and_drop_moves_a_post_and_a_full_day_sends_it_back(page, workspace, members, make_channel):
    first = month_ahead() + timedelta(days=7)
    capped = make_channel(name="Instagram", daily_cap=1)
    blocker = place(capped, first, time(9, 30), text="Already there")
    mover = place(capped, first + timedelta(days=1), time(18, 15), text="Move me")
    published = place(make_channel(name="Bluesky"), first, time(8, 0), state=S.PUBLISHED, text="Done")
    PostTarget.objects.filter(pk=published.pk).update(remote_url="https://bsky.example/post/9")

    log_in(page, "community")
    page.goto(f"/w/{workspace.pk}/calendar/?date={first.isoformat()}")
    event(page, mover).wait_for()
    assert event(page, mover).get_attribute("data-state") == "scheduled"
    assert "18:15" in event(page, mover).inner_text()  # the workspace's wall clock, not the browser's
    assert "Europe/Paris" in page.get_by_test_id("calendar-zone").inner_text()
    assert event(page, published).locator("[data-testid=remote-link]").get_attribute("href") == (
        "https://bsky.example/post/9"
    )

    event(page, mover).drag_to(cell(page, first))  # Instagram's one post a day is taken
    message = page.get_by_test_id("calendar-message")
    message.wait_for()
    assert "is full" in message.inner_text()
    assert cell(page, first + timedelta(days=1)).locator(f'[data-target-id="{mover.pk}"]').count() == 1
    mover.refresh_from_db()
    assert timeutil.to_local(mover.scheduled_at, workspace.tz).date() == first + timedelta(days=1)

    target_day = first + timedelta(days=3)
    event(page, mover).drag_to(cell(page, target_day))
    page.wait_for_function(
        "document.querySelector('[data-testid=calendar-message]').textContent.includes('Moved')"
    )
    mover.refresh_from_db()
    local = timeutil.to_local(mover.scheduled_at, workspace.tz)
    assert (local.date(), local.strftime("%H:%M")) == (target_day, "18:15")
    blocker.refresh_from_db()
    assert timeutil.to_local(blocker.scheduled_at, workspace.tz).date() == first


@pytest.mark.django_db(transaction=True)
def test_an_analyst_sees_the_calendar_but_cannot_drag(page, workspace, members, make_channel):
    first = month_ahead() + timedelta(days=7)
    target = place(make_channel(name="LinkedIn"), first, time(10, 0))
    log_in(page, "analyst")
    page.goto(f"/w/{workspace.pk}/calendar/?date={first.isoformat()}")
    event(page, target).wait_for()
    event(page, target).drag_to(cell(page, first + timedelta(days=2)))
    page.wait_for_timeout(500)
    target.refresh_from_db()
    assert timeutil.to_local(target.scheduled_at, workspace.tz).date() == first
    assert "fc-event-draggable" not in (event(page, target).get_attribute("class") or "")
