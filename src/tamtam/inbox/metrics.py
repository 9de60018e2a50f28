"""Response metrics (the service analytics calls): first response time and resolution time of the
conversations that started in a period, per workspace, per channel and per person, against the
workspace's SLA targets.

- first response time = first reply sent from tamtam - first inbound message of the conversation;
- resolution time = closed - first inbound message (closed conversations only);
- "within SLA" = the share of answered (resolved) conversations under the target.
Medians are reported besides means: one forgotten conversation should not hide a good day.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from tamtam.inbox.ingest import settings_for
from tamtam.inbox.models import Conversation
from tamtam.lib.memo import TTLMemo


@dataclass(frozen=True)
class Figures:
    conversations: int = 0
    answered: int = 0
    resolved: int = 0
    first_response_median_s: float | None = None
    first_response_mean_s: float | None = None
    resolution_median_s: float | None = None
    resolution_mean_s: float | None = None
    first_response_within_sla: float | None = None  # 0..1
    resolution_within_sla: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ResponseMetrics:
    since: datetime
    until: datetime
    sla_first_response_s: int
    sla_resolution_s: int
    workspace: Figures
    by_channel: dict[int, Figures] = field(default_factory=dict)
    by_person: dict[int, Figures] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "sla_first_response_s": self.sla_first_response_s,
            "sla_resolution_s": self.sla_resolution_s,
            "workspace": self.workspace.as_dict(),
            "by_channel": {str(k): v.as_dict() for k, v in self.by_channel.items()},
            "by_person": {str(k): v.as_dict() for k, v in self.by_person.items()},
        }


def _figures(rows: list[tuple[float | None, float | None]], sla_first: int, sla_resolution: int) -> Figures:
    firsts = [f for f, _r in rows if f is not None]
    resolutions = [r for _f, r in rows if r is not None]
    times: dict[str, float] = {}
    if firsts:
        times.update(
            first_response_median_s=statistics.median(firsts),
            first_response_mean_s=statistics.fmean(firsts),
            first_response_within_sla=sum(f <= sla_first for f in firsts) / len(firsts),
        )
    if resolutions:
        times.update(
            resolution_median_s=statistics.median(resolutions),
            resolution_mean_s=statistics.fmean(resolutions),
            resolution_within_sla=sum(r <= sla_resolution for r in resolutions) / len(resolutions),
        )
    return Figures(conversations=len(rows), answered=len(firsts), resolved=len(resolutions), **times)


def response_metrics(
    workspace_id: int, since: datetime | None = None, until: datetime | None = None
) -> ResponseMetrics:
    until = until or timezone.now()
    since = since or until - timedelta(days=30)
    rules = settings_for(workspace_id)
    sla_first = rules.sla_first_response_minutes * 60
    sla_resolution = rules.sla_resolution_minutes * 60
    qs = Conversation.objects.filter(
        workspace_id=workspace_id, spam=False, first_inbound_at__gte=since, first_inbound_at__lt=until
    ).values_list(
        "channel_id",
        "first_responder_id",
        "closed_by_id",
        "first_inbound_at",
        "first_response_at",
        "closed_at",
    )
    all_rows: list[tuple[float | None, float | None]] = []
    channel_rows: dict[int, list[tuple[float | None, float | None]]] = defaultdict(list)
    person_rows: dict[int, list[tuple[float | None, float | None]]] = defaultdict(list)
    for channel_id, responder, closer, first_in, first_out, closed in qs:
        first = max(0.0, (first_out - first_in).total_seconds()) if first_out and first_in else None
        resolution = max(0.0, (closed - first_in).total_seconds()) if closed and first_in else None
        all_rows.append((first, resolution))
        channel_rows[channel_id].append((first, resolution))
        if responder:
            person_rows[responder].append((first, None))
        if closer:
            person_rows[closer].append((None, resolution))
    return ResponseMetrics(
        since=since,
        until=until,
        sla_first_response_s=sla_first,
        sla_resolution_s=sla_resolution,
        workspace=_figures(all_rows, sla_first, sla_resolution),
        by_channel={k: _figures(v, sla_first, sla_resolution) for k, v in channel_rows.items()},
        by_person={k: _figures(v, sla_first, sla_resolution) for k, v in person_rows.items()},
    )


WORKSPACE_FIGURES_TTL = 60  # seconds


_kept_figures: TTLMemo[Figures] = TTLMemo("inbox.figures", WORKSPACE_FIGURES_TTL)


def workspace_figures(workspace_id: int) -> Figures:
    """The 30-day workspace figures shown on top of the inbox, computed at most once a minute: the
    inbox list is polled every few seconds, and the figures read every conversation of the month."""
    return _kept_figures.get(workspace_id, lambda: response_metrics(workspace_id).workspace)


def forget_figures(workspace_id: int) -> None:
    """A conversation was closed or answered: the figures are computed again, in every process (a
    reply is sent by a worker, the page is served by the web processes; tamtam.lib.memo)."""
    _kept_figures.forget(workspace_id)


def conversation_times(conv: Conversation) -> dict[str, float | None]:
    """This conversation's own first response and resolution times (shown on it)."""
    first_in = conv.first_inbound_at
    return {
        "first_response_s": (conv.first_response_at - first_in).total_seconds()
        if first_in and conv.first_response_at
        else None,
        "resolution_s": (conv.closed_at - first_in).total_seconds() if first_in and conv.closed_at else None,
    }


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"
