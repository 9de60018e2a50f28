"""ROI per campaign and per period, with the caveats that make the figure honest.

    cost                = the actual amounts of the budget lines (strategy.BudgetLine), a line that runs
                          beyond the period counted in proportion to its days inside it
    conversions, value  = conversions attributed to the campaign (or all of them, for a period) that
                          occurred in the period
    ROI                 = (value - cost) / cost          (1.5 means the campaign returned 150 % more)
    cost per click      = cost / counted short-link clicks
    cost per conversion = cost / conversions

Amounts are never converted between currencies: when the costs are in more than one currency, or the
values in another than the costs, the ratios are computed only on what shares the costs' currency,
and a caveat says what was left out. No cost, few conversions or clicks, and pro-rated lines are said too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tamtam.accounts.models import Workspace
from tamtam.analytics import services
from tamtam.analytics.models import Conversion
from tamtam.analytics.rollups import day_bounds
from tamtam.strategy.models import BudgetLine, Campaign

THIN_CONVERSIONS = 10
THIN_CLICKS = 100
CENT = Decimal("0.01")


@dataclass
class Roi:
    label: str
    campaign_id: int | None
    start: date
    end: date
    costs: dict[str, Decimal] = field(default_factory=dict)  # by currency
    values: dict[str, Decimal] = field(default_factory=dict)
    conversions: int = 0
    clicks: int | None = None
    currency: str | None = None  # the one the ratios are in
    cost: Decimal | None = None
    value: Decimal | None = None
    roi: float | None = None
    cost_per_click: Decimal | None = None
    cost_per_conversion: Decimal | None = None
    caveats: list[str] = field(default_factory=list)

    @property
    def roi_percent(self) -> float | None:
        return None if self.roi is None else 100.0 * self.roi


def spent(
    workspace: Workspace, start: date, end: date, campaign_id: int | None = None
) -> tuple[dict[str, Decimal], bool]:
    """Actual spending by currency over [start, end]; True when some line was pro-rated."""
    lines = BudgetLine.objects.filter(workspace=workspace, starts_on__lte=end, ends_on__gte=start)
    if campaign_id is not None:
        lines = lines.filter(campaign_id=campaign_id)
    costs: dict[str, Decimal] = defaultdict(Decimal)
    prorated = False
    for line in lines:
        days = (line.ends_on - line.starts_on).days + 1
        inside = (min(line.ends_on, end) - max(line.starts_on, start)).days + 1
        share = Decimal(inside) / Decimal(days) if days > 0 else Decimal(1)
        prorated = prorated or inside < days
        costs[line.currency] += (line.actual_amount * share).quantize(CENT, ROUND_HALF_UP)
    return dict(costs), prorated


def compute(workspace: Workspace, start: date, end: date, campaign: Campaign | None = None) -> Roi:
    campaign_id = campaign.pk if campaign else None
    out = Roi(
        label=campaign.name if campaign else _("All campaigns"), campaign_id=campaign_id, start=start, end=end
    )
    out.costs, prorated = spent(workspace, start, end, campaign_id)
    start_at, end_at = day_bounds(start, workspace.tz)[0], day_bounds(end, workspace.tz)[1]
    conv = Conversion.objects.filter(workspace=workspace, occurred_at__gte=start_at, occurred_at__lt=end_at)
    if campaign_id is not None:
        conv = conv.filter(campaign_id=campaign_id)
    values: dict[str, Decimal] = defaultdict(Decimal)
    for currency, value in conv.values_list("currency", "value"):
        values[currency] += value
    out.values = dict(values)
    out.conversions = conv.count()
    clicks = services.metric_total(workspace, "clicks", start, end, campaign_id=campaign_id)
    out.clicks = int(clicks) if clicks is not None else None
    _ratios(out)
    _caveats(out, prorated, workspace, conv_scope=campaign_id, start_at=start_at, end_at=end_at)
    return out


def _ratios(out: Roi) -> None:
    live_costs = {c: v for c, v in out.costs.items() if v}
    if len(live_costs) == 1:
        out.currency = next(iter(live_costs))
    elif not live_costs and len(out.values) == 1:
        out.currency = next(iter(out.values))
    if out.currency is None:
        return
    out.cost = out.costs.get(out.currency, Decimal(0))
    out.value = out.values.get(out.currency, Decimal(0))
    if out.cost > 0:
        out.roi = float((out.value - out.cost) / out.cost)
        if out.clicks:
            out.cost_per_click = (out.cost / out.clicks).quantize(CENT, ROUND_HALF_UP)
        if out.conversions:
            same = out.conversions  # conversions in other currencies still cost what they cost
            out.cost_per_conversion = (out.cost / same).quantize(CENT, ROUND_HALF_UP)


def _caveats(
    out: Roi,
    prorated: bool,
    workspace: Workspace,
    *,
    conv_scope: int | None,
    start_at: object,
    end_at: object,
) -> None:
    says = out.caveats
    if not any(out.costs.values()):
        says.append(
            _(
                "No money is recorded as spent in this period: ROI, cost per click and per conversion "
                "cannot be computed."
            )
        )
    currencies = {c for c, v in out.costs.items() if v} | set(out.values)
    if len(currencies) > 1:
        left_out = sorted(currencies - {out.currency} if out.currency else currencies)
        says.append(
            _(
                "Amounts are in several currencies (%(all)s) and are not converted; "
                "left out of the ratios: %(out)s."
            )
            % {"all": ", ".join(sorted(currencies)), "out": ", ".join(left_out)}
        )
    if out.conversions < THIN_CONVERSIONS:
        says.append(
            ngettext(
                "Only %(n)d conversion: the ROI can change a lot with a few more.",
                "Only %(n)d conversions: the ROI can change a lot with a few more.",
                out.conversions,
            )
            % {"n": out.conversions}
        )
    if out.clicks is not None and out.clicks < THIN_CLICKS and out.cost_per_click is not None:
        says.append(_("Fewer than %(n)d clicks: the cost per click is a rough figure.") % {"n": THIN_CLICKS})
    if out.clicks is None:
        says.append(_("No short link was tracked: clicks and the cost per click are unknown."))
    if prorated:
        says.append(
            _("Budget lines that run beyond the period are counted in proportion to their days inside it.")
        )
    if conv_scope is not None:
        loose = Conversion.objects.filter(
            Q(campaign__isnull=True), workspace=workspace, occurred_at__gte=start_at, occurred_at__lt=end_at
        ).count()
        if loose:
            says.append(
                ngettext(
                    "%(n)d conversion of the period is attributed to no campaign.",
                    "%(n)d conversions of the period are attributed to no campaign.",
                    loose,
                )
                % {"n": loose}
            )


def by_campaign(workspace: Workspace, start: date, end: date) -> list[Roi]:
    """The period as a whole, then each campaign that spent or converted in it."""
    rows = [compute(workspace, start, end)]
    start_at, end_at = day_bounds(start, workspace.tz)[0], day_bounds(end, workspace.tz)[1]
    active = set(
        BudgetLine.objects.filter(
            workspace=workspace, starts_on__lte=end, ends_on__gte=start, campaign__isnull=False
        ).values_list("campaign_id", flat=True)
    ) | set(
        Conversion.objects.filter(
            workspace=workspace, occurred_at__gte=start_at, occurred_at__lt=end_at, campaign__isnull=False
        ).values_list("campaign_id", flat=True)
    )
    for campaign in Campaign.objects.filter(pk__in=active).order_by("name"):
        rows.append(compute(workspace, start, end, campaign))
    return rows


def for_campaign(workspace: Workspace, campaign: Campaign) -> Roi | None:
    """Over the campaign's own dates (or its budget lines' span); None when it has neither."""
    start, end = campaign.starts_on, campaign.ends_on
    lines = BudgetLine.objects.filter(campaign=campaign)
    if start is None:
        start = min(lines.values_list("starts_on", flat=True), default=None)
    if end is None:
        end = max(lines.values_list("ends_on", flat=True), default=None)
    if start is None or end is None:
        return None
    return compute(workspace, start, end, campaign)
