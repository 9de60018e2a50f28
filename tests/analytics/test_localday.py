"""LocalDate files timestamps under the same local days as TruncDate, across offset changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count
from django.db.models.functions import TruncDate

from tamtam.analytics.localday import LocalDate, offset_spans
from tamtam.analytics.models import Click, ShortLink


def test_offset_spans_find_the_daylight_saving_changes_to_the_second() -> None:
    paris = ZoneInfo("Europe/Paris")
    spans = offset_spans(paris, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert spans == [
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), 3600),  # 02:00 CET -> 03:00 CEST
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), 7200),  # 03:00 CEST -> 02:00 CET
        (None, 3600),
    ]
    tokyo = offset_spans(
        ZoneInfo("Asia/Tokyo"), datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    )
    assert tokyo == [(None, 9 * 3600)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "zone", ["Europe/Paris", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe"]
)
def test_local_days_equal_truncdate_across_offset_changes(workspace, zone: str) -> None:
    tz = ZoneInfo(zone)
    link = ShortLink.objects.create(
        workspace=workspace, code=f"ld{abs(hash(zone)) % 10_000}", destination="https://x.example/"
    )
    start_at = datetime(2026, 3, 1, tzinfo=UTC)
    end_at = datetime(2026, 11, 30, tzinfo=UTC)
    # Every 53 minutes over nine months (both changes of the northern and southern zones), plus
    # clicks on either side of each change and at local midnight.
    instants = [
        start_at + timedelta(minutes=53 * n) for n in range(int((end_at - start_at).total_seconds() // 3180))
    ]
    for until, _offset in offset_spans(tz, start_at, end_at):
        if until is not None:
            instants += [until - timedelta(seconds=1), until, until + timedelta(microseconds=250)]
    instants += [datetime.combine(date(2026, 7, 14), datetime.min.time(), tzinfo=tz).astimezone(UTC)]
    Click.objects.bulk_create(
        Click(link=link, workspace=workspace, at=at, visitor="v", address="a", token=f"t{i}")
        for i, at in enumerate(instants)
    )
    clicks = Click.objects.filter(workspace=workspace, at__gte=start_at, at__lt=end_at)

    def per_day(expression: TruncDate) -> dict[date, int]:
        rows = clicks.annotate(d=expression).values("d").annotate(n=Count("pk")).values_list("d", "n")
        return dict(rows)

    ours = per_day(LocalDate("at", tz, start_at, end_at))
    assert ours == per_day(TruncDate("at", tzinfo=tz))
    # And both are the Python truth.
    expected: dict[date, int] = {}
    for at in instants:
        if start_at <= at < end_at:
            day = at.astimezone(tz).date()
            expected[day] = expected.get(day, 0) + 1
    assert ours == expected
