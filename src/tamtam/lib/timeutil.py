"""Aware time helpers: everything is stored in UTC, shown and planned in the workspace's zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.utils import timezone


class NaiveDatetimeError(ValueError):
    pass


class UnknownTimeZoneError(ValueError):
    pass


def now() -> datetime:
    return timezone.now()


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or UnknownTimeZoneError naming it."""
    if not name or name not in _zones():
        raise UnknownTimeZoneError(f"unknown time zone {name!r} (expected an IANA name such as Europe/Paris)")
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:  # pragma: no cover - listed but not loadable
        raise UnknownTimeZoneError(f"unknown time zone {name!r}") from None


_ZONES: frozenset[str] | None = None


def _zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones()) | {"UTC"}
    return _ZONES


def all_zone_names() -> list[str]:
    return sorted(_zones())


def require_aware(value: datetime, field: str = "datetime") -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetimeError(f"{field}: a time zone offset is required (e.g. 2026-03-29T09:00:00+02:00)")
    return value


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """Wall-clock time in `tz` to UTC, DST-safe.

    A time skipped by a spring-forward gap moves forward by the gap (02:30 → 03:30 in Paris);
    an ambiguous time in the autumn fold takes its first occurrence (fold=0), like calendars do.
    """
    naive = datetime.combine(day, at)
    local = naive.replace(tzinfo=tz, fold=0)
    utc = local.astimezone(ZoneInfo("UTC"))
    # Round-trip check detects a non-existent local time (spring-forward gap).
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        shifted = (naive + timedelta(hours=1)).replace(tzinfo=tz, fold=0)
        utc = shifted.astimezone(ZoneInfo("UTC"))
    return utc


def to_local(value: datetime, tz: ZoneInfo) -> datetime:
    return require_aware(value).astimezone(tz)


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day in UTC (23 or 25 hours long on DST days)."""
    return local_to_utc(day, time(0, 0), tz), local_to_utc(day + timedelta(days=1), time(0, 0), tz)
