"""Fixtures of the crisis tests: a query with a stored history, rules, a local webhook receiver and
a local SMTP server (aiosmtpd), both bound to 127.0.0.1 and stopped by the test."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from crisis_helpers import free_port
from django.utils import timezone

from tamtam.accounts.models import Workspace
from tamtam.crisis import services
from tamtam.crisis.history import floor_minute
from tamtam.crisis.models import AlertRule
from tamtam.listening import services as listening
from tamtam.listening.models import Query
from tamtam.listening.pipeline import Pipeline


@pytest.fixture(autouse=True)
def _no_settle(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CRISIS_SETTLE_SECONDS = 0
    # The local webhook receiver is on 127.0.0.1: private targets are allowed for these tests
    # (test_webhook_safety.py turns it off to check the refusals).
    settings.CRISIS_WEBHOOK_ALLOW_PRIVATE = True
    settings.BASE_URL = "http://tamtam.test"


@pytest.fixture(autouse=True)
def _fresh_listening_state() -> Iterator[None]:
    from tamtam.listening import matching, sources

    sources._pipeline = Pipeline(sentiment_backend="lexicon")
    matching._matcher = None
    yield
    sources._pipeline = None
    matching._matcher = None


@pytest.fixture(autouse=True)
def _fresh_detector_memory() -> Iterator[None]:
    from tamtam.crisis import live

    live.forget()  # a test's database is rolled back: no worker memory may outlive it
    yield
    live.forget()


@pytest.fixture
def now_minute():
    return floor_minute(timezone.now())


@pytest.fixture
def query(workspace: Workspace) -> Query:
    return listening.save_query(workspace, name="Lumen", expression="lumen")


@pytest.fixture
def make_rule(workspace: Workspace, query: Query, members) -> Callable[..., AlertRule]:  # type: ignore[no-untyped-def]
    counter = iter(range(1, 1000))

    def make(**kwargs: Any) -> AlertRule:
        kwargs.setdefault("name", f"Rule {next(counter)}")
        kwargs.setdefault("query_id", query.pk)
        return services.save_rule(workspace, members["manager"], services.RuleInput(**kwargs))

    return make


class Receiver:
    """A real HTTP server on 127.0.0.1 that records POSTed JSON (and can answer errors)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": json.loads(body or b"null")}
                )
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T000/B000/secret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(settings) -> Iterator[Mailbox]:  # type: ignore[no-untyped-def]
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    yield box
    controller.stop()
