"""The spine in a real browser: compose for two channels, submit, approve, published, on the calendar."""

from __future__ import annotations

import pytest

from tamtam.publishing.models import Post
from tamtam.publishing.states import TargetState as S
from tamtam.work.runner import Runner


@pytest.mark.django_db(transaction=True)
def test_compose_submit_approve_publish_and_see_the_remote_link(
    page, log_in, workspace, members, make_channel
):
    first = make_channel(name="Sandbox X", options={"flavor": "x"})
    second = make_channel(name="Sandbox LinkedIn", options={"flavor": "linkedin"})

    log_in("community", "pw-community-Secret1")
    page.goto(f"/w/{workspace.id}/posts/new/")
    page.check(f"[data-testid=channel-{first.id}]")
    page.check(f"[data-testid=channel-{second.id}]")
    page.fill("[data-testid=compose-text]", "Our spring collection is here. Come and see it!")
    page.click("[data-testid=compose-publish]")
    page.wait_for_url("**/posts/*/")
    post = Post.objects.get(workspace=workspace)
    assert sorted(post.targets.values_list("state", flat=True)) == [S.IN_REVIEW, S.IN_REVIEW]

    page.context.clear_cookies()
    log_in("manager", "pw-manager-Secret1")
    page.goto(f"/w/{workspace.id}/posts/{post.id}/")
    page.click("[data-testid=approve]")
    page.wait_for_load_state()
    assert sorted(post.targets.values_list("state", flat=True)) == [S.SCHEDULED, S.SCHEDULED]

    runner = Runner(name="e2e", concurrency=4, inline=True)
    for _ in range(20):
        runner.tick()
        runner.flush()
        if set(post.targets.values_list("state", flat=True)) == {S.PUBLISHED}:
            break
    assert set(post.targets.values_list("state", flat=True)) == {S.PUBLISHED}

    page.goto(f"/w/{workspace.id}/posts/{post.id}/")
    links = page.locator("[data-testid=remote-link]")
    assert links.count() == 2
    assert "sandbox" in (links.first.get_attribute("href") or "")

    page.goto(f"/w/{workspace.id}/calendar/")
    page.locator("[data-testid=calendar] [data-testid=remote-link]").first.wait_for()


@pytest.mark.django_db(transaction=True)
def test_switching_the_interface_to_french(page, log_in, workspace, members):
    log_in("manager", "pw-manager-Secret1")
    page.goto(f"/w/{workspace.id}/")
    with page.expect_navigation():
        page.select_option("[data-testid=language-form] select", "fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    nav = page.locator("header nav").inner_text()
    assert "Calendrier" in nav
    assert "Rédiger" in nav
    assert "Se déconnecter" in nav
