"""Template filters of the report documents."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from tamtam.reports import render

register = template.Library()


@register.filter
def cell(value: Any) -> str:
    return render.cell(value)


@register.filter
def svg(markup: str) -> SafeString:
    # Built by reports.charts, which escapes every text it puts in: safe to insert as markup.
    return mark_safe(markup)  # noqa: S308


@register.filter
def numeric(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
