"""Short links: made at publish time with UTM, the redirect, clicks counted (unique, total, by channel
and post), bots left out, a flood from one address not counted as many people."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tamtam.analytics import conversions, links, services
from tamtam.analytics.models import Click, ShortLink
from tamtam.networks.sandbox.store import SandboxNetwork
from tamtam.publishing.engine.ledger import text_and_link
from tamtam.strategy.models import Campaign

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126 Safari/537.36"


@pytest.fixture
def tracked(workspace, make_channel, publish):
    conversions.settings_for(workspace)  # tracking on
    channel = make_channel()
    spring = Campaign.objects.create(workspace=workspace, name="Spring", utm_campaign="spring")
    target = publish(
        channel,
        timezone.now(),
        text="Nouveau vélo https://shop.example/velo?ref=1 et la FAQ https://shop.example/faq.",
        link="https://shop.example/launch",
        utm_campaign="spring",
        campaign=spring,
    )
    links._cache.clear()
    return target


def test_every_link_of_a_post_becomes_a_short_link_with_utm(tracked, settings):
    text, link = text_and_link(tracked)
    made = {s.original_url: s for s in ShortLink.objects.filter(target=tracked)}
    assert set(made) == {
        "https://shop.example/velo?ref=1",
        "https://shop.example/faq",
        "https://shop.example/launch?utm_source=sandbox&utm_medium=social&utm_campaign=spring",
    }
    assert link.startswith(f"{settings.BASE_URL}/l/")
    faq = made["https://shop.example/faq"]
    assert (
        faq.destination == "https://shop.example/faq?utm_source=sandbox&utm_medium=social&utm_campaign=spring"
    )
    assert f"{settings.BASE_URL}/l/{faq.code}." in text  # the sentence's full stop is kept
    assert (faq.post_id, faq.channel_id, faq.campaign_id) == (
        tracked.post_id,
        tracked.channel_id,
        tracked.post.campaign_id,
    )
    # A retry renders the very same text: the same links, none added.
    assert text_and_link(tracked) == (text, link)
    assert ShortLink.objects.filter(target=tracked).count() == 3


def test_without_tracking_links_are_left_alone(workspace, make_channel, publish):
    target = publish(make_channel(), timezone.now(), text="Voir https://shop.example/a")
    assert text_and_link(target)[0] == "Voir https://shop.example/a"
    assert not ShortLink.objects.exists()


def test_the_engine_publishes_the_short_links(tracked, settings):
    from tamtam.publishing.engine.publish import execute, prepare_batch, record
    from tamtam.publishing.models import PostTarget

    PostTarget.objects.filter(pk=tracked.pk).update(state="claimed", lease_owner="w", remote_id="")
    dones = [execute(job) for job in prepare_batch([tracked.pk], "w").jobs]
    record(dones, "w")
    [remote] = SandboxNetwork().posts()
    assert f"{settings.BASE_URL}/l/" in remote.text
    assert "shop.example" not in remote.text


def test_the_redirect_goes_to_the_destination_and_counts(tracked):
    text_and_link(tracked)
    link = ShortLink.objects.get(target=tracked, original_url="https://shop.example/faq")
    client = Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="198.51.100.7")
    response = client.get(f"/l/{link.code}")
    assert response.status_code == 302
    assert response["Location"] == link.destination
    assert response["Cache-Control"] == "no-store"
    assert Click.objects.filter(link=link, bot=False, flood=False).count() == 1
    assert Client().get("/l/nope1234").status_code == 404


def test_bots_and_link_previews_are_not_counted(tracked):
    text_and_link(tracked)
    link = ShortLink.objects.filter(target=tracked).first()
    for agent in ("facebookexternalhit/1.1", "Twitterbot/1.0", "Slackbot-LinkExpanding 1.0", "curl/8.5", ""):
        Client(HTTP_USER_AGENT=agent).get(f"/l/{link.code}")
    Client(HTTP_USER_AGENT=BROWSER).head(f"/l/{link.code}")
    assert Click.objects.filter(link=link).count() == 6
    assert Click.objects.filter(link=link, bot=False).count() == 0


def test_a_flood_from_one_address_is_not_many_people(workspace, tracked):
    text_and_link(tracked)
    link = ShortLink.objects.get(target=tracked, original_url="https://shop.example/faq")
    resolved = links.resolve(link.code)
    now = timezone.now()
    # 300 clicks within a minute from one machine, each with another browser string.
    for i in range(300):
        at = now - timedelta(seconds=59) + timedelta(milliseconds=150 * i)
        links.record_click(resolved, address="203.0.113.9", user_agent=f"{BROWSER} r{i}", now=at)
    # Three real people behind one office address, and one elsewhere clicking twice.
    for person in ("a", "b", "c"):
        links.record_click(resolved, address="192.0.2.1", user_agent=f"{BROWSER} {person}", now=now)
    for _ in range(2):
        links.record_click(resolved, address="192.0.2.50", user_agent=BROWSER, now=now)
    today = timezone.localdate(timezone=workspace.tz)
    total = services.metric_total(workspace, "clicks", today, today)
    unique = services.metric_total(workspace, "unique_clicks", today, today)
    assert total == links.FLOOD_PER_MINUTE + 3 + 2
    assert unique == services.MAX_PEOPLE_PER_ADDRESS + 3 + 1
    [stats] = [
        s
        for s in links.link_stats(workspace.pk, now - timedelta(hours=1), now + timedelta(seconds=1))
        if s.link_id == link.pk
    ]
    assert (stats.total, stats.floods) == (15, 290)


def test_clicks_by_channel_and_post(workspace, tracked, make_channel, publish):
    text_and_link(tracked)
    other = publish(make_channel(), timezone.now(), link="https://shop.example/other")
    text_and_link(other)
    for target, n in ((tracked, 3), (other, 1)):
        code = ShortLink.objects.filter(target=target).first().code
        for i in range(n):
            Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR=f"192.0.2.{i + 10}").get(f"/l/{code}")
    today = timezone.localdate(timezone=workspace.tz)
    by_channel = services.metric_total(workspace, "clicks", today, today, channel_ids=[tracked.channel_id])
    assert by_channel == 3
    per_post = links.link_stats(
        workspace.pk, timezone.now() - timedelta(hours=1), timezone.now(), post_id=other.post_id
    )
    assert [s.total for s in per_post] == [1]
    # Before any link existed there is nothing to count: no data, not zero.
    assert services.metric_total(workspace, "clicks", date(2020, 1, 1), date(2020, 1, 2)) is None
