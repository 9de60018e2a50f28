"""The demo's bad buzz: a sandbox episode staged a few minutes after the demo is seeded.

Nothing is written as an alert or an incident here. The brand's sandbox listening source gets a
staged episode (`stream_episodes`, networks/sandbox/stream.py): from `LIVE_IN` after seeding, for
`LIVE_MINUTES`, the stream's volume is multiplied by `LIVE_MULTIPLIER` and most of its posts are
about a battery catching fire. When `make run` (or `tamtam run`) starts the workers, the source is
read every `SOURCE_INTERVAL` seconds through the real pipeline, the per-minute counters feed the
live evaluator, the detector fires, the alert opens an incident, and crisis mode is one click away.

The evaluator is left where yesterday's replay ended (below): the first worker run then scores
every minute since (at most a day), instead of starting from whatever minute the workers happen to
come up at (an episode already under way at that time would be learnt as the past).

A bad buzz of yesterday (`past_episode`, smaller) is in the stream history too. After every brand
is seeded, `work_the_past` runs the live evaluator over it on a compressed clock (one run every
few simulated minutes, exactly the workers' code), so its alerts and incident are the detector's
own; then the brand's manager works the incident (owner, notes, crisis status, resolved) through
the incident services, and those timeline lines are moved back to when they would have happened
(services stamp "now"; nothing else is written by hand).

The detector needs history to know what "usual" is for a small brand (`HISTORY_DAYS` of the
stream are read at seed time), and it alerts only on what is more surprising than anything it saw
recently, so the staged episode is far above the stream's own random bad buzzes (5-10x).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import translation

from tamtam.crisis import history, incidents, live
from tamtam.crisis.models import Evaluator, Incident, IncidentEvent, IncidentStatus
from tamtam.networks.sandbox.stream import Episode, MentionStream, config_from_options

if TYPE_CHECKING:
    from tamtam.accounts.models import User, Workspace

OWNER = "demo-seed"
# What the brand's manager wrote on yesterday's incident, and when (after its opening).
NOTES = {
    "fr": (
        (8, "Pic de plaintes sur le service client : les délais de réponse ont doublé cette semaine."),
        (20, "Message d'attente publié ; le service client renforcé pour l'après-midi."),
        (75, "Volume revenu à la normale. Post-mortem : prévenir l'équipe quand le délai dépasse 48 h."),
    ),
    "en": (
        (8, "Complaints about customer service: answer times doubled this week."),
        (20, "Holding statement out; support staffed up for the afternoon."),
        (75, "Back to normal volume. Post-mortem: warn the team when answer times pass 48 h."),
    ),
}

LIVE_IN = timedelta(minutes=3)
LIVE_MINUTES = 40
LIVE_MULTIPLIER = 300.0  # a small brand's ~0.06 mentions a minute become 5-30
LIVE_TOPIC = "battery"
PAST_MINUTES = 12  # short: its evidence must stay below what the live one reaches in minutes
PAST_MULTIPLIER = 40.0  # well below the live one: the detector alerts on what is new
PAST_TOPIC = "support"
PAST_STEP = timedelta(minutes=3)  # the compressed clock's step over yesterday's episode
SOURCE_INTERVAL = 60  # seconds: the sandbox source is read every minute (the least allowed)
HISTORY_DAYS = 14  # what the evaluator warms new rules on (crisis.live.WARM_HISTORY)


def live_episode(seeded_at: datetime) -> Episode:
    start = history.floor_minute(seeded_at) + LIVE_IN
    return Episode(start=start, minutes=LIVE_MINUTES, multiplier=LIVE_MULTIPLIER, topic=LIVE_TOPIC)


def past_episode(seeded_at: datetime) -> Episode:
    """Yesterday at 14:05 UTC (a busy hour), about customer service."""
    start = (seeded_at - timedelta(days=1)).replace(hour=14, minute=5, second=0, microsecond=0)
    return Episode(start=start, minutes=PAST_MINUTES, multiplier=PAST_MULTIPLIER, topic=PAST_TOPIC)


def stream_options(seeded_at: datetime) -> dict[str, Any]:
    """What the brand's sandbox source adds to its options."""
    return {"stream_episodes": [past_episode(seeded_at).option(), live_episode(seeded_at).option()]}


def staged_episodes(source: Any) -> tuple[Episode, ...]:
    """The episodes staged on a sandbox source (for the demo's tests and its help text)."""
    return MentionStream(config_from_options(source.options or {}, seed=source.pk)).config.staged


def after_brands(seeded_at: datetime, workspaces: list[Workspace]) -> list[Incident]:
    """Once every brand is seeded (the evaluator scores all workspaces' rules at once)."""
    from tamtam.accounts.models import Membership, Role

    managers = {
        m.workspace_id: m.user
        for m in Membership.objects.filter(workspace__in=workspaces, role=Role.MANAGER).select_related("user")
    }
    from tamtam.listening.models import Source, SourceKind

    past = [
        e
        for source in Source.objects.filter(workspace__in=workspaces, kind=SourceKind.SANDBOX)
        for e in staged_episodes(source)
        if e.end < seeded_at
    ]
    if not past:
        return []
    return work_the_past(min(past, key=lambda e: e.start), managers)


def work_the_past(episode: Episode, managers: dict[int, User]) -> list[Incident]:
    """Yesterday's bad buzz scored by the live evaluator as the workers would have, then worked by
    each workspace's manager (`managers`: workspace id → user); the incidents it opened."""
    evaluator = live.ensure_evaluator()
    if Evaluator.objects.filter(pk=evaluator.pk, last_bucket__isnull=False).exists():
        return []  # the evaluator has run: the past is what it was
    before = set(Incident.objects.values_list("pk", flat=True))
    begin = history.floor_minute(episode.start) - timedelta(minutes=30)
    Evaluator.objects.filter(pk=evaluator.pk).update(last_bucket=begin - history.MINUTE)
    clock = begin + timedelta(seconds=live.settle_seconds()) + history.MINUTE
    until = episode.end + timedelta(minutes=30)
    while clock < until:
        _evaluate_at(clock)
        clock += PAST_STEP
    live.forget()  # this process is not a worker: the workers rebuild the state from the database
    opened = list(Incident.objects.exclude(pk__in=before).select_related("workspace").order_by("pk"))
    for incident in opened:
        manager = managers.get(incident.workspace_id)
        if manager is not None:
            _work(incident, manager)
    return opened


def _evaluate_at(now: datetime) -> None:
    Evaluator.objects.update(due_at=now)
    for pk in live.claim_due(now, 1, OWNER):
        live.evaluate(pk, OWNER, now=now)


def _work(incident: Incident, manager: User) -> None:
    workspace: Workspace = incident.workspace
    opened = incident.opened_at
    steps: list[tuple[int, Any]] = [
        (4, lambda: incidents.set_owner(incident, manager, manager.pk)),
        (6, lambda: incidents.set_status(incident, manager, IncidentStatus.CRISIS)),
    ]
    steps += [
        (m, lambda t=text: incidents.add_note(incident, manager, t))
        for m, text in NOTES.get(workspace.language, NOTES["en"])
    ]
    steps.append((80, lambda: incidents.set_status(incident, manager, IncidentStatus.RESOLVED)))
    with translation.override(workspace.language):
        for minutes, act in steps:
            newest = (
                IncidentEvent.objects.filter(incident=incident)
                .order_by("-pk")
                .values_list("pk", flat=True)
                .first()
            )
            act()
            # The services stamp "now": the line goes back to when the manager did it.
            IncidentEvent.objects.filter(incident=incident, pk__gt=newest or 0).update(
                at=opened + timedelta(minutes=minutes)
            )
    Incident.objects.filter(pk=incident.pk, status=IncidentStatus.RESOLVED).update(
        resolved_at=opened + timedelta(minutes=80)
    )
