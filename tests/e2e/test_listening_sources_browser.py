"""Listening sources in a real browser, in French: a firehose source without an address is refused
with the field named, then added with a relay address; its row shows its kind, its health and where
its next run goes on from; a dead feed is revived with Try again; the trends page shows the word cloud."""

from __future__ import annotations

import pytest

from tamtam.listening.models import Source, SourceKind, SourceState


@pytest.mark.django_db(transaction=True)
def test_add_a_firehose_source_see_its_health_revive_a_dead_feed_and_see_the_word_cloud(
    page, log_in, workspace, members
):
    dead = Source.objects.create(
        workspace=workspace,
        kind=SourceKind.RSS,
        name="Blog disparu",
        url="https://gone.example/feed.xml",
        state=SourceState.DEAD,
        consecutive_failures=5,
        last_error="the feed was not found (HTTP 404)",
    )
    # The first request imports every app and connector; on a loaded machine that exceeds 15 s.
    page.goto("/accounts/login/", timeout=180_000)
    log_in("manager", "pw-manager-Secret1")
    page.goto(f"/w/{workspace.id}/listening/sources/")
    with page.expect_navigation():
        page.select_option("[data-testid=language-form] select", "fr")
    assert page.locator("html").get_attribute("lang") == "fr"

    form = page.locator("[data-testid=source-form]")
    form.locator("select[name=kind]").select_option("firehose")
    form.locator("input[name=name]").fill("Relais Bluesky")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    errors = page.locator("[data-testid=source-form-errors]").inner_text()
    assert "La source n'a pas été ajoutée" in errors
    assert "Adresse" in errors
    assert "wss://bsky.network" in errors

    form = page.locator("[data-testid=source-form]")
    form.locator("input[name=url]").fill("wss://bsky.network")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    row = page.locator("[data-testid=source-row]", has_text="Relais Bluesky")
    assert "Firehose Bluesky" in row.inner_text()
    assert row.get_attribute("data-health") == "new"
    assert "à partir de la première lecture" in row.locator("[data-testid=source-cursor]").inner_text()

    gone = page.locator("[data-testid=source-row]", has_text="Blog disparu")
    assert "Hors service" in gone.inner_text()
    with page.expect_navigation():
        gone.locator("[data-testid=source-revive]").click()
    dead.refresh_from_db()
    assert (dead.state, dead.consecutive_failures) == (SourceState.IDLE, 0)
    assert (
        page.locator("[data-testid=source-row]", has_text="Blog disparu").get_attribute("data-state")
        == "idle"
    )

    page.goto(f"/w/{workspace.id}/listening/trends/")
    assert "Nuage de mots" in page.locator("main").inner_text()
    assert page.locator("main a", has_text="Exporter les mentions (CSV)").count() == 1
