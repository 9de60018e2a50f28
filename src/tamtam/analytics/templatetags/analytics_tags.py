"""Template filters of the analytics pages: metric names and values, durations, weekdays, heat."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.dates import WEEKDAYS
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

register = template.Library()

LABELS = {
    "impressions": gettext_lazy("Impressions"),
    "reach": gettext_lazy("Reach"),
    "engagements": gettext_lazy("Engagements"),
    "engagement_rate": gettext_lazy("Engagement rate"),
    "clicks": gettext_lazy("Link clicks"),
    "unique_clicks": gettext_lazy("Unique visitors"),
    "followers": gettext_lazy("Followers"),
    "follower_growth": gettext_lazy("Follower growth"),
    "posts_published": gettext_lazy("Posts published"),
    "conversions": gettext_lazy("Conversions"),
    "conversion_value": gettext_lazy("Conversion value"),
}
BASES = {
    "impressions": gettext_lazy("per impression"),
    "reach": gettext_lazy("per person reached"),
    "followers": gettext_lazy("per follower"),
}


@register.filter
def metric_label(metric: str) -> str:
    return str(LABELS.get(metric, metric))


@register.filter
def basis_label(basis: str) -> str:
    return str(BASES.get(basis, basis))


@register.filter
def metric(value: float | None, name: str) -> str:
    if value is None:
        return ""
    if name == "engagement_rate":
        return f"{number_format(value, 2)} %"
    if name == "follower_growth":
        return ("+" if value > 0 else "") + number_format(round(value), 0, force_grouping=True)
    return number_format(round(value), 0, force_grouping=True)


@register.simple_tag
def kpi_value(value: float | None, name: str) -> SafeString | str:
    """A KPI cell's value, "no data" when nothing is known: what analytics/_kpi_value.html renders,
    without an include per cell (a page has 30 of them; each include cost about 1 ms)."""
    if value is None:
        return format_html('<span class="muted">{}</span>', _("no data"))
    return metric(value, name)


@register.filter
def signed(value: float | None) -> str:
    if value is None:
        return ""
    return ("+" if value > 0 else "") + number_format(value, 0)


@register.filter
def percent(value: float | None) -> str:
    return "" if value is None else f"{number_format(100 * value, 0)} %"


@register.filter
def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 3600:
        return _("%(n)d min") % {"n": round(seconds / 60)}
    if seconds < 86400:
        return _("%(n)s h") % {"n": number_format(seconds / 3600, 1)}
    return _("%(n)s days") % {"n": number_format(seconds / 86400, 1)}


@register.filter
def weekday_name(day: int) -> str:
    return str(WEEKDAYS.get(int(day), ""))


@register.filter
def heat(score: float) -> str:
    """Background opacity of a best-time cell: 0 at half the average, 0.9 at twice it."""
    return f"{max(0.0, min(0.9, (score - 50) / 150 * 0.9)):.2f}"


@register.filter
def get(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None
