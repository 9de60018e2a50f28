"""The redirect's hot path: links answered from memory before Django's middleware, clicks judged in
memory (bots, the flood rule) and written in batches by a flusher thread, flushed at shutdown; the
link cache forgets a link that changed; a sale still finds its post when the click row was lost."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import pytest
from django.core.wsgi import get_wsgi_application
from django.test import Client
from django.utils import timezone

from tamtam.analytics import clicks, conversions, links, public
from tamtam.analytics.fastpath import ShortLinkFastPath
from tamtam.analytics.models import Click, Conversion, ShortLink
from tamtam.publishing.engine.ledger import text_and_link

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/17.5"


class Served:
    """The WSGI stack as a server runs it (fast path in front of Django), counting what Django answered."""

    def __init__(self) -> None:
        self.django_calls = 0
        django_app = get_wsgi_application()

        def counted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            self.django_calls += 1
            return django_app(environ, start_response)

        self.django = counted
        self.app = ShortLinkFastPath(counted)

    def get(
        self,
        path: str,
        *,
        agent: str = BROWSER,
        address: str = "198.51.100.1",
        method: str = "GET",
        django: bool = False,
    ) -> tuple[int, dict[str, list[str]]]:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "HTTP_HOST": "testserver",
            "HTTP_USER_AGENT": agent,
            "REMOTE_ADDR": address,
            "wsgi.input": io.BytesIO(),
            "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(),
        }
        got: list[Any] = []
        app = self.django if django else self.app
        body = app(environ, lambda status, headers, exc_info=None: got.extend([status, headers]))
        b"".join(body)
        getattr(body, "close", lambda: None)()
        headers: dict[str, list[str]] = {}
        for name, value in got[1]:
            headers.setdefault(name.lower(), []).append(value)
        return int(got[0].split()[0]), headers


@pytest.fixture(autouse=True)
def _test_connection_kept():
    """As Django's test client does: a request must not close the test's connection (and transaction)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def link(workspace, make_channel, publish) -> ShortLink:
    conversions.settings_for(workspace)
    target = publish(make_channel(), timezone.now(), link="https://shop.example/velo")
    text_and_link(target)
    return ShortLink.objects.get(target=target)


def test_a_known_link_is_answered_before_django_the_same_way(link):
    served = Served()
    view = served.get(f"/l/{link.code}", address="192.0.2.1", django=True)  # Django's view, as is
    assert served.django_calls == 1
    first = served.get(f"/l/{link.code}", address="192.0.2.2")  # not in memory yet: one read, no Django
    second = served.get(f"/l/{link.code}", address="192.0.2.3")  # from memory
    assert served.django_calls == 1
    for status, headers in (view, first, second):
        assert status == 302
        assert headers["location"] == [link.destination]
        assert headers["cache-control"] == ["no-store"]
        assert headers["x-content-type-options"] == ["nosniff"]
        assert headers["x-frame-options"] == ["DENY"]
        cookie = headers["set-cookie"][0].strip()  # Django's own handler leaves a leading space
        assert cookie.startswith(f"{public.CLICK_COOKIE}=")
        assert "Path=/l/" in cookie
        assert "HttpOnly" in cookie

    # The same headers, but for the cookie's value (its token) and the instant it expires.
    def shape(headers: dict[str, list[str]]) -> dict[str, list[str]]:
        out = {k: v for k, v in headers.items() if k != "set-cookie"}
        cookie = headers["set-cookie"][0].strip().split("; ")
        out["set-cookie"] = [a for a in cookie if not a.startswith((f"{public.CLICK_COOKIE}=", "expires="))]
        return out

    fast, full = shape(first[1]), shape(view[1])
    assert fast == shape(second[1])
    # The view's middleware adds its own (language, request id, Vary): none matters to a redirect.
    assert {k: full[k] for k in fast} == fast
    assert set(full) - set(fast) <= {"content-language", "vary", "x-request-id"}
    assert Click.objects.filter(link=link, bot=False, flood=False).count() == 3
    # Unknown codes and other paths are Django's (a translated 404, the pixel, pages).
    assert served.get("/l/nope1234")[0] == 404
    assert served.get("/l/bad/code")[0] == 404
    assert served.django_calls == 3


def test_bots_and_floods_on_the_fast_path(link):
    served = Served()
    served.get(f"/l/{link.code}")  # fills the cache
    served.get(f"/l/{link.code}", agent="facebookexternalhit/1.1")
    status, headers = served.get(f"/l/{link.code}", method="HEAD")
    assert status == 302
    assert "set-cookie" not in headers
    for i in range(30):
        served.get(f"/l/{link.code}", address="203.0.113.9", agent=f"{BROWSER} r{i}")
    assert served.django_calls == 0
    rows = Click.objects.filter(link=link)
    assert rows.filter(bot=True).count() == 2
    assert rows.filter(bot=False, flood=False).count() == 1 + clicks.FLOOD_PER_MINUTE
    assert rows.filter(flood=True).count() == 30 - clicks.FLOOD_PER_MINUTE
    today = timezone.localdate(timezone=link.workspace.tz)
    from tamtam.analytics import services

    assert services.metric_total(link.workspace, "clicks", today, today) == 11
    # 30 browser strings from one address: at most MAX_PEOPLE_PER_ADDRESS people, plus the first.
    assert services.metric_total(link.workspace, "unique_clicks", today, today) == 1 + 5


def test_a_changed_or_deleted_link_is_forgotten(link):
    served = Served()
    served.get(f"/l/{link.code}")
    link.destination = "https://shop.example/velo-2?utm_source=sandbox"
    link.save()
    _status, headers = served.get(f"/l/{link.code}")
    assert headers["location"] == ["https://shop.example/velo-2?utm_source=sandbox"]
    assert served.django_calls == 0  # the cache entry was dropped: the fast path read the row again
    code = link.code
    link.delete()
    assert served.get(f"/l/{code}")[0] == 404


def test_the_cache_forgets_after_its_time(link, monkeypatch):
    served = Served()
    served.get(f"/l/{link.code}")
    assert links.cached(link.code) is not None
    # A change made by another process sends no signal here: the entry expires after CACHE_TTL_S.
    ShortLink.objects.filter(pk=link.pk).update(destination="https://shop.example/moved")
    later = time.monotonic() + links.CACHE_TTL_S + 1
    monkeypatch.setattr(links.time, "monotonic", lambda: later)
    assert links.cached(link.code) is None
    assert served.get(f"/l/{link.code}")[1]["location"] == ["https://shop.example/moved"]


def test_the_flood_gate_window_and_memory():
    gate = clicks.FloodGate(limit=3, window_s=60)
    t0 = 1_000_000.0
    assert [gate.admit(1, "a", t0 + i) for i in range(5)] == [True, True, True, False, False]
    assert gate.admit(2, "a", t0)
    assert gate.admit(1, "b", t0)
    assert gate.admit(1, "a", t0 + 60.5)  # the first click left the window
    gate.admit(9, "z", t0 + 200)
    gate.prune()
    assert len(gate) == 1  # only the pair seen within the last minute is kept


def test_a_sale_finds_its_post_when_the_click_row_was_lost(workspace, link):
    row = conversions.settings_for(workspace)
    resolved = links.resolve(link.code)
    # The redirect answered, and the process died before the batch with this click was written.
    lost = links.new_click(resolved, address="198.51.100.30", user_agent=BROWSER)
    response = public.redirect_for(resolved, lost, secure=False)
    visitor = Client(HTTP_USER_AGENT=BROWSER)
    visitor.cookies[public.CLICK_COOKIE] = response.cookies[public.CLICK_COOKIE].value
    visitor.get(f"/l/p/{row.pixel_token}.gif", {"id": "px-9", "value": "10", "currency": "EUR"})
    sale = Conversion.objects.get(external_id="px-9")
    assert (sale.target_id, sale.link_id, sale.attributed_by) == (link.target_id, link.pk, "click")
    assert not Click.objects.exists()


@pytest.fixture
def batching(settings):
    settings.CLICK_FLUSH_MS = 30
    yield clicks.buffer
    clicks.buffer.close()  # stop the thread: the next test starts from nothing


def stored(link: ShortLink) -> int:
    """Clicks of the link on disk; -1 while the flusher holds the table (the tests' in-memory SQLite
    shares one cache between threads, where a reader meets a writer's lock instead of waiting)."""
    from django.db import OperationalError

    try:
        return Click.objects.filter(link=link).count()
    except OperationalError:
        return -1


@pytest.mark.django_db(transaction=True)
def test_clicks_are_written_in_batches_by_the_flusher(link, batching):
    served = Served()
    written = batching.written
    served.get(f"/l/{link.code}")
    for i in range(200):
        assert served.get(f"/l/{link.code}", address=f"10.1.{i // 200}.{i % 200}")[0] == 302
    deadline = time.monotonic() + 10
    while stored(link) < 201 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert Click.objects.filter(link=link, bot=False, flood=False).count() == 201
    assert batching.written - written == 201
    assert batching.pending() == 0
    tokens = set(Click.objects.values_list("token", flat=True))
    assert len(tokens) == 201
    assert "" not in tokens


@pytest.mark.django_db(transaction=True)
def test_pending_clicks_are_written_at_shutdown(link, batching, settings):
    settings.CLICK_FLUSH_MS = 60_000  # the thread would not write them for a minute
    resolved = links.resolve(link.code)
    at = timezone.now() - timedelta(seconds=1)
    for i in range(25):
        links.count_click(resolved, address=f"10.2.0.{i}", user_agent=BROWSER, now=at)
    assert batching.pending() == 25
    assert not Click.objects.exists()
    batching.close()  # what atexit runs when the process stops normally
    assert Click.objects.filter(link=link).count() == 25
    assert batching.pending() == 0


def test_the_click_cookie_is_signed_and_expires(link, settings):
    from tamtam.analytics import clickcookie

    value = clickcookie.make("tok123", link.pk, now=1_000_000)
    assert clickcookie.read(value, now=1_000_000 + 60) == (None, "tok123", link.pk)
    token, link_id, issued, signature = value.split(".")
    forged = f"{token}.{int(link_id) + 1}.{issued}.{signature}"
    assert clickcookie.read(forged, now=1_000_000) == (None, "", None)
    assert clickcookie.read(value, now=1_000_000 + clickcookie.MAX_AGE + 1) == (None, "", None)
    # Cookies signed the old way (django.core.signing) in the last 30 days are still read.
    from django.core import signing

    old = signing.dumps(f"oldtok.{link.pk}", salt=clickcookie.LEGACY_SALT)
    assert clickcookie.read(old) == (None, "oldtok", link.pk)
    assert clickcookie.read(signing.dumps(41, salt=clickcookie.LEGACY_SALT)) == (41, "", None)
    settings.SECRET_KEY = "another secret key, another signature, long enough to be one"
    assert clickcookie.read(value, now=1_000_000) == (None, "", None)
