"""Crisis mode of a workspace: one action to hold everything, one to give it back.

On: `Workspace.crisis_mode` is set (the engine claims nothing more of the workspace, and pauses a
post a worker held at that instant before any call), every scheduled post is paused and listed on
the `CrisisPeriod`, replies go through a manager (inbox hook `replies_need_approval`), and holding
statements can be published on a fast track. Off: every paused post goes back; those whose time
passed meanwhile need a decision each (publish now, reschedule, drop), asked by the resume page.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.accounts.models import Workspace
from tamtam.accounts.services import audit
from tamtam.crisis.incidents import event
from tamtam.crisis.models import (
    CrisisPeriod,
    EventKind,
    HoldingStatement,
    Incident,
    IncidentStatus,
    StatementRelease,
)
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.publishing import services as publishing
from tamtam.publishing.models import Post, PostTarget
from tamtam.publishing.services import PostInput
from tamtam.publishing.states import TargetState
from tamtam.work.db import write_transaction


def current_period(workspace_id: int) -> CrisisPeriod | None:
    return CrisisPeriod.objects.filter(workspace_id=workspace_id, ended_at__isnull=True).first()


def replies_need_approval(workspace: Any) -> bool:
    """Inbox hook (inbox/replies.py): during crisis mode every reply goes through a manager."""
    return bool(getattr(workspace, "crisis_mode", False))


def turn_on(workspace: Workspace, actor: Any, incident: Incident | None = None) -> CrisisPeriod:
    with write_transaction():
        ws = Workspace.objects.select_for_update().get(pk=workspace.pk)
        if ws.crisis_mode:
            raise Conflict(_("crisis mode is already on"))
        Workspace.objects.filter(pk=ws.pk).update(crisis_mode=True)
        ws.crisis_mode = True
        paused = publishing.pause_for_crisis(ws, actor)
        period = CrisisPeriod.objects.create(
            workspace=ws,
            incident=incident,
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
            paused=paused,
        )
        summary = _("%(n)s scheduled posts paused; replies go through a manager") % {"n": len(paused)}
        if incident is not None:
            if incident.status != IncidentStatus.CRISIS:
                Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.CRISIS, resolved_at=None)
                incident.status = IncidentStatus.CRISIS
            event(incident, EventKind.CRISIS_ON, summary, actor, period=period.pk, paused=len(paused))
        audit(ws, actor, "crisis.on", period, summary=summary, paused=[p["target"] for p in paused])
    workspace.crisis_mode = True
    return period


def past_due(workspace: Workspace) -> list[PostTarget]:
    """Paused posts whose time has passed: the resume asks what to do with each."""
    return list(
        PostTarget.objects.filter(
            workspace=workspace, state=TargetState.PAUSED, scheduled_at__lte=timezone.now()
        )
        .select_related("channel", "post")
        .order_by("scheduled_at")
    )


def turn_off(workspace: Workspace, actor: Any, decisions: dict[int, str] | None = None) -> CrisisPeriod:
    """Resume: `decisions` = {target id: "now" | "drop" | ISO time} for every past-due paused post."""
    decisions = decisions or {}
    for key, value in decisions.items():
        if value not in ("now", "drop") and not value:
            raise InvalidInput(f"decisions.{key}", _("choose: publish now, a new time, or drop"))
    with write_transaction():
        ws = Workspace.objects.select_for_update().get(pk=workspace.pk)
        if not ws.crisis_mode:
            raise Conflict(_("crisis mode is not on"))
        missing = [t for t in past_due(ws) if t.pk not in decisions]
        if missing:
            raise InvalidInput(
                f"decisions.{missing[0].pk}",
                _("“%(post)s” on %(channel)s was due at %(when)s: publish it now, give a new time or drop it")
                % {
                    "post": str(missing[0].post)[:60],
                    "channel": missing[0].channel.name,
                    "when": missing[0].scheduled_at,
                },
            )
        # Give the posts back first, then lift the flag: the engine never sees a half-resumed workspace.
        outcome = publishing.resume_after_crisis(ws, actor, decisions)
        Workspace.objects.filter(pk=ws.pk).update(crisis_mode=False)
        period = current_period(ws.pk) or CrisisPeriod.objects.create(workspace=ws, paused=[])
        period.ended_at = timezone.now()
        period.ended_by = actor if getattr(actor, "is_authenticated", False) else None
        period.outcome = {str(k): v for k, v in outcome.items()}
        period.save(update_fields=["ended_at", "ended_by", "outcome"])
        counts: dict[str, int] = {}
        for label in outcome.values():
            counts[label] = counts.get(label, 0) + 1
        summary = _(
            "crisis mode off: %(resumed)s resumed, %(now)s published now, %(moved)s rescheduled, "
            "%(dropped)s dropped"
        ) % {
            "resumed": counts.get("resumed", 0),
            "now": counts.get("now", 0),
            "moved": counts.get("rescheduled", 0),
            "dropped": counts.get("dropped", 0),
        }
        if period.incident is not None:
            event(
                period.incident,
                EventKind.CRISIS_OFF,
                summary,
                actor,
                period=period.pk,
                outcome=period.outcome,
            )
        audit(ws, actor, "crisis.off", period, summary=summary, outcome=period.outcome)
    workspace.crisis_mode = False
    return period


def publish_statement(
    workspace: Workspace,
    actor: Any,
    statement: HoldingStatement,
    channel_ids: list[int],
    incident: Incident | None = None,
    text: str = "",
) -> Post:
    """A holding statement as a post on the fast track: submitted now (approval rules still apply)
    and, once approved, published even though crisis mode holds every other post."""
    if statement.workspace_id != workspace.pk:
        raise InvalidInput("statement", _("no such holding statement in this workspace"))
    if not channel_ids:
        raise InvalidInput("channel_ids", _("choose at least one channel"))
    with write_transaction():
        post = publishing.create_post(
            workspace, actor, PostInput(text=text.strip() or statement.text, channel_ids=channel_ids)
        )
        StatementRelease.objects.create(
            post=post,
            statement=statement,
            incident=incident,
            proposed_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        publishing.publish_now(post, actor)
        if incident is not None:
            event(incident, EventKind.STATEMENT, statement.title, actor, post=post.pk)
        audit(workspace, actor, "crisis.statement", post, summary=statement.title)
    return post


def fast_track_approve(post: Post, actor: Any, role: str) -> Post:
    """Every approval step this reviewer may give, in one click (a holding statement cannot wait)."""
    if not StatementRelease.objects.filter(post=post).exists():
        raise Conflict(_("only holding statements are on the fast track"))
    while True:
        step = publishing.pending_step(post)
        if step is None or not publishing.can_review_step(role, step):
            break
        publishing.approve(post, actor, role, _("Holding statement: fast-track approval"))
        post.refresh_from_db()
    return post


def pending_statements(workspace: Workspace) -> list[Post]:
    return list(
        Post.objects.filter(
            workspace=workspace, crisis_release__isnull=False, targets__state=TargetState.IN_REVIEW
        )
        .distinct()
        .order_by("-created_at")
    )
