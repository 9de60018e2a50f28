"""The sections a report can hold, each built from the app that owns the figures: strategy
(objectives, budget, pillar mix) and analytics' dashboard sections (headline figures, engagement over
time, best posts, channel comparison, listening sentiment, inbox response times).

Each builder returns a `Section` of tables (raw values: the HTML formats them, the CSV keeps them)
and an optional SVG chart. A section with nothing measured in the period is `empty` and says so; a
section whose app is not installed is `unavailable`. Neither shows zeros as facts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tamtam.accounts.models import Workspace
from tamtam.reports import charts
from tamtam.strategy import services as strategy
from tamtam.strategy.models import Metric

log = logging.getLogger(__name__)


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]]
    title: str = ""


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)
    chart: str = ""  # SVG markup from reports.charts (every text in it escaped)
    notes: list[str] = field(default_factory=list)  # caveats shown under the section
    empty: bool = False
    unavailable: bool = False
    message: str = ""  # shown instead of the content when empty or unavailable


@dataclass(frozen=True)
class Context:
    workspace: Workspace
    start: date
    end: date
    compare_previous: bool
    colors: tuple[str, ...]


def _dashboard() -> Any:
    try:
        from tamtam.analytics import dashboard
    except ImportError:
        return None
    return dashboard


def _period(ctx: Context) -> Any:
    return _dashboard().Period(ctx.start, ctx.end)


def _day(d: date) -> str:
    return date_format(d, "j M")


def _metric_label(metric: str) -> str:
    try:
        return str(Metric(metric).label)
    except ValueError:
        return metric


def _no_data(section: Section) -> Section:
    section.empty = True
    section.message = _("No data for this period.")
    return section


def _percent(ratio: float | None) -> float | None:
    return None if ratio is None else round(100 * ratio, 1)


# --- strategy ----------------------------------------------------------------------------------------


def objectives(ctx: Context) -> Section:
    section = Section("objectives", _("Objectives progress"))
    progress = strategy.objectives_progress(ctx.workspace, on=ctx.end)
    if not progress:
        section.empty, section.message = True, _("No objective is set.")
        return section
    rows = []
    for p in progress:
        o = p.objective
        f = p.forecast
        rows.append(
            [
                o.name,
                # a followers growth ("+2,000", "+15 %") must not read as a level
                _metric_label(o.metric)
                + ("" if o.target_mode == "level" else f" ({o.get_target_mode_display()})"),
                f"{_day(o.starts_on)} - {_day(o.ends_on)}",
                p.target,
                p.current,
                p.percent,
                p.status_label,
                None if f is None else round(f.value, 2),
                None if f is None else f"{f.low:.0f} - {f.high:.0f} ({f.level_percent} %)",
            ]
        )
    columns = [_("Objective"), _("Metric"), _("Period"), _("Target"), _("Reached"), _("% of target")]
    columns += [_("Status"), _("Forecast at the end"), _("Forecast interval")]
    section.tables.append(Table(columns, rows))
    section.notes.append(
        _(
            "Progress is measured from each objective's start to the report's last day. The forecast "
            "extends the straight-line trend of the daily values; the interval is where the end value "
            "should fall 9 times in 10 if that trend holds."
        )
    )
    if all(p.current is None for p in progress):
        section.notes.insert(0, _("No measurement yet for these objectives."))
    return section


def budget(ctx: Context) -> Section:
    section = Section("budget", _("Budget"))
    summary = strategy.budget_summary(ctx.workspace, ctx.start, ctx.end)
    if summary.empty:
        section.empty, section.message = True, _("No budget line overlaps this period.")
        return section
    rows: list[list[Any]] = [
        [r.label, r.currency, r.planned, r.actual, r.consumed_percent] for r in summary.rows
    ]
    rows += [[_("Total"), t.currency, t.planned, t.actual, t.consumed_percent] for t in summary.totals]
    columns = [_("Category"), _("Currency"), _("Planned"), _("Actual"), _("Consumed (%)")]
    section.tables.append(Table(columns, rows))
    section.notes.append(_("A budget line counts in full when its dates overlap the period."))
    return section


def pillar_mix(ctx: Context) -> Section:
    section = Section("pillar_mix", _("Pillar mix"))
    mix = strategy.pillar_mix(ctx.workspace, ctx.start, ctx.end)
    if mix.empty:
        section.empty, section.message = True, _("No post was published in this period.")
        return section
    rows = [
        [r.name, r.target_share, r.posts, None if r.share is None else round(r.share, 1)] for r in mix.rows
    ]
    section.tables.append(Table([_("Pillar"), _("Target (%)"), _("Posts"), _("Actual (%)")], rows))
    section.chart = charts.bar_chart(
        _("Pillar mix"),
        [r.name for r in mix.rows],
        {_("Target (%)"): [r.target_share for r in mix.rows], _("Actual (%)"): [r.share for r in mix.rows]},
        ["#adb5bd", ctx.colors[0]],
    )
    return section


# --- analytics ---------------------------------------------------------------------------------------


def kpis(ctx: Context) -> Section:
    section = Section("kpis", _("Headline figures"))
    figures = _dashboard().kpis(ctx.workspace, _period(ctx))
    if all(k.value is None for k in figures):
        return _no_data(section)
    columns = [_("Metric"), _("This period")]
    if ctx.compare_previous:
        columns += [_("Previous period"), _("Change (%)")]
    rows = []
    for k in figures:
        value = round(k.value, 2) if isinstance(k.value, float) else k.value
        row = [_metric_label(k.metric), value]
        if ctx.compare_previous:
            previous = round(k.previous, 2) if isinstance(k.previous, float) else k.previous
            row += [previous, None if k.change_pct is None else round(k.change_pct, 1)]
        rows.append(row)
    section.tables.append(Table(columns, rows))
    section.notes.append(_("An empty cell means nothing was measured, not zero."))
    return section


def engagement(ctx: Context) -> Section:
    section = Section("engagement", _("Engagement over time"))
    series = _dashboard().engagement_over_time(ctx.workspace, _period(ctx))
    if series.empty:
        return _no_data(section)
    labels = [_day(d) for d in series.days]
    lines = {_("Engagements"): series.engagements}
    if ctx.compare_previous:
        lines[_("Engagements, previous period")] = series.previous_engagements
    section.chart = charts.line_chart(_("Engagement over time"), labels, lines, [ctx.colors[0], "#adb5bd"])
    rows = [
        [d.isoformat(), i, e, r]
        for d, i, e, r in zip(
            series.days, series.impressions, series.engagements, series.engagement_rate, strict=True
        )
    ]
    section.tables.append(
        Table([_("Day"), _("Impressions"), _("Engagements"), _("Engagement rate (%)")], rows)
    )
    return section


def best_posts(ctx: Context) -> Section:
    section = Section("best_posts", _("Best posts"))
    posts = _dashboard().best_posts(ctx.workspace, _period(ctx), limit=10)
    if not posts:
        return _no_data(section)
    rows = [
        [
            p.channel,
            p.published_at.astimezone(ctx.workspace.tz).date().isoformat() if p.published_at else None,
            p.text[:140],
            p.impressions,
            p.engagements,
            p.clicks,
            p.engagement_rate,
            p.url,
        ]
        for p in posts
    ]
    columns = [_("Channel"), _("Published"), _("Text"), _("Impressions"), _("Engagements"), _("Clicks")]
    columns += [_("Engagement rate (%)"), _("Link")]
    section.tables.append(Table(columns, rows))
    return section


def channels(ctx: Context) -> Section:
    section = Section("channels", _("Channel comparison"))
    rows_in = _dashboard().channel_comparison(ctx.workspace, _period(ctx))
    if not any(r.impressions or r.engagements or r.posts_published for r in rows_in):
        return _no_data(section)
    rows: list[list[Any]] = [
        [
            r.name,
            r.network,
            r.posts_published,
            r.impressions,
            r.engagements,
            r.engagement_rate,
            r.rate_basis,
            r.followers,
            r.follower_growth,
            r.link_clicks,
        ]
        for r in rows_in
    ]
    columns = [_("Channel"), _("Network"), _("Posts"), _("Impressions"), _("Engagements")]
    columns += [_("Engagement rate (%)"), _("Rate basis"), _("Followers"), _("Follower growth"), _("Clicks")]
    section.tables.append(Table(columns, rows))
    section.chart = charts.bar_chart(
        _("Engagements by channel"),
        [r.name for r in rows_in],
        {_("Engagements"): [r.engagements for r in rows_in]},
    )
    for r in rows_in:
        if r.stale_since:
            section.notes.append(
                _("%(channel)s: its metrics have not been updated since %(when)s (the network fails).")
                % {
                    "channel": r.name,
                    "when": date_format(r.stale_since.astimezone(ctx.workspace.tz), "j M H:i"),
                }
            )
    section.notes.append(_("The engagement rate is defined per network (see the rate basis)."))
    return section


def sentiment(ctx: Context) -> Section:
    section = Section("sentiment", _("Listening sentiment"))
    data = _dashboard().listening_sentiment(ctx.workspace, _period(ctx))
    if data.empty:
        return _no_data(section)
    labels = [_day(d) for d in data.days]
    section.chart = charts.bar_chart(
        _("Mentions by sentiment"),
        labels,
        {_("Positive"): data.positive, _("Neutral"): data.neutral, _("Negative"): data.negative},
        ["#2f9e44", "#adb5bd", "#e03131"],
        stacked=True,
    )
    totals = data.totals
    net = None if data.net is None else round(data.net, 1)
    columns = [_("Positive"), _("Neutral"), _("Negative"), _("Net sentiment (%)")]
    section.tables.append(Table(columns, [[totals["positive"], totals["neutral"], totals["negative"], net]]))
    return section


def response_times(ctx: Context) -> Section:
    from tamtam.inbox.metrics import human_duration

    section = Section("response_times", _("Inbox response times"))
    data = _dashboard().inbox_response_times(ctx.workspace, _period(ctx))
    if data.empty:
        return _no_data(section)
    columns = [_("Conversations"), _("Answered"), _("First response (median)"), _("Resolution (median)")]
    columns += [_("Answered within target (%)")]
    row = [
        data.conversations,
        data.answered,
        human_duration(data.first_response_median_s),
        human_duration(data.resolution_median_s),
        _percent(data.first_response_within_sla),
    ]
    section.tables.append(Table(columns, [row]))
    by_channel = [
        [c["channel"], c["conversations"], c["answered"], human_duration(c["first_response_median_s"])]
        for c in data.by_channel
    ]
    if by_channel:
        columns = [_("Channel"), _("Conversations"), _("Answered"), _("First response (median)")]
        section.tables.append(Table(columns, by_channel, _("By channel")))
    section.notes.append(
        _("Target for the first response: %(target)s.")
        % {"target": human_duration(data.sla_first_response_s)}
    )
    return section


@dataclass(frozen=True)
class SectionKind:
    key: str
    label: Promise
    build: Callable[[Context], Section]
    needs_analytics: bool


SECTIONS: dict[str, SectionKind] = {
    kind.key: kind
    for kind in [
        SectionKind("kpis", gettext_lazy("Headline figures"), kpis, True),
        SectionKind("objectives", gettext_lazy("Objectives progress"), objectives, False),
        SectionKind("engagement", gettext_lazy("Engagement over time"), engagement, True),
        SectionKind("best_posts", gettext_lazy("Best posts"), best_posts, True),
        SectionKind("channels", gettext_lazy("Channel comparison"), channels, True),
        SectionKind("pillar_mix", gettext_lazy("Pillar mix"), pillar_mix, False),
        SectionKind("budget", gettext_lazy("Budget"), budget, False),
        SectionKind("sentiment", gettext_lazy("Listening sentiment"), sentiment, True),
        SectionKind("response_times", gettext_lazy("Inbox response times"), response_times, True),
    ]
}


def choices() -> list[tuple[str, str]]:
    return [(k.key, str(k.label)) for k in SECTIONS.values()]


def build(key: str, ctx: Context) -> Section:
    kind = SECTIONS[key]
    if kind.needs_analytics and _dashboard() is None:
        return Section(
            key, str(kind.label), unavailable=True, message=_("Analytics is not available on this server.")
        )
    try:
        return kind.build(ctx)
    except Exception:  # one broken section must not lose the whole report
        log.exception("report section %s failed for workspace %s", key, ctx.workspace.pk)
        return Section(
            key,
            str(kind.label),
            unavailable=True,
            message=_("This section could not be computed; it has been logged."),
        )
