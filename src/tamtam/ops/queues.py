"""Queue figures per kind of durable work, read from the database (DESIGN §2.1: the row is the truth).

For each kind the runner knows, the rows a claim would take right now: how many (depth) and how late
the oldest is (lag). Reading the rows, not a counter kept by workers, makes the figures the same
whichever process answers (web x N, workers x N) and right after a crash. Each definition mirrors its
kind's `claim(...)` call (states, due field, filter); `tests/ops` fails when a kind is registered
without one here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q, QuerySet


@dataclass(frozen=True)
class QueueFigures:
    kind: str
    depth: int
    oldest_due_at: datetime | None
    lag_seconds: float  # 0 when nothing is waiting


def _publish(now: datetime) -> tuple[QuerySet[Any], list[str]]:
    from tamtam.publishing.engine.claims import claimable
    from tamtam.publishing.states import CLAIMABLE

    return claimable(now), list(CLAIMABLE)


def _first_comment(now: datetime) -> tuple[QuerySet[Any], list[str]]:
    from tamtam.publishing.models import PostTarget

    qs = PostTarget.objects.filter(workspace__crisis_mode=False, first_comment_remote_id="").exclude(
        first_comment=""
    )
    return _free(qs, now), ["published"]


def _reconcile(now: datetime) -> tuple[QuerySet[Any], list[str]]:
    from tamtam.publishing.models import PostTarget

    return _free(PostTarget.objects.all(), now), ["unconfirmed"]


def _feed_watch(now: datetime) -> tuple[QuerySet[Any], list[str]]:
    from tamtam.publishing.feed_models import FeedWatch, FeedWatchState

    return _free(FeedWatch.objects.all(), now), [FeedWatchState.ACTIVE]


def _inbox_fetch(now: datetime) -> tuple[QuerySet[Any], list[str]]:
    from tamtam.channels.models import ChannelStatus
    from tamtam.inbox.models import FetchState, InboxFetch

    return InboxFetch.objects.filter(channel__status=ChannelStatus.ACTIVE), [FetchState.IDLE]


def _inbox_reply(now: datetime) -> tuple[QuerySet[Any], list[str]]:
    from tamtam.inbox.models import Reply, ReplyState

    return Reply.objects.all(), [ReplyState.SCHEDULED, ReplyState.RETRY_WAIT]


def _inbox_reply_reconcile(now: datetime) -> tuple[QuerySet[Any], list[str]]:
    from tamtam.inbox.models import Reply, ReplyState

    return _free(Reply.objects.all(), now), [ReplyState.UNCONFIRMED]


def _listening_source(now: datetime) -> tuple[QuerySet[Any], list[str]]:
    from tamtam.listening.models import Source, SourceState

    return Source.objects.all(), [SourceState.IDLE]


def _metrics_poll(now: datetime) -> tuple[QuerySet[Any], list[str]]:
    from tamtam.analytics.models import MetricPoll, PollState
    from tamtam.channels.models import ChannelStatus

    return MetricPoll.objects.filter(channel__status=ChannelStatus.ACTIVE), [PollState.IDLE]


def _crisis_evaluate(now: datetime) -> tuple[QuerySet[Any], list[str]]:
    from tamtam.crisis.models import Evaluator, WorkState

    return Evaluator.objects.all(), [WorkState.IDLE]


def _crisis_notify(now: datetime) -> tuple[QuerySet[Any], list[str]]:
    from tamtam.crisis.models import Notification, NotifyChannel

    qs = Notification.objects.filter(channel__in=[NotifyChannel.EMAIL, NotifyChannel.WEBHOOK])
    return qs, ["pending"]


def _report_schedule(now: datetime) -> tuple[QuerySet[Any], list[str]]:
    from tamtam.reports.models import ReportSchedule, ScheduleState

    return ReportSchedule.objects.all(), [ScheduleState.WAITING]


def _report_send(now: datetime) -> tuple[QuerySet[Any], list[str]]:
    from tamtam.reports.models import DeliveryState, ReportDelivery

    return ReportDelivery.objects.all(), [DeliveryState.PENDING]


def _free(qs: QuerySet[Any], now: datetime) -> QuerySet[Any]:
    # Lease-only kinds (the row keeps its state while handled): a held lease means "being worked on".
    return qs.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))


def _refresh_tokens_figures(now: datetime) -> tuple[int, datetime | None]:
    from tamtam.channels.models import Channel, ChannelStatus

    qs = _free(Channel.objects.filter(status=ChannelStatus.ACTIVE, refresh_due_at__lte=now), now)
    row = qs.aggregate(n=Count("pk"), oldest=Min("refresh_due_at"))
    return int(row["n"]), row["oldest"]


# kind name → (now) → (rows of the kind's model, claimable states); due field `due_at`.
QUEUES: dict[str, Callable[[datetime], tuple[QuerySet[Any], list[str]]]] = {
    "publish": _publish,
    "first_comment": _first_comment,
    "reconcile": _reconcile,
    "feed_watch": _feed_watch,
    "inbox_fetch": _inbox_fetch,
    "inbox_reply": _inbox_reply,
    "inbox_reply_reconcile": _inbox_reply_reconcile,
    "listening_source": _listening_source,
    "metrics_poll": _metrics_poll,
    "crisis_evaluate": _crisis_evaluate,
    "crisis_notify": _crisis_notify,
    "report_schedule": _report_schedule,
    "report_send": _report_send,
}
# Kinds whose due field is not `due_at`.
CUSTOM: dict[str, Callable[[datetime], tuple[int, datetime | None]]] = {
    "refresh_tokens": _refresh_tokens_figures,
}


def known_kinds() -> set[str]:
    return set(QUEUES) | set(CUSTOM)


def figures(kind: str, now: datetime) -> QueueFigures:
    """One aggregate query: the due rows of `kind` and the oldest one's due time."""
    if kind in CUSTOM:
        depth, oldest = CUSTOM[kind](now)
    else:
        qs, states = QUEUES[kind](now)
        row = qs.filter(state__in=states, due_at__isnull=False, due_at__lte=now).aggregate(
            n=Count("pk"), oldest=Min("due_at")
        )
        depth, oldest = int(row["n"]), row["oldest"]
    lag = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return QueueFigures(kind=kind, depth=depth, oldest_due_at=oldest, lag_seconds=lag)


def all_figures(now: datetime) -> list[QueueFigures]:
    return [figures(kind, now) for kind in sorted(known_kinds())]
