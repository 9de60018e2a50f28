"""The strategy page and its forms: what each role sees, bad input named by its field, no fake figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tamtam.strategy import services
from tamtam.strategy.models import BudgetLine, Objective, Persona, Pillar


def _objective(workspace, owner):
    return Objective.objects.create(
        workspace=workspace,
        name="Grow the community",
        kind="engagement",
        metric="followers",
        target=Decimal("5000"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        owner=owner,
    )


def test_the_page_shows_objectives_without_inventing_progress(workspace, members, login):
    _objective(workspace, members["manager"])
    Pillar.objects.create(workspace=workspace, name="Education", target_share=60)
    Persona.objects.create(workspace=workspace, name="Students", interests="prices, exams")
    response = login(members["analyst"]).get(f"/w/{workspace.pk}/strategy/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Grow the community" in html
    assert "Students" in html
    assert "Education" in html
    if services.analytics() is None:
        assert 'data-testid="objective-no-data"' in html
        assert "no data yet" in html
    assert 'data-testid="objective-new"' not in html  # the analyst reads, does not edit


def test_a_manager_creates_an_objective_from_the_form(workspace, members, login):
    client = login(members["manager"])
    response = client.post(
        f"/w/{workspace.pk}/strategy/objectives/new/",
        {
            "name": "Sell online",
            "kind": "revenue",
            "metric": "conversion_value",
            "target": "25000",
            "starts_on": "2026-04-01",
            "ends_on": "2026-06-30",
            "owner": members["manager"].pk,
        },
    )
    assert response.status_code == 302
    assert Objective.objects.get(name="Sell online").metric == "conversion_value"


def test_bad_input_is_shown_next_to_its_field_and_kept(workspace, members, login):
    client = login(members["manager"])
    response = client.post(
        f"/w/{workspace.pk}/strategy/budget/new/",
        {
            "label": "Influencer pack",
            "category": "influencers",
            "planned_amount": "1200",
            "actual_amount": "-5",
            "currency": "EURO",
            "starts_on": "2026-04-01",
            "ends_on": "2026-03-01",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="currency-error"' in html
    assert 'data-testid="actual_amount-error"' in html
    assert 'value="Influencer pack"' in html  # nothing lost
    assert not BudgetLine.objects.exists()


def test_edit_and_delete(workspace, members, login):
    client = login(members["owner"])
    obj = _objective(workspace, members["manager"])
    page = client.get(f"/w/{workspace.pk}/strategy/objectives/{obj.pk}/")
    assert page.status_code == 200
    assert "Grow the community" in page.content.decode()
    assert client.post(f"/w/{workspace.pk}/strategy/objectives/{obj.pk}/delete/").status_code == 302
    assert not Objective.objects.exists()


def test_the_period_of_the_mix_names_a_bad_date(workspace, members, login):
    response = login(members["manager"]).get(f"/w/{workspace.pk}/strategy/?start=2026-13-01&end=2026-01-31")
    assert response.status_code == 200
    assert 'data-testid="start-error"' in response.content.decode()


def test_roles(workspace, members, login, client):
    url = f"/w/{workspace.pk}/strategy/"
    assert login(members["client"]).get(url).status_code == 403
    assert login(members["community"]).get(url).status_code == 200
    assert login(members["community"]).get(url + "pillars/new/").status_code == 403
    assert login(members["analyst"]).post(url + "pillars/new/", {"name": "x"}).status_code == 403
    assert not Pillar.objects.exists()
