"""Load for the engine, and the invariants it must keep: used by the fault-injection test, the burst
benchmark and the engine tests.

`create_load` plants scheduled targets on sandbox channels; `check` compares the database with the
sandbox network's own record and reports duplicates (an idempotency key posted twice), losses (a
target neither published nor visibly stopped, or published without exactly one remote post) and
lateness. Run as a module for subprocess use:

    python -m tamtam.work.drill seed --targets 2000 --channels 8 --options '{"error_rate": 0.1}'
    python -m tamtam.work.drill check            # prints JSON
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

# States a target may end in and be accounted for: final, or visibly waiting on a person.
SETTLED = ("published", "failed", "needs_user", "unconfirmed", "cancelled", "paused")


def create_workspace(name: str = "Drill") -> Any:
    from tamtam.accounts.models import Agency, Workspace

    slug = f"drill-{uuid.uuid4().hex[:8]}"
    agency = Agency.objects.create(name=f"{name} agency", slug=slug)
    return Workspace.objects.create(agency=agency, name=name, slug=slug, time_zone="UTC")


def create_channels(
    workspace: Any, count: int, options: dict[str, Any] | Sequence[dict[str, Any]]
) -> list[Any]:
    from tamtam.channels.models import Channel

    per_channel = [options] * count if isinstance(options, dict) else list(options)
    channels = []
    for index in range(count):
        opts = {"seed": index + 1, **per_channel[index]}
        tag = uuid.uuid4().hex[:6]
        channels.append(
            Channel.objects.create(
                workspace=workspace,
                network="sandbox",
                name=f"Sandbox {index + 1}",
                handle=f"@drill{tag}{index + 1}",
                options=opts,
            )
        )
    return channels


def create_targets(
    channels: Sequence[Any],
    due: Sequence[datetime],
    *,
    text: str = "Drill post",
    first_comment: str = "",
    first_comment_every: int = 1,
    link: str = "",
    batch: int = 500,
) -> list[int]:
    """One post and one scheduled target per due time, round-robin over `channels`; every
    `first_comment_every`-th target gets `first_comment`."""
    from tamtam.publishing.models import Post, PostTarget

    workspace = channels[0].workspace
    ids: list[int] = []
    for start in range(0, len(due), batch):
        chunk = due[start : start + batch]
        posts = Post.objects.bulk_create(
            [
                Post(
                    workspace=workspace,
                    text=f"{text} {start + i}",
                    link=link,
                    scheduled_at=when,
                    source="demo",
                )
                for i, when in enumerate(chunk)
            ]
        )
        targets = PostTarget.objects.bulk_create(
            [
                PostTarget(
                    post=post,
                    channel=channels[(start + i) % len(channels)],
                    workspace=workspace,
                    text=post.text,
                    link=link,
                    first_comment=first_comment if (start + i) % max(1, first_comment_every) == 0 else "",
                    state="scheduled",
                    scheduled_at=when,
                    due_at=when,
                    idempotency_key=uuid.uuid4().hex,
                )
                for i, (post, when) in enumerate(zip(posts, chunk, strict=True))
            ]
        )
        ids += [t.pk for t in targets]
    return ids


def create_load(
    *,
    targets: int,
    channels: int,
    options: dict[str, Any] | Sequence[dict[str, Any]],
    start: datetime,
    spread_seconds: float = 0.0,
    first_comment: str = "",
    first_comment_every: int = 1,
) -> dict[str, Any]:
    """`targets` targets due from `start` over `spread_seconds` (0: all at the same instant)."""
    workspace = create_workspace()
    chans = create_channels(workspace, channels, options)
    step = spread_seconds / targets if targets and spread_seconds else 0.0
    due = [start + timedelta(seconds=i * step) for i in range(targets)]
    ids = create_targets(chans, due, first_comment=first_comment, first_comment_every=first_comment_every)
    return {"workspace_id": workspace.pk, "channel_ids": [c.pk for c in chans], "target_ids": ids}


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def check(workspace_id: int | None = None, sandbox_path: str | None = None) -> dict[str, Any]:
    """The invariants, as numbers: `duplicates` and `losses` must both be 0."""
    from tamtam.networks.sandbox.store import SandboxNetwork
    from tamtam.publishing.models import PostTarget, PublishAttempt

    network = SandboxNetwork(sandbox_path)
    counts = network.counts_by_key()
    qs = PostTarget.objects.all()
    if workspace_id is not None:
        qs = qs.filter(workspace_id=workspace_id)
    rows = list(
        qs.values_list(
            "pk",
            "state",
            "idempotency_key",
            "scheduled_at",
            "published_at",
            "remote_id",
            "due_at",
            "first_comment",
            "first_comment_remote_id",
        )
    )
    with_attempts = set(
        PublishAttempt.objects.filter(target_id__in=[r[0] for r in rows]).values_list("target_id", flat=True)
    )
    states: dict[str, int] = {}
    losses: list[dict[str, Any]] = []
    lateness: list[float] = []
    duplicates = {k: n for k, n in counts.items() if n > 1 and not k.endswith(":first_comment")}
    awaiting_engine = 0
    awaiting: list[int] = []
    comments = {"wanted": 0, "posted": 0, "duplicates": 0}
    for pk, state, key, scheduled_at, published_at, remote_id, due_at, comment, comment_id in rows:
        if state not in SETTLED or (state == "unconfirmed" and due_at is not None):
            awaiting_engine += 1  # the engine still has something to do with it
            awaiting.append(pk)
        states[state] = states.get(state, 0) + 1
        remote = counts.get(key, 0)
        if state == "published":
            if remote != 1 or not remote_id:
                losses.append({"id": pk, "state": state, "remote_posts": remote, "why": "not 1 remote"})
            if published_at and scheduled_at:
                lateness.append((published_at - scheduled_at).total_seconds())
            if comment:
                # The first comment: at most one on the network; one exactly when recorded as posted.
                on_network = counts.get(f"{key}:first_comment", 0)
                comments["wanted"] += 1
                comments["posted"] += bool(comment_id)
                comments["duplicates"] += on_network > 1
                if comment_id and on_network != 1:
                    losses.append({"id": pk, "state": state, "comments": on_network, "why": "first comment"})
                if not comment_id and due_at is not None:
                    awaiting_engine += 1
        elif state in ("failed", "needs_user", "unconfirmed"):
            if pk not in with_attempts:
                losses.append({"id": pk, "state": state, "why": "stopped without a visible attempt"})
            if remote and state != "unconfirmed":
                losses.append({"id": pk, "state": state, "remote_posts": remote, "why": "on the network"})
        elif state not in SETTLED:
            losses.append({"id": pk, "state": state, "why": "not settled"})
    return {
        "targets": len(rows),
        "states": states,
        "settled": all(r[1] in SETTLED for r in rows),
        "awaiting_engine": awaiting_engine,
        # What a run that does not settle is waiting for: the first few targets and their attempts.
        "awaiting_examples": _awaiting_examples(awaiting[:3]),
        "attempt_outcomes": dict(
            Counter(PublishAttempt.objects.filter(target__in=qs).values_list("outcome", flat=True))
        ),
        "remote_posts": sum(n for k, n in counts.items() if not k.endswith(":first_comment")),
        "duplicates": len(duplicates),
        "first_comments": comments,
        "duplicate_keys": sorted(duplicates)[:20],
        "losses": len(losses),
        "loss_examples": losses[:20],
        "lateness_p50": _percentile(lateness, 0.50),
        "lateness_p99": _percentile(lateness, 0.99),
        "lateness_max": max(lateness) if lateness else None,
        "lateness_mean": statistics.fmean(lateness) if lateness else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tamtam.work.drill")
    sub = parser.add_subparsers(dest="cmd", required=True)
    seed = sub.add_parser("seed")
    seed.add_argument("--targets", type=int, required=True)
    seed.add_argument("--channels", type=int, default=4)
    seed.add_argument(
        "--options", default="{}", help="sandbox dials, JSON (an object, or a list per channel)"
    )
    seed.add_argument("--delay", type=float, default=0.0, help="first target due in this many seconds")
    seed.add_argument("--spread", type=float, default=0.0, help="spread the due times over this many seconds")
    seed.add_argument("--first-comment", default="")
    seed.add_argument("--first-comment-every", type=int, default=1)
    report = sub.add_parser("check")
    report.add_argument("--workspace", type=int, default=None)
    proof = sub.add_parser("evidence", help="attempt rows and what the sandbox stored, per target")
    proof.add_argument("ids", type=int, nargs="+")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tamtam.settings")
    import django

    django.setup()
    from django.utils import timezone

    if args.cmd == "seed":
        result = create_load(
            targets=args.targets,
            channels=args.channels,
            options=json.loads(args.options),
            start=timezone.now() + timedelta(seconds=args.delay),
            spread_seconds=args.spread,
            first_comment=args.first_comment,
            first_comment_every=args.first_comment_every,
        )
        json.dump(
            {k: v for k, v in result.items() if k != "target_ids"} | {"count": len(result["target_ids"])},
            sys.stdout,
        )
    elif args.cmd == "evidence":
        json.dump(evidence(args.ids), sys.stdout, default=str)
    else:
        json.dump(check(args.workspace), sys.stdout, default=str)
    sys.stdout.write("\n")


def evidence(target_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Which worker sent what, and when: per target, its attempt rows (number, step, outcome, worker,
    started, finished, error) and the posts the sandbox network stored under its keys (the post's and
    its first comment's), with the moment each landed."""
    from tamtam.networks.sandbox import store
    from tamtam.publishing.models import PostTarget, PublishAttempt

    out: dict[int, dict[str, Any]] = {}
    conn = store.connect()
    for target in PostTarget.objects.filter(pk__in=target_ids):
        key = target.idempotency_key
        landed = conn.execute(
            "SELECT id, idempotency_key, created_at FROM posts WHERE idempotency_key IN (?, ?) ORDER BY id",
            (key, f"{key}:first_comment"),
        ).fetchall()
        out[target.pk] = {
            "attempts": [
                [a.number, a.step, a.outcome, a.worker, str(a.started_at), str(a.finished_at), a.error[:80]]
                for a in PublishAttempt.objects.filter(target=target).order_by("number")
            ],
            "landed": [[i, k, datetime.fromtimestamp(t, tz=UTC).isoformat()] for i, k, t in landed],
        }
    return out


def _awaiting_examples(target_ids: list[int]) -> list[dict[str, Any]]:
    from tamtam.publishing.models import PostTarget, PublishAttempt

    examples = []
    for target in PostTarget.objects.filter(pk__in=target_ids):
        attempts = PublishAttempt.objects.filter(target=target).order_by("number")
        examples.append(
            {
                "id": target.pk,
                "state": target.state,
                "due_at": str(target.due_at),
                "lease_owner": target.lease_owner,
                "attempts": [
                    [a.step, a.number, a.outcome, str(a.started_at), a.status_code, (a.error or "")[:80]]
                    for a in attempts
                ],
            }
        )
    return examples


if __name__ == "__main__":
    main()
