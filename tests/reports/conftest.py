"""Reports fixtures: a workspace with a strategy, and a report holding every section."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tamtam.reports import sections
from tamtam.reports.models import Report
from tamtam.strategy.models import BudgetLine, Objective, Pillar


@pytest.fixture
def strategy(workspace, members):
    today = timezone.now().date()
    Objective.objects.create(
        workspace=workspace,
        name="Impressions du trimestre",
        kind="awareness",
        metric="impressions",
        target=Decimal("50000"),
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=60),
        owner=members["manager"],
    )
    Pillar.objects.create(workspace=workspace, name="Conseils", target_share=60)
    Pillar.objects.create(workspace=workspace, name="Produits", target_share=40)
    BudgetLine.objects.create(
        workspace=workspace,
        category="paid",
        label="Boosts",
        planned_amount=Decimal("1000"),
        actual_amount=Decimal("400"),
        currency="EUR",
        starts_on=date(2020, 1, 1),
        ends_on=date(2099, 12, 31),
    )


@pytest.fixture
def report(workspace, members, strategy):
    return Report.objects.create(
        workspace=workspace,
        name="Monthly report",
        sections=list(sections.SECTIONS),
        period="last_30_days",
        created_by=members["manager"],
    )


@pytest.fixture
def api(token_api):
    return token_api
