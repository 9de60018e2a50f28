"""Alert rules: their detector parameters, validation of what a user types, and quiet hours."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime, time
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from tamtam.accounts.models import Workspace
from tamtam.crisis.detectors import DetectorParams, params_for
from tamtam.crisis.models import AlertRule, DetectorKind, SeriesKind
from tamtam.lib import timeutil
from tamtam.lib.crypto import decrypt, encrypt
from tamtam.lib.errors import InvalidInput

MAX_RECIPIENTS = 20


def rule_params(sensitivity: str, expert: dict[str, Any] | None, detector: str) -> DetectorParams:
    """What the live evaluator, the back-test and `tamtam crisis replay --profile` all run."""
    params = params_for(sensitivity, expert or None)
    if detector == DetectorKind.NB_TAIL:
        # A CUSUM ratio of 1 makes every log-likelihood ratio 0: only the single-bucket tail remains.
        params = replace(params, cusum_ratio=1.0)
    return params


def params_of(rule: AlertRule) -> DetectorParams:
    return rule_params(rule.sensitivity, rule.expert, rule.detector)


def group_key(series: str, params: DetectorParams) -> str:
    """Rules with the same series and parameters share one vectorised bank."""
    text = json.dumps({"series": series, **params.to_dict()}, sort_keys=True)
    return f"{series}:{hashlib.sha1(text.encode()).hexdigest()[:24]}"  # noqa: S324 (a key, not a secret)


def clean_expert(value: Any, sensitivity: str = "normal") -> dict[str, Any]:
    """Expert parameters as a dict (a JSON text is accepted); errors name the parameter."""
    if value in (None, "", {}):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                "expert",
                _("not JSON (line %(line)s, column %(col)s)") % {"line": exc.lineno, "col": exc.colno},
            ) from None
    if not isinstance(value, dict):
        raise InvalidInput("expert", _("expected a JSON object of detector parameters"))
    try:
        params_for(sensitivity, value)
    except ValueError as exc:
        raise InvalidInput("expert", str(exc)) from None
    return value


def clean_emails(text: str) -> str:
    addresses = [a.strip() for a in (text or "").replace(";", ",").replace("\n", ",").split(",") if a.strip()]
    if len(addresses) > MAX_RECIPIENTS:
        raise InvalidInput("email_to", _("at most %(n)s recipients") % {"n": MAX_RECIPIENTS})
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidInput(
                "email_to", _("“%(address)s” is not an e-mail address") % {"address": address}
            ) from None
    return ", ".join(addresses)


def webhook_hint(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/…" if parts.hostname else ""


def clean_webhook(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput(
            "webhook_url", _("a webhook URL starts with https:// (or http://) and names a host")
        )
    if len(url) > 2000:
        raise InvalidInput("webhook_url", _("too long: at most %(max)s characters") % {"max": 2000})
    from tamtam.crisis.safehttp import check_target

    reason = check_target(url)  # resolved now, and again before every send
    if reason:
        raise InvalidInput("webhook_url", _("this address is not allowed: %(reason)s") % {"reason": reason})
    return url


def _aad(workspace_id: int) -> bytes:
    return f"crisis-webhook:{workspace_id}".encode()


def seal_webhook(workspace_id: int, url: str) -> str:
    return encrypt(url.encode(), _aad(workspace_id)) if url else ""


def open_webhook(workspace_id: int, token: str) -> str:
    return decrypt(token, _aad(workspace_id)).decode() if token else ""


def check_series(series: str, detector: str) -> None:
    if series not in SeriesKind.values:
        raise InvalidInput("series", _("unknown series %(value)s") % {"value": series})
    if detector not in DetectorKind.values:
        raise InvalidInput("detector", _("unknown detector %(value)s") % {"value": detector})


def in_quiet_hours(rule: AlertRule, workspace: Workspace, at: datetime) -> datetime | None:
    """The end of the quiet period `at` falls in (aware UTC), or None when notifications may go now."""
    if rule.quiet_start is None or rule.quiet_end is None or rule.quiet_start == rule.quiet_end:
        return None
    tz = timeutil.zone(workspace.time_zone)
    local = timeutil.to_local(at, tz)
    start, end, now_t = rule.quiet_start, rule.quiet_end, local.time()
    inside = (start <= now_t < end) if start < end else (now_t >= start or now_t < end)
    if not inside:
        return None
    day = local.date()
    if start > end and now_t >= start:
        day = day.fromordinal(day.toordinal() + 1)  # over midnight: it ends tomorrow morning
    return timeutil.local_to_utc(day, time(end.hour, end.minute), tz)
