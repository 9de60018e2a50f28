"""Ops fixtures: due publish targets on the sandbox, worker heartbeats of a given age, and the log
lines the production logging configuration writes (text or JSON, at DEBUG)."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from tamtam.channels.models import Channel
from tamtam.ops import logs
from tamtam.publishing.models import PostTarget
from tamtam.work import drill
from tamtam.work.models import WorkerHeartbeat


@pytest.fixture
def due_target(make_channel: Callable[..., Channel]) -> Callable[..., PostTarget]:
    def make(*, late_seconds: float = 1.0, channel: Channel | None = None, **kwargs: str) -> PostTarget:
        channel = channel or make_channel()
        due = timezone.now() - timedelta(seconds=late_seconds)
        [pk] = drill.create_targets([channel], [due], **kwargs)
        return PostTarget.objects.get(pk=pk)

    return make


@pytest.fixture
def heartbeat(db) -> Callable[..., WorkerHeartbeat]:  # type: ignore[no-untyped-def]
    counter = iter(range(1, 1000))

    def beat(*, age_seconds: float = 0.0, name: str | None = None) -> WorkerHeartbeat:
        seen = timezone.now() - timedelta(seconds=age_seconds)
        return WorkerHeartbeat.objects.create(
            name=name or f"host:{next(counter)}:abc", pid=1, host="host", started_at=seen, last_seen=seen
        )

    return beat


class CapturedLogs:
    """What the real handler (context and scrub filters, the chosen formatter) wrote, line by line."""

    def __init__(self, fmt: str, stream: io.StringIO) -> None:
        self.fmt = fmt
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[str]:
        return self.text.splitlines()

    def records(self) -> list[dict[str, Any]]:
        """JSON format only: every line is one object (tracebacks included, escaped)."""
        assert self.fmt == "json"
        return [json.loads(line) for line in self.lines()]


def capture_logs(fmt: str) -> Iterator[CapturedLogs]:
    # The production LOGGING dict (ops.logs.logging_config) at DEBUG, its handler writing to memory;
    # the settings' own configuration is put back after the test.
    stream = io.StringIO()
    config = logs.logging_config(fmt=fmt, level="DEBUG")
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        yield CapturedLogs(fmt, stream)
    finally:
        logging.config.dictConfig(django_settings.LOGGING)


@pytest.fixture(params=["text", "json"])
def any_format_logs(request: pytest.FixtureRequest) -> Iterator[CapturedLogs]:
    yield from capture_logs(request.param)


@pytest.fixture
def json_logs() -> Iterator[CapturedLogs]:
    yield from capture_logs("json")


@pytest.fixture
def text_logs() -> Iterator[CapturedLogs]:
    yield from capture_logs("text")


# A bot token shaped like @BotFather's (digits, a colon, 35 characters): the Telegram connector puts
# it in every Bot API URL, which is what makes it a good probe for the scrubber.
BOT_TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
CHAT_ID = "-1001234567890"
BOT_API = f"https://api.telegram.org/bot{BOT_TOKEN}"


@pytest.fixture
def make_telegram_channel(workspace) -> Callable[[], Channel]:  # type: ignore[no-untyped-def]
    counter = iter(range(1, 1000))

    def make() -> Channel:
        n = next(counter)
        chat = f"{CHAT_ID}{n}"
        channel = Channel.objects.create(
            workspace=workspace,
            network="telegram",
            name=f"Tamtam News {n}",
            handle=f"@tamtamnews{n}",
            external_id=chat,
            options={"chat_id": chat, "chat_username": f"tamtamnews{n}"},
        )
        channel.set_credentials({"bot_token": BOT_TOKEN})
        channel.save()
        return channel

    return make


@pytest.fixture
def telegram_channel(make_telegram_channel: Callable[[], Channel]) -> Channel:
    return make_telegram_channel()


@pytest.fixture
def bot_token() -> str:
    return BOT_TOKEN


@pytest.fixture
def bot_api() -> str:
    return BOT_API
