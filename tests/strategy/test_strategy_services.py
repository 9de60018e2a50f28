"""Strategy services: saving with the field named on bad input, progress and forecast from the
measurements (never invented), the pillar mix actually published, and the budget consumed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tamtam.accounts.models import AuditEvent
from tamtam.lib.errors import InvalidInput
from tamtam.publishing import services as publishing
from tamtam.publishing.services import PostInput
from tamtam.publishing.states import TargetState
from tamtam.strategy import services
from tamtam.strategy.models import BudgetLine, Campaign, Objective, Persona, Pillar

START = date(2026, 3, 1)
END = date(2026, 3, 31)


def objective(workspace, actor, **kw):
    data = {
        "name": "Reach 10k impressions",
        "kind": "awareness",
        "metric": "impressions",
        "target": Decimal("10000"),
        "starts_on": START,
        "ends_on": END,
        "owner": actor,
    }
    data.update(kw)
    return services.save(workspace, actor, Objective, data)


def test_saving_an_objective_is_audited(workspace, members):
    obj = objective(workspace, members["manager"])
    assert obj.pk
    assert obj.owner == members["manager"]
    assert AuditEvent.objects.filter(action="strategy.objective.created", object_id=str(obj.pk)).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"metric": "likes_of_cats"}, "metric"),
        ({"kind": "fame"}, "kind"),
        ({"target": Decimal("0")}, "target"),
        ({"ends_on": date(2026, 2, 1)}, "ends_on"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_objective_input_names_the_field(workspace, members, change, field):
    with pytest.raises(InvalidInput) as err:
        objective(workspace, members["manager"], **change)
    assert err.value.field == field
    assert not Objective.objects.exists()


def test_objects_of_another_workspace_are_refused(
    workspace, members, make_workspace, make_channel, make_user
):
    other = make_workspace()
    foreign_channel = make_channel(ws=other)
    with pytest.raises(InvalidInput) as err:
        objective(workspace, members["manager"], channels=[foreign_channel.pk])
    assert err.value.field == "channels"
    outsider = make_user("outsider", other, "owner")
    with pytest.raises(InvalidInput) as err:
        objective(workspace, members["manager"], owner=outsider)
    assert err.value.field == "owner"
    foreign_campaign = Campaign.objects.create(workspace=other, name="Theirs")
    with pytest.raises(InvalidInput) as err:
        services.save(
            workspace,
            None,
            BudgetLine,
            {
                "label": "x",
                "category": "paid",
                "campaign": foreign_campaign.pk,
                "starts_on": START,
                "ends_on": END,
            },
        )
    assert err.value.field == "campaign"


def test_budget_line_validation(workspace):
    base = {"label": "Boost", "category": "paid", "starts_on": START, "ends_on": END}
    for change, field in [
        ({"currency": "euro"}, "currency"),
        ({"planned_amount": Decimal("-1")}, "planned_amount"),
        ({"category": "bribes"}, "category"),
        ({"ends_on": START - timedelta(days=1)}, "ends_on"),
    ]:
        with pytest.raises(InvalidInput) as err:
            services.save(workspace, None, BudgetLine, {**base, **change})
        assert err.value.field == field


def test_campaigns_are_tagged_with_pillars_and_personas(workspace):
    pillar = Pillar.objects.create(workspace=workspace, name="Education", target_share=40)
    persona = Persona.objects.create(workspace=workspace, name="Young parents")
    campaign = services.save(
        workspace, None, Campaign, {"name": "Rentrée", "pillars": [pillar.pk], "personas": [persona]}
    )
    assert list(campaign.pillars.all()) == [pillar]
    assert list(campaign.personas.all()) == [persona]


# --- progress and forecast ----------------------------------------------------------------------------


def test_without_measurements_progress_says_no_data(workspace, members):
    obj = objective(workspace, members["manager"])
    progress = services.objective_progress(obj, on=date(2026, 3, 15))
    if services.analytics() is None:
        assert progress.current is None
        assert progress.status == "no_data"
        assert progress.forecast is None


def test_progress_and_forecast_from_known_measurements(workspace, members, known_series):
    obj = objective(workspace, members["manager"])
    data = {"impressions": {START + timedelta(days=i): 300.0 for i in range(14)}}  # 1 to 14 March
    provider = known_series(data)
    progress = services.objective_progress(obj, on=date(2026, 3, 14), provider=provider)
    assert progress.current == 4200.0
    assert progress.percent == 42
    assert progress.forecast is not None
    assert progress.forecast.value == pytest.approx(9300.0)  # 300 a day for 31 days
    assert progress.status == "off_track"  # no noise: the interval is the value itself, under 10k
    obj.target = Decimal("9000")
    progress = services.objective_progress(obj, on=date(2026, 3, 14), provider=provider)
    assert progress.status == "on_track"


def test_an_empty_period_is_no_data_not_zero(workspace, members, known_series):
    obj = objective(workspace, members["manager"])
    progress = services.objective_progress(obj, on=date(2026, 3, 14), provider=known_series({}))
    assert progress.current is None
    assert progress.status == "no_data"


def test_scope_is_passed_to_the_measurements(workspace, members, make_channel, known_series):
    channel = make_channel()
    campaign = Campaign.objects.create(workspace=workspace, name="Spring")
    obj = objective(workspace, members["manager"], channels=[channel.pk], campaign=campaign)
    provider = known_series({"impressions": {START: 1.0}})
    services.objective_progress(obj, on=date(2026, 3, 14), provider=provider)
    assert provider.calls[0][3] == {"channel_ids": [channel.pk], "campaign_id": campaign.pk}


def test_a_finished_period_is_achieved_or_short(workspace, members, known_series):
    obj = objective(workspace, members["manager"], target=Decimal("100"))
    provider = known_series({"impressions": {START: 60.0, END: 30.0}})
    progress = services.objective_progress(obj, on=date(2026, 4, 10), provider=provider)
    assert progress.status == "ended_short"
    assert progress.forecast is None
    obj.target = Decimal("90")
    assert services.objective_progress(obj, on=date(2026, 4, 10), provider=provider).status == "achieved"


def test_a_future_objective_is_not_started(workspace, members, known_series):
    obj = objective(workspace, members["manager"])
    progress = services.objective_progress(obj, on=date(2026, 2, 1), provider=known_series({}))
    assert progress.status == "not_started"


def test_a_failing_measurement_is_stale_not_a_crash(workspace, members):
    class Broken:
        def metric_total(self, *a, **k):
            raise RuntimeError("metrics store down")

    obj = objective(workspace, members["manager"])
    progress = services.objective_progress(obj, on=date(2026, 3, 14), provider=Broken())
    assert progress.stale
    assert progress.current is None


# --- pillar mix ---------------------------------------------------------------------------------------


def _published(workspace, user, channel, pillar, at):
    post = publishing.create_post(
        workspace,
        user,
        PostInput(text="hello", channel_ids=[channel.pk], pillar_id=pillar.pk if pillar else None),
    )
    post.targets.update(state=TargetState.PUBLISHED, published_at=at)
    return post


def test_pillar_mix_counts_published_posts_against_targets(workspace, members, make_channel):
    channel = make_channel()
    edu = Pillar.objects.create(workspace=workspace, name="Education", target_share=50)
    promo = Pillar.objects.create(workspace=workspace, name="Promotion", target_share=50)
    now = timezone.now()
    for _ in range(3):
        _published(workspace, members["manager"], channel, edu, now)
    _published(workspace, members["manager"], channel, promo, now)
    _published(workspace, members["manager"], channel, None, now)
    _published(workspace, members["manager"], channel, promo, now - timedelta(days=90))  # outside
    draft = publishing.create_post(
        workspace, members["manager"], PostInput(text="d", channel_ids=[channel.pk])
    )
    draft.pillar = promo
    draft.save()
    start, end = services.current_period(workspace)
    mix = services.pillar_mix(workspace, start, end)
    rows = {r.name: r for r in mix.rows}
    assert mix.total_posts == 5
    assert rows["Education"].posts == 3
    assert rows["Education"].share == pytest.approx(60.0)
    assert rows["Education"].gap == pytest.approx(10.0)
    assert rows["Promotion"].posts == 1
    assert rows["Promotion"].gap == pytest.approx(-30.0)
    assert rows["No pillar"].posts == 1
    assert rows["No pillar"].target_share is None
    assert mix.targets_sum == 100


def test_an_empty_pillar_mix_has_no_shares(workspace):
    Pillar.objects.create(workspace=workspace, name="Education", target_share=50)
    mix = services.pillar_mix(workspace, START, END)
    assert mix.empty
    assert mix.rows[0].share is None
    assert mix.rows[0].gap is None


# --- budget -------------------------------------------------------------------------------------------


def test_budget_consumed_per_category_and_currency(workspace):
    def line(category, planned, actual, currency="EUR", starts=START, ends=END):
        return BudgetLine.objects.create(
            workspace=workspace,
            category=category,
            label=category,
            planned_amount=Decimal(planned),
            actual_amount=Decimal(actual),
            currency=currency,
            starts_on=starts,
            ends_on=ends,
        )

    line("paid", "1000", "250")
    line("paid", "500", "500")
    line("tools", "100", "120")
    line("influencers", "300", "0", currency="USD")
    line("paid", "999", "999", starts=date(2025, 1, 1), ends=date(2025, 1, 31))  # outside the period
    summary = services.budget_summary(workspace, START, END)
    rows = {(r.category, r.currency): r for r in summary.rows}
    assert rows[("paid", "EUR")].planned == Decimal("1500")
    assert rows[("paid", "EUR")].actual == Decimal("750")
    assert rows[("paid", "EUR")].consumed_percent == 50
    assert rows[("tools", "EUR")].over
    assert rows[("tools", "EUR")].consumed_percent == 120
    totals = {t.currency: t for t in summary.totals}
    assert totals["EUR"].planned == Decimal("1600")
    assert totals["USD"].planned == Decimal("300")
    assert services.budget_summary(workspace, date(2030, 1, 1), date(2030, 1, 31)).empty
