"""Log context (request id, work kind/id, worker) on every line, secrets scrubbed, text or JSON.

The context lives in `contextvars`, set by the request middleware for a request and by the runner
for one piece of work; a filter copies it onto each record, so that any module's plain
`log.info(...)` carries it without passing it along. The scrubbing filter rewrites every record
before any handler formats it: `Authorization` headers, bearer tokens, `password=`/`token=` pairs and
the values of the secret settings themselves become `[redacted]`, whichever logger wrote them.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

import ahocorasick
from pythonjsonlogger.json import JsonFormatter

REDACTED = "[redacted]"
CONTEXT_FIELDS = ("request_id", "work_kind", "work_id", "worker")

_context: ContextVar[dict[str, str] | None] = ContextVar("tamtam_log_context", default=None)


def current() -> dict[str, str]:
    return dict(_context.get() or {})


@contextmanager
def bound(*, fresh: bool = False, **fields: object) -> Iterator[None]:
    """Add fields to the log context of this thread/task for the duration of the block; `fresh`
    starts from an empty context (a work item is never part of the request a thread served before)."""
    merged = {} if fresh else current()
    merged.update({k: str(v) for k, v in fields.items() if v is not None and v != ""})
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def bind(**fields: object) -> Token[dict[str, str] | None]:
    """Like `bound`, for a context that ends elsewhere (a response's close): give the token to `unbind`."""
    merged = current()
    merged.update({k: str(v) for k, v in fields.items() if v is not None and v != ""})
    return _context.set(merged)


def unbind(token: Token[dict[str, str] | None]) -> None:
    # Closed from another context (an ASGI server) or twice: that context ends anyway.
    with contextlib.suppress(ValueError, RuntimeError):
        _context.reset(token)


class ContextFilter(logging.Filter):
    """Every record gets each context field (empty when unset), so formats can name them."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get() or {}
        for field in CONTEXT_FIELDS:
            if not hasattr(record, field):
                setattr(record, field, context.get(field, ""))
        return True


# Header, bearer and key=value shapes that carry credentials, in any logger's message (httpx and
# urllib3 debug lines, a handler printing a URL with ?access_token=…, an exception's text).
_PATTERNS = [
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:bearer|basic|token|bot)?\s*[^\s'\",}]+"),
    re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/=]{8,}"),
    re.compile(
        r"(?i)([\"']?\b(?:access_token|refresh_token|id_token|client_secret|password|passwd|secret|"
        r"api_key|apikey|token|code_verifier|app_password)[\"']?\s*[:=]\s*[\"']?)[^\s&'\",}]+"
    ),
    re.compile(r"(?i)(://[^:/@\s]*:)[^@\s/]+(@)"),  # user:password@ in URLs (database, broker, SMTP)
    # An encrypted value (lib/crypto: "v1:" + base64), e.g. a row printed whole: useless without the
    # key, but it has no business in a log either.
    re.compile(r"\b(v1:)[A-Za-z0-9_\-]{24,}={0,2}"),
]


class SecretRegistry:
    """The secret values this process has met (secret settings, decrypted credentials): each is
    replaced verbatim wherever it appears, whatever shape it is logged in. An Aho-Corasick automaton
    finds them all in one pass; it is rebuilt only when a value it does not know yet is added."""

    MIN_LENGTH = 6  # shorter values would redact ordinary words
    MAX_VALUES = 20_000  # the oldest are forgotten first (a token rotated long ago)

    def __init__(self) -> None:
        self._values: OrderedDict[str, None] = OrderedDict()
        self._automaton: Any = None
        self._lock = threading.Lock()

    def add(self, *values: str | None) -> None:
        for value in values:
            if not value or len(value) < self.MIN_LENGTH:
                continue
            with self._lock:
                if value in self._values:
                    continue
                self._values[value] = None
                if len(self._values) > self.MAX_VALUES:
                    self._values.popitem(last=False)
                self._automaton = None

    def _matcher(self) -> Any:
        with self._lock:
            if self._automaton is None and self._values:
                automaton = ahocorasick.Automaton()
                for value in self._values:
                    automaton.add_word(value, len(value))
                automaton.make_automaton()
                self._automaton = automaton
            return self._automaton

    def scrub(self, text: str) -> str:
        matcher = self._matcher()
        if matcher is not None:
            spans = sorted((end - length + 1, end + 1) for end, length in matcher.iter(text))
            if spans:
                parts, at = [], 0
                for start, end in spans:
                    if end <= at:
                        continue  # inside a span already redacted
                    parts.append(text[at : max(at, start)])
                    parts.append(REDACTED)
                    at = end
                parts.append(text[at:])
                text = "".join(parts)
        for pattern in _PATTERNS:
            text = pattern.sub(_keep_prefix, text)
        return text


def _keep_prefix(match: re.Match[str]) -> str:
    groups = [g for g in match.groups() if g is not None]
    if len(groups) == 2:  # the URL pattern keeps "://user:" and "@" around the password
        return f"{groups[0]}{REDACTED}{groups[1]}"
    return f"{groups[0]}{REDACTED}" if groups else REDACTED


secrets = SecretRegistry()


def remember_secret(*values: str | None) -> None:
    """Code that handles a credential (a decrypted token, a refresh answer) adds it here."""
    secrets.add(*values)


class ScrubFilter(logging.Filter):
    """Formats the message once, scrubs it, and drops the arguments (they may hold the secret)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = secrets.scrub(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # The traceback is formatted later by the handler: format it now, scrubbed, and keep the text.
            record.exc_text = secrets.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class TextFormatter(logging.Formatter):
    """The plain format, with the context fields that are set appended as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = " ".join(f"{f}={getattr(record, f)}" for f in CONTEXT_FIELDS if getattr(record, f, ""))
        if not extra:
            return line
        head, sep, tail = line.partition("\n")
        return f"{head} [{extra}]{sep}{tail}"


class JsonLineFormatter(JsonFormatter):
    """One JSON object per line: time, level, logger, message, context fields, exception text."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        for field in CONTEXT_FIELDS:
            if not log_data.get(field):
                log_data.pop(field, None)
        # The `extra` attributes are written too (Django's `request`, printed with its query string):
        # the scrub filter saw only the message, so every value is scrubbed here, as it is written.
        for key, value in log_data.items():
            log_data[key] = _scrubbed(value)


def _scrubbed(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrubbed(v) for v in value]
    return secrets.scrub(value if isinstance(value, str) else str(value))


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """The LOGGING dict of settings.py: `fmt` is "text" or "json"."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "tamtam.ops.logs.ContextFilter"},
            "scrub": {"()": "tamtam.ops.logs.ScrubFilter"},
        },
        "formatters": {
            "text": {
                "()": "tamtam.ops.logs.TextFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            },
            "json": {
                "()": "tamtam.ops.logs.JsonLineFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(work_kind)s "
                "%(work_id)s %(worker)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "timestamp": False,
            },
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": fmt, "filters": ["context", "scrub"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"axes": {"level": "WARNING"}, "django.db.backends": {"level": "WARNING"}},
    }
