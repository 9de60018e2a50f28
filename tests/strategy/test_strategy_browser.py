"""The strategy page in a real browser (Playwright on Debian's Chromium), in English then French:
an objective made through the form, shown with its progress; bad input named under its field."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_strategy_page_in_english_and_french(page, workspace, members):
    from tamtam.strategy.models import Objective

    manager = members["manager"]
    page.goto("/accounts/login/")
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", "pw-manager-Secret1")
    page.click("main button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"/w/{workspace.pk}/strategy/")
    assert page.locator("h1").first.inner_text() == "Strategy"
    page.click("[data-testid=objective-new]")
    page.fill("input[name=name]", "Grow the newsletter")
    page.select_option("select[name=kind]", "leads")
    page.select_option("select[name=metric]", "conversions")
    page.fill("input[name=target]", "0")
    page.fill("input[name=starts_on]", "2026-01-01")
    page.fill("input[name=ends_on]", "2026-12-31")
    page.click("[data-testid=strategy-save]")
    assert "greater than zero" in page.locator("[data-testid=target-error]").inner_text()
    assert page.input_value("input[name=name]") == "Grow the newsletter"  # nothing lost
    page.fill("input[name=target]", "300")
    page.click("[data-testid=strategy-save]")
    page.wait_for_url(f"**/w/{workspace.pk}/strategy/")
    row = page.locator("[data-testid=objective-row]").first
    assert "Grow the newsletter" in row.inner_text()
    assert Objective.objects.get().target == 300
    progress = row.locator("[data-testid=objective-progress]").inner_text()
    assert "no data yet" in progress  # no conversion recorded: no invented figure

    with page.expect_navigation():  # the form submits itself on change
        page.select_option("[data-testid=language-form] select", "fr")
    assert page.locator("h1").first.inner_text() == "Stratégie"
    row = page.locator("[data-testid=objective-row]").first
    assert "pas encore de données" in row.locator("[data-testid=objective-progress]").inner_text()
    assert page.locator("[data-testid=pillar-mix] h2").inner_text() == "Piliers éditoriaux"
