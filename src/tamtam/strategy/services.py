"""Strategy operations: saving objectives, personas, pillars, campaigns and budget lines (validated,
audited), and what the strategy page shows — each objective's live progress and forecast, the pillar
mix actually published against its targets, and the budget consumed.

Progress comes from `tamtam.analytics.services` (metric_total, daily_series). Without it, or without
data for the period, progress is "no data yet": never a zero presented as a measurement.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import ModuleType
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.accounts.models import Membership, User, Workspace
from tamtam.accounts.services import audit
from tamtam.channels.models import Channel
from tamtam.lib import timeutil
from tamtam.lib.errors import InvalidInput
from tamtam.strategy.forecast import Forecast, linear_forecast
from tamtam.strategy.models import (
    LEVEL_METRICS,
    BudgetCategory,
    BudgetLine,
    Campaign,
    Metric,
    Objective,
    Persona,
    Pillar,
    TargetMode,
)

log = logging.getLogger(__name__)

# Metrics that may go down day to day (a forecast of them may end below what was reached).
SIGNED_METRICS = frozenset({Metric.FOLLOWER_GROWTH})


def today(workspace: Workspace) -> date:
    return timeutil.to_local(timezone.now(), workspace.tz).date()


# --- saving ------------------------------------------------------------------------------------------

# The many-to-many fields each model takes, and the model their ids must belong to (same workspace).
M2M: dict[type[models.Model], dict[str, type[models.Model]]] = {
    Objective: {"channels": Channel},
    Persona: {"channels": Channel},
    Campaign: {"pillars": Pillar, "personas": Persona},
    Pillar: {},
    BudgetLine: {},
}
# Foreign keys to other workspace objects, checked the same way.
FKS: dict[type[models.Model], dict[str, type[models.Model]]] = {
    Objective: {"campaign": Campaign},
    BudgetLine: {"campaign": Campaign},
}


def _first_error(exc: ValidationError) -> InvalidInput:
    if hasattr(exc, "error_dict"):
        name, errors = next(iter(exc.error_dict.items()))
        message = errors[0].messages[0] if errors else _("invalid value")
        return InvalidInput("" if name == "__all__" else name, str(message))
    return InvalidInput("", str(exc.messages[0]))


def _in_workspace(
    workspace: Workspace, model: type[models.Model], ids: Iterable[int], name: str
) -> list[Any]:
    wanted = {int(i) for i in ids}
    found = list(model._default_manager.filter(workspace=workspace, pk__in=wanted))
    if len(found) != len(wanted):
        raise InvalidInput(name, _("unknown id in this workspace"))
    return found


def save(
    workspace: Workspace,
    actor: User | None,
    model: type[models.Model],
    data: dict[str, Any],
    instance: models.Model | None = None,
) -> Any:
    """Create (`instance` None) or update one strategy object from plain values.

    Foreign keys and many-to-many fields come as ids (or objects); each must belong to the workspace.
    Raises InvalidInput naming the field; nothing is saved then.
    """
    data = dict(data)
    m2m_values: dict[str, list[Any]] = {}
    for name, target in M2M[model].items():
        if name in data:
            raw = data.pop(name) or []
            ids = [getattr(v, "pk", v) for v in raw]
            m2m_values[name] = _in_workspace(workspace, target, ids, name)
    for name, target in FKS.get(model, {}).items():
        if name in data and data[name] is not None:
            data[name] = _in_workspace(workspace, target, [getattr(data[name], "pk", data[name])], name)[0]
    if model is Objective and data.get("owner") is not None:
        owner = data["owner"]
        owner_id = getattr(owner, "pk", owner)
        if not Membership.objects.filter(workspace=workspace, user_id=owner_id).exists():
            raise InvalidInput("owner", _("the owner must be a member of this workspace"))
        data["owner"] = User.objects.get(pk=owner_id)
    obj = instance or model(workspace=workspace)
    known = {f.name for f in model._meta.concrete_fields} - {"id", "workspace", "created_at"}
    for name, value in data.items():
        if name not in known:
            raise InvalidInput(name, _("unknown field"))
        # full_clean lets None through on a blank=True text field; the NOT NULL column would not.
        if value is None and not model._meta.get_field(name).null:
            raise InvalidInput(name, _("a value is required (null is not allowed)"))
        setattr(obj, name, value)
    try:
        obj.full_clean(exclude=["workspace"])
    except ValidationError as exc:
        raise _first_error(exc) from None
    creating = obj.pk is None
    with transaction.atomic():
        obj.save()
        for name, values in m2m_values.items():
            getattr(obj, name).set(values)
        kind = model._meta.model_name or "object"
        audit(
            workspace,
            actor,
            f"strategy.{kind}.{'created' if creating else 'updated'}",
            obj,
            summary=str(obj)[:300],
        )
    return obj


def delete(workspace: Workspace, actor: User | None, obj: models.Model) -> None:
    kind = obj._meta.model_name or "object"
    with transaction.atomic():
        audit(workspace, actor, f"strategy.{kind}.deleted", obj, summary=str(obj)[:300])
        obj.delete()


# --- objectives: progress and forecast ---------------------------------------------------------------


def analytics() -> ModuleType | None:
    """`tamtam.analytics.services` when it provides the measurements, else None ("no data yet")."""
    try:
        from tamtam.analytics import services as module
    except ImportError:
        return None
    if not callable(getattr(module, "metric_total", None)):
        return None
    return module


class Status:
    NO_DATA = "no_data"
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NOT_STARTED = "not_started"
    ENDED_SHORT = "ended_short"
    UNKNOWN = "unknown"  # measured, but too few days to say where it ends


STATUS_LABELS: dict[str, Callable[[], str]] = {
    Status.NO_DATA: lambda: _("no data yet"),
    Status.ACHIEVED: lambda: _("achieved"),
    Status.ON_TRACK: lambda: _("on track"),
    Status.AT_RISK: lambda: _("at risk"),
    Status.OFF_TRACK: lambda: _("off track"),
    Status.NOT_STARTED: lambda: _("not started"),
    Status.ENDED_SHORT: lambda: _("ended below target"),
    Status.UNKNOWN: lambda: _("too early to forecast"),
}


@dataclass
class Progress:
    objective: Objective
    current: float | None  # None: no data (analytics absent, or nothing measured in the period)
    target: float
    measured_until: date
    forecast: Forecast | None = None
    status: str = Status.NO_DATA
    stale: bool = False
    # Growth targets (followers): the level the growth is counted from; `current` and the forecast
    # are then growths (in followers, or in percent of this baseline), comparable with the target.
    baseline: float | None = None

    @property
    def ratio(self) -> float | None:
        return None if self.current is None or not self.target else self.current / self.target

    @property
    def percent(self) -> int | None:
        ratio = self.ratio
        return None if ratio is None else round(100 * ratio)

    @property
    def bar_percent(self) -> int:
        return max(0, min(100, self.percent or 0))

    @property
    def unit(self) -> str:
        return " %" if self.objective.target_mode == TargetMode.GROWTH_PERCENT else ""

    @property
    def sign(self) -> str:
        """A growth target reads "+2,000" (a level reads as it is)."""
        return "+" if self.objective.target_mode != TargetMode.LEVEL else ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]()

    @property
    def forecast_percent(self) -> int | None:
        if self.forecast is None or not self.target:
            return None
        return round(100 * self.forecast.value / self.target)


def _scope(objective: Objective) -> dict[str, Any]:
    channel_ids = [c.pk for c in objective.channels.all()]
    return {"channel_ids": channel_ids or None, "campaign_id": objective.campaign_id}


def objective_progress(objective: Objective, on: date | None = None, provider: Any = None) -> Progress:
    """`provider` has `metric_total` and `daily_series` like tamtam.analytics.services (the default)."""
    workspace = objective.workspace
    on = on or today(workspace)
    target = float(objective.target)
    until = min(objective.ends_on, on)
    progress = Progress(objective, None, target, until)
    if on < objective.starts_on:
        progress.status = Status.NOT_STARTED
        return progress
    module = provider or analytics()
    if module is None:
        return progress
    scope = _scope(objective)
    if objective.metric == Metric.FOLLOWERS and objective.target_mode != TargetMode.LEVEL:
        return _growth_progress(progress, module, scope)
    try:
        current = module.metric_total(workspace, objective.metric, objective.starts_on, until, **scope)
    except Exception:  # a measurement failure must not take the strategy page down
        log.exception("metric_total failed for objective %s", objective.pk)
        progress.stale = True
        return progress
    if current is None:
        return progress
    progress.current = float(current)
    series: list[tuple[date, float]] = []
    daily = getattr(module, "daily_series", None)
    if callable(daily) and until < objective.ends_on:
        try:
            series = list(daily(workspace, objective.metric, objective.starts_on, until, **scope))
        except Exception:
            log.exception("daily_series failed for objective %s", objective.pk)
            progress.stale = True
    level = objective.metric in LEVEL_METRICS
    if until >= objective.ends_on:
        progress.status = Status.ACHIEVED if progress.current >= target else Status.ENDED_SHORT
        return progress
    progress.forecast = linear_forecast(
        series,
        objective.starts_on,
        objective.ends_on,
        cumulative=not level,
        observed_total=None if level else progress.current,
        nonnegative=objective.metric not in SIGNED_METRICS,
    )
    progress.status = _status(progress.current, target, progress.forecast, level)
    return progress


def _growth_progress(progress: Progress, module: Any, scope: dict[str, Any]) -> Progress:
    """A followers objective read as a growth: from the level the day before the start (else the
    first level measured in the period) to the level of the last measured day, in followers or in
    percent of that base. The forecast is the level's straight-line trend at the end of the period,
    turned into a growth the same way (so are the bounds of its interval)."""
    objective = progress.objective
    workspace, start, until = objective.workspace, objective.starts_on, progress.measured_until
    try:
        base = module.metric_total(
            workspace, Metric.FOLLOWERS, start - timedelta(days=1), start - timedelta(days=1), **scope
        )
        series = list(module.daily_series(workspace, Metric.FOLLOWERS, start, until, **scope))
    except Exception:  # a measurement failure must not take the strategy page down
        log.exception("followers growth failed for objective %s", objective.pk)
        progress.stale = True
        return progress
    if base is None and series:
        base = series[0][1]  # counted from the first reading: the growth before it is unknown
    if base is None or not series:
        return progress
    base = float(base)
    percent = objective.target_mode == TargetMode.GROWTH_PERCENT
    if percent and base <= 0:
        return progress  # no percentage of nothing

    def growth(level: float) -> float:
        return 100 * (level - base) / base if percent else level - base

    progress.baseline = base
    progress.current = growth(series[-1][1])
    if until >= objective.ends_on:
        progress.status = Status.ACHIEVED if progress.current >= progress.target else Status.ENDED_SHORT
        return progress
    level = linear_forecast(series, start, objective.ends_on, cumulative=False)
    if level is not None:
        progress.forecast = Forecast(
            growth(level.value),
            growth(level.low),
            growth(level.high),
            level.level,
            level.days_observed,
            level.days_left,
            100 * level.slope_per_day / base if percent else level.slope_per_day,
        )
    progress.status = _status(progress.current, progress.target, progress.forecast, True)
    return progress


def _status(current: float, target: float, forecast: Forecast | None, level: bool) -> str:
    if current >= target and not level:
        return Status.ACHIEVED  # a sum only grows: reached is reached
    if forecast is None:
        return Status.ACHIEVED if current >= target else Status.UNKNOWN
    if forecast.value >= target:
        return Status.ON_TRACK
    if forecast.high >= target:
        return Status.AT_RISK  # expected short, but the target is within the interval
    return Status.OFF_TRACK


def objectives_progress(workspace: Workspace, on: date | None = None, provider: Any = None) -> list[Progress]:
    qs = Objective.objects.filter(workspace=workspace).select_related("owner", "campaign", "workspace")
    return [objective_progress(o, on, provider) for o in qs.prefetch_related("channels")]


def kept_objectives_progress(workspace: Workspace) -> tuple[list[Progress], datetime | None, int]:
    """Today's progress as the dashboards keep it (analytics' figure cache), when it was computed and
    for how many seconds it is kept; computed now (None, 0) when analytics is not installed."""
    try:
        from tamtam.analytics import figurecache
    except ImportError:
        return objectives_progress(workspace), None, 0
    progress, computed_at = figurecache.objectives(workspace)
    return progress, computed_at, figurecache.TTL_S


# --- pillar mix --------------------------------------------------------------------------------------


@dataclass
class PillarRow:
    name: str
    color: str
    target_share: int | None  # None for the posts without a pillar
    posts: int
    share: float | None  # of all posts published in the period, 0..100; None when nothing was published
    pillar_id: int | None = None

    @property
    def gap(self) -> float | None:
        if self.share is None or self.target_share is None:
            return None
        return self.share - self.target_share


@dataclass
class PillarMix:
    start: date
    end: date
    rows: list[PillarRow] = field(default_factory=list)
    total_posts: int = 0
    targets_sum: int = 0

    @property
    def empty(self) -> bool:
        return self.total_posts == 0


def pillar_mix(workspace: Workspace, start: date, end: date) -> PillarMix:
    """Posts with at least one variant published in [start, end] (workspace days), by pillar."""
    from tamtam.publishing.models import Post
    from tamtam.publishing.states import TargetState

    since, _s = timeutil.local_day_bounds(start, workspace.tz)
    _e, until = timeutil.local_day_bounds(end, workspace.tz)
    published = Q(targets__state=TargetState.PUBLISHED, targets__published_at__gte=since) & Q(
        targets__published_at__lt=until
    )
    counts = {
        row["pillar_id"]: row["n"]
        for row in Post.objects.filter(workspace=workspace)
        .filter(published)
        .values("pillar_id")
        .annotate(n=Count("id", distinct=True))
    }
    total = sum(counts.values())
    mix = PillarMix(start, end, total_posts=total)
    for pillar in Pillar.objects.filter(workspace=workspace):
        n = counts.get(pillar.pk, 0)
        mix.rows.append(
            PillarRow(
                pillar.name,
                pillar.color,
                pillar.target_share,
                n,
                100 * n / total if total else None,
                pillar.pk,
            )
        )
        mix.targets_sum += pillar.target_share
    untagged = sum(n for pillar_id, n in counts.items() if pillar_id is None)
    if untagged:
        mix.rows.append(PillarRow(_("No pillar"), "#adb5bd", None, untagged, 100 * untagged / total))
    return mix


# --- budget ------------------------------------------------------------------------------------------


@dataclass
class BudgetRow:
    category: str
    currency: str
    planned: Decimal
    actual: Decimal
    lines: int

    @property
    def label(self) -> str:
        return str(BudgetCategory(self.category).label)

    @property
    def consumed_percent(self) -> int | None:
        return None if not self.planned else round(100 * float(self.actual / self.planned))

    @property
    def bar_percent(self) -> int:
        return max(0, min(100, self.consumed_percent or 0))

    @property
    def over(self) -> bool:
        return self.actual > self.planned


@dataclass
class BudgetSummary:
    start: date | None
    end: date | None
    rows: list[BudgetRow] = field(default_factory=list)
    totals: list[BudgetRow] = field(default_factory=list)  # one per currency, category "other" unused

    @property
    def empty(self) -> bool:
        return not self.rows


def budget_lines(
    workspace: Workspace, start: date | None = None, end: date | None = None, campaign_id: int | None = None
) -> models.QuerySet[BudgetLine]:
    """Lines overlapping [start, end]; a line counts whole when it overlaps (no pro-rata)."""
    qs = BudgetLine.objects.filter(workspace=workspace)
    if start is not None:
        qs = qs.filter(ends_on__gte=start)
    if end is not None:
        qs = qs.filter(starts_on__lte=end)
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    return qs.select_related("campaign")


def budget_summary(
    workspace: Workspace, start: date | None = None, end: date | None = None, campaign_id: int | None = None
) -> BudgetSummary:
    """Planned and actual per category, one row per currency (amounts of two currencies never add up)."""
    groups: dict[tuple[str, str], list[BudgetLine]] = defaultdict(list)
    for line in budget_lines(workspace, start, end, campaign_id):
        groups[(line.category, line.currency)].append(line)
    summary = BudgetSummary(start, end)
    order = {c: i for i, c in enumerate(BudgetCategory.values)}
    per_currency: dict[str, BudgetRow] = {}
    for (category, currency), lines in sorted(groups.items(), key=lambda kv: (kv[0][1], order[kv[0][0]])):
        row = BudgetRow(
            category,
            currency,
            sum((x.planned_amount for x in lines), Decimal(0)),
            sum((x.actual_amount for x in lines), Decimal(0)),
            len(lines),
        )
        summary.rows.append(row)
        total = per_currency.setdefault(
            currency, BudgetRow(BudgetCategory.OTHER, currency, Decimal(0), Decimal(0), 0)
        )
        total.planned += row.planned
        total.actual += row.actual
        total.lines += row.lines
    summary.totals = list(per_currency.values())
    return summary


def current_period(workspace: Workspace, days: int = 30) -> tuple[date, date]:
    """The default window of the strategy page: the last `days` days, today included."""
    end = today(workspace)
    return end - timedelta(days=days - 1), end
