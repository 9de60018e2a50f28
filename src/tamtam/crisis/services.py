"""Crisis business operations called by views, the API and the CLI: rules, holding statements, and
(re-exported) incidents and crisis mode. Permission to call is checked by the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Any

from django.db import IntegrityError
from django.utils.translation import gettext as _

from tamtam.accounts.models import Workspace
from tamtam.accounts.services import audit
from tamtam.crisis import rules as r
from tamtam.crisis.incidents import acknowledge, add_note, set_owner, set_status, unread_alerts
from tamtam.crisis.mode import current_period, past_due, replies_need_approval, turn_off, turn_on
from tamtam.crisis.models import (
    AlertRule,
    DetectorKind,
    HoldingStatement,
    Sensitivity,
    SeriesKind,
    WebhookFormat,
)
from tamtam.lib.errors import InvalidInput
from tamtam.listening.models import Query
from tamtam.work.db import write_transaction

__all__ = [
    "RuleInput",
    "acknowledge",
    "add_note",
    "current_period",
    "delete_rule",
    "past_due",
    "replies_need_approval",
    "save_rule",
    "save_statement",
    "set_owner",
    "set_status",
    "turn_off",
    "turn_on",
    "unread_alerts",
]


@dataclass
class RuleInput:
    name: str
    query_id: int
    series: str = SeriesKind.ALL
    detector: str = DetectorKind.NB_CUSUM
    sensitivity: str = Sensitivity.NORMAL
    expert: Any = field(default_factory=dict)
    enabled: bool = True
    quiet_start: time | None = None
    quiet_end: time | None = None
    notify_in_app: bool = True
    email_to: str = ""
    # None keeps the stored webhook; "" removes it.
    webhook_url: str | None = None
    webhook_format: str = WebhookFormat.SLACK


def save_rule(workspace: Workspace, actor: Any, data: RuleInput, rule: AlertRule | None = None) -> AlertRule:
    name = (data.name or "").strip()
    if not name:
        raise InvalidInput("name", _("this field is required"))
    query = Query.objects.filter(workspace=workspace, pk=data.query_id).first()
    if query is None:
        raise InvalidInput("query_id", _("no such listening query in this workspace"))
    r.check_series(data.series, data.detector)
    if data.sensitivity not in Sensitivity.values:
        raise InvalidInput("sensitivity", _("unknown sensitivity %(value)s") % {"value": data.sensitivity})
    if data.webhook_format not in WebhookFormat.values:
        raise InvalidInput("webhook_format", _("unknown format %(value)s") % {"value": data.webhook_format})
    if (data.quiet_start is None) != (data.quiet_end is None):
        raise InvalidInput("quiet_end", _("give both the start and the end of the quiet hours"))
    expert = r.clean_expert(data.expert, data.sensitivity)
    emails = r.clean_emails(data.email_to)
    rule = rule or AlertRule(
        workspace=workspace, created_by=actor if getattr(actor, "is_authenticated", False) else None
    )
    rule.name, rule.query, rule.series, rule.detector = name, query, data.series, data.detector
    rule.sensitivity, rule.expert, rule.enabled = data.sensitivity, expert, data.enabled
    rule.quiet_start, rule.quiet_end, rule.notify_in_app = (
        data.quiet_start,
        data.quiet_end,
        data.notify_in_app,
    )
    rule.email_to, rule.webhook_format = emails, data.webhook_format
    if data.webhook_url is not None:
        url = r.clean_webhook(data.webhook_url)
        rule.webhook_url_enc = r.seal_webhook(workspace.pk, url)
        rule.webhook_hint = r.webhook_hint(url)
    new = rule.pk is None
    try:
        with write_transaction():
            rule.save()
            audit(
                workspace, actor, "crisis.rule_created" if new else "crisis.rule_updated", rule, summary=name
            )
    except IntegrityError:
        raise InvalidInput("name", _("a rule with this name already exists")) from None
    return rule


def delete_rule(rule: AlertRule, actor: Any) -> None:
    with write_transaction():
        audit(rule.workspace, actor, "crisis.rule_deleted", rule, summary=rule.name)
        rule.delete()


def save_statement(
    workspace: Workspace,
    actor: Any,
    title: str,
    language: str,
    text: str,
    statement: HoldingStatement | None = None,
) -> HoldingStatement:
    from django.conf import settings

    title, text = (title or "").strip(), (text or "").strip()
    if not title:
        raise InvalidInput("title", _("this field is required"))
    if not text:
        raise InvalidInput("text", _("this field is required"))
    if language not in dict(settings.LANGUAGES):
        raise InvalidInput("language", _("unknown language %(value)s") % {"value": language})
    statement = statement or HoldingStatement(workspace=workspace)
    statement.title, statement.language, statement.text = title, language, text
    try:
        with write_transaction():
            statement.save()
            audit(workspace, actor, "crisis.statement_saved", statement, summary=title)
    except IntegrityError:
        raise InvalidInput(
            "title", _("a statement with this title already exists in this language")
        ) from None
    return statement
