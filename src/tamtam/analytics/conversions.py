"""Conversions: a signed webhook, a tracking pixel, a CSV import; each attributed to a post/campaign.

Webhook (docs/analytics.md has a worked example): POST the JSON body to
`/analytics/conversions/<workspace id>/webhook` with the headers

    X-Tamtam-Timestamp: <unix seconds>
    X-Tamtam-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

A missing or wrong signature, or a timestamp more than 5 minutes away (a replay), is refused (401)
and logged as a `WebhookRejection`, with the reason, never with the body.

Attribution, first that applies: the click id (the pixel's cookie, set by the redirect, or `click` in
the body) → its short link → post, channel, campaign; a short link code (`link`); `utm_content` of
the form `tt-<code>`; `utm_campaign` equal to a campaign's UTM campaign. Otherwise it is unattributed.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from tamtam.accounts.models import Workspace
from tamtam.analytics.models import (
    Click,
    Conversion,
    ConversionSource,
    ShortLink,
    TrackingSettings,
    WebhookRejection,
)
from tamtam.lib.crypto import decrypt, encrypt
from tamtam.lib.errors import InvalidInput
from tamtam.strategy.models import Campaign
from tamtam.work.db import serialised, write_transaction

log = logging.getLogger(__name__)
MAX_SKEW_S = 300
MAX_VALUE = Decimal("999999999999.99")


def _aad(workspace_id: int) -> bytes:
    return f"analytics.webhook:{workspace_id}".encode()


def settings_for(workspace: Workspace) -> TrackingSettings:
    """The workspace's tracking settings, made (with a fresh secret) on first use."""
    found = TrackingSettings.objects.filter(workspace=workspace).first()
    if found:
        return found
    with serialised():
        row, _created = TrackingSettings.objects.get_or_create(
            workspace=workspace,
            defaults={"secret_encrypted": encrypt(secrets.token_urlsafe(32).encode(), _aad(workspace.pk))},
        )
    return row


def webhook_secret(row: TrackingSettings) -> str:
    return decrypt(row.secret_encrypted, _aad(row.workspace_id)).decode()


def rotate_secret(workspace: Workspace) -> str:
    row = settings_for(workspace)
    secret = secrets.token_urlsafe(32)
    with serialised():
        TrackingSettings.objects.filter(pk=row.pk).update(
            secret_encrypted=encrypt(secret.encode(), _aad(workspace.pk)), rotated_at=timezone.now()
        )
    return secret


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _reject(workspace: Workspace, reason: str, remote: str) -> None:
    log.warning("conversion webhook refused for workspace %s: %s", workspace.pk, reason)
    with serialised():
        WebhookRejection.objects.create(workspace=workspace, reason=reason[:200], remote_address=remote[:64])


def verify(workspace: Workspace, body: bytes, timestamp: str, signature: str, remote: str = "") -> bool:
    """True when the call is signed with the workspace's secret, recently; else logged and False."""
    row = TrackingSettings.objects.filter(workspace=workspace).first()
    if row is None:
        _reject(workspace, "webhook not set up", remote)
        return False
    if not timestamp or not signature:
        _reject(workspace, "missing signature or timestamp header", remote)
        return False
    try:
        skew = abs(time.time() - int(timestamp))
    except ValueError:
        _reject(workspace, "timestamp is not a number", remote)
        return False
    if skew > MAX_SKEW_S:
        _reject(workspace, "timestamp too far from now (replay?)", remote)
        return False
    if not hmac.compare_digest(sign(webhook_secret(row), timestamp, body), signature.strip()):
        _reject(workspace, "bad signature", remote)
        return False
    return True


# --- attribution ----------------------------------------------------------------------------------


def attribute(
    workspace_id: int,
    *,
    click_id: int | None = None,
    link_code: str = "",
    utm_content: str = "",
    utm_campaign: str = "",
    click_token: str = "",
    click_link_id: int | None = None,
) -> dict[str, Any]:
    link = None
    how = ""
    if click_id:
        click = Click.objects.filter(pk=click_id, workspace_id=workspace_id).select_related("link").first()
        if click:
            link, how = click.link, "click"
    if link is None and click_token:
        click = (
            Click.objects.filter(token=click_token, workspace_id=workspace_id).select_related("link").first()
        )
        if click:
            link, how = click.link, "click"
        elif click_link_id:
            # The click row was not written (a crash within its flush interval): its link is known.
            link = ShortLink.objects.filter(pk=click_link_id, workspace_id=workspace_id).first()
            how = "click" if link else ""
    if link is None and link_code:
        link = ShortLink.objects.filter(code=link_code, workspace_id=workspace_id).first()
        how = "link" if link else ""
    if link is None and utm_content.startswith("tt-"):
        link = ShortLink.objects.filter(code=utm_content[3:], workspace_id=workspace_id).first()
        how = "utm_content" if link else ""
    if link is not None:
        return {
            "link": link,
            "target_id": link.target_id,
            "channel_id": link.channel_id,
            "campaign_id": link.campaign_id,
            "attributed_by": how,
        }
    if utm_campaign:
        campaign = Campaign.objects.filter(workspace_id=workspace_id, utm_campaign=utm_campaign).first()
        if campaign:
            return {"campaign_id": campaign.pk, "attributed_by": "utm_campaign"}
    return {}


# --- one conversion -------------------------------------------------------------------------------


@dataclass
class ConversionIn:
    external_id: str
    occurred_at: datetime
    value: Decimal
    currency: str
    label: str = ""
    utm_source: str = ""
    utm_campaign: str = ""
    utm_content: str = ""
    link_code: str = ""
    click_id: int | None = None
    # From the redirect's cookie: the click's token, and its link in case the click row was lost.
    click_token: str = ""
    click_link_id: int | None = None


def parse_value(raw: Any, field_name: str = "value") -> Decimal:
    text = str(raw if raw is not None else "").strip().replace(" ", "").replace("\u00a0", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # 12,50 (French decimal comma)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(field_name, _("a number is expected, e.g. 49.90")) from None
    if not value.is_finite() or value < 0 or value > MAX_VALUE:
        raise InvalidInput(field_name, _("must be a positive amount"))
    return value.quantize(Decimal("0.01"))


def parse_currency(raw: Any, field_name: str = "currency") -> str:
    text = str(raw or "").strip().upper()
    if len(text) != 3 or not text.isalpha() or not text.isascii():
        raise InvalidInput(field_name, _("use a three-letter ISO 4217 code, e.g. EUR"))
    return text


def parse_moment(raw: Any, workspace: Workspace, field_name: str = "occurred_at") -> datetime:
    """ISO 8601 date or date-time; without an offset it is the workspace's local time."""
    text = str(raw or "").strip()
    if not text:
        return timezone.now()
    moment = parse_datetime(text.replace(" ", "T", 1)) if "T" in text or ":" in text else None
    if moment is None:
        day: date | None = parse_date(text)
        if day is None:
            raise InvalidInput(field_name, _("an ISO 8601 date or date and time is expected"))
        moment = datetime.combine(day, dtime(0))
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=workspace.tz)
    return moment


def record(workspace: Workspace, data: ConversionIn, source: str) -> tuple[Conversion, bool]:
    """Store a conversion once per external id; (row, created)."""
    found = Conversion.objects.filter(workspace=workspace, external_id=data.external_id).first()
    if found:
        return found, False
    where = attribute(
        workspace.pk,
        click_id=data.click_id,
        click_token=data.click_token,
        click_link_id=data.click_link_id,
        link_code=data.link_code,
        utm_content=data.utm_content,
        utm_campaign=data.utm_campaign,
    )
    row = Conversion(
        workspace=workspace,
        occurred_at=data.occurred_at,
        value=data.value,
        currency=data.currency,
        source=source,
        external_id=data.external_id[:200],
        label=data.label[:200],
        utm_source=data.utm_source[:80],
        utm_campaign=data.utm_campaign[:80],
        utm_content=data.utm_content[:80],
        **where,
    )
    try:
        with write_transaction():
            row.save(force_insert=True)
    except IntegrityError:  # the same id sent twice at once
        return Conversion.objects.get(workspace=workspace, external_id=data.external_id), False
    return row, True


def _text(payload: dict[str, Any], name: str, limit: int = 200) -> str:
    value = payload.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise InvalidInput(name, _("a text is expected"))
    return str(value).strip()[:limit]


def from_payload(workspace: Workspace, payload: Any) -> ConversionIn:
    """A webhook/API body → ConversionIn; InvalidInput names the first bad field."""
    if not isinstance(payload, dict):
        raise InvalidInput("body", _("a JSON object is expected as the request body"))
    external_id = _text(payload, "id")
    if not external_id:
        raise InvalidInput("id", _("this field is required"))
    click = payload.get("click")
    try:
        click_id = int(click) if click not in (None, "") else None
    except (TypeError, ValueError):
        raise InvalidInput("click", _("a whole number is expected")) from None
    return ConversionIn(
        external_id=external_id,
        occurred_at=parse_moment(payload.get("occurred_at"), workspace),
        value=parse_value(payload.get("value", "0")),
        currency=parse_currency(payload.get("currency")),
        label=_text(payload, "label"),
        utm_source=_text(payload, "utm_source", 80),
        utm_campaign=_text(payload, "utm_campaign", 80),
        utm_content=_text(payload, "utm_content", 80),
        link_code=_text(payload, "link", 16),
        click_id=click_id,
    )


def receive_webhook(
    workspace: Workspace, body: bytes, timestamp: str, signature: str, remote: str = ""
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON answer) for one webhook call."""
    if not verify(workspace, body, timestamp, signature, remote):
        return 401, {"detail": _("bad or missing signature"), "errors": []}
    try:
        payload = json.loads(body.decode("utf-8"))
        data = from_payload(workspace, payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return 400, {"detail": _("the request body is not valid JSON"), "errors": []}
    except InvalidInput as exc:
        return 422, {"detail": str(exc), "errors": [{"field": exc.field, "message": str(exc.message)}]}
    row, created = record(workspace, data, ConversionSource.WEBHOOK)
    return (201 if created else 200), {"id": row.pk, "status": "created" if created else "duplicate"}


# --- CSV import ---------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "id",
    "occurred_at",
    "value",
    "currency",
    "label",
    "utm_source",
    "utm_campaign",
    "utm_content",
    "link",
)
REQUIRED = ("value", "currency")


@dataclass
class ImportReport:
    created: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def import_csv(workspace: Workspace, content: str | bytes) -> ImportReport:
    """Import conversions; every bad row is named by its line and reason, the good ones are kept.

    Columns (header row, comma or semicolon): value, currency (required), id, occurred_at, label,
    utm_source, utm_campaign, utm_content, link. Without `id`, a hash of the row is the id, so
    importing the same file twice adds nothing."""
    if isinstance(content, bytes):
        content = content.decode("utf-8-sig", errors="replace")
    content = content.lstrip("\ufeff")
    report = ImportReport()
    if not content.strip():
        report.errors.append((1, _("the file is empty")))
        return report
    first = content.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(content), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        report.errors.append((1, _("missing column(s): %(names)s") % {"names": ", ".join(missing)}))
        return report
    for row in reader:
        line = reader.line_num
        try:
            values = {k: (v or "").strip() for k, v in row.items() if k}
            if None in row:
                raise InvalidInput("", _("more cells than columns"))
            external = (
                values.get("id")
                or "csv-"
                + hashlib.sha256(delimiter.join(values.get(c, "") for c in CSV_COLUMNS).encode()).hexdigest()[
                    :40
                ]
            )
            data = from_payload(workspace, {**values, "id": external})
        except InvalidInput as exc:
            where = f"{exc.field}: " if exc.field else ""
            report.errors.append((line, f"{where}{exc.message}"))
            continue
        _row, created = record(workspace, data, ConversionSource.CSV)
        if created:
            report.created += 1
        else:
            report.duplicates += 1
    return report
