"""The demo's measured side: objectives and budget, metrics, clicks and conversions, the inbox,
listening, crisis kit and a monthly report, for each brand.

Nothing here writes a figure by hand. The sandbox network produces the numbers and the work kinds
collect them as a worker would: the metrics poll (analytics.polling) reads each channel, the inbox
fetch collects the sandbox audience's comments, and the listening source reads a week of the sandbox
mention stream through the real pipeline. Clicks go through the click-recording service of the short
links the engine made when it published, and the conversions that follow them through the
conversion service, as a shop's webhook would send them.

The only rows written directly are those the apps have no service for: the sandbox network's own
record of when each post went out (dated back like the posts themselves, so that a post's counters
have the age of its planned day, and moved forward for a moment for each past reading, because the
sandbox's clock dial only goes forward), and the starting cursor of the listening source (a week
back, as a backfill, instead of the stream's default hour).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Max, QuerySet
from django.utils import timezone

from tamtam.analytics import conversions, links, polling, rollups
from tamtam.analytics.models import ConversionSource, MetricPoll, PollState, PostSnapshot, ShortLink
from tamtam.crisis import services as crisis
from tamtam.inbox import collect
from tamtam.inbox.models import FetchState, InboxFetch
from tamtam.listening import services as listening
from tamtam.listening import sources
from tamtam.listening.models import QueryKind, Source, SourceKind, SourceState
from tamtam.networks.sandbox import store
from tamtam.networks.sandbox.stream import MentionStream
from tamtam.publishing.models import PostTarget
from tamtam.reports import sections
from tamtam.reports import services as reports
from tamtam.reports.models import Frequency, PeriodKind
from tamtam.strategy import services as strategy
from tamtam.strategy.models import BudgetLine, Objective
from tamtam.web.demo import crisis as demo_crisis
from tamtam.web.demo.content import InsightSpec
from tamtam.work.claim import claim

if TYPE_CHECKING:
    from tamtam.web.demo import _Brand

OWNER = "demo-seed"
# When the sandbox accounts "opened": followers grow from then on, and messages come from then on.
ACCOUNT_AGE = timedelta(days=8)
READINGS_DAYS_BACK = (6, 4, 2, 1, 0)  # the metrics poll's readings: enough days for the curves
LISTEN_DAYS = demo_crisis.HISTORY_DAYS  # the detector's baseline needs two weeks
STREAM_PER_MINUTE = 0.12  # a small brand: about 170 mentions a day, more during a bad buzz
# The collection's calls, without the waiting or the 503s.
FAST: dict[str, object] = {"latency_ms": 0, "error_rate": 0.0}
CLICKS_PER_LINK = 60  # at most: the sandbox's own click counter of the post decides, up to this
ORDER_EVERY = 6  # one visitor in six orders
ORDER_VALUES = ("34.00", "45.00", "58.50", "79.00", "129.00", "24.90")
# A browser, not a bot (the click service leaves bots out of the counts).
USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def before_posts(brand: _Brand) -> None:
    """What must exist before the engine publishes: tracking on, so the links it sends are short links."""
    spec = _spec(brand)
    if spec.tracking:
        conversions.settings_for(brand.ws)


def after_posts(brand: _Brand) -> None:
    spec = _spec(brand)
    _sandbox_dates(brand)
    _plans(brand, spec)
    _metrics(brand)
    if spec.tracking:
        _clicks_and_orders(brand, spec)
    _inbox(brand)
    brand_query = _listening(brand, spec)
    _crisis_kit(brand, spec, brand_query)
    _report(brand, spec)
    rollups.rebuild_workspace(brand.ws)


def _spec(brand: _Brand) -> InsightSpec:
    if brand.spec.insights is None:
        raise ValueError(f"the demo brand {brand.spec.slug} has no insights")
    return brand.spec.insights


# --- the sandbox network's dates ----------------------------------------------------------------


def _sandbox_dates(brand: _Brand) -> None:
    """The network's record of each published post moved to the day it was planned for (the demo's
    rows were), and the accounts opened months ago, so counters and followers have their real age."""
    published = PostTarget.objects.filter(workspace=brand.ws, published_at__isnull=False)
    rows = [
        (t.published_at.timestamp(), int(t.remote_id))
        for t in published
        if t.published_at is not None and t.remote_id.isdigit()
    ]
    handles = [c.handle.lstrip("@") for c in brand.channels.values()]
    opened = (brand.now - ACCOUNT_AGE).timestamp()
    with store.write() as conn:
        conn.executemany("UPDATE posts SET created_at = ? WHERE id = ?", rows)
        conn.executemany(
            "UPDATE accounts SET created_at = MIN(created_at, ?) WHERE handle = ?",
            [(opened, h) for h in handles],
        )


# --- strategy: objectives and budget ------------------------------------------------------------


def _plans(brand: _Brand, spec: InsightSpec) -> None:
    manager = brand.user("manager")
    start, end = brand.today - timedelta(days=14), brand.today + timedelta(days=16)
    for objective in spec.objectives:
        strategy.save(
            brand.ws,
            manager,
            Objective,
            {
                "kind": objective.kind,
                "name": objective.name,
                "metric": objective.metric,
                "target": Decimal(objective.target),
                "starts_on": start,
                "ends_on": end,
                "owner": manager,
                "channels": [brand.channels[k] for k in objective.channels],
                "campaign": brand.campaign if objective.campaign else None,
            },
        )
    for line in spec.budget:
        strategy.save(
            brand.ws,
            manager,
            BudgetLine,
            {
                "category": line.category,
                "label": line.label,
                "planned_amount": Decimal(line.planned),
                "actual_amount": Decimal(line.actual),
                "currency": spec.currency,
                "starts_on": start,
                "ends_on": end,
                "campaign": brand.campaign if line.campaign else None,
            },
        )


# --- analytics: the metrics poll, clicks and orders ---------------------------------------------


def _run_claimed(
    rows: QuerySet[Any],
    now: datetime,
    lease: float,
    to_state: str,
    idle: str,
    run: Callable[[int, str, datetime], str],
) -> list[str]:
    """Claim this workspace's due rows of a work kind (never another workspace's) and run each."""
    ids = claim(rows, states=[idle], now=now, limit=100, lease_seconds=lease, owner=OWNER, to_state=to_state)
    return [run(pk, OWNER, now) for pk in ids]


def _metrics(brand: _Brand) -> None:
    """The metrics poll of every channel on a few days of the last week, the last time now: what a
    worker would have read on those days, so the daily curves have days."""
    real_now = timezone.now()
    polling.ensure_polls(brand.ws.pk, now=real_now - timedelta(days=READINGS_DAYS_BACK[0]))
    polls = MetricPoll.objects.filter(channel__workspace=brand.ws)
    for days in READINGS_DAYS_BACK:
        moment = real_now - timedelta(days=days)
        with _network_as_of(brand, timedelta(days=days)):
            for channel in brand.channels.values():
                rows = polls.filter(channel=channel)
                if rows.exists():  # not the revoked channel
                    with brand._dials(channel.pk, FAST):
                        _run_claimed(
                            rows,
                            moment,
                            polling.LEASE_SECONDS,
                            PollState.CLAIMED,
                            PollState.IDLE,
                            polling.run_poll,
                        )


@contextmanager
def _network_as_of(brand: _Brand, back: timedelta) -> Iterator[None]:
    """The sandbox network as it was `back` ago, for one reading: its clock only moves forward
    (`audience_clock_offset_s` is never negative), so the brand's posts and accounts are moved forward
    by as much instead, which gives every counter the age it had then; put back at once after."""
    if not back:
        yield
        return
    shift = back.total_seconds()
    posts = [
        (shift, int(t.remote_id))
        for t in PostTarget.objects.filter(workspace=brand.ws, published_at__isnull=False)
        if t.remote_id.isdigit()
    ]
    accounts = [(shift, h) for h in {c.handle.lstrip("@") for c in brand.channels.values()}]
    with store.write() as conn:
        conn.executemany("UPDATE posts SET created_at = created_at + ? WHERE id = ?", posts)
        conn.executemany("UPDATE accounts SET created_at = created_at + ? WHERE handle = ?", accounts)
    try:
        yield
    finally:
        with store.write() as conn:
            conn.executemany("UPDATE posts SET created_at = created_at - ? WHERE id = ?", posts)
            conn.executemany("UPDATE accounts SET created_at = created_at - ? WHERE handle = ?", accounts)


def _clicks_and_orders(brand: _Brand, spec: InsightSpec) -> None:
    """Visitors follow the short links of the published posts, as many as the network counted clicks,
    over the days after each post; one in ORDER_EVERY orders in the next half hour."""
    visitor = 0
    for link in ShortLink.objects.filter(workspace=brand.ws, target__isnull=False).select_related("target"):
        target = link.target
        if target is None or target.published_at is None:
            continue
        counted = PostSnapshot.objects.filter(target=target).aggregate(n=Max("clicks"))["n"] or 0
        resolved = links.resolve(link.code)
        if resolved is None:
            continue
        span = max(timedelta(hours=1), min(timezone.now() - target.published_at, timedelta(days=4)))
        for index in range(min(int(counted), CLICKS_PER_LINK)):
            visitor += 1
            # Most clicks come in the first hours; spread on a square law over the span.
            at = target.published_at + span * ((index + 1) / (CLICKS_PER_LINK + 1)) ** 2
            click = links.record_click(
                resolved,
                address=f"198.51.100.{visitor % 250 + 1}",
                user_agent=USER_AGENT,
                referrer_host="l.instagram.com",
                now=at,
            )
            if visitor % ORDER_EVERY == 0:
                value = ORDER_VALUES[visitor // ORDER_EVERY % len(ORDER_VALUES)]
                conversions.record(
                    brand.ws,
                    conversions.ConversionIn(
                        external_id=f"demo-{brand.spec.slug}-{visitor}",
                        occurred_at=at + timedelta(minutes=25),
                        value=Decimal(value),
                        currency=spec.currency,
                        label=spec.order_label,
                        utm_source="social",
                        click_id=click.pk,
                    ),
                    ConversionSource.API,
                )


# --- inbox --------------------------------------------------------------------------------------


def _inbox(brand: _Brand) -> None:
    """One inbox collection: the sandbox audience's comments, mentions and messages so far."""
    collect.ensure_fetches(brand.ws.pk)
    now = timezone.now()
    for channel in brand.channels.values():
        rows = InboxFetch.objects.filter(channel=channel)
        if rows.exists():
            with brand._dials(channel.pk, FAST):
                _run_claimed(
                    rows, now, collect.LEASE_SECONDS, FetchState.CLAIMED, FetchState.IDLE, collect.run_fetch
                )


# --- listening and crisis -----------------------------------------------------------------------


def _listening(brand: _Brand, spec: InsightSpec) -> Any:
    about = spec.listening
    brand_query = listening.save_query(
        brand.ws, name=about.brand_query[0], expression=about.brand_query[1], kind=QueryKind.BRAND
    )
    listening.save_query(
        brand.ws,
        name=about.competitor_query[0],
        expression=about.competitor_query[1],
        kind=QueryKind.COMPETITOR,
    )
    seeded_at = timezone.now()
    source = listening.save_source(
        brand.ws,
        kind=SourceKind.SANDBOX,
        name=about.source_name,
        interval_seconds=demo_crisis.SOURCE_INTERVAL,
        options={
            "stream_brand": about.brand,
            "stream_competitors": list(about.competitors),
            "stream_products": list(about.products),
            "stream_per_minute": STREAM_PER_MINUTE,
            "seed": zlib.crc32(f"{brand.spec.slug}:stream".encode()),
            # A bad buzz a few minutes from now, for the workers to catch (web/demo/crisis.py).
            **demo_crisis.stream_options(seeded_at),
        },
    )
    now = timezone.now()  # after the source's creation: it is due
    # A week of backfill instead of the stream's default hour (no service sets a source's cursor).
    start = MentionStream.minute_of(now - timedelta(days=LISTEN_DAYS))
    Source.objects.filter(pk=source.pk).update(cursor=f"{start}:0")
    for _run in range(10):  # each run reads at most a few pages; the next goes on from the cursor
        outcome = _run_claimed(
            Source.objects.filter(pk=source.pk),
            now,
            sources.LEASE_SECONDS,
            SourceState.CLAIMED,
            SourceState.IDLE,
            sources.run_source,
        )
        source.refresh_from_db()
        done = int(source.cursor.split(":")[0] or 0) >= MentionStream.minute_of(now)
        if not outcome or done or source.last_error:
            break
        Source.objects.filter(pk=source.pk).update(due_at=now)
    return brand_query


def _crisis_kit(brand: _Brand, spec: InsightSpec, brand_query: Any) -> None:
    manager = brand.user("manager")
    crisis.save_rule(
        brand.ws,
        manager,
        crisis.RuleInput(name=spec.rule_name, query_id=brand_query.pk, email_to=manager.email),
    )
    for language, title, text in spec.statements:
        crisis.save_statement(brand.ws, manager, title, language, text)


# --- reports ------------------------------------------------------------------------------------


def _report(brand: _Brand, spec: InsightSpec) -> None:
    manager = brand.user("manager")
    report = reports.save_report(
        brand.ws,
        manager,
        {
            "name": spec.report_name,
            "period": PeriodKind.LAST_30_DAYS,
            "compare_previous": True,
            "sections": list(sections.SECTIONS),
        },
    )
    reports.save_schedule(
        report,
        manager,
        {
            "frequency": Frequency.MONTHLY,
            "day_of_month": 1,
            "hour": 8,
            "weekday": 0,
            "language": brand.ws.language,
            "attach_pdf": True,
            "attach_csv": True,
            "recipients": brand.user("client").email,
        },
    )
