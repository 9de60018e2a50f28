"""`{% inbox_unread ws %}`: the navigation's unread count; `|duration`: seconds as "12 min"."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in stubs
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from tamtam.inbox import metrics, pagecache, triage
from tamtam.inbox.models import ConversationKind

register = template.Library()
PREVIEW_CHARS = 200  # of the last message, in the list


@register.simple_tag(takes_context=True)
def inbox_unread(context: template.Context, workspace_id: Any) -> int:
    try:
        return pagecache.unread_count(context.get("request"), int(workspace_id))
    except (TypeError, ValueError):
        return 0


@register.filter
def duration(seconds: float | None) -> str:
    return metrics.human_duration(seconds)


@register.filter
def band(priority: int) -> str:
    return triage.band(int(priority or 0))


FLAGS = ("question", "complaint", "purchase_intent", "influencer", "spam")


def _flag_label(flag: str) -> str:
    labels = {
        "question": _("Question"),
        "complaint": _("Complaint"),
        "purchase_intent": _("Purchase intent"),
        "influencer": _("Influencer"),
        "spam": _("Spam"),
    }
    return labels.get(flag, "")


@register.filter
def flag_badges(flags: list[str] | None) -> SafeString:
    """The flags as badges (a filter, not an include: the list renders 50 rows at every poll)."""
    return format_html_join(
        "", '<span class="flag" data-flag="{}">{}</span>', ((f, _flag_label(f)) for f in flags or [])
    )


@register.filter
def sentiment_badge(sentiment: str) -> SafeString:
    if sentiment == "negative":
        return format_html('<span class="sent-negative" data-sentiment="negative">{}</span>', _("Negative"))
    if sentiment == "positive":
        return format_html('<span class="sent-positive" data-sentiment="positive">{}</span>', _("Positive"))
    if sentiment == "neutral":
        return format_html('<span data-sentiment="neutral">{}</span>', _("Neutral"))
    return SafeString("")


@functools.lru_cache(maxsize=4096)
def _short_datetime(when: datetime, language: str | None, zone: str) -> str:
    """`when` as the SHORT_DATETIME_FORMAT of the active language and time zone (the key holds both):
    formatting was a sixth of the rows' time, and a polled list shows the same instants again."""
    return str(formats.date_format(template_localtime(when), "SHORT_DATETIME_FORMAT"))


def _literal(text: str) -> str:
    """Escaped for HTML, and for str.format (a brace in a translation stays a brace)."""
    return str(escape(text)).replace("{", "{{").replace("}", "}}")


@register.simple_tag
def conversation_rows(conversations: list[Any], inbox_caps: Any, conv_url: str) -> SafeString:
    """The rows of the list, built here rather than in a template loop: the list is 50 rows, polled
    every few seconds by every open inbox, and the template engine spent ~3 ms of CPU per row on
    variable look-ups, filters and translations. Same markup and translations; every value escaped.
    Labels are translated once per call, not once per row."""
    checkbox = (
        '<input type="checkbox" name="ids" value="{id}" aria-label="' + _literal(_("Select")) + '">'
        if "inbox_act" in inbox_caps
        else ""
    )
    head = (
        '<div class="conv-row{unread}" data-testid="conversation-row" data-conversation-id="{id}">'
        + checkbox
        + '<span class="prio {band}" title="'
        + _literal(_("Priority"))
        + '">{priority}</span><div class="text"><a href="'
        + _literal(conv_url)
        + '?c={id}" data-testid="conversation-link"><strong class="author" dir="auto">{author}</strong></a>'
        ' <small class="muted">· {meta}</small><br><span dir="auto">{text}</span><br>{flags} {sentiment}'
        "</div></div>\n"
    )
    unknown = escape(_("Unknown author"))
    kinds = {value: str(label) for value, label in ConversationKind.choices}
    flag_html = {f: flag_badges([f]) for f in FLAGS}
    sentiment_html = {s: sentiment_badge(s) for s in ("negative", "neutral", "positive")}
    language, zone = get_language(), timezone.get_current_timezone_name()
    rows = []
    for c in conversations:
        when = _short_datetime(c.last_item_at, language, zone)
        meta = [c.channel.name, kinds.get(c.kind, c.kind), when]
        if c.assignee_id:
            meta.append(c.assignee.get_username())
        if c.unread:
            meta.append(ngettext("%(n)s new", "%(n)s new", c.unread) % {"n": c.unread})
        text = c.last_text or ""
        if len(text) > PREVIEW_CHARS:
            text = text[: PREVIEW_CHARS - 1] + "…"
        rows.append(
            head.format(
                unread=" unread" if c.unread else "",
                id=int(c.pk),
                band=triage.band(int(c.priority or 0)),
                priority=int(c.priority or 0),
                author=escape(c.last_author) if c.last_author else unknown,
                meta=escape(" · ".join(meta)),
                text=escape(text),
                flags="".join(flag_html.get(f, "") for f in c.flags or []),
                sentiment=sentiment_html.get(c.sentiment, ""),
            )
        )
    return SafeString("".join(rows))
