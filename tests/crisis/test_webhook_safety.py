"""Webhooks cannot be aimed at the server's own network (SSRF): loopback, private, link-local and
metadata addresses are refused after DNS resolution unless CRISIS_WEBHOOK_ALLOW_PRIVATE, redirects
are followed only to allowed addresses, a silent receiver times out. Real local HTTP servers."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from crisis_helpers import fake_dns, send_notifications
from django.utils import timezone

from tamtam.crisis import safehttp
from tamtam.crisis.models import Alert, Notification
from tamtam.crisis.rules import clean_webhook, seal_webhook
from tamtam.lib.errors import InvalidInput

pytestmark = pytest.mark.django_db


class Server:
    """A local HTTP server answering POSTs with `status` (and `location`), recording what came."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.location = ""
        self.silent = threading.Event()
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                server.requests.append({"headers": dict(self.headers), "body": self.rfile.read(length)})
                if server.silent.is_set():
                    server.release.wait(5)  # never answers within the client's timeout
                    return
                self.send_response(server.status)
                if server.location:
                    self.send_header("Location", server.location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/hooks/secret"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture
def hook(workspace):  # type: ignore[no-untyped-def]
    """A webhook notification of an alert, aimed at the given URL; its row."""

    def make(url: str) -> Notification:
        alert = Alert.objects.create(
            workspace=workspace, rule_name="Volume", series="all", bucket_start=timezone.now(),
            expected=1, observed=40, evidence=40, score=0.7,
        )  # fmt: skip
        return Notification.objects.create(
            alert=alert, workspace=workspace, channel="webhook", webhook_format="json",
            webhook_url_enc=seal_webhook(workspace.pk, url),
        )  # fmt: skip

    return make


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.10", "private"),
        ("fc00::1", "private"),
        ("100.64.0.1", "private"),
        ("169.254.10.1", "link-local"),
        ("fe80::1", "link-local"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("0.0.0.0", "unicast"),  # noqa: S104 (an address to refuse, not a bind)
        ("224.0.0.1", "unicast"),
        ("93.184.215.14", None),
        ("2606:4700::1111", None),
    ],
)
def test_which_addresses_are_refused(address, refused):
    reason = safehttp.refused_reason(ipaddress.ip_address(address), private_ok=False)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None
        assert refused in reason


def test_the_private_setting_allows_loopback_and_private_but_never_metadata():
    ok = {a: safehttp.refused_reason(ipaddress.ip_address(a), private_ok=True) for a in
          ("127.0.0.1", "10.0.0.1", "fe80::1", "169.254.169.254", "100.100.100.200")}  # fmt: skip
    assert ok["127.0.0.1"] is ok["10.0.0.1"] is ok["fe80::1"] is None
    assert "metadata" in str(ok["169.254.169.254"])
    assert "metadata" in str(ok["100.100.100.200"])


def test_a_loopback_webhook_is_refused_after_dns_and_never_contacted(settings, server, hook):
    settings.CRISIS_WEBHOOK_ALLOW_PRIVATE = False
    # "localhost" is a name: refused only once resolved (to 127.0.0.1).
    note = hook(server.url("localhost"))
    assert send_notifications() == ["dead"]
    note.refresh_from_db()
    assert (note.state, note.attempts) == ("dead", 1)
    assert "resolves to 127.0.0.1, a loopback address" in note.last_error
    assert str(server.port) not in note.last_error  # the URL is a secret
    assert server.requests == []


def test_with_the_setting_a_name_is_sent_to_the_checked_address_with_its_host(settings, server, hook):
    settings.CRISIS_WEBHOOK_ALLOW_PRIVATE = True
    hook(server.url("localhost"))
    assert send_notifications() == ["sent"]
    (request,) = server.requests
    assert request["headers"]["Host"] == f"localhost:{server.port}"


def test_a_redirect_to_a_metadata_address_is_not_followed(settings, server, hook):
    settings.CRISIS_WEBHOOK_ALLOW_PRIVATE = True
    server.status, server.location = 307, "http://169.254.169.254/latest/meta-data/"
    note = hook(server.url())
    assert send_notifications() == ["dead"]
    note.refresh_from_db()
    assert "metadata" in note.last_error
    assert len(server.requests) == 1


def test_a_307_to_an_allowed_address_is_followed_with_the_post_and_a_302_is_refused(settings, hook):
    settings.CRISIS_WEBHOOK_ALLOW_PRIVATE = True
    first, final = Server(), Server()
    try:
        first.status, first.location = 307, final.url()
        hook(first.url())
        assert send_notifications() == ["sent"]
        assert b'"event":"crisis.alert"' in final.requests[0]["body"].replace(b" ", b"")
        first.status, first.location = 302, final.url()
        note = hook(first.url())
        assert send_notifications() == ["dead"]
        note.refresh_from_db()
        assert "redirected (HTTP 302)" in note.last_error
        assert len(final.requests) == 1
    finally:
        first.close()
        final.close()


def test_a_receiver_that_never_answers_times_out_and_is_retried(settings, server, hook, monkeypatch):
    settings.CRISIS_WEBHOOK_ALLOW_PRIVATE = True
    monkeypatch.setattr(safehttp, "TIMEOUT", safehttp.httpx.Timeout(0.5, connect=0.5))
    server.silent.set()
    note = hook(server.url())
    started = timezone.now()
    assert send_notifications() == ["retry"]
    assert (timezone.now() - started).total_seconds() < 4
    note.refresh_from_db()
    assert note.state == "pending"
    assert "ReadTimeout" in note.last_error


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/x", "http://[::1]:8080/x", "http://10.0.0.5/x", "http://169.254.169.254/"]
)
def test_a_private_literal_is_refused_when_the_rule_is_saved(settings, url):
    settings.CRISIS_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(InvalidInput) as error:
        clean_webhook(url)
    assert error.value.field == "webhook_url"
    assert "not allowed" in str(error.value.message)


def test_an_unresolvable_host_is_a_network_failure_retried(settings, hook):
    settings.CRISIS_WEBHOOK_ALLOW_PRIVATE = False
    hook("https://no-such-host.invalid/hook")
    assert send_notifications() == ["retry"]
    assert "unreachable" in Notification.objects.get().last_error


@pytest.mark.parametrize(
    ("host", "address", "reason"),
    [
        ("hooks.internal.example", "10.0.0.5", "resolves to 10.0.0.5, a private or reserved address"),
        ("rebind.example", "127.0.0.1", "resolves to 127.0.0.1, a loopback address"),
        ("meta.example", "169.254.169.254", "a cloud metadata address"),
    ],
)
def test_a_name_resolving_to_an_internal_address_is_refused_when_the_rule_is_saved(
    settings, monkeypatch, host, address, reason
):
    settings.CRISIS_WEBHOOK_ALLOW_PRIVATE = False
    fake_dns(monkeypatch, {host: address})
    with pytest.raises(InvalidInput) as error:
        clean_webhook(f"https://{host}/hook")
    assert error.value.field == "webhook_url"
    assert reason in str(error.value.message)


def test_a_public_name_is_accepted_and_an_unknown_one_refused_at_save_time(settings, monkeypatch):
    settings.CRISIS_WEBHOOK_ALLOW_PRIVATE = False
    fake_dns(monkeypatch, {"hooks.slack.com": "34.198.1.10"})
    assert clean_webhook("https://hooks.slack.com/services/T/B/x") == "https://hooks.slack.com/services/T/B/x"
    with pytest.raises(InvalidInput) as error:
        clean_webhook("https://no-such-host.invalid/hook")
    assert "cannot be resolved" in str(error.value.message)


def test_the_operator_setting_allows_a_private_receiver_at_save_time(settings, monkeypatch):
    settings.CRISIS_WEBHOOK_ALLOW_PRIVATE = True
    fake_dns(monkeypatch, {"chat.internal": "10.0.0.5"})
    assert clean_webhook("http://chat.internal/hook") == "http://chat.internal/hook"
    with pytest.raises(InvalidInput):
        clean_webhook("http://169.254.169.254/latest/")  # metadata: never


def test_a_name_that_resolved_publicly_at_save_but_privately_at_send_is_not_contacted(
    settings, monkeypatch, server, hook
):
    """DNS rebinding: the answer changes after the rule was saved; the send checks again."""
    settings.CRISIS_WEBHOOK_ALLOW_PRIVATE = False
    fake_dns(monkeypatch, {"hooks.example": "93.184.215.14"})
    url = clean_webhook(f"http://hooks.example:{server.port}/hook")
    note = hook(url)
    fake_dns(monkeypatch, {"hooks.example": "127.0.0.1"})
    assert send_notifications() == ["dead"]
    note.refresh_from_db()
    assert "resolves to 127.0.0.1, a loopback address" in note.last_error
    assert server.requests == []


def test_the_refusal_is_shown_next_to_the_field_in_french(client, members, workspace, query, settings):
    settings.CRISIS_WEBHOOK_ALLOW_PRIVATE = False
    from django.urls import reverse

    members["manager"].language = "fr"
    members["manager"].save(update_fields=["language"])
    client.force_login(members["manager"])
    data = {"name": "R", "query": query.pk, "series": "all", "detector": "nb_cusum", "sensitivity": "normal",
            "webhook_format": "slack", "webhook_url": "http://localhost:9/hook"}  # fmt: skip
    response = client.post(reverse("crisis:rule_new", args=[workspace.id]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "pas autorisée" in page
    assert "se résout en 127.0.0.1" in page
    assert "adresse de bouclage" in page
