"""Conversions: the signed webhook (a bad signature refused and logged), the pixel, the CSV import
(bad rows named by line and reason, the others kept), attribution through the short link and UTM."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client
from django.utils import timezone

from tamtam.analytics import conversions, links
from tamtam.analytics.models import Conversion, ShortLink, WebhookRejection
from tamtam.publishing.engine.ledger import text_and_link
from tamtam.strategy.models import Campaign

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


@pytest.fixture
def secret(workspace):
    return conversions.webhook_secret(conversions.settings_for(workspace))


def post_hook(
    workspace, body: dict | bytes, secret: str, *, timestamp: int | None = None, signature: str = ""
):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ts = str(timestamp or int(time.time()))
    headers = {
        "HTTP_X_TAMTAM_TIMESTAMP": ts,
        "HTTP_X_TAMTAM_SIGNATURE": signature or conversions.sign(secret, ts, raw),
    }
    return Client().post(
        f"/analytics/conversions/{workspace.pk}/webhook", raw, content_type="application/json", **headers
    )


def test_a_signed_webhook_records_a_conversion_once(workspace, secret):
    body = {"id": "order-1", "value": "49.90", "currency": "eur", "occurred_at": "2026-03-02T10:00:00+01:00"}
    response = post_hook(workspace, body, secret)
    assert response.status_code == 201
    again = post_hook(workspace, body, secret)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    conversion = Conversion.objects.get()
    assert (str(conversion.value), conversion.currency, conversion.source) == ("49.90", "EUR", "webhook")


def test_a_bad_signature_is_refused_and_logged(workspace, secret, caplog):
    body = {"id": "order-2", "value": "10", "currency": "EUR"}
    response = post_hook(workspace, body, secret, signature="sha256=" + "0" * 64)
    assert response.status_code == 401
    stale = post_hook(workspace, body, secret, timestamp=int(time.time()) - 3600)
    assert stale.status_code == 401
    assert not Conversion.objects.exists()
    assert list(WebhookRejection.objects.values_list("reason", flat=True)) == [
        "timestamp too far from now (replay?)",
        "bad signature",
    ]
    assert "bad signature" in caplog.text
    assert secret not in caplog.text


def test_bad_webhook_fields_are_named(workspace, secret):
    response = post_hook(workspace, {"id": "o3", "value": "douze", "currency": "EUR"}, secret)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "value"
    assert post_hook(workspace, b"{not json", secret).status_code == 400


def test_attribution_through_the_short_link_and_utm(workspace, make_channel, publish, secret):
    conversions.settings_for(workspace)
    spring = Campaign.objects.create(workspace=workspace, name="Spring", utm_campaign="spring")
    target = publish(make_channel(), timezone.now(), link="https://shop.example/p", campaign=spring)
    text_and_link(target)
    link = ShortLink.objects.get(target=target)
    post_hook(workspace, {"id": "a1", "value": "5", "currency": "EUR", "link": link.code}, secret)
    post_hook(
        workspace, {"id": "a2", "value": "5", "currency": "EUR", "utm_content": f"tt-{link.code}"}, secret
    )
    post_hook(workspace, {"id": "a3", "value": "5", "currency": "EUR", "utm_campaign": "spring"}, secret)
    post_hook(workspace, {"id": "a4", "value": "5", "currency": "EUR"}, secret)
    got = {c.external_id: (c.target_id, c.campaign_id, c.attributed_by) for c in Conversion.objects.all()}
    assert got == {
        "a1": (target.pk, spring.pk, "link"),
        "a2": (target.pk, spring.pk, "utm_content"),
        "a3": (None, spring.pk, "utm_campaign"),
        "a4": (None, None, ""),
    }


def test_the_pixel_attributes_to_the_click_that_brought_the_visitor(workspace, make_channel, publish):
    row = conversions.settings_for(workspace)
    target = publish(make_channel(), timezone.now(), link="https://shop.example/p")
    text_and_link(target)
    links._cache.clear()
    code = ShortLink.objects.get(target=target).code
    visitor = Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="198.51.100.20")
    assert visitor.get(f"/l/{code}").status_code == 302
    pixel = visitor.get(f"/l/p/{row.pixel_token}.gif", {"id": "px-1", "value": "19,90", "currency": "EUR"})
    assert pixel["Content-Type"] == "image/gif"
    conversion = Conversion.objects.get(external_id="px-1")
    assert (conversion.source, conversion.target_id, conversion.attributed_by) == (
        "pixel",
        target.pk,
        "click",
    )
    assert str(conversion.value) == "19.90"
    # A bad pixel call still answers the image, and records nothing.
    assert visitor.get(f"/l/p/{row.pixel_token}.gif", {"id": "px-2", "value": "x"}).status_code == 200
    assert visitor.get("/l/p/unknown.gif").status_code == 200
    assert Conversion.objects.count() == 1


def test_csv_import_names_bad_lines_and_keeps_the_good_ones(workspace):
    content = (
        "id;occurred_at;value;currency;utm_campaign\n"
        "c1;2026-03-02;12,50;EUR;spring\n"
        "c2;2026-03-03T14:00:00;abc;EUR;\n"
        "c3;2026-03-04;30;EURO;\n"
        "c4;yesterday;10;EUR;\n"
        "c5;2026-03-05 09:30;99.99;usd;\n"
    )
    report = conversions.import_csv(workspace, content.encode())
    assert report.created == 2
    assert [line for line, _reason in report.errors] == [3, 4, 5]
    assert report.errors[0][1].startswith("value:")
    assert report.errors[1][1].startswith("currency:")
    assert report.errors[2][1].startswith("occurred_at:")
    again = conversions.import_csv(workspace, content)
    assert (again.created, again.duplicates) == (0, 2)
    c5 = Conversion.objects.get(external_id="c5")
    assert (c5.currency, c5.occurred_at.astimezone(workspace.tz).hour) == ("USD", 9)


def test_csv_without_the_required_columns_says_which(workspace):
    report = conversions.import_csv(workspace, "id,amount\n1,3\n")
    assert report.errors == [(1, "missing column(s): value, currency")]
