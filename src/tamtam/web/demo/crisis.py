"""The demo's bad buzz: a sandbox episode staged a few minutes after the demo is seeded.

Nothing is written as an alert or an incident here. The brand's sandbox listening source gets a
staged episode (`stream_episodes`, networks/sandbox/stream.py): from `LIVE_IN` after seeding, for
`LIVE_MINUTES`, the stream's volume is multiplied by `LIVE_MULTIPLIER` and most of its posts are
about a battery catching fire. When `make run` (or `tamtam run`) starts the workers, the source is
read every `SOURCE_INTERVAL` seconds through the real pipeline, the per-minute counters feed the
live evaluator, the detector fires, the alert opens an incident, and crisis mode is one click away.

The evaluator is started at the seed's minute (when it never ran): the first worker run then
scores every minute since, its new rules warmed on the stored history before it, instead of
starting from whatever minute the workers happen to come up at (an episode already under way at
that time would be learnt as the past).

The detector needs history to know what "usual" is for a small brand (`HISTORY_DAYS` of the
stream are read at seed time), and it alerts only on what is more surprising than anything it saw
recently, so the staged episode is far above the stream's own random bad buzzes (5-10x).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tamtam.crisis import history, live
from tamtam.crisis.models import Evaluator
from tamtam.networks.sandbox.stream import Episode, MentionStream, config_from_options

LIVE_IN = timedelta(minutes=3)
LIVE_MINUTES = 40
LIVE_MULTIPLIER = 300.0  # a small brand's ~0.06 mentions a minute become 5-30
LIVE_TOPIC = "battery"
SOURCE_INTERVAL = 60  # seconds: the sandbox source is read every minute (the least allowed)
HISTORY_DAYS = 14  # what the evaluator warms new rules on (crisis.live.WARM_HISTORY)


def live_episode(seeded_at: datetime) -> Episode:
    start = history.floor_minute(seeded_at) + LIVE_IN
    return Episode(start=start, minutes=LIVE_MINUTES, multiplier=LIVE_MULTIPLIER, topic=LIVE_TOPIC)


def stream_options(seeded_at: datetime) -> dict[str, Any]:
    """What the brand's sandbox source adds to its options."""
    return {"stream_episodes": [live_episode(seeded_at).option()]}


def staged_episodes(source: Any) -> tuple[Episode, ...]:
    """The episodes staged on a sandbox source (for the demo's tests and its help text)."""
    return MentionStream(config_from_options(source.options or {}, seed=source.pk)).config.staged


def start_evaluator(seeded_at: datetime) -> None:
    """The live evaluator scores from the seed's minute on (if it never ran; see above)."""
    evaluator = live.ensure_evaluator()
    # No service starts the evaluator at a given minute: the workers' first run would take the
    # current one. Only a never-run evaluator is moved, so a real history is never rewritten.
    Evaluator.objects.filter(pk=evaluator.pk, last_bucket__isnull=True).update(
        last_bucket=history.floor_minute(seeded_at) - history.MINUTE
    )
