"""The analytics dashboard in a real browser (Playwright on Debian's Chromium), in English then French:
the charts drawn, a date range compared with the period before it, the channel filter keeping that
range, the drill-down from a best post to the post itself, and the stale-data warning of a channel
whose metrics API fails (a sandbox channel answering 503 to every read, polled for real)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.formats import number_format

from tamtam.analytics import dashboard, polling, services
from tamtam.analytics.models import ChannelDaily, MetricPoll, PostDaily
from tamtam.publishing.models import Post, PostTarget
from tamtam.strategy.models import Objective

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def board(workspace, make_channel):
    """Fourteen days of known figures on two channels and the fourteen before them (the previous
    period); the second channel's network then fails when its metrics are read."""
    workspace.time_zone = "Europe/Paris"
    workspace.save()
    shop = make_channel(name="Shop")
    blog = make_channel(name="Blog", options={"error_rate": 1.0})
    today = dashboard.Period.last_days(workspace, 1).end
    first = today - timedelta(days=27)
    posts = {}
    for n, channel in enumerate([shop, shop, blog]):
        post = Post.objects.create(workspace=workspace, text=f"Spring offer number {n}")
        target = PostTarget.objects.create(
            post=post,
            channel=channel,
            workspace=workspace,
            state="published",
            remote_id=str(n + 1),
            published_at=datetime.combine(first, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9),
        )
        posts[n] = target
        rows = []
        for d in range(28):
            rows.append(
                PostDaily(
                    target=target,
                    workspace=workspace,
                    channel=channel,
                    day=first + timedelta(days=d),
                    impressions=1000 + 10 * d,
                    engagements=(40 if d >= 14 else 20) + 30 * n,  # this period doubles the one before
                    rate_basis=1000 + 10 * d,
                )
            )
        PostDaily.objects.bulk_create(rows)
    # The channel days are the sums of their posts' days, as rollups.rebuild_channel_days leaves them.
    days: dict[tuple[int, object], list[PostDaily]] = {}
    for row in PostDaily.objects.filter(workspace=workspace):
        days.setdefault((row.channel_id, row.day), []).append(row)
    ChannelDaily.objects.bulk_create(
        ChannelDaily(
            workspace=workspace,
            channel_id=channel_id,
            day=day,
            impressions=sum(r.impressions for r in rows),
            engagements=sum(r.engagements for r in rows),
            rate_basis=sum(r.rate_basis for r in rows),
            post_rows=len(rows),
            posts_published=0,
            followers=5000 + 10 * (day - first).days,  # type: ignore[operator]
        )
        for (channel_id, day), rows in days.items()
    )
    Objective.objects.create(
        workspace=workspace,
        kind="engagement",
        name="Engage the spring buyers",
        metric="engagements",
        target=10_000,
        starts_on=first,
        ends_on=today + timedelta(days=30),
    )
    polling.ensure_polls(workspace.pk)
    now = timezone.now()
    for poll_id in polling.claim_due(now, 10, "test"):
        polling.run_poll(poll_id, "test", now)
    assert MetricPoll.objects.get(channel=blog).failing_since is not None  # the real poll failed
    assert MetricPoll.objects.get(channel=shop).failing_since is None
    return {"today": today, "first": first, "shop": shop, "blog": blog, "posts": posts}


def drawn(page, canvas_id: str) -> bool:
    """Chart.js made a chart on that canvas and painted something (not a blank canvas)."""
    return page.evaluate(
        """(id) => {
            const canvas = document.getElementById(id);
            if (!canvas || typeof Chart === "undefined" || !Chart.getChart(canvas)) return false;
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
            return false;
        }""",
        canvas_id,
    )


def test_dashboard_in_english_and_french(page, log_in, workspace, members, board):
    log_in(members["manager"].username, "pw-manager-Secret1")
    start, end = board["today"] - timedelta(days=13), board["today"]
    page.goto(f"/w/{workspace.pk}/analytics/")
    assert page.locator("h1").first.inner_text() == "Analytics"

    # A date range, through the form: the last 14 days, compared with the 14 before.
    form = page.locator("[data-testid=range-form]")
    form.locator("input[name=start]").fill(start.isoformat())
    form.locator("input[name=end]").fill(end.isoformat())
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert f"start={start.isoformat()}" in page.url
    kpis = page.locator("[data-testid=kpis]").inner_text()
    now = services.metric_total(workspace, "engagements", start, end)
    before = services.metric_total(
        workspace, "engagements", start - timedelta(days=14), start - timedelta(days=1)
    )
    assert now == 14 * (40 + 70 + 100)
    assert before == 14 * (20 + 50 + 80)
    assert number_format(now, 0, force_grouping=True) in kpis
    assert "previous period: " + number_format(before, 0, force_grouping=True) in kpis
    change = round(100 * (now - before) / before)
    assert f"(+{change} %)" in kpis

    # The charts are drawn (Chart.js served from the vendored package, no CDN).
    page.wait_for_function("typeof Chart !== 'undefined'")
    assert drawn(page, "engagement-chart")
    assert drawn(page, "channels-chart")

    # The failing metrics API: a warning names the channel, its row is marked stale.
    warning = page.locator("[data-testid=stale]")
    assert warning.count() == 1
    assert "The figures of Blog may be out of date" in warning.inner_text()
    assert "503" in warning.inner_text()
    blog_row = page.locator("[data-testid=channel-comparison] tr", has_text="Blog")
    assert "stale" in blog_row.inner_text()

    # The strategy's objectives, with their live progress, link to the strategy page.
    objective = page.locator("[data-testid=dashboard-objective]")
    assert objective.count() == 1
    assert "Engage the spring buyers" in objective.inner_text()
    progress = services.metric_total(workspace, "engagements", board["first"], board["today"])
    assert f"{round(100 * progress / 10_000)} %" in objective.inner_text()

    # The channel filter keeps the chosen range.
    with page.expect_navigation():
        page.select_option("select[name=channel]", str(board["shop"].pk))
    assert f"channel={board['shop'].pk}" in page.url
    assert f"start={start.isoformat()}" in page.url
    shop_only = services.metric_total(workspace, "engagements", start, end, channel_ids=[board["shop"].pk])
    assert number_format(shop_only, 0, force_grouping=True) in page.locator("[data-testid=kpis]").inner_text()

    # Drill-down: the best post of the period opens the post itself.
    best = page.locator("[data-testid=posts-table] tbody tr").first
    assert "Spring offer number 1" in best.inner_text()  # Shop's best (post 2 is on Blog)
    with page.expect_navigation():
        best.locator("a").first.click()
    assert f"/posts/{board['posts'][1].post_id}" in page.url
    assert "Spring offer number 1" in page.locator("main").inner_text()

    # French: the same dashboard, every label translated.
    page.goto(f"/w/{workspace.pk}/analytics/?start={start.isoformat()}&end={end.isoformat()}")
    with page.expect_navigation():  # the form submits itself on change
        page.select_option("[data-testid=language-form] select", "fr")
    assert page.locator("h1").first.inner_text() == "Statistiques"
    main = page.locator("main").inner_text()
    for label in (
        "Engagement au fil du temps",
        "Meilleures publications",
        "période précédente",
        "Avancement des objectifs",
    ):
        assert label in main
    assert "Les chiffres de Blog peuvent être périmés" in page.locator("[data-testid=stale]").inner_text()
    assert "périmé" in page.locator("[data-testid=channel-comparison] tr", has_text="Blog").inner_text()
    page.wait_for_function("typeof Chart !== 'undefined'")
    assert drawn(page, "engagement-chart")
    legend = page.evaluate("() => Chart.getChart('engagement-chart').data.datasets.map((d) => d.label)")
    assert "Engagements, période précédente" in legend


def test_an_empty_period_says_so(page, log_in, workspace, members, board):
    log_in(members["manager"].username, "pw-manager-Secret1")
    page.goto(f"/w/{workspace.pk}/analytics/?start=2024-01-01&end=2024-01-31")
    assert "No data for this period" in page.locator("[data-testid=empty-period]").inner_text()
    assert page.locator("[data-testid=kpis]").count() == 0  # no zeros shown as facts
