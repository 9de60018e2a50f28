"""The dashboards' computed figures, kept a short time per workspace in Django's cache.

A workspace dashboard costs about 40 queries and 100 ms of CPU on a year of an agency's data, the
agency overview of 50 workspaces 150 ms (docs/benchmarks.md); people reload these pages, switch
between them and come back. So the figures (never the page, never a permission) are kept `TTL_S`
seconds under a key naming one workspace, its time zone, the period, the channel filter and the
workspace's *generation*:

    dashboard(workspace, period, channel_ids)  (Dashboard, when it was computed)
    objectives(workspace)                      (the objectives' progress, when): the strategy page's,
                                               and every dashboard variant's
    agency(workspaces, days)                   (rows, when the oldest of them was computed)
    changed(workspace_id)                      a new generation: the kept figures are not read again

`changed` is called where the figures' data is written: the rollups after a metrics poll or a
rebuild (rollups.py: this also clears a channel's "stale" mark), a metric poll's first failure
(polling.py: its poll row is written with update()), and through model signals (connected in
apps.py) the ORM saves and deletes of conversions, objectives and their channels, campaigns, channels, metric
polls, post targets (saved through the ORM; the engine marks a publication with update(), in a
worker: it counts once the poll's rollups are written) and workspaces. Clicks do not call it: a
busy workspace's clicks are flushed every second or so, which would leave exactly the busy
dashboards uncached; they show within `TTL_S`. So do the inbox's and listening's figures (written
by their own apps).

Freshness: the figures are kept per process (the "default" cache), the generations in the "shared"
one (settings.CACHES: files every process of the installation reads), so a write made in any
process — another web process, the metrics poll in a worker — shows at once everywhere; the page
says when its figures were computed.
The view checks the person's permission on every request and asks only for the workspaces they may
analyse: a key names one workspace, so nothing of another workspace can be read through it.

TAMTAM_ANALYTICS_CACHE_TTL sets `TTL_S` (seconds; 0 turns the cache off)."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.core.cache import cache, caches
from django.utils import timezone

from tamtam.accounts.models import Workspace
from tamtam.analytics import dashboard as boards
from tamtam.analytics.models import Conversion, MetricPoll
from tamtam.channels.models import Channel
from tamtam.lib.memo import after_commit, new_marker

TTL_S = int(os.environ.get("TAMTAM_ANALYTICS_CACHE_TTL", "60"))
_PREFIX = "analytics:figures"


def _generation_key(workspace_id: int) -> str:
    return f"{_PREFIX}:gen:{workspace_id}"


def _generations() -> Any:
    # Shared by every process (settings.CACHES): a write in a worker or another web process makes
    # this process's kept figures unreachable at once; the figures themselves stay per process.
    return caches["shared"]


def generation(workspace_id: int) -> str:
    key = _generation_key(workspace_id)
    shared = _generations()
    found = shared.get(key)
    if found is None:
        fresh = new_marker()
        shared.add(key, fresh, None)
        found = shared.get(key) or fresh
    return str(found)


def changed(*workspace_ids: int) -> None:
    """The data of these workspaces' figures changed: drop what is kept (by leaving it unreachable)."""
    if not workspace_ids:
        return

    def renew() -> None:
        _generations().set_many({_generation_key(pk): new_marker() for pk in set(workspace_ids)}, None)

    # Now (this process, this transaction's own reads) and again once committed: another process
    # that computed from the rows before the commit kept its figures under the first new generation.
    renew()
    after_commit(renew)


def _period_key(period: boards.Period) -> str:
    return f"{period.start.isoformat()}:{period.end.isoformat()}"


def dashboard(
    workspace: Workspace, period: boards.Period, channel_ids: list[int] | None = None
) -> tuple[boards.Dashboard, datetime]:
    if TTL_S <= 0:
        return boards.workspace_dashboard(workspace, period, channel_ids), timezone.now()
    # The generation is read before computing: a write during the computation makes a new one, and
    # what is stored under the old one is never read.
    channels = ",".join(str(c) for c in sorted(channel_ids)) if channel_ids is not None else "all"
    key = (
        f"{_PREFIX}:dash:{workspace.pk}:{generation(workspace.pk)}:{workspace.time_zone}:"
        f"{_period_key(period)}:{channels}"
    )
    found = cache.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    progress, _at = objectives(workspace)
    value = (boards.workspace_dashboard(workspace, period, channel_ids, progress), timezone.now())
    cache.set(key, value, TTL_S)
    return value


def objectives(workspace: Workspace) -> tuple[list[Any], datetime]:
    """The workspace's objectives with their live progress (strategy.services.Progress), kept like
    the dashboards' figures: the strategy page and every dashboard variant share one computation.
    Progress follows each objective's own period up to today, so the key names the local day."""
    if TTL_S <= 0:
        return boards.objectives_progress(workspace), timezone.now()
    today = timezone.localdate(timezone=workspace.tz)
    key = f"{_PREFIX}:objectives:{workspace.pk}:{generation(workspace.pk)}:{workspace.time_zone}:{today}"
    found = cache.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = (boards.objectives_progress(workspace), timezone.now())
    cache.set(key, value, TTL_S)
    return value


def agency(workspaces: list[Workspace], days: int) -> tuple[list[boards.WorkspaceRow], datetime]:
    """The agency overview's rows, kept per workspace: two people with different sets of workspaces
    share the rows of the workspaces they both may see, and only the missing rows are computed (in
    one grouped call)."""
    now = timezone.now()
    if TTL_S <= 0 or not workspaces:
        return boards.agency_overview(workspaces, days), now
    gens = _generations().get_many([_generation_key(ws.pk) for ws in workspaces])
    keys = {
        ws.pk: (
            f"{_PREFIX}:agency:{ws.pk}:"
            f"{gens.get(_generation_key(ws.pk)) or generation(ws.pk)}:{ws.time_zone}:"
            f"{days}:{_period_key(boards.Period.last_days(ws, days))}"
        )
        for ws in workspaces
    }
    found: dict[str, Any] = cache.get_many(list(keys.values()))
    missing = [ws for ws in workspaces if keys[ws.pk] not in found]
    if missing:
        fresh = boards.agency_overview(missing, days)
        computed = {keys[row.workspace_id]: (row, now) for row in fresh}
        cache.set_many(computed, TTL_S)
        found.update(computed)
    rows, oldest = [], now
    for ws in workspaces:
        row, at = found[keys[ws.pk]]
        rows.append(replace(row, name=ws.name))  # a renamed workspace reads its new name at once
        oldest = min(oldest, at)
    return rows, oldest


# --- what calls changed() ------------------------------------------------------------------------


def _saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    # The models connected below have their workspace (m2m_changed: the objective or the channel),
    # except the metric poll (its channel's).
    workspace_id = getattr(instance, "workspace_id", None)
    if workspace_id is None and isinstance(instance, MetricPoll):
        found = Channel.objects.filter(pk=instance.channel_id).values_list("workspace_id", flat=True)
        workspace_id = found.first()
    if workspace_id is not None:
        changed(workspace_id)


def _workspace_saved(sender: Any, instance: Workspace, **kwargs: Any) -> None:
    changed(instance.pk)  # its time zone or name


def connect() -> None:
    """Connect the model signals (AnalyticsConfig.ready)."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from tamtam.publishing.models import PostTarget
    from tamtam.strategy.models import Campaign, Objective

    for model in (Conversion, MetricPoll, Channel, PostTarget, Objective, Campaign):
        uid = f"tamtam.analytics.figurecache.{model.__name__}"
        post_save.connect(_saved, sender=model, dispatch_uid=uid + ".saved")
        post_delete.connect(_saved, sender=model, dispatch_uid=uid + ".deleted")
    uid = "tamtam.analytics.figurecache"
    m2m_changed.connect(_saved, sender=Objective.channels.through, dispatch_uid=f"{uid}.objective_channels")
    post_save.connect(_workspace_saved, sender=Workspace, dispatch_uid=f"{uid}.workspace")
